//! `sum`: a bus. Everything connected to its input is added together, then scaled by `gain`.
//!
//! The summing itself is done by the engine: every connection into one input port is added
//! sample by sample, and a mono source feeding a wider sum is duplicated to every channel
//! (so a mono stem and stereo stems can share a stereo bus). The port takes the channel count
//! of its widest source; sources of other counts (other than mono) are refused. `sum` passes
//! that sum through with a smoothed gain, so it is the place to name a bus and set its fader.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, PortSpec,
    Processor, Unit,
};

use crate::level::db_gain::DbGain;

/// The `sum` node type.
pub struct Sum;

/// The bottom of the gain range, which means silence.
const SILENCE_DB: f64 = -120.0;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "sum",
    doc: "A bus: every connection into `in` is summed (mono sources duplicated to the widest), then scaled by `gain`",
    category: Category::Routing,
    source: "nodes/src/routing/sum.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[ParamSpec::number(
        "gain",
        "Bus gain; -120 is silence",
        Unit::Db,
        SILENCE_DB,
        24.0,
        0.0,
        20.0,
    )],
};

impl NodeType for Sum {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(Box::new(DbGain::new(
            config.params.number("gain"),
            Some(SILENCE_DB),
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mixgraph_engine::Graph;

    use super::*;
    use crate::testkit::{self, num};

    #[test]
    fn three_stems_with_gains_sum_to_the_sum_computed_here() {
        let catalog = crate::catalog();
        let mut g = Graph::new();
        let bus = g
            .add_node("bus", Arc::new(Sum), &[num("gain", -3.0)])
            .unwrap();
        let out = g
            .add_node("out", catalog.get("output").unwrap(), &[])
            .unwrap();
        g.connect(bus, "out", out, "in").unwrap();
        let stem_db = [-6.0, 0.0, 4.5];
        for (p, db) in stem_db.iter().enumerate() {
            let input = g
                .add_node(format!("in{p}"), catalog.get("input").unwrap(), &[])
                .unwrap();
            let fader = g
                .add_node(
                    format!("fader{p}"),
                    catalog.get("gain").unwrap(),
                    &[num("gain", *db)],
                )
                .unwrap();
            g.connect(input, "out", fader, "in").unwrap();
            g.connect(fader, "out", bus, "in").unwrap();
        }
        let len = 3000;
        // Two stereo stems and a mono one, which the bus duplicates to both channels.
        let stems = [
            testkit::noise(1, 2, len),
            testkit::noise(2, 2, len),
            testkit::noise(3, 1, len),
        ];
        let out = testkit::render_graph(&g, &stems, 48_000.0, 128);
        assert_eq!(out[0].len(), 2);
        let gain = |db: f64| 10f64.powf(db / 20.0);
        for ch in 0..2 {
            for f in 0..len {
                let mix: f64 = stems
                    .iter()
                    .zip(stem_db)
                    .map(|(stem, db)| f64::from(stem[ch.min(stem.len() - 1)][f]) * gain(db))
                    .sum();
                let expected = mix * gain(-3.0);
                assert!(
                    (f64::from(out[0][ch][f]) - expected).abs() < 1e-5,
                    "channel {ch}, frame {f}"
                );
            }
        }
    }

    #[test]
    fn the_bottom_of_the_range_is_silence() {
        let out = testkit::render(
            Sum,
            &[num("gain", -120.0)],
            &[testkit::noise(4, 2, 300)],
            48_000.0,
            64,
        );
        assert!(out[0].iter().flatten().all(|x| *x == 0.0));
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(Sum, &[num("gain", -4.0)]);
    }
}
