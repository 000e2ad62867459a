//! Choosing the settings of a render: the first plan of a group (a gain alone when the
//! limiter would not act, else the gain the limiter model finds), and every correction
//! after a delivered file was measured off target (the gain by the measured error, through
//! the model or a secant over two real renders; the limiter's ceiling lowered by a true
//! peak's excess), failing when the allowed gain reduction or the render limit is reached.

use super::error::MasterError;
use super::group::{Group, group_loudness};
use super::master_chain::{GAIN_RANGE, LIMITER_CEILING_RANGE};
use super::run::{Attempt, Run};
use super::settings::RenderSettings;
use super::solver::solve_gain;
use super::track::Track;
use crate::analysis::Analysis;

/// How far a predicted gain reduction may exceed the allowed one before the run fails
/// without rendering, in dB (the model matches the limiter's reading to about 0.01 dB).
const PREDICTED_REDUCTION_SLACK_DB: f64 = 0.02;
/// Extra lowering of the limiter's ceiling after a true peak over the target's, in dB.
const CEILING_STEP_DB: f64 = 0.02;
/// The part of the tolerance a delivered loudness should land within; a file within the
/// tolerance but beyond this is rendered again while renders remain.
pub(super) const AIM_FRACTION: f64 = 0.5;
/// A correction smaller than this, in dB, changes nothing.
const NO_CHANGE_DB: f64 = 1e-6;
/// The smallest slope of loudness over gain a secant step assumes (a limiter working very
/// hard), so that a measurement's noise cannot send the gain far away.
const MIN_SLOPE: f64 = 0.1;
/// Slack on comparisons of measured peaks with the ceiling, in dB.
pub(super) const PEAK_SLACK_DB: f64 = 1e-9;

impl Run<'_> {
    /// The settings that bring the group to `target_lufs` with the limiter at `ceiling_dbtp`:
    /// a gain alone when the limiter would not act (unless `limiting` is already on), else
    /// the gain the model finds for the limiter.
    ///
    /// # Errors
    /// [`MasterError::TargetUnreachable`] when the model predicts more gain reduction than
    /// allowed.
    pub(super) fn settings_for(
        &self,
        group: &Group,
        tracks: &[Track],
        target_lufs: f64,
        ceiling_dbtp: f64,
        limiting: bool,
    ) -> Result<RenderSettings, MasterError> {
        let linear_gain =
            (target_lufs - group.pre_loudness(tracks)).clamp(GAIN_RANGE.0, GAIN_RANGE.1);
        if !limiting && group.idle(tracks, linear_gain, ceiling_dbtp, self.chain) {
            return Ok(RenderSettings {
                gain_db: linear_gain,
                ceiling_dbtp,
                limiting: false,
            });
        }
        let settings_at = |gain_db| RenderSettings {
            gain_db,
            ceiling_dbtp,
            limiting: true,
        };
        let gain = solve_gain(
            |g| {
                group
                    .predict(tracks, &settings_at(g), self.chain)
                    .integrated_lufs
            },
            target_lufs,
            linear_gain,
            GAIN_RANGE,
        );
        let settings = settings_at(gain);
        self.check_reduction(group, tracks, &settings, target_lufs)?;
        Ok(settings)
    }

    /// Fails when the model predicts more gain reduction for `settings` than allowed.
    pub(super) fn check_reduction(
        &self,
        group: &Group,
        tracks: &[Track],
        settings: &RenderSettings,
        aimed_lufs: f64,
    ) -> Result<(), MasterError> {
        let predicted = group.predict(tracks, settings, self.chain).max_reduction_db;
        match self.options.max_gain_reduction_db {
            Some(limit) if predicted > limit + PREDICTED_REDUCTION_SLACK_DB => {
                Err(self.unreachable(group, tracks, settings, predicted, aimed_lufs))
            }
            _ => Ok(()),
        }
    }

    /// The gain that the last two renders of a deliverable, through the same limiter at
    /// different gains, point to: a secant step on their measured loudness.
    pub(super) fn secant_gain(&self, group: &Group, d: usize, target_lufs: f64) -> Option<f64> {
        let history = |back: usize| -> Option<(RenderSettings, f64)> {
            let attempts: Vec<&Attempt> = group
                .tracks
                .iter()
                .map(|&t| {
                    let a = &self.attempts[t][d];
                    a.len().checked_sub(back + 1).and_then(|i| a.get(i))
                })
                .collect::<Option<_>>()?;
            let analyses: Vec<&Analysis> = attempts.iter().map(|a| &a.file.analysis).collect();
            Some((attempts.first()?.settings, group_loudness(&analyses)))
        };
        let ((before, l0), (last, l1)) = (history(1)?, history(0)?);
        let step = last.gain_db - before.gain_db;
        let same_limiter =
            before.limiting && last.limiting && before.ceiling_dbtp == last.ceiling_dbtp;
        if !same_limiter || step.abs() < 1e-6 || !(l0.is_finite() && l1.is_finite()) {
            return None;
        }
        // Limiting makes loudness grow slower than the gain, never faster or backwards.
        let slope = ((l1 - l0) / step).clamp(MIN_SLOPE, 1.0);
        Some((last.gain_db + (target_lufs - l1) / slope).clamp(GAIN_RANGE.0, GAIN_RANGE.1))
    }

    /// The error for a target that needs `needed_db` of gain reduction, with the loudness
    /// reachable within the allowed reduction.
    pub(super) fn unreachable(
        &self,
        group: &Group,
        tracks: &[Track],
        settings: &RenderSettings,
        needed_db: f64,
        aimed_lufs: f64,
    ) -> MasterError {
        let limit = self.options.max_gain_reduction_db.unwrap_or(f64::INFINITY);
        let at = |gain_db| RenderSettings {
            gain_db,
            ..*settings
        };
        let gain = solve_gain(
            |g| group.predict(tracks, &at(g), self.chain).max_reduction_db,
            limit,
            settings.gain_db,
            GAIN_RANGE,
        );
        let reachable = group.predict(tracks, &at(gain), self.chain).integrated_lufs
            + (self.target.integrated_lufs - aimed_lufs);
        MasterError::TargetUnreachable {
            track: group.name.clone(),
            target_lufs: self.target.integrated_lufs,
            needed_reduction_db: needed_db,
            max_reduction_db: limit,
            reachable_lufs: reachable.is_finite().then_some(reachable),
        }
    }

    /// New settings for a deliverable measured at `loudness` and `peak`, and why.
    ///
    /// # Errors
    /// [`MasterError::OffTarget`] when the render limit is reached or nothing can change.
    pub(super) fn correct(
        &self,
        g: usize,
        group: &Group,
        d: usize,
        tracks: &[Track],
        loudness: f64,
        peak: f64,
    ) -> Result<(String, RenderSettings), MasterError> {
        let target = self.target;
        let delivery = self.deliveries[g][d];
        let old = delivery.settings;
        let off_target = MasterError::OffTarget {
            track: group.name.clone(),
            deliverable: self.options.deliverables[d].name(),
            renders: delivery.renders,
            integrated_lufs: loudness,
            true_peak_dbtp: peak,
            target_lufs: target.integrated_lufs,
            tolerance_lu: self.options.tolerance_lu,
            ceiling_dbtp: target.true_peak_dbtp,
        };
        if delivery.renders >= self.options.max_renders || !loudness.is_finite() {
            return Err(off_target);
        }
        let mut reasons = Vec::new();
        let mut ceiling = old.ceiling_dbtp;
        let mut limiting = old.limiting;
        let excess = peak - target.true_peak_dbtp;
        if excess > PEAK_SLACK_DB {
            ceiling = (ceiling - excess - CEILING_STEP_DB).max(LIMITER_CEILING_RANGE.0);
            if limiting {
                reasons.push(format!(
                    "true peak {peak:.2} dBTP is {excess:.2} dB over the ceiling: the limiter's \
                     ceiling goes down to {ceiling:.2} dBTP"
                ));
            } else {
                limiting = true;
                reasons.push(format!(
                    "true peak {peak:.2} dBTP is {excess:.2} dB over the ceiling after gain \
                     alone: the limiter is engaged, ceiling {ceiling:.2} dBTP"
                ));
            }
        }
        let predicted = group.predict(tracks, &old, self.chain).integrated_lufs;
        let bias = if predicted.is_finite() {
            loudness - predicted
        } else {
            0.0
        };
        let deviation = loudness - target.integrated_lufs;
        if deviation.abs() > self.options.tolerance_lu * AIM_FRACTION {
            reasons.push(format!(
                "measured {loudness:.2} LUFS, {deviation:+.2} LU from the target: the gain is \
                 corrected by the measured error"
            ));
        }
        let settings = match self.secant_gain(group, d, target.integrated_lufs) {
            // Two renders through the same limiter: their measured loudness gives the real
            // slope of loudness over gain, which the model only estimates.
            Some(gain_db) if limiting && old.limiting && ceiling == old.ceiling_dbtp => {
                let settings = RenderSettings { gain_db, ..old };
                self.check_reduction(group, tracks, &settings, target.integrated_lufs)?;
                settings
            }
            _ => {
                let aimed = target.integrated_lufs - bias;
                self.settings_for(group, tracks, aimed, ceiling, limiting)?
            }
        };
        if settings.limiting && !limiting {
            reasons.push(
                "the corrected gain lifts the peaks into the limiter: the limiter is engaged"
                    .to_string(),
            );
        }
        if settings.within(&old, NO_CHANGE_DB) {
            return Err(off_target);
        }
        Ok((reasons.join("; "), settings))
    }
}
