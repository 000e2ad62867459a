//! `delay`: a feedback delay with a time in milliseconds or synced to a tempo, a low-pass in
//! the feedback path and a dry/wet mix. Time changes crossfade between two read heads; a
//! settled delay reads whole frames, so with no feedback and a fully wet mix the output is
//! the input delayed by exactly `round(ms * rate / 1000)` frames.
//!
//! The feedback low-pass always runs (at 20 kHz when damping is off), so its memory follows
//! the echoes; turning damping on or off crossfades between the filtered and the unfiltered
//! feedback over the parameter's smoothing time while the cutoff glides, so the echoes
//! never jump.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, Params,
    PortSpec, ProcessContext, Processor, Smoothed, Unit,
};

use super::crossfade_time::{CrossfadeTime, Tap};
use super::delay_line::DelayLine;
use crate::dsp::biquad::{Biquad, Coefficients, FilterShape};

/// The `delay` node type.
pub struct Delay;

/// The damping value that means "no filter in the feedback path".
const DAMPING_OFF_HZ: f64 = 20_000.0;
/// The longest delay the parameter ranges can ask for: 8 beats at 30 BPM.
const MAX_DELAY_SECONDS: f64 = 16.0;
/// The shortest crossfade between read heads, even for a change asked to happen at once.
const MIN_FADE_MS: f64 = 10.0;
/// Level, relative to the first echo, at which the feedback tail is considered over.
const TAIL_FLOOR: f64 = 1e-3;

const MS: usize = 0;
const SYNC: usize = 1;
const BPM: usize = 2;
const BEATS: usize = 3;
const FEEDBACK: usize = 4;
const DAMPING: usize = 5;
const MIX: usize = 6;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "delay",
    doc: "Echo: a delay in ms or synced to a tempo, with feedback, damping and dry/wet mix",
    category: Category::Time,
    source: "nodes/src/time/delay.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[
        ParamSpec::number(
            "ms",
            "Delay time when not synced",
            Unit::Ms,
            1.0,
            10_000.0,
            250.0,
            50.0,
        ),
        ParamSpec::flag(
            "sync",
            "Take the delay time from `bpm` and `beats` instead of `ms`",
            false,
        ),
        ParamSpec::number(
            "bpm",
            "Tempo for a synced delay",
            Unit::Bpm,
            30.0,
            300.0,
            120.0,
            50.0,
        ),
        ParamSpec::number(
            "beats",
            "Synced delay time in beats (quarter notes): 0.5 is an eighth, 0.75 a dotted eighth",
            Unit::Beats,
            0.0625,
            8.0,
            1.0,
            50.0,
        ),
        ParamSpec::number(
            "feedback",
            "Share of each echo fed back into the line",
            Unit::Percent,
            0.0,
            95.0,
            30.0,
            20.0,
        ),
        ParamSpec::number(
            "damping",
            "Low-pass cutoff in the feedback path, each echo darker than the last; 20000 = off",
            Unit::Hz,
            500.0,
            DAMPING_OFF_HZ,
            DAMPING_OFF_HZ,
            20.0,
        ),
        ParamSpec::number(
            "mix",
            "Wet share of the output (0 dry only, 100 echoes only)",
            Unit::Percent,
            0.0,
            100.0,
            50.0,
            20.0,
        ),
    ],
};

impl NodeType for Delay {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let sample_rate = config.sample_rate;
        if !(sample_rate.is_finite() && sample_rate > 0.0) {
            return Err(ActivateError::Invalid(format!(
                "delay: invalid sample rate {sample_rate}"
            )));
        }
        let initial = Settings::from_params(config.params);
        let max_delay = (MAX_DELAY_SECONDS * sample_rate).ceil() as usize;
        let channels = config.input_channels.first().copied().unwrap_or(0);
        let delay = initial.delay_frames(sample_rate, max_delay);
        let mut processor = DelayProcessor {
            sample_rate,
            max_delay,
            initial,
            settings: initial,
            time: CrossfadeTime::new(delay, config.ms_to_frames(MIN_FADE_MS)),
            feedback: Smoothed::new(initial.feedback),
            damping: Smoothed::new(initial.damping_hz),
            filtered: Smoothed::new(filtered_share(initial.damping_hz)),
            mix: Smoothed::new(initial.mix),
            coefficients: damping_filter(initial.damping_hz, sample_rate),
            channels: (0..channels)
                .map(|_| ChannelState {
                    line: DelayLine::new(max_delay),
                    filter: Biquad::new(),
                })
                .collect(),
            frames: vec![FrameParams::settled(delay, &initial); config.max_block.max(1)]
                .into_boxed_slice(),
        };
        processor.reset();
        Ok(Box::new(processor))
    }
}

/// The parameter values that decide the delay time, feedback, damping and mix.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Settings {
    ms: f64,
    sync: bool,
    bpm: f64,
    beats: f64,
    /// Linear feedback gain, 0..0.95.
    feedback: f64,
    damping_hz: f64,
    /// Wet share, 0..1.
    mix: f64,
}

impl Settings {
    fn from_params(params: &Params) -> Settings {
        Settings {
            ms: params.number_at(MS),
            sync: params.number_at(SYNC) != 0.0,
            bpm: params.number_at(BPM),
            beats: params.number_at(BEATS),
            feedback: params.number_at(FEEDBACK) / 100.0,
            damping_hz: params.number_at(DAMPING),
            mix: params.number_at(MIX) / 100.0,
        }
    }

    /// The delay in whole frames: `ms`, or `beats` at `bpm` when synced.
    fn delay_frames(&self, sample_rate: f64, max_delay: usize) -> usize {
        let seconds = if self.sync {
            self.beats * 60.0 / self.bpm.max(1.0)
        } else {
            self.ms * 0.001
        };
        let frames = (seconds * sample_rate).round();
        if frames.is_finite() {
            (frames.max(1.0) as usize).min(max_delay)
        } else {
            1
        }
    }
}

/// The feedback filter for a damping frequency: a Butterworth low-pass (at the top of the
/// range it runs, unheard, to keep its memory in step with the echoes).
fn damping_filter(hz: f64, sample_rate: f64) -> Coefficients {
    Coefficients::rbj(
        FilterShape::LowPass,
        sample_rate,
        hz.min(DAMPING_OFF_HZ),
        std::f64::consts::FRAC_1_SQRT_2,
        0.0,
    )
}

/// The share of the filtered feedback for a damping frequency: none when damping is off.
fn filtered_share(hz: f64) -> f64 {
    if hz >= DAMPING_OFF_HZ { 0.0 } else { 1.0 }
}

/// Frames until the echoes fall 60 dB below the first one, after the first delay.
fn feedback_tail(delay: usize, feedback: f64) -> usize {
    if feedback <= 0.0 {
        return delay;
    }
    let echoes = (TAIL_FLOOR.ln() / feedback.min(0.999).ln()).ceil().max(0.0) as usize;
    delay.saturating_mul(echoes.saturating_add(1))
}

struct ChannelState {
    line: DelayLine,
    filter: Biquad,
}

/// The smoothed parameter values of one frame, shared by every channel.
#[derive(Debug, Clone, Copy)]
struct FrameParams {
    tap: Tap,
    feedback: f64,
    /// The share of the filtered signal in the feedback, 0..1.
    filtered: f64,
    mix: f64,
    coefficients: Coefficients,
}

impl FrameParams {
    fn settled(delay: usize, s: &Settings) -> FrameParams {
        FrameParams {
            tap: Tap::at(delay),
            feedback: s.feedback,
            filtered: filtered_share(s.damping_hz),
            mix: s.mix,
            coefficients: Coefficients::identity(),
        }
    }
}

struct DelayProcessor {
    sample_rate: f64,
    max_delay: usize,
    initial: Settings,
    /// The latest values asked for.
    settings: Settings,
    time: CrossfadeTime,
    feedback: Smoothed,
    damping: Smoothed,
    /// The share of the filtered feedback: ramps with `damping` when it leaves or reaches
    /// off.
    filtered: Smoothed,
    mix: Smoothed,
    coefficients: Coefficients,
    channels: Box<[ChannelState]>,
    /// Per-frame parameters of the current chunk, `max_block` long.
    frames: Box<[FrameParams]>,
}

impl DelayProcessor {
    /// Advances every smoothed value one frame.
    #[inline]
    fn next_frame(&mut self) -> FrameParams {
        if !self.damping.is_settled() {
            self.coefficients = damping_filter(self.damping.next(), self.sample_rate);
        }
        FrameParams {
            tap: self.time.next(),
            feedback: self.feedback.next(),
            filtered: self.filtered.next(),
            mix: self.mix.next(),
            coefficients: self.coefficients,
        }
    }

    fn retime(&mut self, ramp: usize) {
        let delay = self.settings.delay_frames(self.sample_rate, self.max_delay);
        self.time.set(delay, ramp);
    }
}

impl Processor for DelayProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let frames = ctx.frames();
        let chunk_len = self.frames.len();
        let mut start = 0;
        while start < frames {
            let n = chunk_len.min(frames - start);
            for f in 0..n {
                let p = self.next_frame();
                if let Some(slot) = self.frames.get_mut(f) {
                    *slot = p;
                }
            }
            let params = self.frames.get(..n).unwrap_or(&[]);
            for (ch, state) in self.channels.iter_mut().enumerate() {
                let input = ctx
                    .inputs
                    .channel(0, ch)
                    .get(start..start + n)
                    .unwrap_or(&[]);
                let output = ctx.outputs.channel(0, ch);
                let output = output.get_mut(start..start + n).unwrap_or(&mut []);
                for ((o, &x), p) in output.iter_mut().zip(input).zip(params) {
                    let dry = f64::from(x);
                    let wet = p.tap.read(&state.line);
                    let low = state.filter.process(&p.coefficients, wet);
                    let fed_back = ((1.0 - p.filtered) * wet + p.filtered * low) * p.feedback;
                    state.line.write((dry + fed_back) as f32);
                    *o = (dry * (1.0 - p.mix) + wet * p.mix) as f32;
                }
            }
            start += n;
        }
    }

    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        match index {
            MS => self.settings.ms = value,
            SYNC => self.settings.sync = value != 0.0,
            BPM => self.settings.bpm = value,
            BEATS => self.settings.beats = value,
            FEEDBACK => self.feedback.set(value / 100.0, ramp_frames),
            DAMPING => {
                self.damping.set(value, ramp_frames);
                self.filtered.set(filtered_share(value), ramp_frames);
            }
            MIX => self.mix.set(value / 100.0, ramp_frames),
            _ => {}
        }
        if matches!(index, MS | SYNC | BPM | BEATS) {
            self.retime(ramp_frames);
        }
    }

    fn reset(&mut self) {
        self.settings = self.initial;
        let delay = self.initial.delay_frames(self.sample_rate, self.max_delay);
        self.time.reset(delay);
        self.feedback.reset(self.initial.feedback);
        self.damping.reset(self.initial.damping_hz);
        self.filtered.reset(filtered_share(self.initial.damping_hz));
        self.mix.reset(self.initial.mix);
        self.coefficients = damping_filter(self.initial.damping_hz, self.sample_rate);
        for state in self.channels.iter_mut() {
            state.line.clear();
            state.filter.reset();
        }
    }

    fn tail(&self) -> usize {
        feedback_tail(self.time.target(), self.feedback.target())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, flag, num};

    fn impulse(len: usize) -> Vec<Vec<f32>> {
        let mut x = vec![0.0f32; len];
        x[0] = 1.0;
        vec![x]
    }

    fn plain(ms: f64) -> Vec<(String, mixgraph_engine::ParamValue)> {
        vec![num("ms", ms), num("feedback", 0.0), num("mix", 100.0)]
    }

    /// Where the non-zero samples of a signal are.
    fn nonzero(x: &[f32]) -> Vec<(usize, f32)> {
        x.iter()
            .enumerate()
            .filter(|(_, v)| **v != 0.0)
            .map(|(i, v)| (i, *v))
            .collect()
    }

    #[test]
    fn an_impulse_lands_exactly_round_ms_times_rate_frames_later() {
        for sr in [44_100.0, 48_000.0] {
            for ms in [1.0, 10.3, 100.0, 250.0, 333.3, 1000.0] {
                let expected = (ms * sr / 1000.0_f64).round() as usize;
                let out = testkit::render(Delay, &plain(ms), &[impulse(expected + 100)], sr, 64);
                assert_eq!(
                    nonzero(&out[0][0]),
                    vec![(expected, 1.0)],
                    "{ms} ms at {sr} Hz"
                );
            }
        }
    }

    #[test]
    fn the_plain_delay_is_the_input_shifted_sample_for_sample() {
        let x = testkit::noise(3, 2, 5000);
        let d = 441;
        let out = testkit::render(
            Delay,
            &plain(10.0),
            std::slice::from_ref(&x),
            44_100.0,
            1000,
        );
        for ch in 0..2 {
            assert!(out[0][ch][..d].iter().all(|v| *v == 0.0));
            assert_eq!(&out[0][ch][d..], &x[ch][..5000 - d]);
        }
    }

    #[test]
    fn a_synced_delay_is_beats_at_the_tempo() {
        for (sr, bpm, beats) in [
            (48_000.0f64, 120.0f64, 0.5f64),
            (44_100.0, 97.0, 0.75),
            (48_000.0, 140.0, 1.0),
        ] {
            let expected = (beats * 60.0 / bpm * sr).round() as usize;
            let params = [
                flag("sync", true),
                num("bpm", bpm),
                num("beats", beats),
                num("ms", 3.0),
                num("feedback", 0.0),
                num("mix", 100.0),
            ];
            let out = testkit::render(Delay, &params, &[impulse(expected + 10)], sr, 256);
            assert_eq!(
                nonzero(&out[0][0]),
                vec![(expected, 1.0)],
                "{beats} beats at {bpm} BPM"
            );
        }
    }

    #[test]
    fn echoes_fall_by_the_feedback_factor_each_repeat() {
        let (sr, ms, fb) = (48_000.0, 5.0, 0.6);
        let d = 240;
        let params = [
            num("ms", ms),
            num("feedback", fb * 100.0),
            num("mix", 100.0),
        ];
        let out = testkit::render(Delay, &params, &[impulse(d * 8 + 1)], sr, 64);
        let echoes = nonzero(&out[0][0]);
        assert_eq!(echoes.len(), 8);
        for (k, &(at, level)) in echoes.iter().enumerate() {
            assert_eq!(at, d * (k + 1));
            let expected = fb.powi(k as i32);
            assert!(
                (f64::from(level) - expected).abs() < 1e-6,
                "echo {k}: {level} vs {expected}"
            );
        }
    }

    #[test]
    fn mix_blends_dry_and_wet_linearly() {
        let params = [num("ms", 1.0), num("feedback", 0.0), num("mix", 25.0)];
        let out = testkit::render(Delay, &params, &[impulse(100)], 48_000.0, 64);
        assert_eq!(nonzero(&out[0][0]), vec![(0, 0.75), (48, 0.25)]);
    }

    #[test]
    fn damping_darkens_each_echo_by_the_filter_response() {
        // The k-th echo is the impulse through the low-pass k-1 times: its energy at a high
        // frequency falls by the analytic magnitude each repeat.
        let (sr, d, hz) = (48_000.0, 2400usize, 2000.0);
        let params = [
            num("ms", 50.0),
            num("feedback", 90.0),
            num("damping", hz),
            num("mix", 100.0),
        ];
        let out = testkit::render(Delay, &params, &[impulse(d * 3)], sr, 512);
        let echo = |k: usize| &out[0][0][d * k..d * (k + 1)];
        let c = damping_filter(hz, sr);
        for f in [500.0, 4000.0, 10_000.0] {
            let measured = dft_magnitude(echo(2), f, sr) / dft_magnitude(echo(1), f, sr);
            let expected = 0.9 * c.magnitude(f, sr);
            assert!(
                (measured / expected - 1.0).abs() < 0.01,
                "{f} Hz: {measured} vs {expected}"
            );
        }
    }

    fn dft_magnitude(x: &[f32], freq: f64, sr: f64) -> f64 {
        let (mut re, mut im) = (0.0, 0.0);
        for (n, v) in x.iter().enumerate() {
            let w = 2.0 * std::f64::consts::PI * freq * n as f64 / sr;
            re += f64::from(*v) * w.cos();
            im -= f64::from(*v) * w.sin();
        }
        re.hypot(im)
    }

    #[test]
    fn a_time_change_crossfades_without_a_jump_then_reads_exactly() {
        // A steady sine through a delay whose time changes: no output step is larger than the
        // sine's own largest step, and once settled the output is the input shifted by the new
        // time.
        let sr = 48_000.0;
        let x = testkit::sine(440.0, sr, 0.5, 1, 48_000);
        let g = testkit::graph_for(std::sync::Arc::new(Delay), &plain(10.0), 1);
        let mut config = mixgraph_engine::CompileConfig::new(sr, 480);
        config.input_channels.insert("in0".to_string(), 1);
        let mut s = mixgraph_engine::compile(&g, &config).unwrap();
        let node = s.node_index("node").unwrap();
        let mut out = Vec::new();
        for (b, block) in x[0].chunks(480).enumerate() {
            if b == 20 {
                s.set_param(node, MS, 23.7);
            }
            s.input_buffer(0, 0)[..480].copy_from_slice(block);
            s.process(480);
            out.extend_from_slice(s.output_buffer(0, 0));
        }
        let max_input_step = x[0]
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        let max_output_step = out[480..]
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        assert!(
            max_output_step <= max_input_step * 1.05,
            "{max_output_step} vs {max_input_step}"
        );
        let d = (23.7f64 * 48.0).round() as usize;
        let settled = 20 * 480 + 48 * 50 + 10;
        assert_eq!(&out[settled..], &x[0][settled - d..48_000 - d]);
    }

    /// Renders the delay (mono, 48 kHz, blocks of `block`) over `x`, setting `damping` to
    /// `to` through the schedule (ramped over its smoothing time) at frame `at`.
    fn render_damping_change(
        params: &[(String, mixgraph_engine::ParamValue)],
        x: &[f32],
        at: usize,
        to: f64,
        block: usize,
    ) -> Vec<f32> {
        let g = testkit::graph_for(std::sync::Arc::new(Delay), params, 1);
        let out = testkit::render_graph_with(&g, &[vec![x.to_vec()]], 48_000.0, block, |s, pos| {
            if pos == at {
                let node = s.node_index("node").unwrap();
                s.set_param(node, DAMPING, to);
            }
        });
        out[0][0].clone()
    }

    /// The largest sample-to-sample step of a signal.
    fn max_step(x: &[f32]) -> f32 {
        x.windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max)
    }

    #[test]
    fn switching_damping_on_or_off_while_echoes_run_does_not_jump() {
        // A 100 Hz sine into a 10 ms delay with 70 % feedback: after 0.5 s the output is a
        // steady sine. Damping then switches on (from off to 6350 Hz, as in the catalog's
        // click test), and later off again. A 6350 Hz low-pass barely touches 100 Hz, so the
        // output stays a sine of nearly the same size: no sample-to-sample step may exceed
        // the largest step of the steady output by more than 5 %. (Switching the filter in
        // at once from an empty memory, as before the fix, made a step 52 % over it.)
        let sr = 48_000.0;
        let x = testkit::sine(100.0, sr, 0.25, 1, 72_000).remove(0);
        let params = [num("ms", 10.0), num("feedback", 70.0)];
        let (on, off) = (24_000, 48_000);
        let g = testkit::graph_for(std::sync::Arc::new(Delay), &params, 1);
        let out = testkit::render_graph_with(&g, &[vec![x.clone()]], sr, 480, |s, pos| {
            let node = s.node_index("node").unwrap();
            if pos == on {
                s.set_param(node, DAMPING, 6350.0);
            }
            if pos == off {
                s.set_param(node, DAMPING, DAMPING_OFF_HZ);
            }
        })
        .remove(0)
        .remove(0);
        let steady = max_step(&out[on - 4800..on]);
        let changing = max_step(&out[on..off + 9600]);
        assert!(
            changing <= steady * 1.05,
            "a step of {changing} against the steady {steady}"
        );
        // Block size does not matter during the change.
        assert_eq!(
            render_damping_change(&params, &x, on, 6350.0, 480),
            render_damping_change(&params, &x, on, 6350.0, 1)
        );
    }

    #[test]
    fn tail_covers_the_echoes_down_to_minus_60_db() {
        let node = Delay;
        let params = mixgraph_engine::Params::resolve(
            DESCRIPTOR.params,
            &[num("ms", 100.0), num("feedback", 50.0)],
        )
        .unwrap();
        let config = NodeConfig {
            sample_rate: 48_000.0,
            max_block: 64,
            params: &params,
            input_channels: &[1],
            output_channels: &[1],
            base_dir: None,
        };
        let p = node.activate(&config).unwrap();
        // 0.5^10 < 1e-3 <= 0.5^9: ten echoes after the first.
        assert_eq!(p.tail(), 4800 * 11);
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(
            Delay,
            &[
                num("ms", 3.0),
                num("feedback", 70.0),
                num("damping", 3000.0),
            ],
        );
        testkit::check_node_contract(
            Delay,
            &[
                flag("sync", true),
                num("beats", 0.0625),
                num("bpm", 300.0),
                num("feedback", 95.0),
            ],
        );
        testkit::check_node_contract_with_channels(Delay, &[num("feedback", 50.0)], &[1]);
        testkit::check_node_contract_with_channels(Delay, &[num("feedback", 50.0)], &[6]);
    }
}
