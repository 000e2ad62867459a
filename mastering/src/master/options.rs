//! What a mastering run is asked to do: the target, the deliverables, where they go, and
//! the limits it must respect.

use std::path::PathBuf;

use super::deliverable::Deliverable;
use super::error::MasterError;
use crate::targets::Target;

/// Settings of a mastering run. [`MasterOptions::new`] gives the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct MasterOptions {
    /// The loudness target and true-peak ceiling.
    pub target: Target,
    /// The files to deliver for every track.
    pub deliverables: Vec<Deliverable>,
    /// The folder the deliverables, the report and the plots go to (created if needed).
    pub out_dir: PathBuf,
    /// One gain for all tracks, keeping their relative loudness; the album's loudness
    /// (all tracks gated together) is brought to the target.
    pub album: bool,
    /// The most gain reduction the limiter may apply, in dB; `None`: no limit. A target
    /// that needs more fails instead of crushing the mix.
    pub max_gain_reduction_db: Option<f64>,
    /// The largest accepted deviation of a delivered file's loudness from the target, in LU
    /// (default 0.1).
    pub tolerance_lu: f64,
    /// How far under the target's ceiling the limiter's ceiling is set, in dB (default 0.1),
    /// so that resampling, dither and meters that read a little high keep the delivered true
    /// peak under the ceiling without another render.
    pub ceiling_margin_db: f64,
    /// The most renders per deliverable before giving up (default 4).
    pub max_renders: usize,
    /// Whether to draw a plot per track (default true).
    pub plot: bool,
}

impl MasterOptions {
    /// Default settings for `target`, `deliverables` and `out_dir`.
    pub fn new(
        target: Target,
        deliverables: Vec<Deliverable>,
        out_dir: impl Into<PathBuf>,
    ) -> Self {
        Self {
            target,
            deliverables,
            out_dir: out_dir.into(),
            album: false,
            max_gain_reduction_db: None,
            tolerance_lu: 0.1,
            ceiling_margin_db: 0.1,
            max_renders: 4,
            plot: true,
        }
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`MasterError::NoDeliverable`], or [`MasterError::BadSetting`] for a negative or
    /// non-finite limit, tolerance or margin.
    pub fn check(&self) -> Result<(), MasterError> {
        if self.deliverables.is_empty() {
            return Err(MasterError::NoDeliverable);
        }
        let check = |setting, value: f64, range: std::ops::RangeInclusive<f64>, expected| {
            if range.contains(&value) {
                Ok(())
            } else {
                Err(MasterError::BadSetting {
                    setting,
                    expected,
                    found: value,
                })
            }
        };
        if let Some(max) = self.max_gain_reduction_db {
            check("--max-gain-reduction", max, 0.0..=24.0, "0 to 24 dB")?;
        }
        check(
            "the tolerance",
            self.tolerance_lu,
            0.001..=10.0,
            "0.001 to 10 LU",
        )?;
        check(
            "the ceiling margin",
            self.ceiling_margin_db,
            0.0..=3.0,
            "0 to 3 dB",
        )?;
        check(
            "the render limit",
            self.max_renders as f64,
            1.0..=20.0,
            "1 to 20",
        )?;
        Ok(())
    }
}
