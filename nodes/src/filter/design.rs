//! Design functions shared by filter nodes: one RBJ section from (frequency, Q, gain) and
//! a Butterworth low-pass or high-pass cascade of a chosen order, plus the tail estimate of
//! a cascade.

use super::cascade::param;
use crate::dsp::biquad::{Coefficients, FilterShape, butterworth_q};

/// Decay below which a filter's ringing counts as finished, for tail estimates.
pub(crate) const TAIL_DECAY_DB: f64 = 120.0;
/// The longest tail reported, in seconds.
pub(crate) const TAIL_MAX_SECONDS: f64 = 60.0;

/// Writes one RBJ section in `sections[0]` and identities after it.
pub(crate) fn single(
    shape: FilterShape,
    sample_rate: f64,
    freq: f64,
    q: f64,
    gain_db: f64,
    sections: &mut [Coefficients],
) {
    let mut all = sections.iter_mut();
    if let Some(first) = all.next() {
        *first = Coefficients::rbj(shape, sample_rate, freq, q, gain_db);
    }
    all.for_each(|s| *s = Coefficients::identity());
}

/// Parameter positions of the single-section nodes (`bandpass`, `notch`, `peak`, shelves,
/// `allpass`): frequency, Q, then gain for the shapes that have one.
pub(crate) const FREQUENCY: usize = 0;
/// See [`FREQUENCY`].
pub(crate) const Q: usize = 1;
/// See [`FREQUENCY`].
pub(crate) const GAIN: usize = 2;

/// [`single`] from parameter values ordered frequency, Q, gain (a missing gain reads 0 dB).
pub(crate) fn single_from_params(
    shape: FilterShape,
    sample_rate: f64,
    params: &[f64],
    sections: &mut [Coefficients],
) {
    single(
        shape,
        sample_rate,
        param(params, FREQUENCY),
        param(params, Q),
        param(params, GAIN),
        sections,
    );
}

/// The Butterworth order of a slope option index (0: 12 dB/oct ... 3: 48 dB/oct).
pub(crate) fn order_of_slope(index: f64) -> usize {
    let index = if index.is_finite() {
        index.round().clamp(0.0, 3.0)
    } else {
        0.0
    };
    2 * (index as usize + 1)
}

/// Writes a low-pass or high-pass Butterworth cascade of `order` (2, 4, 6, 8) into
/// `sections` (identities after it). `q` scales the resonance: the section with the highest
/// Butterworth Q gets `Q_butterworth * q / 0.7071`, so the default 0.7071 is maximally flat
/// and, at order 2, `q` is the section's Q itself.
pub(crate) fn butterworth(
    shape: FilterShape,
    sample_rate: f64,
    freq: f64,
    q: f64,
    order: usize,
    sections: &mut [Coefficients],
) {
    let stages = order / 2;
    for (stage, s) in sections.iter_mut().enumerate() {
        *s = if stage < stages {
            let mut stage_q = butterworth_q(order, stage);
            if stage + 1 == stages {
                stage_q *= q * std::f64::consts::SQRT_2;
            }
            Coefficients::rbj(shape, sample_rate, freq, stage_q, 0.0)
        } else {
            Coefficients::identity()
        };
    }
}

/// The tail of a cascade of sections in frames: the sum of each enabled section's decay by
/// [`TAIL_DECAY_DB`], capped at [`TAIL_MAX_SECONDS`].
pub(crate) fn cascade_tail<'a>(
    sections: impl IntoIterator<Item = &'a Coefficients>,
    sample_rate: f64,
) -> usize {
    let cap = TAIL_MAX_SECONDS * sample_rate.max(0.0);
    let frames: f64 = sections
        .into_iter()
        .filter(|c| **c != Coefficients::identity())
        .map(|c| c.decay_frames(TAIL_DECAY_DB))
        .sum();
    frames.min(cap).ceil() as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::FRAC_1_SQRT_2;

    #[test]
    fn highest_q_stage_is_the_last_and_default_q_keeps_butterworth() {
        let mut s = [Coefficients::identity(); 4];
        butterworth(
            FilterShape::LowPass,
            48_000.0,
            1000.0,
            FRAC_1_SQRT_2,
            8,
            &mut s,
        );
        // At the corner each RBJ low-pass section has |H| = its Q; product = -3.01 dB.
        let corner: f64 = s.iter().map(|c| c.magnitude(1000.0, 48_000.0)).product();
        assert!((20.0 * corner.log10() + 3.0103).abs() < 1e-3);
        let mut two = [Coefficients::identity(); 4];
        butterworth(
            FilterShape::LowPass,
            48_000.0,
            1000.0,
            FRAC_1_SQRT_2,
            2,
            &mut two,
        );
        assert!(two[1..].iter().all(|c| *c == Coefficients::identity()));
    }

    #[test]
    fn slope_index_maps_to_even_orders() {
        assert_eq!(
            [0.0, 1.0, 2.0, 3.0, 9.0, f64::NAN].map(order_of_slope),
            [2, 4, 6, 8, 8, 2]
        );
    }
}
