//! Warnings about audio handed to mastering: already limited or clipped, lossy, without
//! headroom, or (for an album) at mixed sample rates.

use std::fmt;

use mixgraph_engine::io::AudioInfo;
use serde::{Deserialize, Serialize};

use crate::analysis::Analysis;

/// A problem with the input found by the analysis. Serialized with a `kind` tag and the
/// figures that triggered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Warning {
    /// Peaks close to full scale with little dynamic range above the loudness: the mix has
    /// probably been limited already, leaving mastering nothing to work with.
    AlreadyLimited {
        /// Peak-to-loudness ratio, in dB.
        plr_db: f64,
        /// True peak, in dBTP.
        true_peak_dbtp: f64,
    },
    /// Runs of full-scale samples: the audio has been clipped.
    Clipped {
        /// Clipped runs over all channels.
        runs: u64,
        /// Samples in those runs.
        samples: u64,
    },
    /// The audio went through a lossy codec; its artefacts get louder in mastering.
    LossyInput {
        /// The codec's short name.
        codec: String,
    },
    /// Sample peaks above the headroom a mix for mastering should keep.
    NoHeadroom {
        /// Highest sample peak, in dBFS.
        sample_peak_dbfs: f64,
        /// The level peaks should stay below, in dBFS.
        limit_dbfs: f64,
    },
    /// Files of one album or session at different sample rates.
    MixedSampleRates {
        /// The distinct rates, ascending, in Hz.
        rates_hz: Vec<u32>,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::AlreadyLimited {
                plr_db,
                true_peak_dbtp,
            } => write!(
                f,
                "already limited: true peak {true_peak_dbtp:.1} dBTP with a peak-to-loudness \
                 ratio of only {plr_db:.1} dB; send a mix without master-bus limiting"
            ),
            Warning::Clipped { runs, samples } => write!(
                f,
                "clipped: {runs} run(s) of consecutive full-scale samples ({samples} samples); \
                 lower the mix level before bouncing"
            ),
            Warning::LossyInput { codec } => write!(
                f,
                "lossy input ({codec}): mastering brings up its artefacts; use the WAV or FLAC \
                 original"
            ),
            Warning::NoHeadroom {
                sample_peak_dbfs,
                limit_dbfs,
            } => write!(
                f,
                "no headroom: peaks reach {sample_peak_dbfs:.1} dBFS, above {limit_dbfs:.1} dBFS; \
                 a mix for mastering should peak around -3 to -6 dBFS"
            ),
            Warning::MixedSampleRates { rates_hz } => {
                let rates: Vec<String> = rates_hz.iter().map(|r| format!("{r} Hz")).collect();
                write!(
                    f,
                    "mixed sample rates: {}; files will be resampled",
                    rates.join(", ")
                )
            }
        }
    }
}

/// Levels at which the mastering-input warnings trigger.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WarningThresholds {
    /// A true peak above this, in dBTP, together with a low PLR, means already limited
    /// (default -1.5).
    pub limited_true_peak_dbtp: f64,
    /// A peak-to-loudness ratio below this, in dB, with a high true peak, means already
    /// limited (default 8).
    pub limited_plr_db: f64,
    /// Sample peaks above this, in dBFS, leave no headroom (default -1).
    pub headroom_dbfs: f64,
}

impl Default for WarningThresholds {
    fn default() -> Self {
        Self {
            limited_true_peak_dbtp: -1.5,
            limited_plr_db: 8.0,
            headroom_dbfs: -1.0,
        }
    }
}

/// Warnings about one file meant as input to mastering, in a fixed order: lossy, clipped,
/// already limited, no headroom.
pub fn mastering_input_warnings(
    analysis: &Analysis,
    info: &AudioInfo,
    thresholds: &WarningThresholds,
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    if info.lossy {
        warnings.push(Warning::LossyInput {
            codec: info.codec.clone(),
        });
    }
    if analysis.clipped_runs() > 0 {
        warnings.push(Warning::Clipped {
            runs: analysis.clipped_runs(),
            samples: analysis.clipped_samples(),
        });
    }
    if let Some(plr_db) = analysis.plr_db() {
        if plr_db < thresholds.limited_plr_db
            && analysis.true_peak_dbtp > thresholds.limited_true_peak_dbtp
        {
            warnings.push(Warning::AlreadyLimited {
                plr_db,
                true_peak_dbtp: analysis.true_peak_dbtp,
            });
        }
    }
    if analysis.sample_peak_dbfs > thresholds.headroom_dbfs {
        warnings.push(Warning::NoHeadroom {
            sample_peak_dbfs: analysis.sample_peak_dbfs,
            limit_dbfs: thresholds.headroom_dbfs,
        });
    }
    warnings
}

/// Warnings about tracks or stems that belong together (an album, a session).
pub fn album_warnings(tracks: &[&Analysis]) -> Vec<Warning> {
    let mut rates_hz: Vec<u32> = tracks.iter().map(|t| t.sample_rate).collect();
    rates_hz.sort_unstable();
    rates_hz.dedup();
    if rates_hz.len() > 1 {
        vec![Warning::MixedSampleRates { rates_hz }]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{analyse_blocks, analyse_stereo_sine, sine};

    fn wav_info() -> AudioInfo {
        AudioInfo {
            sample_rate: 48_000,
            channels: 2,
            frames: None,
            codec: "pcm_s24le".into(),
            container: "wave".into(),
            bits_per_sample: Some(24),
            lossy: false,
        }
    }

    fn kinds(warnings: &[Warning]) -> Vec<&'static str> {
        warnings
            .iter()
            .map(|w| match w {
                Warning::AlreadyLimited { .. } => "limited",
                Warning::Clipped { .. } => "clipped",
                Warning::LossyInput { .. } => "lossy",
                Warning::NoHeadroom { .. } => "headroom",
                Warning::MixedSampleRates { .. } => "rates",
            })
            .collect()
    }

    #[test]
    fn a_mix_with_headroom_raises_nothing() {
        // Peaks at -6 dBFS: a sine has a PLR near 0, but the true peak is far below -1.5 dBTP.
        let analysis = analyse_stereo_sine(0.5, 2.0);
        let warnings = mastering_input_warnings(&analysis, &wav_info(), &Default::default());
        assert_eq!(warnings, Vec::new());
    }

    #[test]
    fn a_loud_dense_mix_is_already_limited_and_has_no_headroom() {
        // A sine at -0.5 dBFS: PLR about 0 dB (< 8) and true peak -0.5 dBTP (> -1.5).
        let analysis = analyse_stereo_sine(10f64.powf(-0.5 / 20.0), 2.0);
        let warnings = mastering_input_warnings(&analysis, &wav_info(), &Default::default());
        assert_eq!(kinds(&warnings), ["limited", "headroom"]);
        let Warning::AlreadyLimited {
            plr_db,
            true_peak_dbtp,
        } = warnings[0]
        else {
            panic!()
        };
        assert_eq!(Some(plr_db), analysis.plr_db());
        assert_eq!(true_peak_dbtp, analysis.true_peak_dbtp);
        assert!(
            warnings[1].to_string().contains("-0.5 dBFS"),
            "{}",
            warnings[1]
        );
    }

    #[test]
    fn clipping_and_lossy_codecs_are_reported() {
        let clipped: Vec<f32> = sine(48_000, 100.0, 2.0, 1.0)
            .iter()
            .map(|x| x.clamp(-1.0, 1.0))
            .collect();
        let analysis = analyse_blocks(48_000, &[clipped.clone(), clipped], 4096);
        let info = AudioInfo {
            codec: "mp3".into(),
            lossy: true,
            bits_per_sample: None,
            ..wav_info()
        };
        let warnings = mastering_input_warnings(&analysis, &info, &Default::default());
        assert_eq!(
            kinds(&warnings),
            ["lossy", "clipped", "limited", "headroom"]
        );
        assert_eq!(
            warnings[1],
            Warning::Clipped {
                runs: analysis.clipped_runs(),
                samples: analysis.clipped_samples()
            }
        );
        // 100 Hz clipped at 1.0 from amplitude 2: two runs per period on each of 2 channels.
        assert_eq!(analysis.clipped_runs(), 400);
        assert!(warnings[0].to_string().contains("mp3"));
    }

    #[test]
    fn thresholds_are_configurable() {
        let analysis = analyse_stereo_sine(0.5, 2.0);
        let strict = WarningThresholds {
            headroom_dbfs: -10.0,
            ..Default::default()
        };
        let warnings = mastering_input_warnings(&analysis, &wav_info(), &strict);
        assert_eq!(kinds(&warnings), ["headroom"]);
    }

    #[test]
    fn mixed_sample_rates_are_listed_once_each() {
        let a = analyse_blocks(44_100, &[sine(44_100, 1000.0, 0.1, 0.5)], 4096);
        let b = analyse_blocks(48_000, &[sine(48_000, 1000.0, 0.1, 0.5)], 4096);
        assert_eq!(album_warnings(&[&a, &a]), Vec::new());
        let warnings = album_warnings(&[&b, &a, &b]);
        assert_eq!(
            warnings,
            [Warning::MixedSampleRates {
                rates_hz: vec![44_100, 48_000]
            }]
        );
        assert_eq!(
            warnings[0].to_string(),
            "mixed sample rates: 44100 Hz, 48000 Hz; files will be resampled"
        );
    }
}
