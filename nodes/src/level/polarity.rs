//! `polarity`: inverts the polarity of all channels, or of the left or right one only.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, PortSpec,
    ProcessContext, Processor,
};

use crate::dsp::choice_blend::{ChoiceBlend, switch_frames};

/// The `polarity` node type.
pub struct Polarity;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "polarity",
    doc: "Inverts polarity (multiplies by -1): every channel, or only the left (channel 0) or right (channel 1)",
    category: Category::Level,
    source: "nodes/src/level/polarity.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[ParamSpec::choice(
        "invert",
        "Which channels to invert: all, left (channel 0) or right (channel 1); a change crossfades over 10 ms",
        &["all", "left", "right"],
        "all",
    )],
};

impl NodeType for Polarity {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let invert = config.params.number("invert");
        Ok(Box::new(PolarityProcessor {
            initial: invert,
            invert: ChoiceBlend::new(invert, switch_frames(config.sample_rate)),
        }))
    }
}

struct PolarityProcessor {
    initial: f64,
    /// Weights of `all`, `left`, `right`.
    invert: ChoiceBlend<3>,
}

impl Processor for PolarityProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let start = self.invert;
        for ch in 0..ctx.outputs.channels(0) {
            let mut invert = start;
            let x = ctx.inputs.channel(0, ch);
            for (o, i) in ctx.outputs.channel(0, ch).iter_mut().zip(x) {
                let [all, left, right] = invert.next();
                let inverted =
                    all + if ch == 0 { left } else { 0.0 } + if ch == 1 { right } else { 0.0 };
                // +1 when not inverted, -1 when inverted, passing through 0 while switching.
                *o = i * (1.0 - 2.0 * inverted) as f32;
            }
        }
        for _ in 0..ctx.frames() {
            self.invert.next();
        }
    }

    fn set_param(&mut self, index: usize, value: f64, _ramp_frames: usize) {
        if index == 0 {
            self.invert.set(value);
        }
    }

    fn reset(&mut self) {
        self.invert.reset(self.initial);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, text};

    #[test]
    fn inverts_exactly_the_selected_channels() {
        let input = testkit::noise(1, 3, 500);
        for (choice, signs) in [
            ("all", [-1.0, -1.0, -1.0]),
            ("left", [-1.0, 1.0, 1.0]),
            ("right", [1.0, -1.0, 1.0]),
        ] {
            let out = testkit::render(
                Polarity,
                &[text("invert", choice)],
                std::slice::from_ref(&input),
                48_000.0,
                64,
            );
            for ch in 0..3 {
                let expected: Vec<f32> = input[ch].iter().map(|x| x * signs[ch]).collect();
                assert_eq!(out[0][ch], expected, "{choice}, channel {ch}");
            }
        }
    }

    #[test]
    fn switching_crossfades_through_zero_instead_of_flipping() {
        let len = 2000;
        let g = testkit::graph_for(std::sync::Arc::new(Polarity), &[text("invert", "left")], 1);
        let out = testkit::render_graph_with(
            &g,
            &[vec![vec![1.0f32; len]; 2]],
            48_000.0,
            100,
            |s, pos| {
                if pos == 500 {
                    s.set_param(s.node_index("node").unwrap(), 0, 2.0); // right
                }
            },
        );
        for (ch, channel) in out[0].iter().enumerate() {
            let max_step = channel
                .windows(2)
                .map(|w| (w[1] - w[0]).abs())
                .fold(0.0, f32::max);
            assert!(
                max_step <= 2.0 / 480.0 + 1e-6,
                "channel {ch}: step {max_step}"
            );
        }
        assert_eq!((out[0][0][499], out[0][1][499]), (-1.0, 1.0));
        assert_eq!((out[0][0][len - 1], out[0][1][len - 1]), (1.0, -1.0));
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(Polarity, &[text("invert", "right")]);
    }
}
