//! The processor shared by every biquad-based filter node: each channel runs through a
//! cascade of biquad sections whose coefficients a node-specific design function computes
//! from the node's (smoothed) parameter values.
//!
//! While any parameter ramps, every parameter advances one frame at a time and the
//! coefficients are redesigned for every frame, shared by all channels; once settled they
//! are held and the block runs channel by channel. A change without ramp redesigns at once.
//! Either way the output does not depend on the block size.

use mixgraph_engine::{NodeConfig, ProcessContext, Processor, Smoothed};

use super::design::cascade_tail;
use crate::dsp::biquad::{Biquad, Coefficients};

/// Designs a node's sections: reads the parameter values (descriptor order) and writes
/// `sections.len()` coefficient sets; an unused section is [`Coefficients::identity`] and
/// costs nothing.
pub(crate) type DesignFn = fn(sample_rate: f64, params: &[f64], sections: &mut [Coefficients]);

/// A parameter value by index, 0 when absent (the design functions never index out of range).
pub(crate) fn param(params: &[f64], index: usize) -> f64 {
    params.get(index).copied().unwrap_or(0.0)
}

/// The cascade processor; see the module docs.
pub(crate) struct CascadeProcessor {
    design: DesignFn,
    sample_rate: f64,
    /// Parameter values at activation, restored by `reset`.
    initial: Vec<f64>,
    params: Vec<Smoothed>,
    /// The current parameter values, handed to `design`.
    values: Vec<f64>,
    coefficients: Vec<Coefficients>,
    /// Whether each section differs from the identity (disabled sections are skipped).
    enabled: Vec<bool>,
    channels: usize,
    /// Filter memories, channel after channel, `coefficients.len()` per channel.
    states: Vec<Biquad>,
}

impl CascadeProcessor {
    /// Builds the processor for `sections` biquad sections on the main input's channels.
    pub(crate) fn new(
        config: &NodeConfig<'_>,
        sections: usize,
        design: DesignFn,
    ) -> CascadeProcessor {
        let initial = config.params.numbers().to_vec();
        let channels = config.input_channels.first().copied().unwrap_or(0);
        let mut p = CascadeProcessor {
            design,
            sample_rate: config.sample_rate,
            params: initial.iter().map(|v| Smoothed::new(*v)).collect(),
            values: initial.clone(),
            initial,
            coefficients: vec![Coefficients::identity(); sections],
            enabled: vec![false; sections],
            channels,
            states: vec![Biquad::new(); channels * sections],
        };
        p.redesign();
        p
    }

    /// Boxed, for `NodeType::activate`.
    pub(crate) fn boxed(
        config: &NodeConfig<'_>,
        sections: usize,
        design: DesignFn,
    ) -> Box<dyn Processor> {
        Box::new(CascadeProcessor::new(config, sections, design))
    }

    /// Recomputes the coefficients from the current parameter values. A section that
    /// becomes enabled starts from silence.
    fn redesign(&mut self) {
        for (v, p) in self.values.iter_mut().zip(&self.params) {
            *v = p.value();
        }
        (self.design)(self.sample_rate, &self.values, &mut self.coefficients);
        let sections = self.coefficients.len();
        for (index, (c, enabled)) in self
            .coefficients
            .iter()
            .zip(self.enabled.iter_mut())
            .enumerate()
        {
            let now = *c != Coefficients::identity();
            if now && !*enabled {
                for state in self.states.iter_mut().skip(index).step_by(sections.max(1)) {
                    state.reset();
                }
            }
            *enabled = now;
        }
    }

    fn is_ramping(&self) -> bool {
        self.params.iter().any(|p| !p.is_settled())
    }

    /// Filters one sample of one channel through the enabled sections. A non-finite result
    /// (only possible from non-finite input) clears that channel's memories and gives silence.
    #[inline]
    fn filter(
        coefficients: &[Coefficients],
        enabled: &[bool],
        states: &mut [Biquad],
        x: f32,
    ) -> f32 {
        let mut v = f64::from(x);
        for ((c, on), s) in coefficients.iter().zip(enabled).zip(states.iter_mut()) {
            if *on {
                v = s.process(c, v);
            }
        }
        let y = v as f32;
        if y.is_finite() {
            y
        } else {
            states.iter_mut().for_each(Biquad::reset);
            0.0
        }
    }

    /// Runs frames `from..` of the call with fixed coefficients, channel by channel.
    fn run_settled(&mut self, ctx: &mut ProcessContext<'_>, from: usize) {
        let sections = self.coefficients.len();
        for ch in 0..ctx.outputs.channels(0) {
            let input = ctx.inputs.channel(0, ch);
            let output = ctx.outputs.channel(0, ch);
            let states = self.states.get_mut(ch * sections..(ch + 1) * sections);
            match states {
                Some(states) if ch < self.channels => {
                    for (o, x) in output.iter_mut().zip(input).skip(from) {
                        *o = Self::filter(&self.coefficients, &self.enabled, states, *x);
                    }
                }
                _ => output.iter_mut().skip(from).for_each(|o| *o = 0.0),
            }
        }
    }
}

impl Processor for CascadeProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let frames = ctx.frames();
        let sections = self.coefficients.len();
        let mut frame = 0;
        // Ramping: advance every parameter one frame, redesign, filter every channel.
        while frame < frames && self.is_ramping() {
            self.params.iter_mut().for_each(|p| {
                p.next();
            });
            self.redesign();
            for ch in 0..ctx.outputs.channels(0) {
                let x = ctx.inputs.channel(0, ch).get(frame).copied().unwrap_or(0.0);
                let y = match self.states.get_mut(ch * sections..(ch + 1) * sections) {
                    Some(states) if ch < self.channels => {
                        Self::filter(&self.coefficients, &self.enabled, states, x)
                    }
                    _ => 0.0,
                };
                if let Some(o) = ctx.outputs.channel(0, ch).get_mut(frame) {
                    *o = y;
                }
            }
            frame += 1;
        }
        if frame < frames {
            self.run_settled(ctx, frame);
        }
    }

    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        if let Some(p) = self.params.get_mut(index) {
            p.set(value, ramp_frames);
            if ramp_frames == 0 {
                self.redesign();
            }
        }
    }

    fn tail(&self) -> usize {
        cascade_tail(&self.coefficients, self.sample_rate)
    }

    fn reset(&mut self) {
        for (p, v) in self.params.iter_mut().zip(&self.initial) {
            p.reset(*v);
        }
        self.states.iter_mut().for_each(Biquad::reset);
        self.redesign();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mixgraph_engine::{CompileConfig, compile};

    use crate::filter::{lowpass::Lowpass, testing};
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
}
