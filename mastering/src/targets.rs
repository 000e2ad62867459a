//! Loudness targets of the delivery platforms and broadcast standards: integrated loudness,
//! true-peak ceiling and the tolerance within which a master is on target.

use mixgraph_engine::catalog::closest_name;
use serde::Serialize;

use crate::analysis::Analysis;
use crate::error::TargetError;

/// A loudness target: where a master's integrated loudness should land and the true-peak
/// level it must stay under.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Target {
    /// The target's name (`spotify`, `ebu-r128`, ..., or `custom`).
    pub name: &'static str,
    /// Integrated loudness to aim for, in LUFS.
    pub integrated_lufs: f64,
    /// Highest true peak allowed, in dBTP.
    pub true_peak_dbtp: f64,
    /// Largest accepted deviation of the integrated loudness from the aim, in LU (either way).
    pub tolerance_lu: f64,
}

/// Tolerance of the streaming and podcast targets, in LU. The platforms normalise playback,
/// so the master only has to land near the reference level.
const STREAMING_TOLERANCE_LU: f64 = 1.0;

/// The named targets, in the order they are listed to users.
const PRESETS: &[Target] = &[
    // Spotify asks for -2 dBTP when the master is louder than -14 LUFS; at the target, -1.
    preset("spotify", -14.0, -1.0, STREAMING_TOLERANCE_LU),
    preset("apple", -16.0, -1.0, STREAMING_TOLERANCE_LU),
    // YouTube turns loud tracks down and never quiet ones up.
    preset("youtube", -14.0, -1.0, STREAMING_TOLERANCE_LU),
    preset("tidal", -14.0, -1.0, STREAMING_TOLERANCE_LU),
    preset("amazon", -14.0, -2.0, STREAMING_TOLERANCE_LU),
    // EBU R128: +-0.5 LU for file-based programmes (+-1 LU live).
    preset("ebu-r128", -23.0, -1.0, 0.5),
    preset("atsc-a85", -24.0, -2.0, 2.0),
    // Common podcast practice for stereo (mono podcasts aim at -19 LUFS).
    preset("podcast", -16.0, -1.0, STREAMING_TOLERANCE_LU),
];

const fn preset(name: &'static str, lufs: f64, tp: f64, tolerance: f64) -> Target {
    Target {
        name,
        integrated_lufs: lufs,
        true_peak_dbtp: tp,
        tolerance_lu: tolerance,
    }
}

/// How a measured piece of audio compares with a target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TargetCheck {
    /// Measured minus aimed integrated loudness, in LU (positive: too loud); `None` for silence.
    pub loudness_deviation_lu: Option<f64>,
    /// Whether the integrated loudness is within the target's tolerance.
    pub loudness_ok: bool,
    /// Measured true peak minus the ceiling, in dB (positive: over the ceiling).
    pub true_peak_margin_db: f64,
    /// Whether the true peak is at or below the ceiling.
    pub true_peak_ok: bool,
}

impl TargetCheck {
    /// Whether both the loudness and the true peak are on target.
    pub fn passes(&self) -> bool {
        self.loudness_ok && self.true_peak_ok
    }
}

impl Target {
    /// Every named target.
    pub fn presets() -> &'static [Target] {
        PRESETS
    }

    /// The named target (`spotify`, `apple`, `youtube`, `tidal`, `amazon`, `ebu-r128`,
    /// `atsc-a85`, `podcast`), ignoring case.
    ///
    /// # Errors
    /// [`TargetError::UnknownTarget`] with the closest name when the name is unknown.
    pub fn by_name(name: &str) -> Result<Target, TargetError> {
        let wanted = name.trim();
        PRESETS
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(wanted))
            .copied()
            .ok_or_else(|| TargetError::UnknownTarget {
                name: name.to_string(),
                suggestion: closest_name(wanted, PRESETS.iter().map(|t| t.name)),
                known: PRESETS
                    .iter()
                    .map(|t| t.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// A custom target, named `custom`, with a tolerance of 0.5 LU.
    ///
    /// # Errors
    /// [`TargetError::OutOfRange`] unless the loudness is within -70..=0 LUFS and the ceiling
    /// within -20..=0 dBTP.
    pub fn custom(integrated_lufs: f64, true_peak_dbtp: f64) -> Result<Target, TargetError> {
        if !(-70.0..=0.0).contains(&integrated_lufs) || !(-20.0..=0.0).contains(&true_peak_dbtp) {
            return Err(TargetError::OutOfRange {
                integrated_lufs,
                true_peak_dbtp,
            });
        }
        Ok(preset("custom", integrated_lufs, true_peak_dbtp, 0.5))
    }

    /// Compares an analysis with this target.
    pub fn check(&self, analysis: &Analysis) -> TargetCheck {
        let deviation = analysis.integrated_lufs - self.integrated_lufs;
        let loudness_deviation_lu = deviation.is_finite().then_some(deviation);
        // A tolerance computed in floating point must not fail a reading printed as on the edge.
        let slack = 1e-9;
        let true_peak_margin_db = analysis.true_peak_dbtp - self.true_peak_dbtp;
        TargetCheck {
            loudness_deviation_lu,
            loudness_ok: loudness_deviation_lu
                .is_some_and(|d| d.abs() <= self.tolerance_lu + slack),
            true_peak_margin_db,
            true_peak_ok: true_peak_margin_db <= slack,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_targets_carry_the_published_figures() {
        let expect = [
            ("spotify", -14.0, -1.0),
            ("apple", -16.0, -1.0),
            ("youtube", -14.0, -1.0),
            ("tidal", -14.0, -1.0),
            ("amazon", -14.0, -2.0),
            ("ebu-r128", -23.0, -1.0),
            ("atsc-a85", -24.0, -2.0),
            ("podcast", -16.0, -1.0),
        ];
        for (name, lufs, tp) in expect {
            let t = Target::by_name(name).unwrap();
            assert_eq!(
                (t.name, t.integrated_lufs, t.true_peak_dbtp),
                (name, lufs, tp)
            );
        }
        assert_eq!(Target::by_name("ebu-r128").unwrap().tolerance_lu, 0.5);
        assert_eq!(Target::by_name("atsc-a85").unwrap().tolerance_lu, 2.0);
        assert_eq!(Target::by_name(" Spotify ").unwrap().name, "spotify");
        assert_eq!(Target::presets().len(), expect.len());
    }

    #[test]
    fn unknown_names_suggest_the_closest() {
        let err = Target::by_name("spotfy").unwrap_err();
        let TargetError::UnknownTarget { suggestion, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*suggestion, Some("spotify"));
        assert!(err.to_string().contains("did you mean `spotify`"), "{err}");
        assert!(err.to_string().contains("ebu-r128"), "{err}");
        let err = Target::by_name("vinyl").unwrap_err();
        assert!(matches!(
            err,
            TargetError::UnknownTarget {
                suggestion: None,
                ..
            }
        ));
    }

    #[test]
    fn check_compares_loudness_and_true_peak() {
        // A stereo 1 kHz sine at -23 dBFS reads -23 LUFS and -23 dBTP.
        let analysis = crate::test_support::analyse_stereo_sine(10f64.powf(-23.0 / 20.0), 4.0);
        let ebu = Target::by_name("ebu-r128").unwrap().check(&analysis);
        assert!(ebu.passes(), "{ebu:?}");
        assert!(ebu.loudness_deviation_lu.unwrap().abs() < 0.1);
        assert!((ebu.true_peak_margin_db - (analysis.true_peak_dbtp + 1.0)).abs() < 1e-12);
        // Against Spotify it is 9 LU too quiet; its peak is still under the ceiling.
        let spotify = Target::by_name("spotify").unwrap().check(&analysis);
        assert!((spotify.loudness_deviation_lu.unwrap() + 9.0).abs() < 0.1);
        assert!(!spotify.loudness_ok && spotify.true_peak_ok && !spotify.passes());
        // A ceiling below the peak fails the true-peak check only: -10 dBFS against -12 dBTP.
        let hot = crate::test_support::analyse_stereo_sine(10f64.powf(-10.0 / 20.0), 4.0);
        let low = Target::custom(-10.0, -12.0).unwrap().check(&hot);
        assert!(low.loudness_ok && !low.true_peak_ok, "{low:?}");
        assert!((low.true_peak_margin_db - 2.0).abs() < 0.05);
        // Silence has no loudness to compare.
        let silence = crate::test_support::analyse_stereo_sine(0.0, 1.0);
        let check = Target::by_name("podcast").unwrap().check(&silence);
        assert_eq!(check.loudness_deviation_lu, None);
        assert!(!check.loudness_ok && check.true_peak_ok);
    }

    #[test]
    fn custom_targets_are_range_checked() {
        let t = Target::custom(-12.0, -0.5).unwrap();
        assert_eq!(
            (t.name, t.integrated_lufs, t.true_peak_dbtp),
            ("custom", -12.0, -0.5)
        );
        assert!(matches!(
            Target::custom(3.0, -1.0),
            Err(TargetError::OutOfRange { .. })
        ));
        assert!(matches!(
            Target::custom(-14.0, 1.0),
            Err(TargetError::OutOfRange { .. })
        ));
        assert!(matches!(
            Target::custom(f64::NAN, -1.0),
            Err(TargetError::OutOfRange { .. })
        ));
    }
}
