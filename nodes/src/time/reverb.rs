//! `reverb`: an algorithmic stereo reverb. A predelay, a short all-pass diffuser per channel,
//! then a 16-line feedback delay network whose loss filters give an exact 60 dB decay time
//! (`decay`) at low frequencies and a shorter one at high frequencies (`damping`). Left and
//! right enter and leave the network through different orthogonal sign patterns, so the two
//! outputs are decorrelated.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, Params,
    PortSpec, ProcessContext, Processor, Smoothed, Unit,
};

use super::crossfade_time::CrossfadeTime;
use super::delay_line::DelayLine;
use super::diffuser::{Diffuser, Stages};
use super::fdn::{Fdn, LINES, Tuning, hadamard_sign};

/// The `reverb` node type.
pub struct Reverb;

const DECAY: usize = 0;
const PREDELAY: usize = 1;
const DAMPING: usize = 2;
const SIZE: usize = 3;
const MIX: usize = 4;

/// The longest predelay, in milliseconds (the top of the parameter range).
const MAX_PREDELAY_MS: f64 = 500.0;
/// Shortest crossfade for a predelay change and shortest ramp for a size change.
const MIN_RAMP_MS: f64 = 20.0;
/// Line lengths at size 0, as a share of those at size 100.
const SMALLEST_SCALE: f64 = 0.3;
/// Wet level: with this, broadband noise through a 2 s reverb keeps about its level.
const WET_GAIN: f64 = 0.5;

/// Diffuser stages (milliseconds, all-pass coefficient) for the left and right inputs.
const DIFFUSION: [Stages; 2] = [
    [(4.77, 0.7), (3.59, 0.7), (12.73, 0.6), (9.30, 0.6)],
    [(5.11, 0.7), (3.87, 0.7), (13.31, 0.6), (8.89, 0.6)],
];
/// Hadamard rows whose sign patterns feed the left and right inputs into the lines, and rows
/// whose patterns tap the left and right outputs.
const INPUT_ROWS: [usize; 2] = [1, 2];
const OUTPUT_ROWS: [usize; 2] = [5, 10];

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "reverb",
    doc: "Algorithmic stereo reverb (16-line feedback delay network) with decay time, predelay, damping and size",
    category: Category::Time,
    source: "nodes/src/time/reverb.rs",
    inputs: &[PortSpec::input("in", Channels::Exact(2))],
    outputs: &[PortSpec::output("out", Channels::Exact(2))],
    params: &[
        ParamSpec::number(
            "decay",
            "Time for the reverb to fall by 60 dB (RT60) at low frequencies",
            Unit::Seconds,
            0.1,
            20.0,
            2.0,
            50.0,
        ),
        ParamSpec::number(
            "predelay",
            "Gap before the reverb starts",
            Unit::Ms,
            0.0,
            MAX_PREDELAY_MS,
            20.0,
            50.0,
        ),
        ParamSpec::number(
            "damping",
            "How much sooner high frequencies die away: the decay at the top of the spectrum is (100 - damping)% of `decay`",
            Unit::Percent,
            0.0,
            90.0,
            50.0,
            50.0,
        ),
        ParamSpec::number(
            "size",
            "Room size: spacing of the reflections (line lengths from 30% to 100%)",
            Unit::Percent,
            0.0,
            100.0,
            60.0,
            100.0,
        ),
        ParamSpec::number(
            "mix",
            "Wet share of the output (0 dry only, 100 reverb only)",
            Unit::Percent,
            0.0,
            100.0,
            30.0,
            20.0,
        ),
    ],
};

impl NodeType for Reverb {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let sample_rate = config.sample_rate;
        if !(sample_rate.is_finite() && sample_rate > 0.0) {
            return Err(ActivateError::Invalid(format!(
                "reverb: invalid sample rate {sample_rate}"
            )));
        }
        let initial = Settings::from_params(config.params);
        let min_ramp = config.ms_to_frames(MIN_RAMP_MS);
        let max_predelay = config.ms_to_frames(MAX_PREDELAY_MS);
        Ok(Box::new(ReverbProcessor {
            sample_rate,
            initial,
            settings: initial,
            max_predelay,
            predelay: CrossfadeTime::new(
                initial.predelay_frames(sample_rate, max_predelay),
                min_ramp,
            ),
            predelay_lines: [DelayLine::new(max_predelay), DelayLine::new(max_predelay)],
            diffusers: [
                Diffuser::new(&DIFFUSION[0], sample_rate),
                Diffuser::new(&DIFFUSION[1], sample_rate),
            ],
            fdn: Fdn::new(sample_rate, &initial.tuning(), min_ramp),
            mix: Smoothed::new(initial.mix),
        }))
    }
}

/// The parameter values.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Settings {
    decay: f64,
    predelay_ms: f64,
    damping: f64,
    size: f64,
    /// Wet share, 0..1.
    mix: f64,
}

impl Settings {
    fn from_params(params: &Params) -> Settings {
        Settings {
            decay: params.number_at(DECAY),
            predelay_ms: params.number_at(PREDELAY),
            damping: params.number_at(DAMPING),
            size: params.number_at(SIZE),
            mix: params.number_at(MIX) / 100.0,
        }
    }

    fn tuning(&self) -> Tuning {
        Tuning {
            scale: SMALLEST_SCALE + (1.0 - SMALLEST_SCALE) * (self.size / 100.0).clamp(0.0, 1.0),
            decay: self.decay.max(0.01),
            nyquist_ratio: (1.0 - self.damping / 100.0).clamp(0.05, 1.0),
        }
    }

    fn predelay_frames(&self, sample_rate: f64, max: usize) -> usize {
        let frames = (self.predelay_ms * 0.001 * sample_rate).round();
        if frames.is_finite() {
            (frames.max(0.0) as usize).min(max)
        } else {
            0
        }
    }
}

struct ReverbProcessor {
    sample_rate: f64,
    initial: Settings,
    settings: Settings,
    max_predelay: usize,
    predelay: CrossfadeTime,
    predelay_lines: [DelayLine; 2],
    diffusers: [Diffuser; 2],
    fdn: Fdn,
    mix: Smoothed,
}

impl ReverbProcessor {
    /// Runs one stereo frame; returns the wet left and right.
    #[inline]
    fn wet_frame(&mut self, left: f32, right: f32) -> (f64, f64) {
        let tap = self.predelay.next();
        let mut fed = [0.0; 2];
        for (((x, line), diffuser), f) in [left, right]
            .into_iter()
            .zip(self.predelay_lines.iter_mut())
            .zip(self.diffusers.iter_mut())
            .zip(fed.iter_mut())
        {
            let delayed = tap.read_or_current(line, x);
            line.write(x);
            *f = diffuser.process(delayed);
        }
        let mut inputs = [0.0; LINES];
        for (i, v) in inputs.iter_mut().enumerate() {
            *v = (fed[0] * hadamard_sign(INPUT_ROWS[0], i)
                + fed[1] * hadamard_sign(INPUT_ROWS[1], i))
                * 0.25;
        }
        let outputs = self.fdn.process(&inputs);
        let tap_out = |row: usize| {
            outputs
                .iter()
                .enumerate()
                .map(|(i, y)| y * hadamard_sign(row, i))
                .sum::<f64>()
                * WET_GAIN
        };
        (tap_out(OUTPUT_ROWS[0]), tap_out(OUTPUT_ROWS[1]))
    }
}

impl Processor for ReverbProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let left_in = ctx.inputs.channel(0, 0);
        let right_in = ctx.inputs.channel(0, 1);
        let mut port = ctx.outputs.port(0);
        let Some((left_out, right_out)) = port.pair(0, 1) else {
            for channel in port.iter_mut() {
                channel.fill(0.0);
            }
            return;
        };
        for (((l, r), lo), ro) in left_in
            .iter()
            .zip(right_in)
            .zip(left_out.iter_mut())
            .zip(right_out.iter_mut())
        {
            let (wl, wr) = self.wet_frame(*l, *r);
            let mix = self.mix.next();
            *lo = (f64::from(*l) * (1.0 - mix) + wl * mix) as f32;
            *ro = (f64::from(*r) * (1.0 - mix) + wr * mix) as f32;
        }
    }

    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        match index {
            DECAY => self.settings.decay = value,
            PREDELAY => {
                self.settings.predelay_ms = value;
                self.predelay.set(
                    self.settings
                        .predelay_frames(self.sample_rate, self.max_predelay),
                    ramp_frames,
                );
            }
            DAMPING => self.settings.damping = value,
            SIZE => self.settings.size = value,
            MIX => self.mix.set(value / 100.0, ramp_frames),
            _ => {}
        }
        if matches!(index, DECAY | DAMPING | SIZE) {
            self.fdn.retune(&self.settings.tuning(), ramp_frames);
        }
    }

    fn reset(&mut self) {
        self.settings = self.initial;
        self.predelay.reset(
            self.initial
                .predelay_frames(self.sample_rate, self.max_predelay),
        );
        for line in self.predelay_lines.iter_mut() {
            line.clear();
        }
        for diffuser in self.diffusers.iter_mut() {
            diffuser.clear();
        }
        self.fdn.reset(&self.initial.tuning());
        self.mix.reset(self.initial.mix);
    }

    fn tail(&self) -> usize {
        let seconds = self.settings.predelay_ms * 0.001 + self.settings.decay * 1.5;
        (seconds * self.sample_rate).ceil() as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, num};

    /// The wet impulse response of the reverb, `seconds` long, both channels.
    fn impulse_response(
        params: &[(String, mixgraph_engine::ParamValue)],
        sr: f64,
        seconds: f64,
    ) -> Vec<Vec<f32>> {
        let len = (seconds * sr) as usize;
        let mut x = vec![0.0f32; len];
        x[0] = 1.0;
        testkit::render(Reverb, params, &[vec![x.clone(), x]], sr, 4096).remove(0)
    }

    /// RT60 by Schroeder backward integration: the energy decay curve in dB, a least-squares
    /// line through its -5 to -35 dB part (T30), extrapolated to 60 dB.
    fn rt60(h: &[f64], sr: f64) -> f64 {
        let mut edc = vec![0.0; h.len()];
        let mut acc = 0.0;
        for n in (0..h.len()).rev() {
            acc += h[n] * h[n];
            edc[n] = acc;
        }
        let total = edc[0];
        let points: Vec<(f64, f64)> = edc
            .iter()
            .enumerate()
            .map(|(n, e)| (n as f64 / sr, 10.0 * (e / total).log10()))
            .filter(|(_, db)| (-35.0..=-5.0).contains(db))
            .collect();
        let k = points.len() as f64;
        let (mt, md) = (
            points.iter().map(|p| p.0).sum::<f64>() / k,
            points.iter().map(|p| p.1).sum::<f64>() / k,
        );
        let slope = points.iter().map(|(t, d)| (t - mt) * (d - md)).sum::<f64>()
            / points.iter().map(|(t, _)| (t - mt).powi(2)).sum::<f64>();
        -60.0 / slope
    }

    fn as_f64(x: &[f32]) -> Vec<f64> {
        x.iter().map(|v| f64::from(*v)).collect()
    }

    #[test]
    fn the_measured_rt60_is_the_decay_parameter() {
        for (sr, decay, size) in [
            (48_000.0, 0.8, 60.0),
            (44_100.0, 2.5, 100.0),
            (48_000.0, 1.5, 0.0),
        ] {
            let params = [
                num("decay", decay),
                num("predelay", 0.0),
                num("damping", 0.0),
                num("size", size),
                num("mix", 100.0),
            ];
            let h = impulse_response(&params, sr, decay * 1.6);
            for (ch, channel) in h.iter().enumerate() {
                let t = rt60(&as_f64(channel), sr);
                assert!(
                    (t / decay - 1.0).abs() < 0.1,
                    "{sr} Hz, decay {decay}, size {size}, channel {ch}: RT60 {t:.3} s"
                );
            }
        }
    }

    /// A band around 0 Hz (`shift` false) or around Nyquist (`shift` true): the signal, optionally
    /// modulated by (-1)^n, through a 32-frame moving average.
    fn band(h: &[f32], shift: bool) -> Vec<f64> {
        let x: Vec<f64> = h
            .iter()
            .enumerate()
            .map(|(n, v)| {
                if shift && n % 2 == 1 {
                    -f64::from(*v)
                } else {
                    f64::from(*v)
                }
            })
            .collect();
        x.windows(32)
            .map(|w| w.iter().sum::<f64>() / 32.0)
            .collect()
    }

    #[test]
    fn damping_shortens_the_decay_at_nyquist_by_the_set_share() {
        let (sr, decay, damping) = (48_000.0, 2.0, 50.0);
        let params = [
            num("decay", decay),
            num("predelay", 0.0),
            num("damping", damping),
            num("mix", 100.0),
        ];
        let h = impulse_response(&params, sr, 3.2);
        let low = rt60(&band(&h[0], false), sr);
        let high = rt60(&band(&h[0], true), sr);
        assert!((low / decay - 1.0).abs() < 0.1, "low band RT60 {low:.3}");
        assert!(
            (high / (decay * 0.5) - 1.0).abs() < 0.15,
            "Nyquist band RT60 {high:.3}"
        );
    }

    #[test]
    fn predelay_shifts_the_reverb_by_exactly_its_length_and_outputs_are_decorrelated() {
        let sr = 48_000.0;
        let h0 = impulse_response(
            &[num("decay", 1.0), num("predelay", 0.0), num("mix", 100.0)],
            sr,
            1.0,
        );
        let h50 = impulse_response(
            &[num("decay", 1.0), num("predelay", 50.0), num("mix", 100.0)],
            sr,
            1.0,
        );
        for ch in 0..2 {
            assert!(h50[ch][..2400].iter().all(|v| *v == 0.0));
            assert_eq!(&h50[ch][2400..], &h0[ch][..48_000 - 2400]);
        }
        let (l, r) = (as_f64(&h0[0]), as_f64(&h0[1]));
        let dot: f64 = l.iter().zip(&r).map(|(a, b)| a * b).sum();
        let norm =
            (l.iter().map(|a| a * a).sum::<f64>() * r.iter().map(|b| b * b).sum::<f64>()).sqrt();
        assert!((dot / norm).abs() < 0.2, "correlation {}", dot / norm);
    }

    #[test]
    fn mix_zero_is_the_dry_signal() {
        let x = testkit::noise(1, 2, 3000);
        let out = testkit::render(
            Reverb,
            &[num("mix", 0.0)],
            std::slice::from_ref(&x),
            48_000.0,
            512,
        );
        assert_eq!(out[0], x);
    }

    #[test]
    fn tail_is_predelay_plus_one_and_a_half_decays() {
        let params = Params::resolve(
            DESCRIPTOR.params,
            &[num("decay", 3.0), num("predelay", 100.0)],
        )
        .unwrap();
        let config = NodeConfig {
            sample_rate: 48_000.0,
            max_block: 64,
            params: &params,
            input_channels: &[2],
            output_channels: &[2],
            base_dir: None,
        };
        assert_eq!(Reverb.activate(&config).unwrap().tail(), 4800 + 216_000);
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(
            Reverb,
            &[num("decay", 5.0), num("predelay", 3.0), num("size", 20.0)],
        );
    }
}
