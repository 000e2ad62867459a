//! A group of channels the cascade processor filters together (a channel pair in one
//! vector register, or one channel), with their section memories, the loops that run them
//! over a block, and the input history a newly designed cascade is pre-rolled over.

use mixgraph_engine::{PortChannels, ProcessContext};

use super::cascade::Bank;
use crate::dsp::biquad::{BiquadLanes, Coefficients, run_series};

/// Most sections the settled loop keeps in registers at once; a longer cascade runs in runs
/// of this many, through a scratch buffer.
const SECTIONS_PER_RUN: usize = 4;

/// `N` channels filtered together, and their memories.
pub(super) struct Group<const N: usize> {
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
    /// The last input samples of each lane (none for a node without choices).
    rings: [Ring; N],
}

impl<const N: usize> Group<N> {
    pub(super) fn new(
        channels: [usize; N],
        sections: usize,
        max_block: usize,
        ring: usize,
    ) -> Self {
        Group {
            channels,
            states: vec![BiquadLanes::new(); 2 * sections],
            saved: vec![BiquadLanes::new(); sections],
            input: [[0.0; N]; 2],
            scratch: vec![[0.0; N]; max_block.max(1)],
            rings: std::array::from_fn(|_| Ring::new(ring)),
        }
    }

    pub(super) fn reset(&mut self) {
        self.states.iter_mut().for_each(BiquadLanes::reset);
        self.input = [[0.0; N]; 2];
        self.rings.iter_mut().for_each(Ring::clear);
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
        for (ring, v) in self.rings.iter_mut().zip(x) {
            ring.push(v);
        }
    }

    /// Records a block of input: the last two frames as [`Group::input`], as much as fits
    /// in the rings.
    fn remember_block(&mut self, inputs: [&[f32]; N]) {
        for (ring, x) in self.rings.iter_mut().zip(inputs) {
            ring.push_block(x);
        }
        let frames = inputs.iter().map(|i| i.len()).min().unwrap_or(0);
        for f in frames.saturating_sub(2)..frames {
            let x = inputs.map(|i| finite_or_zero(f64::from(i.get(f).copied().unwrap_or(0.0))));
            self.input = [x, self.input[0]];
        }
    }

    /// Primes the sections of bank `bank` that `was_enabled` did not include but `enabled`
    /// does, with the signal at their place: the output of the enabled section before them,
    /// or the input.
    pub(super) fn prime_switched_in(
        &mut self,
        bank: usize,
        was_enabled: &[bool],
        enabled: &[bool],
    ) {
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
    pub(super) fn preroll(&mut self, bank: usize, b: &Bank) {
        let len = self.rings.iter().map(Ring::len).min().unwrap_or(0);
        let sections = b.coefficients.len();
        let Group {
            states,
            scratch,
            rings,
            ..
        } = self;
        let states = states
            .get_mut(bank * sections..(bank + 1) * sections)
            .unwrap_or(&mut []);
        let at = |i: usize| rings.each_ref().map(|r| r.oldest(i));
        let start = [at(1), at(0)];
        for state in states.iter_mut() {
            state.prime(start, start);
        }
        // Through the scratch, a block at a time, with the memories in registers.
        let mut from = 2;
        while from < len {
            let n = (len - from).min(scratch.len());
            let block = scratch.get_mut(..n).unwrap_or(&mut []);
            for (k, frame) in block.iter_mut().enumerate() {
                *frame = at(from + k);
            }
            let cells = std::cell::Cell::from_mut(block).as_slice_of_cells();
            let read = |f: usize| cells.get(f).map_or([0.0; N], std::cell::Cell::get);
            let write = |f: usize, y: [f64; N]| {
                if let Some(c) = cells.get(f) {
                    c.set(y);
                }
            };
            for run in b.active.chunks(SECTIONS_PER_RUN) {
                run_sections(&b.coefficients, states, run, n, read, write);
            }
            from += n.max(1);
        }
        states.iter_mut().for_each(BiquadLanes::flush_tiny);
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

    /// Reads frame `f` of a group's channels, filters it and writes it.
    pub(super) fn process_frame(
        &mut self,
        banks: &[Bank; 2],
        current: usize,
        fade: Option<f64>,
        ctx: &mut ProcessContext<'_>,
        f: usize,
    ) {
        let x = self
            .channels
            .map(|c| ctx.inputs.channel(0, c).get(f).copied().unwrap_or(0.0));
        let y = self.frame(banks, current, fade, x.map(f64::from));
        self.remember_input(x);
        for (c, v) in self.channels.into_iter().zip(y) {
            if let Some(o) = ctx.outputs.channel(0, c).get_mut(f) {
                *o = v;
            }
        }
    }

    /// Filters frames `from..` of a group's channels with the coefficients held.
    pub(super) fn process_settled(
        &mut self,
        banks: &[Bank; 2],
        current: usize,
        ctx: &mut ProcessContext<'_>,
        from: usize,
    ) {
        let inputs = self
            .channels
            .map(|c| ctx.inputs.channel(0, c).get(from..).unwrap_or(&[]));
        let mut port = ctx.outputs.port(0);
        let outputs = group_outputs(&mut port, self.channels, from);
        self.settled(banks, current, inputs, outputs);
    }
}

/// The last samples of one channel.
struct Ring {
    samples: Vec<f32>,
    /// Where the next sample goes: the oldest.
    next: usize,
}

impl Ring {
    fn new(capacity: usize) -> Ring {
        Ring {
            samples: vec![0.0; capacity],
            next: 0,
        }
    }

    fn len(&self) -> usize {
        self.samples.len()
    }

    fn clear(&mut self) {
        self.samples.fill(0.0);
        self.next = 0;
    }

    fn push(&mut self, x: f32) {
        if let Some(slot) = self.samples.get_mut(self.next) {
            *slot = x;
            self.next = (self.next + 1) % self.samples.len();
        }
    }

    /// Appends a block (only what fits: its end).
    fn push_block(&mut self, x: &[f32]) {
        let len = self.samples.len();
        let x = x.get(x.len().saturating_sub(len)..).unwrap_or(&[]);
        if x.is_empty() {
            return;
        }
        let (head, tail) = x.split_at((len - self.next).min(x.len()));
        copy(self.samples.get_mut(self.next..).unwrap_or(&mut []), head);
        copy(&mut self.samples, tail);
        self.next = (self.next + x.len()) % len;
    }

    /// The `i`-th oldest sample as a finite value (0 for a non-finite one or past the end).
    fn oldest(&self, i: usize) -> f64 {
        let len = self.samples.len().max(1);
        finite_or_zero(f64::from(
            self.samples
                .get((self.next + i) % len)
                .copied()
                .unwrap_or(0.0),
        ))
    }
}

/// Runs the `active` sections from `inputs` to `outputs` (as many frames as the shortest
/// of them and, for a cascade of more than [`SECTIONS_PER_RUN`] sections, the scratch
/// holds), in runs of up to [`SECTIONS_PER_RUN`] sections with `scratch` between runs.
fn run_cascade<const N: usize>(
    coefficients: &[Coefficients],
    active: &[usize],
    states: &mut [BiquadLanes<N>],
    scratch: &mut [[f64; N]],
    inputs: [&[f32]; N],
    outputs: &mut [&mut [f32]; N],
) {
    let mut frames = inputs
        .iter()
        .map(|i| i.len())
        .chain(outputs.iter().map(|o| o.len()))
        .min()
        .unwrap_or(0);
    if active.len() > SECTIONS_PER_RUN {
        frames = frames.min(scratch.len());
    }
    // Every slice is cut to exactly `frames`, which is no longer than any of them, so the
    // indexing below stays in bounds (and the compiler drops its checks).
    let inputs = inputs.map(|i| &i[..frames]);
    let read_input = |i: usize| inputs.map(|x| f64::from(x[i]));
    let scratch = std::cell::Cell::from_mut(&mut scratch[..frames]).as_slice_of_cells();
    let read_scratch = |i: usize| scratch[i].get();
    let write_scratch = |i: usize, y: [f64; N]| scratch[i].set(y);
    let mut outputs = outputs.each_mut().map(|o| &mut o[..frames]);
    let mut write_output = |i: usize, y: [f64; N]| {
        for (o, v) in outputs.iter_mut().zip(y) {
            o[i] = v as f32;
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
