//! Running each shipped recipe's Lua, analysis and render excluded (the target is under
//! 50 ms): a whole `Host::run_file` (a fresh sandbox, the API, the script, the chain's final
//! validation) with the inputs' analyses already in the host's cache, as they are after the
//! first run. A bare sandbox run of an empty script is measured for comparison.
//!
//! Run: `cargo bench -p mixgraph-scripts --bench recipes`.

#![allow(clippy::unwrap_used, reason = "benchmark setup")]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use mixgraph_scripts::{Host, ScriptOptions, run_str};

/// Writes `seconds` of 16-bit noise (in `channels`, at `rate`) to `dir/name.wav`.
fn wav(dir: &Path, name: &str, channels: u16, seconds: f64, rate: u32) -> PathBuf {
    let path = dir.join(format!("{name}.wav"));
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(&path, spec).unwrap();
    let mut seed = 0x2545_f491_u32 ^ name.len() as u32;
    let frames = (seconds * f64::from(rate)) as usize;
    for frame in 0..frames {
        // Louder and quieter stretches (12 s and 8 s), so the podcast's leveling has work.
        let level: i16 = if (frame / rate as usize) % 20 < 12 {
            6000
        } else {
            1500
        };
        for _ in 0..channels {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            writer.write_sample((seed >> 16) as i16 % level).unwrap();
        }
    }
    writer.finalize().unwrap();
    path
}

fn recipe(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("recipes")
        .join(name)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    // The podcast's leveling walks the momentary loudness (10 readings a second): a one-hour
    // episode gives it 36,000 (at 8 kHz, to keep the file small; the rate does not matter).
    let cases: Vec<(&str, Vec<(String, PathBuf)>)> = vec![
        (
            "adaptive-master.lua",
            vec![("mix".into(), wav(dir.path(), "mix", 2, 5.0, 48_000))],
        ),
        (
            "stems-bus.lua",
            [
                "kick",
                "snare",
                "bass",
                "keys",
                "guitar",
                "lead-vox",
                "backing-vox",
                "pad",
            ]
            .iter()
            .map(|s| ((*s).to_string(), wav(dir.path(), s, 1, 2.0, 48_000)))
            .collect(),
        ),
        (
            "podcast.lua",
            vec![("voice".into(), wav(dir.path(), "voice", 1, 3600.0, 8000))],
        ),
    ];
    let mut group = c.benchmark_group("recipe");
    group.measurement_time(Duration::from_secs(5));
    for (name, inputs) in cases {
        let options = ScriptOptions {
            inputs,
            ..ScriptOptions::default()
        };
        let mut host = Host::new();
        host.run_file(&recipe(name), &options).unwrap(); // fills the analysis cache
        group.bench_function(name, |b| {
            b.iter(|| black_box(host.run_file(&recipe(name), &options).unwrap()))
        });
    }
    group.bench_function("empty script (sandbox, API and validation only)", |b| {
        let script = "chain.input('in'):to(chain.output('out'))";
        b.iter(|| black_box(run_str(script, "empty.lua", &ScriptOptions::default()).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
