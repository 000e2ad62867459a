//! `expander`: a downward expander and gate. Below the threshold the level falls `ratio`
//! dB per dB, by at most `range` dB; a large ratio makes it a gate.
//!
//! The level is the held peak ([`PEAK_HOLD_MS`]) of the loudest channel, and one gain
//! serves every channel (the gate opens for any of them). Once the level falls, the gain
//! stays open for `hold` ms, then closes with the `release` time constant; it opens with
//! the `attack` time constant. Each time constant is the time for the gain in dB to cover
//! `1 - 1/e` of a step.
//!
//! [`PEAK_HOLD_MS`]: crate::dsp::envelope::PEAK_HOLD_MS

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, PortSpec,
    ProcessContext, Processor, Reading, ReadingValue, Smoothed, Unit,
};

use super::compressor_core::TimeConstant;
use super::gain_computer::expander_reduction;
use crate::dsp::envelope::{
    Ballistics, KeySample, LEVEL_FLOOR, PEAK_HOLD_MS, SlidingMax, WindowMax, larger, largest,
    same_all_along,
};
use crate::dsp::fast_db::{amplitude_to_db, db_to_amplitude};

/// The `expander` node type.
pub struct Expander;

const THRESHOLD: usize = 0;
const RATIO: usize = 1;
const RANGE: usize = 2;
const ATTACK: usize = 3;
const HOLD: usize = 4;
const RELEASE: usize = 5;

/// The longest hold, in ms (the range of `hold`).
const MAX_HOLD_MS: f64 = 500.0;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "expander",
    doc: "Downward expander / gate: below the threshold the level drops by `ratio`, at most `range` dB",
    category: Category::Dynamics,
    source: "nodes/src/dynamics/expander.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[
        ParamSpec::number(
            "threshold",
            "Peak level below which the gain is reduced",
            Unit::Db,
            -90.0,
            0.0,
            -50.0,
            20.0,
        ),
        ParamSpec::number(
            "ratio",
            "Output dB per input dB below the threshold (large: a gate)",
            Unit::Ratio,
            1.0,
            100.0,
            2.0,
            20.0,
        ),
        ParamSpec::number(
            "range",
            "Largest reduction",
            Unit::Db,
            0.0,
            100.0,
            40.0,
            20.0,
        ),
        ParamSpec::number(
            "attack",
            "Time for the gain to cover 1-1/e of an opening step",
            Unit::Ms,
            0.05,
            500.0,
            1.0,
            20.0,
        ),
        ParamSpec::number(
            "hold",
            "Time the gain stays open after the level falls",
            Unit::Ms,
            0.0,
            MAX_HOLD_MS,
            10.0,
            20.0,
        ),
        ParamSpec::number(
            "release",
            "Time for the gain to cover 1-1/e of a closing step (after the hold)",
            Unit::Ms,
            5.0,
            5000.0,
            100.0,
            20.0,
        ),
    ],
};

impl NodeType for Expander {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let p = config.params;
        let channels = config.input_channels.first().copied().unwrap_or(0).max(1);
        let sr = config.sample_rate;
        let initial: [f64; 6] = [
            p.number("threshold"),
            p.number("ratio"),
            p.number("range"),
            p.number("attack"),
            p.number("hold"),
            p.number("release"),
        ];
        let max_hold = config.ms_to_frames(MAX_HOLD_MS) + 1;
        let max_block = config.max_block.max(1);
        let peak_hold = ((PEAK_HOLD_MS * 0.001 * sr).round() as usize).max(1);
        Ok(Box::new(ExpanderProcessor {
            sample_rate: sr,
            initial,
            threshold: Smoothed::new(initial[THRESHOLD]),
            ratio: Smoothed::new(initial[RATIO]),
            range: Smoothed::new(initial[RANGE]),
            attack: TimeConstant::new(initial[ATTACK], sr),
            hold_ms: Smoothed::new(initial[HOLD]),
            release: TimeConstant::new(initial[RELEASE], sr),
            peak_hold: WindowMax::new(peak_hold),
            channels,
            hold: SlidingMax::new(hold_frames(initial[HOLD], sr), max_hold),
            ballistics: Ballistics::new(),
            max_reduction: 0.0,
            open: None,
            levels: vec![0.0; max_block],
            held: vec![0.0; max_block],
            reductions: vec![0.0; max_block],
        }))
    }
}

/// The window of the hold: the current frame plus `ms` worth of frames.
fn hold_frames(ms: f64, sample_rate: f64) -> usize {
    (ms * 0.001 * sample_rate).round().max(0.0) as usize + 1
}

/// How far above the threshold (dB) every level of a run must be for the curve to be
/// skipped: far more than the error of [`crate::dsp::fast_db`], so the shortcut gives
/// exactly the curve's 0.
const OPEN_MARGIN_DB: f64 = 1e-3;

/// The parameters of a run of frames (one frame while something ramps).
#[derive(Debug, Clone, Copy)]
struct RunSettings {
    threshold: f64,
    ratio: f64,
    range: f64,
    attack: f64,
    release: f64,
}

struct ExpanderProcessor {
    sample_rate: f64,
    initial: [f64; 6],
    threshold: Smoothed,
    ratio: Smoothed,
    range: Smoothed,
    attack: TimeConstant,
    hold_ms: Smoothed,
    release: TimeConstant,
    /// The peak detector, on the loudest channel's magnitude.
    peak_hold: WindowMax,
    channels: usize,
    /// The largest *negated* reduction over the hold: the most open recent state.
    hold: SlidingMax,
    ballistics: Ballistics,
    max_reduction: f64,
    /// `(threshold, level)`: at and above this linear level the curve reduces nothing.
    open: Option<(f64, f32)>,
    /// A block of levels, then of gains.
    levels: Vec<f32>,
    /// A block of held targets.
    held: Vec<f64>,
    /// A block of reductions in dB.
    reductions: Vec<f64>,
}

impl ExpanderProcessor {
    fn is_settled(&self) -> bool {
        self.threshold.is_settled()
            && self.ratio.is_settled()
            && self.range.is_settled()
            && self.hold_ms.is_settled()
            && self.attack.is_settled()
            && self.release.is_settled()
    }

    /// The settings of a run with nothing ramping.
    fn settings_now(&mut self) -> RunSettings {
        let threshold = self.threshold.value();
        if self.open.is_none_or(|(t, _)| t != threshold) {
            let level = 10f64.powf((threshold + OPEN_MARGIN_DB) / 20.0) as f32;
            self.open = Some((threshold, level));
        }
        RunSettings {
            threshold,
            ratio: self.ratio.value(),
            range: self.range.value(),
            attack: self.attack.coefficient(),
            release: self.release.coefficient(),
        }
    }

    /// Advances every parameter one frame and returns that frame's settings.
    fn next_frame_settings(&mut self) -> RunSettings {
        self.open = None;
        let settings = RunSettings {
            threshold: self.threshold.next(),
            ratio: self.ratio.next(),
            range: self.range.next(),
            attack: self.attack.next_coefficient(),
            release: self.release.next_coefficient(),
        };
        if !self.hold_ms.is_settled() {
            self.hold
                .set_window(hold_frames(self.hold_ms.next(), self.sample_rate));
        }
        settings
    }

    /// Turns the levels of frames `start..end` into gains, with fixed settings.
    fn run(&mut self, start: usize, end: usize, s: &RunSettings) {
        let (Some(levels), Some(held), Some(reductions)) = (
            self.levels.get_mut(start..end),
            self.held.get_mut(start..end),
            self.reductions.get_mut(start..end),
        ) else {
            return;
        };
        let open = self.open.map(|(_, level)| level);
        if open.is_some_and(|o| levels.iter().all(|&l| l >= o)) {
            // Every level above the threshold: nothing to reduce, nothing held.
            held.fill(0.0);
            self.hold.push_run(0.0, held.len());
        } else {
            let target = |l: f32| {
                let level = f64::from(amplitude_to_db(larger(l, LEVEL_FLOOR as f32)));
                expander_reduction(level, s.threshold, s.ratio, s.range)
            };
            match same_all_along(levels) {
                // One level all run long (silence, say): one target.
                Some(l) => held.fill(target(l)),
                None => {
                    for (h, &l) in held.iter_mut().zip(levels.iter()) {
                        *h = target(l);
                    }
                }
            }
            match same_all_along(held) {
                // One target all run long, and nothing smaller in the hold: the hold
                // passes it unchanged.
                Some(t) if self.hold.current_max().is_none_or(|m| m <= 0.0 - t) => {
                    self.hold.push_run(0.0 - t, held.len());
                    held.fill(0.0 - (0.0 - t));
                }
                _ => {
                    for h in held.iter_mut() {
                        *h = 0.0 - self.hold.push(0.0 - *h);
                    }
                }
            }
        }
        // Closing (reduction growing) follows the release, opening the attack.
        self.ballistics.run(held, reductions, s.release, s.attack);
        let most = largest(reductions);
        self.max_reduction = larger(self.max_reduction, most);
        if most == 0.0 {
            levels.fill(1.0);
        } else if let Some(r) = same_all_along(reductions) {
            levels.fill(db_to_amplitude((-r) as f32));
        } else {
            for (g, &r) in levels.iter_mut().zip(reductions.iter()) {
                *g = db_to_amplitude((-r) as f32);
            }
        }
    }

    /// Frames `offset..offset + n` (at most the scratch buffers' length).
    fn process_block(&mut self, ctx: &mut ProcessContext<'_>, offset: usize, n: usize) {
        let input = |ch: usize| {
            ctx.inputs
                .channel(0, ch)
                .get(offset..offset + n)
                .unwrap_or(&[])
        };
        // The held peak of the loudest channel's magnitude (the loudest held peak).
        let Some(levels) = self.levels.get_mut(..n) else {
            return;
        };
        levels.fill(0.0);
        for ch in 0..self.channels {
            for (l, &x) in levels.iter_mut().zip(input(ch)) {
                *l = larger(*l, x.magnitude());
            }
        }
        self.peak_hold.process(levels);
        let mut start = 0;
        while start < n {
            let (settings, end) = if self.is_settled() {
                (self.settings_now(), n)
            } else {
                (self.next_frame_settings(), start + 1)
            };
            self.run(start, end, &settings);
            start = end;
        }
        for ch in 0..self.channels {
            let x = input(ch);
            if let Some(out) = ctx.outputs.channel(0, ch).get_mut(offset..offset + n) {
                for ((o, &x), &g) in out.iter_mut().zip(x).zip(&self.levels) {
                    *o = x * g;
                }
            }
        }
    }
}

impl Processor for ExpanderProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let frames = ctx.frames();
        let block = self.levels.len();
        let mut offset = 0;
        while offset < frames {
            let n = block.min(frames - offset);
            self.process_block(ctx, offset, n);
            offset += n;
        }
    }

    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        match index {
            THRESHOLD => self.threshold.set(value, ramp_frames),
            RATIO => self.ratio.set(value, ramp_frames),
            RANGE => self.range.set(value, ramp_frames),
            ATTACK => self.attack.set(value, ramp_frames),
            HOLD => {
                self.hold_ms.set(value, ramp_frames);
                if ramp_frames == 0 {
                    self.hold.set_window(hold_frames(value, self.sample_rate));
                }
            }
            RELEASE => self.release.set(value, ramp_frames),
            _ => {}
        }
    }

    fn reset(&mut self) {
        let i = self.initial;
        self.threshold.reset(i[THRESHOLD]);
        self.ratio.reset(i[RATIO]);
        self.range.reset(i[RANGE]);
        self.attack.reset(i[ATTACK]);
        self.hold_ms.reset(i[HOLD]);
        self.hold.set_window(hold_frames(i[HOLD], self.sample_rate));
        self.release.reset(i[RELEASE]);
        self.peak_hold.reset();
        self.hold.reset();
        self.open = None;
        self.ballistics.reset();
        self.max_reduction = 0.0;
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
    use crate::dynamics::test_support::{
        cosine, gain_db_trajectory, max_gain_step_db, rms_db, tone,
    };
    use crate::testkit::{self, num};

    const FS: f64 = 48_000.0;

    #[test]
    fn static_curve_follows_ratio_and_range() {
        let (t, r, range) = (-40.0, 3.0, 30.0);
        let params = [
            num("threshold", t),
            num("ratio", r),
            num("range", range),
            num("attack", 0.1),
            num("release", 5.0),
            num("hold", 0.0),
        ];
        for step in 0..=26 {
            let peak_db = -78.0 + 3.0 * step as f64;
            let input = tone(1000.0, FS, peak_db, 1, 9600);
            let out = testkit::render(Expander, &params, std::slice::from_ref(&input), FS, 256);
            let measured = rms_db(&out[0][0][4800..]) - rms_db(&input[0][4800..]);
            // Designed independently: output = t + r (x - t) below the threshold, floored at
            // `range` below the input.
            let want = if peak_db >= t {
                0.0
            } else {
                ((t + r * (peak_db - t)) - peak_db).max(-range)
            };
            assert!(
                (measured - want).abs() < 0.1,
                "at {peak_db} dBFS: {measured:.3} dB, designed {want:.3}"
            );
        }
    }

    #[test]
    fn hold_then_release_then_attack_with_their_time_constants() {
        let (attack_ms, hold_ms, release_ms) = (5.0, 50.0, 80.0);
        let params = [
            num("threshold", -30.0),
            num("ratio", 100.0),
            num("range", 20.0),
            num("attack", attack_ms),
            num("hold", hold_ms),
            num("release", release_ms),
        ];
        let (loud, quiet) = (-10.0, -45.0);
        let drop = 9600;
        let rise = drop + 48_000;
        let mut x = cosine(1000.0, FS, loud, drop);
        x.extend(cosine(1000.0, FS, quiet, rise - drop));
        x.extend(cosine(1000.0, FS, loud, 24_000));
        let out = testkit::render(Expander, &params, &[vec![x.clone()]], FS, 128);
        let reduction = gain_db_trajectory(&x, &out[0][0], 1e-6);
        let at = |n: usize| {
            reduction
                .iter()
                .find(|&&(m, _)| m >= n)
                .map_or(f64::NAN, |&(_, g)| g)
        };
        let peak_hold = (crate::dsp::envelope::PEAK_HOLD_MS * 0.001 * FS) as usize;
        let hold = (hold_ms * 0.001 * FS) as usize;
        // Still open (within the peak hold and the hold).
        assert!(at(drop + peak_hold + hold - 10).abs() < 1e-9);
        let e = 1.0 - (-1.0f64).exp();
        let closing = drop + peak_hold + hold;
        let reach = |from: usize, goal: f64, rising: bool| {
            reduction
                .iter()
                .find(|&&(m, g)| m >= from && if rising { g >= goal } else { g <= goal })
                .map_or(usize::MAX, |&(m, _)| m - from + 1)
        };
        let release = reach(closing, 20.0 * e, true) as f64 / FS * 1000.0;
        assert!(
            (release / release_ms - 1.0).abs() < 0.1,
            "release {release} ms"
        );
        let attack = reach(rise, 20.0 * (1.0 - e), false) as f64 / FS * 1000.0;
        assert!((attack / attack_ms - 1.0).abs() < 0.1, "attack {attack} ms");
    }

    #[test]
    fn stepped_parameters_do_not_click() {
        let input = vec![tone(1000.0, FS, -40.0, 1, 19_200).remove(0)];
        let base = [
            num("threshold", -30.0),
            num("ratio", 2.0),
            num("range", 20.0),
            num("attack", 0.05),
            num("release", 5.0),
        ];
        for (param, value) in [(THRESHOLD, -60.0), (RATIO, 100.0), (RANGE, 100.0)] {
            let g = testkit::graph_for(std::sync::Arc::new(Expander), &base, 1);
            let out =
                testkit::render_graph_with(&g, std::slice::from_ref(&input), FS, 64, |s, pos| {
                    if pos == 9600 {
                        let node = s.node_index("node").unwrap();
                        s.set_param(node, param, value);
                    }
                });
            let step = max_gain_step_db(&input[0], &out[0][0], 1e-4);
            assert!(
                step < 0.1,
                "param {param}: a gain step of {step} dB between samples"
            );
        }
    }

    #[test]
    fn shortcuts_for_steady_levels_and_silence_change_no_sample() {
        // Loud (open), silence (closing to the range and resting there), quiet below the
        // threshold (expanding), each long enough for the gain to settle.
        let mut x = cosine(1000.0, FS, -10.0, 9600);
        x.extend(vec![0.0; 24_000]);
        x.extend(cosine(1000.0, FS, -45.0, 24_000));
        x.extend(vec![0.0; 9600]);
        let params = [
            num("threshold", -30.0),
            num("release", 20.0),
            num("hold", 5.0),
        ];
        let input = [vec![x]];
        let frame_by_frame = testkit::render(Expander, &params, &input, FS, 1);
        for block in [64, 1000, 4096] {
            let out = testkit::render(Expander, &params, &input, FS, block);
            assert_eq!(out, frame_by_frame, "block {block}");
        }
        // The quiet tone settles on the static curve: (2 - 1) (-30 - -45) = 15 dB down.
        let (i, o) = (
            &input[0][0][45_600..57_600],
            &frame_by_frame[0][0][45_600..57_600],
        );
        let gain = rms_db(o) - rms_db(i);
        assert!((gain + 15.0).abs() < 0.1, "{gain} dB");
    }

    #[test]
    fn node_contract() {
        testkit::check_node_contract(Expander, &[num("threshold", -10.0), num("hold", 20.0)]);
    }
}
