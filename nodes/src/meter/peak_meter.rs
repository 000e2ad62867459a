//! `peak_meter`: sample peak and RMS level of each channel over the whole render, in dBFS
//! (a full-scale sine reads 0 dB peak and -3.01 dB RMS). Audio passes through unchanged.

use mixgraph_engine::{
    ActivateError, Category, NodeConfig, NodeDescriptor, NodeType, ProcessContext, Processor,
    Reading, ReadingValue, Unit, gain_to_db,
};

use super::channel_names::{ChannelNames, per_channel};
use super::pass_through::{INPUTS, OUTPUTS, pass_through};

/// The `peak_meter` node type.
pub struct PeakMeter;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "peak_meter",
    doc: "Meter: sample peak and RMS per channel over the render, in dBFS (audio passes unchanged)",
    category: Category::Meter,
    source: "nodes/src/meter/peak_meter.rs",
    inputs: INPUTS,
    outputs: OUTPUTS,
    params: &[],
};

const PEAK_NAMES: ChannelNames = per_channel!("sample_peak");
const RMS_NAMES: ChannelNames = per_channel!("rms");

impl NodeType for PeakMeter {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let channels = config.input_channels.first().copied().unwrap_or(0);
        Ok(Box::new(PeakProcessor {
            channels: vec![ChannelLevel::default(); channels].into_boxed_slice(),
            frames: 0,
        }))
    }
}

/// What one channel has seen so far.
#[derive(Debug, Clone, Copy, Default)]
struct ChannelLevel {
    peak: f64,
    sum_of_squares: f64,
}

struct PeakProcessor {
    channels: Box<[ChannelLevel]>,
    frames: u64,
}

impl Processor for PeakProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        for (ch, level) in self.channels.iter_mut().enumerate() {
            for &x in ctx.inputs.channel(0, ch) {
                let x = f64::from(x);
                if x.is_finite() {
                    level.peak = level.peak.max(x.abs());
                    level.sum_of_squares += x * x;
                }
            }
        }
        self.frames += ctx.frames() as u64;
        pass_through(ctx);
    }

    fn reset(&mut self) {
        self.channels.fill(ChannelLevel::default());
        self.frames = 0;
    }

    fn readings(&self) -> Vec<Reading> {
        if self.frames == 0 || self.channels.is_empty() {
            return Vec::new();
        }
        let n = self.frames as f64;
        let scalar = |name, value| Reading {
            name,
            value: ReadingValue::Scalar(value),
            unit: Unit::Db,
        };
        let peak = self.channels.iter().map(|c| c.peak).fold(0.0, f64::max);
        let mean_square = self
            .channels
            .iter()
            .map(|c| c.sum_of_squares / n)
            .sum::<f64>()
            / self.channels.len() as f64;
        let mut readings = vec![
            scalar("sample_peak", gain_to_db(peak)),
            scalar("rms", gain_to_db(mean_square.sqrt())),
        ];
        for ((level, peak_name), rms_name) in self.channels.iter().zip(PEAK_NAMES).zip(RMS_NAMES) {
            readings.push(scalar(peak_name, gain_to_db(level.peak)));
            readings.push(scalar(
                rms_name,
                gain_to_db((level.sum_of_squares / n).sqrt()),
            ));
        }
        readings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::measure::{measure, scalar};
    use crate::testkit;

    #[test]
    fn a_sine_reads_its_amplitude_as_peak_and_amplitude_over_root_two_as_rms() {
        for amplitude in [1.0, 0.5, 0.01] {
            // 1 kHz at 48 kHz: a whole number of periods, samples hit the crest.
            let x = testkit::sine(1000.0, 48_000.0, amplitude, 2, 48_000);
            let (out, readings) = measure(PeakMeter, &[], &x, 48_000.0, 1000);
            assert_eq!(out, x, "audio passes unchanged");
            let peak_db = 20.0 * amplitude.log10();
            let rms_db = 20.0 * (amplitude / 2f64.sqrt()).log10();
            for name in ["sample_peak", "sample_peak_ch1", "sample_peak_ch2"] {
                assert!((scalar(&readings, name) - peak_db).abs() < 1e-6, "{name}");
            }
            for name in ["rms", "rms_ch1", "rms_ch2"] {
                assert!(
                    (scalar(&readings, name) - rms_db).abs() < 1e-4,
                    "{name}: {}",
                    scalar(&readings, name)
                );
            }
        }
    }

    #[test]
    fn each_channel_is_measured_on_its_own() {
        let x = vec![vec![0.25f32; 100], vec![-0.5f32; 100], vec![0.0f32; 100]];
        let (_, readings) = measure(PeakMeter, &[], &x, 48_000.0, 64);
        assert!((scalar(&readings, "sample_peak_ch1") - 20.0 * 0.25f64.log10()).abs() < 1e-9);
        assert!((scalar(&readings, "rms_ch2") - 20.0 * 0.5f64.log10()).abs() < 1e-9);
        assert_eq!(scalar(&readings, "sample_peak_ch3"), f64::NEG_INFINITY);
        assert!((scalar(&readings, "sample_peak") - 20.0 * 0.5f64.log10()).abs() < 1e-9);
        let mean_square = (0.25f64.powi(2) + 0.25 + 0.0) / 3.0;
        assert!((scalar(&readings, "rms") - 10.0 * mean_square.log10()).abs() < 1e-9);
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(PeakMeter, &[]);
        testkit::check_node_contract_with_channels(PeakMeter, &[], &[1]);
        testkit::check_node_contract_with_channels(PeakMeter, &[], &[6]);
    }
}
