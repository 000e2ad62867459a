//! Mastering lands on target, checked on the delivered files with ebur128 directly (not
//! with the crate's analyzer): every deliverable within +-0.1 LU of the target and with its
//! true peak at or under the ceiling, for inputs from -30 to -6 LUFS (a very dynamic quiet
//! one and a heavily clipped loud one included), at 44.1 and 48 kHz, mono and stereo, with
//! the default chain and with one that compresses before its limiter; an album keeps its
//! tracks' relative loudness; a target beyond the allowed gain reduction fails and leaves
//! nothing behind.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic there is a failed test"
)]

use std::path::{Path, PathBuf};

use ebur128::{EbuR128, Mode};
use mixgraph_mastering::Target;
use mixgraph_mastering::master::{
    Deliverable, MasterChain, MasterError, MasterOptions, MasterReport, Processing, master,
};

/// A deterministic white noise in -1..1.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

/// Music-like channels: a chord bed, a bass line and drum-like noise hits, whose levels
/// follow `envelope(t)` (linear), `seconds` long.
fn music(
    rate: u32,
    channels: usize,
    seconds: f64,
    seed: u64,
    envelope: impl Fn(f64) -> f64,
) -> Vec<Vec<f64>> {
    let frames = (seconds * f64::from(rate)) as usize;
    let mut noise = Noise(seed | 1);
    let beat = f64::from(rate) * 0.5;
    (0..channels)
        .map(|c| {
            (0..frames)
                .map(|i| {
                    let t = i as f64 / f64::from(rate);
                    let since_hit = (i as f64 % beat) / f64::from(rate);
                    let tau = std::f64::consts::TAU;
                    let chord = [261.6, 329.6, 392.0]
                        .iter()
                        .map(|f| (tau * f * (1.0 + 0.002 * c as f64) * t).sin())
                        .sum::<f64>()
                        * 0.06;
                    let bass = 0.2 * (tau * 55.0 * t).sin() * (1.0 - (t * 2.0).fract() * 0.5);
                    let hit = 0.5 * (-since_hit * 25.0).exp() * noise.next();
                    envelope(t) * (chord + bass + hit)
                })
                .collect()
        })
        .collect()
}

fn ebur128_of(channels: &[Vec<f64>], rate: u32) -> EbuR128 {
    let mut meter = EbuR128::new(channels.len() as u32, rate, Mode::I | Mode::TRUE_PEAK).unwrap();
    let planes: Vec<&[f64]> = channels.iter().map(Vec::as_slice).collect();
    meter.add_frames_planar_f64(&planes).unwrap();
    meter
}

fn true_peak_dbtp(meter: &EbuR128) -> f64 {
    let peak = (0..meter.channels())
        .map(|c| meter.true_peak(c).unwrap())
        .fold(0.0, f64::max);
    20.0 * peak.log10()
}

/// Scales the channels to an integrated loudness of `lufs`.
fn to_loudness(mut channels: Vec<Vec<f64>>, rate: u32, lufs: f64) -> Vec<Vec<f64>> {
    let now = ebur128_of(&channels, rate).loudness_global().unwrap();
    let gain = 10f64.powf((lufs - now) / 20.0);
    channels.iter_mut().flatten().for_each(|x| *x *= gain);
    channels
}

/// Writes a 24-bit WAV (float samples clamped to full scale).
fn write_wav(path: &Path, rate: u32, channels: &[Vec<f64>]) {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: rate,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for n in 0..channels[0].len() {
        for c in channels {
            w.write_sample((c[n].clamp(-1.0, 1.0) * 8_388_607.0).round() as i32)
                .unwrap();
        }
    }
    w.finalize().unwrap();
}

/// A delivered file as read back: its format and samples.
struct Delivered {
    spec: hound::WavSpec,
    channels: Vec<Vec<f64>>,
}

fn read_wav(path: &Path) -> Delivered {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let scale = 1.0 / f64::from(1u32 << (spec.bits_per_sample - 1));
    let samples: Vec<f64> = r
        .samples::<i32>()
        .map(|s| f64::from(s.unwrap()) * scale)
        .collect();
    let n = spec.channels as usize;
    let channels = (0..n)
        .map(|c| samples.iter().skip(c).step_by(n).copied().collect())
        .collect();
    Delivered { spec, channels }
}

fn chain(name: &str) -> MasterChain {
    let spec = mixgraph_chains::presets::get(name).unwrap().load().unwrap();
    let valid = mixgraph_chains::validate(&spec, &mixgraph_nodes::catalog()).unwrap();
    MasterChain::new(&valid, name).unwrap()
}

fn run(
    inputs: &[PathBuf],
    chain_name: &str,
    options: &MasterOptions,
) -> Result<MasterReport, MasterError> {
    master(&chain(chain_name), inputs, options, &mut |_| {})
}

/// Masters `input` to each target with every deliverable and checks every delivered file
/// with ebur128: loudness within 0.1 LU of the target, true peak at or under the ceiling,
/// the delivery format, and a report that says the same.
fn lands_on_every_target(input: &Path, chain_name: &str, targets: &[&str]) -> Vec<MasterReport> {
    let mut reports = Vec::new();
    for name in targets {
        let target = Target::by_name(name).unwrap();
        let out = tempfile::tempdir().unwrap();
        let options = MasterOptions::new(target, Deliverable::ALL.to_vec(), out.path());
        let report = run(&[input.to_path_buf()], chain_name, &options)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(report.passes, "{name}: {report:?}");
        let stem = input.file_stem().unwrap().to_string_lossy();
        for deliverable in Deliverable::ALL {
            let path = out.path().join(deliverable.file_name(&stem));
            let file = read_wav(&path);
            assert_eq!(
                file.spec.sample_rate,
                deliverable.sample_rate(),
                "{}",
                path.display()
            );
            assert_eq!(
                u32::from(file.spec.bits_per_sample),
                deliverable.sample_format().bits()
            );
            let meter = ebur128_of(&file.channels, file.spec.sample_rate);
            let loudness = meter.loudness_global().unwrap();
            let peak = true_peak_dbtp(&meter);
            assert!(
                (loudness - target.integrated_lufs).abs() <= 0.1,
                "{name} {}: {loudness:.3} LUFS",
                deliverable.name()
            );
            assert!(
                peak <= target.true_peak_dbtp,
                "{name} {}: true peak {peak:.3} dBTP",
                deliverable.name()
            );
            let line = report.tracks[0]
                .deliverables
                .iter()
                .find(|d| d.deliverable == deliverable)
                .unwrap();
            assert!(line.passes);
            assert!(
                (line.integrated_lufs.unwrap() - loudness).abs() < 1e-6,
                "the report reads the same file"
            );
            // Every render after the first says why it was made.
            assert!(
                line.attempts
                    .iter()
                    .rev()
                    .skip(1)
                    .all(|a| a.correction.is_some())
            );
        }
        assert!(out.path().join(format!("{stem}-master.png")).exists());
        assert!(out.path().join("master-report.json").exists());
        reports.push(report);
    }
    reports
}

fn input_file(dir: &Path, name: &str, rate: u32, channels: &[Vec<f64>]) -> PathBuf {
    let path = dir.join(name);
    write_wav(&path, rate, channels);
    path
}

#[test]
fn a_quiet_very_dynamic_mix_at_minus_30_lufs_lands() {
    // 10 s: a near-silent intro, a sparse verse, then a loud chorus: a loudness range far
    // above a pop master's and a crest factor of about 20 dB.
    let envelope = |t: f64| match t {
        t if t < 3.0 => 0.03,
        t if t < 8.0 => 0.25,
        _ => 1.0,
    };
    let dir = tempfile::tempdir().unwrap();
    let signal = to_loudness(music(44_100, 2, 10.0, 7, envelope), 44_100, -30.0);
    let input = input_file(dir.path(), "quiet.wav", 44_100, &signal);
    let reports =
        lands_on_every_target(&input, "master-default", &["spotify", "apple", "ebu-r128"]);
    // +16 dB to Spotify's -14 LUFS cannot be done with gain alone: the limiter works, and
    // the report says how hard.
    let spotify = &reports[0].tracks[0].deliverables[0];
    assert_eq!(spotify.processing, Processing::GainAndLimiting);
    assert!(spotify.max_gain_reduction_db.unwrap() > 3.0, "{spotify:?}");
    // EBU R128's -23 LUFS is +7 dB: the peaks stay clear of the limiter.
    let ebu = &reports[2].tracks[0].deliverables[0];
    assert_eq!(ebu.processing, Processing::GainOnly, "{ebu:?}");
    assert_eq!(ebu.max_gain_reduction_db, None);
}

#[test]
fn a_heavily_clipped_loud_mix_at_minus_6_lufs_lands() {
    // Driven into a hard clip at full scale until it reaches -6 LUFS: flat-topped, a
    // peak-to-loudness ratio of a few dB.
    let dir = tempfile::tempdir().unwrap();
    let clipped = |drive: f64| -> Vec<Vec<f64>> {
        music(44_100, 2, 8.0, 11, |_| drive)
            .into_iter()
            .map(|c| c.into_iter().map(|x| x.clamp(-1.0, 1.0)).collect())
            .collect()
    };
    let mut drive = 1.0;
    while ebur128_of(&clipped(drive), 44_100)
        .loudness_global()
        .unwrap()
        < -6.0
    {
        drive *= 1.1;
    }
    let signal = to_loudness(clipped(drive), 44_100, -6.0);
    let input = input_file(dir.path(), "loud.wav", 44_100, &signal);
    let reports =
        lands_on_every_target(&input, "master-default", &["spotify", "apple", "ebu-r128"]);
    // Turning down needs no limiting.
    for report in &reports {
        for d in &report.tracks[0].deliverables {
            assert_eq!(d.processing, Processing::GainOnly, "{d:?}");
            assert!(d.gain_db < -7.9, "{d:?}");
        }
    }
    // The input is flagged: no headroom left (its hard-clipped edges overshoot to about
    // +4.5 dBTP between samples).
    let input = &reports[0].tracks[0].input;
    assert!(input.true_peak_dbtp.unwrap() > 3.0, "{input:?}");
    assert!(
        input
            .warnings
            .iter()
            .any(|w| w.message.starts_with("no headroom")),
        "{:?}",
        input.warnings
    );
}

#[test]
fn a_48_khz_mix_at_minus_18_lufs_lands_on_the_resampled_deliverables() {
    // At 48 kHz the broadband hits reach above 22.05 kHz: converting to 44.1 kHz removes
    // that part of the loudness, which the measurement of each delivered file catches.
    let dir = tempfile::tempdir().unwrap();
    let signal = to_loudness(
        music(48_000, 2, 10.0, 3, |t| 0.6 + 0.4 * (t * 0.7).sin()),
        48_000,
        -18.0,
    );
    let input = input_file(dir.path(), "mid48.wav", 48_000, &signal);
    lands_on_every_target(&input, "master-default", &["spotify", "apple", "ebu-r128"]);
}

#[test]
fn a_mono_mix_at_minus_24_lufs_lands() {
    let dir = tempfile::tempdir().unwrap();
    let signal = to_loudness(music(44_100, 1, 8.0, 5, |t| 1.0 - 0.08 * t), 44_100, -24.0);
    let input = input_file(dir.path(), "mono.wav", 44_100, &signal);
    lands_on_every_target(&input, "master-default", &["spotify", "ebu-r128"]);
}

#[test]
fn a_chain_that_compresses_before_its_limiter_lands() {
    // master-streaming: high-pass and 2:1 compression, rendered once before the limiter.
    let dir = tempfile::tempdir().unwrap();
    let signal = to_loudness(
        music(44_100, 2, 10.0, 13, |t| 0.5 + 0.5 * (t * 0.9).cos().abs()),
        44_100,
        -20.0,
    );
    let input = input_file(dir.path(), "comp.wav", 44_100, &signal);
    lands_on_every_target(&input, "master-streaming", &["spotify", "ebu-r128"]);
}

#[test]
fn an_album_gets_one_gain_and_keeps_its_relative_loudness() {
    let dir = tempfile::tempdir().unwrap();
    let loud = to_loudness(music(44_100, 2, 8.0, 17, |_| 1.0), 44_100, -18.0);
    let quiet = to_loudness(music(44_100, 2, 8.0, 19, |_| 1.0), 44_100, -24.0);
    let inputs = [
        input_file(dir.path(), "one.wav", 44_100, &loud),
        input_file(dir.path(), "two.wav", 44_100, &quiet),
    ];
    let out = tempfile::tempdir().unwrap();
    let target = Target::by_name("ebu-r128").unwrap();
    let mut options = MasterOptions::new(
        target,
        vec![Deliverable::Streaming, Deliverable::Cd],
        out.path(),
    );
    options.album = true;
    let report = run(&inputs, "master-default", &options).unwrap();
    assert!(report.passes);
    for deliverable in [Deliverable::Streaming, Deliverable::Cd] {
        let meters: Vec<EbuR128> = ["one", "two"]
            .iter()
            .map(|stem| {
                let file = read_wav(&out.path().join(deliverable.file_name(stem)));
                ebur128_of(&file.channels, file.spec.sample_rate)
            })
            .collect();
        let album = EbuR128::loudness_global_multiple(meters.iter()).unwrap();
        assert!(
            (album + 23.0).abs() <= 0.1,
            "{}: album {album:.3} LUFS",
            deliverable.name()
        );
        let one = meters[0].loudness_global().unwrap();
        let two = meters[1].loudness_global().unwrap();
        // One gain for both (no limiting here): their 6 LU difference is kept.
        assert!(((one - two) - 6.0).abs() < 0.02, "{one} {two}");
        assert!(meters.iter().all(|m| true_peak_dbtp(m) <= -1.0));
        let line = report
            .album
            .as_ref()
            .unwrap()
            .iter()
            .find(|a| a.deliverable == deliverable)
            .unwrap();
        assert!((line.integrated_lufs.unwrap() - album).abs() < 1e-6);
        assert!(line.passes);
    }
    let lines: Vec<_> = report.tracks.iter().flat_map(|t| &t.deliverables).collect();
    assert!(lines.iter().all(|d| d.processing == Processing::GainOnly));
    assert!(
        lines
            .iter()
            .all(|d| (d.gain_db - lines[0].gain_db).abs() < 0.01),
        "{lines:?}"
    );
}

#[test]
fn a_target_beyond_the_allowed_gain_reduction_fails_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let envelope = |t: f64| if t < 4.0 { 0.1 } else { 1.0 };
    let signal = to_loudness(music(44_100, 2, 8.0, 23, envelope), 44_100, -30.0);
    let input = input_file(dir.path(), "dynamic.wav", 44_100, &signal);
    let out = dir.path().join("out");
    let target = Target::by_name("spotify").unwrap();
    let mut options = MasterOptions::new(target, Deliverable::ALL.to_vec(), &out);
    options.max_gain_reduction_db = Some(2.0);
    let err = run(&[input], "master-default", &options).unwrap_err();
    let MasterError::TargetUnreachable {
        needed_reduction_db,
        max_reduction_db,
        reachable_lufs,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert!(
        *needed_reduction_db > 2.0 && *max_reduction_db == 2.0,
        "{err}"
    );
    assert!(reachable_lufs.unwrap() < -14.5, "{err}");
    assert!(!err.is_input_error());
    assert!(
        err.to_string().contains("maximum gain reduction of 2.0 dB"),
        "{err}"
    );
    assert!(!out.exists(), "nothing is left behind");
}
