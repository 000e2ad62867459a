//! `compressor`: a feed-forward compressor with a soft knee, peak or RMS detection, stereo
//! link, an external sidechain (key) input with its own high-pass filter, and optional
//! lookahead.
//!
//! Timing is defined in [`super::compressor_core`]: the gain in dB covers `1 - 1/e` of its
//! way to the static curve in `attack` ms (or `release` ms after the peak hold).

use mixgraph_engine::{
    ActivateError, Category, Channels, Inputs, NodeConfig, NodeDescriptor, NodeType, ParamSpec,
    PortSpec, ProcessContext, Processor, Reading, ReadingValue, Smoothed, Unit,
};

use super::compressor_core::{
    CompressorCore, CompressorParam, CompressorSettings, DETECTION_OPTIONS, UNLIMITED_RANGE_DB,
    runs,
};
use super::lookahead::LookaheadDelay;
use crate::dsp::biquad::{Biquad, Coefficients, FilterShape};
use crate::dsp::envelope::larger;

/// The `compressor` node type.
pub struct Compressor;

const THRESHOLD: usize = 0;
const RATIO: usize = 1;
const KNEE: usize = 2;
const ATTACK: usize = 3;
const RELEASE: usize = 4;
const MAKEUP: usize = 5;
const DETECTION: usize = 6;
const LINK: usize = 7;
const SIDECHAIN_HPF: usize = 8;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "compressor",
    doc: "Feed-forward compressor: soft knee, peak/RMS detection, stereo link, sidechain key input with high-pass, lookahead",
    category: Category::Dynamics,
    source: "nodes/src/dynamics/compressor.rs",
    inputs: &[
        PortSpec::input("in", Channels::Any),
        PortSpec::sidechain("sidechain", Channels::Any),
    ],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[
        ParamSpec::number(
            "threshold",
            "Level above which the gain is reduced (as detected: peak or RMS)",
            Unit::Db,
            -60.0,
            0.0,
            -18.0,
            20.0,
        ),
        ParamSpec::number(
            "ratio",
            "Input dB over threshold per output dB",
            Unit::Ratio,
            1.0,
            50.0,
            4.0,
            20.0,
        ),
        ParamSpec::number(
            "knee",
            "Width of the quadratic soft knee centred on the threshold (0: hard knee)",
            Unit::Db,
            0.0,
            24.0,
            6.0,
            20.0,
        ),
        ParamSpec::number(
            "attack",
            "Time for the gain to cover 1-1/e of a growing reduction",
            Unit::Ms,
            0.05,
            500.0,
            10.0,
            20.0,
        ),
        ParamSpec::number(
            "release",
            "Time for the gain to cover 1-1/e of a shrinking reduction (after the 5 ms peak hold)",
            Unit::Ms,
            5.0,
            5000.0,
            100.0,
            20.0,
        ),
        ParamSpec::number(
            "makeup",
            "Gain added after compression",
            Unit::Db,
            -24.0,
            24.0,
            0.0,
            20.0,
        ),
        ParamSpec::choice(
            "detection",
            "Level detection: held peak (5 ms) or RMS (10 ms window)",
            DETECTION_OPTIONS,
            "peak",
        ),
        ParamSpec::number(
            "link",
            "Stereo link: 0 = each channel by its own level, 100 = the loudest channel drives all",
            Unit::Percent,
            0.0,
            100.0,
            100.0,
            20.0,
        ),
        ParamSpec::number(
            "sidechain_hpf",
            "High-pass (12 dB/oct) in the detector path, so lows do not drive the gain (0: off)",
            Unit::Hz,
            0.0,
            1000.0,
            0.0,
            20.0,
        ),
        ParamSpec::number(
            "lookahead",
            "Delays the signal so the gain moves before a transient (fixed when the chain is built; adds latency)",
            Unit::Ms,
            0.0,
            20.0,
            0.0,
            0.0,
        ),
    ],
};

impl NodeType for Compressor {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let p = config.params;
        let channels = config.input_channels.first().copied().unwrap_or(0).max(1);
        let key_channels = config.input_channels.get(1).copied().unwrap_or(0);
        let settings = CompressorSettings {
            threshold_db: p.number("threshold"),
            ratio: p.number("ratio"),
            knee_db: p.number("knee"),
            attack_ms: p.number("attack"),
            release_ms: p.number("release"),
            makeup_db: p.number("makeup"),
            range_db: UNLIMITED_RANGE_DB,
            link_percent: p.number("link"),
            detection: p.number("detection"),
        };
        let hpf_hz = p.number("sidechain_hpf");
        let filters = if key_channels > 0 {
            key_channels
        } else {
            channels
        };
        // A key with the main input's channel count keys each channel; any other count
        // keys every channel with its loudest channel.
        let per_channel_keys = filters == channels;
        let detectors = if per_channel_keys { channels } else { 1 };
        let max_block = config.max_block.max(1);
        Ok(Box::new(CompressorProcessor {
            sample_rate: config.sample_rate,
            core: CompressorCore::new(config.sample_rate, detectors, max_block, settings),
            delay: LookaheadDelay::new(channels, config.ms_to_frames(p.number("lookahead"))),
            initial_hpf_hz: hpf_hz,
            hpf_hz: Smoothed::new(hpf_hz),
            hpf: highpass(hpf_hz, config.sample_rate),
            filters: vec![Biquad::new(); filters],
            per_channel_keys,
            keys: vec![vec![0.0; max_block]; detectors],
            channels,
        }))
    }
}

/// The detector high-pass at `hz` (identity below 1 Hz: off).
fn highpass(hz: f64, sample_rate: f64) -> Coefficients {
    if hz < 1.0 {
        Coefficients::identity()
    } else {
        Coefficients::rbj(
            FilterShape::HighPass,
            sample_rate,
            hz,
            std::f64::consts::FRAC_1_SQRT_2,
            0.0,
        )
    }
}

/// A key sample as the detector reads it: non-finite samples are silence.
#[inline(always)]
fn finite(x: f32) -> f64 {
    let x = f64::from(x);
    if x.is_finite() { x } else { 0.0 }
}

struct CompressorProcessor {
    sample_rate: f64,
    core: CompressorCore,
    delay: LookaheadDelay,
    initial_hpf_hz: f64,
    hpf_hz: Smoothed,
    hpf: Coefficients,
    /// One detector high-pass per key channel (per main channel without a key).
    filters: Vec<Biquad>,
    /// Whether each main channel has a key channel of its own; if not, one detector
    /// listens to the loudest key channel and its gain serves every channel.
    per_channel_keys: bool,
    /// The detector inputs of a block, one per detector.
    keys: Vec<Vec<f64>>,
    channels: usize,
}

impl CompressorProcessor {
    /// Writes the detector inputs of frames `offset..offset + n` to `self.keys`: channels
    /// `0..key_channels` of input port `port`, high-passed, one per detector or the
    /// loudest of them for a single detector.
    fn fill_keys(
        &mut self,
        inputs: &Inputs<'_>,
        (port, key_channels): (usize, usize),
        offset: usize,
        n: usize,
    ) {
        let per_channel = self.per_channel_keys;
        let read = |k: usize| {
            inputs
                .channel(port, k)
                .get(offset..offset + n)
                .unwrap_or(&[])
        };
        for key in &mut self.keys {
            key[..n].fill(0.0);
        }
        // Channel `k`'s detector input (per channel), or the running loudest (single).
        let store = |keys: &mut [Vec<f64>], k: usize, f: usize, y: f64| {
            let slot = keys.get_mut(if per_channel { k } else { 0 });
            if let Some(v) = slot.and_then(|key| key.get_mut(f)) {
                *v = if per_channel { y } else { larger(*v, y.abs()) };
            }
        };
        if !self.hpf_hz.is_settled() {
            // The high-pass ramps: new coefficients every frame, frame by frame.
            for f in 0..n {
                self.hpf = highpass(self.hpf_hz.next(), self.sample_rate);
                for (k, filter) in self.filters.iter_mut().enumerate().take(key_channels) {
                    let x = read(k).get(f).copied().map_or(0.0, finite);
                    store(&mut self.keys, k, f, filter.process(&self.hpf, x));
                }
            }
            return;
        }
        let off = self.hpf == Coefficients::identity();
        for (k, filter) in self.filters.iter_mut().enumerate().take(key_channels) {
            let x = read(k);
            if off {
                pass_through(filter, &self.hpf, x);
            }
            for (f, &v) in x.iter().enumerate() {
                let y = if off {
                    finite(v)
                } else {
                    filter.process(&self.hpf, finite(v))
                };
                store(&mut self.keys, k, f, y);
            }
        }
    }

    /// Frames `offset..offset + n` (at most the core's largest block).
    fn process_block(&mut self, ctx: &mut ProcessContext<'_>, offset: usize, n: usize) {
        let keyed = ctx.inputs.is_connected(1) && ctx.inputs.channels(1) > 0;
        let port = if keyed { 1 } else { 0 };
        let key_channels = ctx.inputs.channels(port).min(self.filters.len());
        let inputs = &ctx.inputs;
        let read = |k: usize| {
            if k < key_channels {
                inputs
                    .channel(port, k)
                    .get(offset..offset + n)
                    .unwrap_or(&[])
            } else {
                &[]
            }
        };
        if self.per_channel_keys && self.hpf_hz.is_settled() && self.hpf == Coefficients::identity()
        {
            // No high-pass: each detector reads its key channel as it is.
            for (k, filter) in self.filters.iter_mut().enumerate() {
                pass_through(filter, &self.hpf, read(k));
            }
            self.core.process(read, n);
        } else {
            self.fill_keys(inputs, (port, key_channels), offset, n);
            let keys = &self.keys;
            self.core
                .process(|c| keys.get(c).and_then(|k| k.get(..n)).unwrap_or(&[]), n);
        }
        let detector = |c: usize| if self.per_channel_keys { c } else { 0 };
        if self.delay.frames() == 0 {
            for c in 0..self.channels {
                let gains = self.core.gains(detector(c));
                let x = ctx
                    .inputs
                    .channel(0, c)
                    .get(offset..offset + n)
                    .unwrap_or(&[]);
                if let Some(out) = ctx.outputs.channel(0, c).get_mut(offset..offset + n) {
                    for ((o, &x), &g) in out.iter_mut().zip(x).zip(gains) {
                        *o = x * g;
                    }
                }
            }
            return;
        }
        // Lookahead: the main signal goes through the delay, frame by frame (it advances
        // all channels together). Stereo, the common case, with its slices fetched once.
        let input = |c: usize| {
            ctx.inputs
                .channel(0, c)
                .get(offset..offset + n)
                .unwrap_or(&[])
        };
        let (x0, x1) = (input(0), input(1));
        let (g0, g1) = (self.core.gains(detector(0)), self.core.gains(detector(1)));
        let mut port = ctx.outputs.port(0);
        let pair = port.pair(0, 1).and_then(|(o0, o1)| {
            Some((
                o0.get_mut(offset..offset + n)?,
                o1.get_mut(offset..offset + n)?,
            ))
        });
        if let (2, Some((o0, o1))) = (self.channels, pair) {
            let frames = x0.iter().zip(x1).zip(g0.iter().zip(g1));
            for ((((&x0, &x1), (&g0, &g1)), o0), o1) in frames.zip(o0.iter_mut()).zip(o1) {
                let d0 = self.delay.swap(0, f64::from(x0));
                let d1 = self.delay.swap(1, f64::from(x1));
                self.delay.advance();
                *o0 = (d0 * f64::from(g0)) as f32;
                *o1 = (d1 * f64::from(g1)) as f32;
            }
            return;
        }
        for f in 0..n {
            for c in 0..self.channels {
                let x = ctx.inputs.channel(0, c).get(offset + f).copied();
                let delayed = self.delay.swap(c, f64::from(x.unwrap_or(0.0)));
                let gain = self.core.gains(detector(c)).get(f).copied().unwrap_or(1.0);
                if let Some(o) = ctx.outputs.channel(0, c).get_mut(offset + f) {
                    *o = (delayed * f64::from(gain)) as f32;
                }
            }
            self.delay.advance();
        }
    }
}

/// Lets a switched-off (identity) detector high-pass see the block `x` cheaply: it reads
/// only the last two samples, after which it holds exactly what it would after reading them
/// all (it passes samples unchanged), so switching it on later continues from the signal.
fn pass_through(filter: &mut Biquad, identity: &Coefficients, x: &[f32]) {
    for &v in &x[x.len().saturating_sub(2)..] {
        filter.process(identity, finite(v));
    }
}

impl Processor for CompressorProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        for (offset, frames) in runs(ctx.frames(), self.core.max_block()) {
            self.process_block(ctx, offset, frames);
        }
    }

    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        let param = match index {
            THRESHOLD => CompressorParam::Threshold,
            RATIO => CompressorParam::Ratio,
            KNEE => CompressorParam::Knee,
            ATTACK => CompressorParam::Attack,
            RELEASE => CompressorParam::Release,
            MAKEUP => CompressorParam::Makeup,
            DETECTION => CompressorParam::Detection,
            LINK => CompressorParam::Link,
            SIDECHAIN_HPF => {
                self.hpf_hz.set(value, ramp_frames);
                if ramp_frames == 0 {
                    self.hpf = highpass(value, self.sample_rate);
                }
                return;
            }
            // `lookahead` is fixed when the chain is built: it sets the latency.
            _ => return,
        };
        self.core.set(param, value, ramp_frames);
    }

    fn reset(&mut self) {
        self.core.reset();
        self.delay.reset();
        self.hpf_hz.reset(self.initial_hpf_hz);
        self.hpf = highpass(self.initial_hpf_hz, self.sample_rate);
        self.filters.iter_mut().for_each(Biquad::reset);
    }

    fn latency(&self) -> usize {
        self.delay.frames()
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
    use crate::dynamics::test_support::{
        cosine, db, gain_db_trajectory, render_with_readings, rms_db, tone,
    };
    use crate::testkit::{self, num, text};

    const FS: f64 = 48_000.0;

    /// The designed static curve, written independently of the node: output level minus
    /// input level for a detected level `x`.
    fn designed_gain(x: f64, t: f64, r: f64, w: f64) -> f64 {
        let y = if x < t - w / 2.0 {
            x
        } else if x > t + w / 2.0 {
            t + (x - t) / r
        } else {
            x + (1.0 / r - 1.0) * (x - t + w / 2.0).powi(2) / (2.0 * w)
        };
        y - x
    }

    fn static_curve_within_a_tenth_of_a_db(detection: &str, detected_offset_db: f64) {
        let (t, r, w) = (-30.0, 4.0, 12.0);
        let params = [
            num("threshold", t),
            num("ratio", r),
            num("knee", w),
            num("attack", 1.0),
            num("release", 20.0),
            text("detection", detection),
        ];
        for step in 0..=20 {
            let peak_db = -60.0 + 3.0 * step as f64;
            let input = tone(1000.0, FS, peak_db, 1, 9600);
            let out = testkit::render(Compressor, &params, std::slice::from_ref(&input), FS, 256);
            let measured = rms_db(&out[0][0][4800..]) - rms_db(&input[0][4800..]);
            let want = designed_gain(peak_db + detected_offset_db, t, r, w);
            assert!(
                (measured - want).abs() < 0.1,
                "{detection} at {peak_db} dBFS: {measured:.3} dB, designed {want:.3} dB"
            );
        }
    }

    #[test]
    fn peak_static_curve_matches_the_soft_knee_design() {
        static_curve_within_a_tenth_of_a_db("peak", 0.0);
    }

    #[test]
    fn rms_static_curve_matches_the_soft_knee_design() {
        // A sine's RMS is its peak / sqrt 2.
        static_curve_within_a_tenth_of_a_db("rms", db(std::f64::consts::FRAC_1_SQRT_2));
    }

    /// Frames from `start` until the reduction first covers `1 - 1/e` of the way from
    /// `from` to `to` dB.
    fn time_constant_frames(
        trajectory: &[(usize, f64)],
        start: usize,
        from: f64,
        to: f64,
    ) -> usize {
        let goal = from + (to - from) * (1.0 - (-1.0f64).exp());
        let crossed = trajectory
            .iter()
            .find(|&&(n, g)| n >= start && if to > from { g >= goal } else { g <= goal });
        crossed.map_or(usize::MAX, |&(n, _)| n - start + 1)
    }

    #[test]
    fn attack_and_release_time_constants_within_ten_percent() {
        let (attack_ms, release_ms) = (10.0, 100.0);
        let params = [
            num("threshold", -30.0),
            num("ratio", 4.0),
            num("knee", 0.0),
            num("attack", attack_ms),
            num("release", release_ms),
        ];
        // -50 dBFS (no reduction) then -10 dBFS (15 dB) then -50 dBFS again; each part starts
        // at a peak of the cosine so the detected level steps at once.
        let (quiet, loud) = (-50.0, -10.0);
        let step_up = 9600;
        let step_down = step_up + 24_000;
        let mut x = cosine(1000.0, FS, quiet, step_up);
        x.extend(cosine(1000.0, FS, loud, step_down - step_up));
        x.extend(cosine(1000.0, FS, quiet, 48_000));
        let out = testkit::render(Compressor, &params, &[vec![x.clone()]], FS, 512);
        let reduction = gain_db_trajectory(&x, &out[0][0], 1e-6);
        let target = (loud + 30.0) * (1.0 - 1.0 / 4.0);
        let attack = time_constant_frames(&reduction, step_up, 0.0, target) as f64 / FS * 1000.0;
        assert!((attack / attack_ms - 1.0).abs() < 0.1, "attack {attack} ms");
        let hold = (crate::dsp::envelope::PEAK_HOLD_MS * 0.001 * FS) as usize;
        let release =
            time_constant_frames(&reduction, step_down + hold, target, 0.0) as f64 / FS * 1000.0;
        assert!(
            (release / release_ms - 1.0).abs() < 0.1,
            "release {release} ms"
        );
    }

    #[test]
    fn the_sidechain_not_the_main_input_drives_the_gain() {
        let (t, r) = (-30.0, 4.0);
        let params = [
            num("threshold", t),
            num("ratio", r),
            num("knee", 0.0),
            num("attack", 1.0),
        ];
        let len = 9600;
        // Loud key, quiet main: the main is turned down by the key's reduction.
        let main = tone(1000.0, FS, -40.0, 2, len);
        let key = tone(300.0, FS, -6.0, 2, len);
        let (out, readings) = render_with_readings(Compressor, &params, &[main.clone(), key], FS);
        let want = -(-6.0 - t) * (1.0 - 1.0 / r);
        for ch in 0..2 {
            let got = rms_db(&out[0][ch][4800..]) - rms_db(&main[ch][4800..]);
            assert!((got - want).abs() < 0.1, "loud key: {got} dB, want {want}");
        }
        assert!((readings - (-want)).abs() < 0.1, "reading {readings}");
        // Quiet key, loud main: untouched.
        let main = tone(1000.0, FS, -6.0, 2, len);
        let key = tone(300.0, FS, -60.0, 2, len);
        let out = testkit::render(Compressor, &params, &[main.clone(), key], FS, 256);
        for ch in 0..2 {
            assert_eq!(
                out[0][ch], main[ch],
                "quiet key must leave the main input untouched"
            );
        }
    }

    #[test]
    fn a_mono_key_drives_every_channel_and_the_key_high_pass_filters_it() {
        let (t, r, hpf) = (-30.0, 4.0, 200.0);
        let main = tone(1000.0, FS, -40.0, 2, 9600);
        let key = tone(100.0, FS, -6.0, 1, 9600);
        let params = [
            num("threshold", t),
            num("ratio", r),
            num("knee", 0.0),
            num("attack", 1.0),
            num("release", 10.0),
            num("sidechain_hpf", hpf),
        ];
        let out = testkit::render(Compressor, &params, &[main.clone(), key], FS, 256);
        // The key is a steady 100 Hz tone: after the high-pass its level is lower by the
        // analytic response of the filter.
        let h = Coefficients::rbj(
            FilterShape::HighPass,
            FS,
            hpf,
            std::f64::consts::FRAC_1_SQRT_2,
            0.0,
        )
        .magnitude_db(100.0, FS);
        let want = -(-6.0 + h - t).max(0.0) * (1.0 - 1.0 / r);
        for ch in 0..2 {
            let got = rms_db(&out[0][ch][4800..]) - rms_db(&main[ch][4800..]);
            assert!((got - want).abs() < 0.1, "{got} dB, want {want}");
        }
    }

    #[test]
    fn link_zero_keeps_channels_independent_and_full_link_shares_the_reduction() {
        let (t, r) = (-30.0, 4.0);
        let len = 9600;
        let loud = tone(1000.0, FS, -10.0, 1, len).remove(0);
        let quiet = tone(1000.0, FS, -40.0, 1, len).remove(0);
        let input = vec![loud, quiet];
        let loud_gain = -(-10.0 - t) * (1.0 - 1.0 / r);
        for (link, want_quiet) in [(0.0, 0.0), (100.0, loud_gain), (50.0, loud_gain / 2.0)] {
            let params = [
                num("threshold", t),
                num("ratio", r),
                num("knee", 0.0),
                num("attack", 1.0),
                num("link", link),
            ];
            let out = testkit::render(Compressor, &params, std::slice::from_ref(&input), FS, 256);
            let got_loud = rms_db(&out[0][0][4800..]) - rms_db(&input[0][4800..]);
            let got_quiet = rms_db(&out[0][1][4800..]) - rms_db(&input[1][4800..]);
            assert!(
                (got_loud - loud_gain).abs() < 0.1,
                "link {link}: loud {got_loud}"
            );
            assert!(
                (got_quiet - want_quiet).abs() < 0.1,
                "link {link}: quiet {got_quiet}, want {want_quiet}"
            );
        }
    }

    #[test]
    fn lookahead_declares_its_latency_and_turns_down_before_the_transient() {
        let lookahead_ms = 5.0;
        let frames = (lookahead_ms * 0.001 * FS) as usize;
        let params = [
            num("threshold", -30.0),
            num("ratio", 4.0),
            num("knee", 0.0),
            num("attack", 0.5),
            num("lookahead", lookahead_ms),
        ];
        let g = testkit::graph_for(std::sync::Arc::new(Compressor), &params, 1);
        let mut config = mixgraph_engine::CompileConfig::new(FS, 256);
        config.input_channels.insert("in0".into(), 1);
        let s = mixgraph_engine::compile(&g, &config).unwrap();
        assert_eq!(s.latency(), frames);
        // A burst after silence: its first output sample is already turned down.
        let onset = 4800;
        let mut x = vec![0.0f32; onset];
        x.extend(cosine(1000.0, FS, -6.0, 4800));
        let out = testkit::render(Compressor, &params, &[vec![x.clone()]], FS, 256);
        let first = out[0][0][onset + frames] / x[onset];
        let want = -(-6.0 + 30.0) * 0.75;
        assert!(
            (db(f64::from(first).abs()) - want).abs() < 0.5,
            "first sample gain {} dB",
            db(f64::from(first))
        );
        // Aligned: the output is the input delayed by the latency, times the gain.
        assert!(out[0][0][..onset + frames].iter().all(|&y| y == 0.0));
        // In stereo (channels delayed together) each channel is what mono gives, and the
        // channels can differ: the right one, half as loud, is delayed as much.
        let quieter: Vec<f32> = x.iter().map(|v| v * 0.5).collect();
        let stereo = testkit::render(
            Compressor,
            &params,
            &[vec![x.clone(), quieter.clone()]],
            FS,
            256,
        );
        assert_eq!(stereo[0][0], out[0][0]);
        assert!(stereo[0][1][..onset + frames].iter().all(|&y| y == 0.0));
        for (n, (&l, &r)) in stereo[0][0].iter().zip(&stereo[0][1]).enumerate() {
            // Linked: both channels take the same gain.
            assert!((r - 0.5 * l).abs() <= 1e-6 * l.abs(), "frame {n}: {l} {r}");
        }
    }

    #[test]
    fn stepped_parameters_do_not_click() {
        use crate::dynamics::test_support::max_gain_step_db;
        // A steady -12 dBFS tone; each parameter jumps mid-render (as a live control would)
        // and is ramped over its smoothing time.
        let input = vec![tone(1000.0, FS, -12.0, 1, 19_200).remove(0)];
        let base = [
            num("threshold", -20.0),
            num("ratio", 4.0),
            num("knee", 0.0),
            num("attack", 0.05),
            num("makeup", 0.0),
        ];
        for (param, value) in [
            (THRESHOLD, -50.0),
            (RATIO, 20.0),
            (KNEE, 24.0),
            (MAKEUP, 24.0),
            (ATTACK, 500.0),
        ] {
            let g = testkit::graph_for(std::sync::Arc::new(Compressor), &base, 1);
            let out =
                testkit::render_graph_with(&g, std::slice::from_ref(&input), FS, 64, |s, pos| {
                    if pos == 9600 {
                        let node = s.node_index("node").unwrap();
                        s.set_param(node, param, value);
                    }
                });
            // From 0.1 s on: the onset at the start is not a parameter step.
            let step = max_gain_step_db(&input[0][4800..], &out[0][0][4800..], 0.1);
            assert!(
                step < 0.1,
                "param {param}: a gain step of {step} dB between samples"
            );
        }
    }

    #[test]
    fn shortcuts_for_steady_levels_and_silence_change_no_sample() {
        // A steady tone long enough for the reduction to settle exactly, silence (the
        // release to rest), a tone under the knee, each frame by frame and in blocks.
        let mut x = cosine(1000.0, FS, -6.0, 48_000);
        x.extend(vec![0.0; 24_000]);
        x.extend(cosine(1000.0, FS, -40.0, 9600));
        let input = vec![x.clone(), x];
        for params in [
            vec![num("attack", 1.0), num("release", 20.0)],
            vec![
                text("detection", "rms"),
                num("link", 50.0),
                num("makeup", 3.0),
            ],
        ] {
            let frame_by_frame =
                testkit::render(Compressor, &params, std::slice::from_ref(&input), FS, 1);
            for block in [64, 1000, 4096] {
                let out =
                    testkit::render(Compressor, &params, std::slice::from_ref(&input), FS, block);
                assert_eq!(out, frame_by_frame, "{params:?}, block {block}");
            }
        }
        // The steady tone settles on the static curve: 12 dB over a -18 dB threshold at
        // 4:1 (past the 6 dB knee) is 9 dB down.
        let params = [num("attack", 1.0), num("release", 20.0)];
        let out = testkit::render(Compressor, &params, std::slice::from_ref(&input), FS, 1000);
        let gain = rms_db(&out[0][0][24_000..48_000]) - rms_db(&input[0][24_000..48_000]);
        assert!((gain + 9.0).abs() < 0.1, "{gain} dB");
    }

    #[test]
    fn node_contract() {
        testkit::check_node_contract(
            Compressor,
            &[
                num("threshold", -30.0),
                num("lookahead", 2.0),
                num("sidechain_hpf", 80.0),
            ],
        );
        testkit::check_node_contract(Compressor, &[text("detection", "rms"), num("link", 30.0)]);
    }
}
