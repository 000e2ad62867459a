//! Envelope followers for dynamics processors: one-pole time constants, sliding-window
//! maxima (a variable window, and a fixed peak hold), a level detector (peak and RMS) and
//! log-domain attack/release ballistics. The per-sample work runs over blocks, with state
//! flushes at a fixed cadence so the output does not depend on the block size.
//!
//! # Time constants
//! A time constant `t` ms gives the one-pole coefficient `a = exp(-1 / (t * fs / 1000))`:
//! after a step, the smoothed value covers `1 - 1/e` (63.2 %) of the step in `t` ms.

use std::collections::VecDeque;

/// The one-pole coefficient for a time constant of `time_ms` at `sample_rate`: the value
/// moves `1 - 1/e` of the way to its target in `time_ms`. Zero or negative times give 0
/// (follow at once).
pub fn one_pole_coefficient(time_ms: f64, sample_rate: f64) -> f64 {
    let frames = time_ms * 0.001 * sample_rate;
    if frames.is_finite() && frames > 0.0 {
        (-1.0 / frames).exp()
    } else {
        0.0
    }
}

/// The largest of the last `window` values pushed, updated in amortized constant time
/// (a monotonic queue). The window can shrink or grow at run time up to the capacity given
/// to [`SlidingMax::new`]; nothing allocates after construction (a clone reserves the full
/// capacity too).
#[derive(Debug)]
pub struct SlidingMax {
    /// `(time, value)` with strictly decreasing values from front to back.
    queue: VecDeque<(u64, f64)>,
    capacity: usize,
    window: usize,
    time: u64,
}

impl Clone for SlidingMax {
    fn clone(&self) -> SlidingMax {
        let mut queue = VecDeque::with_capacity(self.capacity + 1);
        queue.extend(self.queue.iter().copied());
        SlidingMax {
            queue,
            capacity: self.capacity,
            window: self.window,
            time: self.time,
        }
    }
}

impl SlidingMax {
    /// A window of `window` values (at least 1), able to grow to `capacity`; allocates.
    pub fn new(window: usize, capacity: usize) -> SlidingMax {
        let capacity = capacity.max(window).max(1);
        SlidingMax {
            queue: VecDeque::with_capacity(capacity + 1),
            capacity,
            window: window.clamp(1, capacity),
            time: 0,
        }
    }

    /// Changes the window length (clamped to `1..=capacity`).
    pub fn set_window(&mut self, window: usize) {
        self.window = window.clamp(1, self.capacity);
    }

    /// The window length.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Pushes a value and returns the largest of the last `window` values (this one
    /// included; values from before the first push count as `f64::NEG_INFINITY`).
    #[inline]
    pub fn push(&mut self, value: f64) -> f64 {
        let t = self.time;
        self.time = self.time.wrapping_add(1);
        let oldest_kept = t.saturating_sub(self.window as u64 - 1);
        while self
            .queue
            .front()
            .is_some_and(|&(time, _)| time < oldest_kept)
        {
            self.queue.pop_front();
        }
        while self.queue.back().is_some_and(|&(_, v)| v <= value) {
            self.queue.pop_back();
        }
        // The queue holds at most `window - 1 <= capacity - 1` entries here, so this push
        // stays within the reserved capacity.
        if self.queue.len() < self.capacity {
            self.queue.push_back((t, value));
        }
        self.queue.front().map_or(value, |&(_, v)| v)
    }

    /// The largest of the values in the window as of the last push (the next push may let
    /// the oldest go, never raise it); `None` before the first push.
    pub fn current_max(&self) -> Option<f64> {
        self.queue.front().map(|&(_, v)| v)
    }

    /// The same as `count` calls of [`SlidingMax::push`] with `value`, in constant time
    /// (the outputs of those calls are not needed: every one of them is at least `value`).
    pub fn push_run(&mut self, value: f64, count: usize) {
        if count == 0 {
            return;
        }
        // Every earlier push of the run would be dropped by the next one (`v <= value`), and
        // what they expire at the front the last push expires too.
        self.time = self.time.wrapping_add(count as u64 - 1);
        self.push(value);
    }

    /// Forgets every value.
    pub fn reset(&mut self) {
        self.queue.clear();
        self.time = 0;
    }
}

/// How a detector measures level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detection {
    /// The largest `|x|` over the last [`PEAK_HOLD_MS`]: a steady sine of 100 Hz or more
    /// reads its peak amplitude.
    Peak,
    /// The root mean square over an exponential window of [`RMS_WINDOW_MS`]: a steady sine
    /// reads its peak amplitude / sqrt 2.
    Rms,
}

/// How long the peak detector holds the largest `|x|`: long enough to bridge the gap
/// between the peaks of a 100 Hz sine, so the detected level does not ripple.
pub const PEAK_HOLD_MS: f64 = 5.0;

/// The time constant of the RMS detector's mean-square average.
pub const RMS_WINDOW_MS: f64 = 10.0;

/// The smallest level detectors report (-200 dBFS), so the level in dB stays finite.
pub const LEVEL_FLOOR: f64 = 1e-10;

/// Every this many frames (counted from reset, so the output does not depend on block
/// sizes), recursive state too small to matter is zeroed: a mean square under
/// [`LEVEL_FLOOR`] squared, a reduction under [`BALLISTICS_FLOOR_DB`]. Between two flushes a
/// decaying value shrinks by far less than the 300 decades that separate these floors from
/// subnormal numbers, so the state never turns subnormal, and the per-frame recursions stay
/// free of the compare that a per-frame flush would put on their critical path.
pub const FLUSH_PERIOD: usize = 256;

/// The largest of the last `window` non-negative values (magnitudes, in single precision
/// like the samples they come from), by the van Herk /
/// Gil-Werman algorithm: the stream is cut into segments of `window` frames; the maximum
/// over the last `window` frames is the larger of the running maximum of the current
/// segment and the maximum of the previous segment from the same position on (its suffix
/// maxima, computed once when that segment completes). About three comparisons per value,
/// no branch per value, and exact. Values before the first one count as 0.
///
/// A hold whose output is not needed for a while can just [`WindowMax::feed`] its input:
/// that stores the values, and the next [`WindowMax::process`] first rebuilds the maxima
/// from what is stored (at most two segments' worth of comparisons).
#[derive(Debug, Clone)]
pub struct WindowMax {
    /// The values of the current segment so far.
    segment: Vec<f32>,
    /// The values of the previous segment.
    previous: Vec<f32>,
    /// `suffix[j]`: the largest value of the previous segment from position `j` on;
    /// `suffix[window] = 0`.
    suffix: Vec<f32>,
    /// The largest value of the current segment so far.
    prefix: f32,
    /// Frames into the current segment.
    phase: usize,
    /// Whether `suffix` and `prefix` describe the stored values (not after a feed).
    fresh: bool,
}

impl WindowMax {
    /// A hold over `window` frames (at least 1); allocates.
    pub fn new(window: usize) -> WindowMax {
        let window = window.max(1);
        WindowMax {
            segment: vec![0.0; window],
            previous: vec![0.0; window],
            suffix: vec![0.0; window + 1],
            prefix: 0.0,
            phase: 0,
            fresh: true,
        }
    }

    /// The number of frames a value is held.
    pub fn window(&self) -> usize {
        self.segment.len()
    }

    /// Replaces each of `values` (non-negative; fed in order) by the largest of the last
    /// `window` values fed, itself included.
    pub fn process(&mut self, values: &mut [f32]) {
        if !self.fresh {
            self.rebuild();
        }
        let window = self.segment.len();
        let mut rest = values;
        while !rest.is_empty() {
            let run = (window - self.phase).min(rest.len());
            let (now, later) = rest.split_at_mut(run);
            let (Some(segment), Some(suffix)) = (
                self.segment.get_mut(self.phase..self.phase + run),
                self.suffix.get(self.phase + 1..self.phase + 1 + run),
            ) else {
                return;
            };
            segment.copy_from_slice(now);
            self.prefix = running_max(self.prefix, now);
            for (v, &later_max) in now.iter_mut().zip(suffix) {
                *v = larger(*v, later_max);
            }
            self.phase += run;
            if self.phase == window {
                self.close_segment();
                self.suffix_of_previous();
            }
            rest = later;
        }
    }

    /// Takes in `values` (non-negative, in order) without computing the maxima.
    pub fn feed(&mut self, values: &[f32]) {
        let window = self.segment.len();
        let mut rest = values;
        while !rest.is_empty() {
            let run = (window - self.phase).min(rest.len());
            let (now, later) = rest.split_at(run);
            if let Some(segment) = self.segment.get_mut(self.phase..self.phase + run) {
                segment.copy_from_slice(now);
            }
            self.phase += run;
            if self.phase == window {
                self.close_segment();
            }
            self.fresh = false;
            rest = later;
        }
    }

    /// The current segment is complete: it becomes the previous one.
    fn close_segment(&mut self) {
        std::mem::swap(&mut self.segment, &mut self.previous);
        self.prefix = 0.0;
        self.phase = 0;
    }

    /// The suffix maxima of the previous segment, which serve the current one.
    fn suffix_of_previous(&mut self) {
        let window = self.previous.len();
        if let Some(suffix) = self.suffix.get_mut(..window) {
            suffix.copy_from_slice(&self.previous);
            running_max_from_the_end(suffix);
        }
    }

    /// Recomputes the maxima from the stored values (after feeds).
    fn rebuild(&mut self) {
        self.suffix_of_previous();
        self.prefix = self
            .segment
            .get(..self.phase)
            .map_or(0.0, |seen| seen.iter().fold(0.0, |m, &v| larger(m, v)));
        self.fresh = true;
    }

    /// Forgets every value.
    pub fn reset(&mut self) {
        self.segment.fill(0.0);
        self.previous.fill(0.0);
        self.suffix.fill(0.0);
        self.prefix = 0.0;
        self.phase = 0;
        self.fresh = true;
    }
}

/// Replaces each of `values` by the largest of `start` and the values up to it, and returns
/// the last one. Four values at a time, so the dependency from one group to the next is a
/// single comparison (a maximum is exact whichever order it is taken in).
#[inline(always)]
fn running_max(start: f32, values: &mut [f32]) -> f32 {
    let mut max = start;
    let mut groups = values.chunks_exact_mut(4);
    for g in groups.by_ref() {
        let m1 = larger(g[0], g[1]);
        let m2 = larger(m1, g[2]);
        let m3 = larger(m2, g[3]);
        g[0] = larger(max, g[0]);
        g[1] = larger(max, m1);
        g[2] = larger(max, m2);
        g[3] = larger(max, m3);
        max = g[3];
    }
    for v in groups.into_remainder() {
        max = larger(max, *v);
        *v = max;
    }
    max
}

/// Replaces each of `values` (non-negative) by the largest of it and the values after it,
/// four at a time like [`running_max`].
#[inline(always)]
fn running_max_from_the_end(values: &mut [f32]) {
    let mut max = 0.0;
    let mut groups = values.rchunks_exact_mut(4);
    for g in groups.by_ref() {
        let m2 = larger(g[3], g[2]);
        let m1 = larger(m2, g[1]);
        let m0 = larger(m1, g[0]);
        g[3] = larger(max, g[3]);
        g[2] = larger(max, m2);
        g[1] = larger(max, m1);
        g[0] = larger(max, m0);
        max = g[0];
    }
    for v in groups.into_remainder().iter_mut().rev() {
        max = larger(max, *v);
        *v = max;
    }
}

/// The largest of `values` and 0, with four running maxima so the comparisons do not wait
/// for one another (and vectorize).
pub fn largest(values: &[f64]) -> f64 {
    let mut most = [0.0f64; 4];
    let mut groups = values.chunks_exact(4);
    for g in groups.by_ref() {
        for (m, &v) in most.iter_mut().zip(g) {
            *m = larger(*m, v);
        }
    }
    let mut m = larger(larger(most[0], most[1]), larger(most[2], most[3]));
    for &v in groups.remainder() {
        m = larger(m, v);
    }
    m
}

/// `a` or `b`, whichever is larger (`b` when they are unordered): one `max` instruction,
/// unlike [`f64::max`], which also sorts out NaN.
#[inline(always)]
pub fn larger<T: PartialOrd>(a: T, b: T) -> T {
    if a > b { a } else { b }
}

/// A sample a detector reads: its magnitude, in single precision (non-finite samples read
/// as silence; magnitudes beyond the `f32` range as its largest value).
pub trait KeySample: Copy {
    /// `|x|` as an `f32`, 0 if `x` is not finite.
    fn magnitude(self) -> f32;
}

impl KeySample for f32 {
    #[inline(always)]
    fn magnitude(self) -> f32 {
        if self.is_finite() { self.abs() } else { 0.0 }
    }
}

impl KeySample for f64 {
    #[inline(always)]
    fn magnitude(self) -> f32 {
        if self.is_finite() {
            self.abs().min(f64::from(f32::MAX)) as f32
        } else {
            0.0
        }
    }
}

/// Which results [`LevelDetector::process`] writes. Held peaks that are not wanted only
/// store their input, and catch up when next asked for; mean squares are always kept up to
/// date, and only their output is skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    /// Each channel's held peak.
    pub peaks: bool,
    /// The held peak of the loudest channel.
    pub loudest: bool,
    /// Each channel's mean square.
    pub powers: bool,
}

/// Frames per group of [`MeanSquare`]'s recursion (a divisor of [`FLUSH_PERIOD`]; eight,
/// the number [`group_sum`] adds up).
const GROUP: usize = 8;
const _: () = assert!(GROUP == 8 && FLUSH_PERIOD % GROUP == 0);

/// The one-pole mean square `m = a m + (1 - a) x^2` of one signal, taken [`GROUP`] frames
/// at a time. Within each group (counted from reset), with `m0` the mean square before it
/// and `q_i = (1 - a) x_i^2`, frame `j` reads `a^(j+1) m0 + p_j` (`p_j = a p_(j-1) + q_j`),
/// and the group leaves `a^GROUP m0 + s` behind, its sum `s` of `a^(GROUP-1-i) q_i` taken
/// as a tree (see [`group_sum`]). The recursion carried from group to group is one multiply
/// and one add per group, and nothing in a group waits long for anything else; the result
/// is the same whichever way the frames arrive.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct MeanSquare {
    /// The mean square before the current group.
    anchor: f64,
    /// `p_j` of the frames of the current group so far.
    partial: f64,
    /// The `q_i` of the current group so far.
    pending: [f64; GROUP],
}

/// The constants of [`MeanSquare`]: `a^1` to `a^GROUP`, and `1 - a`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct MeanSquareCoefficients {
    powers: [f64; GROUP],
    gain: f64,
}

impl MeanSquareCoefficients {
    fn new(a: f64) -> MeanSquareCoefficients {
        let mut powers = [a; GROUP];
        for j in 1..GROUP {
            powers[j] = powers[j - 1] * a;
        }
        MeanSquareCoefficients {
            powers,
            gain: 1.0 - a,
        }
    }
}

/// `sum of a^(GROUP-1-i) q_i` over a group, pairwise: three levels of one multiply and one
/// add, rather than a chain of seven.
#[inline(always)]
fn group_sum(q: &[f64; GROUP], powers: &[f64; GROUP]) -> f64 {
    let [a, a2, _, a4, ..] = *powers;
    let pairs = [
        a * q[0] + q[1],
        a * q[2] + q[3],
        a * q[4] + q[5],
        a * q[6] + q[7],
    ];
    let halves = [a2 * pairs[0] + pairs[1], a2 * pairs[2] + pairs[3]];
    a4 * halves[0] + halves[1]
}

impl MeanSquare {
    /// Reads `x` from position `phase` of a group on; writes each frame's mean square to
    /// `out` when given (as many frames as `x` holds).
    fn run(
        &mut self,
        x: &[f32],
        out: Option<&mut [f32]>,
        phase: usize,
        k: &MeanSquareCoefficients,
    ) {
        match out {
            Some(out) => self.run_storing::<true>(x, out, phase, k),
            None => self.run_storing::<false>(x, &mut [], phase, k),
        }
    }

    /// [`Self::run`], writing to `out` if `STORE`.
    #[inline(always)]
    fn run_storing<const STORE: bool>(
        &mut self,
        x: &[f32],
        out: &mut [f32],
        phase: usize,
        k: &MeanSquareCoefficients,
    ) {
        let a = k.powers[0];
        let b = k.gain;
        let square = |v: f32| b * (f64::from(v) * f64::from(v));
        let n = if STORE {
            x.len().min(out.len())
        } else {
            x.len()
        };
        // Frame by frame up to the next group boundary and after the last whole group.
        let head = ((GROUP - phase % GROUP) % GROUP).min(n);
        let body_end = head + (n - head) / GROUP * GROUP;
        for i in 0..head {
            let y = self.step(square(x[i]), phase + i, k);
            if STORE {
                out[i] = y as f32;
            }
        }
        let mut anchor = self.anchor;
        for (g, group) in x[head..body_end].chunks_exact(GROUP).enumerate() {
            let q: [f64; GROUP] = std::array::from_fn(|i| square(group[i]));
            if STORE {
                // `a * 0 + q` is exactly `q`, as `step` takes a group's first frame.
                let mut partial = 0.0;
                for (j, &q) in q.iter().enumerate() {
                    partial = a * partial + q;
                    out[head + g * GROUP + j] = (k.powers[j] * anchor + partial) as f32;
                }
            }
            anchor = k.powers[GROUP - 1] * anchor + group_sum(&q, &k.powers);
        }
        self.anchor = anchor;
        for i in body_end..n {
            let y = self.step(square(x[i]), i - body_end, k);
            if STORE {
                out[i] = y as f32;
            }
        }
    }

    /// One frame adding `q = (1 - a) x^2` at position `j` of its group; returns the mean
    /// square. The same operations, in the same order, as a whole group in [`Self::run`].
    #[inline(always)]
    fn step(&mut self, q: f64, j: usize, k: &MeanSquareCoefficients) -> f64 {
        let j = j % GROUP;
        self.partial = k.powers[0] * self.partial + q;
        self.pending[j] = q;
        let y = k.powers[j] * self.anchor + self.partial;
        if j == GROUP - 1 {
            self.anchor = k.powers[GROUP - 1] * self.anchor + group_sum(&self.pending, &k.powers);
            self.partial = 0.0;
        }
        y
    }
}

/// Level detectors on a group of channels: for each, the held peak of `|x|` over
/// [`PEAK_HOLD_MS`] and the mean square over an exponential window of [`RMS_WINDOW_MS`];
/// and the held peak of the loudest channel (the hold of the largest `|x|` of any channel,
/// which is the largest of the channels' held peaks). All are kept up to date whichever
/// ones a processor listens to, so switching between them is seamless.
#[derive(Debug, Clone)]
pub struct LevelDetector {
    holds: Vec<WindowMax>,
    loudest: WindowMax,
    mean_squares: Vec<MeanSquare>,
    coefficients: MeanSquareCoefficients,
    since_flush: usize,
}

impl LevelDetector {
    /// Detectors for `channels` channels (at least 1) at `sample_rate`; allocates.
    pub fn new(sample_rate: f64, channels: usize) -> LevelDetector {
        let hold = WindowMax::new(((PEAK_HOLD_MS * 0.001 * sample_rate).round() as usize).max(1));
        let channels = channels.max(1);
        LevelDetector {
            holds: vec![hold.clone(); channels],
            loudest: hold,
            mean_squares: vec![MeanSquare::default(); channels],
            coefficients: MeanSquareCoefficients::new(one_pole_coefficient(
                RMS_WINDOW_MS,
                sample_rate,
            )),
            since_flush: 0,
        }
    }

    /// The number of channels.
    pub fn channels(&self) -> usize {
        self.holds.len()
    }

    /// The number of frames the peak detector holds a peak.
    pub fn hold_frames(&self) -> usize {
        self.loudest.window()
    }

    /// Feeds `n` frames, channel `c` reading `key(c)` (see [`KeySample`]; samples past its
    /// end read as 0). Channel `c`'s results go to `stride` values from `c * stride` of
    /// `peaks` and `powers`, the first `n` of them written: mean squares (the RMS is their
    /// square root) to `powers` if `want.powers`; held peaks to `peaks` if `want.peaks`,
    /// else the magnitudes `|x|`. `loudest` gets the loudest channel's held peak if
    /// `want.loudest`, else the largest magnitude. Everything is at least 0; apply
    /// [`LEVEL_FLOOR`] before taking logarithms. `n` is limited to `stride` and to the
    /// length of `loudest`.
    #[allow(
        clippy::too_many_arguments,
        reason = "the key, the selection and the three outputs with their layout"
    )]
    pub fn process<'k, T: KeySample + 'k>(
        &mut self,
        key: impl Fn(usize) -> &'k [T],
        n: usize,
        want: Wanted,
        peaks: &mut [f32],
        powers: &mut [f32],
        loudest: &mut [f32],
        stride: usize,
    ) {
        let n = n.min(stride).min(loudest.len());
        let loudest = &mut loudest[..n];
        for (c, magnitudes) in peaks
            .chunks_exact_mut(stride)
            .take(self.holds.len())
            .enumerate()
        {
            let input = key(c);
            let magnitudes = &mut magnitudes[..n];
            let (given, missing) = magnitudes.split_at_mut(input.len().min(n));
            missing.fill(0.0);
            for (m, &x) in given.iter_mut().zip(input) {
                *m = x.magnitude();
            }
            if c == 0 {
                loudest.copy_from_slice(magnitudes);
            } else {
                for (l, &m) in loudest.iter_mut().zip(magnitudes.iter()) {
                    *l = larger(*l, m);
                }
            }
        }
        self.mean_squares(peaks, want.powers.then_some(powers), n, stride);
        for (hold, magnitudes) in self.holds.iter_mut().zip(peaks.chunks_exact_mut(stride)) {
            if want.peaks {
                hold.process(&mut magnitudes[..n]);
            } else {
                hold.feed(&magnitudes[..n]);
            }
        }
        if want.loudest {
            self.loudest.process(loudest);
        } else {
            self.loudest.feed(loudest);
        }
    }

    /// The mean squares over `n` frames of magnitudes, written to `powers` when given.
    fn mean_squares(
        &mut self,
        magnitudes: &[f32],
        mut powers: Option<&mut [f32]>,
        n: usize,
        stride: usize,
    ) {
        let mut done = 0;
        while done < n {
            let run = (FLUSH_PERIOD - self.since_flush).min(n - done);
            let frames = done..done + run;
            for (c, (state, x)) in self
                .mean_squares
                .iter_mut()
                .zip(magnitudes.chunks_exact(stride))
                .enumerate()
            {
                let out = powers
                    .as_deref_mut()
                    .and_then(|p| p.get_mut(c * stride..(c + 1) * stride))
                    .and_then(|p| p.get_mut(frames.clone()));
                if let Some(x) = x.get(frames.clone()) {
                    state.run(x, out, self.since_flush % GROUP, &self.coefficients);
                }
            }
            self.since_flush += run;
            done += run;
            if self.since_flush == FLUSH_PERIOD {
                // A group boundary: nothing partial.
                self.since_flush = 0;
                for s in &mut self.mean_squares {
                    if s.anchor < LEVEL_FLOOR * LEVEL_FLOOR {
                        s.anchor = 0.0;
                    }
                }
            }
        }
    }

    /// Clears the history.
    pub fn reset(&mut self) {
        self.holds.iter_mut().for_each(WindowMax::reset);
        self.loudest.reset();
        self.mean_squares.fill(MeanSquare::default());
        self.since_flush = 0;
    }
}

/// Converts a linear level (at least [`LEVEL_FLOOR`]) to dB with the standard library's
/// `log10` (exact; the gain paths use [`crate::dsp::fast_db`]).
#[inline]
pub fn level_db(level: f64) -> f64 {
    20.0 * level.max(LEVEL_FLOOR).log10()
}

/// Reductions below this many dB are zeroed every [`FLUSH_PERIOD`] frames.
pub const BALLISTICS_FLOOR_DB: f64 = 1e-12;

/// Smooth-branching ballistics on a gain reduction in dB (Giannoulis, Massberg and Reiss,
/// "Digital dynamic range compressor design", JAES 2012): a one-pole filter whose
/// coefficient is `rise` while the target is above the state and `fall` otherwise. A step
/// of the target is followed exactly exponentially with the time constant of the branch.
///
/// The recursion is written `a s + (1 - a) t` (one multiply and one add on its critical
/// path), and a run of frames is followed in stretches of one direction, so the choice of
/// branch is a predicted jump rather than a select in the chain.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Ballistics {
    state: f64,
    since_flush: usize,
}

impl Ballistics {
    /// At rest at 0 dB.
    pub fn new() -> Ballistics {
        Ballistics::default()
    }

    /// Moves toward `target` with coefficient `rise` (target above the state) or `fall`
    /// (target below) and returns the new state.
    #[inline]
    pub fn process(&mut self, target: f64, rise: f64, fall: f64) -> f64 {
        let mut out = [0.0];
        self.run(&[target], &mut out, rise, fall);
        out[0]
    }

    /// [`Ballistics::process`] for each of `targets` in turn, writing every new state to
    /// `out` (as many frames as the shorter of the two holds).
    pub fn run<T: Copy + Into<f64> + PartialEq>(
        &mut self,
        targets: &[T],
        out: &mut [f64],
        rise: f64,
        fall: f64,
    ) {
        let n = targets.len().min(out.len());
        let (targets, out) = (&targets[..n], &mut out[..n]);
        // At rest at 0 with nothing to reduce: every state stays exactly 0.
        if self.state == 0.0 && targets.iter().all(|&t| t.into() == 0.0) {
            out.fill(0.0);
            self.advance(n);
            return;
        }
        let mut done = 0;
        while done < n {
            let run = (FLUSH_PERIOD - self.since_flush).min(n - done);
            let (targets, out) = (&targets[done..done + run], &mut out[done..done + run]);
            match same_all_along(targets) {
                // One target all run long, and the state already where that target keeps
                // it: every state of the run is this one.
                Some(t) if step(self.state, t.into(), rise, fall) == self.state => {
                    out.fill(self.state);
                }
                _ => self.state = follow(self.state, targets, out, rise, fall),
            }
            self.advance(run);
            done += run;
        }
    }

    /// Counts `frames` frames toward the next flush, flushing when one is due.
    fn advance(&mut self, frames: usize) {
        self.since_flush += frames;
        if self.since_flush >= FLUSH_PERIOD {
            self.since_flush %= FLUSH_PERIOD;
            if self.state.abs() <= BALLISTICS_FLOOR_DB || !self.state.is_finite() {
                self.state = 0.0;
            }
        }
    }

    /// The state now.
    pub fn value(&self) -> f64 {
        self.state
    }

    /// Back to 0 dB.
    pub fn reset(&mut self) {
        *self = Ballistics::default();
    }
}

/// The value every one of `values` has, if they all have the same (and there is one).
pub fn same_all_along<T: Copy + PartialEq>(values: &[T]) -> Option<T> {
    let first = *values.first()?;
    values.iter().all(|&v| v == first).then_some(first)
}

/// One frame of [`Ballistics`]: the same operations as [`follow`].
#[inline(always)]
fn step(state: f64, target: f64, rise: f64, fall: f64) -> f64 {
    if target > state {
        rise * state + (1.0 - rise) * target
    } else {
        fall * state + (1.0 - fall) * target
    }
}

/// The recursion of [`Ballistics`] over a run of frames; returns the last state.
#[inline(always)]
fn follow<T: Copy + Into<f64>>(
    mut state: f64,
    targets: &[T],
    out: &mut [f64],
    rise: f64,
    fall: f64,
) -> f64 {
    let (rise_keep, fall_keep) = (1.0 - rise, 1.0 - fall);
    let n = targets.len().min(out.len());
    let (targets, out) = (&targets[..n], &mut out[..n]);
    let mut f = 0;
    while f < n {
        // A stretch of rising targets, then one of falling (or equal) ones.
        while f < n && targets[f].into() > state {
            state = rise * state + rise_keep * targets[f].into();
            out[f] = state;
            f += 1;
        }
        // Not rising, NaN included (it falls, as the stretch above leaves it).
        while f < n && targets[f].into().partial_cmp(&state) != Some(std::cmp::Ordering::Greater) {
            state = fall * state + fall_keep * targets[f].into();
            out[f] = state;
            f += 1;
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_max_matches_a_brute_force_window() {
        let xs: Vec<f64> = (0..500).map(|n| ((n * 7919 + 13) % 101) as f64).collect();
        for window in [1, 2, 7, 64] {
            let mut m = SlidingMax::new(window, 64);
            for (n, &x) in xs.iter().enumerate() {
                let got = m.push(x);
                let want = xs[n.saturating_sub(window - 1)..=n]
                    .iter()
                    .fold(f64::NEG_INFINITY, |a, &b| a.max(b));
                assert_eq!(got, want, "window {window} at {n}");
            }
        }
    }

    #[test]
    fn a_clone_keeps_the_reserved_capacity() {
        let m = SlidingMax::new(100, 100).clone();
        assert!(m.queue.capacity() > 100);
    }

    #[test]
    fn sliding_max_window_can_change_at_run_time() {
        let mut m = SlidingMax::new(10, 10);
        m.push(5.0);
        for _ in 0..3 {
            m.push(1.0);
        }
        assert_eq!(m.push(1.0), 5.0);
        m.set_window(3);
        assert_eq!(m.push(1.0), 1.0);
    }

    #[test]
    fn one_pole_covers_one_minus_one_over_e_in_the_time_constant() {
        let fs = 48_000.0;
        let a = one_pole_coefficient(10.0, fs);
        let mut b = Ballistics::new();
        for _ in 0..480 {
            b.process(1.0, a, a);
        }
        assert!(
            (b.value() - (1.0 - (-1.0f64).exp())).abs() < 1e-3,
            "{}",
            b.value()
        );
        assert_eq!(one_pole_coefficient(0.0, fs), 0.0);
    }

    #[test]
    fn ballistics_branch_on_direction() {
        let mut b = Ballistics::new();
        assert_eq!(b.process(10.0, 0.5, 0.9), 5.0);
        // Falling uses the other coefficient.
        assert!((b.process(0.0, 0.5, 0.9) - 4.5).abs() < 1e-12);
    }

    #[test]
    fn ballistics_with_a_slower_rise_take_the_other_branch_too() {
        // rise > fall: the `min` form of the recursion.
        let mut b = Ballistics::new();
        assert!((b.process(10.0, 0.9, 0.5) - 1.0).abs() < 1e-12);
        assert!((b.process(0.0, 0.9, 0.5) - 0.5).abs() < 1e-12);
    }

    /// The textbook smooth-branching recursion, written independently: pick the coefficient
    /// by comparing the target with the state.
    fn branching(targets: &[f64], rise: f64, fall: f64) -> Vec<f64> {
        let mut s: f64 = 0.0;
        targets
            .iter()
            .map(|&t| {
                let a = if t > s { rise } else { fall };
                s = t + a * (s - t);
                s
            })
            .collect()
    }

    /// A target that jumps between levels and rests at 0, 4000 frames long.
    fn stepped_targets() -> Vec<f64> {
        (0..4000)
            .map(|n: usize| match (n / 300) % 4 {
                0 => 0.0,
                1 => 12.0,
                2 => 3.0 + ((n * 7919) % 13) as f64 * 0.1,
                _ => 6.0,
            })
            .collect()
    }

    #[test]
    fn ballistics_runs_follow_the_branching_recursion_at_any_block_size() {
        let targets = stepped_targets();
        for (rise, fall) in [(0.9, 0.99), (0.99, 0.9), (0.95, 0.95)] {
            let want = branching(&targets, rise, fall);
            let mut by_frame = Vec::new();
            for block in [1, 7, 256, 1000, 4000] {
                let mut b = Ballistics::new();
                let mut got = vec![0.0; targets.len()];
                for (t, o) in targets.chunks(block).zip(got.chunks_mut(block)) {
                    b.run(t, o, rise, fall);
                }
                // Exactly the same at every block size (the shortcuts for a state at rest
                // on a steady target change nothing).
                if block == 1 {
                    by_frame = got.clone();
                }
                assert_eq!(got, by_frame, "rise {rise} fall {fall} block {block}");
                for (n, (g, w)) in got.iter().zip(&want).enumerate() {
                    // The flush may zero what the textbook form leaves under 1e-12 dB.
                    assert!(
                        (g - w).abs() < 1e-10,
                        "rise {rise} fall {fall} block {block} frame {n}: {g} vs {w}"
                    );
                }
            }
        }
    }

    #[test]
    fn ballistics_decay_to_exactly_zero() {
        let a = one_pole_coefficient(1.0, 48_000.0);
        let mut b = Ballistics::new();
        b.process(20.0, 0.0, a);
        // 20 dB falls below 1e-12 dB within 32 time constants (48 frames each), and the
        // next flush zeroes it.
        let mut out = vec![0.0; 48 * 32 + FLUSH_PERIOD];
        b.run(&vec![0.0; out.len()], &mut out, 0.0, a);
        assert_eq!(b.value(), 0.0);
        assert!(out.iter().all(|v| v.is_finite() && *v >= 0.0));
    }

    #[test]
    fn window_max_matches_a_brute_force_window_at_any_block_size() {
        let xs: Vec<f32> = (0..3000)
            .map(|n: usize| ((n * 7919 + 13) % 101) as f32 * if n % 500 < 250 { 1.0 } else { 0.01 })
            .collect();
        for window in [1, 2, 7, 240] {
            let want: Vec<f32> = (0..xs.len())
                .map(|n| {
                    xs[n.saturating_sub(window - 1)..=n]
                        .iter()
                        .fold(0.0, |a: f32, &b| a.max(b))
                })
                .collect();
            for block in [1, 5, 64, 239, 241, 3000] {
                let mut hold = WindowMax::new(window);
                let mut got = xs.clone();
                for chunk in got.chunks_mut(block) {
                    hold.process(chunk);
                }
                assert_eq!(got, want, "window {window}, block {block}");
            }
        }
    }

    #[test]
    fn largest_is_the_maximum_and_at_least_zero() {
        for len in [0, 1, 3, 4, 5, 17] {
            let v: Vec<f64> = (0..len)
                .map(|n: usize| ((n * 37) % 11) as f64 - 3.0)
                .collect();
            let want = v.iter().fold(0.0, |m: f64, &x| m.max(x));
            assert_eq!(largest(&v), want, "{v:?}");
        }
        assert_eq!(largest(&[-1.0, -2.0]), 0.0);
    }

    #[test]
    fn sliding_max_push_run_equals_repeated_pushes() {
        let xs: Vec<f64> = (0..400).map(|n| ((n * 31 + 7) % 17) as f64).collect();
        for (value, count) in [(0.0, 1), (5.0, 3), (20.0, 2), (3.0, 40), (-1.0, 100)] {
            let mut a = SlidingMax::new(32, 64);
            let mut b = SlidingMax::new(32, 64);
            for &x in &xs[..100] {
                a.push(x);
                b.push(x);
            }
            for _ in 0..count {
                a.push(value);
            }
            b.push_run(value, count);
            for &x in &xs[100..] {
                assert_eq!(a.push(x), b.push(x), "run of {count} x {value}");
            }
        }
    }

    /// What a detector wrote for one channel, or for the loudest: `None` where not wanted.
    type Written = Vec<Option<f32>>;

    /// Runs a 48 kHz detector over `x` (one entry per channel) in blocks of `block`, asking
    /// for the peaks `want(block index)` gives; returns per channel its peaks (when wanted)
    /// and its mean squares, and the loudest channel's peaks (when wanted).
    fn detect(
        x: &[Vec<f64>],
        block: usize,
        want: impl Fn(usize) -> Wanted,
    ) -> (Vec<Written>, Vec<Vec<f32>>, Written) {
        let channels = x.len();
        let len = x[0].len();
        let mut d = LevelDetector::new(48_000.0, channels);
        let mut peaks = vec![Vec::new(); channels];
        let mut powers = vec![Vec::new(); channels];
        let mut loudest = Vec::new();
        let (mut p, mut q, mut l) = (
            vec![0.0; channels * block],
            vec![0.0; channels * block],
            vec![0.0; block],
        );
        for (k, start) in (0..len).step_by(block).enumerate() {
            let n = block.min(len - start);
            let w = want(k);
            d.process(
                |c| &x[c][start..start + n],
                n,
                w,
                &mut p,
                &mut q,
                &mut l,
                block,
            );
            for c in 0..channels {
                let at = c * block;
                peaks[c].extend(p[at..at + n].iter().map(|&v| w.peaks.then_some(v)));
                powers[c].extend_from_slice(&q[at..at + n]);
            }
            loudest.extend(l[..n].iter().map(|&v| w.loudest.then_some(v)));
        }
        (peaks, powers, loudest)
    }

    const ALL: Wanted = Wanted {
        peaks: true,
        loudest: true,
        powers: true,
    };

    #[test]
    fn detectors_read_a_sine_as_peak_and_peak_over_root_two() {
        let fs = 48_000.0;
        let x: Vec<f64> = (0..48_000)
            .map(|n| 0.5 * (2.0 * std::f64::consts::PI * 1000.0 * n as f64 / fs).sin())
            .collect();
        let (peaks, powers, loudest) = detect(&[x], 512, |_| ALL);
        let (peak, rms) = (
            f64::from(peaks[0][47_999].unwrap()),
            f64::from(powers[0][47_999]).sqrt(),
        );
        assert!((level_db(peak) - level_db(0.5)).abs() < 0.01);
        assert!((level_db(rms) - level_db(0.5 / 2f64.sqrt())).abs() < 0.05);
        assert_eq!(loudest[47_999], peaks[0][47_999]);
    }

    /// Three channels of stepped, uneven signals (a pair and an odd one out).
    fn three_channels() -> Vec<Vec<f64>> {
        (0..3)
            .map(|c: usize| {
                let mut x: Vec<f64> = (0..5000)
                    .map(|n: usize| (((n * 13 + c * 5) % 7) as f64 * 0.1 - 0.3) * (c + 1) as f64)
                    .collect();
                x.extend(std::iter::repeat_n(0.0, 48_000));
                x
            })
            .collect()
    }

    #[test]
    fn detector_mean_squares_follow_their_one_pole_and_rest_at_zero() {
        let a = one_pole_coefficient(RMS_WINDOW_MS, 48_000.0);
        let mut x = three_channels();
        x[1][100] = f64::NAN;
        x[2][200] = f64::INFINITY;
        let (_, powers, _) = detect(&x, 333, |_| ALL);
        for (c, (input, powers)) in x.iter().zip(&powers).enumerate() {
            let mut ms: f64 = 0.0;
            for (n, (&v, &p)) in input.iter().zip(powers).enumerate().take(5000) {
                // The detector reads magnitudes in single precision.
                let v = if v.is_finite() {
                    f64::from(v.abs() as f32)
                } else {
                    0.0
                };
                ms = a * ms + (1.0 - a) * v * v;
                let err = (f64::from(p) - ms).abs();
                assert!(err <= 1e-6 * ms, "channel {c} frame {n}: {p} vs {ms}");
            }
            assert_eq!(powers.last(), Some(&0.0));
        }
        for block in [1, 64, 4096] {
            assert_eq!(
                detect(&x, block, |_| ALL),
                detect(&x, 333, |_| ALL),
                "block {block}"
            );
        }
    }

    #[test]
    fn mean_squares_are_the_same_whether_or_not_a_block_asks_for_them() {
        let x = three_channels();
        let (_, all, _) = detect(&x, 37, |_| ALL);
        let sometimes = |k: usize| Wanted {
            powers: k % 3 == 2,
            ..ALL
        };
        let (_, some, _) = detect(&x, 37, sometimes);
        let mut compared = 0;
        for (c, (all, some)) in all.iter().zip(&some).enumerate() {
            for (n, (a, s)) in all.iter().zip(some).enumerate() {
                if (n / 37) % 3 == 2 {
                    assert_eq!(a, s, "channel {c}, frame {n}");
                    compared += 1;
                }
            }
        }
        assert!(compared > 10_000);
    }

    #[test]
    fn held_peaks_are_exact_whichever_ones_are_asked_for() {
        let x = three_channels();
        let hold = LevelDetector::new(48_000.0, 1).hold_frames();
        let held = |c: usize, n: usize| {
            x[c][n.saturating_sub(hold - 1)..=n]
                .iter()
                .fold(0.0, |m: f32, v| m.max(v.abs() as f32))
        };
        // Switch what is asked for every block, so holds go from storing to computing.
        let want = |k: usize| Wanted {
            peaks: k % 3 == 1,
            loudest: k % 2 == 0,
            powers: true,
        };
        for block in [1, 37, 500] {
            let (peaks, _, loudest) = detect(&x, block, want);
            for n in 0..6000 {
                for (c, channel) in peaks.iter().enumerate() {
                    if let Some(p) = channel[n] {
                        assert_eq!(p, held(c, n), "block {block}: channel {c}, frame {n}");
                    }
                }
                if let Some(l) = loudest[n] {
                    let want = (0..3).map(|c| held(c, n)).fold(0.0, f32::max);
                    assert_eq!(l, want, "block {block}: loudest at frame {n}");
                }
            }
        }
    }

    #[test]
    fn a_fed_window_max_catches_up_exactly() {
        let xs: Vec<f32> = (0..2000).map(|n: usize| ((n * 7919) % 97) as f32).collect();
        let mut fed = WindowMax::new(50);
        let mut got = Vec::new();
        for (k, chunk) in xs.chunks(73).enumerate() {
            let mut chunk = chunk.to_vec();
            if k % 4 == 3 {
                fed.process(&mut chunk);
                got.extend(
                    chunk
                        .iter()
                        .copied()
                        .enumerate()
                        .map(|(i, v)| (k * 73 + i, v)),
                );
            } else {
                fed.feed(&chunk);
            }
        }
        assert!(!got.is_empty());
        for (n, v) in got {
            let want = xs[n.saturating_sub(49)..=n]
                .iter()
                .fold(0.0, |m: f32, &x| m.max(x));
            assert_eq!(v, want, "frame {n}");
        }
    }
}
