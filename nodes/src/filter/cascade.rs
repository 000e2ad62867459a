//! The processor shared by every biquad-based filter node: each channel runs through a
//! cascade of biquad sections whose coefficients a node-specific design function computes
//! from the node's parameter values.
//!
//! Channels are filtered in pairs (a stereo signal is one pair), both channels of a pair in
//! one vector register; an odd last channel is filtered alone. Sections run in direct form I
//! (see [`BiquadLanes`]), so their memories hold the signal itself.
//!
//! - **Settled**: the coefficients are held; each channel pair runs over the whole block in
//!   a tight loop with the section memories in registers, through the sections that are not
//!   the identity only (a cascade of identities copies its input).
//! - **A numeric parameter ramping**: every parameter advances one frame at a time and the
//!   coefficients are redesigned for every frame, shared by all channels. A change without
//!   ramp redesigns at once.
//! - **A choice changing** (a slope, an EQ band's shape): the cascade designed with the new
//!   choice runs beside the old one and the output crossfades from the old to the new over
//!   the filters' smoothing time ([`SMOOTHING_MS`]), along a raised cosine (no kink where it starts and ends: the two
//!   outputs can differ in phase). So that the new cascade joins in its steady state rather than with
//!   a start-up transient, it first runs, unheard, over the last [`PREROLL_MS`] of input
//!   (kept in a ring for nodes that have a choice). A choice change that arrives during a
//!   crossfade starts its own crossfade when that one ends.
//!
//! A section that stops being the identity starts as if it had passed the signal at its
//! place in the cascade through unchanged, so switching it in (an EQ band turned on, a tilt
//! leaving 0 dB/oct) continues the signal instead of starting from silence. In every case the
//! output does not depend on the block size.

use mixgraph_engine::{NodeConfig, ParamKind, PortChannels, ProcessContext, Processor, Smoothed};

use super::design::cascade_tail;
use super::params::SMOOTHING_MS;
use crate::dsp::biquad::{BiquadLanes, Coefficients, run_series};

/// Designs a node's sections: reads the parameter values (descriptor order) and writes
/// `sections.len()` coefficient sets; an unused section is [`Coefficients::identity`] and
/// costs nothing.
pub(crate) type DesignFn = fn(sample_rate: f64, params: &[f64], sections: &mut [Coefficients]);

/// A parameter value by index, 0 when absent (the design functions never index out of range).
pub(crate) fn param(params: &[f64], index: usize) -> f64 {
    params.get(index).copied().unwrap_or(0.0)
}

/// How much past input a cascade designed for a new choice runs over before it is heard, in
/// milliseconds: enough for sections down to 20 Hz to settle within a few tenths of a percent.
pub(crate) const PREROLL_MS: f64 = 100.0;

/// Most sections the settled loop keeps in registers at once; a longer cascade runs in runs
/// of this many, through a scratch buffer.
const SECTIONS_PER_RUN: usize = 4;

/// One design of the cascade: the parameter values it follows (its own choices, the node's
/// numeric values), its coefficients and which sections are not the identity.
struct Bank {
    values: Vec<f64>,
    coefficients: Vec<Coefficients>,
    enabled: Vec<bool>,
    /// Indices of the enabled sections, in order.
    active: Vec<usize>,
}

impl Bank {
    fn new(values: &[f64], sections: usize) -> Bank {
        Bank {
            values: values.to_vec(),
            coefficients: vec![Coefficients::identity(); sections],
            enabled: vec![false; sections],
            active: Vec::with_capacity(sections),
        }
    }

    /// Recomputes the coefficients from `values`; returns whether a section was switched in
    /// (so memories must be primed). `was_enabled` receives the previous flags.
    fn redesign(&mut self, design: DesignFn, sample_rate: f64, was_enabled: &mut [bool]) -> bool {
        design(sample_rate, &self.values, &mut self.coefficients);
        was_enabled.copy_from_slice(&self.enabled);
        self.active.clear();
        let mut switched_in = false;
        for (k, (c, enabled)) in self.coefficients.iter().zip(&mut self.enabled).enumerate() {
            let now = *c != Coefficients::identity();
            switched_in |= now && !*enabled;
            *enabled = now;
            if now {
                self.active.push(k);
            }
        }
        switched_in
    }
}

/// `N` channels filtered together, and their memories.
struct Group<const N: usize> {
    /// The channel of each lane.
    channels: [usize; N],
    /// Section memories: bank 0's sections, then bank 1's.
    states: Vec<BiquadLanes<N>>,
    /// The memories of the bank in use before a settled block, to replay the block sample
    /// by sample when it produced a non-finite sample.
    saved: Vec<BiquadLanes<N>>,
    /// The last two input frames `[previous, before]` (non-finite samples as 0): the signal
    /// a switched-in section starts from when no enabled section precedes it.
    input: [[f64; N]; 2],
    /// Between runs of sections of a long cascade.
    scratch: Vec<[f64; N]>,
    /// The last input frames, oldest at `ring_next` (empty for a node without choices).
    ring: Vec<[f32; N]>,
    /// Where the next input frame goes in `ring`.
    ring_next: usize,
}

impl<const N: usize> Group<N> {
    fn new(channels: [usize; N], sections: usize, max_block: usize, ring: usize) -> Self {
        Group {
            channels,
            states: vec![BiquadLanes::new(); 2 * sections],
            saved: vec![BiquadLanes::new(); sections],
            input: [[0.0; N]; 2],
            scratch: vec![[0.0; N]; max_block.max(1)],
            ring: vec![[0.0; N]; ring],
            ring_next: 0,
        }
    }

    fn reset(&mut self) {
        self.states.iter_mut().for_each(BiquadLanes::reset);
        self.input = [[0.0; N]; 2];
        self.ring.fill([0.0; N]);
        self.ring_next = 0;
    }

    /// The memories of bank `bank`.
    fn bank_states(&mut self, bank: usize, sections: usize) -> &mut [BiquadLanes<N>] {
        self.states
            .get_mut(bank * sections..(bank + 1) * sections)
            .unwrap_or(&mut [])
    }

    /// Records an input frame as the latest.
    fn remember_input(&mut self, x: [f32; N]) {
        self.input = [x.map(|v| finite_or_zero(f64::from(v))), self.input[0]];
        if let Some(slot) = self.ring.get_mut(self.ring_next) {
            *slot = x;
            self.ring_next += 1;
            if self.ring_next == self.ring.len() {
                self.ring_next = 0;
            }
        }
    }

    /// Records a block of input frames: the last two as [`Group::input`], as many as fit in
    /// the ring.
    fn remember_block(&mut self, inputs: [&[f32]; N]) {
        let frames = inputs.iter().map(|i| i.len()).min().unwrap_or(0);
        let read = |f: usize| inputs.map(|i| i.get(f).copied().unwrap_or(0.0));
        let len = self.ring.len();
        let mut f = frames - frames.min(len);
        while f < frames {
            let n = (len - self.ring_next).min(frames - f);
            let slots = self
                .ring
                .get_mut(self.ring_next..self.ring_next + n)
                .unwrap_or(&mut []);
            for (k, slot) in slots.iter_mut().enumerate() {
                *slot = read(f + k);
            }
            f += n;
            self.ring_next = (self.ring_next + n) % len;
        }
        for f in frames.saturating_sub(2)..frames {
            self.input = [read(f).map(|v| finite_or_zero(f64::from(v))), self.input[0]];
        }
    }

    /// Primes the sections of bank `bank` that `was_enabled` did not include but `enabled`
    /// does, with the signal at their place: the output of the enabled section before them,
    /// or the input.
    fn prime_switched_in(&mut self, bank: usize, was_enabled: &[bool], enabled: &[bool]) {
        let mut signal = self.input;
        let sections = enabled.len();
        for ((state, now), before) in self
            .bank_states(bank, sections)
            .iter_mut()
            .zip(enabled)
            .zip(was_enabled)
        {
            if *now {
                if !*before {
                    state.prime(signal, signal);
                }
                signal = state.output_history();
            }
        }
    }

    /// Brings bank `bank` to the state it would have after filtering the input kept in the
    /// ring: each section primed as if the oldest frames had passed through it unchanged,
    /// then every kept frame filtered, unheard.
    fn preroll(&mut self, bank: usize, b: &Bank) {
        let len = self.ring.len();
        let at = |ring: &[[f32; N]], next: usize, i: usize| {
            ring.get((next + i) % len.max(1))
                .map_or([0.0; N], |x| x.map(|v| finite_or_zero(f64::from(v))))
        };
        let start = [
            at(&self.ring, self.ring_next, 1),
            at(&self.ring, self.ring_next, 0),
        ];
        for state in self.bank_states(bank, b.coefficients.len()) {
            state.prime(start, start);
        }
        for i in 2..len {
            let x = at(&self.ring, self.ring_next, i);
            self.step_bank(bank, b, x);
        }
    }

    /// Filters one frame through the enabled sections of bank `bank`.
    #[inline]
    fn step_bank(&mut self, bank: usize, b: &Bank, x: [f64; N]) -> [f64; N] {
        let states = self.bank_states(bank, b.coefficients.len());
        let mut v = x;
        for &k in &b.active {
            if let (Some(s), Some(c)) = (states.get_mut(k), b.coefficients.get(k)) {
                v = s.step(c, v);
            }
        }
        v
    }

    /// Filters one frame through bank `current`, crossfaded with the other bank at weight
    /// `fade` while a switch runs. A lane whose output is not finite (only possible from
    /// non-finite input) has its memories cleared and gives silence. The caller records the
    /// input with [`Group::remember_input`].
    fn frame(
        &mut self,
        banks: &[Bank; 2],
        current: usize,
        fade: Option<f64>,
        x: [f64; N],
    ) -> [f32; N] {
        let y = self.step_bank(current, &banks[current], x);
        let y = match fade {
            Some(w) => {
                let other = 1 - current;
                let z = self.step_bank(other, &banks[other], x);
                std::array::from_fn(|k| y[k] * (1.0 - w) + z[k] * w)
            }
            None => y,
        };
        let mut out = [0.0f32; N];
        for (lane, (o, v)) in out.iter_mut().zip(y).enumerate() {
            let v = v as f32;
            if v.is_finite() {
                *o = v;
            } else {
                self.states.iter_mut().for_each(|s| s.reset_lane(lane));
            }
        }
        out
    }

    /// Filters `inputs` into `outputs` through bank `bank` with its coefficients held.
    fn settled(
        &mut self,
        banks: &[Bank; 2],
        bank: usize,
        inputs: [&[f32]; N],
        mut outputs: [&mut [f32]; N],
    ) {
        let frames = inputs
            .iter()
            .map(|i| i.len())
            .chain(outputs.iter().map(|o| o.len()))
            .min()
            .unwrap_or(0);
        let inputs = inputs.map(|i| i.get(..frames).unwrap_or(&[]));
        let b = &banks[bank];
        if b.active.is_empty() {
            for (o, i) in outputs.iter_mut().zip(inputs) {
                let o = o.get_mut(..frames).unwrap_or(&mut []);
                copy(o, i);
                if !all_finite(o) {
                    o.iter_mut()
                        .filter(|x| !x.is_finite())
                        .for_each(|x| *x = 0.0);
                }
            }
        } else {
            let sections = b.coefficients.len();
            let Group {
                states,
                saved,
                scratch,
                ..
            } = self;
            let states = states
                .get_mut(bank * sections..(bank + 1) * sections)
                .unwrap_or(&mut []);
            copy(saved, states);
            let chunk = scratch.len().max(1);
            for start in (0..frames).step_by(chunk) {
                let end = (start + chunk).min(frames);
                let ins = inputs.map(|i| i.get(start..end).unwrap_or(&[]));
                let mut outs = outputs
                    .each_mut()
                    .map(|o| o.get_mut(start..end).unwrap_or(&mut []));
                run_cascade(&b.coefficients, &b.active, states, scratch, ins, &mut outs);
            }
            if !outputs.iter().all(|o| all_finite(o)) {
                // Replay the block one frame at a time, which drops the bad samples exactly
                // as blocks of one frame would.
                let Group { states, saved, .. } = self;
                copy(
                    states
                        .get_mut(bank * sections..(bank + 1) * sections)
                        .unwrap_or(&mut []),
                    saved,
                );
                for f in 0..frames {
                    let x = inputs.map(|i| f64::from(i.get(f).copied().unwrap_or(0.0)));
                    let y = self.frame(banks, bank, None, x);
                    for (o, v) in outputs.iter_mut().zip(y) {
                        if let Some(o) = o.get_mut(f) {
                            *o = v;
                        }
                    }
                }
            }
            self.bank_states(bank, sections)
                .iter_mut()
                .for_each(BiquadLanes::flush_tiny);
        }
        self.remember_block(inputs);
    }
}

/// Runs the `active` sections from `inputs` to `outputs` (the same length, at most the
/// scratch's), in runs of up to [`SECTIONS_PER_RUN`] sections with `scratch` between runs.
fn run_cascade<const N: usize>(
    coefficients: &[Coefficients],
    active: &[usize],
    states: &mut [BiquadLanes<N>],
    scratch: &mut [[f64; N]],
    inputs: [&[f32]; N],
    outputs: &mut [&mut [f32]; N],
) {
    let frames = outputs.iter().map(|o| o.len()).min().unwrap_or(0);
    let frames = inputs.iter().map(|i| i.len()).fold(frames, usize::min);
    let frames = if active.len() > SECTIONS_PER_RUN {
        frames.min(scratch.len())
    } else {
        frames
    };
    let inputs = inputs.map(|i| i.get(..frames).unwrap_or(&[]));
    let read_input = |i: usize| inputs.map(|x| f64::from(x.get(i).copied().unwrap_or(0.0)));
    let scratch =
        std::cell::Cell::from_mut(scratch.get_mut(..frames).unwrap_or(&mut [])).as_slice_of_cells();
    let read_scratch = |i: usize| scratch.get(i).map_or([0.0; N], std::cell::Cell::get);
    let write_scratch = |i: usize, y: [f64; N]| {
        if let Some(s) = scratch.get(i) {
            s.set(y);
        }
    };
    let mut outputs = outputs
        .each_mut()
        .map(|o| o.get_mut(..frames).unwrap_or(&mut []));
    let mut write_output = |i: usize, y: [f64; N]| {
        for (o, v) in outputs.iter_mut().zip(y) {
            if let Some(o) = o.get_mut(i) {
                *o = v as f32;
            }
        }
    };
    let runs = active.chunks(SECTIONS_PER_RUN);
    let last = runs.len().saturating_sub(1);
    for (r, run) in runs.enumerate() {
        match (r == 0, r == last) {
            (true, true) => run_sections(
                coefficients,
                states,
                run,
                frames,
                read_input,
                &mut write_output,
            ),
            (true, false) => {
                run_sections(coefficients, states, run, frames, read_input, write_scratch)
            }
            (false, false) => run_sections(
                coefficients,
                states,
                run,
                frames,
                read_scratch,
                write_scratch,
            ),
            (false, true) => run_sections(
                coefficients,
                states,
                run,
                frames,
                read_scratch,
                &mut write_output,
            ),
        }
    }
}

/// Runs the sections `run` (at most [`SECTIONS_PER_RUN`]) of a cascade over `frames` frames.
#[inline(always)]
fn run_sections<const N: usize>(
    coefficients: &[Coefficients],
    states: &mut [BiquadLanes<N>],
    run: &[usize],
    frames: usize,
    read: impl Fn(usize) -> [f64; N],
    write: impl FnMut(usize, [f64; N]),
) {
    match run.len() {
        0 => {}
        1 => run_fixed::<N, 1>(coefficients, states, run, frames, read, write),
        2 => run_fixed::<N, 2>(coefficients, states, run, frames, read, write),
        3 => run_fixed::<N, 3>(coefficients, states, run, frames, read, write),
        _ => run_fixed::<N, 4>(coefficients, states, run, frames, read, write),
    }
}

/// [`run_sections`] for exactly `S` sections, their memories held in registers.
#[inline(always)]
fn run_fixed<const N: usize, const S: usize>(
    coefficients: &[Coefficients],
    states: &mut [BiquadLanes<N>],
    run: &[usize],
    frames: usize,
    read: impl Fn(usize) -> [f64; N],
    write: impl FnMut(usize, [f64; N]),
) {
    let index = |i: usize| run.get(i).copied().unwrap_or(usize::MAX);
    let c: [Coefficients; S] =
        std::array::from_fn(|i| coefficients.get(index(i)).copied().unwrap_or_default());
    let mut s: [BiquadLanes<N>; S] =
        std::array::from_fn(|i| states.get(index(i)).copied().unwrap_or_default());
    run_series(&c, &mut s, frames, read, write);
    for (i, state) in s.into_iter().enumerate() {
        if let Some(slot) = states.get_mut(index(i)) {
            *slot = state;
        }
    }
}

/// The crossfade weight at linear progress `p` (0..1): a raised cosine, so the crossfade
/// starts and ends without a kink; exactly 0 and 1 at the ends.
fn raised_cosine(p: f64) -> f64 {
    0.5 - 0.5 * (std::f64::consts::PI * p.clamp(0.0, 1.0)).cos()
}

/// Whether no sample is infinite or NaN (a branch-free scan).
fn all_finite(x: &[f32]) -> bool {
    const EXPONENT: u32 = 0x7f80_0000;
    x.iter().fold(0u32, |bad, v| {
        bad | u32::from(v.to_bits() & EXPONENT == EXPONENT)
    }) == 0
}

/// Copies as many values as both slices hold.
fn copy<T: Copy>(to: &mut [T], from: &[T]) {
    for (t, f) in to.iter_mut().zip(from) {
        *t = *f;
    }
}

fn finite_or_zero(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

/// The output slices of a group's channels from frame `from` on (empty for a channel the
/// port does not have).
fn group_outputs<'p, const N: usize>(
    port: &'p mut PortChannels<'_>,
    channels: [usize; N],
    from: usize,
) -> [&'p mut [f32]; N] {
    let mut slots: [&'p mut [f32]; N] = std::array::from_fn(|_| <&mut [f32]>::default());
    for (ch, data) in port.iter_mut().enumerate() {
        if let Some(slot) = channels
            .iter()
            .position(|c| *c == ch)
            .and_then(|k| slots.get_mut(k))
        {
            *slot = data.get_mut(from..).unwrap_or_default();
        }
    }
    slots
}

/// The cascade processor; see the module docs.
pub(crate) struct CascadeProcessor {
    design: DesignFn,
    sample_rate: f64,
    /// Parameter values at activation, restored by `reset`.
    initial: Vec<f64>,
    /// Whether each parameter switches (a choice or a flag: crossfaded) rather than ramps.
    switches: Vec<bool>,
    /// The parameter values; a switching one holds its latest value without ramp.
    params: Vec<Smoothed>,
    banks: [Bank; 2],
    /// The bank heard when no switch runs.
    current: usize,
    /// The weight of the other bank while a switch runs.
    fade: Option<Smoothed>,
    fade_frames: usize,
    /// A choice changed during a switch: switch again when it ends.
    pending: bool,
    /// Whether [`Processor::tail`] reports the ringing of the sections.
    declares_tail: bool,
    /// Scratch for the enabled flags before a redesign.
    was_enabled: Vec<bool>,
    pairs: Vec<Group<2>>,
    single: Vec<Group<1>>,
}

impl CascadeProcessor {
    /// Builds the processor for `sections` biquad sections on the main input's channels.
    pub(crate) fn new(
        config: &NodeConfig<'_>,
        sections: usize,
        design: DesignFn,
    ) -> CascadeProcessor {
        let initial = config.params.numbers().to_vec();
        let switches: Vec<bool> = (0..initial.len())
            .map(|i| {
                config.params.specs().get(i).is_some_and(|spec| {
                    matches!(spec.kind, ParamKind::Choice { .. } | ParamKind::Bool { .. })
                })
            })
            .collect();
        let channels = config.input_channels.first().copied().unwrap_or(0);
        let block = config.max_block;
        let ring = if switches.iter().any(|s| *s) {
            config.ms_to_frames(PREROLL_MS).max(2)
        } else {
            0
        };
        let mut p = CascadeProcessor {
            design,
            sample_rate: config.sample_rate,
            switches,
            params: initial.iter().map(|v| Smoothed::new(*v)).collect(),
            banks: [Bank::new(&initial, sections), Bank::new(&initial, sections)],
            initial,
            current: 0,
            fade: None,
            fade_frames: config.ms_to_frames(SMOOTHING_MS).max(1),
            pending: false,
            declares_tail: true,
            was_enabled: vec![false; sections],
            pairs: (0..channels / 2)
                .map(|g| Group::new([2 * g, 2 * g + 1], sections, block, ring))
                .collect(),
            single: (channels % 2 == 1)
                .then(|| Group::new([channels - 1], sections, block, ring))
                .into_iter()
                .collect(),
        };
        p.redesign(0);
        p
    }

    /// The processor reporting no tail (for a filter whose ringing after the input ends is
    /// not part of the output a render should keep, like a DC blocker's settling).
    pub(crate) fn without_declared_tail(mut self) -> Self {
        self.declares_tail = false;
        self
    }

    /// Boxed, for `NodeType::activate`.
    pub(crate) fn boxed(
        config: &NodeConfig<'_>,
        sections: usize,
        design: DesignFn,
    ) -> Box<dyn Processor> {
        Box::new(CascadeProcessor::new(config, sections, design))
    }

    /// Recomputes bank `bank`'s coefficients from the current numeric values and its own
    /// choices, priming the sections it switches in.
    fn redesign(&mut self, bank: usize) {
        let b = &mut self.banks[bank];
        for ((v, p), switch) in b.values.iter_mut().zip(&self.params).zip(&self.switches) {
            if !switch {
                *v = p.value();
            }
        }
        if b.redesign(self.design, self.sample_rate, &mut self.was_enabled) {
            for g in &mut self.pairs {
                g.prime_switched_in(bank, &self.was_enabled, &b.enabled);
            }
            for g in &mut self.single {
                g.prime_switched_in(bank, &self.was_enabled, &b.enabled);
            }
        }
    }

    /// Redesigns every bank that is heard.
    fn redesign_live(&mut self) {
        self.redesign(self.current);
        if self.fade.is_some() {
            self.redesign(1 - self.current);
        }
    }

    /// Starts crossfading to a bank designed with the latest choices, brought up to date
    /// over the input kept in the ring.
    fn start_switch(&mut self) {
        let to = 1 - self.current;
        let target = &mut self.banks[to];
        target.enabled.fill(false);
        for (v, p) in target.values.iter_mut().zip(&self.params) {
            *v = p.value();
        }
        self.redesign(to);
        for g in &mut self.pairs {
            g.preroll(to, &self.banks[to]);
        }
        for g in &mut self.single {
            g.preroll(to, &self.banks[to]);
        }
        let mut fade = Smoothed::new(0.0);
        fade.set(1.0, self.fade_frames);
        self.fade = Some(fade);
    }

    /// Ends a crossfade that has reached the new bank, and starts the next one if a choice
    /// changed meanwhile.
    fn finish_switch(&mut self) {
        if self
            .fade
            .is_some_and(|f| f.is_settled() && f.value() >= 1.0)
        {
            self.fade = None;
            self.current = 1 - self.current;
            if self.pending {
                self.pending = false;
                self.start_switch();
            }
        }
    }

    fn is_ramping(&self) -> bool {
        self.params.iter().any(|p| !p.is_settled())
    }

    /// Filters frame `f` of every channel while parameters ramp or a switch runs.
    fn ramp_frame(&mut self, ctx: &mut ProcessContext<'_>, f: usize) {
        if self.is_ramping() {
            self.params.iter_mut().for_each(|p| {
                p.next();
            });
            self.redesign_live();
        }
        let fade = self.fade.as_mut().map(|f| raised_cosine(f.next()));
        for g in &mut self.pairs {
            group_frame(g, &self.banks, self.current, fade, ctx, f);
        }
        for g in &mut self.single {
            group_frame(g, &self.banks, self.current, fade, ctx, f);
        }
        self.finish_switch();
    }
}

/// Reads frame `f` of a group's channels, filters it and writes it.
fn group_frame<const N: usize>(
    g: &mut Group<N>,
    banks: &[Bank; 2],
    current: usize,
    fade: Option<f64>,
    ctx: &mut ProcessContext<'_>,
    f: usize,
) {
    let x = g
        .channels
        .map(|c| ctx.inputs.channel(0, c).get(f).copied().unwrap_or(0.0));
    let y = g.frame(banks, current, fade, x.map(f64::from));
    g.remember_input(x);
    for (c, v) in g.channels.into_iter().zip(y) {
        if let Some(o) = ctx.outputs.channel(0, c).get_mut(f) {
            *o = v;
        }
    }
}

/// Filters frames `from..` of a group's channels with the coefficients held.
fn group_settled<const N: usize>(
    g: &mut Group<N>,
    banks: &[Bank; 2],
    current: usize,
    ctx: &mut ProcessContext<'_>,
    from: usize,
) {
    let inputs = g
        .channels
        .map(|c| ctx.inputs.channel(0, c).get(from..).unwrap_or(&[]));
    let mut port = ctx.outputs.port(0);
    let outputs = group_outputs(&mut port, g.channels, from);
    g.settled(banks, current, inputs, outputs);
}

impl Processor for CascadeProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let frames = ctx.frames();
        let filtered = 2 * self.pairs.len() + self.single.len();
        for ch in filtered..ctx.outputs.channels(0) {
            ctx.outputs.channel(0, ch).fill(0.0);
        }
        let mut frame = 0;
        while frame < frames && (self.fade.is_some() || self.is_ramping()) {
            self.ramp_frame(ctx, frame);
            frame += 1;
        }
        if frame < frames {
            for g in &mut self.pairs {
                group_settled(g, &self.banks, self.current, ctx, frame);
            }
            for g in &mut self.single {
                group_settled(g, &self.banks, self.current, ctx, frame);
            }
        }
    }

    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        let switch = self.switches.get(index).copied().unwrap_or(false);
        let Some(p) = self.params.get_mut(index) else {
            return;
        };
        if switch {
            if p.value() != value {
                p.reset(value);
                if self.fade.is_some() {
                    self.pending = true;
                } else {
                    self.start_switch();
                }
            }
        } else {
            p.set(value, ramp_frames);
            if ramp_frames == 0 {
                self.redesign_live();
            }
        }
    }

    fn tail(&self) -> usize {
        if !self.declares_tail {
            return 0;
        }
        let current = cascade_tail(&self.banks[self.current].coefficients, self.sample_rate);
        match self.fade {
            Some(_) => current.max(cascade_tail(
                &self.banks[1 - self.current].coefficients,
                self.sample_rate,
            )),
            None => current,
        }
    }

    fn reset(&mut self) {
        for (p, v) in self.params.iter_mut().zip(&self.initial) {
            p.reset(*v);
        }
        self.pairs.iter_mut().for_each(Group::reset);
        self.single.iter_mut().for_each(Group::reset);
        self.current = 0;
        self.fade = None;
        self.pending = false;
        self.banks[0].values.copy_from_slice(&self.initial);
        self.banks[0].enabled.fill(false);
        self.redesign(0);
    }
}
