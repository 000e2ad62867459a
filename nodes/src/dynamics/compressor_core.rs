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
//! [`PEAK_HOLD_MS`]: crate::dsp::envelope::PEAK_HOLD_MS
//! [`RMS_WINDOW_MS`]: crate::dsp::envelope::RMS_WINDOW_MS

use mixgraph_engine::{Smoothed, db_to_gain};

use super::gain_computer::compressor_reduction;
use crate::dsp::choice_blend::{ChoiceBlend, switch_frames};
use crate::dsp::envelope::{Ballistics, LevelDetector, level_db, one_pole_coefficient};

/// The detection choices, in the order of their index.
pub const DETECTION_OPTIONS: &[&str] = &["peak", "rms"];

/// A range no reduction reaches: the reduction is not limited.
pub const UNLIMITED_RANGE_DB: f64 = 1000.0;

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
}

/// The gain path of a compressor over a fixed number of channels.
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
    detectors: Vec<LevelDetector>,
    ballistics: Vec<Ballistics>,
    targets: Vec<f64>,
    max_reduction: f64,
}

impl CompressorCore {
    /// A gain path for `channels` channels at `sample_rate`; allocates.
    pub fn new(sample_rate: f64, channels: usize, settings: CompressorSettings) -> CompressorCore {
        let s = settings;
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
            detectors: vec![LevelDetector::new(sample_rate); channels],
            ballistics: vec![Ballistics::new(); channels],
            targets: vec![0.0; channels],
            max_reduction: 0.0,
        }
    }

    /// The number of channels.
    pub fn channels(&self) -> usize {
        self.detectors.len()
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

    /// One frame: `keys[c]` is the detector input of channel `c`; writes the linear gain
    /// (makeup included) of every channel to `gains`. Extra keys or gains are ignored.
    #[inline]
    pub fn process(&mut self, keys: &[f64], gains: &mut [f64]) {
        let threshold = self.threshold.next();
        let ratio = self.ratio.next();
        let knee = self.knee.next();
        let makeup = self.makeup.next();
        let range = self.range.next();
        let link = self.link.next();
        let attack = self.attack.next_coefficient();
        let release = self.release.next_coefficient();
        let [w_peak, w_rms] = self.detection.next();
        let mut loudest: f64 = 0.0;
        for ((target, detector), &key) in self.targets.iter_mut().zip(&mut self.detectors).zip(keys)
        {
            let (peak, rms) = detector.process(key);
            let level = if w_rms == 0.0 {
                level_db(peak)
            } else if w_peak == 0.0 {
                level_db(rms)
            } else {
                w_peak * level_db(peak) + w_rms * level_db(rms)
            };
            *target = compressor_reduction(level, threshold, ratio, knee).min(range);
            loudest = loudest.max(*target);
        }
        for ((gain, ballistics), &target) in gains
            .iter_mut()
            .zip(&mut self.ballistics)
            .zip(&self.targets)
        {
            let linked = target + link * (loudest - target);
            let reduction = ballistics.process(linked, attack, release);
            self.max_reduction = self.max_reduction.max(reduction);
            *gain = db_to_gain(makeup - reduction);
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
        self.detectors.iter_mut().for_each(LevelDetector::reset);
        self.ballistics.iter_mut().for_each(Ballistics::reset);
        self.max_reduction = 0.0;
    }
}
