//! `pan`: places a mono or stereo signal in the stereo field, following a pan law.
//!
//! # Mono input
//! With p = `pan` in -1..1 (−1 hard left, 0 centre, +1 hard right) and θ = (p + 1)·π/4
//! (0 to π/2), the mono signal x goes to left = gL(p)·x and right = gR(p)·x, where `law` is:
//!
//! | law | gL | gR | each side at centre |
//! |---|---|---|---|
//! | `-3dB` | cos θ | sin θ | 1/√2 (−3.01 dB); gL² + gR² = 1 (constant power) |
//! | `-4.5dB` | cos^1.5 θ | sin^1.5 θ | 2^−0.75 (−4.52 dB); the geometric mean of `-3dB` and `-6dB` |
//! | `-6dB` | cos² θ | sin² θ | 1/2 (−6.02 dB); gL + gR = 1 (constant amplitude), sine taper |
//! | `linear` | (1 − p)/2 | (1 + p)/2 | 1/2 (−6.02 dB); gL + gR = 1, straight-line taper |
//!
//! Hard left (p = −1) is gL = 1, gR = 0 for every law.
//!
//! # Stereo input
//! The two channels are kept apart (no downmix): pan works as a balance that follows the law,
//! normalised so the centre leaves the signal unchanged: left = L·gL(p)/gL(0) and
//! right = R·gR(p)/gR(0). Panning right fades the left channel out along the law and raises
//! the right one, to +3.01 dB (`-3dB`), +4.52 dB (`-4.5dB`) or +6.02 dB (`-6dB`, `linear`) at
//! hard right, so with the `-3dB` law the power of uncorrelated, equally loud channels stays
//! constant. For a balance that only ever attenuates, use the `balance` node.
//!
//! Inputs with more than two channels are refused (place a `downmix` node before `pan`).
//! `pan` is smoothed; a `law` change crossfades between the two laws over 10 ms.

use std::f64::consts::FRAC_PI_4;

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, Params,
    PortSpec, ProcessContext, Processor, Smoothed, Unit,
};

use super::matrix::{self, Matrix, MatrixSource};
use crate::dsp::choice_blend::{ChoiceBlend, switch_frames};

/// The `pan` node type.
pub struct Pan;

/// The pan laws, in the order of the `law` options.
const LAWS: [&str; 4] = ["-3dB", "-4.5dB", "-6dB", "linear"];

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "pan",
    doc: "Pans mono to stereo by a pan law; on stereo input a law-shaped balance that keeps both channels",
    category: Category::Stereo,
    source: "nodes/src/stereo/pan.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::Exact(2))],
    params: &[
        ParamSpec::number(
            "pan",
            "Position: -1 hard left, 0 centre, 1 hard right",
            Unit::None,
            -1.0,
            1.0,
            0.0,
            20.0,
        ),
        ParamSpec::choice(
            "law",
            "Pan law: level of each side at centre (-3dB constant power, -4.5dB, -6dB sine taper, linear)",
            &LAWS,
            "-3dB",
        ),
    ],
};

impl NodeType for Pan {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn output_channels(&self, _params: &Params, inputs: &[usize]) -> Result<Vec<usize>, String> {
        match inputs.first() {
            Some(1 | 2) => Ok(vec![2]),
            Some(&n) => Err(format!(
                "`pan` takes a mono or stereo input, found {n} channels; place a `downmix` node before it"
            )),
            None => Err("`pan` needs its input connected".to_string()),
        }
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let (pan, law) = (config.params.number("pan"), config.params.number("law"));
        Ok(Box::new(PanProcessor {
            initial: (pan, law),
            pan: Smoothed::new(pan),
            law: ChoiceBlend::new(law, switch_frames(config.sample_rate)),
            stereo: config.input_channels.first() == Some(&2),
        }))
    }
}

/// The (left, right) gains of law `law` (an index into [`LAWS`]) at position `p`.
fn law_gains(law: usize, p: f64) -> (f64, f64) {
    let p = p.clamp(-1.0, 1.0);
    let theta = (p + 1.0) * FRAC_PI_4;
    let (sin, cos) = theta.sin_cos();
    let (sin, cos) = (sin.max(0.0), cos.max(0.0));
    match law {
        0 => (cos, sin),
        1 => (cos.powf(1.5), sin.powf(1.5)),
        2 => (cos * cos, sin * sin),
        _ => ((1.0 - p) / 2.0, (1.0 + p) / 2.0),
    }
}

/// Each side's gain at centre under law `law`, which a stereo input is normalised by.
fn centre_gain(law: usize) -> f64 {
    match law {
        0 => std::f64::consts::FRAC_1_SQRT_2,
        1 => 2f64.powf(-0.75),
        _ => 0.5,
    }
}

struct PanProcessor {
    initial: (f64, f64),
    pan: Smoothed,
    law: ChoiceBlend<4>,
    stereo: bool,
}

impl PanProcessor {
    /// The gains at position `p`, blending the laws by `weights` (one-hot when settled).
    fn matrix_for(&self, p: f64, weights: [f64; 4]) -> Matrix {
        let (mut left, mut right) = (0.0, 0.0);
        for (law, w) in weights.into_iter().enumerate().filter(|(_, w)| *w != 0.0) {
            let (gl, gr) = law_gains(law, p);
            let norm = if self.stereo { centre_gain(law) } else { 1.0 };
            left += w * gl / norm;
            right += w * gr / norm;
        }
        Matrix::diagonal(left, right)
    }
}

impl MatrixSource for PanProcessor {
    fn is_settled(&self) -> bool {
        self.pan.is_settled() && self.law.is_settled()
    }

    fn current(&self) -> Matrix {
        self.matrix_for(self.pan.value(), self.law.weights())
    }

    fn next(&mut self) -> Matrix {
        let (p, w) = (self.pan.next(), self.law.next());
        self.matrix_for(p, w)
    }
}

impl Processor for PanProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        matrix::process(ctx, self);
    }

    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        match index {
            0 => self.pan.set(value, ramp_frames),
            1 => self.law.set(value),
            _ => {}
        }
    }

    fn reset(&mut self) {
        self.pan.reset(self.initial.0);
        self.law.reset(self.initial.1);
    }
}

#[cfg(test)]
mod tests {
    use std::f64::consts::PI;

    use super::*;
    use crate::testkit::{self, num, text};

    const POSITIONS: [f64; 5] = [-1.0, -0.5, 0.0, 0.5, 1.0];

    /// The gains measured on a DC input of `channels` channels of ones.
    fn measured(law: &str, p: f64, channels: usize) -> (f64, f64) {
        let input = vec![vec![1.0f32; 64]; channels];
        let out = testkit::render(
            Pan,
            &[num("pan", p), text("law", law)],
            &[input],
            48_000.0,
            64,
        );
        (f64::from(out[0][0][63]), f64::from(out[0][1][63]))
    }

    /// The laws written out from their definitions, independently of the node's code.
    fn analytic(law: &str, p: f64) -> (f64, f64) {
        let theta = (p + 1.0) * PI / 4.0;
        match law {
            "-3dB" => (theta.cos(), theta.sin()),
            "-4.5dB" => (
                (theta.cos() * theta.cos() * theta.cos()).sqrt(),
                (theta.sin().powi(3)).sqrt(),
            ),
            "-6dB" => (theta.cos().powi(2), theta.sin().powi(2)),
            _ => (0.5 - p / 2.0, 0.5 + p / 2.0),
        }
    }

    #[test]
    fn mono_gains_equal_the_analytic_law_at_every_position() {
        for law in LAWS {
            for p in POSITIONS {
                let (l, r) = measured(law, p, 1);
                let (al, ar) = analytic(law, p);
                assert!(
                    (l - al).abs() < 1e-6 && (r - ar).abs() < 1e-6,
                    "{law} at {p}: ({l}, {r}) vs ({al}, {ar})"
                );
            }
        }
    }

    #[test]
    fn centre_levels_are_the_named_decibels() {
        for (law, db) in [
            ("-3dB", -3.0103),
            ("-4.5dB", -4.5154),
            ("-6dB", -6.0206),
            ("linear", -6.0206),
        ] {
            let (l, r) = measured(law, 0.0, 1);
            assert!((20.0 * l.log10() - db).abs() < 1e-3, "{law}: {l}");
            assert_eq!(l, r);
        }
        let (l, _) = measured("-3dB", 0.0, 1);
        assert!((l - 1.0 / 2f64.sqrt()).abs() < 1e-7);
    }

    #[test]
    fn constant_power_law_keeps_power_at_every_position() {
        for p in [-1.0, -0.75, -0.5, -0.2, 0.0, 0.33, 0.5, 0.9, 1.0] {
            let (l, r) = measured("-3dB", p, 1);
            assert!(
                (l * l + r * r - 1.0).abs() < 1e-6,
                "at {p}: {}",
                l * l + r * r
            );
        }
        for law in ["-6dB", "linear"] {
            for p in POSITIONS {
                let (l, r) = measured(law, p, 1);
                assert!(
                    (l + r - 1.0).abs() < 1e-6,
                    "{law} at {p}: amplitude sum {}",
                    l + r
                );
            }
        }
    }

    #[test]
    fn stereo_input_is_a_balance_normalised_to_unity_at_centre() {
        let input = testkit::noise(9, 2, 300);
        for law in LAWS {
            let (cl, cr) = analytic(law, 0.0);
            for p in POSITIONS {
                let out = testkit::render(
                    Pan,
                    &[num("pan", p), text("law", law)],
                    std::slice::from_ref(&input),
                    48_000.0,
                    64,
                );
                let (al, ar) = analytic(law, p);
                for f in 0..300 {
                    let el = f64::from(input[0][f]) * al / cl;
                    let er = f64::from(input[1][f]) * ar / cr;
                    assert!((f64::from(out[0][0][f]) - el).abs() < 1e-6, "{law} {p}");
                    assert!((f64::from(out[0][1][f]) - er).abs() < 1e-6, "{law} {p}");
                }
            }
        }
        // Centre leaves stereo unchanged.
        let out = testkit::render(Pan, &[], std::slice::from_ref(&input), 48_000.0, 64);
        for ch in 0..2 {
            for (o, i) in out[0][ch].iter().zip(&input[ch]) {
                assert!((o - i).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn a_pan_sweep_keeps_constant_power_on_every_frame_of_the_ramp() {
        // A pan change is smoothed on the position, so the law holds during the ramp too.
        let len = 3000;
        let g = testkit::graph_for(std::sync::Arc::new(Pan), &[num("pan", -1.0)], 1);
        let out =
            testkit::render_graph_with(&g, &[vec![vec![1.0f32; len]]], 48_000.0, 50, |s, pos| {
                if pos == 500 {
                    s.set_param(s.node_index("node").unwrap(), 0, 1.0);
                }
            });
        let (left, right) = (&out[0][0], &out[0][1]);
        for f in 0..len {
            let power = f64::from(left[f]).powi(2) + f64::from(right[f]).powi(2);
            assert!((power - 1.0).abs() < 1e-5, "frame {f}: power {power}");
        }
        // The step between frames is bounded by the ramp: theta moves pi/2 over 960 frames.
        let max_step = left
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        assert!(
            f64::from(max_step) <= PI / 2.0 / 960.0 + 1e-6,
            "step {max_step}"
        );
        assert!(left[len - 1].abs() < 1e-7 && right[len - 1] == 1.0);
    }

    #[test]
    fn a_law_change_crossfades_instead_of_jumping() {
        let len = 2000;
        let g = testkit::graph_for(std::sync::Arc::new(Pan), &[], 1);
        let out =
            testkit::render_graph_with(&g, &[vec![vec![1.0f32; len]]], 48_000.0, 100, |s, pos| {
                if pos == 500 {
                    s.set_param(s.node_index("node").unwrap(), 1, 2.0); // -6dB
                }
            });
        let left = &out[0][0];
        let (from, to) = (1.0 / 2f32.sqrt(), 0.5f32);
        let max_step = left
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        assert!(max_step <= (from - to) / 480.0 + 1e-6, "step {max_step}");
        assert!((left[499] - from).abs() < 1e-7 && (left[len - 1] - to).abs() < 1e-7);
    }

    #[test]
    fn more_than_two_channels_are_refused_with_a_hint() {
        let params = Params::resolve(DESCRIPTOR.params, &[]).unwrap();
        let err = Pan.output_channels(&params, &[6]).unwrap_err();
        assert!(
            err.contains("found 6 channels") && err.contains("downmix"),
            "{err}"
        );
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(Pan, &[num("pan", 0.4), text("law", "-4.5dB")]);
        testkit::check_node_contract_with_channels(Pan, &[num("pan", -0.7)], &[1]);
    }
}
