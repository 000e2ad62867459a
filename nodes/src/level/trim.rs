//! `trim`: a gain for gain staging, ±24 dB, smoothed; every channel alike.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, PortSpec,
    Processor, Unit,
};

use super::db_gain::DbGain;

/// The `trim` node type.
pub struct Trim;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "trim",
    doc: "Gain staging: changes the level of every channel by -24 to +24 dB (smoothed)",
    category: Category::Level,
    source: "nodes/src/level/trim.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[ParamSpec::number(
        "gain",
        "Trim gain, -24 to +24 dB",
        Unit::Db,
        -24.0,
        24.0,
        0.0,
        20.0,
    )],
};

impl NodeType for Trim {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(Box::new(DbGain::new(config.params.number("gain"), None)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, num};

    #[test]
    fn trims_by_the_analytic_factor_on_every_channel() {
        let input = testkit::noise(1, 3, 1000);
        for db in [-24.0, -3.5, 0.0, 6.0, 24.0] {
            let out = testkit::render(
                Trim,
                &[num("gain", db)],
                std::slice::from_ref(&input),
                48_000.0,
                64,
            );
            let g = 10f64.powf(db / 20.0);
            for ch in 0..3 {
                for (o, i) in out[0][ch].iter().zip(&input[ch]) {
                    assert!((f64::from(*o) - f64::from(*i) * g).abs() < 1e-5, "{db} dB");
                }
            }
        }
    }

    #[test]
    fn a_trim_change_ramps_linearly_in_amplitude_and_lands_exactly() {
        let len = 3000;
        let g = testkit::graph_for(std::sync::Arc::new(Trim), &[], 1);
        let out = testkit::render_graph_with(
            &g,
            &[vec![vec![1.0f32; len]; 2]],
            48_000.0,
            64,
            |s, pos| {
                if pos == 640 {
                    s.set_param(s.node_index("node").unwrap(), 0, -6.0);
                }
            },
        );
        let target = 10f64.powf(-6.0 / 20.0);
        for x in &out[0] {
            assert_eq!(x[639], 1.0);
            for k in 1..=960 {
                let expected = 1.0 + (target - 1.0) * k as f64 / 960.0;
                assert!(
                    (f64::from(x[639 + k]) - expected).abs() < 1e-6,
                    "frame {}",
                    639 + k
                );
            }
            assert!(x[1600..].iter().all(|v| *v == target as f32));
        }
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(Trim, &[num("gain", -9.0)]);
    }
}
