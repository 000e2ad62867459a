//! `balance`: turns one side of a stereo signal down, leaving the other untouched.
//!
//! With b = `balance` in -1..1: left gain = min(1, 1 − b), right gain = min(1, 1 + b). At 0
//! both are unity; at +1 the left is silent and the right unchanged; at -0.5 the right is at
//! half amplitude (−6.02 dB). Nothing is ever boosted and the channels never mix. Changes are
//! smoothed.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, PortSpec,
    Processor, Unit,
};

use super::matrix::{Matrix, ParamMatrix};

/// The `balance` node type.
pub struct Balance;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "balance",
    doc: "Stereo balance: attenuates the left (balance > 0) or right (< 0) channel linearly; never boosts",
    category: Category::Stereo,
    source: "nodes/src/stereo/balance.rs",
    inputs: &[PortSpec::input("in", Channels::Exact(2))],
    outputs: &[PortSpec::output("out", Channels::Exact(2))],
    params: &[ParamSpec::number(
        "balance",
        "-1 keeps only the left, 0 unchanged, 1 keeps only the right; the other side gets 1 - |balance|",
        Unit::None,
        -1.0,
        1.0,
        0.0,
        20.0,
    )],
};

impl NodeType for Balance {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(Box::new(ParamMatrix::new(
            config.params.number("balance"),
            balance_matrix,
        )))
    }
}

fn balance_matrix(b: f64) -> Matrix {
    Matrix::diagonal((1.0 - b).clamp(0.0, 1.0), (1.0 + b).clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, num};

    #[test]
    fn gains_follow_the_documented_law() {
        let input = testkit::noise(1, 2, 500);
        for (b, gl, gr) in [
            (-1.0, 1.0, 0.0),
            (-0.5, 1.0, 0.5),
            (0.0, 1.0, 1.0),
            (0.25, 0.75, 1.0),
            (1.0, 0.0, 1.0),
        ] {
            let out = testkit::render(
                Balance,
                &[num("balance", b)],
                std::slice::from_ref(&input),
                48_000.0,
                64,
            );
            for f in 0..500 {
                assert!(
                    (out[0][0][f] - input[0][f] * gl).abs() < 1e-6,
                    "balance {b}"
                );
                assert!(
                    (out[0][1][f] - input[1][f] * gr).abs() < 1e-6,
                    "balance {b}"
                );
            }
        }
    }

    #[test]
    fn a_balance_change_moves_by_small_steps_only() {
        // DC input: the outputs are the gains themselves.
        let len = 4096;
        let input = vec![vec![1.0f32; len]; 2];
        let g = testkit::graph_for(std::sync::Arc::new(Balance), &[num("balance", -1.0)], 1);
        let out = testkit::render_graph_with(&g, &[input], 48_000.0, 100, |s, pos| {
            if pos == 1000 {
                s.set_param(s.node_index("node").unwrap(), 0, 1.0);
            }
        });
        // 2 units of balance over 960 frames: no gain moves more than 2/960 per frame.
        for (ch, channel) in out[0].iter().enumerate() {
            let max_step = channel
                .windows(2)
                .map(|w| (w[1] - w[0]).abs())
                .fold(0.0, f32::max);
            assert!(
                max_step <= 2.0 / 960.0 + 1e-6,
                "channel {ch}: step {max_step}"
            );
        }
        assert_eq!((out[0][0][len - 1], out[0][1][len - 1]), (0.0, 1.0));
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(Balance, &[num("balance", 0.3)]);
    }
}
