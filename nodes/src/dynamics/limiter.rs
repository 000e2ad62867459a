//! `limiter`: a lookahead true-peak limiter. The gain is computed from the 4x-interpolated
//! (true) peak of the signal, so inter-sample peaks stay under the ceiling too.
//!
//! # How the ceiling is kept
//! 1. **Detect**: every channel is interpolated 4x ([`crate::dsp::oversample`], 80 dB
//!    stopband); for each frame the largest interpolated magnitude of any channel gives the
//!    attenuation `A = max(0, 20 log10(peak / ceiling))` that frame needs.
//! 2. **Hold**: a sliding maximum of `A` over `D + 2K` frames, where `D` is the ramp length
//!    and `K` a neighbourhood, so every frame within `K` of a peak is held too.
//! 3. **Release**: the held attenuation decays toward 0 dB with the `release` time constant
//!    (never below the hold).
//! 4. **Ramp**: a moving average over `D` frames. Every value it averages at a peak is at
//!    least that peak's need, so the gain reaches its target before the peak arrives and
//!    stays flat within `K` frames of it; the signal is delayed to line up.
//! 5. **Safety**: the gained signal is interpolated 4x again; wherever an interpolated
//!    peak would still exceed the ceiling (two peaks close together, a parameter ramp),
//!    the samples that make up that peak are turned down by exactly the excess. Last, a
//!    clamp to the ceiling guards against rounding.
//!
//! The interpolated peak is kept [`METER_MARGIN_DB`] under the ceiling (the main stage aims
//! a further 0.03 dB lower), so meters whose interpolation filters overshoot read no more
//! than the ceiling either.
//!
//! The whole path is linked across channels (one gain for all), so the image does not
//! move. The latency is the `lookahead` time (at least [`MIN_LATENCY_FRAMES`]).

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, PortSpec,
    ProcessContext, Processor, Reading, ReadingValue, Smoothed, Unit, db_to_gain,
};

use super::compressor_core::TimeConstant;
use super::lookahead::LookaheadDelay;
use crate::dsp::envelope::SlidingMax;
use crate::dsp::oversample::{Interpolator, OversamplingFilter};

/// The `limiter` node type.
pub struct Limiter;

const INPUT_GAIN: usize = 0;
const CEILING: usize = 1;
const RELEASE: usize = 2;

/// Oversampling of the true-peak detectors.
const FACTOR: usize = 4;
/// Taps per polyphase branch of the detectors (half of it is their delay).
const TAPS_PER_PHASE: usize = 32;
/// Stopband of the detectors' interpolation filter.
const STOPBAND_DB: f64 = 80.0;
/// Delay of one detector, in frames.
const DETECTOR_DELAY: usize = TAPS_PER_PHASE / 2;
/// Frames on each side of a peak over which the main gain is held flat.
const NEIGHBOURHOOD: usize = DETECTOR_DELAY / 2;
/// The smallest latency the limiter can have: two detectors (the safety stage holds a whole
/// interpolation kernel) and the neighbourhood.
pub const MIN_LATENCY_FRAMES: usize = 3 * DETECTOR_DELAY + NEIGHBOURHOOD;
/// How far under the ceiling the output's 4x-interpolated peak is kept. Interpolating
/// true-peak meters overshoot an ideal reconstruction for content near a third of the sample
/// rate: the 48-tap filter of libebur128 (also in ffmpeg) reads up to 0.11 dB high there.
/// This margin keeps such meters at or under the ceiling.
pub const METER_MARGIN_DB: f64 = 0.12;
/// How much further under the ceiling the main stage aims, so the safety stage rarely acts.
const MAIN_HEADROOM_DB: f64 = 0.03;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "limiter",
    doc: "Lookahead true-peak limiter: the 4x-oversampled peak of the output never exceeds the ceiling",
    category: Category::Dynamics,
    source: "nodes/src/dynamics/limiter.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[
        ParamSpec::number(
            "input_gain",
            "Gain before limiting (drives the signal into the ceiling)",
            Unit::Db,
            0.0,
            24.0,
            0.0,
            20.0,
        ),
        ParamSpec::number(
            "ceiling",
            "Largest true peak of the output",
            Unit::Dbtp,
            -24.0,
            0.0,
            -1.0,
            20.0,
        ),
        ParamSpec::number(
            "release",
            "Time for the gain reduction to fall by 1-1/e once peaks stop",
            Unit::Ms,
            1.0,
            2000.0,
            100.0,
            20.0,
        ),
        ParamSpec::number(
            "lookahead",
            "Delay that lets the gain ramp down before a peak: the latency (fixed when the chain is built)",
            Unit::Ms,
            2.0,
            20.0,
            5.0,
            0.0,
        ),
    ],
};

impl NodeType for Limiter {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let p = config.params;
        let channels = config.input_channels.first().copied().unwrap_or(0).max(1);
        let latency = config
            .ms_to_frames(p.number("lookahead"))
            .max(MIN_LATENCY_FRAMES + 1);
        let ramp = latency + 1 - MIN_LATENCY_FRAMES;
        let filter = OversamplingFilter::design(FACTOR, TAPS_PER_PHASE, STOPBAND_DB);
        let initial = Settings {
            input_gain_db: p.number("input_gain"),
            ceiling_db: p.number("ceiling"),
            release_ms: p.number("release"),
        };
        Ok(Box::new(LimiterProcessor {
            initial,
            input_gain_db: Smoothed::new(initial.input_gain_db),
            ceiling_db: Smoothed::new(initial.ceiling_db),
            release: TimeConstant::new(initial.release_ms, config.sample_rate),
            detectors: vec![Interpolator::new(&filter); channels],
            hold: SlidingMax::new(ramp + 2 * NEIGHBOURHOOD, ramp + 2 * NEIGHBOURHOOD),
            released: 0.0,
            ramp: MovingAverage::new(ramp),
            delay: LookaheadDelay::new(channels, DETECTOR_DELAY + ramp - 1 + NEIGHBOURHOOD),
            safety_detectors: vec![Interpolator::new(&filter); channels],
            safety_hold: SlidingMax::new(2 * DETECTOR_DELAY + 1, 2 * DETECTOR_DELAY + 1),
            safety_delay: LookaheadDelay::new(channels, 2 * DETECTOR_DELAY),
            phases: [0.0; FACTOR],
            frame: vec![0.0; channels],
            latency,
            max_reduction: 0.0,
        }))
    }
}

#[derive(Debug, Clone, Copy)]
struct Settings {
    input_gain_db: f64,
    ceiling_db: f64,
    release_ms: f64,
}

/// The mean of the last `len` values, kept as a running sum that is recomputed exactly
/// once per lap so rounding cannot drift.
struct MovingAverage {
    ring: Vec<f64>,
    pos: usize,
    sum: f64,
}

impl MovingAverage {
    fn new(len: usize) -> MovingAverage {
        MovingAverage {
            ring: vec![0.0; len.max(1)],
            pos: 0,
            sum: 0.0,
        }
    }

    #[inline]
    fn push(&mut self, x: f64) -> f64 {
        let len = self.ring.len();
        if let Some(slot) = self.ring.get_mut(self.pos) {
            self.sum += x - *slot;
            *slot = x;
        }
        self.pos += 1;
        if self.pos == len {
            self.pos = 0;
            self.sum = self.ring.iter().sum();
        }
        (self.sum / len as f64).max(0.0)
    }

    fn reset(&mut self) {
        self.ring.fill(0.0);
        self.pos = 0;
        self.sum = 0.0;
    }
}

struct LimiterProcessor {
    initial: Settings,
    input_gain_db: Smoothed,
    ceiling_db: Smoothed,
    release: TimeConstant,
    detectors: Vec<Interpolator>,
    hold: SlidingMax,
    /// The held attenuation after release, in dB.
    released: f64,
    ramp: MovingAverage,
    delay: LookaheadDelay,
    safety_detectors: Vec<Interpolator>,
    safety_hold: SlidingMax,
    safety_delay: LookaheadDelay,
    phases: [f64; FACTOR],
    frame: Vec<f64>,
    latency: usize,
    max_reduction: f64,
}

impl LimiterProcessor {
    /// Interpolates one frame (in `self.frame`) through `detectors` and returns the largest
    /// interpolated magnitude of any channel.
    #[inline]
    fn true_peak(detectors: &mut [Interpolator], frame: &[f64], phases: &mut [f64; FACTOR]) -> f64 {
        let mut peak: f64 = 0.0;
        for (detector, &x) in detectors.iter_mut().zip(frame) {
            detector.process(x, phases);
            peak = phases.iter().fold(peak, |m, v| m.max(v.abs()));
        }
        peak
    }
}

/// The attenuation in dB that brings `peak` down to `ceiling` (0 when it is below).
#[inline]
fn attenuation_db(peak: f64, ceiling: f64) -> f64 {
    if peak > ceiling {
        20.0 * (peak / ceiling).log10()
    } else {
        0.0
    }
}

impl Processor for LimiterProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let frames = ctx.frames();
        let channels = self.frame.len();
        for f in 0..frames {
            let input_gain = db_to_gain(self.input_gain_db.next());
            let ceiling = db_to_gain(self.ceiling_db.next());
            let release = self.release.next_coefficient();
            for (c, x) in self.frame.iter_mut().enumerate() {
                let v =
                    f64::from(ctx.inputs.channel(0, c).get(f).copied().unwrap_or(0.0)) * input_gain;
                *x = if v.is_finite() { v } else { 0.0 };
            }
            // Main stage: detect, hold, release, ramp.
            let peak = Self::true_peak(&mut self.detectors, &self.frame, &mut self.phases);
            let need = attenuation_db(
                peak,
                ceiling * db_to_gain(-(METER_MARGIN_DB + MAIN_HEADROOM_DB)),
            );
            let held = self.hold.push(need);
            self.released = held.max(self.released * release);
            if self.released < 1e-9 {
                self.released = 0.0;
            }
            let reduction = self.ramp.push(self.released);
            let gain = db_to_gain(-reduction);
            for (c, x) in self.frame.iter_mut().enumerate() {
                *x = self.delay.swap(c, *x) * gain;
            }
            self.delay.advance();
            // Safety stage: turn down whatever would still peak over the ceiling.
            let peak = Self::true_peak(&mut self.safety_detectors, &self.frame, &mut self.phases);
            let excess = self
                .safety_hold
                .push(attenuation_db(peak, ceiling * db_to_gain(-METER_MARGIN_DB)));
            let correction = db_to_gain(-excess);
            self.max_reduction = self.max_reduction.max(reduction + excess);
            for c in 0..channels {
                let x = self.frame.get(c).copied().unwrap_or(0.0);
                let y = (self.safety_delay.swap(c, x) * correction).clamp(-ceiling, ceiling);
                if let Some(o) = ctx.outputs.channel(0, c).get_mut(f) {
                    *o = y as f32;
                }
            }
            self.safety_delay.advance();
        }
    }

    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        match index {
            INPUT_GAIN => self.input_gain_db.set(value, ramp_frames),
            CEILING => self.ceiling_db.set(value, ramp_frames),
            RELEASE => self.release.set(value, ramp_frames),
            // The lookahead is fixed when the chain is built: it is the latency.
            _ => {}
        }
    }

    fn reset(&mut self) {
        let s = self.initial;
        self.input_gain_db.reset(s.input_gain_db);
        self.ceiling_db.reset(s.ceiling_db);
        self.release.reset(s.release_ms);
        self.detectors.iter_mut().for_each(Interpolator::reset);
        self.hold.reset();
        self.released = 0.0;
        self.ramp.reset();
        self.delay.reset();
        self.safety_detectors
            .iter_mut()
            .for_each(Interpolator::reset);
        self.safety_hold.reset();
        self.safety_delay.reset();
        self.max_reduction = 0.0;
    }

    fn latency(&self) -> usize {
        self.latency
    }

    fn readings(&self) -> Vec<Reading> {
        vec![Reading {
            name: "max_gain_reduction",
            value: ReadingValue::Scalar(self.max_reduction),
            unit: Unit::Db,
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, PortAudio, num};

    /// The true peak of every channel in dBTP, measured by the `ebur128` crate.
    fn ebur128_true_peak_db(audio: &PortAudio, sample_rate: f64) -> f64 {
        let mut meter = ebur128::EbuR128::new(
            audio.len() as u32,
            sample_rate as u32,
            ebur128::Mode::TRUE_PEAK,
        )
        .unwrap();
        let planes: Vec<&[f32]> = audio.iter().map(Vec::as_slice).collect();
        meter.add_frames_planar_f32(&planes).unwrap();
        (0..audio.len())
            .map(|c| 20.0 * meter.true_peak(c as u32).unwrap().log10())
            .fold(f64::NEG_INFINITY, f64::max)
    }

    fn noise_bursts(sample_rate: f64) -> PortAudio {
        let len = (0.6 * sample_rate) as usize;
        let burst = (0.05 * sample_rate) as usize;
        let mut noise = testkit::noise(3, 2, len);
        for ch in &mut noise {
            for (n, x) in ch.iter_mut().enumerate() {
                *x *= if (n / burst) % 2 == 0 { 2.0 } else { 0.05 };
            }
        }
        noise
    }

    /// Kick- and snare-like hits: decaying sines that start at full amplitude.
    fn drum_hits(sample_rate: f64) -> PortAudio {
        let len = (0.6 * sample_rate) as usize;
        let period = (0.15 * sample_rate) as usize;
        let one: Vec<f32> = (0..len)
            .map(|n| {
                let t = (n % period) as f64 / sample_rate;
                let kick =
                    1.8 * (2.0 * std::f64::consts::PI * 60.0 * t + 1.3).sin() * (-t / 0.08).exp();
                let snap =
                    1.2 * (2.0 * std::f64::consts::PI * 3100.0 * t + 0.4).sin() * (-t / 0.01).exp();
                (kick + snap) as f32
            })
            .collect();
        let other: Vec<f32> = one
            .iter()
            .enumerate()
            .map(|(n, x)| x * if n % 3 == 0 { 0.7 } else { 1.0 })
            .collect();
        vec![one, other]
    }

    fn square(freq: f64, sample_rate: f64) -> PortAudio {
        let len = (0.5 * sample_rate) as usize;
        let one: Vec<f32> = (0..len)
            .map(|n| {
                if (n as f64 * freq / sample_rate).fract() < 0.5 {
                    1.0
                } else {
                    -1.0
                }
            })
            .collect();
        vec![one.clone(), one]
    }

    /// A sine at a third of the sample rate, where short interpolation filters overshoot.
    fn third_rate_sine(phase_deg: f64, sample_rate: f64) -> PortAudio {
        let len = (0.5 * sample_rate) as usize;
        let phase = phase_deg.to_radians();
        let w = 2.0 * std::f64::consts::PI * 0.334;
        let one: Vec<f32> = (0..len)
            .map(|n| (1.8 * (w * n as f64 + phase).sin()) as f32)
            .collect();
        vec![one.clone(), one]
    }

    /// EBU Tech 3341 style: a sine at fs/4 with a phase offset, 1.41 FS.
    fn quarter_rate_sine(phase_deg: f64, sample_rate: f64) -> PortAudio {
        let len = (0.5 * sample_rate) as usize;
        let phase = phase_deg.to_radians();
        let one: Vec<f32> = (0..len)
            .map(|n| (1.41 * (std::f64::consts::FRAC_PI_2 * n as f64 + phase).sin()) as f32)
            .collect();
        vec![one.clone(), one]
    }

    #[test]
    fn the_true_peak_never_exceeds_the_ceiling() {
        for sample_rate in [44_100.0, 48_000.0] {
            let signals: Vec<(&str, PortAudio)> = vec![
                ("noise bursts", noise_bursts(sample_rate)),
                ("drum hits", drum_hits(sample_rate)),
                ("square 1 kHz", square(1000.0, sample_rate)),
                ("square 97 Hz", square(97.0, sample_rate)),
                ("fs/4 0 deg", quarter_rate_sine(0.0, sample_rate)),
                ("fs/4 45 deg", quarter_rate_sine(45.0, sample_rate)),
                ("fs/4 67.5 deg", quarter_rate_sine(67.5, sample_rate)),
                ("fs/3 0 deg", third_rate_sine(0.0, sample_rate)),
                ("fs/3 60 deg", third_rate_sine(60.0, sample_rate)),
            ];
            for ceiling in [-1.0, 0.0] {
                for (name, input) in &signals {
                    let params = [
                        num("ceiling", ceiling),
                        num("release", 50.0),
                        num("lookahead", 3.0),
                    ];
                    let out = testkit::render(
                        Limiter,
                        &params,
                        std::slice::from_ref(input),
                        sample_rate,
                        512,
                    );
                    let tp = ebur128_true_peak_db(&out[0], sample_rate);
                    let before = ebur128_true_peak_db(input, sample_rate);
                    assert!(
                        tp <= ceiling,
                        "{name} at {sample_rate} Hz: {tp:.4} dBTP over the ceiling {ceiling} (input {before:.2} dBTP)"
                    );
                    assert!(
                        tp > ceiling - 1.5,
                        "{name} at {sample_rate} Hz: {tp:.4} dBTP, far under the ceiling {ceiling}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_steady_loud_sine_is_brought_to_the_ceiling_not_below() {
        let fs = 48_000.0;
        let input = testkit::sine(997.0, fs, 2.0, 2, 48_000);
        let out = testkit::render(Limiter, &[num("ceiling", -1.0)], &[input], fs, 256);
        let settled: PortAudio = out[0].iter().map(|c| c[24_000..].to_vec()).collect();
        let tp = ebur128_true_peak_db(&settled, fs);
        assert!(tp <= -1.0 && tp > -1.2, "{tp} dBTP");
    }

    #[test]
    fn latency_is_the_lookahead_and_quiet_signals_pass_aligned_and_untouched() {
        for (fs, lookahead_ms) in [(48_000.0_f64, 5.0_f64), (44_100.0, 2.0), (44_100.0, 20.0)] {
            let frames = (lookahead_ms * 0.001 * fs).round() as usize;
            let params = [num("lookahead", lookahead_ms), num("ceiling", -1.0)];
            let g = testkit::graph_for(std::sync::Arc::new(Limiter), &params, 1);
            let mut config = mixgraph_engine::CompileConfig::new(fs, 256);
            config.input_channels.insert("in0".into(), 2);
            assert_eq!(
                mixgraph_engine::compile(&g, &config).unwrap().latency(),
                frames
            );
            let input = testkit::noise(5, 2, 10_000)
                .into_iter()
                .map(|c| c.into_iter().map(|x| x * 0.25).collect())
                .collect::<PortAudio>();
            let out = testkit::render(Limiter, &params, std::slice::from_ref(&input), fs, 256);
            for ch in 0..2 {
                assert!(out[0][ch][..frames].iter().all(|&y| y == 0.0));
                assert_eq!(&out[0][ch][frames..], &input[ch][..10_000 - frames]);
            }
        }
    }

    #[test]
    fn gain_reaches_its_target_before_an_isolated_peak() {
        // One loud sample after silence: the output there is at the ceiling, and the gain
        // ramps down over the lookahead before it (no step at the peak).
        let fs = 48_000.0;
        let mut x = vec![0.01f32; 20_000];
        x[10_000] = 4.0;
        let out = testkit::render(
            Limiter,
            &[num("ceiling", -1.0), num("lookahead", 5.0)],
            &[vec![x.clone()]],
            fs,
            256,
        );
        let latency = 240;
        let y = &out[0][0];
        let peak_gain = f64::from(y[10_000 + latency]) / 4.0;
        let ceiling = 10f64.powf(-1.0 / 20.0);
        assert!(
            peak_gain * 4.0 <= ceiling + 1e-6 && peak_gain * 4.0 > ceiling * 0.97,
            "{}",
            peak_gain * 4.0
        );
        // 100 frames before the peak the gain is already on its way down, smoothly.
        let gains: Vec<f64> = (9_800..10_000)
            .map(|n| f64::from(y[n + latency]) / 0.01)
            .collect();
        assert!(
            gains[0] > gains[150] && gains[150] > gains[199],
            "{} {} {}",
            gains[0],
            gains[150],
            gains[199]
        );
        let steps = gains
            .windows(2)
            .map(|w| (w[1] / w[0]).ln().abs())
            .fold(0.0, f64::max);
        assert!(steps < 0.05, "largest step {steps}");
    }

    #[test]
    fn lowering_the_ceiling_while_limiting_holds_the_new_ceiling() {
        let fs = 48_000.0;
        let input = noise_bursts(fs);
        let g = testkit::graph_for(std::sync::Arc::new(Limiter), &[num("ceiling", -1.0)], 1);
        let change = 9_600;
        let out = testkit::render_graph_with(&g, std::slice::from_ref(&input), fs, 64, |s, pos| {
            if pos == change {
                let node = s.node_index("node").unwrap();
                s.set_param(node, CEILING, -6.0);
            }
        });
        // The ramp takes the smoothing time (20 ms); then the whole pipeline has flushed
        // after one more latency (5 ms).
        let settled = change + 960 + 240;
        let after: PortAudio = out[0].iter().map(|c| c[settled..].to_vec()).collect();
        let before: PortAudio = out[0].iter().map(|c| c[..change].to_vec()).collect();
        assert!(ebur128_true_peak_db(&after, fs) <= -6.0);
        assert!(ebur128_true_peak_db(&before, fs) <= -1.0);
    }

    #[test]
    fn node_contract() {
        testkit::check_node_contract(Limiter, &[num("input_gain", 6.0), num("ceiling", -1.0)]);
    }
}
