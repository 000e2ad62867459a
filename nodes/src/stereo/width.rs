//! `width`: stereo width by mid/side, scaling the side signal.
//!
//! With mid M = (L + R) / 2 and side S = (L − R) / 2, the output is L' = M + w·S and
//! R' = M − w·S, where w = `width` / 100: 0 % is mono (both channels equal the mid), 100 %
//! leaves the signal unchanged, 200 % doubles the side. Changes are smoothed.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, PortSpec,
    Processor, Unit,
};

use super::matrix::{Matrix, ParamMatrix};

/// The `width` node type.
pub struct Width;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "width",
    doc: "Stereo width: scales the side signal (0 % mono, 100 % unchanged, 200 % double side)",
    category: Category::Stereo,
    source: "nodes/src/stereo/width.rs",
    inputs: &[PortSpec::input("in", Channels::Exact(2))],
    outputs: &[PortSpec::output("out", Channels::Exact(2))],
    params: &[ParamSpec::number(
        "width",
        "Side level relative to the input: 0 mono, 100 unchanged, 200 twice the side",
        Unit::Percent,
        0.0,
        200.0,
        100.0,
        20.0,
    )],
};

impl NodeType for Width {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(Box::new(ParamMatrix::new(
            config.params.number("width"),
            width_matrix,
        )))
    }
}

/// L' = M + wS = (1+w)/2·L + (1−w)/2·R, and mirrored for R'.
fn width_matrix(percent: f64) -> Matrix {
    let w = percent / 100.0;
    let (direct, cross) = ((1.0 + w) / 2.0, (1.0 - w) / 2.0);
    Matrix {
        ll: direct,
        lr: cross,
        rl: cross,
        rr: direct,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, num};

    fn widen(percent: f64, input: &testkit::PortAudio) -> testkit::PortAudio {
        testkit::render(
            Width,
            &[num("width", percent)],
            std::slice::from_ref(input),
            48_000.0,
            64,
        )
        .remove(0)
    }

    /// Checks the output against mid/side computed here: L = M + k·S, R = M − k·S.
    fn assert_side_scaled_by(k: f32, input: &testkit::PortAudio, out: &testkit::PortAudio) {
        for f in 0..input[0].len() {
            let (l, r) = (input[0][f], input[1][f]);
            let (m, s) = ((l + r) / 2.0, (l - r) / 2.0);
            assert!((out[0][f] - (m + k * s)).abs() < 1e-6, "frame {f}");
            assert!((out[1][f] - (m - k * s)).abs() < 1e-6, "frame {f}");
        }
    }

    #[test]
    fn zero_percent_is_mono_of_the_mid() {
        let input = testkit::noise(1, 2, 2000);
        let out = widen(0.0, &input);
        for f in 0..2000 {
            assert_eq!(out[0][f], out[1][f]);
            assert!((out[0][f] - (input[0][f] + input[1][f]) / 2.0).abs() < 1e-6);
        }
    }

    #[test]
    fn hundred_percent_is_the_identity() {
        let input = testkit::noise(2, 2, 2000);
        assert_side_scaled_by(1.0, &input, &widen(100.0, &input));
    }

    #[test]
    fn two_hundred_percent_doubles_the_side() {
        let input = testkit::noise(3, 2, 2000);
        assert_side_scaled_by(2.0, &input, &widen(200.0, &input));
        assert_side_scaled_by(0.5, &input, &widen(50.0, &input));
    }

    #[test]
    fn a_width_change_ramps_without_a_step_and_lands_exactly() {
        // Pure side input (L = 1, R = -1): the left output is the side gain w itself.
        let len = 4096;
        let input = vec![vec![1.0f32; len], vec![-1.0f32; len]];
        let g = testkit::graph_for(std::sync::Arc::new(Width), &[num("width", 100.0)], 1);
        let out = testkit::render_graph_with(&g, &[input], 48_000.0, 256, |s, pos| {
            if pos == 1024 {
                s.set_param(s.node_index("node").unwrap(), 0, 0.0);
            }
        });
        let left = &out[0][0];
        let ramp = 960; // 20 ms at 48 kHz
        assert_eq!(left[1023], 1.0);
        for (f, x) in left.iter().enumerate().skip(1024).take(ramp) {
            let expected = 1.0 - (f - 1023) as f32 / ramp as f32;
            assert!((x - expected).abs() < 1e-5, "frame {f}: {x} vs {expected}");
        }
        assert!(left[1024 + ramp..].iter().all(|x| *x == 0.0));
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(Width, &[num("width", 150.0)]);
    }
}
