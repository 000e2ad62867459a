//! `tilt`: a spectral tilt of a constant number of dB per octave through a pivot frequency,
//! over the whole audio band.
//!
//! A constant slope of `s` dB/octave is the response `(f / pivot)^(s / 6.02)`, a fractional
//! order. It is approximated, as in pinking filters, by first-order shelves whose corners are
//! spaced half an octave apart: in each half octave one section rises (or falls) by 6.02 dB
//! per octave over the fraction `|s| / 6.02` of it, so the average slope is `s` with a ripple
//! of about a thousandth of a dB. The periods start every half octave from 2.5 Hz up to
//! 0.49 x the sample rate; each section is designed in the bilinear transform's warped
//! frequency domain so that its rise stays one period's share near Nyquist (see
//! `section`). At 44.1 to 96 kHz the response stays within 0.1 dB + 0.1 dB per dB/octave
//! of the straight line from 20 Hz to 16 kHz (0.25 dB at 1.5 dB/oct) and within 0.03 dB per
//! dB/octave from 50 Hz to 2 kHz. Pairs of first-order sections share one biquad; the
//! cascade is scaled to 0 dB at the pivot.

use std::f64::consts::PI;

use mixgraph_engine::{
    ActivateError, Category, NodeConfig, NodeDescriptor, NodeType, ParamSpec, Processor, Unit,
};

use super::cascade::{CascadeProcessor, param};
use super::params::{INPUTS, OUTPUTS, SMOOTHING_MS};
use crate::dsp::biquad::Coefficients;

/// The `tilt` node type.
pub struct Tilt;

/// Lowest corner of the tilted span, in Hz.
const SPAN_LOW: f64 = 2.5;
/// Corners per octave.
const CORNERS_PER_OCTAVE: f64 = 2.0;
/// First-order sections: half-octave steps from 2.5 Hz to 81.92 kHz (those above 0.49 x the
/// sample rate do nothing).
const FIRST_ORDER_SECTIONS: usize = 30;
/// Biquads, each holding two first-order sections.
const SECTIONS: usize = FIRST_ORDER_SECTIONS / 2;
/// The steepest tilt in dB per octave (a first-order slope is 6.02).
const MAX_SLOPE: f64 = 6.0;
/// Parameter positions.
const SLOPE: usize = 0;
/// See [`SLOPE`].
const PIVOT: usize = 1;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "tilt",
    doc: "Tilt EQ: a constant slope in dB per octave through a pivot frequency (0 dB there), over 20 Hz to 20 kHz",
    category: Category::Filter,
    source: "nodes/src/filter/tilt.rs",
    inputs: INPUTS,
    outputs: OUTPUTS,
    params: &[
        ParamSpec::number(
            "slope",
            "Tilt in dB per octave: positive brightens (highs up, lows down), negative darkens",
            Unit::Db,
            -MAX_SLOPE,
            MAX_SLOPE,
            0.0,
            SMOOTHING_MS,
        ),
        ParamSpec::number(
            "pivot",
            "Frequency left unchanged",
            Unit::Hz,
            20.0,
            20_000.0,
            1000.0,
            SMOOTHING_MS,
        ),
    ],
};

impl NodeType for Tilt {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(CascadeProcessor::boxed(config, SECTIONS, design))
    }
}

/// First-order section `index` for a slope of `order` (the slope as a fraction of 6.02
/// dB/octave, in -1..1), as `(b0, b1, a1)` with `a0 = 1`.
///
/// Its period starts at `SPAN_LOW * 2^(index / 2)` Hz; a period at or above 0.49 x the
/// sample rate is the identity. The corner is prewarped (`tan(pi f / fs)`) and the other
/// corner sits `2^(|order| / 2)` above it in the warped domain, so every section adds exactly
/// its share `order * 3.01` dB even close to Nyquist, where the bilinear transform would
/// otherwise stretch a half-octave step into a far larger rise.
fn section(sample_rate: f64, index: usize, order: f64) -> (f64, f64, f64) {
    let step = 2f64.powf(1.0 / CORNERS_PER_OCTAVE);
    let start = SPAN_LOW * step.powi(index as i32);
    if start >= 0.49 * sample_rate {
        return (1.0, 0.0, 0.0);
    }
    let low = (PI * start / sample_rate).tan();
    let high = low * step.powf(order.abs());
    let (z, p) = if order >= 0.0 {
        (low, high)
    } else {
        (high, low)
    };
    // (1 + s/z) / (1 + s/p) with s = (1 - z^-1) / (1 + z^-1):
    // (p / z) * ((z + 1) + (z - 1) z^-1) / ((p + 1) + (p - 1) z^-1).
    let scale = p / (z * (p + 1.0));
    (scale * (z + 1.0), scale * (z - 1.0), (p - 1.0) / (p + 1.0))
}

fn design(sample_rate: f64, p: &[f64], sections: &mut [Coefficients]) {
    let slope = param(p, SLOPE).clamp(-MAX_SLOPE, MAX_SLOPE);
    if slope == 0.0 || sample_rate.is_nan() || sample_rate <= 0.0 {
        sections
            .iter_mut()
            .for_each(|s| *s = Coefficients::identity());
        return;
    }
    let order = slope / (20.0 * 2f64.log10());
    for (index, c) in sections.iter_mut().enumerate() {
        let (b0, b1, a1) = section(sample_rate, 2 * index, order);
        let (c0, c1, d1) = section(sample_rate, 2 * index + 1, order);
        // The product of two first-order polynomials.
        *c = Coefficients {
            b0: b0 * c0,
            b1: b0 * c1 + b1 * c0,
            b2: b1 * c1,
            a1: a1 + d1,
            a2: a1 * d1,
        };
    }
    // 0 dB at the pivot.
    let pivot = param(p, PIVOT).clamp(SPAN_LOW, 0.49 * sample_rate);
    let at_pivot: f64 = sections
        .iter()
        .map(|c| c.magnitude(pivot, sample_rate))
        .product();
    if let Some(first) = sections.first_mut()
        && at_pivot.is_finite()
        && at_pivot > 0.0
    {
        first.b0 /= at_pivot;
        first.b1 /= at_pivot;
        first.b2 /= at_pivot;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::testing;
    use crate::testkit::{self, num};
    use std::sync::Arc;

    /// The 2.5 Hz sections ring for a long time; 2^17 frames let them decay fully.
    const TILT_IMPULSE_FRAMES: usize = 1 << 17;

    /// The tilt the test expects, from the analog prototype in the warped domain
    /// `W = tan(pi f / fs)`: a section per half octave from 2.5 Hz below 0.49 fs, its corner
    /// at `W(start)` and the other `2^(|a| / 2)` above it, each `|1 + jW/Z| / |1 + jW/P|`,
    /// normalized at the pivot.
    fn analog_tilt(slope: f64, pivot: f64, fs: f64, f: f64) -> f64 {
        let a = slope / 6.020_599_913_279_624;
        let warp = |x: f64| (PI * x / fs).tan();
        let response = |f: f64| -> f64 {
            (0..30)
                .map(|i| 2.5 * 2f64.powf(i as f64 / 2.0))
                .filter(|start| *start < 0.49 * fs)
                .map(|start| {
                    let low = warp(start);
                    let high = low * 2f64.powf(a.abs() / 2.0);
                    let (zero, pole) = if a >= 0.0 { (low, high) } else { (high, low) };
                    (1.0 + (warp(f) / zero).powi(2)).sqrt()
                        / (1.0 + (warp(f) / pole).powi(2)).sqrt()
                })
                .product()
        };
        response(f) / response(pivot)
    }

    #[test]
    fn response_is_the_analytic_cascade() {
        for (slope, pivot) in [(1.5, 1000.0), (-3.0, 300.0), (6.0, 5000.0)] {
            let params = [num("slope", slope), num("pivot", pivot)];
            testing::assert_response_frames(
                Arc::new(Tilt),
                &params,
                TILT_IMPULSE_FRAMES,
                |fs, f| analog_tilt(slope, pivot, fs, f),
            );
        }
    }

    #[test]
    fn slope_is_constant_in_db_per_octave_through_the_pivot() {
        let cases = [(1.5, 1000.0), (-4.5, 500.0), (6.0, 2000.0), (-0.5, 200.0)];
        for fs in testing::RATES {
            for (slope, pivot) in cases {
                let params = [num("slope", slope), num("pivot", pivot)];
                let h = testing::impulse_response(Arc::new(Tilt), &params, fs, TILT_IMPULSE_FRAMES);
                let db = |f: f64| 20.0 * testing::dft_magnitude(&h, f, fs).log10();
                assert!(db(pivot).abs() < 0.01, "{} dB at the pivot", db(pivot));
                // The straight line slope * log2(f / pivot): within 0.1 dB + 0.1 dB per
                // dB/oct from 20 Hz to 16 kHz, and 0.03 dB per dB/oct from 50 Hz to 2 kHz.
                for f in testing::log_frequencies(40)
                    .into_iter()
                    .filter(|f| *f <= 16_000.0)
                {
                    let error = db(f) - slope * (f / pivot).log2();
                    let allowed = if (50.0..=2000.0).contains(&f) {
                        0.03 * slope.abs()
                    } else {
                        0.1 + 0.1 * slope.abs()
                    };
                    assert!(
                        error.abs() <= allowed,
                        "slope {slope} at {fs}: {error:+.3} dB off the line at {f:.0} Hz"
                    );
                }
            }
        }
    }

    #[test]
    fn zero_slope_is_bit_exact_pass_through() {
        let input = testkit::noise(5, 2, 2000);
        let out = testkit::render(
            Tilt,
            &[num("slope", 0.0)],
            std::slice::from_ref(&input),
            44_100.0,
            300,
        );
        assert_eq!(out[0], input);
    }

    #[test]
    fn slope_change_is_click_free() {
        testing::assert_change_is_click_free(Arc::new(Tilt), &[num("slope", 0.5)], ("slope", -5.0));
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(Tilt, &[num("slope", 2.0), num("pivot", 800.0)]);
    }
}
