//! What a mastering run tells its user while it works: the input measured, the plan, each
//! render and every correction with its reason, so no change of strategy goes unsaid.

use std::fmt;

use super::deliverable::Deliverable;
use super::settings::RenderSettings;

/// One step of a mastering run.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MasterEvent {
    /// The audio a track feeds the limiter (the input, or the chain's output before the
    /// limiter) was measured.
    Measured {
        /// The track.
        track: String,
        /// Its integrated loudness, in LUFS.
        integrated_lufs: f64,
        /// Its true peak as the limiter sees it, in dBTP.
        true_peak_dbtp: f64,
    },
    /// The first settings of a track (or album) were chosen.
    Planned {
        /// The track, or `album`.
        group: String,
        /// The settings.
        settings: RenderSettings,
        /// The loudness the settings are expected to give, in LUFS.
        predicted_lufs: f64,
        /// The gain reduction the limiter is expected to apply, in dB.
        predicted_reduction_db: f64,
    },
    /// A render finished.
    Rendered {
        /// The track.
        track: String,
        /// The deliverables it wrote.
        deliverables: Vec<Deliverable>,
        /// Its settings.
        settings: RenderSettings,
        /// The limiter's largest gain reduction, in dB, when it ran.
        max_reduction_db: Option<f64>,
        /// Wall time, in seconds.
        seconds: f64,
    },
    /// A delivered file was off target and is rendered again.
    Corrected {
        /// The track, or `album`.
        group: String,
        /// The deliverable.
        deliverable: Deliverable,
        /// What was wrong and what changes.
        reason: String,
        /// The new settings.
        settings: RenderSettings,
    },
}

impl fmt::Display for MasterEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MasterEvent::Measured {
                track,
                integrated_lufs,
                true_peak_dbtp,
            } => write!(
                f,
                "{track}: into the limiter at {integrated_lufs:.2} LUFS, true peak \
                 {true_peak_dbtp:.2} dBTP"
            ),
            MasterEvent::Planned {
                group,
                settings,
                predicted_lufs,
                predicted_reduction_db,
            } => write!(
                f,
                "{group}: {}; expected {predicted_lufs:.2} LUFS{}",
                describe(settings),
                if settings.limiting {
                    format!(" with up to {predicted_reduction_db:.2} dB of gain reduction")
                } else {
                    String::new()
                }
            ),
            MasterEvent::Rendered {
                track,
                deliverables,
                settings,
                max_reduction_db,
                seconds,
            } => {
                let names: Vec<&str> = deliverables.iter().map(|d| d.name()).collect();
                write!(
                    f,
                    "{track}: rendered {} in {seconds:.2} s ({}{})",
                    names.join(", "),
                    describe(settings),
                    max_reduction_db
                        .map(|r| format!(", limiter at most {r:.2} dB"))
                        .unwrap_or_default()
                )
            }
            MasterEvent::Corrected {
                group,
                deliverable,
                reason,
                settings,
            } => write!(
                f,
                "{group}: {} {reason}; rendering again with {}",
                deliverable.name(),
                describe(settings)
            ),
        }
    }
}

/// Settings in words: `gain +4.50 dB, limiter ceiling -1.10 dBTP` or `gain +4.50 dB only`.
pub fn describe(settings: &RenderSettings) -> String {
    if settings.limiting {
        format!(
            "gain {:+.2} dB into the limiter (ceiling {:.2} dBTP)",
            settings.gain_db, settings.ceiling_dbtp
        )
    } else {
        format!(
            "gain {:+.2} dB only (the limiter would not act)",
            settings.gain_db
        )
    }
}
