//! `limiter`: a lookahead true-peak limiter. The gain is computed from the 4x-interpolated
//! (true) peak of the signal, so inter-sample peaks stay under the ceiling too.
//!
//! # How the ceiling is kept
//! 1. **Detect**: every channel is interpolated 4x ([`crate::dsp::true_peak`], 80 dB
//!    stopband); for each frame the largest interpolated magnitude of any channel gives the
//!    attenuation `A = max(0, 20 log10(peak / ceiling))` that frame needs.
//! 2. **Hold**: a sliding maximum of `A` over `D + 2K` frames, where `D` is the ramp length
//!    and `K` a neighbourhood, so every frame within `K` of a peak is held too.
//! 3. **Release**: the held attenuation decays toward 0 dB with the `release` time constant
//!    (never below the hold).
//! 4. **Ramp**: a moving average over `D` frames. Every value it averages at a peak is at
//!    least that peak's need, so the gain reaches its target before the peak arrives and
//!    stays flat within `K` frames of it; the signal is delayed to line up.
//! 5. **Safety**: the gained signal is interpolated 4x again; wherever an interpolated
//!    peak would still exceed the ceiling (two peaks close together, a parameter ramp),
//!    the samples that make up that peak are turned down by exactly the excess. Last, a
//!    clamp to the ceiling guards against rounding.
//!
//! The interpolated peak is kept [`METER_MARGIN_DB`] under the ceiling (the main stage aims
//! a further 0.03 dB lower), so meters whose interpolation filters overshoot read no more
//! than the ceiling either.
//!
//! The whole path is linked across channels (one gain for all), so the image does not
//! move. The latency is the `lookahead` time (at least [`MIN_LATENCY_FRAMES`]).
//!
//! # Cost
//! Work runs a chunk of frames at a time, each step over contiguous slices: the detectors
//! interpolate a whole chunk per channel in `f32`, folded on the filter's symmetry
//! ([`crate::dsp::true_peak`], vectorized), decibels come from the polynomial conversions
//! of [`crate::dsp::fast_db`] and only for chunks with a frame over a threshold, the holds
//! run block-wise, and gains are converted once per change (per frame only while a
//! parameter ramps). Two shortcuts spare work without changing a sample:
//! - the gain computer is skipped while there is nothing to hold, release or ramp;
//! - the safety detector is skipped where measuring could find no excess: where the main
//!   gain was exactly 1 over a whole kernel, its peaks are the main detector's, delayed;
//!   elsewhere a bound on how far the main gain's changes can move a peak decides, a few
//!   frames at a time (see `LimiterProcessor::measure_where_needed`).
//!
//! Every frame goes through the same operations whatever the block size, so the output
//! does not depend on it.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, PortSpec,
    ProcessContext, Processor, Reading, ReadingValue, Smoothed, Unit,
};

use super::compressor_core::TimeConstant;
use crate::dsp::block_history::BlockHistory;
use crate::dsp::envelope::{WindowMax, larger};
use crate::dsp::fast_db::{amplitude_to_db, db_to_amplitude};
use crate::dsp::true_peak::{self, TruePeakKernel};

/// The `limiter` node type.
pub struct Limiter;

const INPUT_GAIN: usize = 0;
const CEILING: usize = 1;
const RELEASE: usize = 2;

/// Delay of one detector, in frames.
const DETECTOR_DELAY: usize = true_peak::DELAY;
/// Frames on each side of a peak over which the main gain is held flat.
const NEIGHBOURHOOD: usize = DETECTOR_DELAY / 2;
/// Frames by which the safety stage delays the signal: the whole interpolation kernel, so
/// every sample that makes up a peak is turned down by that peak's excess.
const SAFETY_DELAY: usize = 2 * DETECTOR_DELAY;
/// The smallest latency the limiter can have: two detectors (the safety stage holds a whole
/// interpolation kernel) and the neighbourhood.
pub const MIN_LATENCY_FRAMES: usize = 3 * DETECTOR_DELAY + NEIGHBOURHOOD;
/// How far under the ceiling the output's 4x-interpolated peak is kept. Interpolating
/// true-peak meters overshoot an ideal reconstruction for content near a third of the sample
/// rate: the 48-tap filter of libebur128 (also in ffmpeg) reads up to 0.11 dB high there.
/// This margin keeps such meters at or under the ceiling.
pub const METER_MARGIN_DB: f64 = 0.12;
/// How much further under the ceiling the main stage aims, so the safety stage rarely acts.
const MAIN_HEADROOM_DB: f64 = 0.03;
/// How much further under the ceiling the safety stage measures, for the rounding of its
/// `f32` detector ([`true_peak::RELATIVE_ERROR`], 1e-5: below 0.0001 dB) with ten times to
/// spare.
const ROUNDING_MARGIN_DB: f64 = 0.001;
/// Frames processed together; every buffer is sized for it when the node is activated.
const CHUNK: usize = 256;
/// Frames the safety stage decides about together (measure them or not).
const DECISION_FRAMES: usize = 16;
/// Input samples are limited to this magnitude (non-finite ones read as silence): far beyond
/// any signal, yet its true peak and the gain that tames it stay normal `f32` numbers.
const MAX_INPUT: f32 = 1e30;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "limiter",
    doc: "Lookahead true-peak limiter: the 4x-oversampled peak of the output never exceeds the ceiling",
    category: Category::Dynamics,
    source: "nodes/src/dynamics/limiter.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[
        ParamSpec::number(
            "input_gain",
            "Gain before limiting (drives the signal into the ceiling)",
            Unit::Db,
            0.0,
            24.0,
            0.0,
            20.0,
        ),
        ParamSpec::number(
            "ceiling",
            "Largest true peak of the output",
            Unit::Dbtp,
            -24.0,
            0.0,
            -1.0,
            20.0,
        ),
        ParamSpec::number(
            "release",
            "Time for the gain reduction to fall by 1-1/e once peaks stop",
            Unit::Ms,
            1.0,
            2000.0,
            100.0,
            20.0,
        ),
        ParamSpec::number(
            "lookahead",
            "Delay that lets the gain ramp down before a peak: the latency (fixed when the chain is built)",
            Unit::Ms,
            2.0,
            20.0,
            5.0,
            0.0,
        ),
    ],
};

impl NodeType for Limiter {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(Box::new(LimiterProcessor::new(config, true)))
    }
}

impl LimiterProcessor {
    /// A processor for `config`; `shortcuts` off makes the safety stage measure every frame
    /// (for tests that check the shortcuts change nothing). Allocates.
    fn new(config: &NodeConfig<'_>, shortcuts: bool) -> LimiterProcessor {
        let p = config.params;
        let channels = config.input_channels.first().copied().unwrap_or(0).max(1);
        let latency = config
            .ms_to_frames(p.number("lookahead"))
            .max(MIN_LATENCY_FRAMES + 1);
        let ramp = latency + 1 - MIN_LATENCY_FRAMES;
        let main_delay = DETECTOR_DELAY + ramp - 1 + NEIGHBOURHOOD;
        let initial = Settings {
            input_gain_db: p.number("input_gain"),
            ceiling_db: p.number("ceiling"),
            release_ms: p.number("release"),
        };
        LimiterProcessor {
            initial,
            input_gain: DbParam::new(initial.input_gain_db),
            ceiling: DbParam::new(initial.ceiling_db),
            release: TimeConstant::new(initial.release_ms, config.sample_rate),
            kernel: TruePeakKernel::new(),
            inputs: vec![BlockHistory::new(main_delay + true_peak::HISTORY, CHUNK); channels],
            main_delay,
            hold: QuietHold::new(ramp + 2 * NEIGHBOURHOOD),
            released: 0.0,
            ramp: MovingAverage::new(ramp),
            main_peaks: BlockHistory::new(main_delay, CHUNK),
            gained: vec![BlockHistory::new(SAFETY_DELAY, CHUNK); channels],
            gains: BlockHistory::new(true_peak::HISTORY, CHUNK),
            unity_frames: 0,
            shortcuts,
            safety_hold: QuietHold::new(SAFETY_DELAY + 1),
            main_threshold: Threshold::under_ceiling(METER_MARGIN_DB + MAIN_HEADROOM_DB),
            safety_threshold: Threshold::under_ceiling(METER_MARGIN_DB + ROUNDING_MARGIN_DB),
            scratch: Scratch::new(),
            latency,
            max_reduction: 0.0,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Settings {
    input_gain_db: f64,
    ceiling_db: f64,
    release_ms: f64,
}

/// A smoothed parameter in dB and its linear factor, converted once per frame only while
/// it ramps (and once when it settles on a new value).
struct DbParam {
    db: Smoothed,
    /// The dB value `linear` was computed for.
    settled_db: f64,
    linear: f32,
}

impl DbParam {
    fn new(db: f64) -> DbParam {
        DbParam {
            db: Smoothed::new(db),
            settled_db: db,
            linear: db_to_amplitude(db as f32),
        }
    }

    fn set(&mut self, db: f64, frames: usize) {
        self.db.set(db, frames);
    }

    fn reset(&mut self, db: f64) {
        self.db.reset(db);
    }

    /// Advances over `db.len()` frames, writing each frame's value in dB and as a factor.
    fn fill(&mut self, db: &mut [f32], linear: &mut [f32]) {
        if self.db.is_settled() {
            let value = self.db.value();
            if value != self.settled_db {
                self.settled_db = value;
                self.linear = db_to_amplitude(value as f32);
            }
            db.fill(value as f32);
            linear.fill(self.linear);
        } else {
            for (d, l) in db.iter_mut().zip(linear.iter_mut()) {
                *d = self.db.next() as f32;
                *l = db_to_amplitude(*d);
            }
        }
    }
}

/// The mean of the last `len` values (all at least zero), kept as a running sum that is
/// recomputed exactly once per lap so rounding cannot drift, and that is exactly zero
/// whenever every value is.
struct MovingAverage {
    ring: Vec<f64>,
    pos: usize,
    sum: f64,
    /// How many values have been zero in a row (counted up to the length).
    zeros: usize,
}

impl MovingAverage {
    fn new(len: usize) -> MovingAverage {
        MovingAverage {
            ring: vec![0.0; len.max(1)],
            pos: 0,
            sum: 0.0,
            zeros: len.max(1),
        }
    }

    #[inline]
    fn push(&mut self, x: f64) -> f64 {
        let len = self.ring.len();
        if let Some(slot) = self.ring.get_mut(self.pos) {
            self.sum += x - *slot;
            *slot = x;
        }
        self.zeros = if x == 0.0 {
            (self.zeros + 1).min(len)
        } else {
            0
        };
        self.pos += 1;
        if self.pos == len {
            self.pos = 0;
            self.sum = self.ring.iter().sum();
        } else if self.zeros == len {
            self.sum = 0.0;
        }
        (self.sum / len as f64).max(0.0)
    }

    /// Whether every value is zero, so pushing zeros returns zero.
    fn is_zero(&self) -> bool {
        self.zeros == self.ring.len()
    }

    /// Pushes `frames` zeros into an average of zeros.
    fn skip_zeros(&mut self, frames: usize) {
        if self.is_zero() {
            self.pos = (self.pos + frames) % self.ring.len();
            self.sum = 0.0;
        }
    }

    fn reset(&mut self) {
        self.ring.fill(0.0);
        self.pos = 0;
        self.sum = 0.0;
        self.zeros = self.ring.len();
    }
}

/// A peak hold ([`WindowMax`]) that knows when it holds nothing but zeros, so a stage with
/// nothing to hold can feed it without computing maxima.
struct QuietHold {
    hold: WindowMax,
    /// How many of the last values were zero (counted up to the window).
    zeros: usize,
}

impl QuietHold {
    fn new(window: usize) -> QuietHold {
        QuietHold {
            hold: WindowMax::new(window),
            zeros: window,
        }
    }

    /// Whether every value in the window is zero.
    fn is_empty(&self) -> bool {
        self.zeros >= self.hold.window()
    }

    /// Replaces each of `values` (at least 0) by the largest of the last `window` values.
    fn process(&mut self, values: &mut [f32]) {
        self.count_zeros(values);
        self.hold.process(values);
    }

    /// Takes in `values` without computing maxima (all zero while the hold is empty).
    fn feed(&mut self, values: &[f32]) {
        self.count_zeros(values);
        self.hold.feed(values);
    }

    fn count_zeros(&mut self, values: &[f32]) {
        let trailing = values.iter().rev().take_while(|&&v| v == 0.0).count();
        self.zeros = if trailing == values.len() {
            self.zeros.saturating_add(trailing).min(self.hold.window())
        } else {
            trailing
        };
    }

    fn reset(&mut self) {
        self.hold.reset();
        self.zeros = self.hold.window();
    }
}

/// Per-frame values of one chunk.
#[derive(Default)]
struct Scratch {
    input_gain_db: Vec<f32>,
    input_gain: Vec<f32>,
    ceiling_db: Vec<f32>,
    ceiling: Vec<f32>,
    peaks: Vec<f32>,
    /// The main stage's need in dB, then held.
    need: Vec<f32>,
    /// The main stage's reduction in dB.
    reduction: Vec<f32>,
    /// The safety stage's excess in dB, then held.
    excess: Vec<f32>,
    gain: Vec<f32>,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            input_gain_db: vec![0.0; CHUNK],
            input_gain: vec![0.0; CHUNK],
            ceiling_db: vec![0.0; CHUNK],
            ceiling: vec![0.0; CHUNK],
            peaks: vec![0.0; CHUNK],
            need: vec![0.0; CHUNK],
            reduction: vec![0.0; CHUNK],
            excess: vec![0.0; CHUNK],
            gain: vec![0.0; CHUNK],
        }
    }
}

struct LimiterProcessor {
    initial: Settings,
    input_gain: DbParam,
    ceiling: DbParam,
    release: TimeConstant,
    kernel: TruePeakKernel,
    /// Per channel: the input after the input gain, for the main detector and the delay.
    inputs: Vec<BlockHistory>,
    /// The main detector's peaks, for the safety stage to reuse.
    main_peaks: BlockHistory,
    /// Frames from the main detector's input to the main gain.
    main_delay: usize,
    hold: QuietHold,
    /// The held attenuation after release, in dB.
    released: f64,
    ramp: MovingAverage,
    /// Per channel: the signal after the main gain, for the safety detector and its delay.
    gained: Vec<BlockHistory>,
    /// The main gain of each frame, for the safety stage's bound.
    gains: BlockHistory,
    /// How many of the most recent frames had a main gain of exactly 1.
    unity_frames: usize,
    /// Whether the safety stage may skip frames it proves cannot exceed its threshold.
    shortcuts: bool,
    safety_hold: QuietHold,
    /// Where the main stage starts to act.
    main_threshold: Threshold,
    /// Where the safety stage starts to act.
    safety_threshold: Threshold,
    scratch: Scratch,
    latency: usize,
    max_reduction: f64,
}

/// A level `margin_db` under the ceiling, as a factor and in dB.
#[derive(Debug, Clone, Copy)]
struct Threshold {
    margin_db: f32,
    factor: f32,
}

impl Threshold {
    fn under_ceiling(margin_db: f64) -> Threshold {
        let margin_db = margin_db as f32;
        Threshold {
            margin_db,
            factor: db_to_amplitude(-margin_db),
        }
    }

    /// Writes how far in dB each frame's peak exceeds the threshold under that frame's
    /// ceiling (0 at or under it); returns whether any does. Logarithms are taken only for
    /// a chunk with a frame over the threshold.
    fn exceedances(
        self,
        peaks: &[f32],
        ceiling: &[f32],
        ceiling_db: &[f32],
        out: &mut [f32],
    ) -> bool {
        let over = peaks
            .iter()
            .zip(ceiling)
            .fold(false, |any, (&p, &c)| any | (p > c * self.factor));
        if !over {
            out.fill(0.0);
            return false;
        }
        for (((o, &p), &c), &c_db) in out.iter_mut().zip(peaks).zip(ceiling).zip(ceiling_db) {
            let over = amplitude_to_db(p) - (c_db - self.margin_db);
            *o = if (p > c * self.factor) & (over > 0.0) {
                over
            } else {
                0.0
            };
        }
        true
    }
}

/// `10^(-db / 20)` of each value, exactly 1 for 0 dB.
#[inline]
fn attenuations(db: &[f32], out: &mut [f32]) {
    for (o, &d) in out.iter_mut().zip(db) {
        *o = db_to_amplitude(-d);
    }
}

/// Copies `from` into `to` as far as both reach.
#[inline]
fn copy(from: &[f32], to: &mut [f32]) {
    for (t, &f) in to.iter_mut().zip(from) {
        *t = f;
    }
}

/// `x` limited to `-limit..=limit` (by comparisons, so a loop of them vectorizes).
#[inline(always)]
fn limit(x: f32, limit: f32) -> f32 {
    let x = if x > limit { limit } else { x };
    if x < -limit { -limit } else { x }
}

/// Writes `input` times `gain` into `block`, limited to [`MAX_INPUT`], non-finite input
/// samples silent. The common case is one pass of multiplications and comparisons; samples
/// that are not finite (rare) are found by a second, and only then replaced.
fn gained_input(input: &[f32], gain: &[f32], block: &mut [f32]) {
    for ((b, &x), &g) in block.iter_mut().zip(input).zip(gain) {
        *b = limit(x * g, MAX_INPUT);
    }
    let finite = |x: f32| x.abs() < f32::INFINITY;
    if !input.iter().fold(true, |all, &x| all & finite(x)) {
        for (b, &x) in block.iter_mut().zip(input) {
            if !finite(x) {
                *b = 0.0;
            }
        }
    }
}

impl LimiterProcessor {
    /// The safety detector's peaks of this chunk's frames, measured only in the groups of
    /// frames where they might exceed the safety threshold (zero elsewhere, where measuring
    /// would find no excess either).
    ///
    /// With `y = g x` the gained signal, `x` the delayed input and `P` the main detector's
    /// peak of the same frame, each interpolated value of `y` is at most
    /// `g_c P + sensitivity * S * M` ([`TruePeakKernel::ramp_sensitivity`]), where `g_c` is
    /// the gain at the frame's centre sample, `S` the largest step of the gain between two
    /// samples and `M` the largest `|x|` around. The rounding of both detectors adds at most
    /// [`true_peak::RELATIVE_ERROR`] of `M` (times the largest gain) each. While the gain
    /// moves slowly (a release) the bound stays under the threshold, since the main stage
    /// already aims 0.03 dB under it.
    fn measure_where_needed(&self, ceiling: &[f32], peaks: &mut [f32]) {
        let back = true_peak::HISTORY;
        let gains = self.gains.with_history(back);
        let later = gains.get(1..).unwrap_or(&[]);
        let step = gains
            .iter()
            .zip(later)
            .fold(0.0f32, |m, (&a, &b)| larger(m, (b - a).abs()));
        let loudest_gain = gains.iter().fold(0.0f32, |m, &g| larger(m, g));
        let loudest = self.inputs.iter().fold(0.0f32, |m, input| {
            input
                .window(self.main_delay, back)
                .iter()
                .fold(m, |m, x| larger(m, x.abs()))
        });
        let spread = loudest
            * (self.kernel.ramp_sensitivity() * step
                + 2.0 * true_peak::RELATIVE_ERROR * loudest_gain);
        let centre = self.gains.delayed(true_peak::DELAY);
        let main = self.main_peaks.delayed(self.main_delay);
        let factor = self.safety_threshold.factor;
        let frames = peaks.len();
        peaks.fill(0.0);
        let mut start = 0;
        while start < frames {
            let end = (start + DECISION_FRAMES).min(frames);
            let quiet = match (
                centre.get(start..end),
                main.get(start..end),
                ceiling.get(start..end),
            ) {
                (Some(centre), Some(main), Some(ceiling)) => centre
                    .iter()
                    .zip(main)
                    .zip(ceiling)
                    .fold(true, |quiet, ((&g, &p), &c)| {
                        quiet & ((g * p + spread) * (1.0 + 1e-6) <= c * factor)
                    }),
                _ => false,
            };
            if !quiet {
                for gained in &self.gained {
                    let samples = gained.with_history(back);
                    if let (Some(samples), Some(peaks)) =
                        (samples.get(start..end + back), peaks.get_mut(start..end))
                    {
                        self.kernel.raise_peaks(samples, peaks);
                    }
                }
            }
            start = end;
        }
    }

    /// Processes frames `start..start + frames` of the call (`frames` at most [`CHUNK`]).
    fn process_chunk(&mut self, ctx: &mut ProcessContext<'_>, start: usize, frames: usize) {
        // Taken out while the chunk runs (an empty `Scratch` holds no memory) so the stages
        // can borrow the rest of `self`.
        let mut scratch = std::mem::take(&mut self.scratch);
        let s = &mut scratch;
        let n = frames.min(CHUNK);
        let (input_gain_db, input_gain) = (&mut s.input_gain_db[..n], &mut s.input_gain[..n]);
        let (ceiling_db, ceiling) = (&mut s.ceiling_db[..n], &mut s.ceiling[..n]);
        let (peaks, need) = (&mut s.peaks[..n], &mut s.need[..n]);
        let (reduction, excess, gain) =
            (&mut s.reduction[..n], &mut s.excess[..n], &mut s.gain[..n]);
        self.input_gain.fill(input_gain_db, input_gain);
        self.ceiling.fill(ceiling_db, ceiling);

        // Main stage: detect each frame's need.
        peaks.fill(0.0);
        for (c, history) in self.inputs.iter_mut().enumerate() {
            let input = ctx
                .inputs
                .channel(0, c)
                .get(start..start + n)
                .unwrap_or(&[]);
            let block = history.begin(n);
            block.fill(0.0);
            gained_input(input, input_gain, block);
            self.kernel
                .raise_peaks(history.with_history(true_peak::HISTORY), peaks);
        }
        copy(peaks, self.main_peaks.begin(n));
        let needs = self
            .main_threshold
            .exceedances(peaks, ceiling, ceiling_db, need);

        // Hold, release and ramp; skipped while there is nothing to hold or release.
        let idle = !needs && self.hold.is_empty() && self.released == 0.0 && self.ramp.is_zero();
        if idle {
            self.hold.feed(need);
            self.ramp.skip_zeros(n);
            for _ in 0..n {
                self.release.next_coefficient();
            }
            reduction.fill(0.0);
            gain.fill(1.0);
            self.unity_frames = self.unity_frames.saturating_add(n);
        } else {
            self.hold.process(need);
            for (r, &held) in reduction.iter_mut().zip(need.iter()) {
                let coefficient = self.release.next_coefficient();
                self.released = f64::from(held).max(self.released * coefficient);
                if self.released < 1e-9 {
                    self.released = 0.0;
                }
                *r = self.ramp.push(self.released) as f32;
            }
            attenuations(reduction, gain);
            let trailing = gain.iter().rev().take_while(|&&g| g == 1.0).count();
            self.unity_frames = if trailing == n {
                self.unity_frames.saturating_add(n)
            } else {
                trailing
            };
        }

        // Safety stage: measure the gained signal.
        copy(gain, self.gains.begin(n));
        for (input, gained) in self.inputs.iter().zip(self.gained.iter_mut()) {
            let block = gained.begin(n);
            for ((y, &x), &g) in block
                .iter_mut()
                .zip(input.delayed(self.main_delay))
                .zip(gain.iter())
            {
                *y = x * g;
            }
        }
        if self.shortcuts && self.unity_frames >= n + true_peak::HISTORY {
            // The main gain was exactly 1 over every kernel: the gained samples are the main
            // detector's input samples, so their peaks are its peaks, delayed.
            copy(self.main_peaks.delayed(self.main_delay), peaks);
        } else if self.shortcuts {
            self.measure_where_needed(ceiling, peaks);
        } else {
            peaks.fill(0.0);
            for gained in &self.gained {
                self.kernel
                    .raise_peaks(gained.with_history(true_peak::HISTORY), peaks);
            }
        }
        let over = self
            .safety_threshold
            .exceedances(peaks, ceiling, ceiling_db, excess);
        let correct = over || !self.safety_hold.is_empty();
        if correct {
            self.safety_hold.process(excess);
            for (&e, &r) in excess.iter().zip(reduction.iter()) {
                self.max_reduction = self.max_reduction.max(f64::from(r + e));
            }
            attenuations(excess, gain);
        } else {
            self.safety_hold.feed(excess);
            if !idle {
                let most = reduction.iter().fold(0.0f32, |m, &r| larger(m, r));
                self.max_reduction = self.max_reduction.max(f64::from(most));
            }
        }

        // Output: the gained signal, delayed over the safety kernel, corrected and clamped.
        for (c, gained) in self.gained.iter().enumerate() {
            let out = ctx.outputs.channel(0, c);
            let Some(out) = out.get_mut(start..start + n) else {
                continue;
            };
            let delayed = gained.delayed(SAFETY_DELAY);
            if correct {
                for (((o, &x), &g), &c) in out
                    .iter_mut()
                    .zip(delayed)
                    .zip(gain.iter())
                    .zip(ceiling.iter())
                {
                    *o = limit(x * g, c);
                }
            } else {
                for ((o, &x), &c) in out.iter_mut().zip(delayed).zip(ceiling.iter()) {
                    *o = limit(x, c);
                }
            }
        }
        self.inputs.iter_mut().for_each(BlockHistory::commit);
        self.main_peaks.commit();
        self.gains.commit();
        self.gained.iter_mut().for_each(BlockHistory::commit);
        self.scratch = scratch;
    }
}

impl Processor for LimiterProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let frames = ctx.frames();
        let mut start = 0;
        while start < frames {
            let n = (frames - start).min(CHUNK);
            self.process_chunk(ctx, start, n);
            start += n;
        }
    }

    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        match index {
            INPUT_GAIN => self.input_gain.set(value, ramp_frames),
            CEILING => self.ceiling.set(value, ramp_frames),
            RELEASE => self.release.set(value, ramp_frames),
            // The lookahead is fixed when the chain is built: it is the latency.
            _ => {}
        }
    }

    fn reset(&mut self) {
        let s = self.initial;
        self.input_gain.reset(s.input_gain_db);
        self.ceiling.reset(s.ceiling_db);
        self.release.reset(s.release_ms);
        self.inputs.iter_mut().for_each(BlockHistory::reset);
        self.hold.reset();
        self.released = 0.0;
        self.ramp.reset();
        self.main_peaks.reset();
        self.gains.reset();
        self.gained.iter_mut().for_each(BlockHistory::reset);
        self.unity_frames = 0;
        self.safety_hold.reset();
        self.max_reduction = 0.0;
    }

    fn latency(&self) -> usize {
        self.latency
    }

    fn readings(&self) -> Vec<Reading> {
        vec![Reading {
            name: "max_gain_reduction",
            value: ReadingValue::Scalar(self.max_reduction),
            unit: Unit::Db,
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, PortAudio, num};

    /// The true peak of every channel in dBTP, measured by the `ebur128` crate.
    fn ebur128_true_peak_db(audio: &PortAudio, sample_rate: f64) -> f64 {
        let mut meter = ebur128::EbuR128::new(
            audio.len() as u32,
            sample_rate as u32,
            ebur128::Mode::TRUE_PEAK,
        )
        .unwrap();
        let planes: Vec<&[f32]> = audio.iter().map(Vec::as_slice).collect();
        meter.add_frames_planar_f32(&planes).unwrap();
        (0..audio.len())
            .map(|c| 20.0 * meter.true_peak(c as u32).unwrap().log10())
            .fold(f64::NEG_INFINITY, f64::max)
    }

    fn noise_bursts(sample_rate: f64) -> PortAudio {
        let len = (0.6 * sample_rate) as usize;
        let burst = (0.05 * sample_rate) as usize;
        let mut noise = testkit::noise(3, 2, len);
        for ch in &mut noise {
            for (n, x) in ch.iter_mut().enumerate() {
                *x *= if (n / burst) % 2 == 0 { 2.0 } else { 0.05 };
            }
        }
        noise
    }

    /// Kick- and snare-like hits: decaying sines that start at full amplitude.
    fn drum_hits(sample_rate: f64) -> PortAudio {
        let len = (0.6 * sample_rate) as usize;
        let period = (0.15 * sample_rate) as usize;
        let one: Vec<f32> = (0..len)
            .map(|n| {
                let t = (n % period) as f64 / sample_rate;
                let kick =
                    1.8 * (2.0 * std::f64::consts::PI * 60.0 * t + 1.3).sin() * (-t / 0.08).exp();
                let snap =
                    1.2 * (2.0 * std::f64::consts::PI * 3100.0 * t + 0.4).sin() * (-t / 0.01).exp();
                (kick + snap) as f32
            })
            .collect();
        let other: Vec<f32> = one
            .iter()
            .enumerate()
            .map(|(n, x)| x * if n % 3 == 0 { 0.7 } else { 1.0 })
            .collect();
        vec![one, other]
    }

    fn square(freq: f64, sample_rate: f64) -> PortAudio {
        let len = (0.5 * sample_rate) as usize;
        let one: Vec<f32> = (0..len)
            .map(|n| {
                if (n as f64 * freq / sample_rate).fract() < 0.5 {
                    1.0
                } else {
                    -1.0
                }
            })
            .collect();
        vec![one.clone(), one]
    }

    /// A sine at a third of the sample rate, where short interpolation filters overshoot.
    fn third_rate_sine(phase_deg: f64, sample_rate: f64) -> PortAudio {
        let len = (0.5 * sample_rate) as usize;
        let phase = phase_deg.to_radians();
        let w = 2.0 * std::f64::consts::PI * 0.334;
        let one: Vec<f32> = (0..len)
            .map(|n| (1.8 * (w * n as f64 + phase).sin()) as f32)
            .collect();
        vec![one.clone(), one]
    }

    /// A sine at `fraction` of the sample rate with a phase offset, 1.6 FS.
    fn sine_at(fraction: f64, phase_deg: f64, sample_rate: f64) -> PortAudio {
        let len = (0.5 * sample_rate) as usize;
        let (w, phase) = (
            2.0 * std::f64::consts::PI * fraction,
            phase_deg.to_radians(),
        );
        let one: Vec<f32> = (0..len)
            .map(|n| (1.6 * (w * n as f64 + phase).sin()) as f32)
            .collect();
        vec![one.clone(), one]
    }

    /// A 1.6 FS sweep from 0.3 to 0.495 times the sample rate (where interpolation filters
    /// differ most), the right channel a quarter-turn behind.
    fn sweep_to_nyquist(sample_rate: f64) -> PortAudio {
        let len = (0.5 * sample_rate) as usize;
        let (from, to) = (0.3, 0.495);
        (0..2)
            .map(|c| {
                (0..len)
                    .map(|n| {
                        let t = n as f64 / len as f64;
                        let cycles = n as f64 * (from + 0.5 * (to - from) * t);
                        let phase = 2.0 * std::f64::consts::PI * cycles - c as f64 * 1.5;
                        (1.6 * phase.sin()) as f32
                    })
                    .collect()
            })
            .collect()
    }

    /// EBU Tech 3341 style: a sine at fs/4 with a phase offset, 1.41 FS.
    fn quarter_rate_sine(phase_deg: f64, sample_rate: f64) -> PortAudio {
        let len = (0.5 * sample_rate) as usize;
        let phase = phase_deg.to_radians();
        let one: Vec<f32> = (0..len)
            .map(|n| (1.41 * (std::f64::consts::FRAC_PI_2 * n as f64 + phase).sin()) as f32)
            .collect();
        vec![one.clone(), one]
    }

    #[test]
    fn the_true_peak_never_exceeds_the_ceiling() {
        for sample_rate in [44_100.0, 48_000.0] {
            let signals: Vec<(&str, PortAudio)> = vec![
                ("noise bursts", noise_bursts(sample_rate)),
                ("drum hits", drum_hits(sample_rate)),
                ("square 1 kHz", square(1000.0, sample_rate)),
                ("square 97 Hz", square(97.0, sample_rate)),
                ("fs/4 0 deg", quarter_rate_sine(0.0, sample_rate)),
                ("fs/4 45 deg", quarter_rate_sine(45.0, sample_rate)),
                ("fs/4 67.5 deg", quarter_rate_sine(67.5, sample_rate)),
                ("fs/3 0 deg", third_rate_sine(0.0, sample_rate)),
                ("fs/3 60 deg", third_rate_sine(60.0, sample_rate)),
                ("0.3 to 0.495 fs sweep", sweep_to_nyquist(sample_rate)),
                ("0.42 fs 0 deg", sine_at(0.42, 0.0, sample_rate)),
                ("0.42 fs 71 deg", sine_at(0.42, 71.0, sample_rate)),
                ("0.47 fs 33 deg", sine_at(0.47, 33.0, sample_rate)),
                ("0.47 fs 90 deg", sine_at(0.47, 90.0, sample_rate)),
                ("0.49 fs 45 deg", sine_at(0.49, 45.0, sample_rate)),
            ];
            for ceiling in [-1.0, 0.0] {
                for (name, input) in &signals {
                    let params = [
                        num("ceiling", ceiling),
                        num("release", 50.0),
                        num("lookahead", 3.0),
                    ];
                    let out = testkit::render(
                        Limiter,
                        &params,
                        std::slice::from_ref(input),
                        sample_rate,
                        512,
                    );
                    let tp = ebur128_true_peak_db(&out[0], sample_rate);
                    let before = ebur128_true_peak_db(input, sample_rate);
                    assert!(
                        tp <= ceiling,
                        "{name} at {sample_rate} Hz: {tp:.4} dBTP over the ceiling {ceiling} (input {before:.2} dBTP)"
                    );
                    assert!(
                        tp > ceiling - 1.5,
                        "{name} at {sample_rate} Hz: {tp:.4} dBTP, far under the ceiling {ceiling}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_steady_loud_sine_is_brought_to_the_ceiling_not_below() {
        let fs = 48_000.0;
        let input = testkit::sine(997.0, fs, 2.0, 2, 48_000);
        let out = testkit::render(Limiter, &[num("ceiling", -1.0)], &[input], fs, 256);
        let settled: PortAudio = out[0].iter().map(|c| c[24_000..].to_vec()).collect();
        let tp = ebur128_true_peak_db(&settled, fs);
        assert!(tp <= -1.0 && tp > -1.2, "{tp} dBTP");
    }

    #[test]
    fn latency_is_the_lookahead_and_quiet_signals_pass_aligned_and_untouched() {
        for (fs, lookahead_ms) in [(48_000.0_f64, 5.0_f64), (44_100.0, 2.0), (44_100.0, 20.0)] {
            let frames = (lookahead_ms * 0.001 * fs).round() as usize;
            let params = [num("lookahead", lookahead_ms), num("ceiling", -1.0)];
            let g = testkit::graph_for(std::sync::Arc::new(Limiter), &params, 1);
            let mut config = mixgraph_engine::CompileConfig::new(fs, 256);
            config.input_channels.insert("in0".into(), 2);
            assert_eq!(
                mixgraph_engine::compile(&g, &config).unwrap().latency(),
                frames
            );
            let input = testkit::noise(5, 2, 10_000)
                .into_iter()
                .map(|c| c.into_iter().map(|x| x * 0.25).collect())
                .collect::<PortAudio>();
            let out = testkit::render(Limiter, &params, std::slice::from_ref(&input), fs, 256);
            for ch in 0..2 {
                assert!(out[0][ch][..frames].iter().all(|&y| y == 0.0));
                assert_eq!(&out[0][ch][frames..], &input[ch][..10_000 - frames]);
            }
        }
    }

    #[test]
    fn gain_reaches_its_target_before_an_isolated_peak() {
        // One loud sample after silence: the output there is at the ceiling, and the gain
        // ramps down over the lookahead before it (no step at the peak).
        let fs = 48_000.0;
        let mut x = vec![0.01f32; 20_000];
        x[10_000] = 4.0;
        let out = testkit::render(
            Limiter,
            &[num("ceiling", -1.0), num("lookahead", 5.0)],
            &[vec![x.clone()]],
            fs,
            256,
        );
        let latency = 240;
        let y = &out[0][0];
        let peak_gain = f64::from(y[10_000 + latency]) / 4.0;
        let ceiling = 10f64.powf(-1.0 / 20.0);
        assert!(
            peak_gain * 4.0 <= ceiling + 1e-6 && peak_gain * 4.0 > ceiling * 0.97,
            "{}",
            peak_gain * 4.0
        );
        // 100 frames before the peak the gain is already on its way down, smoothly.
        let gains: Vec<f64> = (9_800..10_000)
            .map(|n| f64::from(y[n + latency]) / 0.01)
            .collect();
        assert!(
            gains[0] > gains[150] && gains[150] > gains[199],
            "{} {} {}",
            gains[0],
            gains[150],
            gains[199]
        );
        let steps = gains
            .windows(2)
            .map(|w| (w[1] / w[0]).ln().abs())
            .fold(0.0, f64::max);
        assert!(steps < 0.05, "largest step {steps}");
    }

    #[test]
    fn lowering_the_ceiling_while_limiting_holds_the_new_ceiling() {
        let fs = 48_000.0;
        let input = noise_bursts(fs);
        let g = testkit::graph_for(std::sync::Arc::new(Limiter), &[num("ceiling", -1.0)], 1);
        let change = 9_600;
        let out = testkit::render_graph_with(&g, std::slice::from_ref(&input), fs, 64, |s, pos| {
            if pos == change {
                let node = s.node_index("node").unwrap();
                s.set_param(node, CEILING, -6.0);
            }
        });
        // The ramp takes the smoothing time (20 ms); then the whole pipeline has flushed
        // after one more latency (5 ms).
        let settled = change + 960 + 240;
        let after: PortAudio = out[0].iter().map(|c| c[settled..].to_vec()).collect();
        let before: PortAudio = out[0].iter().map(|c| c[..change].to_vec()).collect();
        assert!(ebur128_true_peak_db(&after, fs) <= -6.0);
        assert!(ebur128_true_peak_db(&before, fs) <= -1.0);
    }

    #[test]
    fn non_finite_and_huge_input_samples_give_finite_output_under_the_ceiling() {
        let fs = 48_000.0;
        let mut x = testkit::noise(4, 2, 4_000);
        x[0][1000] = f32::NAN;
        x[1][1500] = f32::INFINITY;
        x[0][2000] = f32::NEG_INFINITY;
        x[1][3500] = 3e38;
        x[0][3600] = -3e38;
        let out = testkit::render(
            Limiter,
            &[num("input_gain", 24.0), num("ceiling", -1.0)],
            &[x],
            fs,
            256,
        );
        let ceiling = 10f32.powf(-1.0 / 20.0);
        for channel in &out[0] {
            assert!(
                channel.iter().all(|y| y.is_finite() && y.abs() <= ceiling),
                "{:?}",
                channel
                    .iter()
                    .find(|y| !(y.is_finite() && y.abs() <= ceiling))
            );
        }
        // Non-finite samples read as silence: the noise after them comes through, limited
        // (the huge finite ones hold the gain hundreds of dB down for the release time).
        let after = &out[0][0][2_500..3_400];
        let loudest = after.iter().fold(0.0f32, |m, y| m.max(y.abs()));
        assert!(loudest > 0.5 * ceiling, "{loudest}");
    }

    /// The limiter with the safety stage's shortcuts off: it measures every frame.
    struct MeasureEverywhere;

    impl NodeType for MeasureEverywhere {
        fn descriptor(&self) -> &NodeDescriptor {
            &DESCRIPTOR
        }

        fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
            Ok(Box::new(LimiterProcessor::new(config, false)))
        }
    }

    #[test]
    fn the_safety_stage_shortcuts_change_no_sample() {
        // Where the safety stage skips measuring (the main gain exactly 1 over a kernel, or
        // a bound under the threshold), measuring would have found no excess: the output is
        // the same, sample for sample, through fast and slow gain changes, drive, a lowered
        // ceiling and quiet passages.
        let fs = 48_000.0;
        let quiet = testkit::noise(9, 2, 24_000)
            .into_iter()
            .map(|c| c.into_iter().map(|x| x * 0.3).collect())
            .collect::<PortAudio>();
        let signals = [noise_bursts(fs), drum_hits(fs), sweep_to_nyquist(fs), quiet];
        let settings = [
            [
                num("release", 1.0),
                num("lookahead", 2.0),
                num("input_gain", 0.0),
            ],
            [
                num("release", 50.0),
                num("lookahead", 5.0),
                num("input_gain", 6.0),
            ],
            [
                num("release", 400.0),
                num("lookahead", 20.0),
                num("input_gain", 12.0),
            ],
        ];
        for (s, input) in signals.iter().enumerate() {
            for params in &settings {
                let render = |node: std::sync::Arc<dyn NodeType>| {
                    let g = testkit::graph_for(node, params, 1);
                    testkit::render_graph_with(
                        &g,
                        std::slice::from_ref(input),
                        fs,
                        256,
                        |s, pos| {
                            if pos == 8_192 {
                                let node = s.node_index("node").unwrap();
                                s.set_param(node, CEILING, -4.0);
                            }
                        },
                    )
                };
                let fast = render(std::sync::Arc::new(Limiter));
                let slow = render(std::sync::Arc::new(MeasureEverywhere));
                assert!(fast == slow, "signal {s}, {params:?}: outputs differ");
            }
        }
    }

    #[test]
    fn node_contract() {
        testkit::check_node_contract(Limiter, &[num("input_gain", 6.0), num("ceiling", -1.0)]);
    }
}
