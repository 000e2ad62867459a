//! Meter conformance: the synthesizable signals of EBU Tech 3341 (loudness, true peak) and
//! Tech 3342 (loudness range), generated block by block at 44.1, 48 and 96 kHz and measured
//! by the `Analyzer`, against the expected values and tolerances of the standards. Also
//! album loudness over tracks gated together.
//!
//! "X dBFS" is the peak amplitude of a 1 kHz sine on each channel, left and right identical
//! and in phase.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic there is a failed test"
)]

use std::f64::consts::TAU;

use mixgraph_mastering::{AlbumAnalysis, Analysis, Analyzer};

const RATES: [u32; 3] = [44_100, 48_000, 96_000];
/// Frames generated and analysed at a time.
const BLOCK: usize = 4096;
/// The tone of the loudness cases.
const TONE_HZ: f64 = 1000.0;

/// A stretch of tone: how long, and the peak level of each channel in dBFS.
struct Segment<'a> {
    seconds: f64,
    dbfs: &'a [f64],
}

/// The same level on both channels of a stereo pair.
fn stereo(seconds: f64, dbfs: &[f64; 2]) -> Segment<'_> {
    Segment { seconds, dbfs }
}

/// Analyses a 1 kHz tone (continuous phase across segments) made of `segments`, generated in
/// blocks so that memory stays small however long the programme is.
fn analyse_tone(rate: u32, segments: &[Segment<'_>]) -> Analysis {
    let channels = segments[0].dbfs.len();
    let mut analyzer = Analyzer::new(rate, channels).unwrap();
    let mut buffers = vec![vec![0.0f32; BLOCK]; channels];
    let mut n = 0u64;
    for segment in segments {
        let gains: Vec<f64> = segment
            .dbfs
            .iter()
            .map(|db| 10f64.powf(db / 20.0))
            .collect();
        let mut remaining = (segment.seconds * f64::from(rate)).round() as usize;
        while remaining > 0 {
            let frames = remaining.min(BLOCK);
            for i in 0..frames {
                let x = (TAU * TONE_HZ * (n + i as u64) as f64 / f64::from(rate)).sin();
                for (buffer, gain) in buffers.iter_mut().zip(&gains) {
                    buffer[i] = (gain * x) as f32;
                }
            }
            let block: Vec<&[f32]> = buffers.iter().map(|b| &b[..frames]).collect();
            analyzer.push(&block).unwrap();
            n += frames as u64;
            remaining -= frames;
        }
    }
    analyzer.finish()
}

/// Asserts `value` is within `expected - below ..= expected + above`.
fn assert_within(what: &str, rate: u32, value: f64, expected: f64, below: f64, above: f64) {
    assert!(
        (expected - below..=expected + above).contains(&value),
        "{what} at {rate} Hz: {value:.3}, expected {expected} (-{below} / +{above})"
    );
}

fn assert_integrated(case: &str, rate: u32, analysis: &Analysis, expected: f64) {
    assert_within(
        &format!("{case} integrated"),
        rate,
        analysis.integrated_lufs,
        expected,
        0.1,
        0.1,
    );
}

#[test]
fn tech3341_case1_minus_23_dbfs_reads_minus_23_lufs() {
    for rate in RATES {
        let a = analyse_tone(rate, &[stereo(20.0, &[-23.0; 2])]);
        assert_integrated("3341 #1", rate, &a, -23.0);
        assert_within(
            "3341 #1 momentary",
            rate,
            a.max_momentary_lufs.unwrap(),
            -23.0,
            0.1,
            0.1,
        );
        assert_within(
            "3341 #1 short-term",
            rate,
            a.max_short_term_lufs.unwrap(),
            -23.0,
            0.1,
            0.1,
        );
    }
}

#[test]
fn tech3341_case2_minus_33_dbfs_reads_minus_33_lufs() {
    for rate in RATES {
        let a = analyse_tone(rate, &[stereo(20.0, &[-33.0; 2])]);
        assert_integrated("3341 #2", rate, &a, -33.0);
        assert_within(
            "3341 #2 momentary",
            rate,
            a.max_momentary_lufs.unwrap(),
            -33.0,
            0.1,
            0.1,
        );
        assert_within(
            "3341 #2 short-term",
            rate,
            a.max_short_term_lufs.unwrap(),
            -33.0,
            0.1,
            0.1,
        );
    }
}

#[test]
fn tech3341_case3_relative_gate_drops_the_quiet_ends() {
    for rate in RATES {
        let a = analyse_tone(
            rate,
            &[
                stereo(10.0, &[-36.0; 2]),
                stereo(60.0, &[-23.0; 2]),
                stereo(10.0, &[-36.0; 2]),
            ],
        );
        assert_integrated("3341 #3", rate, &a, -23.0);
    }
}

#[test]
fn tech3341_case4_absolute_and_relative_gates() {
    for rate in RATES {
        let a = analyse_tone(
            rate,
            &[
                stereo(10.0, &[-72.0; 2]),
                stereo(10.0, &[-36.0; 2]),
                stereo(60.0, &[-23.0; 2]),
                stereo(10.0, &[-36.0; 2]),
                stereo(10.0, &[-72.0; 2]),
            ],
        );
        assert_integrated("3341 #4", rate, &a, -23.0);
    }
}

#[test]
fn tech3341_case5_level_steps_average_to_minus_23() {
    for rate in RATES {
        let a = analyse_tone(
            rate,
            &[
                stereo(20.0, &[-26.0; 2]),
                stereo(20.1, &[-20.0; 2]),
                stereo(20.0, &[-26.0; 2]),
            ],
        );
        assert_integrated("3341 #5", rate, &a, -23.0);
    }
}

#[test]
fn tech3341_case6_five_channels_with_surround_weights() {
    // Channel order L, R, C, Ls, Rs (the meter's five-channel layout; surrounds +1.5 dB).
    for rate in RATES {
        let a = analyse_tone(
            rate,
            &[Segment {
                seconds: 20.0,
                dbfs: &[-28.0, -28.0, -24.0, -30.0, -30.0],
            }],
        );
        assert_integrated("3341 #6", rate, &a, -23.0);
    }
}

#[test]
fn tech3341_case9_short_term_after_3_s() {
    // 5 x (1.34 s at -20, 1.66 s at -30): every 3 s window holds one whole period.
    for rate in RATES {
        let period = [stereo(1.34, &[-20.0; 2]), stereo(1.66, &[-30.0; 2])];
        let segments: Vec<Segment<'_>> = (0..5)
            .flat_map(|_| {
                period.iter().map(|s| Segment {
                    seconds: s.seconds,
                    dbfs: s.dbfs,
                })
            })
            .collect();
        let a = analyse_tone(rate, &segments);
        // Readings start once 3 s have passed; every one of them is -23.0.
        assert!(a.short_term_lufs[0].time_s >= 3.0);
        for p in &a.short_term_lufs {
            assert_within("3341 #9 short-term", rate, p.level, -23.0, 0.1, 0.1);
        }
        assert_within(
            "3341 #9 max short-term",
            rate,
            a.max_short_term_lufs.unwrap(),
            -23.0,
            0.1,
            0.1,
        );
    }
}

#[test]
fn tech3341_case12_momentary_after_1_s() {
    // 25 x (0.18 s at -20, 0.22 s at -30): every 400 ms window holds one whole period.
    for rate in RATES {
        let period = [stereo(0.18, &[-20.0; 2]), stereo(0.22, &[-30.0; 2])];
        let segments: Vec<Segment<'_>> = (0..25)
            .flat_map(|_| {
                period.iter().map(|s| Segment {
                    seconds: s.seconds,
                    dbfs: s.dbfs,
                })
            })
            .collect();
        let a = analyse_tone(rate, &segments);
        let after_1_s: Vec<f64> = a
            .momentary_lufs
            .iter()
            .filter(|p| p.time_s >= 1.0)
            .map(|p| p.level)
            .collect();
        assert!(after_1_s.len() >= 90, "{} readings", after_1_s.len());
        let max = after_1_s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_within(
            "3341 #12 max momentary after 1 s",
            rate,
            max,
            -23.0,
            0.1,
            0.1,
        );
        let min = after_1_s.iter().copied().fold(f64::INFINITY, f64::min);
        assert_within(
            "3341 #12 min momentary after 1 s",
            rate,
            min,
            -23.0,
            0.1,
            0.1,
        );
    }
}

/// Length of the fades around the true-peak signals, in seconds.
const FADE_S: f64 = 0.02;

/// Analyses 1 s of a stereo sine of `amplitude` (linear) at `rate / divisor` Hz starting at
/// `phase_deg`, and returns its true peak in dBTP. The standard's signal is a steady sine; it
/// is faded in and out over 20 ms here because a sine that starts abruptly at a non-zero
/// sample really does overshoot between samples (by +0.36 dB for case 17), which is not what
/// these cases test.
fn true_peak_of(rate: u32, amplitude: f64, divisor: f64, phase_deg: f64) -> f64 {
    let frames = rate as usize;
    let fade = (FADE_S * f64::from(rate)) as usize;
    let phase = phase_deg.to_radians();
    let envelope = |n: usize| {
        let edge = n.min(frames - 1 - n);
        if edge >= fade {
            1.0
        } else {
            0.5 - 0.5 * (std::f64::consts::PI * edge as f64 / fade as f64).cos()
        }
    };
    let signal: Vec<f32> = (0..frames)
        .map(|n| (envelope(n) * amplitude * (TAU * n as f64 / divisor + phase).sin()) as f32)
        .collect();
    let mut analyzer = Analyzer::new(rate, 2).unwrap();
    for block in signal.chunks(BLOCK) {
        analyzer.push(&[block, block]).unwrap();
    }
    analyzer.finish().true_peak_dbtp
}

#[test]
fn tech3341_cases_15_to_19_true_peak() {
    // (case, amplitude FS, frequency as a fraction of the rate, phase, expected dBTP)
    let cases = [
        ("3341 #15", 0.5, 4.0, 0.0, -6.0),
        ("3341 #16", 0.5, 4.0, 45.0, -6.0),
        ("3341 #17", 0.5, 6.0, 60.0, -6.0),
        ("3341 #18", 0.5, 8.0, 67.5, -6.0),
        ("3341 #19", 1.41, 4.0, 45.0, 3.0),
    ];
    for rate in RATES {
        for (case, amplitude, divisor, phase, expected) in cases {
            let tp = true_peak_of(rate, amplitude, divisor, phase);
            assert_within(&format!("{case} true peak"), rate, tp, expected, 0.4, 0.2);
        }
    }
}

/// The loudness range of consecutive 20 s stereo segments at the given levels.
fn loudness_range_of(rate: u32, levels: &[f64]) -> f64 {
    let levels: Vec<[f64; 2]> = levels.iter().map(|&l| [l, l]).collect();
    let segments: Vec<Segment<'_>> = levels.iter().map(|l| stereo(20.0, l)).collect();
    analyse_tone(rate, &segments).loudness_range_lu
}

/// Checks the loudness range of a Tech 3342 case at every rate (tolerance +-1 LU).
fn check_loudness_range(case: &str, levels: &[f64], expected: f64) {
    for rate in RATES {
        let lra = loudness_range_of(rate, levels);
        assert_within(
            &format!("{case} loudness range"),
            rate,
            lra,
            expected,
            1.0,
            1.0,
        );
    }
}

#[test]
fn tech3342_case1_minus_20_then_minus_30_has_lra_10() {
    check_loudness_range("3342 #1", &[-20.0, -30.0], 10.0);
}

#[test]
fn tech3342_case2_minus_20_then_minus_15_has_lra_5() {
    check_loudness_range("3342 #2", &[-20.0, -15.0], 5.0);
}

#[test]
fn tech3342_case3_minus_40_then_minus_20_has_lra_20() {
    check_loudness_range("3342 #3", &[-40.0, -20.0], 20.0);
}

#[test]
fn tech3342_case4_five_steps_have_lra_15() {
    check_loudness_range("3342 #4", &[-50.0, -35.0, -20.0, -35.0, -50.0], 15.0);
}

#[test]
fn album_loudness_gates_the_tracks_together() {
    for rate in RATES {
        let loud = analyse_tone(rate, &[stereo(20.0, &[-23.0; 2])]);
        let quiet = analyse_tone(rate, &[stereo(20.0, &[-33.0; 2])]);
        let album = AlbumAnalysis::from_tracks(&[&loud, &quiet]).unwrap();
        // Equal durations: 10*log10((10^-2.3 + 10^-3.3) / 2) = -25.6 LUFS.
        assert_within(
            "album of -23 and -33",
            rate,
            album.integrated_lufs,
            -25.6,
            0.1,
            0.1,
        );
        assert_eq!(album.tracks.len(), 2);
        let relative = album.tracks[0].relative_to_album_lu;
        assert!((relative - (loud.integrated_lufs - album.integrated_lufs)).abs() < 1e-12);
        // A -50 dBFS track is below the relative gate of the pooled blocks: no change.
        let very_quiet = analyse_tone(rate, &[stereo(20.0, &[-50.0; 2])]);
        let with_quiet = AlbumAnalysis::from_tracks(&[&loud, &quiet, &very_quiet]).unwrap();
        assert!(
            (with_quiet.integrated_lufs - album.integrated_lufs).abs() < 1e-9,
            "{} vs {}",
            with_quiet.integrated_lufs,
            album.integrated_lufs
        );
    }
}
