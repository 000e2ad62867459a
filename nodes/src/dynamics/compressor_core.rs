//! The gain path of a feed-forward compressor, shared by `compressor`,
//! `multiband_compressor` (one per band) and `deesser`: level detection (peak or RMS), the
//! soft-knee static curve, stereo link, and attack/release ballistics in the log domain,
//! with every parameter smoothed.
//!
//! # Timing, precisely
//! The ballistics smooth the gain reduction in dB with one-pole filters (smooth branching):
//! after a step of the detected level, the gain in dB covers `1 - 1/e` of its way to the new
//! static value in `attack` ms (reduction growing) or `release` ms (reduction shrinking). In
//! peak detection the level falls only once the [`PEAK_HOLD_MS`] hold has passed, so a
//! release starts that long after the signal drops; RMS detection adds the lag of its
//! [`RMS_WINDOW_MS`] average to both.
//!
//! # Per frame, then per block
//! For every frame: each channel's detector reads its key; its level in dB (the held peak,
//! the RMS, or during a detection change a crossfade of the two) goes through the static
//! curve to a target reduction; the link pulls each channel's target toward the largest one
//! (at 100 % every channel takes the target of the loudest channel's level); the ballistics
//! smooth it; the gain is `makeup - reduction` dB.
//!
//! The work is done a stage at a time over a run of up to 256 frames: detectors, levels
//! to dB and the curve, ballistics, dB to gain. Levels, dB, targets and gains are single
//! precision (four to a vector register; see [`crate::dsp::fast_db`] for the accuracy);
//! mean squares and ballistics, recursions over thousands of frames, are double. While a
//! parameter ramps the runs are one frame long. Every frame's result depends only on the
//! frames before it, never on how they were cut into blocks.
//!
//! Shortcuts, each giving exactly what the full computation would: at 100 % link a single
//! peak hold on the loudest channel (the largest of the channels' holds) and one logarithm
//! per frame; no logarithm while every level of a run is below the knee (with a margin far
//! larger than the error of the fast logarithm); one ballistics state for all channels
//! while the link is 100 % and their states are equal (they then stay equal); no
//! recursion while the state rests where a steady target keeps it (at 0 in silence); one
//! exponential while the reduction does not change.
//!
//! [`PEAK_HOLD_MS`]: crate::dsp::envelope::PEAK_HOLD_MS
//! [`RMS_WINDOW_MS`]: crate::dsp::envelope::RMS_WINDOW_MS

use mixgraph_engine::Smoothed;

use super::gain_computer::CompressorCurve;
use crate::dsp::choice_blend::{ChoiceBlend, switch_frames};
use crate::dsp::envelope::{
    Ballistics, KeySample, LEVEL_FLOOR, LevelDetector, Wanted, larger, largest,
    one_pole_coefficient, same_all_along,
};
use crate::dsp::fast_db::{amplitude_to_db, db_to_amplitude, power_to_db};

/// The detection choices, in the order of their index.
pub const DETECTION_OPTIONS: &[&str] = &["peak", "rms"];

/// A range no reduction reaches: the reduction is not limited.
pub const UNLIMITED_RANGE_DB: f64 = 1000.0;

/// The longest run of frames processed a stage at a time (the scratch buffers hold this
/// many frames per channel, so they stay in the first-level cache).
const RUN: usize = 256;

/// How far below the knee's lower edge (dB) a level must be for the curve to be skipped:
/// far more than the error of [`crate::dsp::fast_db`], so the shortcut gives exactly the
/// curve's 0.
const QUIET_MARGIN_DB: f64 = 1e-3;

/// The settings of a compressor gain path, in the units of its parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompressorSettings {
    /// Threshold in dB (peak or RMS level, as detected).
    pub threshold_db: f64,
    /// Ratio (4 means 4:1).
    pub ratio: f64,
    /// Soft knee width in dB (0: hard knee).
    pub knee_db: f64,
    /// Attack time constant in ms.
    pub attack_ms: f64,
    /// Release time constant in ms.
    pub release_ms: f64,
    /// Gain added after compression, in dB.
    pub makeup_db: f64,
    /// The largest reduction in dB ([`UNLIMITED_RANGE_DB`]: no limit).
    pub range_db: f64,
    /// Stereo link in percent: 0 lets each channel follow its own level, 100 applies the
    /// largest reduction of any channel to all of them.
    pub link_percent: f64,
    /// The detection choice index into [`DETECTION_OPTIONS`].
    pub detection: f64,
}

/// One parameter of a compressor gain path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompressorParam {
    /// [`CompressorSettings::threshold_db`].
    Threshold,
    /// [`CompressorSettings::ratio`].
    Ratio,
    /// [`CompressorSettings::knee_db`].
    Knee,
    /// [`CompressorSettings::attack_ms`].
    Attack,
    /// [`CompressorSettings::release_ms`].
    Release,
    /// [`CompressorSettings::makeup_db`].
    Makeup,
    /// [`CompressorSettings::range_db`].
    Range,
    /// [`CompressorSettings::link_percent`].
    Link,
    /// [`CompressorSettings::detection`] (switches with a short crossfade).
    Detection,
}

/// A time constant in ms, smoothed, with its one-pole coefficient recomputed only while it
/// ramps.
#[derive(Debug, Clone, Copy)]
pub struct TimeConstant {
    ms: Smoothed,
    coefficient: f64,
    sample_rate: f64,
}

impl TimeConstant {
    /// At rest at `ms`.
    pub fn new(ms: f64, sample_rate: f64) -> TimeConstant {
        TimeConstant {
            ms: Smoothed::new(ms),
            coefficient: one_pole_coefficient(ms, sample_rate),
            sample_rate,
        }
    }

    /// Ramps to `ms` over `frames` frames.
    pub fn set(&mut self, ms: f64, frames: usize) {
        self.ms.set(ms, frames);
        if frames == 0 {
            self.coefficient = one_pole_coefficient(ms, self.sample_rate);
        }
    }

    /// Jumps to `ms`.
    pub fn reset(&mut self, ms: f64) {
        self.set(ms, 0);
    }

    /// Advances one frame and returns the coefficient.
    #[inline]
    pub fn next_coefficient(&mut self) -> f64 {
        if !self.ms.is_settled() {
            self.coefficient = one_pole_coefficient(self.ms.next(), self.sample_rate);
        }
        self.coefficient
    }

    /// The coefficient now, without advancing.
    pub fn coefficient(&self) -> f64 {
        self.coefficient
    }

    /// Whether the time constant has stopped ramping.
    pub fn is_settled(&self) -> bool {
        self.ms.is_settled()
    }
}

/// Every parameter's value for a run of frames (one frame while something ramps), in the
/// precision each stage works in.
#[derive(Debug, Clone, Copy, PartialEq)]
struct RunSettings {
    curve: CompressorCurve<f32>,
    makeup: f64,
    link: f32,
    attack: f64,
    release: f64,
    peak_weight: f32,
    rms_weight: f32,
}

impl RunSettings {
    #[allow(
        clippy::too_many_arguments,
        reason = "one value per parameter, straight from the smoothers"
    )]
    fn new(
        [threshold, ratio, knee, range]: [f64; 4],
        makeup: f64,
        link: f64,
        attack: f64,
        release: f64,
        [peak_weight, rms_weight]: [f64; 2],
    ) -> RunSettings {
        RunSettings {
            curve: CompressorCurve::new(threshold as f32, ratio as f32, knee as f32, range as f32),
            makeup,
            link: link as f32,
            attack,
            release,
            peak_weight: peak_weight as f32,
            rms_weight: rms_weight as f32,
        }
    }

    /// Whether one detector alone gives the level (no detection crossfade running).
    fn single_detector(&self) -> bool {
        self.peak_weight == 0.0 || self.rms_weight == 0.0
    }

    /// The level in dB of a channel at a frame, from its held peak and mean square.
    #[inline(always)]
    fn level_db(&self, peak: f32, power: f32) -> f32 {
        if self.rms_weight == 0.0 {
            peak_db(peak)
        } else if self.peak_weight == 0.0 {
            mean_square_db(power)
        } else {
            self.peak_weight * peak_db(peak) + self.rms_weight * mean_square_db(power)
        }
    }
}

/// The smallest level the detectors report ([`LEVEL_FLOOR`]), in single precision.
const FLOOR: f32 = LEVEL_FLOOR as f32;

/// A held peak in dB, floored at [`LEVEL_FLOOR`].
#[inline(always)]
fn peak_db(peak: f32) -> f32 {
    amplitude_to_db(larger(peak, FLOOR))
}

/// A mean square as an RMS level in dB, floored at [`LEVEL_FLOOR`].
#[inline(always)]
fn mean_square_db(power: f32) -> f32 {
    power_to_db(larger(power, FLOOR * FLOOR))
}

/// The levels at and below which a curve is known to reduce nothing, in the linear units
/// the detectors report, for the knee edge they were computed for.
#[derive(Debug, Clone, Copy, PartialEq)]
struct QuietBounds {
    onset_db: f32,
    peak: f32,
    power: f32,
}

impl QuietBounds {
    fn new(onset_db: f32) -> QuietBounds {
        let db = f64::from(onset_db) - QUIET_MARGIN_DB;
        QuietBounds {
            onset_db,
            peak: 10f64.powf(db / 20.0) as f32,
            power: 10f64.powf(db / 10.0) as f32,
        }
    }
}

/// The gain path of a compressor over a fixed number of detector channels.
///
/// Each block: give [`CompressorCore::process`] each channel's key (the signal its
/// detector listens to), then read each channel's linear gain (makeup included) from
/// [`CompressorCore::gains`].
#[derive(Debug, Clone)]
pub struct CompressorCore {
    initial: CompressorSettings,
    threshold: Smoothed,
    ratio: Smoothed,
    knee: Smoothed,
    makeup: Smoothed,
    range: Smoothed,
    link: Smoothed,
    attack: TimeConstant,
    release: TimeConstant,
    detection: ChoiceBlend<2>,
    detector: LevelDetector,
    ballistics: Vec<Ballistics>,
    max_reduction: f64,
    max_block: usize,
    quiet: Option<QuietBounds>,
    /// Per channel, [`RUN`] frames each: held peaks, then targets.
    peaks: Vec<f32>,
    /// Per channel, [`RUN`] frames each: mean squares.
    powers: Vec<f32>,
    /// [`RUN`] frames: the loudest channel's level, then the linked target.
    shared: Vec<f32>,
    /// Per channel, [`RUN`] frames each: reductions in dB.
    reductions: Vec<f64>,
    /// Per channel, `max_block` frames each: gains.
    gains: Vec<f32>,
}

impl CompressorCore {
    /// A gain path for `channels` channels at `sample_rate`, processing up to `max_block`
    /// frames per call; allocates.
    pub fn new(
        sample_rate: f64,
        channels: usize,
        max_block: usize,
        settings: CompressorSettings,
    ) -> CompressorCore {
        let s = settings;
        let channels = channels.max(1);
        let max_block = max_block.max(1);
        CompressorCore {
            initial: s,
            threshold: Smoothed::new(s.threshold_db),
            ratio: Smoothed::new(s.ratio),
            knee: Smoothed::new(s.knee_db),
            makeup: Smoothed::new(s.makeup_db),
            range: Smoothed::new(s.range_db),
            link: Smoothed::new(s.link_percent / 100.0),
            attack: TimeConstant::new(s.attack_ms, sample_rate),
            release: TimeConstant::new(s.release_ms, sample_rate),
            detection: ChoiceBlend::new(s.detection, switch_frames(sample_rate)),
            detector: LevelDetector::new(sample_rate, channels),
            ballistics: vec![Ballistics::new(); channels],
            max_reduction: 0.0,
            max_block,
            quiet: None,
            peaks: vec![0.0; channels * RUN],
            powers: vec![0.0; channels * RUN],
            shared: vec![0.0; RUN],
            reductions: vec![0.0; channels * RUN],
            gains: vec![1.0; channels * max_block],
        }
    }

    /// The number of channels.
    pub fn channels(&self) -> usize {
        self.detector.channels()
    }

    /// The most frames one call to [`CompressorCore::process`] handles.
    pub fn max_block(&self) -> usize {
        self.max_block
    }

    /// Changes a parameter, ramping over `frames` frames.
    pub fn set(&mut self, param: CompressorParam, value: f64, frames: usize) {
        match param {
            CompressorParam::Threshold => self.threshold.set(value, frames),
            CompressorParam::Ratio => self.ratio.set(value, frames),
            CompressorParam::Knee => self.knee.set(value, frames),
            CompressorParam::Attack => self.attack.set(value, frames),
            CompressorParam::Release => self.release.set(value, frames),
            CompressorParam::Makeup => self.makeup.set(value, frames),
            CompressorParam::Range => self.range.set(value, frames),
            CompressorParam::Link => self.link.set(value / 100.0, frames),
            CompressorParam::Detection => self.detection.set(value),
        }
    }

    /// Runs `frames` frames (at most [`CompressorCore::max_block`]): `key(c)` holds the
    /// detector input of channel `c` for these frames (samples past its end read as
    /// silence). Afterwards [`CompressorCore::gains`] holds each channel's gain for them.
    pub fn process<'k, T: KeySample + 'k>(
        &mut self,
        key: impl Fn(usize) -> &'k [T],
        frames: usize,
    ) {
        let frames = frames.min(self.max_block);
        let mut start = 0;
        while start < frames {
            let (settings, end) = if self.is_settled() {
                (self.settings_now(), (start + RUN).min(frames))
            } else {
                (self.next_frame_settings(), start + 1)
            };
            self.run(&key, start, end, &settings);
            start = end;
        }
    }

    /// The gain of channel `c` for each frame of the last [`CompressorCore::process`]
    /// (`max_block` values, the first `frames` of them written; empty for a channel that
    /// does not exist).
    pub fn gains(&self, channel: usize) -> &[f32] {
        let n = self.max_block;
        self.gains
            .get(channel * n..(channel + 1) * n)
            .unwrap_or(&[])
    }

    /// Whether no parameter is ramping.
    fn is_settled(&self) -> bool {
        [
            &self.threshold,
            &self.ratio,
            &self.knee,
            &self.makeup,
            &self.range,
            &self.link,
        ]
        .iter()
        .all(|s| s.is_settled())
            && self.attack.is_settled()
            && self.release.is_settled()
            && self.detection.is_settled()
    }

    /// The settings of a run with no parameter ramping.
    fn settings_now(&mut self) -> RunSettings {
        let s = RunSettings::new(
            [&self.threshold, &self.ratio, &self.knee, &self.range].map(Smoothed::value),
            self.makeup.value(),
            self.link.value(),
            self.attack.coefficient(),
            self.release.coefficient(),
            self.detection.weights(),
        );
        let onset = s.curve.onset_db();
        if self.quiet.is_none_or(|q| q.onset_db != onset) {
            self.quiet = Some(QuietBounds::new(onset));
        }
        s
    }

    /// Advances every parameter one frame and returns the settings of that frame.
    fn next_frame_settings(&mut self) -> RunSettings {
        // No shortcut while the threshold or knee ramps (its bounds would cost a `powf`).
        self.quiet = None;
        RunSettings::new(
            [
                &mut self.threshold,
                &mut self.ratio,
                &mut self.knee,
                &mut self.range,
            ]
            .map(Smoothed::next),
            self.makeup.next(),
            self.link.next(),
            self.attack.next_coefficient(),
            self.release.next_coefficient(),
            self.detection.next(),
        )
    }

    /// Frames `start..end` (at most [`RUN`] of them) with fixed settings.
    fn run<'k, T: KeySample + 'k>(
        &mut self,
        key: &impl Fn(usize) -> &'k [T],
        start: usize,
        end: usize,
        s: &RunSettings,
    ) {
        let n = end - start;
        // At 100 % link with one detector, the loudest channel's level gives every
        // channel's target; otherwise each channel's own level gives its target.
        let linked = s.link == 1.0;
        let loudest_only = linked && s.single_detector();
        // 1. Detectors: held peaks (those listened to) and mean squares.
        let want = Wanted {
            peaks: !loudest_only && s.peak_weight != 0.0,
            loudest: loudest_only && s.rms_weight == 0.0,
            powers: s.rms_weight != 0.0,
        };
        self.detector.process(
            |c| key(c).get(start..end).unwrap_or(&[]),
            n,
            want,
            &mut self.peaks,
            &mut self.powers,
            &mut self.shared,
            RUN,
        );
        self.shape(start, end, s);
    }

    /// Frames `start..end` after detection: targets, ballistics and gains.
    fn shape(&mut self, start: usize, end: usize, s: &RunSettings) {
        let n = end - start;
        let linked = s.link == 1.0;
        let loudest_only = linked && s.single_detector();
        let Some(shared) = self.shared.get_mut(..n) else {
            return;
        };
        // 2. Targets.
        if loudest_only {
            let bound = if s.rms_weight == 0.0 {
                self.quiet.map(|q| q.peak)
            } else {
                // The loudest channel's mean square.
                shared.fill(0.0);
                for powers in self.powers.chunks_exact(RUN) {
                    for (m, &p) in shared.iter_mut().zip(&powers[..n]) {
                        *m = larger(*m, p);
                    }
                }
                self.quiet.map(|q| q.power)
            };
            if bound.is_some_and(|b| shared.iter().all(|&l| l <= b)) {
                // Every level below the knee: every target is exactly 0, without a logarithm.
                shared.fill(0.0);
            } else if s.rms_weight == 0.0 {
                for t in shared.iter_mut() {
                    *t = s.curve.reduction(peak_db(*t));
                }
            } else {
                for t in shared.iter_mut() {
                    *t = s.curve.reduction(mean_square_db(*t));
                }
            }
        } else {
            for (peaks, powers) in self
                .peaks
                .chunks_exact_mut(RUN)
                .zip(self.powers.chunks_exact(RUN))
            {
                for (p, &q) in peaks[..n].iter_mut().zip(&powers[..n]) {
                    *p = s.curve.reduction(s.level_db(*p, q));
                }
            }
            if linked || s.link > 0.0 {
                shared.fill(0.0);
                for targets in self.peaks.chunks_exact(RUN) {
                    for (m, &t) in shared.iter_mut().zip(&targets[..n]) {
                        *m = larger(*m, t);
                    }
                }
            }
            if !linked && s.link > 0.0 {
                // Each channel's target moves `link` of the way to the largest.
                for targets in self.peaks.chunks_exact_mut(RUN) {
                    for (t, &m) in targets[..n].iter_mut().zip(shared.iter()) {
                        *t += s.link * (m - *t);
                    }
                }
            }
        }
        // 3. Ballistics: reductions in dB.
        let shared_state = linked && self.ballistics.windows(2).all(|w| w[0] == w[1]);
        for (c, (ballistics, reductions)) in self
            .ballistics
            .iter_mut()
            .zip(self.reductions.chunks_exact_mut(RUN))
            .enumerate()
        {
            if shared_state && c > 0 {
                break;
            }
            let targets = if linked {
                &shared[..]
            } else {
                &self.peaks[c * RUN..c * RUN + n]
            };
            // (At rest, with nothing to reduce, this only fills zeros.)
            ballistics.run(targets, &mut reductions[..n], s.attack, s.release);
        }
        // 4. Gains from reductions.
        let mb = self.max_block;
        for (c, (gains, reductions)) in self
            .gains
            .chunks_exact_mut(mb)
            .zip(self.reductions.chunks_exact(RUN))
            .enumerate()
        {
            if shared_state && c > 0 {
                break;
            }
            let (out, reductions) = (&mut gains[start..end], &reductions[..n]);
            let most = largest(reductions);
            self.max_reduction = larger(self.max_reduction, most);
            if most == 0.0 {
                out.fill(db_to_amplitude(s.makeup as f32));
            } else if let Some(r) = same_all_along(reductions) {
                out.fill(db_to_amplitude((s.makeup - r) as f32));
            } else {
                // The gains in dB first, so the exponentials run four to a register.
                for (d, &r) in shared.iter_mut().zip(reductions) {
                    *d = (s.makeup - r) as f32;
                }
                for (g, &d) in out.iter_mut().zip(shared.iter()) {
                    *g = db_to_amplitude(d);
                }
            }
        }
        if shared_state {
            let (first, rest) = self.gains.split_at_mut(mb);
            for gains in rest.chunks_exact_mut(mb) {
                gains[start..end].copy_from_slice(&first[start..end]);
            }
            if let Some((first, rest)) = self.ballistics.split_first_mut() {
                rest.fill(*first);
            }
        }
    }

    /// The largest gain reduction applied since activation or the last reset, in dB.
    pub fn max_reduction_db(&self) -> f64 {
        self.max_reduction
    }

    /// Clears the detectors and ballistics and returns every parameter to its initial value.
    pub fn reset(&mut self) {
        let s = self.initial;
        self.threshold.reset(s.threshold_db);
        self.ratio.reset(s.ratio);
        self.knee.reset(s.knee_db);
        self.makeup.reset(s.makeup_db);
        self.range.reset(s.range_db);
        self.link.reset(s.link_percent / 100.0);
        self.attack.reset(s.attack_ms);
        self.release.reset(s.release_ms);
        self.detection.reset(s.detection);
        self.detector.reset();
        self.ballistics.iter_mut().for_each(Ballistics::reset);
        self.max_reduction = 0.0;
        self.quiet = None;
    }
}

/// The runs `(offset, frames)` covering `0..frames`, each at most `max_block` long: how a node
/// feeds a host block of any size through a [`CompressorCore`].
pub fn runs(frames: usize, max_block: usize) -> impl Iterator<Item = (usize, usize)> {
    let max_block = max_block.max(1);
    (0..frames)
        .step_by(max_block)
        .map(move |offset| (offset, max_block.min(frames - offset)))
}
