//! `fade`: a fade-in and a fade-out at given times on the timeline, sample-accurate.
//!
//! At frame n the time is t = n / fs (from the start of the render), and the gain is
//! fade_in(t) · fade_out(t), with
//! - fade_in = 0 before `in_start`, c((t − `in_start`) / `in_length`) during the fade, 1 after;
//! - fade_out = 1 before `out_start`, c(1 − (t − `out_start`) / `out_length`) during the fade,
//!   0 after;
//!
//! where the `curve` c(x) on 0..1 is `linear` x, `equal-power` sin(x·π/2) (a fade-out is then
//! cos, and crossfading two equal-power fades keeps the power of uncorrelated signals), or
//! `exponential` (1000^x − 1) / 999 (a straight line in dB over the top 60 dB, reaching exactly
//! 0 and 1). A length of 0 switches that fade off. The gain depends only on the position, so
//! the output does not depend on the block size. Times are smoothed like other parameters; a
//! `curve` change crossfades over 10 ms.

use std::f64::consts::FRAC_PI_2;

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, PortSpec,
    ProcessContext, Processor, Smoothed, Unit,
};

use crate::dsp::choice_blend::{ChoiceBlend, switch_frames};

/// The `fade` node type.
pub struct Fade;

/// Parameter indices, in descriptor order.
const IN_START: usize = 0;
const IN_LENGTH: usize = 1;
const OUT_START: usize = 2;
const OUT_LENGTH: usize = 3;
const CURVE: usize = 4;

/// The curve shapes, in the order of the `curve` options.
const CURVES: [&str; 3] = ["linear", "equal-power", "exponential"];

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "fade",
    doc: "Fade-in and fade-out at timeline positions (sample-accurate), linear, equal-power or exponential",
    category: Category::Level,
    source: "nodes/src/level/fade.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[
        ParamSpec::number(
            "in_start",
            "Where the fade-in begins (silence before)",
            Unit::Seconds,
            0.0,
            86_400.0,
            0.0,
            20.0,
        ),
        ParamSpec::number(
            "in_length",
            "Length of the fade-in; 0 switches it off",
            Unit::Seconds,
            0.0,
            3_600.0,
            0.0,
            20.0,
        ),
        ParamSpec::number(
            "out_start",
            "Where the fade-out begins",
            Unit::Seconds,
            0.0,
            86_400.0,
            0.0,
            20.0,
        ),
        ParamSpec::number(
            "out_length",
            "Length of the fade-out (silence after); 0 switches it off",
            Unit::Seconds,
            0.0,
            3_600.0,
            0.0,
            20.0,
        ),
        ParamSpec::choice(
            "curve",
            "Shape: linear x, equal-power sin(x pi/2), exponential (1000^x - 1)/999",
            &CURVES,
            "equal-power",
        ),
    ],
};

impl NodeType for Fade {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let numbers: [f64; 5] = std::array::from_fn(|i| config.params.number_at(i));
        Ok(Box::new(FadeProcessor {
            initial: numbers,
            sample_rate: config.sample_rate,
            times: std::array::from_fn(|i| Smoothed::new(numbers[i])),
            curve: ChoiceBlend::new(numbers[CURVE], switch_frames(config.sample_rate)),
            gains: vec![0.0; config.max_block],
        }))
    }
}

/// The fade shape `curve` (an index into [`CURVES`]) at progress `x`, clamped to 0..1.
fn shape(curve: usize, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    match curve {
        0 => x,
        1 => (x * FRAC_PI_2).sin(),
        _ => (1000f64.powf(x) - 1.0) / 999.0,
    }
}

/// Progress through a fade that starts at `start` and lasts `length` seconds, at time `t`;
/// `None` when the fade is switched off.
fn progress(t: f64, start: f64, length: f64) -> Option<f64> {
    (length > 0.0).then(|| (t - start) / length)
}

/// The gain at time `t` (seconds) for the given times and curve weights.
fn gain_at(
    t: f64,
    [in_start, in_length, out_start, out_length]: [f64; 4],
    weights: [f64; 3],
) -> f64 {
    let x_in = progress(t, in_start, in_length).unwrap_or(1.0);
    let x_out = progress(t, out_start, out_length).unwrap_or(0.0);
    if x_in >= 1.0 && x_out <= 0.0 {
        return 1.0; // outside both fades, whatever the curve
    }
    weights
        .into_iter()
        .enumerate()
        .filter(|(_, w)| *w != 0.0)
        .map(|(curve, w)| w * shape(curve, x_in) * shape(curve, 1.0 - x_out))
        .sum()
}

struct FadeProcessor {
    initial: [f64; 5],
    sample_rate: f64,
    /// `in_start`, `in_length`, `out_start`, `out_length`.
    times: [Smoothed; 4],
    curve: ChoiceBlend<3>,
    /// The gain of each frame of the current block.
    gains: Vec<f32>,
}

impl Processor for FadeProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let position = ctx.position();
        for (f, g) in self.gains.iter_mut().take(ctx.frames()).enumerate() {
            let times = self.times.each_mut().map(|t| t.next());
            let weights = self.curve.next();
            let t = (position + f as u64) as f64 / self.sample_rate;
            *g = gain_at(t, times, weights) as f32;
        }
        for ch in 0..ctx.outputs.channels(0) {
            let x = ctx.inputs.channel(0, ch);
            for ((o, i), g) in ctx
                .outputs
                .channel(0, ch)
                .iter_mut()
                .zip(x)
                .zip(&self.gains)
            {
                *o = i * g;
            }
        }
    }

    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        match index {
            IN_START | IN_LENGTH | OUT_START | OUT_LENGTH => {
                if let Some(t) = self.times.get_mut(index) {
                    t.set(value, ramp_frames);
                }
            }
            CURVE => self.curve.set(value),
            _ => {}
        }
    }

    fn reset(&mut self) {
        for (t, v) in self.times.iter_mut().zip(self.initial) {
            t.reset(v);
        }
        self.curve.reset(self.initial[CURVE]);
    }
}

#[cfg(test)]
mod tests {
    use std::f64::consts::PI;

    use super::*;
    use crate::testkit::{self, num, text};

    const SR: f64 = 1000.0;

    /// The curve written out from the documentation, independently of the node's code.
    fn curve(name: &str, x: f64) -> f64 {
        let x = x.clamp(0.0, 1.0);
        match name {
            "linear" => x,
            "equal-power" => (x * PI / 2.0).sin(),
            _ => (1000f64.powf(x) - 1.0) / 999.0,
        }
    }

    #[test]
    fn gains_at_exact_sample_positions_equal_the_curve_formula() {
        // At 1 kHz: fade in over frames 100..350, fade out over frames 600..1000.
        let len = 1200;
        let ones = vec![vec![1.0f32; len]; 2];
        for name in CURVES {
            let params = [
                num("in_start", 0.1),
                num("in_length", 0.25),
                num("out_start", 0.6),
                num("out_length", 0.4),
                text("curve", name),
            ];
            for block in [1, 37, 512] {
                let out = testkit::render(Fade, &params, std::slice::from_ref(&ones), SR, block);
                let expected: Vec<f32> = (0..len)
                    .map(|n| {
                        let t = n as f64 / SR;
                        let fin = if t < 0.1 {
                            0.0
                        } else {
                            curve(name, (t - 0.1) / 0.25)
                        };
                        let fout = if t > 1.0 {
                            0.0
                        } else {
                            curve(name, 1.0 - (t - 0.6) / 0.4)
                        };
                        (fin * fout) as f32
                    })
                    .collect();
                for channel in &out[0] {
                    for (n, (x, e)) in channel.iter().zip(&expected).enumerate() {
                        assert!(
                            (x - e).abs() < 1e-6,
                            "{name}, block {block}, frame {n}: {x} vs {e}"
                        );
                    }
                }
                // Landmarks: silence before, unity between, silence after.
                assert_eq!(out[0][0][99], 0.0);
                assert_eq!(out[0][0][400], 1.0);
                assert_eq!(out[0][0][1100], 0.0);
            }
        }
    }

    #[test]
    fn equal_power_is_minus_three_db_halfway_and_exponential_is_straight_in_db() {
        let len = 2001;
        let ones = vec![vec![1.0f32; len]];
        let ep = testkit::render(
            Fade,
            &[num("in_length", 2.0), text("curve", "equal-power")],
            std::slice::from_ref(&ones),
            SR,
            64,
        );
        assert!((20.0 * f64::from(ep[0][0][1000]).log10() + 3.0103).abs() < 1e-4);
        let ex = testkit::render(
            Fade,
            &[num("in_length", 2.0), text("curve", "exponential")],
            &[ones],
            SR,
            64,
        );
        // Near the top, 1000^x: every 10 % of the fade adds 6 dB.
        let db = |n: usize| 20.0 * f64::from(ex[0][0][n]).log10();
        assert!(
            (db(2000) - db(1800) - 6.0).abs() < 0.02 && (db(1800) - db(1600) - 6.0).abs() < 0.02
        );
    }

    #[test]
    fn zero_lengths_leave_the_signal_untouched() {
        let input = testkit::noise(3, 2, 800);
        let out = testkit::render(
            Fade,
            &[num("in_start", 0.3), num("out_start", 0.1)],
            std::slice::from_ref(&input),
            SR,
            64,
        );
        assert_eq!(out[0], input);
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        // At 48 kHz over the 9000 test frames: fade in over 0.05..0.1 s, out from 0.15 s.
        testkit::check_node_contract(
            Fade,
            &[
                num("in_start", 0.05),
                num("in_length", 0.05),
                num("out_start", 0.15),
                num("out_length", 0.02),
                text("curve", "exponential"),
            ],
        );
    }
}
