//! `deesser`: turns down sibilance. The detector listens to a band around `frequency` (two
//! cascaded band-pass sections, steep enough that low content does not trigger it); above
//! `threshold` the reduction follows `ratio`, up to `range` dB.
//!
//! `split` mode reduces only the band: `y = x + (g - 1) bp(x)` with a band-pass `bp` of 0 dB
//! at `frequency`, a dynamic bell cut that is exactly `g` at the centre and leaves distant
//! frequencies alone. `wideband` mode turns the whole signal down by `g`. One gain serves
//! every channel (linked), so the image stays put.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, PortSpec,
    ProcessContext, Processor, Reading, ReadingValue, Smoothed, Unit,
};

use super::TAIL_DECAY_DB;
use super::compressor_core::{CompressorCore, CompressorParam, CompressorSettings, runs};
use crate::dsp::biquad::{BiquadLanes, Coefficients, FilterShape};
use crate::dsp::choice_blend::{ChoiceBlend, switch_frames};
use crate::dsp::envelope::FLUSH_PERIOD;

/// The `deesser` node type.
pub struct Deesser;

const FREQUENCY: usize = 0;
const Q: usize = 1;
const THRESHOLD: usize = 2;
const RATIO: usize = 3;
const RANGE: usize = 4;
const ATTACK: usize = 5;
const RELEASE: usize = 6;
const MODE: usize = 7;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "deesser",
    doc: "De-esser: detects a sibilance band and turns that band (or the whole signal) down, at most `range` dB",
    category: Category::Dynamics,
    source: "nodes/src/dynamics/deesser.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[
        ParamSpec::number(
            "frequency",
            "Centre of the sibilance band",
            Unit::Hz,
            2000.0,
            16_000.0,
            6500.0,
            20.0,
        ),
        ParamSpec::number(
            "q",
            "Width of the band (higher: narrower)",
            Unit::Q,
            0.5,
            8.0,
            1.5,
            20.0,
        ),
        ParamSpec::number(
            "threshold",
            "Peak level of the band above which it is reduced",
            Unit::Db,
            -60.0,
            0.0,
            -30.0,
            20.0,
        ),
        ParamSpec::number(
            "ratio",
            "Band dB over threshold per output dB",
            Unit::Ratio,
            1.0,
            20.0,
            4.0,
            20.0,
        ),
        ParamSpec::number(
            "range",
            "Largest reduction",
            Unit::Db,
            0.0,
            24.0,
            10.0,
            20.0,
        ),
        ParamSpec::number(
            "attack",
            "Time for the reduction to cover 1-1/e of a step up",
            Unit::Ms,
            0.1,
            50.0,
            1.0,
            20.0,
        ),
        ParamSpec::number(
            "release",
            "Time for the reduction to cover 1-1/e of a step down (after the 5 ms peak hold)",
            Unit::Ms,
            5.0,
            500.0,
            60.0,
            20.0,
        ),
        ParamSpec::choice(
            "mode",
            "split: reduce only the band; wideband: reduce the whole signal",
            &["split", "wideband"],
            "split",
        ),
    ],
};

impl NodeType for Deesser {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let p = config.params;
        let channels = config.input_channels.first().copied().unwrap_or(0).max(1);
        let sr = config.sample_rate;
        let (frequency, q) = (p.number("frequency"), p.number("q"));
        let settings = CompressorSettings {
            threshold_db: p.number("threshold"),
            ratio: p.number("ratio"),
            knee_db: 0.0,
            attack_ms: p.number("attack"),
            release_ms: p.number("release"),
            makeup_db: 0.0,
            range_db: p.number("range"),
            link_percent: 100.0,
            detection: 0.0,
        };
        let max_block = config.max_block.max(1);
        Ok(Box::new(DeesserProcessor {
            sample_rate: sr,
            initial: (frequency, q, p.number("mode")),
            frequency: Smoothed::new(frequency),
            q: Smoothed::new(q),
            band: bandpass(frequency, q, sr),
            core: CompressorCore::new(sr, channels, max_block, settings),
            mode: ChoiceBlend::new(p.number("mode"), switch_frames(sr)),
            pairs: vec![DetectorLanes::default(); channels / 2],
            odd: (channels % 2 == 1).then(DetectorLanes::default),
            since_flush: 0,
            bands: vec![vec![0.0; max_block]; channels],
            keys: vec![vec![0.0; max_block]; channels],
        }))
    }
}

/// The band-pass with 0 dB at `frequency`.
fn bandpass(frequency: f64, q: f64, sample_rate: f64) -> Coefficients {
    Coefficients::rbj(FilterShape::BandPass, sample_rate, frequency, q, 0.0)
}

/// The output sample: the input with the reduced part (the band, the whole signal, or
/// during a mode change a crossfade of the two) scaled by the gain.
#[inline(always)]
fn deessed(x: f64, band: f64, gain: f32, [split, wideband]: [f64; 2]) -> f32 {
    (x + (f64::from(gain) - 1.0) * (split * band + wideband * x)) as f32
}

struct DeesserProcessor {
    sample_rate: f64,
    initial: (f64, f64, f64),
    frequency: Smoothed,
    q: Smoothed,
    band: Coefficients,
    core: CompressorCore,
    mode: ChoiceBlend<2>,
    /// The detector sections of channels `2i` and `2i + 1`, filtered together.
    pairs: Vec<DetectorLanes<2>>,
    /// Those of the last channel when the count is odd.
    odd: Option<DetectorLanes<1>>,
    /// Frames since the section memories were last cleared of values too small to matter.
    since_flush: usize,
    /// Per channel, a block of the band.
    bands: Vec<Vec<f64>>,
    /// Per channel, a block of the detector input (the band through the second section).
    keys: Vec<Vec<f64>>,
}

/// The two detector sections (the band-pass, whose output is also the band reduced in
/// `split` mode, then the second one that sharpens the detector) of `N` channels, filtered
/// together (both channels of a pair in one vector register).
#[derive(Debug, Clone, Copy, Default)]
struct DetectorLanes<const N: usize> {
    band: BiquadLanes<N>,
    key: BiquadLanes<N>,
}

impl<const N: usize> DetectorLanes<N> {
    /// Filters `inputs` (non-finite samples read as 0) through `c` into `bands` and `keys`,
    /// as many frames as the shortest of them holds.
    #[inline(always)]
    fn run(
        &mut self,
        c: &Coefficients,
        inputs: [&[f32]; N],
        bands: [&mut [f64]; N],
        keys: [&mut [f64]; N],
    ) {
        let n = (0..N)
            .map(|k| inputs[k].len().min(bands[k].len()).min(keys[k].len()))
            .min()
            .unwrap_or(0);
        let (mut band, mut key) = (self.band, self.key);
        for f in 0..n {
            let b = band.step(c, std::array::from_fn(|k| finite(inputs[k][f])));
            let y = key.step(c, b);
            for k in 0..N {
                bands[k][f] = b[k];
                keys[k][f] = y[k];
            }
        }
        (self.band, self.key) = (band, key);
    }

    fn flush_tiny(&mut self) {
        self.band.flush_tiny();
        self.key.flush_tiny();
    }
}

/// Frames `range` of a block buffer (none if out of range).
fn frames<'a>(v: &'a mut [f64], range: &std::ops::Range<usize>) -> &'a mut [f64] {
    v.get_mut(range.clone()).unwrap_or_default()
}

/// An input sample as the detector reads it: non-finite samples are silence.
#[inline(always)]
fn finite(x: f32) -> f64 {
    let x = f64::from(x);
    if x.is_finite() { x } else { 0.0 }
}

impl DeesserProcessor {
    /// Filters frames `range` of every channel's input through the detector sections with
    /// the current coefficients, into `self.bands` and `self.keys`.
    fn filter<'a>(&mut self, input: &impl Fn(usize) -> &'a [f32], range: std::ops::Range<usize>) {
        let c = self.band;
        let pairs = self
            .pairs
            .iter_mut()
            .zip(self.bands.chunks_exact_mut(2))
            .zip(self.keys.chunks_exact_mut(2))
            .enumerate();
        for (i, ((lanes, bands), keys)) in pairs {
            let ([b0, b1], [k0, k1]) = (bands, keys) else {
                continue;
            };
            let read = |ch: usize| input(ch).get(range.clone()).unwrap_or(&[]);
            lanes.run(
                &c,
                [read(2 * i), read(2 * i + 1)],
                [frames(b0, &range), frames(b1, &range)],
                [frames(k0, &range), frames(k1, &range)],
            );
        }
        let last = self.bands.len().saturating_sub(1);
        if let (Some(lanes), Some(band), Some(key)) =
            (&mut self.odd, self.bands.last_mut(), self.keys.last_mut())
        {
            let read = input(last).get(range.clone()).unwrap_or(&[]);
            lanes.run(&c, [read], [frames(band, &range)], [frames(key, &range)]);
        }
        // Every `FLUSH_PERIOD` frames from reset, whatever the blocks, clear what is too
        // small to reach an output sample.
        self.since_flush += range.len();
        if self.since_flush == FLUSH_PERIOD {
            self.since_flush = 0;
            self.pairs.iter_mut().for_each(DetectorLanes::flush_tiny);
            self.odd.iter_mut().for_each(DetectorLanes::flush_tiny);
        }
    }

    /// Frames `offset..offset + n` (at most the core's largest block).
    fn process_block(&mut self, ctx: &mut ProcessContext<'_>, offset: usize, n: usize) {
        let inputs = &ctx.inputs;
        let input = |ch: usize| inputs.channel(0, ch).get(offset..offset + n).unwrap_or(&[]);
        let mut f = 0;
        while f < n {
            let end = if self.frequency.is_settled() && self.q.is_settled() {
                (f + FLUSH_PERIOD - self.since_flush).min(n)
            } else {
                // The band moves: new coefficients every frame.
                self.band = bandpass(self.frequency.next(), self.q.next(), self.sample_rate);
                f + 1
            };
            self.filter(&input, f..end);
            f = end;
        }
        let keys = &self.keys;
        self.core
            .process(|c| keys.get(c).and_then(|k| k.get(..n)).unwrap_or(&[]), n);
        if self.mode.is_settled() {
            let weights = self.mode.weights();
            for (ch, band) in self.bands.iter().enumerate() {
                let gains = self.core.gains(ch);
                let x = ctx
                    .inputs
                    .channel(0, ch)
                    .get(offset..offset + n)
                    .unwrap_or(&[]);
                if let Some(out) = ctx.outputs.channel(0, ch).get_mut(offset..offset + n) {
                    for (((o, &x), &b), &g) in out.iter_mut().zip(x).zip(band).zip(gains) {
                        *o = deessed(f64::from(x), b, g, weights);
                    }
                }
            }
        } else {
            for f in 0..n {
                let weights = self.mode.next();
                for (ch, band) in self.bands.iter().enumerate() {
                    let x = ctx.inputs.channel(0, ch).get(offset + f).copied();
                    let x = x.map_or(0.0, f64::from);
                    let b = band.get(f).copied().unwrap_or(0.0);
                    let g = self.core.gains(ch).get(f).copied().unwrap_or(1.0);
                    if let Some(o) = ctx.outputs.channel(0, ch).get_mut(offset + f) {
                        *o = deessed(x, b, g, weights);
                    }
                }
            }
        }
    }
}

impl Processor for DeesserProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        for (offset, frames) in runs(ctx.frames(), self.core.max_block()) {
            self.process_block(ctx, offset, frames);
        }
    }

    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        let param = match index {
            FREQUENCY | Q => {
                let s = if index == FREQUENCY {
                    &mut self.frequency
                } else {
                    &mut self.q
                };
                s.set(value, ramp_frames);
                if ramp_frames == 0 {
                    self.band = bandpass(self.frequency.value(), self.q.value(), self.sample_rate);
                }
                return;
            }
            MODE => {
                self.mode.set(value);
                return;
            }
            THRESHOLD => CompressorParam::Threshold,
            RATIO => CompressorParam::Ratio,
            RANGE => CompressorParam::Range,
            ATTACK => CompressorParam::Attack,
            RELEASE => CompressorParam::Release,
            _ => return,
        };
        self.core.set(param, value, ramp_frames);
    }

    fn reset(&mut self) {
        let (frequency, q, mode) = self.initial;
        self.frequency.reset(frequency);
        self.q.reset(q);
        self.band = bandpass(frequency, q, self.sample_rate);
        self.mode.reset(mode);
        self.core.reset();
        self.pairs.fill(DetectorLanes::default());
        self.odd = self.odd.map(|_| DetectorLanes::default());
        self.since_flush = 0;
    }

    fn tail(&self) -> usize {
        // In split mode the band-pass rings on after the input ends.
        self.band.decay_frames(TAIL_DECAY_DB).min(1e9).ceil() as usize
    }

    fn readings(&self) -> Vec<Reading> {
        vec![Reading {
            name: "max_gain_reduction",
            value: ReadingValue::Scalar(self.core.max_reduction_db()),
            unit: Unit::Db,
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamics::test_support::{db, max_gain_step_db, tone};
    use crate::testkit::{self, PortAudio, num, text};

    const FS: f64 = 48_000.0;

    fn mixture(sibilant_db: f64, low_db: f64, len: usize) -> PortAudio {
        let s = tone(7000.0, FS, sibilant_db, 2, len);
        let l = tone(500.0, FS, low_db, 2, len);
        s.iter()
            .zip(&l)
            .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x + y).collect())
            .collect()
    }

    /// The reduction the design calls for: `(level - threshold)(1 - 1/ratio)`, at most `range`.
    fn designed_reduction(level: f64, threshold: f64, ratio: f64, range: f64) -> f64 {
        ((level - threshold) * (1.0 - 1.0 / ratio)).clamp(0.0, range)
    }

    #[test]
    fn split_mode_reduces_the_sibilant_band_and_passes_500_hz() {
        let (t, r, range) = (-35.0, 4.0, 12.0);
        for sibilant_db in [-20.0, -10.0] {
            let input = mixture(sibilant_db, -10.0, 24_000);
            let params = [
                num("frequency", 7000.0),
                num("q", 2.0),
                num("threshold", t),
                num("ratio", r),
                num("range", range),
                num("release", 20.0),
            ];
            let out = testkit::render(Deesser, &params, std::slice::from_ref(&input), FS, 256);
            // The detector band is 0 dB at its centre, so it reads the tone's peak.
            let centre = bandpass(7000.0, 2.0, FS).magnitude(7000.0, FS).powi(2);
            let want = -designed_reduction(sibilant_db + db(centre), t, r, range);
            for ch in 0..2 {
                let (i, o) = (&input[ch][9600..], &out[0][ch][9600..]);
                let sib =
                    db(testkit::amplitude_at(o, 7000.0, FS) / testkit::amplitude_at(i, 7000.0, FS));
                let low =
                    db(testkit::amplitude_at(o, 500.0, FS) / testkit::amplitude_at(i, 500.0, FS));
                assert!(
                    (sib - want).abs() < 0.1,
                    "sibilant at {sibilant_db}: {sib} dB, want {want}"
                );
                assert!(low.abs() < 0.1, "500 Hz changed by {low} dB");
            }
        }
    }

    #[test]
    fn wideband_mode_turns_everything_down_by_the_same_amount() {
        let (t, r, range) = (-35.0, 4.0, 12.0);
        let input = mixture(-20.0, -10.0, 24_000);
        let params = [
            num("frequency", 7000.0),
            num("q", 2.0),
            num("threshold", t),
            num("ratio", r),
            num("range", range),
            text("mode", "wideband"),
        ];
        let out = testkit::render(Deesser, &params, std::slice::from_ref(&input), FS, 256);
        let want = -designed_reduction(-20.0, t, r, range);
        for freq in [7000.0, 500.0] {
            let (i, o) = (&input[0][9600..], &out[0][0][9600..]);
            let got = db(testkit::amplitude_at(o, freq, FS) / testkit::amplitude_at(i, freq, FS));
            assert!((got - want).abs() < 0.1, "{freq} Hz: {got} dB, want {want}");
        }
    }

    #[test]
    fn no_sibilance_no_change() {
        let input = mixture(-80.0, -6.0, 9600);
        let out = testkit::render(
            Deesser,
            &[num("threshold", -30.0)],
            std::slice::from_ref(&input),
            FS,
            256,
        );
        assert_eq!(out[0], input);
    }

    #[test]
    fn stepped_parameters_do_not_click() {
        let input = vec![tone(7000.0, FS, -12.0, 1, 19_200).remove(0)];
        let base = [
            num("frequency", 7000.0),
            num("threshold", -20.0),
            num("attack", 0.1),
        ];
        for (param, value) in [
            (THRESHOLD, -60.0),
            (RANGE, 24.0),
            (RATIO, 20.0),
            (MODE, 1.0),
        ] {
            let g = testkit::graph_for(std::sync::Arc::new(Deesser), &base, 1);
            let out =
                testkit::render_graph_with(&g, std::slice::from_ref(&input), FS, 64, |s, pos| {
                    if pos == 9600 {
                        let node = s.node_index("node").unwrap();
                        s.set_param(node, param, value);
                    }
                });
            let step = max_gain_step_db(&input[0][4800..], &out[0][0][4800..], 0.1);
            assert!(
                step < 0.1,
                "param {param}: a gain step of {step} dB between samples"
            );
        }
    }

    #[test]
    fn the_band_rings_out_within_the_declared_tail() {
        let params = [
            num("frequency", 2000.0),
            num("q", 8.0),
            num("threshold", -60.0),
        ];
        let mut x = tone(2000.0, FS, -6.0, 1, 4800);
        x[0].resize(48_000, 0.0);
        let g = testkit::graph_for(std::sync::Arc::new(Deesser), &params, 1);
        let mut config = mixgraph_engine::CompileConfig::new(FS, 256);
        config.input_channels.insert("in0".into(), 1);
        let tail = mixgraph_engine::compile(&g, &config).unwrap().tail();
        assert!(tail > 0);
        let out = testkit::render(Deesser, &params, std::slice::from_ref(&x), FS, 256);
        let late = out[0][0][4800 + tail..]
            .iter()
            .fold(0.0f32, |m, y| m.max(y.abs()));
        assert!(
            db(f64::from(late) / 0.5) < -100.0,
            "{} dB after the tail",
            db(f64::from(late))
        );
    }

    #[test]
    fn node_contract() {
        testkit::check_node_contract(Deesser, &[num("threshold", -40.0)]);
        testkit::check_node_contract(
            Deesser,
            &[text("mode", "wideband"), num("frequency", 4000.0)],
        );
    }
}
