//! `spectrum`: the average magnitude spectrum over the render, from 4096-point Hann-windowed
//! FFTs every 2048 frames, power-averaged over windows and channels, in dB where a full-scale
//! sine centred on a bin reads 0 dB. Audio passes through unchanged.
//!
//! Only whole windows count: a render shorter than one window has no spectrum.

use std::f64::consts::PI;
use std::sync::Arc;

use mixgraph_engine::{
    ActivateError, Category, NodeConfig, NodeDescriptor, NodeType, ProcessContext, Processor,
    Reading, ReadingValue, Unit,
};
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use super::pass_through::{INPUTS, OUTPUTS, pass_through};

/// The `spectrum` node type.
pub struct Spectrum;

/// FFT length in frames.
pub const WINDOW: usize = 4096;
/// Frames between the starts of consecutive windows (50% overlap).
pub const HOP: usize = WINDOW / 2;
/// The lowest level reported, in dB (silence would be minus infinity).
pub const FLOOR_DB: f64 = -200.0;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "spectrum",
    doc: "Meter: average magnitude spectrum over the render (4096-point Hann FFT, 50% overlap, dB re full-scale sine)",
    category: Category::Meter,
    source: "nodes/src/meter/spectrum.rs",
    inputs: INPUTS,
    outputs: OUTPUTS,
    params: &[],
};

impl NodeType for Spectrum {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let channels = config.input_channels.first().copied().unwrap_or(0);
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(WINDOW);
        let window: Box<[f64]> = (0..WINDOW)
            .map(|n| 0.5 - 0.5 * (2.0 * PI * n as f64 / WINDOW as f64).cos())
            .collect();
        Ok(Box::new(SpectrumProcessor {
            sample_rate: config.sample_rate,
            history: (0..channels)
                .map(|_| vec![0.0; WINDOW].into_boxed_slice())
                .collect(),
            write: 0,
            seen: 0,
            power: vec![0.0; WINDOW / 2 + 1].into_boxed_slice(),
            windows: 0,
            frame: vec![0.0; WINDOW].into_boxed_slice(),
            bins: fft.make_output_vec().into_boxed_slice(),
            scratch: fft.make_scratch_vec().into_boxed_slice(),
            fft,
            window,
        }))
    }
}

struct SpectrumProcessor {
    sample_rate: f64,
    /// The last `WINDOW` frames of each channel, as rings sharing `write`.
    history: Box<[Box<[f64]>]>,
    write: usize,
    /// Frames received so far.
    seen: u64,
    /// Sum over windows and channels of `|X[k]|^2`.
    power: Box<[f64]>,
    /// Windows summed into `power` (counting each channel).
    windows: u64,
    frame: Box<[f64]>,
    bins: Box<[Complex<f64>]>,
    scratch: Box<[Complex<f64>]>,
    fft: Arc<dyn RealToComplex<f64>>,
    window: Box<[f64]>,
}

impl SpectrumProcessor {
    /// Transforms the last `WINDOW` frames of every channel and adds their power.
    fn analyse(&mut self) {
        for ring in self.history.iter() {
            // Unroll the ring oldest first, windowed.
            let (newer, older) = ring.split_at(self.write.min(ring.len()));
            for ((f, x), w) in self
                .frame
                .iter_mut()
                .zip(older.iter().chain(newer))
                .zip(self.window.iter())
            {
                *f = x * w;
            }
            if self
                .fft
                .process_with_scratch(&mut self.frame, &mut self.bins, &mut self.scratch)
                .is_ok()
            {
                for (p, b) in self.power.iter_mut().zip(self.bins.iter()) {
                    *p += b.norm_sqr();
                }
                self.windows += 1;
            }
        }
    }
}

impl Processor for SpectrumProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        for f in 0..ctx.frames() {
            for (ch, ring) in self.history.iter_mut().enumerate() {
                let x = ctx.inputs.channel(0, ch).get(f).copied().unwrap_or(0.0);
                if let Some(slot) = ring.get_mut(self.write) {
                    *slot = if x.is_finite() { f64::from(x) } else { 0.0 };
                }
            }
            self.write = if self.write + 1 >= WINDOW {
                0
            } else {
                self.write + 1
            };
            self.seen += 1;
            if self.seen >= WINDOW as u64 && (self.seen - WINDOW as u64) % HOP as u64 == 0 {
                self.analyse();
            }
        }
        pass_through(ctx);
    }

    fn reset(&mut self) {
        for ring in self.history.iter_mut() {
            ring.fill(0.0);
        }
        self.write = 0;
        self.seen = 0;
        self.power.fill(0.0);
        self.windows = 0;
    }

    fn readings(&self) -> Vec<Reading> {
        if self.windows == 0 {
            return Vec::new();
        }
        // A sine of amplitude A centred on bin k gives |X[k]| = A * sum(w) / 2.
        let coherent_gain: f64 = self.window.iter().sum();
        let last = self.power.len() - 1;
        let (x, y) = self
            .power
            .iter()
            .enumerate()
            .map(|(k, p)| {
                // 0 Hz and Nyquist have no mirror image: their amplitude is |X| / sum(w).
                let scale = if k == 0 || k == last {
                    1.0 / coherent_gain
                } else {
                    2.0 / coherent_gain
                };
                let mean = p / self.windows as f64 * scale * scale;
                let db = if mean > 0.0 {
                    (10.0 * mean.log10()).max(FLOOR_DB)
                } else {
                    FLOOR_DB
                };
                (k as f64 * self.sample_rate / WINDOW as f64, db)
            })
            .unzip();
        vec![Reading {
            name: "spectrum",
            value: ReadingValue::Series { x, y },
            unit: Unit::Db,
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::measure::measure;
    use crate::testkit;

    fn series(readings: &[Reading]) -> (Vec<f64>, Vec<f64>) {
        match readings
            .iter()
            .find(|r| r.name == "spectrum")
            .map(|r| &r.value)
        {
            Some(ReadingValue::Series { x, y }) => (x.clone(), y.clone()),
            other => panic!("no spectrum: {other:?}"),
        }
    }

    #[test]
    fn a_sine_peaks_at_its_frequency_with_its_amplitude() {
        let sr = 48_000.0;
        for (bin, amplitude) in [(100usize, 1.0), (853, 0.25)] {
            let freq = bin as f64 * sr / WINDOW as f64;
            let x = testkit::sine(freq, sr, amplitude, 2, 40_000);
            let (out, readings) = measure(Spectrum, &[], &x, sr, 1000);
            assert_eq!(out, x);
            let (hz, db) = series(&readings);
            assert_eq!(hz.len(), WINDOW / 2 + 1);
            let peak = db
                .iter()
                .enumerate()
                .fold(0, |best, (k, v)| if *v > db[best] { k } else { best });
            assert_eq!(peak, bin);
            assert!((hz[peak] - freq).abs() < 1e-9);
            assert!(
                (db[peak] - 20.0 * amplitude.log10()).abs() < 1e-3,
                "{} dB",
                db[peak]
            );
            // Hann leakage: the neighbours read -6.02 dB, bins farther away far less.
            assert!((db[peak + 1] - db[peak] + 6.0206).abs() < 1e-2);
            assert!(db[peak + 10] < db[peak] - 90.0);
        }
    }

    #[test]
    fn a_sine_between_bins_still_peaks_at_the_nearest_bin() {
        let sr = 44_100.0;
        let freq = 1234.5;
        let x = testkit::sine(freq, sr, 0.5, 1, 30_000);
        let (_, readings) = measure(Spectrum, &[], &x, sr, 4096);
        let (hz, db) = series(&readings);
        let peak = db
            .iter()
            .enumerate()
            .fold(0, |best, (k, v)| if *v > db[best] { k } else { best });
        assert!((hz[peak] - freq).abs() <= sr / WINDOW as f64 / 2.0);
    }

    #[test]
    fn white_noise_is_flat() {
        let x = testkit::noise(4, 1, 200_000);
        let (_, readings) = measure(Spectrum, &[], &x, 48_000.0, 4096);
        let (_, db) = series(&readings);
        let band = &db[50..1900];
        let mean = band.iter().sum::<f64>() / band.len() as f64;
        assert!(band.iter().all(|v| (v - mean).abs() < 3.0));
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(Spectrum, &[]);
        testkit::check_node_contract_with_channels(Spectrum, &[], &[1]);
        testkit::check_node_contract_with_channels(Spectrum, &[], &[6]);
    }
}
