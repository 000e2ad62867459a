//! The K-weighting filter of ITU-R BS.1770 (a high-shelf "pre-filter" followed by the RLB
//! high-pass), designed for any sample rate from the analog prototypes, as libebur128 does,
//! so the live meter reads loudness at whatever rate the device runs.

use std::f64::consts::PI;

/// Coefficients of one biquad section, normalized so `a0 = 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Biquad {
    pub b: [f64; 3],
    pub a: [f64; 3],
}

/// The two sections of the K-weighting filter at `sample_rate`.
pub(crate) fn k_weighting(sample_rate: f64) -> [Biquad; 2] {
    // High shelf: +4 dB above about 1.5 kHz (the acoustic effect of the head).
    let f0 = 1_681.974_450_955_533;
    let gain_db = 3.999_843_853_973_347;
    let q = 0.707_175_236_955_419_6;
    let k = (PI * f0 / sample_rate).tan();
    let vh = 10f64.powf(gain_db / 20.0);
    let vb = vh.powf(0.499_666_774_154_541_6);
    let a0 = 1.0 + k / q + k * k;
    let shelf = Biquad {
        b: [
            (vh + vb * k / q + k * k) / a0,
            2.0 * (k * k - vh) / a0,
            (vh - vb * k / q + k * k) / a0,
        ],
        a: [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0],
    };
    // Second-order high-pass at about 38 Hz (the "revised low-frequency B" curve).
    let f0 = 38.135_470_876_024_44;
    let q = 0.500_327_037_323_877_3;
    let k = (PI * f0 / sample_rate).tan();
    let a0 = 1.0 + k / q + k * k;
    let highpass = Biquad {
        b: [1.0, -2.0, 1.0],
        a: [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0],
    };
    [shelf, highpass]
}

/// One channel of K-weighting, in direct form I with double-precision state.
#[derive(Debug, Clone)]
pub struct KFilter {
    sections: [Biquad; 2],
    state: [[f64; 4]; 2],
}

impl KFilter {
    /// A filter for `sample_rate`, at rest.
    pub fn new(sample_rate: f64) -> Self {
        KFilter {
            sections: k_weighting(sample_rate),
            state: [[0.0; 4]; 2],
        }
    }

    /// Filters one sample.
    #[inline]
    pub fn filter(&mut self, x: f32) -> f64 {
        let mut y = f64::from(x);
        for (s, st) in self.sections.iter().zip(self.state.iter_mut()) {
            let out =
                s.b[0] * y + s.b[1] * st[0] + s.b[2] * st[1] - s.a[1] * st[2] - s.a[2] * st[3];
            st[1] = st[0];
            st[0] = y;
            st[3] = st[2];
            // Keep denormals out of the recursive state on silence.
            st[2] = if out.abs() < 1e-30 { 0.0 } else { out };
            y = out;
        }
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coefficients_at_48k_match_the_bs1770_table() {
        // ITU-R BS.1770-4, tables 1 and 2 (48 kHz).
        let [shelf, hp] = k_weighting(48_000.0);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-8;
        assert!(close(shelf.b[0], 1.535_124_859_586_97));
        assert!(close(shelf.b[1], -2.691_696_189_406_38));
        assert!(close(shelf.b[2], 1.198_392_810_852_85));
        assert!(close(shelf.a[1], -1.690_659_293_182_41));
        assert!(close(shelf.a[2], 0.732_480_774_215_85));
        assert!(close(hp.a[1], -1.990_047_454_833_98));
        assert!(close(hp.a[2], 0.990_072_250_366_21));
    }

    #[test]
    fn the_filter_passes_1khz_at_unity_and_blocks_dc() {
        // The standard's weighting is +0.69 dB at 1 kHz, which the -0.691 in the loudness
        // formula cancels; DC is removed by the high-pass.
        let rate = 44_100.0;
        let mut f = KFilter::new(rate);
        let n = 44_100;
        let mut power = 0.0;
        for i in 0..n {
            let y = f.filter((2.0 * PI * 1000.0 * i as f64 / rate).sin() as f32);
            if i >= n / 2 {
                power += y * y;
            }
        }
        let db = 10.0 * (power / (n / 2) as f64 / 0.5).log10();
        assert!((db - 0.691).abs() < 0.02, "gain at 1 kHz: {db} dB");
        let mut f = KFilter::new(rate);
        let last = (0..n).map(|_| f.filter(1.0)).last().unwrap();
        assert!(last.abs() < 1e-6);
    }
}
