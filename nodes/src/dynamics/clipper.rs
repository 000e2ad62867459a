//! `clipper`: clips peaks at a ceiling, hard or soft (tanh or cubic), optionally at 4x the
//! sample rate so the harmonics it creates do not fold back as aliasing.
//!
//! Every curve has unit slope at zero and never leaves `±ceiling`:
//! - `hard`: `clamp(x, -c, c)`;
//! - `tanh`: `c tanh(x / c)`;
//! - `cubic`: `x - 4 x^3 / (27 c^2)` up to `|x| = 1.5 c`, then `±c` (smooth at the joint).
//!
//! Oversampled, the band-limited result may ring slightly over the ceiling near a clipped
//! edge, so the output is clamped to `±ceiling` last: the sample peak never exceeds it.
//! That clamp re-clips the ringing of a `hard` clip, which keeps most of its aliasing (a
//! 7 kHz sine 6 dB over the ceiling at 48 kHz: -27 dB plain, -33 dB oversampled); the soft
//! curves ring little, so oversampling removes theirs (`tanh`: -28 dB plain, -112 dB
//! oversampled). Oversample with a soft curve.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, PortSpec,
    ProcessContext, Processor, Smoothed, Unit, db_to_gain,
};

use crate::dsp::choice_blend::{ChoiceBlend, switch_frames};
use crate::dsp::oversample::{Oversampler, OversamplingFilter};

/// The `clipper` node type.
pub struct Clipper;

const MODE: usize = 0;
const CEILING: usize = 1;
const INPUT_GAIN: usize = 2;

/// Oversampling factor when `oversample` is on.
pub const FACTOR: usize = 4;
/// Taps per polyphase branch of the oversampling filters.
pub const TAPS_PER_PHASE: usize = 48;
/// Stopband of the oversampling filters.
pub const STOPBAND_DB: f64 = 80.0;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "clipper",
    doc: "Clips peaks at a ceiling: hard, tanh or cubic soft clipping, optionally 4x oversampled",
    category: Category::Dynamics,
    source: "nodes/src/dynamics/clipper.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[
        ParamSpec::choice(
            "mode",
            "Curve: hard clip, tanh or cubic soft clip (unit slope at zero)",
            &["hard", "tanh", "cubic"],
            "hard",
        ),
        ParamSpec::number(
            "ceiling",
            "Largest output sample magnitude",
            Unit::Db,
            -24.0,
            0.0,
            -0.1,
            20.0,
        ),
        ParamSpec::number(
            "input_gain",
            "Gain before clipping",
            Unit::Db,
            0.0,
            24.0,
            0.0,
            20.0,
        ),
        ParamSpec::flag(
            "oversample",
            "Clip at 4x the sample rate (less aliasing, 48 frames of latency; fixed when the chain is built)",
            false,
        ),
    ],
};

impl NodeType for Clipper {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let p = config.params;
        let channels = config.input_channels.first().copied().unwrap_or(0).max(1);
        let filter = OversamplingFilter::design(FACTOR, TAPS_PER_PHASE, STOPBAND_DB);
        let oversamplers = if p.flag("oversample") {
            vec![Oversampler::new(&filter); channels]
        } else {
            Vec::new()
        };
        let initial = (
            p.number("mode"),
            p.number("ceiling"),
            p.number("input_gain"),
        );
        Ok(Box::new(ClipperProcessor {
            initial,
            mode: ChoiceBlend::new(initial.0, switch_frames(config.sample_rate)),
            ceiling_db: Smoothed::new(initial.1),
            input_gain_db: Smoothed::new(initial.2),
            oversamplers,
        }))
    }
}

/// `c tanh(x / c)`.
#[inline]
fn soft_tanh(x: f64, c: f64) -> f64 {
    c * (x / c).tanh()
}

/// The cubic soft clipper with unit slope at zero, reaching `±c` at `|x| = 1.5 c`.
#[inline]
fn soft_cubic(x: f64, c: f64) -> f64 {
    let u = (x / c).clamp(-1.5, 1.5);
    c * (u - 4.0 / 27.0 * u * u * u)
}

/// The weighted blend of the three curves (weights sum to one while a mode change fades).
#[inline]
fn clip(x: f64, c: f64, [hard, tanh, cubic]: [f64; 3]) -> f64 {
    let mut y = 0.0;
    if hard > 0.0 {
        y += hard * x.clamp(-c, c);
    }
    if tanh > 0.0 {
        y += tanh * soft_tanh(x, c);
    }
    if cubic > 0.0 {
        y += cubic * soft_cubic(x, c);
    }
    y
}

struct ClipperProcessor {
    initial: (f64, f64, f64),
    mode: ChoiceBlend<3>,
    ceiling_db: Smoothed,
    input_gain_db: Smoothed,
    /// One per channel when oversampling, else empty.
    oversamplers: Vec<Oversampler>,
}

impl Processor for ClipperProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let frames = ctx.frames();
        let channels = ctx.outputs.channels(0);
        for f in 0..frames {
            let weights = self.mode.next();
            let c = db_to_gain(self.ceiling_db.next());
            let g = db_to_gain(self.input_gain_db.next());
            for ch in 0..channels {
                let x = f64::from(ctx.inputs.channel(0, ch).get(f).copied().unwrap_or(0.0)) * g;
                let x = if x.is_finite() { x } else { 0.0 };
                let y = match self.oversamplers.get_mut(ch) {
                    Some(os) => os.process(x, |v| clip(v, c, weights)),
                    None => clip(x, c, weights),
                };
                if let Some(o) = ctx.outputs.channel(0, ch).get_mut(f) {
                    *o = y.clamp(-c, c) as f32;
                }
            }
        }
    }

    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        match index {
            MODE => self.mode.set(value),
            CEILING => self.ceiling_db.set(value, ramp_frames),
            INPUT_GAIN => self.input_gain_db.set(value, ramp_frames),
            // `oversample` is fixed when the chain is built: it sets the latency.
            _ => {}
        }
    }

    fn reset(&mut self) {
        let (mode, ceiling, gain) = self.initial;
        self.mode.reset(mode);
        self.ceiling_db.reset(ceiling);
        self.input_gain_db.reset(gain);
        self.oversamplers.iter_mut().for_each(Oversampler::reset);
    }

    fn latency(&self) -> usize {
        self.oversamplers.first().map_or(0, Oversampler::latency)
    }

    fn tail(&self) -> usize {
        self.oversamplers.first().map_or(0, Oversampler::tail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamics::test_support::db;
    use crate::testkit::{self, flag, num, text};

    const FS: f64 = 48_000.0;

    #[test]
    fn hard_output_never_exceeds_the_ceiling_and_matches_clamp() {
        let input = testkit::noise(11, 2, 20_000);
        for ceiling_db in [-12.0, -6.0, -0.1] {
            for gain_db in [0.0, 12.0] {
                let params = [num("ceiling", ceiling_db), num("input_gain", gain_db)];
                let out = testkit::render(Clipper, &params, std::slice::from_ref(&input), FS, 256);
                let c = 10f64.powf(ceiling_db / 20.0);
                let g = 10f64.powf(gain_db / 20.0);
                for ch in 0..2 {
                    for (y, x) in out[0][ch].iter().zip(&input[ch]) {
                        assert!(f64::from(y.abs()) <= c as f32 as f64 + 1e-9);
                        let want = (f64::from(*x) * g).clamp(-c, c);
                        assert!((f64::from(*y) - want).abs() < 1e-6);
                    }
                }
            }
        }
    }

    #[test]
    fn soft_curves_follow_their_formulas_with_unit_slope_at_zero() {
        let ramp: Vec<f32> = (0..2001).map(|n| (n as f32 - 1000.0) / 500.0).collect();
        let c = 10f64.powf(-6.0 / 20.0);
        for mode in ["tanh", "cubic"] {
            let out = testkit::render(
                Clipper,
                &[text("mode", mode), num("ceiling", -6.0)],
                &[vec![ramp.clone()]],
                FS,
                64,
            );
            for (y, x) in out[0][0].iter().zip(&ramp) {
                let x = f64::from(*x);
                let want = if mode == "tanh" {
                    c * (x / c).tanh()
                } else if x.abs() >= 1.5 * c {
                    c * x.signum()
                } else {
                    x - 4.0 * x.powi(3) / (27.0 * c * c)
                };
                assert!(
                    (f64::from(*y) - want).abs() < 1e-6,
                    "{mode} at {x}: {y} vs {want}"
                );
                assert!(f64::from(y.abs()) <= c + 1e-7);
            }
            // Small signals pass with unit gain.
            let i = 1000 + 1;
            assert!((f64::from(out[0][0][i]) / f64::from(ramp[i]) - 1.0).abs() < 1e-4);
        }
    }

    #[test]
    fn oversampled_soft_clipping_aliases_far_less_and_stays_under_the_ceiling() {
        // A 7 kHz sine soft-clipped 6 dB over the ceiling: its odd harmonics (21, 35, 49...
        // kHz) fold to 27, 13, 1 kHz... at 48 kHz unless clipped oversampled.
        let len = 48_000;
        let input = vec![testkit::sine(7000.0, FS, 1.0, 1, len).remove(0)];
        let alias_db = |oversample: bool| {
            let params = [
                text("mode", "tanh"),
                num("ceiling", -6.0),
                flag("oversample", oversample),
            ];
            let out = testkit::render(Clipper, &params, std::slice::from_ref(&input), FS, 512);
            let c = 10f64.powf(-6.0 / 20.0) as f32;
            assert!(out[0][0].iter().all(|y| y.abs() <= c));
            let tail = &out[0][0][len - 24_000..];
            let fundamental = testkit::amplitude_at(tail, 7000.0, FS);
            // 5th harmonic 35 kHz folds to 13 kHz; 7th 49 kHz folds to 1 kHz.
            [13_000.0, 1_000.0]
                .iter()
                .map(|&f| db(testkit::amplitude_at(tail, f, FS) / fundamental))
                .fold(f64::NEG_INFINITY, f64::max)
        };
        let plain = alias_db(false);
        let oversampled = alias_db(true);
        assert!(plain > -30.0, "plain clipping should alias: {plain} dB");
        assert!(
            oversampled < plain - 20.0,
            "oversampled {oversampled} dB vs plain {plain} dB"
        );
    }

    #[test]
    fn oversampling_declares_its_latency() {
        let g = testkit::graph_for(std::sync::Arc::new(Clipper), &[flag("oversample", true)], 1);
        let mut config = mixgraph_engine::CompileConfig::new(FS, 64);
        config.input_channels.insert("in0".into(), 1);
        assert_eq!(
            mixgraph_engine::compile(&g, &config).unwrap().latency(),
            TAPS_PER_PHASE
        );
        // Quiet content passes delayed by exactly that.
        let x = testkit::sine(1000.0, FS, 0.1, 1, 4000);
        let out = testkit::render(
            Clipper,
            &[flag("oversample", true)],
            std::slice::from_ref(&x),
            FS,
            64,
        );
        for n in 500..4000 {
            assert!((out[0][0][n] - x[0][n - TAPS_PER_PHASE]).abs() < 1e-4);
        }
    }

    #[test]
    fn node_contract() {
        testkit::check_node_contract(Clipper, &[num("input_gain", 6.0)]);
        testkit::check_node_contract(Clipper, &[text("mode", "tanh"), flag("oversample", true)]);
        testkit::check_node_contract(Clipper, &[text("mode", "cubic")]);
    }
}
