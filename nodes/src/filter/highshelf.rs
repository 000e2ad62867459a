//! `highshelf`: an RBJ high-shelf equalizer section.

use std::f64::consts::FRAC_1_SQRT_2;

use mixgraph_engine::{ActivateError, Category, NodeConfig, NodeDescriptor, NodeType, Processor};

use super::cascade::CascadeProcessor;
use super::design::single_from_params;
use super::params::{INPUTS, OUTPUTS, frequency, gain, q};
use crate::dsp::biquad::{Coefficients, FilterShape};

/// The `highshelf` node type.
pub struct Highshelf;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "highshelf",
    doc: "High shelf EQ (RBJ): gain above the corner frequency, 0 dB below",
    category: Category::Filter,
    source: "nodes/src/filter/highshelf.rs",
    inputs: INPUTS,
    outputs: OUTPUTS,
    params: &[
        frequency("Corner frequency (half the gain in dB)", 8_000.0),
        q(
            "Shelf Q: 0.7071 is the steepest shelf without overshoot",
            FRAC_1_SQRT_2,
        ),
        gain("Gain of the shelf (above the corner)"),
    ],
};

impl NodeType for Highshelf {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(CascadeProcessor::boxed(config, 1, design))
    }
}

fn design(sample_rate: f64, params: &[f64], sections: &mut [Coefficients]) {
    single_from_params(FilterShape::HighShelf, sample_rate, params, sections);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::testing;
    use crate::testkit::{self, num};
    use std::sync::Arc;

    #[test]
    fn response_is_the_rbj_highshelf_at_every_rate() {
        let params = [
            num("frequency", 6_000.0),
            num("q", FRAC_1_SQRT_2),
            num("gain", 4.5),
        ];
        testing::assert_response(Arc::new(Highshelf), &params, |fs, f| {
            Coefficients::rbj(FilterShape::HighShelf, fs, 6_000.0, FRAC_1_SQRT_2, 4.5)
                .magnitude(f, fs)
        });
        let params = [num("frequency", 500.0), num("q", 0.5), num("gain", -8.0)];
        testing::assert_response(Arc::new(Highshelf), &params, |fs, f| {
            Coefficients::rbj(FilterShape::HighShelf, fs, 500.0, 0.5, -8.0).magnitude(f, fs)
        });
    }

    #[test]
    fn gain_change_is_click_free() {
        let params = [num("frequency", 40.0)];
        testing::assert_change_is_click_free(Arc::new(Highshelf), &params, ("gain", 12.0));
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(Highshelf, &[num("frequency", 7_000.0), num("gain", 6.0)]);
    }
}
