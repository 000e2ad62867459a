//! `notch`: an RBJ band-reject filter.

use mixgraph_engine::{ActivateError, Category, NodeConfig, NodeDescriptor, NodeType, Processor};

use super::cascade::CascadeProcessor;
use super::design::single_from_params;
use super::params::{INPUTS, OUTPUTS, frequency, q};
use crate::dsp::biquad::{Coefficients, FilterShape};

/// The `notch` node type.
pub struct Notch;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "notch",
    doc: "Notch (band-reject) filter (RBJ): silence at the centre frequency, 0 dB far from it",
    category: Category::Filter,
    source: "nodes/src/filter/notch.rs",
    inputs: INPUTS,
    outputs: OUTPUTS,
    params: &[
        frequency("Centre frequency (rejected)", 1_000.0),
        q("Width as Q: higher is narrower", 4.0),
    ],
};

impl NodeType for Notch {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(CascadeProcessor::boxed(config, 1, design))
    }
}

fn design(sample_rate: f64, params: &[f64], sections: &mut [Coefficients]) {
    single_from_params(FilterShape::Notch, sample_rate, params, sections);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::testing;
    use crate::testkit::{self, num};
    use std::sync::Arc;

    #[test]
    fn response_is_the_rbj_notch_at_every_rate() {
        let params = [num("frequency", 60.0), num("q", 8.0)];
        testing::assert_response(Arc::new(Notch), &params, |fs, f| {
            Coefficients::rbj(FilterShape::Notch, fs, 60.0, 8.0, 0.0).magnitude(f, fs)
        });
        let params = [num("frequency", 3_000.0), num("q", 1.0)];
        testing::assert_response(Arc::new(Notch), &params, |fs, f| {
            Coefficients::rbj(FilterShape::Notch, fs, 3_000.0, 1.0, 0.0).magnitude(f, fs)
        });
    }

    #[test]
    fn frequency_change_is_click_free() {
        let params = [num("frequency", 2_000.0), num("q", 1.0)];
        testing::assert_change_is_click_free(Arc::new(Notch), &params, ("frequency", 80.0));
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(Notch, &[num("frequency", 2_500.0), num("q", 10.0)]);
    }
}
