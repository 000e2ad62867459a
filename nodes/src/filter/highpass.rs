//! `highpass`: a Butterworth high-pass of 12, 24, 36 or 48 dB per octave, with resonance.

use std::f64::consts::FRAC_1_SQRT_2;

use mixgraph_engine::{ActivateError, Category, NodeConfig, NodeDescriptor, NodeType, Processor};

use super::cascade::{CascadeProcessor, param};
use super::design::{butterworth, order_of_slope};
use super::params::{INPUTS, OUTPUTS, SLOPE, frequency, q};
use crate::dsp::biquad::{Coefficients, FilterShape};

/// The `lowpass` node type.
pub struct Highpass;

/// Most sections used (48 dB/octave).
const SECTIONS: usize = 4;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "highpass",
    doc: "High-pass filter: Butterworth cascade of 12/24/36/48 dB per octave, -3 dB at the cutoff at the default q",
    category: Category::Filter,
    source: "nodes/src/filter/highpass.rs",
    inputs: INPUTS,
    outputs: OUTPUTS,
    params: &[
        frequency(
            "Cutoff frequency (clamped below 0.49 x the sample rate)",
            80.0,
        ),
        q(
            "Resonance: 0.7071 is maximally flat; on steeper slopes it scales the sharpest stage",
            FRAC_1_SQRT_2,
        ),
        SLOPE,
    ],
};

impl NodeType for Highpass {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(CascadeProcessor::boxed(config, SECTIONS, design))
    }
}

fn design(sample_rate: f64, p: &[f64], sections: &mut [Coefficients]) {
    let order = order_of_slope(param(p, 2));
    butterworth(
        FilterShape::HighPass,
        sample_rate,
        param(p, 0),
        param(p, 1),
        order,
        sections,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::testing::{self, PassDirection};
    use crate::testkit::{self, num, text};
    use std::sync::Arc;

    #[test]
    fn every_slope_is_the_analytic_butterworth_response() {
        testing::assert_butterworth_node(Arc::new(Highpass), PassDirection::High);
    }

    #[test]
    fn resonance_follows_the_rbj_section() {
        let params = [num("frequency", 200.0), num("q", 4.0)];
        testing::assert_response(Arc::new(Highpass), &params, |fs, f| {
            Coefficients::rbj(FilterShape::HighPass, fs, 200.0, 4.0, 0.0).magnitude(f, fs)
        });
    }

    #[test]
    fn cutoff_change_is_click_free() {
        let params = [num("frequency", 30.0), text("slope", "24")];
        testing::assert_change_is_click_free(Arc::new(Highpass), &params, ("frequency", 120.0));
    }

    #[test]
    fn slope_change_crossfades_without_a_click_and_lands_on_the_new_slope() {
        // Regression: a steeper slope's added sections started from silence while the
        // signal ran. At a 20 Hz cutoff the 50 Hz test tone sits where the slopes differ
        // in phase, so a switch that jumped would show.
        for (from, to, index) in [("12", "48", 3.0), ("48", "24", 1.0)] {
            let params = [num("frequency", 20.0), text("slope", from)];
            testing::assert_switch_is_click_free_and_lands(
                Arc::new(Highpass),
                &params,
                ("slope", to, index),
            );
        }
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        for slope in ["12", "48"] {
            testkit::check_node_contract(
                Highpass,
                &[num("frequency", 100.0), text("slope", slope)],
            );
        }
    }
}
