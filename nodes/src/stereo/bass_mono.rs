//! `bass_mono`: makes the low end mono, keeping the stereo image above `frequency`.
//!
//! The pair is encoded to mid M = (L + R)/2 and side S = (L − R)/2. The side goes through the
//! high band of a Linkwitz-Riley 4th-order split at `frequency` (24 dB/octave, −6.02 dB at
//! the split), so its content below the split is removed. The mid goes through the all-pass
//! that the two LR4 bands sum to, so mid and side keep the same phase at every frequency and
//! the image above the split is unchanged. Then L' = M' + S', R' = M' − S'. Mono material is
//! only phase-shifted (flat magnitude). A common choice for vinyl cutting and club playback
//! is 100–150 Hz. `frequency` is smoothed.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, PortSpec,
    ProcessContext, Processor, Smoothed, Unit,
};

use crate::dsp::biquad::Biquad;
use crate::dsp::crossover::{Lr4Sections, SplitCoefficients};

/// The `bass_mono` node type.
pub struct BassMono;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "bass_mono",
    doc: "Removes the side signal below `frequency` (LR4 split, phase-matched mid) so the low end is mono",
    category: Category::Stereo,
    source: "nodes/src/stereo/bass_mono.rs",
    inputs: &[PortSpec::input("in", Channels::Exact(2))],
    outputs: &[PortSpec::output("out", Channels::Exact(2))],
    params: &[ParamSpec::number(
        "frequency",
        "Split frequency: the side signal below it is removed",
        Unit::Hz,
        20.0,
        500.0,
        120.0,
        20.0,
    )],
};

impl NodeType for BassMono {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let frequency = config.params.number("frequency");
        Ok(Box::new(BassMonoProcessor {
            initial: frequency,
            sample_rate: config.sample_rate,
            frequency: Smoothed::new(frequency),
            split: SplitCoefficients::new(config.sample_rate, frequency),
            side: Lr4Sections::default(),
            mid: Biquad::new(),
        }))
    }
}

struct BassMonoProcessor {
    initial: f64,
    sample_rate: f64,
    frequency: Smoothed,
    split: SplitCoefficients,
    /// The LR4 split of the side signal (only its high band is kept).
    side: Lr4Sections,
    /// The all-pass of the mid signal, matching the phase of the split.
    mid: Biquad,
}

impl Processor for BassMonoProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let (left, right) = (ctx.inputs.channel(0, 0), ctx.inputs.channel(0, 1));
        let mut out = ctx.outputs.port(0);
        let Some((out_l, out_r)) = out.pair(0, 1) else {
            return;
        };
        for ((ol, or), (l, r)) in out_l
            .iter_mut()
            .zip(out_r.iter_mut())
            .zip(left.iter().zip(right))
        {
            if !self.frequency.is_settled() {
                self.split = SplitCoefficients::new(self.sample_rate, self.frequency.next());
            }
            let (l, r) = (f64::from(*l), f64::from(*r));
            let (_, side) = self.side.split(&self.split, (l - r) * 0.5);
            let mid = self.mid.process(&self.split.all, (l + r) * 0.5);
            *ol = (mid + side) as f32;
            *or = (mid - side) as f32;
        }
    }

    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        if index == 0 {
            self.frequency.set(value, ramp_frames);
        }
    }

    fn reset(&mut self) {
        self.frequency.reset(self.initial);
        self.split = SplitCoefficients::new(self.sample_rate, self.initial);
        self.side.reset();
        self.mid.reset();
    }
}

#[cfg(test)]
mod tests {
    use std::f64::consts::PI;

    use super::*;
    use crate::testkit::{self, num};

    const SR: f64 = 48_000.0;

    /// |LR4 high band| at `f` for a split at `fc`: a squared Butterworth high-pass,
    /// Ω⁴ / (1 + Ω⁴), with Ω the bilinear-prewarped frequency ratio.
    fn lr4_high(f: f64, fc: f64) -> f64 {
        let omega = (PI * f / SR).tan() / (PI * fc / SR).tan();
        omega.powi(4) / (1.0 + omega.powi(4))
    }

    /// Renders a tone of `freq` Hz as pure side (L = x, R = −x) or pure mid (L = R = x) and
    /// returns the (mid, side) amplitudes of the settled output.
    fn tone_through(freq: f64, as_side: bool, split: f64) -> (f64, f64) {
        let len = 48_000;
        let x = testkit::sine(freq, SR, 0.5, 1, len).remove(0);
        let other: Vec<f32> = x.iter().map(|v| if as_side { -v } else { *v }).collect();
        let out = testkit::render(
            BassMono,
            &[num("frequency", split)],
            &[vec![x, other]],
            SR,
            512,
        );
        let (l, r) = (&out[0][0][len / 2..], &out[0][1][len / 2..]);
        let mid: Vec<f32> = l.iter().zip(r).map(|(a, b)| (a + b) / 2.0).collect();
        let side: Vec<f32> = l.iter().zip(r).map(|(a, b)| (a - b) / 2.0).collect();
        (
            testkit::amplitude_at(&mid, freq, SR) / 0.5,
            testkit::amplitude_at(&side, freq, SR) / 0.5,
        )
    }

    fn db(x: f64) -> f64 {
        20.0 * x.log10()
    }

    #[test]
    fn side_of_a_50_hz_tone_is_removed() {
        let (mid, side) = tone_through(50.0, true, 200.0);
        assert!(db(side) < -40.0, "side at {} dB", db(side));
        assert!(
            (side - lr4_high(50.0, 200.0)).abs() < 1e-5,
            "{side} vs {}",
            lr4_high(50.0, 200.0)
        );
        assert!(mid < 1e-6, "no mid appears: {mid}");
        // At the default split the same tone follows the analytic LR4 response (-30.7 dB).
        let (_, side) = tone_through(50.0, true, 120.0);
        assert!(
            (db(side) - db(lr4_high(50.0, 120.0))).abs() < 0.01,
            "{} dB",
            db(side)
        );
    }

    #[test]
    fn side_of_a_5_khz_tone_is_preserved() {
        let (mid, side) = tone_through(5000.0, true, 120.0);
        assert!(db(side).abs() < 0.1, "side at {} dB", db(side));
        assert!((side - lr4_high(5000.0, 120.0)).abs() < 1e-5);
        assert!(mid < 1e-6);
    }

    #[test]
    fn split_frequency_side_is_six_db_down() {
        let (_, side) = tone_through(120.0, true, 120.0);
        assert!((db(side) + 6.0206).abs() < 0.01, "{} dB", db(side));
    }

    #[test]
    fn mono_content_keeps_its_level_at_every_frequency() {
        for f in [30.0, 120.0, 1000.0] {
            let (mid, side) = tone_through(f, false, 120.0);
            assert!(db(mid).abs() < 0.01, "{f} Hz: mid at {} dB", db(mid));
            assert!(side < 1e-6, "{f} Hz: side {side}");
        }
    }

    #[test]
    fn above_the_split_left_and_right_keep_their_phase_relation() {
        // A hard-left 2 kHz tone stays (almost) only on the left: mid and side are phase-matched.
        let len = 24_000;
        let x = testkit::sine(2000.0, SR, 0.5, 1, len).remove(0);
        let out = testkit::render(BassMono, &[], &[vec![x, vec![0.0; len]]], SR, 256);
        let right = testkit::amplitude_at(&out[0][1][len / 2..], 2000.0, SR) / 0.5;
        let left = testkit::amplitude_at(&out[0][0][len / 2..], 2000.0, SR) / 0.5;
        assert!(db(right) < -60.0, "right at {} dB", db(right));
        assert!(db(left).abs() < 0.01);
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(BassMono, &[num("frequency", 150.0)]);
    }
}
