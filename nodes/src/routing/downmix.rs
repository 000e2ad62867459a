//! `downmix`: any number of channels to mono.
//!
//! `mode` `average` outputs the mean of all channels, (L + R) / 2 for stereo (the level of
//! material common to both channels is kept; uncorrelated material drops by 3 dB). `left`
//! keeps channel 0 only and `right` channel 1 only (channel 0 when the input is mono). A mode
//! change crossfades over 10 ms.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, PortSpec,
    ProcessContext, Processor,
};

use crate::dsp::choice_blend::{ChoiceBlend, switch_frames};

/// The `downmix` node type.
pub struct Downmix;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "downmix",
    doc: "Any channels to mono: the average of all channels, or only the left (channel 0) or right (channel 1)",
    category: Category::Routing,
    source: "nodes/src/routing/downmix.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::Exact(1))],
    params: &[ParamSpec::choice(
        "mode",
        "average of all channels, left (channel 0) or right (channel 1)",
        &["average", "left", "right"],
        "average",
    )],
};

impl NodeType for Downmix {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let mode = config.params.number("mode");
        let channels = config.input_channels.first().copied().unwrap_or(0);
        Ok(Box::new(DownmixProcessor {
            initial: mode,
            mode: ChoiceBlend::new(mode, switch_frames(config.sample_rate)),
            channels,
        }))
    }
}

struct DownmixProcessor {
    initial: f64,
    /// Weights of `average`, `left`, `right`.
    mode: ChoiceBlend<3>,
    channels: usize,
}

impl Processor for DownmixProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let start = self.mode;
        let channels = self.channels.min(ctx.inputs.channels(0));
        let right_channel = channels.saturating_sub(1).min(1);
        let share = 1.0 / channels.max(1) as f64;
        let out = ctx.outputs.channel(0, 0);
        out.fill(0.0);
        for ch in 0..channels {
            // Every channel replays the same crossfade from the block's start.
            let mut mode = start;
            let x = ctx.inputs.channel(0, ch);
            for (o, i) in out.iter_mut().zip(x) {
                let [average, left, right] = mode.next();
                let mut weight = average * share;
                if ch == 0 {
                    weight += left;
                }
                if ch == right_channel {
                    weight += right;
                }
                *o += i * weight as f32;
            }
        }
        for _ in 0..ctx.frames() {
            self.mode.next();
        }
    }

    fn set_param(&mut self, index: usize, value: f64, _ramp_frames: usize) {
        if index == 0 {
            self.mode.set(value);
        }
    }

    fn reset(&mut self) {
        self.mode.reset(self.initial);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, text};

    #[test]
    fn average_is_the_mean_of_the_channels() {
        for channels in [1, 2, 6] {
            let input = testkit::noise(channels as u64, channels, 1000);
            let out = testkit::render(Downmix, &[], std::slice::from_ref(&input), 48_000.0, 64);
            assert_eq!(out[0].len(), 1);
            for f in 0..1000 {
                let mean = input.iter().map(|c| f64::from(c[f])).sum::<f64>() / channels as f64;
                assert!(
                    (f64::from(out[0][0][f]) - mean).abs() < 1e-6,
                    "{channels} channels, frame {f}"
                );
            }
        }
    }

    #[test]
    fn left_and_right_pick_one_channel() {
        let input = testkit::noise(7, 2, 1000);
        let left = testkit::render(
            Downmix,
            &[text("mode", "left")],
            std::slice::from_ref(&input),
            48_000.0,
            64,
        );
        let right = testkit::render(
            Downmix,
            &[text("mode", "right")],
            std::slice::from_ref(&input),
            48_000.0,
            64,
        );
        assert_eq!(left[0][0], input[0]);
        assert_eq!(right[0][0], input[1]);
        let mono = testkit::noise(8, 1, 100);
        let right_of_mono = testkit::render(
            Downmix,
            &[text("mode", "right")],
            std::slice::from_ref(&mono),
            48_000.0,
            64,
        );
        assert_eq!(right_of_mono[0][0], mono[0]);
    }

    #[test]
    fn a_mode_change_crossfades() {
        // L = 1, R = -1: average 0, left 1, right -1.
        let len = 2000;
        let g = testkit::graph_for(std::sync::Arc::new(Downmix), &[text("mode", "left")], 1);
        let input = vec![vec![1.0f32; len], vec![-1.0f32; len]];
        let out = testkit::render_graph_with(&g, &[input], 48_000.0, 64, |s, pos| {
            if pos == 512 {
                s.set_param(s.node_index("node").unwrap(), 0, 2.0);
            }
        });
        let x = &out[0][0];
        let max_step = x
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        assert!(max_step <= 2.0 / 480.0 + 1e-6, "step {max_step}");
        assert_eq!((x[511], x[len - 1]), (1.0, -1.0));
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(Downmix, &[text("mode", "average")]);
        testkit::check_node_contract_with_channels(Downmix, &[text("mode", "right")], &[1]);
    }
}
