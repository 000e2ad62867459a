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
//! the output does not depend on the block size.
//!
//! A change of a time moves the gain continuously: over the parameter's smoothing time, the
//! fade's progress (the x above, clamped to 0..1) crossfades linearly from where it was at
//! the change to where the new times put it, so switching a fade on over the play position,
//! or shortening a running one, glides the gain instead of jumping it. A `curve` change
//! crossfades over 10 ms.

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
        Ok(Box::new(FadeProcessor::new(
            numbers,
            config.sample_rate,
            config.max_block,
        )))
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

/// The gain for the progress of the fade-in `x_in` and of the fade-out `x_out` (each 0..1)
/// and the curve weights.
fn gain_at(x_in: f64, x_out: f64, weights: [f64; 3]) -> f64 {
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

/// Where one fade stands: its progress, 0 to 1, at a time; after its times change, a linear
/// crossfade from the progress it had to the progress the new times give.
#[derive(Debug, Clone, Copy)]
struct FadeProgress {
    start: f64,
    length: f64,
    /// The progress of a fade switched off (length 0): 1 for a fade-in, 0 for a fade-out.
    off: f64,
    /// The progress the crossfade leaves.
    from: f64,
    /// The weight of the new times' progress: 1 when no crossfade runs.
    blend: Smoothed,
    /// The progress at the last frame.
    last: f64,
}

impl FadeProgress {
    fn new(start: f64, length: f64, off: f64) -> Self {
        let mut p = FadeProgress {
            start,
            length,
            off,
            from: off,
            blend: Smoothed::new(1.0),
            last: off,
        };
        p.last = p.at(0.0);
        p
    }

    /// The progress the times give at time `t`, clamped to 0..1.
    fn at(&self, t: f64) -> f64 {
        if self.length > 0.0 {
            ((t - self.start) / self.length).clamp(0.0, 1.0)
        } else {
            self.off
        }
    }

    /// The progress at time `t`, advancing a crossfade by one frame.
    #[inline]
    fn next(&mut self, t: f64) -> f64 {
        let x = self.at(t);
        let x = if self.blend.is_settled() {
            x
        } else {
            let w = self.blend.next();
            (1.0 - w) * self.from + w * x
        };
        self.last = x;
        x
    }

    /// New times, crossfaded into over `ramp_frames` frames from the progress of the last
    /// frame (at once for 0).
    fn set(&mut self, start: f64, length: f64, ramp_frames: usize) {
        self.start = start;
        self.length = length;
        self.from = self.last;
        self.blend.reset(0.0);
        self.blend.set(1.0, ramp_frames);
    }
}

struct FadeProcessor {
    initial: [f64; 5],
    sample_rate: f64,
    /// `in_start`, `in_length`, `out_start`, `out_length`.
    times: [f64; 4],
    fade_in: FadeProgress,
    fade_out: FadeProgress,
    curve: ChoiceBlend<3>,
    /// The gain of each frame of the current block.
    gains: Vec<f32>,
}

impl FadeProcessor {
    fn new(initial: [f64; 5], sample_rate: f64, max_block: usize) -> Self {
        let mut p = FadeProcessor {
            initial,
            sample_rate,
            times: [0.0; 4],
            fade_in: FadeProgress::new(0.0, 0.0, 1.0),
            fade_out: FadeProgress::new(0.0, 0.0, 0.0),
            curve: ChoiceBlend::new(initial[CURVE], switch_frames(sample_rate)),
            gains: vec![0.0; max_block],
        };
        p.reset();
        p
    }
}

impl Processor for FadeProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let position = ctx.position();
        for (f, g) in self.gains.iter_mut().take(ctx.frames()).enumerate() {
            let t = (position + f as u64) as f64 / self.sample_rate;
            let x_in = self.fade_in.next(t);
            let x_out = self.fade_out.next(t);
            *g = gain_at(x_in, x_out, self.curve.next()) as f32;
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
                    *t = value;
                }
                let [in_start, in_length, out_start, out_length] = self.times;
                if index <= IN_LENGTH {
                    self.fade_in.set(in_start, in_length, ramp_frames);
                } else {
                    self.fade_out.set(out_start, out_length, ramp_frames);
                }
            }
            CURVE => self.curve.set(value),
            _ => {}
        }
    }

    fn reset(&mut self) {
        let i = self.initial;
        self.times = [i[IN_START], i[IN_LENGTH], i[OUT_START], i[OUT_LENGTH]];
        self.fade_in = FadeProgress::new(i[IN_START], i[IN_LENGTH], 1.0);
        self.fade_out = FadeProgress::new(i[OUT_START], i[OUT_LENGTH], 0.0);
        self.curve.reset(i[CURVE]);
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

    /// Renders `fade` (mono, 48 kHz) over `input` in blocks of `block` frames, applying each
    /// `(frame, parameter, value)` through the schedule at that frame, ramped over the
    /// parameter's smoothing time as live control is.
    fn render_with_changes(
        params: &[(String, mixgraph_engine::ParamValue)],
        input: &[f32],
        changes: &[(usize, &str, f64)],
        block: usize,
    ) -> Vec<f32> {
        let g = testkit::graph_for(std::sync::Arc::new(Fade), params, 1);
        let out =
            testkit::render_graph_with(&g, &[vec![input.to_vec()]], 48_000.0, block, |s, pos| {
                for (at, name, value) in changes {
                    if *at == pos {
                        let node = s.node_index("node").unwrap();
                        let index = DESCRIPTOR
                            .params
                            .iter()
                            .position(|p| p.name == *name)
                            .unwrap();
                        s.set_param(node, index, *value);
                    }
                }
            });
        out[0][0].clone()
    }

    /// The largest sample-to-sample step of a signal.
    fn max_step(x: &[f32]) -> f64 {
        x.windows(2)
            .map(|w| f64::from((w[1] - w[0]).abs()))
            .fold(0.0, f64::max)
    }

    /// The fastest the gain may move per frame while a time change crossfades: the progress
    /// moves by at most 1/ramp per frame (plus its own advance, `advance`), and the
    /// equal-power curve sin(x pi/2) changes by at most pi/2 per unit of progress.
    fn gain_step_bound(advance: f64) -> f64 {
        let ramp = 0.020 * 48_000.0;
        PI / 2.0 * (1.0 / ramp + advance)
    }

    #[test]
    fn switching_a_fade_on_over_the_play_position_glides_instead_of_jumping() {
        // A 100 Hz sine; at 1.024 s a fade of 1080 s is switched on (the length steps from 0,
        // as in the catalog's click test): the fade-in then sits at 0.1 % of its way, the
        // fade-out at the same share. The output must move no faster than the sine itself
        // plus the crossfaded gain, then follow the new curve exactly.
        let (sr, amplitude, at) = (48_000.0, 0.5, 49_152);
        let len = at + 24_000;
        let sine = testkit::sine(100.0, sr, amplitude, 1, len).remove(0);
        let ramp = 960;
        for (param, expected_gain) in [
            (
                "in_length",
                Box::new(|t: f64| (t / 1080.0 * PI / 2.0).sin()) as Box<dyn Fn(f64) -> f64>,
            ),
            (
                "out_length",
                Box::new(|t: f64| ((1.0 - t / 1080.0) * PI / 2.0).sin()),
            ),
        ] {
            let out = render_with_changes(&[], &sine, &[(at, param, 1080.0)], 256);
            assert_eq!(
                out,
                render_with_changes(&[], &sine, &[(at, param, 1080.0)], 1)
            );
            let bound = max_step(&sine) + amplitude * gain_step_bound(1.0 / (1080.0 * sr));
            let step = max_step(&out[at - 1000..at + ramp + 1000]);
            assert!(step <= bound, "{param}: a step of {step} > {bound}");
            assert_eq!(
                &out[..at],
                &sine[..at],
                "{param}: untouched before the change"
            );
            for n in at + ramp..len {
                let want = f64::from(sine[n]) * expected_gain(n as f64 / sr);
                assert!(
                    (f64::from(out[n]) - want).abs() < 1e-6,
                    "{param}, frame {n}: {} vs {want}",
                    out[n]
                );
            }
        }
    }

    #[test]
    fn changing_a_running_fade_glides_to_the_new_curve_even_when_changed_again() {
        // A linear fade-in over 0..2 s on a constant 1 (so the output is the gain). At 1 s
        // the length becomes 0.5 s (the fade is then complete: gain 1), and 5 ms later 4 s
        // (gain 0.25 + ...): each change glides from where the gain is, at most at the
        // documented rate, and the gain lands on the curve of the last times.
        let sr = 48_000.0;
        let len = 72_000;
        let ones = vec![1.0f32; len];
        let params = [num("in_length", 2.0), text("curve", "linear")];
        let changes = [(48_000, "in_length", 0.5), (48_240, "in_length", 4.0)];
        let out = render_with_changes(&params, &ones, &changes, 16);
        assert_eq!(out, render_with_changes(&params, &ones, &changes, 1));
        // Linear curve: the gain is the progress; its own advance is at most 1/(0.5 s) per
        // second.
        let bound = gain_step_bound(1.0 / (0.5 * sr)) * 2.0 / PI;
        let step = max_step(&out[47_000..50_000]);
        assert!(step <= bound, "a step of {step} > {bound}");
        // Untouched before, on the last curve t / 4 s after the second ramp.
        for n in (0..48_000).chain(48_240 + 960..len) {
            let t = n as f64 / sr;
            let want = if n < 48_000 { t / 2.0 } else { t / 4.0 };
            assert!(
                (f64::from(out[n]) - want).abs() < 1e-6,
                "frame {n}: {} vs {want}",
                out[n]
            );
        }
        // A crossfade of two progress values never leaves 0..1.
        assert!(out[47_000..50_000].iter().all(|g| (0.0..=1.0).contains(g)));
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
