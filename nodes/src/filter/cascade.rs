//! The processor shared by every biquad-based filter node: each channel runs through a
//! cascade of biquad sections whose coefficients a node-specific design function computes
//! from the node's parameter values.
//!
//! Channels are filtered in groups (see `channel_group`): a stereo signal is one pair, both
//! channels in one vector register. Sections run in direct form I (see
//! [`crate::dsp::biquad::BiquadLanes`]), so their memories hold the signal itself.
//!
//! - **Settled**: the coefficients are held; each group runs over the whole block in a tight
//!   loop with the section memories in registers, through the sections that are not the
//!   identity only (a cascade of identities copies its input).
//! - **A numeric parameter ramping**: every parameter advances one frame at a time and the
//!   coefficients are redesigned for every frame, shared by all channels. A change without
//!   ramp redesigns at once.
//! - **A choice changing** (a slope, an EQ band's shape): the cascade designed with the new
//!   choice runs beside the old one, and the output crossfades from the old to the new over
//!   the filters' smoothing time ([`SMOOTHING_MS`]) along a raised cosine, which has no kink
//!   where it starts and ends (the two outputs can differ in phase). So that the new cascade
//!   joins in its steady state rather than with a start-up transient, it first runs,
//!   unheard, over the last [`PREROLL_MS`] of input (kept for nodes that have a choice). A
//!   choice change that arrives during a crossfade starts its own crossfade when that one
//!   ends.
//!
//! A section that stops being the identity starts as if it had passed the signal at its
//! place in the cascade through unchanged, so switching it in (a tilt leaving 0 dB/oct)
//! continues the signal instead of starting from silence. In every case the output does not
//! depend on the block size.

use mixgraph_engine::{NodeConfig, ParamKind, ProcessContext, Processor, Smoothed};

use super::channel_group::Group;
use super::design::cascade_tail;
use super::params::SMOOTHING_MS;
use crate::dsp::biquad::Coefficients;

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

/// One design of the cascade: the parameter values it follows (its own choices, the node's
/// numeric values), its coefficients and which sections are not the identity.
pub(super) struct Bank {
    values: Vec<f64>,
    /// The coefficients of every section.
    pub(super) coefficients: Vec<Coefficients>,
    /// Whether each section is not the identity.
    pub(super) enabled: Vec<bool>,
    /// Indices of the enabled sections, in order.
    pub(super) active: Vec<usize>,
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
        for (was, is) in was_enabled.iter_mut().zip(&self.enabled) {
            *was = *is;
        }
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
            g.process_frame(&self.banks, self.current, fade, ctx, f);
        }
        for g in &mut self.single {
            g.process_frame(&self.banks, self.current, fade, ctx, f);
        }
        self.finish_switch();
    }
}

/// The crossfade weight at linear progress `p` (0..1): a raised cosine, so the crossfade
/// starts and ends without a kink; exactly 0 and 1 at the ends.
fn raised_cosine(p: f64) -> f64 {
    0.5 - 0.5 * (std::f64::consts::PI * p.clamp(0.0, 1.0)).cos()
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
                g.process_settled(&self.banks, self.current, ctx, frame);
            }
            for g in &mut self.single {
                g.process_settled(&self.banks, self.current, ctx, frame);
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mixgraph_engine::{CompileConfig, compile};

    use crate::dsp::biquad::{Coefficients, FilterShape, butterworth_q};

    use crate::filter::{lowpass::Lowpass, peak::Peak, testing};
    use crate::testkit::{self, num, text};

    #[test]
    fn declared_tail_covers_the_ringing_down_to_minus_120_db() {
        let fs = 48_000.0;
        for (freq, q, slope) in [
            (30.0, 10.0, "12"),
            (200.0, std::f64::consts::FRAC_1_SQRT_2, "48"),
            (5000.0, 2.0, "24"),
        ] {
            let params = [num("frequency", freq), num("q", q), text("slope", slope)];
            let g = testkit::graph_for(Arc::new(Lowpass), &params, 1);
            let mut config = CompileConfig::new(fs, 1024);
            config.input_channels.insert("in0".to_string(), 1);
            let tail = compile(&g, &config).expect("compile").tail();
            let h = testing::impulse_response(Arc::new(Lowpass), &params, fs, tail * 2 + 4096);
            let peak = h.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            let last_loud = h.iter().rposition(|x| x.abs() > peak * 1e-6).unwrap_or(0);
            assert!(
                last_loud <= tail,
                "{freq} Hz q {q}: rings until {last_loud}, tail {tail}"
            );
            assert!(
                tail <= 3 * last_loud.max(100),
                "{freq} Hz q {q}: tail {tail} far beyond {last_loud}"
            );
        }
    }

    #[test]
    fn every_channel_is_filtered_as_if_it_were_alone() {
        // Channels run in pairs in one vector register and an odd one alone: each output
        // channel of a five-channel render must equal a mono render of that channel.
        let params = [num("frequency", 700.0), num("gain", 8.0), num("q", 2.0)];
        let input = testkit::noise(4, 5, 3000);
        let together = testkit::render(Peak, &params, std::slice::from_ref(&input), 48_000.0, 500);
        for (ch, channel) in input.iter().enumerate() {
            let alone = testkit::render(Peak, &params, &[vec![channel.clone()]], 48_000.0, 500);
            assert_eq!(together[0][ch], alone[0][0], "channel {ch}");
        }
    }

    #[test]
    fn a_long_cascade_equals_its_sections_one_after_another() {
        // A 48 dB/oct low-pass (4 sections) against the same four sections applied in the
        // test, sample by sample, with the coefficients designed here.
        let (fs, fc) = (48_000.0, 2_000.0);
        let input = testkit::noise(5, 1, 4000).remove(0);
        let out = testkit::render(
            Lowpass,
            &[num("frequency", fc), text("slope", "48")],
            &[vec![input.clone()]],
            fs,
            1000,
        );
        let sections: Vec<Coefficients> = (0..4)
            .map(|k| Coefficients::rbj(FilterShape::LowPass, fs, fc, butterworth_q(8, k), 0.0))
            .collect();
        let mut memories = [[0.0f64; 4]; 4]; // x1, x2, y1, y2 per section
        for (n, x) in input.iter().enumerate() {
            let mut v = f64::from(*x);
            for (c, m) in sections.iter().zip(memories.iter_mut()) {
                let y = c.b0 * v + c.b1 * m[0] + c.b2 * m[1] - c.a1 * m[2] - c.a2 * m[3];
                *m = [v, m[0], y, m[2]];
                v = y;
            }
            assert!((f64::from(out[0][0][n]) - v).abs() < 1e-6, "frame {n}");
        }
    }
}
