//! `lowshelf`: an RBJ low-shelf equalizer section.

use std::f64::consts::FRAC_1_SQRT_2;

use mixgraph_engine::{ActivateError, Category, NodeConfig, NodeDescriptor, NodeType, Processor};

use super::cascade::CascadeProcessor;
use super::design::single_from_params;
use super::params::{INPUTS, OUTPUTS, frequency, gain, q};
use crate::dsp::biquad::{Coefficients, FilterShape};

/// The `lowshelf` node type.
pub struct Lowshelf;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "lowshelf",
    doc: "Low shelf EQ (RBJ): gain below the corner frequency, 0 dB above",
    category: Category::Filter,
    source: "nodes/src/filter/lowshelf.rs",
    inputs: INPUTS,
    outputs: OUTPUTS,
    params: &[
        frequency("Corner frequency (half the gain in dB)", 100.0),
        q(
            "Shelf Q: 0.7071 is the steepest shelf without overshoot",
            FRAC_1_SQRT_2,
        ),
        gain("Gain of the shelf (below the corner)"),
    ],
};

impl NodeType for Lowshelf {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(CascadeProcessor::boxed(config, 1, design))
    }
}

fn design(sample_rate: f64, params: &[f64], sections: &mut [Coefficients]) {
    single_from_params(FilterShape::LowShelf, sample_rate, params, sections);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::testing;
    use crate::testkit::{self, num};
    use std::sync::Arc;

    #[test]
    fn response_is_the_rbj_lowshelf_at_every_rate() {
        let params = [
            num("frequency", 120.0),
            num("q", FRAC_1_SQRT_2),
            num("gain", 6.0),
        ];
        testing::assert_response(Arc::new(Lowshelf), &params, |fs, f| {
            Coefficients::rbj(FilterShape::LowShelf, fs, 120.0, FRAC_1_SQRT_2, 6.0).magnitude(f, fs)
        });
        let params = [num("frequency", 800.0), num("q", 1.2), num("gain", -10.0)];
        testing::assert_response(Arc::new(Lowshelf), &params, |fs, f| {
            Coefficients::rbj(FilterShape::LowShelf, fs, 800.0, 1.2, -10.0).magnitude(f, fs)
        });
    }

    #[test]
    fn gain_change_is_click_free() {
        let params = [num("frequency", 1_000.0)];
        testing::assert_change_is_click_free(Arc::new(Lowshelf), &params, ("gain", -12.0));
    }

    #[test]
    fn q_change_is_click_free() {
        let params = [num("frequency", 1_000.0), num("gain", -12.0)];
        testing::assert_change_is_click_free(Arc::new(Lowshelf), &params, ("q", 3.0));
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(Lowshelf, &[num("frequency", 150.0), num("gain", -6.0)]);
    }
}
