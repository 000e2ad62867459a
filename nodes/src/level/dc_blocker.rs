//! `dc_blocker`: removes DC offset with a first-order high-pass filter.
//!
//! The filter is the bilinear transform of the analog high-pass s / (s + ωc), prewarped so it
//! is exactly −3.01 dB at `frequency`: with K = tan(π·fc/fs),
//! `y[n] = (x[n] − x[n−1]) / (1 + K) + (1 − K)/(1 + K)·y[n−1]`. Its magnitude at f is
//! t / √(t² + K²) with t = tan(π·f/fs): zero at DC, unity at Nyquist, 6 dB per octave below fc.
//! It runs on the filters' cascade processor (one section, channels in pairs, the corner
//! smoothed frame by frame). The decay of a removed offset after the input ends is not
//! declared as a tail.

use std::f64::consts::PI;

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, PortSpec,
    Processor, Unit,
};

use crate::dsp::biquad::Coefficients;
use crate::filter::cascade::{CascadeProcessor, param};

/// The `dc_blocker` node type.
pub struct DcBlocker;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "dc_blocker",
    doc: "Removes DC offset: first-order high-pass, -3 dB at `frequency`, 6 dB/octave below",
    category: Category::Level,
    source: "nodes/src/level/dc_blocker.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[ParamSpec::number(
        "frequency",
        "Corner frequency (-3 dB)",
        Unit::Hz,
        1.0,
        100.0,
        5.0,
        20.0,
    )],
};

impl NodeType for DcBlocker {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(Box::new(
            CascadeProcessor::new(config, 1, design).without_declared_tail(),
        ))
    }
}

/// The high-pass as one section: y = b0·(x − x1) + a1·y1, i.e. biquad coefficients
/// `(b0, −b0, 0)` over `(1, −a1, 0)`.
fn design(sample_rate: f64, params: &[f64], sections: &mut [Coefficients]) {
    let (b0, a1) = coefficients(param(params, 0), sample_rate);
    let mut all = sections.iter_mut();
    if let Some(first) = all.next() {
        *first = Coefficients {
            b0,
            b1: -b0,
            b2: 0.0,
            a1: -a1,
            a2: 0.0,
        };
    }
    all.for_each(|s| *s = Coefficients::identity());
}

/// Coefficients `(b0, a1)` for corner `frequency`: y = b0·(x − x1) + a1·y1.
fn coefficients(frequency: f64, sample_rate: f64) -> (f64, f64) {
    // Keep the corner inside (0, Nyquist) so tan stays finite and positive.
    let ratio = (frequency / sample_rate).clamp(1e-9, 0.49);
    let k = (PI * ratio).tan();
    (1.0 / (1.0 + k), (1.0 - k) / (1.0 + k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, num};

    const SR: f64 = 48_000.0;

    /// |H| of the bilinear first-order high-pass, from its definition.
    fn analytic(f: f64, fc: f64) -> f64 {
        let t = (PI * f / SR).tan();
        let k = (PI * fc / SR).tan();
        t / (t * t + k * k).sqrt()
    }

    #[test]
    fn removes_a_dc_offset() {
        let len = 24_000;
        let mut input = testkit::sine(440.0, SR, 0.25, 2, len);
        for ch in &mut input {
            for x in ch.iter_mut() {
                *x += 0.5;
            }
        }
        let out = testkit::render(DcBlocker, &[], &[input], SR, 512);
        for (ch, channel) in out[0].iter().enumerate() {
            let tail = &channel[len - 4800..];
            // 100 ms = 44 whole periods of 440 Hz: the mean is the remaining DC.
            let mean = tail.iter().map(|x| f64::from(*x)).sum::<f64>() / tail.len() as f64;
            assert!(mean.abs() < 1e-4, "channel {ch}: DC left {mean}");
        }
    }

    #[test]
    fn magnitude_at_one_kilohertz_matches_the_first_order_response() {
        for fc in [5.0, 40.0, 100.0] {
            let input = testkit::sine(1000.0, SR, 0.5, 1, 24_000);
            let out = testkit::render(DcBlocker, &[num("frequency", fc)], &[input], SR, 256);
            let measured = testkit::amplitude_at(&out[0][0][12_000..], 1000.0, SR) / 0.5;
            let expected = analytic(1000.0, fc);
            assert!(
                (measured - expected).abs() < 2e-6,
                "fc {fc}: {measured} vs {expected}"
            );
            // And it is the analog prototype's response, up to frequency warping.
            let analog = 1000.0 / (1000.0f64.powi(2) + fc * fc).sqrt();
            assert!((measured - analog).abs() < 1e-4);
        }
    }

    #[test]
    fn corner_is_three_db_down_and_slope_six_db_per_octave() {
        let fc = 100.0;
        for (f, db) in [(100.0, -3.0103), (25.0, -12.3)] {
            let input = testkit::sine(f, SR, 0.5, 1, 96_000);
            let out = testkit::render(DcBlocker, &[num("frequency", fc)], &[input], SR, 1024);
            let measured = testkit::amplitude_at(&out[0][0][48_000..], f, SR) / 0.5;
            assert!(
                (measured - analytic(f, fc)).abs() < 1e-5,
                "{f} Hz: {measured}"
            );
            assert!(
                (20.0 * measured.log10() - db).abs() < 0.01,
                "{f} Hz: {} dB",
                20.0 * measured.log10()
            );
        }
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(DcBlocker, &[num("frequency", 20.0)]);
    }
}
