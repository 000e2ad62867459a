//! `eq`: a parametric equalizer of up to eight bands, each an RBJ section of a chosen shape.
//!
//! Parameters are a flat static list, so the eight bands are always declared: band `N` has
//! `bandN_type` (`off` bypasses it at no cost), `bandN_freq`, `bandN_gain` and `bandN_q`.
//! Use as many bands as needed and leave the rest `off`; any band can be switched on or
//! off, or change shape, while running. Bands run in series, so the response is the product
//! of the bands' responses.

use std::f64::consts::FRAC_1_SQRT_2;

use mixgraph_engine::{
    ActivateError, Category, NodeConfig, NodeDescriptor, NodeType, ParamSpec, Processor,
};

use super::cascade::{CascadeProcessor, param};
use super::params::{INPUTS, OUTPUTS, frequency_named, gain_named, q_named};
use crate::dsp::biquad::{Coefficients, FilterShape};

/// The `eq` node type.
pub struct Eq;

/// Number of bands.
pub const BANDS: usize = 8;
/// Parameters per band: type, frequency, gain, Q.
const PER_BAND: usize = 4;

/// The band shapes, by choice index; `off` is index 0.
const TYPES: &[&str] = &[
    "off",
    "peak",
    "lowshelf",
    "highshelf",
    "lowpass",
    "highpass",
    "bandpass",
    "notch",
    "allpass",
];

/// The filter shape of each choice index (`None` for `off`).
const SHAPES: [Option<FilterShape>; 9] = [
    None,
    Some(FilterShape::Peak),
    Some(FilterShape::LowShelf),
    Some(FilterShape::HighShelf),
    Some(FilterShape::LowPass),
    Some(FilterShape::HighPass),
    Some(FilterShape::BandPass),
    Some(FilterShape::Notch),
    Some(FilterShape::AllPass),
];

/// Declares the four parameters of each band, in band order.
macro_rules! band_params {
    ($($n:literal => $freq:expr),* $(,)?) => {
        &[$(
            ParamSpec::choice(
                concat!("band", $n, "_type"),
                concat!("Shape of band ", $n, ": off (bypassed), peak, lowshelf, highshelf, lowpass, highpass (12 dB/oct), bandpass, notch, allpass"),
                TYPES,
                "off",
            ),
            frequency_named(concat!("band", $n, "_freq"), concat!("Frequency of band ", $n), $freq),
            gain_named(concat!("band", $n, "_gain"), concat!("Gain of band ", $n, " (peak and shelves only)")),
            q_named(concat!("band", $n, "_q"), concat!("Q of band ", $n, " (0.7071: Butterworth pass, smooth shelf)"), FRAC_1_SQRT_2),
        )*]
    };
}

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "eq",
    doc: "Parametric EQ, up to 8 bands in series: bandN_type (off/peak/lowshelf/highshelf/lowpass/highpass/bandpass/notch/allpass), bandN_freq, bandN_gain, bandN_q for N = 1..8; unused bands stay off",
    category: Category::Filter,
    source: "nodes/src/filter/eq.rs",
    inputs: INPUTS,
    outputs: OUTPUTS,
    params: band_params!(
        1 => 60.0,
        2 => 150.0,
        3 => 400.0,
        4 => 1000.0,
        5 => 2500.0,
        6 => 5000.0,
        7 => 10_000.0,
        8 => 16_000.0,
    ),
};

impl NodeType for Eq {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(CascadeProcessor::boxed(config, BANDS, design))
    }
}

/// The shape chosen by a band's type value, `None` when off.
fn shape_of(type_value: f64) -> Option<FilterShape> {
    if !type_value.is_finite() || type_value < 0.0 {
        return None;
    }
    SHAPES.get(type_value.round() as usize).copied().flatten()
}

fn design(sample_rate: f64, p: &[f64], sections: &mut [Coefficients]) {
    for (band, section) in sections.iter_mut().enumerate() {
        let at = |offset: usize| param(p, band * PER_BAND + offset);
        *section = match shape_of(at(0)) {
            Some(shape) => Coefficients::rbj(shape, sample_rate, at(1), at(3), at(2)),
            None => Coefficients::identity(),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::testing;
    use crate::testkit::{self, num, text};
    use mixgraph_engine::ParamValue;
    use std::sync::Arc;

    /// A band's four parameters.
    fn band(n: usize, kind: &str, freq: f64, gain: f64, q: f64) -> Vec<(String, ParamValue)> {
        vec![
            text(&format!("band{n}_type"), kind),
            num(&format!("band{n}_freq"), freq),
            num(&format!("band{n}_gain"), gain),
            num(&format!("band{n}_q"), q),
        ]
    }

    #[test]
    fn response_is_the_product_of_the_bands() {
        let bands = [
            (
                1,
                "highpass",
                FilterShape::HighPass,
                30.0,
                0.0,
                FRAC_1_SQRT_2,
            ),
            (
                2,
                "lowshelf",
                FilterShape::LowShelf,
                120.0,
                3.0,
                FRAC_1_SQRT_2,
            ),
            (4, "peak", FilterShape::Peak, 400.0, -5.0, 1.4),
            (5, "notch", FilterShape::Notch, 3150.0, 0.0, 8.0),
            (7, "peak", FilterShape::Peak, 6000.0, 4.0, 0.8),
            (
                8,
                "highshelf",
                FilterShape::HighShelf,
                12_000.0,
                -2.5,
                FRAC_1_SQRT_2,
            ),
        ];
        let params: Vec<_> = bands
            .iter()
            .flat_map(|&(n, kind, _, f, g, q)| band(n, kind, f, g, q))
            .collect();
        testing::assert_response(Arc::new(Eq), &params, |fs, f| {
            bands
                .iter()
                .map(|&(_, _, shape, f0, g, q)| {
                    Coefficients::rbj(shape, fs, f0, q, g).magnitude(f, fs)
                })
                .product()
        });
    }

    #[test]
    fn every_band_type_is_its_shape() {
        for (index, kind) in TYPES.iter().enumerate().skip(1) {
            let shape = SHAPES[index].expect("shape");
            let params = band(3, kind, 900.0, 6.0, 2.0);
            testing::assert_response(Arc::new(Eq), &params, |fs, f| {
                Coefficients::rbj(shape, fs, 900.0, 2.0, 6.0).magnitude(f, fs)
            });
        }
    }

    #[test]
    fn all_bands_off_is_bit_exact_pass_through() {
        let input = testkit::noise(3, 2, 3000);
        let out = testkit::render(Eq, &[], std::slice::from_ref(&input), 48_000.0, 256);
        assert_eq!(out[0], input);
    }

    #[test]
    fn band_gain_change_is_click_free() {
        let params = band(2, "peak", 2_000.0, 0.0, 0.3);
        testing::assert_change_is_click_free(Arc::new(Eq), &params, ("band2_gain", -12.0));
    }

    #[test]
    fn switching_a_band_on_or_changing_its_shape_crossfades_without_a_click() {
        // A +9 dB bell at 60 Hz switched on under a 50 Hz tone, then turned into a low shelf:
        // each switch glides and lands on the new setting.
        let params = [
            num("band1_freq", 60.0),
            num("band1_gain", 9.0),
            num("band1_q", 1.0),
        ];
        testing::assert_switch_is_click_free_and_lands(
            Arc::new(Eq),
            &params,
            ("band1_type", "peak", 1.0),
        );
        let mut on = params.to_vec();
        on.push(text("band1_type", "peak"));
        testing::assert_switch_is_click_free_and_lands(
            Arc::new(Eq),
            &on,
            ("band1_type", "lowshelf", 2.0),
        );
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        let mut params = band(1, "lowshelf", 100.0, 4.0, FRAC_1_SQRT_2);
        params.extend(band(6, "peak", 3000.0, -6.0, 2.0));
        params.extend(band(8, "lowpass", 15_000.0, 0.0, FRAC_1_SQRT_2));
        testkit::check_node_contract(Eq, &params);
    }
}
