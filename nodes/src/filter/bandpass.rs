//! `bandpass`: an RBJ band-pass with 0 dB gain at the centre frequency.

use mixgraph_engine::{ActivateError, Category, NodeConfig, NodeDescriptor, NodeType, Processor};

use super::cascade::CascadeProcessor;
use super::design::single_from_params;
use super::params::{INPUTS, OUTPUTS, frequency, q};
use crate::dsp::biquad::{Coefficients, FilterShape};

/// The `bandpass` node type.
pub struct Bandpass;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "bandpass",
    doc: "Band-pass filter (RBJ, 0 dB peak at the centre frequency, 12 dB/oct skirts)",
    category: Category::Filter,
    source: "nodes/src/filter/bandpass.rs",
    inputs: INPUTS,
    outputs: OUTPUTS,
    params: &[
        frequency("Centre frequency", 1_000.0),
        q("Bandwidth as Q: higher is narrower", 1.0),
    ],
};

impl NodeType for Bandpass {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(CascadeProcessor::boxed(config, 1, design))
    }
}

fn design(sample_rate: f64, params: &[f64], sections: &mut [Coefficients]) {
    single_from_params(FilterShape::BandPass, sample_rate, params, sections);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::testing;
    use crate::testkit::{self, num};
    use std::sync::Arc;

    #[test]
    fn response_is_the_rbj_bandpass_at_every_rate() {
        let params = [num("frequency", 700.0), num("q", 2.0)];
        testing::assert_response(Arc::new(Bandpass), &params, |fs, f| {
            Coefficients::rbj(FilterShape::BandPass, fs, 700.0, 2.0, 0.0).magnitude(f, fs)
        });
        let params = [num("frequency", 5_000.0), num("q", 0.5)];
        testing::assert_response(Arc::new(Bandpass), &params, |fs, f| {
            Coefficients::rbj(FilterShape::BandPass, fs, 5_000.0, 0.5, 0.0).magnitude(f, fs)
        });
    }

    #[test]
    fn frequency_change_is_click_free() {
        let params = [num("frequency", 200.0)];
        testing::assert_change_is_click_free(Arc::new(Bandpass), &params, ("frequency", 50.0));
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(Bandpass, &[num("frequency", 1_500.0), num("q", 3.0)]);
    }
}
