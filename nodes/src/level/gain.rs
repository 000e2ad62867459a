//! `gain`: multiplies every channel by a gain in decibels, smoothed.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, PortSpec,
    ProcessContext, Processor, Smoothed, Unit, db_to_gain,
};

/// The `gain` node type.
pub struct Gain;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "gain",
    doc: "Changes the level of every channel by a gain in dB (smoothed)",
    category: Category::Level,
    source: "nodes/src/level/gain.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[ParamSpec::number(
        "gain",
        "Gain",
        Unit::Db,
        -120.0,
        48.0,
        0.0,
        20.0,
    )],
};

impl NodeType for Gain {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let db = config.params.number("gain");
        Ok(Box::new(GainProcessor {
            initial_db: db,
            gain: Smoothed::new(gain_of(db)),
        }))
    }
}

/// Linear gain for a dB value, with the range floor meaning silence.
fn gain_of(db: f64) -> f64 {
    if db <= -120.0 { 0.0 } else { db_to_gain(db) }
}

struct GainProcessor {
    initial_db: f64,
    gain: Smoothed,
}

impl Processor for GainProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let channels = ctx.outputs.channels(0);
        let frames = ctx.frames();
        if self.gain.is_settled() {
            let g = self.gain.value() as f32;
            for ch in 0..channels {
                let x = ctx.inputs.channel(0, ch);
                for (o, i) in ctx.outputs.channel(0, ch).iter_mut().zip(x) {
                    *o = i * g;
                }
            }
            return;
        }
        // Ramping: one gain value per frame, shared by every channel.
        for f in 0..frames {
            let g = self.gain.next() as f32;
            for ch in 0..channels {
                let x = ctx.inputs.channel(0, ch)[f];
                ctx.outputs.channel(0, ch)[f] = x * g;
            }
        }
    }

    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        if index == 0 {
            self.gain.set(gain_of(value), ramp_frames);
        }
    }

    fn reset(&mut self) {
        self.gain.reset(gain_of(self.initial_db));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, num};

    #[test]
    fn minus_six_db_scales_by_the_analytic_factor() {
        let input = testkit::noise(1, 2, 1000);
        let out = testkit::render(Gain, &[num("gain", -6.0)], &[input.clone()], 48_000.0, 64);
        let g = 10f32.powf(-6.0 / 20.0);
        for ch in 0..2 {
            for (o, i) in out[0][ch].iter().zip(&input[ch]) {
                assert!((o - i * g).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn floor_is_silence() {
        let out = testkit::render(
            Gain,
            &[num("gain", -120.0)],
            &[testkit::noise(2, 1, 100)],
            48_000.0,
            64,
        );
        assert!(out[0][0].iter().all(|x| *x == 0.0));
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(Gain, &[num("gain", 12.0)]);
    }
}
