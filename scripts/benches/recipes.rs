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

const RATE: u32 = 48_000;

/// Writes `seconds` of noise (in `channels`) to `dir/name.wav`.
fn wav(dir: &Path, name: &str, channels: u16, seconds: f64) -> PathBuf {
    let path = dir.join(format!("{name}.wav"));
    let spec = hound::WavSpec {
        channels,
        sample_rate: RATE,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(&path, spec).unwrap();
    let mut seed = 0x2545_f491_u32 ^ name.len() as u32;
    for _ in 0..(seconds * f64::from(RATE)) as usize * usize::from(channels) {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        writer
            .write_sample(0.2 * (seed as f32 / u32::MAX as f32 - 0.5))
            .unwrap();
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
    // The podcast's leveling walks the momentary loudness (10 readings a second): a 10-minute
    // episode gives it 6,000.
    let cases: Vec<(&str, Vec<(String, PathBuf)>)> = vec![
        (
            "adaptive-master.lua",
            vec![("mix".into(), wav(dir.path(), "mix", 2, 5.0))],
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
            .map(|s| ((*s).to_string(), wav(dir.path(), s, 1, 2.0)))
            .collect(),
        ),
        (
            "podcast.lua",
            vec![("voice".into(), wav(dir.path(), "voice", 1, 600.0))],
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
