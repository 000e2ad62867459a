//! `gain`: multiplies every channel by a gain in decibels, smoothed.

use super::db_gain::DbGain;
use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, PortSpec,
    Processor, Unit,
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
        Ok(Box::new(DbGain::new(
            config.params.number("gain"),
            Some(-120.0),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, num};

    #[test]
    fn minus_six_db_scales_by_the_analytic_factor() {
        let input = testkit::noise(1, 2, 1000);
        let out = testkit::render(
            Gain,
            &[num("gain", -6.0)],
            std::slice::from_ref(&input),
            48_000.0,
            64,
        );
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
