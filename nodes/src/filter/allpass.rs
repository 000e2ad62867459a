//! `allpass`: an RBJ second-order all-pass (phase alignment, phase colour).

use std::f64::consts::FRAC_1_SQRT_2;

use mixgraph_engine::{ActivateError, Category, NodeConfig, NodeDescriptor, NodeType, Processor};

use super::cascade::CascadeProcessor;
use super::design::single_from_params;
use super::params::{INPUTS, OUTPUTS, frequency, q};
use crate::dsp::biquad::{Coefficients, FilterShape};

/// The `allpass` node type.
pub struct Allpass;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "allpass",
    doc: "All-pass filter (RBJ): unity gain, phase turning through 360 degrees around the frequency",
    category: Category::Filter,
    source: "nodes/src/filter/allpass.rs",
    inputs: INPUTS,
    outputs: OUTPUTS,
    params: &[
        frequency("Frequency of the 180 degree phase shift", 1_000.0),
        q("Sharpness of the phase transition", FRAC_1_SQRT_2),
    ],
};

impl NodeType for Allpass {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(CascadeProcessor::boxed(config, 1, design))
    }
}

fn design(sample_rate: f64, params: &[f64], sections: &mut [Coefficients]) {
    single_from_params(FilterShape::AllPass, sample_rate, params, sections);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::testing;
    use crate::testkit::{self, num};
    use std::f64::consts::PI;
    use std::sync::Arc;

    #[test]
    fn response_is_the_rbj_allpass_at_every_rate() {
        let params = [num("frequency", 300.0), num("q", FRAC_1_SQRT_2)];
        testing::assert_response(Arc::new(Allpass), &params, |fs, f| {
            Coefficients::rbj(FilterShape::AllPass, fs, 300.0, FRAC_1_SQRT_2, 0.0).magnitude(f, fs)
        });
        let params = [num("frequency", 9_000.0), num("q", 4.0)];
        testing::assert_response(Arc::new(Allpass), &params, |fs, f| {
            Coefficients::rbj(FilterShape::AllPass, fs, 9_000.0, 4.0, 0.0).magnitude(f, fs)
        });
    }

    #[test]
    fn phase_is_the_analog_all_pass_phase() {
        // The prototype (s^2 - s/Q + 1) / (s^2 + s/Q + 1) at s = j W, W prewarped:
        // phase = -2 atan2(W / Q, 1 - W^2); -180 degrees at the frequency.
        let (f0, q) = (2_000.0, 1.3);
        for fs in testing::RATES {
            let params = [num("frequency", f0), num("q", q)];
            let h =
                testing::impulse_response(Arc::new(Allpass), &params, fs, testing::IMPULSE_FRAMES);
            for f in testing::log_frequencies(30) {
                let w = (PI * f / fs).tan() / (PI * f0 / fs).tan();
                let want = -2.0 * (w / q).atan2(1.0 - w * w);
                let (re, im) = testing::dft(&h, f, fs);
                let got = im.atan2(re);
                let diff = (got - want).rem_euclid(2.0 * PI);
                let diff = diff.min(2.0 * PI - diff);
                assert!(diff < 1e-4, "at {fs}, {f} Hz: phase {got} vs {want}");
            }
        }
    }

    #[test]
    fn frequency_change_is_click_free() {
        let params = [num("frequency", 500.0)];
        testing::assert_change_is_click_free(Arc::new(Allpass), &params, ("frequency", 50.0));
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(Allpass, &[num("frequency", 1_200.0), num("q", 2.0)]);
    }
}
