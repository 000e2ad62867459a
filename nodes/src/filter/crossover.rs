//! `crossover`: splits the input into 2 to 5 Linkwitz-Riley (LR4, 24 dB/octave) bands whose
//! sum has a flat magnitude response, for multiband processing.
//!
//! Ports are static, so five outputs `band1`..`band5` are always declared (lowest band
//! first); with `bands` = N, outputs N+1..5 carry silence. `freq1`..`freq4` are the split
//! frequencies; only the first `bands - 1` are used, in ascending order whatever order they
//! are given in. Changing `bands` while running clears the filters (a short discontinuity);
//! frequency changes are smoothed.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, PortSpec,
    ProcessContext, Processor, Smoothed, Unit,
};

use super::design::TAIL_DECAY_DB;
use super::params::{INPUTS, SMOOTHING_MS};
use crate::dsp::crossover::{CrossoverCoefficients, CrossoverState};

/// The `crossover` node type.
pub struct Crossover;

/// Most bands.
pub const MAX_BANDS: usize = 5;
/// Most split frequencies.
const MAX_SPLITS: usize = MAX_BANDS - 1;
/// Parameter position of `bands`; `freq1`..`freq4` follow it.
const BANDS: usize = 0;

/// A split frequency parameter.
const fn split(name: &'static str, doc: &'static str, default: f64) -> ParamSpec {
    ParamSpec::number(name, doc, Unit::Hz, 20.0, 20_000.0, default, SMOOTHING_MS)
}

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "crossover",
    doc: "Linkwitz-Riley LR4 crossover into 2 to 5 bands (band1 lowest) that sum flat; outputs past `bands` are silent",
    category: Category::Filter,
    source: "nodes/src/filter/crossover.rs",
    inputs: INPUTS,
    outputs: &[
        PortSpec::output("band1", Channels::SameAsInput(0)),
        PortSpec::output("band2", Channels::SameAsInput(0)),
        PortSpec::output("band3", Channels::SameAsInput(0)),
        PortSpec::output("band4", Channels::SameAsInput(0)),
        PortSpec::output("band5", Channels::SameAsInput(0)),
    ],
    params: &[
        ParamSpec::number(
            "bands",
            "Number of bands, 2 to 5 (rounded); not smoothed",
            Unit::None,
            2.0,
            5.0,
            3.0,
            0.0,
        ),
        split("freq1", "Split between band1 and band2", 120.0),
        split(
            "freq2",
            "Split between band2 and band3 (3 bands or more)",
            1000.0,
        ),
        split(
            "freq3",
            "Split between band3 and band4 (4 bands or more)",
            5000.0,
        ),
        split("freq4", "Split between band4 and band5 (5 bands)", 12_000.0),
    ],
};

impl NodeType for Crossover {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let initial: Vec<f64> = config.params.numbers().to_vec();
        let channels = config.input_channels.first().copied().unwrap_or(0);
        let mut p = CrossoverProcessor {
            params: initial.iter().map(|v| Smoothed::new(*v)).collect(),
            initial,
            coefficients: CrossoverCoefficients::new(config.sample_rate, &[1000.0; MAX_SPLITS]),
            states: vec![CrossoverState::new(MAX_SPLITS); channels],
            band_count: 0,
        };
        p.redesign();
        Ok(Box::new(p))
    }
}

/// A band count value as a count of bands in 2..=5.
fn band_count(value: f64) -> usize {
    if value.is_finite() {
        value.round().clamp(2.0, MAX_BANDS as f64) as usize
    } else {
        2
    }
}

struct CrossoverProcessor {
    initial: Vec<f64>,
    params: Vec<Smoothed>,
    coefficients: CrossoverCoefficients,
    /// One set of filter memories per channel.
    states: Vec<CrossoverState>,
    band_count: usize,
}

impl CrossoverProcessor {
    /// Redesigns the splits from the current parameter values; a new band count clears
    /// the memories.
    fn redesign(&mut self) {
        let value = |i: usize| self.params.get(i).map_or(0.0, Smoothed::value);
        let count = band_count(value(BANDS));
        let mut freqs = [0.0; MAX_SPLITS];
        for (i, f) in freqs.iter_mut().enumerate() {
            *f = value(BANDS + 1 + i);
        }
        self.coefficients
            .set_frequencies(freqs.get(..count - 1).unwrap_or(&[]));
        if count != self.band_count {
            self.band_count = count;
            self.states.iter_mut().for_each(CrossoverState::reset);
        }
    }

    fn is_ramping(&self) -> bool {
        self.params.iter().any(|p| !p.is_settled())
    }
}

impl Processor for CrossoverProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        for frame in 0..ctx.frames() {
            if self.is_ramping() {
                self.params.iter_mut().for_each(|p| {
                    p.next();
                });
                self.redesign();
            }
            for ch in 0..ctx.outputs.channels(0) {
                let mut bands = [0.0f64; MAX_BANDS];
                if let Some(state) = self.states.get_mut(ch) {
                    let x = ctx.inputs.channel(0, ch).get(frame).copied().unwrap_or(0.0);
                    state.process(&self.coefficients, f64::from(x), &mut bands);
                    if bands.iter().any(|b| !(*b as f32).is_finite()) {
                        state.reset();
                        bands = [0.0; MAX_BANDS];
                    }
                }
                for (port, value) in bands.iter().enumerate() {
                    if let Some(o) = ctx.outputs.channel(port, ch).get_mut(frame) {
                        *o = *value as f32;
                    }
                }
            }
        }
    }

    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        if let Some(p) = self.params.get_mut(index) {
            p.set(value, ramp_frames);
            if ramp_frames == 0 {
                self.redesign();
            }
        }
    }

    fn tail(&self) -> usize {
        // A band passes at most two sections of every split; all sections of a split share
        // its poles.
        let frames: f64 = self
            .coefficients
            .splits()
            .iter()
            .map(|s| 2.0 * s.low.decay_frames(TAIL_DECAY_DB))
            .sum();
        frames.min(1e9).ceil() as usize
    }

    fn reset(&mut self) {
        for (p, v) in self.params.iter_mut().zip(&self.initial) {
            p.reset(*v);
        }
        self.states.iter_mut().for_each(CrossoverState::reset);
        self.redesign();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::testing::{self, IMPULSE_FRAMES, RATES, dft_magnitude, log_frequencies};
    use crate::testkit::{self, num};
    use mixgraph_engine::ParamValue;
    use std::sync::Arc;

    fn params(bands: usize, freqs: &[f64]) -> Vec<(String, ParamValue)> {
        let mut p = vec![num("bands", bands as f64)];
        p.extend(
            freqs
                .iter()
                .enumerate()
                .map(|(i, f)| num(&format!("freq{}", i + 1), *f)),
        );
        p
    }

    /// The impulse response of every output port.
    fn band_impulses(p: &[(String, ParamValue)], fs: f64) -> Vec<Vec<f64>> {
        let mut impulse = vec![0.0f32; IMPULSE_FRAMES];
        impulse[0] = 1.0;
        let out = testkit::render(Crossover, p, &[vec![impulse]], fs, 1024);
        out.iter()
            .map(|port| port[0].iter().map(|x| f64::from(*x)).collect())
            .collect()
    }

    #[test]
    fn bands_sum_flat_and_unused_outputs_are_silent() {
        let sets: [&[f64]; 4] = [
            &[800.0],
            &[150.0, 3000.0],
            &[100.0, 900.0, 7000.0],
            &[80.0, 400.0, 2000.0, 9000.0],
        ];
        for fs in RATES {
            for freqs in sets {
                let bands = freqs.len() + 1;
                let h = band_impulses(&params(bands, freqs), fs);
                assert_eq!(h.len(), MAX_BANDS);
                assert!(
                    h[bands..].iter().flatten().all(|x| *x == 0.0),
                    "unused bands must be silent"
                );
                let sum: Vec<f64> = (0..IMPULSE_FRAMES)
                    .map(|n| h.iter().map(|b| b[n]).sum())
                    .collect();
                for f in log_frequencies(30) {
                    let db = 20.0 * dft_magnitude(&sum, f, fs).log10();
                    assert!(
                        db.abs() < 0.01,
                        "{bands} bands at {fs}: sum {db} dB at {f} Hz"
                    );
                }
            }
        }
    }

    #[test]
    fn each_band_is_minus_six_db_at_its_crossovers() {
        // Splits a decade apart, so neighbouring splits do not pull the crossing points.
        let freqs = [40.0, 400.0, 4000.0];
        for fs in RATES {
            let h = band_impulses(&params(4, &freqs), fs);
            for (j, fc) in freqs.iter().enumerate() {
                for band in [j, j + 1] {
                    let db = 20.0 * dft_magnitude(&h[band], *fc, fs).log10();
                    assert!(
                        (db + 6.0206).abs() < 0.01,
                        "band{} at {fc} Hz ({fs}): {db} dB",
                        band + 1
                    );
                }
            }
        }
    }

    #[test]
    fn two_bands_are_the_squared_butterworth_pair() {
        // LR4 low = (Butterworth 2nd order low-pass)^2: |H| = 1 / (1 + w^4) after prewarping.
        let fc = 1500.0;
        for fs in RATES {
            let h = band_impulses(&params(2, &[fc]), fs);
            for f in log_frequencies(30) {
                let w4 = ((std::f64::consts::PI * f / fs).tan()
                    / (std::f64::consts::PI * fc / fs).tan())
                .powi(4);
                testing::assert_magnitude(
                    dft_magnitude(&h[0], f, fs),
                    1.0 / (1.0 + w4),
                    "low band",
                );
                testing::assert_magnitude(
                    dft_magnitude(&h[1], f, fs),
                    w4 / (1.0 + w4),
                    "high band",
                );
            }
        }
    }

    #[test]
    fn frequencies_out_of_order_are_used_ascending() {
        let sorted = band_impulses(&params(3, &[200.0, 2000.0]), 48_000.0);
        let swapped = band_impulses(&params(3, &[2000.0, 200.0]), 48_000.0);
        assert_eq!(sorted, swapped);
    }

    #[test]
    fn split_change_is_click_free_and_block_size_invariant() {
        let fs = 48_000.0;
        let f = 50.0;
        let input = testkit::sine(f, fs, 0.5, 1, 24_000).remove(0);
        let at = 12_000;
        let run = |block: usize| {
            testing::render_ports_with_change(
                Arc::new(Crossover),
                &params(2, &[400.0]),
                &input,
                fs,
                block,
                (at, "freq1", 40.0),
                false,
            )
        };
        let out = run(64);
        assert_eq!(out, run(1));
        assert_eq!(out, run(1000));
        for port in &out[..2] {
            let window = &port[at - 2000..];
            let bound = testing::peak(window) * (2.0 * std::f64::consts::PI * f / fs) as f32 * 1.25;
            assert!(
                testing::max_step(window) <= bound,
                "click: {} > {bound}",
                testing::max_step(window)
            );
        }
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(Crossover, &params(4, &[150.0, 1200.0, 6000.0]));
        testkit::check_node_contract(Crossover, &params(5, &[90.0, 500.0, 2500.0, 10_000.0]));
    }
}
