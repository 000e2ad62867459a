//! `loudness_meter`: EBU R128 / ITU-R BS.1770 loudness with the `ebur128` crate: maximum
//! momentary (400 ms) and short-term (3 s) loudness, integrated loudness, loudness range,
//! true peak and PLR. Audio passes through unchanged.
//!
//! # Channels
//! 1: mono; 2: L R; 3: L R C; 4: L R Ls Rs; 5: L R C Ls Rs; 6: L R C LFE Ls Rs (the LFE is
//! not counted); surrounds are weighted +1.5 dB as BS.1770 asks. Channels after the sixth are
//! counted with weight 1. At most 64 channels.
//!
//! # No allocation while metering
//! In its exact (non-histogram) mode `ebur128` keeps every 400 ms gating block, and every 3 s
//! block for the loudness range, in queues that start with room for 500 s and grow after.
//! This meter reserves room for [`MAX_HISTORY_HOURS`] up front (`set_max_history`, then
//! `reset`, which empties the queues but keeps their room), so integrated loudness and
//! loudness range are exact and nothing allocates while audio runs. A longer render is
//! integrated over its last [`MAX_HISTORY_HOURS`] hours. (`Mode::HISTOGRAM` would not allocate
//! either, but rounds block energies to 0.1 LU bins: -22.95 instead of -22.99 LUFS on the
//! EBU Tech 3341 case 1 sine.)
//!
//! Momentary and short-term maxima are read after every 100 ms block, the update rate EBU
//! Tech 3341 asks for, so audio is fed to `ebur128` in pieces that end on block boundaries.
//! The crate's `time_and_meter_no_alloc` test runs the meter past the 500 s default under a
//! counting allocator.

use ebur128::{Channel, EbuR128, Mode};
use mixgraph_engine::{
    ActivateError, Category, NodeConfig, NodeDescriptor, NodeType, ProcessContext, Processor,
    Reading, ReadingValue, Unit, gain_to_db,
};

use super::channel_names::{ChannelNames, per_channel};
use super::pass_through::{INPUTS, OUTPUTS, pass_through};

/// The `loudness_meter` node type.
pub struct LoudnessMeter;

/// The most channels `ebur128` measures together.
pub const MAX_CHANNELS: usize = 64;

/// How much programme the gating history holds, in hours.
pub const MAX_HISTORY_HOURS: u32 = 6;

/// The `ebur128` modes this meter runs with.
pub fn mode() -> Mode {
    Mode::M | Mode::S | Mode::I | Mode::LRA | Mode::TRUE_PEAK
}

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "loudness_meter",
    doc: "Meter: EBU R128 loudness (momentary and short-term max, integrated, range), true peak and PLR",
    category: Category::Meter,
    source: "nodes/src/meter/loudness_meter.rs",
    inputs: INPUTS,
    outputs: OUTPUTS,
    params: &[],
};

const TRUE_PEAK_NAMES: ChannelNames = per_channel!("true_peak");

/// The BS.1770 position of each channel for a layout of `channels` channels.
pub fn channel_map(channels: usize) -> Vec<Channel> {
    use Channel::{Center, Left, LeftSurround, Right, RightSurround, Unused};
    let layout: &[Channel] = match channels {
        1 => &[Left],
        2 => &[Left, Right],
        3 => &[Left, Right, Center],
        4 => &[Left, Right, LeftSurround, RightSurround],
        5 => &[Left, Right, Center, LeftSurround, RightSurround],
        _ => &[Left, Right, Center, Unused, LeftSurround, RightSurround],
    };
    (0..channels)
        .map(|c| layout.get(c).copied().unwrap_or(Left))
        .collect()
}

/// A fresh `ebur128` state for `channels` channels at `sample_rate`, in this meter's modes
/// and channel map, with its gating history reserved (about 1.7 MB for six hours).
///
/// # Errors
/// A message when `ebur128` refuses the channel count or rate.
pub fn analyser(channels: usize, sample_rate: f64) -> Result<EbuR128, String> {
    let rate = sample_rate.round();
    if !(1.0..=f64::from(u32::MAX)).contains(&rate) || channels == 0 || channels > MAX_CHANNELS {
        return Err(format!(
            "loudness_meter: cannot measure {channels} channels at {sample_rate} Hz (1 to {MAX_CHANNELS} channels)"
        ));
    }
    let fail = |err: ebur128::Error| format!("loudness_meter: {err}");
    let mut e = EbuR128::new(channels as u32, rate as u32, mode()).map_err(fail)?;
    e.set_channel_map(&channel_map(channels)).map_err(fail)?;
    // Reserve the gating queues for the whole history; `reset` empties them, keeping room.
    e.set_max_history(MAX_HISTORY_HOURS * 3_600_000)
        .map_err(fail)?;
    e.reset();
    Ok(e)
}

impl NodeType for LoudnessMeter {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let channels = config.input_channels.first().copied().unwrap_or(0);
        if channels == 0 {
            return Ok(Box::new(LoudnessProcessor {
                meter: None,
                block: 1,
                to_boundary: 1,
                blocks: 0,
                momentary_max: None,
                short_term_max: None,
                faults: 0,
            }));
        }
        let meter = analyser(channels, config.sample_rate).map_err(ActivateError::Invalid)?;
        // ebur128's 100 ms block, as it computes it.
        let block = ((config.sample_rate.round() as usize) + 5) / 10;
        Ok(Box::new(LoudnessProcessor {
            meter: Some(meter),
            block,
            to_boundary: block,
            blocks: 0,
            momentary_max: None,
            short_term_max: None,
            faults: 0,
        }))
    }
}

struct LoudnessProcessor {
    meter: Option<EbuR128>,
    /// Frames per 100 ms block.
    block: usize,
    /// Frames left until the current block ends.
    to_boundary: usize,
    /// Whole blocks fed so far.
    blocks: u64,
    momentary_max: Option<f64>,
    short_term_max: Option<f64>,
    /// Calls `ebur128` refused (it should not, with planes of equal length).
    faults: u64,
}

impl LoudnessProcessor {
    /// After a whole block: reads momentary loudness once 400 ms are in, short-term once 3 s are.
    fn end_block(&mut self) {
        self.blocks += 1;
        let Some(meter) = &self.meter else { return };
        let max = |slot: &mut Option<f64>, value: Result<f64, ebur128::Error>| {
            if let Ok(v) = value {
                if v.is_finite() {
                    *slot = Some(slot.map_or(v, |m: f64| m.max(v)));
                }
            }
        };
        if self.blocks >= 4 {
            max(&mut self.momentary_max, meter.loudness_momentary());
        }
        if self.blocks >= 30 {
            max(&mut self.short_term_max, meter.loudness_shortterm());
        }
    }
}

impl Processor for LoudnessProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let frames = ctx.frames();
        let channels = ctx.inputs.channels(0).min(MAX_CHANNELS);
        let mut start = 0;
        while start < frames {
            let n = self.to_boundary.min(frames - start);
            if let Some(meter) = self.meter.as_mut() {
                let mut planes: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
                for (ch, plane) in planes.iter_mut().enumerate().take(channels) {
                    *plane = ctx
                        .inputs
                        .channel(0, ch)
                        .get(start..start + n)
                        .unwrap_or(&[]);
                }
                if meter
                    .add_frames_planar_f32(planes.get(..channels).unwrap_or(&[]))
                    .is_err()
                {
                    self.faults += 1;
                }
            }
            start += n;
            self.to_boundary -= n;
            if self.to_boundary == 0 {
                self.to_boundary = self.block;
                self.end_block();
            }
        }
        pass_through(ctx);
    }

    fn reset(&mut self) {
        if let Some(meter) = self.meter.as_mut() {
            meter.reset();
        }
        self.to_boundary = self.block;
        self.blocks = 0;
        self.momentary_max = None;
        self.short_term_max = None;
        self.faults = 0;
    }

    fn readings(&self) -> Vec<Reading> {
        let Some(meter) = &self.meter else {
            return Vec::new();
        };
        let reading = |name, value, unit| Reading {
            name,
            value: ReadingValue::Scalar(value),
            unit,
        };
        let mut readings = Vec::new();
        if let Some(m) = self.momentary_max {
            readings.push(reading("momentary_max", m, Unit::Lufs));
        }
        if let Some(s) = self.short_term_max {
            readings.push(reading("short_term_max", s, Unit::Lufs));
        }
        let integrated = meter.loudness_global().ok().filter(|v| v.is_finite());
        if let Some(i) = integrated {
            readings.push(reading("integrated", i, Unit::Lufs));
        }
        if let Ok(lra) = meter.loudness_range() {
            readings.push(reading("loudness_range", lra, Unit::Db));
        }
        let peaks: Vec<f64> = (0..meter.channels())
            .filter_map(|c| meter.true_peak(c).ok())
            .collect();
        if let Some(peak) = peaks.iter().copied().reduce(f64::max) {
            let db = gain_to_db(peak);
            readings.push(reading("true_peak", db, Unit::Dbtp));
            if let Some(i) = integrated {
                readings.push(reading("plr", db - i, Unit::Db));
            }
        }
        for (peak, name) in peaks.iter().zip(TRUE_PEAK_NAMES) {
            readings.push(reading(name, gain_to_db(*peak), Unit::Dbtp));
        }
        if self.faults > 0 {
            readings.push(reading("analysis_faults", self.faults as f64, Unit::None));
        }
        readings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::measure::{measure, scalar};
    use crate::testkit;

    /// The readings computed directly with `ebur128` on the whole signal, polling momentary
    /// and short-term loudness every 100 ms.
    fn direct(x: &[Vec<f32>], sr: f64) -> (f64, f64, f64, f64, f64) {
        let mut e = EbuR128::new(x.len() as u32, sr as u32, mode()).unwrap();
        e.set_channel_map(&channel_map(x.len())).unwrap();
        let step = (sr as usize + 5) / 10;
        let (mut m, mut s) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for (k, start) in (0..x[0].len()).step_by(step).enumerate() {
            let end = (start + step).min(x[0].len());
            let planes: Vec<&[f32]> = x.iter().map(|c| &c[start..end]).collect();
            e.add_frames_planar_f32(&planes).unwrap();
            if end - start == step && k >= 3 {
                m = m.max(e.loudness_momentary().unwrap());
            }
            if end - start == step && k >= 29 {
                s = s.max(e.loudness_shortterm().unwrap());
            }
        }
        let tp = (0..x.len() as u32)
            .map(|c| e.true_peak(c).unwrap())
            .fold(0.0, f64::max);
        (
            m,
            s,
            e.loudness_global().unwrap(),
            e.loudness_range().unwrap(),
            20.0 * tp.log10(),
        )
    }

    /// A stereo programme with changing level: noise bursts and a sine at three levels.
    fn programme(sr: f64, seconds: f64) -> Vec<Vec<f32>> {
        let len = (sr * seconds) as usize;
        let noise = testkit::noise(11, 2, len);
        let sine = testkit::sine(440.0, sr, 1.0, 2, len);
        (0..2)
            .map(|c| {
                (0..len)
                    .map(|n| {
                        let level = [0.05f32, 0.4, 0.12, 0.8][(n * 4 / len).min(3)];
                        level * (0.5 * noise[c][n] + 0.5 * sine[c][n])
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn readings_equal_a_direct_ebur128_computation() {
        let sr = 48_000.0;
        let x = programme(sr, 12.0);
        let (out, readings) = measure(LoudnessMeter, &[], &x, sr, 1000);
        assert_eq!(out, x);
        let (m, s, i, lra, tp) = direct(&x, sr);
        assert!((scalar(&readings, "momentary_max") - m).abs() < 1e-9);
        assert!((scalar(&readings, "short_term_max") - s).abs() < 1e-9);
        assert!((scalar(&readings, "integrated") - i).abs() < 1e-9);
        assert!((scalar(&readings, "loudness_range") - lra).abs() < 1e-9);
        assert!((scalar(&readings, "true_peak") - tp).abs() < 1e-9);
        assert!((scalar(&readings, "plr") - (tp - i)).abs() < 1e-9);
    }

    #[test]
    fn tech_3341_case_1_reads_minus_23_lufs() {
        // Stereo 1 kHz sine at -23 dBFS peak on both channels, 20 s at 48 kHz.
        let sr = 48_000.0;
        let x = testkit::sine(1000.0, sr, 10f64.powf(-23.0 / 20.0), 2, 20 * 48_000);
        let (_, readings) = measure(LoudnessMeter, &[], &x, sr, 4096);
        for name in ["momentary_max", "short_term_max", "integrated"] {
            assert!(
                (scalar(&readings, name) + 23.0).abs() <= 0.1,
                "{name}: {}",
                scalar(&readings, name)
            );
        }
        assert!(scalar(&readings, "loudness_range") < 0.1);
        assert!((scalar(&readings, "true_peak") + 23.0).abs() < 0.2);
    }

    #[test]
    fn tech_3342_case_1_reads_a_loudness_range_of_10_lu() {
        // 20 s of a 1 kHz sine at -20 dBFS, then 20 s at -30 dBFS, stereo.
        let sr = 48_000.0;
        let len = 20 * 48_000;
        let mut x = testkit::sine(1000.0, sr, 0.1, 2, 2 * len);
        for channel in x.iter_mut() {
            for v in channel[len..].iter_mut() {
                *v *= 10f32.powf(-0.5);
            }
        }
        let (_, readings) = measure(LoudnessMeter, &[], &x, sr, 4096);
        let lra = scalar(&readings, "loudness_range");
        assert!((lra - 10.0).abs() <= 1.0, "LRA {lra}");
    }

    #[test]
    fn a_5_1_programme_weights_surrounds_and_ignores_the_lfe() {
        // Tech 3341 case 6 plus a loud LFE: L, R -28; C -24; Ls, Rs -30 dBFS reads -23 LUFS.
        let sr = 48_000.0;
        let len = 5 * 48_000;
        let at = |db: f64| testkit::sine(1000.0, sr, 10f64.powf(db / 20.0), 1, len).remove(0);
        let lfe = testkit::sine(60.0, sr, 0.9, 1, len).remove(0);
        let x = vec![at(-28.0), at(-28.0), at(-24.0), lfe, at(-30.0), at(-30.0)];
        let (out, readings) = measure(LoudnessMeter, &[], &x, sr, 777);
        assert_eq!(out, x);
        assert!(
            (scalar(&readings, "integrated") + 23.0).abs() <= 0.1,
            "{}",
            scalar(&readings, "integrated")
        );
        assert_eq!(
            readings
                .iter()
                .filter(|r| r.name.starts_with("true_peak_ch"))
                .count(),
            6
        );
    }

    #[test]
    fn too_many_channels_are_refused_at_activation() {
        let params = mixgraph_engine::Params::resolve(DESCRIPTOR.params, &[]).unwrap();
        let config = NodeConfig {
            sample_rate: 48_000.0,
            max_block: 64,
            params: &params,
            input_channels: &[65],
            output_channels: &[65],
            base_dir: None,
        };
        assert!(matches!(
            LoudnessMeter.activate(&config),
            Err(ActivateError::Invalid(_))
        ));
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(LoudnessMeter, &[]);
        testkit::check_node_contract_with_channels(LoudnessMeter, &[], &[1]);
        testkit::check_node_contract_with_channels(LoudnessMeter, &[], &[6]);
    }
}
