//! `peak`: an RBJ peaking (bell) equalizer section.

use mixgraph_engine::{ActivateError, Category, NodeConfig, NodeDescriptor, NodeType, Processor};

use super::cascade::CascadeProcessor;
use super::design::single_from_params;
use super::params::{INPUTS, OUTPUTS, frequency, gain, q};
use crate::dsp::biquad::{Coefficients, FilterShape};

/// The `peak` node type.
pub struct Peak;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "peak",
    doc: "Peaking (bell) EQ (RBJ): boost or cut around a centre frequency",
    category: Category::Filter,
    source: "nodes/src/filter/peak.rs",
    inputs: INPUTS,
    outputs: OUTPUTS,
    params: &[
        frequency("Centre frequency", 1_000.0),
        q("Bandwidth as Q: higher is narrower", 1.0),
        gain("Boost (positive) or cut (negative) at the centre frequency"),
    ],
};

impl NodeType for Peak {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(CascadeProcessor::boxed(config, 1, design))
    }
}

fn design(sample_rate: f64, params: &[f64], sections: &mut [Coefficients]) {
    single_from_params(FilterShape::Peak, sample_rate, params, sections);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::testing;
    use crate::testkit::{self, num};
    use std::sync::Arc;

    #[test]
    fn response_is_the_rbj_peak_at_every_rate() {
        let params = [num("frequency", 250.0), num("q", 0.7), num("gain", 9.0)];
        testing::assert_response(Arc::new(Peak), &params, |fs, f| {
            Coefficients::rbj(FilterShape::Peak, fs, 250.0, 0.7, 9.0).magnitude(f, fs)
        });
        let params = [num("frequency", 4_000.0), num("q", 3.0), num("gain", -12.0)];
        testing::assert_response(Arc::new(Peak), &params, |fs, f| {
            Coefficients::rbj(FilterShape::Peak, fs, 4_000.0, 3.0, -12.0).magnitude(f, fs)
        });
    }

    #[test]
    fn gain_change_is_click_free() {
        let params = [num("frequency", 2_000.0), num("q", 0.3)];
        testing::assert_change_is_click_free(Arc::new(Peak), &params, ("gain", 12.0));
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(Peak, &[num("frequency", 800.0), num("gain", 6.0)]);
    }
}
