//! `multiband_compressor`: splits the signal into 2 to 5 bands with a Linkwitz-Riley
//! crossover (the bands sum to a flat magnitude), compresses each band with its own
//! threshold, ratio, attack, release and makeup, and sums them again. Bands can be bypassed
//! (passed uncompressed) or soloed (only soloed bands are heard).
//!
//! Parameters are one flat list: `bands`, `crossover1`..`crossover4` (the first `bands - 1`
//! are used, in ascending order), the shared `knee`, `link` and `detection`, then
//! `band1_threshold` ... `band5_solo`. Each band's gain path is the one of `compressor`
//! ([`super::compressor_core`]), keyed by the band itself.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, PortSpec,
    ProcessContext, Processor, Reading, ReadingValue, Smoothed, Unit,
};

use super::TAIL_DECAY_DB;
use super::compressor_core::{
    CompressorCore, CompressorParam, CompressorSettings, DETECTION_OPTIONS, UNLIMITED_RANGE_DB,
};
use crate::dsp::choice_blend::switch_frames;
use crate::dsp::crossover::{CrossoverCoefficients, CrossoverState};

/// The `multiband_compressor` node type.
pub struct MultibandCompressor;

/// The most bands.
pub const MAX_BANDS: usize = 5;

const BANDS: usize = 0;
const CROSSOVER1: usize = 1;
const KNEE: usize = 5;
const LINK: usize = 6;
const DETECTION: usize = 7;
/// Index of `band1_threshold`; each band has [`PER_BAND`] parameters from there.
const FIRST_BAND: usize = 8;
const PER_BAND: usize = 7;
const THRESHOLD: usize = 0;
const RATIO: usize = 1;
const ATTACK: usize = 2;
const RELEASE: usize = 3;
const MAKEUP: usize = 4;
const BYPASS: usize = 5;
const SOLO: usize = 6;

/// The parameter list: the shared ones, then [`PER_BAND`] per band for bands 1 to 5.
macro_rules! multiband_params {
    ($($band:literal),*) => {
        &[
            ParamSpec::number("bands", "Number of bands (fixed when the chain is built)", Unit::None, 2.0, 5.0, 3.0, 0.0),
            ParamSpec::number("crossover1", "Split between bands 1 and 2", Unit::Hz, 20.0, 20_000.0, 150.0, 20.0),
            ParamSpec::number("crossover2", "Split between bands 2 and 3", Unit::Hz, 20.0, 20_000.0, 1500.0, 20.0),
            ParamSpec::number("crossover3", "Split between bands 3 and 4", Unit::Hz, 20.0, 20_000.0, 6000.0, 20.0),
            ParamSpec::number("crossover4", "Split between bands 4 and 5", Unit::Hz, 20.0, 20_000.0, 12_000.0, 20.0),
            ParamSpec::number("knee", "Soft knee width of every band", Unit::Db, 0.0, 24.0, 6.0, 20.0),
            ParamSpec::number("link", "Stereo link of every band: 0 = channels independent, 100 = loudest drives all", Unit::Percent, 0.0, 100.0, 100.0, 20.0),
            ParamSpec::choice("detection", "Level detection of every band: held peak (5 ms) or RMS (10 ms)", DETECTION_OPTIONS, "peak"),
            $(
                ParamSpec::number(concat!("band", $band, "_threshold"), concat!("Band ", $band, ": level above which it is turned down"), Unit::Db, -60.0, 0.0, -18.0, 20.0),
                ParamSpec::number(concat!("band", $band, "_ratio"), concat!("Band ", $band, ": input dB over threshold per output dB"), Unit::Ratio, 1.0, 50.0, 2.0, 20.0),
                ParamSpec::number(concat!("band", $band, "_attack"), concat!("Band ", $band, ": time to cover 1-1/e of a growing reduction"), Unit::Ms, 0.05, 500.0, 10.0, 20.0),
                ParamSpec::number(concat!("band", $band, "_release"), concat!("Band ", $band, ": time to cover 1-1/e of a shrinking reduction"), Unit::Ms, 5.0, 5000.0, 150.0, 20.0),
                ParamSpec::number(concat!("band", $band, "_makeup"), concat!("Band ", $band, ": gain after compression"), Unit::Db, -24.0, 24.0, 0.0, 20.0),
                ParamSpec::flag(concat!("band", $band, "_bypass"), concat!("Band ", $band, ": pass uncompressed"), false),
                ParamSpec::flag(concat!("band", $band, "_solo"), concat!("Band ", $band, ": hear only soloed bands"), false),
            )*
        ]
    };
}

/// The names of the per-band readings.
const READING_NAMES: [&str; MAX_BANDS] = [
    "band1_max_gain_reduction",
    "band2_max_gain_reduction",
    "band3_max_gain_reduction",
    "band4_max_gain_reduction",
    "band5_max_gain_reduction",
];

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "multiband_compressor",
    doc: "Multiband compressor: 2-5 Linkwitz-Riley bands, each compressed on its own, with bypass and solo",
    category: Category::Dynamics,
    source: "nodes/src/dynamics/multiband_compressor.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: multiband_params!(1, 2, 3, 4, 5),
};

impl NodeType for MultibandCompressor {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let p = config.params;
        let sr = config.sample_rate;
        let channels = config.input_channels.first().copied().unwrap_or(0).max(1);
        let bands = (p.number("bands").round() as usize).clamp(2, MAX_BANDS);
        let numbers = p.numbers();
        let number = |i: usize| numbers.get(i).copied().unwrap_or(0.0);
        let crossovers: [f64; MAX_BANDS - 1] = std::array::from_fn(|i| number(CROSSOVER1 + i));
        let max_block = config.max_block.max(1);
        let cores = (0..bands)
            .map(|b| {
                let at = |k: usize| number(FIRST_BAND + b * PER_BAND + k);
                let settings = CompressorSettings {
                    threshold_db: at(THRESHOLD),
                    ratio: at(RATIO),
                    knee_db: number(KNEE),
                    attack_ms: at(ATTACK),
                    release_ms: at(RELEASE),
                    makeup_db: at(MAKEUP),
                    range_db: UNLIMITED_RANGE_DB,
                    link_percent: number(LINK),
                    detection: number(DETECTION),
                };
                CompressorCore::new(sr, channels, max_block, settings)
            })
            .collect();
        let flags = |k: usize| -> [bool; MAX_BANDS] {
            std::array::from_fn(|b| number(FIRST_BAND + b * PER_BAND + k) != 0.0)
        };
        let mut processor = MultibandProcessor {
            initial_crossovers: crossovers,
            initial_bypass: flags(BYPASS),
            initial_solo: flags(SOLO),
            crossover_hz: crossovers.map(Smoothed::new),
            coefficients: CrossoverCoefficients::new(sr, &crossovers[..bands - 1]),
            states: vec![CrossoverState::new(bands - 1); channels],
            cores,
            bypass: flags(BYPASS),
            solo: flags(SOLO),
            bypass_mix: [Smoothed::new(0.0); MAX_BANDS],
            audible: [Smoothed::new(1.0); MAX_BANDS],
            switch_frames: switch_frames(sr),
            bands_audio: vec![vec![vec![0.0; max_block]; channels]; bands],
            sum: vec![0.0; max_block],
            channels,
        };
        processor.reset();
        Ok(Box::new(processor))
    }
}

struct MultibandProcessor {
    initial_crossovers: [f64; MAX_BANDS - 1],
    initial_bypass: [bool; MAX_BANDS],
    initial_solo: [bool; MAX_BANDS],
    crossover_hz: [Smoothed; MAX_BANDS - 1],
    coefficients: CrossoverCoefficients,
    states: Vec<CrossoverState>,
    /// One gain path per band in use.
    cores: Vec<CompressorCore>,
    bypass: [bool; MAX_BANDS],
    solo: [bool; MAX_BANDS],
    /// Per band: 1 when bypassed (crossfaded).
    bypass_mix: [Smoothed; MAX_BANDS],
    /// Per band: 1 when heard, 0 when another band is soloed (crossfaded).
    audible: [Smoothed; MAX_BANDS],
    switch_frames: usize,
    /// A block of each band (also its core's key), per band and channel.
    bands_audio: Vec<Vec<Vec<f64>>>,
    /// A block of one channel's output, summed band by band.
    sum: Vec<f64>,
    channels: usize,
}

impl MultibandProcessor {
    fn bands(&self) -> usize {
        self.cores.len()
    }

    fn crossovers_settled(&self) -> bool {
        self.crossover_hz.iter().all(Smoothed::is_settled)
    }

    /// Moves the splits to the current (ramping) crossover frequencies.
    fn advance_crossovers(&mut self) {
        let freqs: [f64; MAX_BANDS - 1] = std::array::from_fn(|i| self.crossover_hz[i].next());
        let used = self.bands() - 1;
        self.coefficients
            .set_frequencies(freqs.get(..used).unwrap_or(&[]));
    }

    /// Sets the targets of the bypass and solo crossfades from the flags.
    fn update_switches(&mut self, frames: usize) {
        let any_solo = self.solo.iter().take(self.bands()).any(|&s| s);
        for b in 0..MAX_BANDS {
            let heard = !any_solo || self.solo[b];
            self.audible[b].set(if heard { 1.0 } else { 0.0 }, frames);
            self.bypass_mix[b].set(if self.bypass[b] { 1.0 } else { 0.0 }, frames);
        }
    }
}

impl MultibandProcessor {
    /// Frames `offset..offset + n` (at most the cores' largest block).
    fn process_block(&mut self, ctx: &mut ProcessContext<'_>, offset: usize, n: usize) {
        let input = |ch: usize| {
            ctx.inputs
                .channel(0, ch)
                .get(offset..offset + n)
                .unwrap_or(&[])
        };
        let finite = |x: f32| {
            let x = f64::from(x);
            if x.is_finite() { x } else { 0.0 }
        };
        // 1. Split every channel into bands: frame by frame while a crossover ramps, else
        // channel by channel.
        let mut split = [0.0; MAX_BANDS];
        let mut f = 0;
        while f < n && !self.crossovers_settled() {
            self.advance_crossovers();
            for (ch, state) in self.states.iter_mut().enumerate() {
                let x = input(ch).get(f).copied().map_or(0.0, finite);
                state.process(&self.coefficients, x, &mut split);
                for (band, &v) in self.bands_audio.iter_mut().zip(&split) {
                    if let Some(slot) = band.get_mut(ch).and_then(|b| b.get_mut(f)) {
                        *slot = v;
                    }
                }
            }
            f += 1;
        }
        for (ch, state) in self.states.iter_mut().enumerate() {
            let mut bands = self.bands_audio.iter_mut();
            let mut outs: [&mut [f64]; MAX_BANDS] = std::array::from_fn(|_| {
                bands
                    .next()
                    .and_then(|b| b.get_mut(ch))
                    .and_then(|b| b.get_mut(f..n))
                    .unwrap_or_default()
            });
            let x = input(ch).get(f..).unwrap_or(&[]);
            for (i, &v) in x.iter().enumerate() {
                state.process(&self.coefficients, finite(v), &mut split);
                for (out, &v) in outs.iter_mut().zip(&split) {
                    if let Some(slot) = out.get_mut(i) {
                        *slot = v;
                    }
                }
            }
        }
        // 2. Each band's gains, keyed by the band itself.
        for (core, band) in self.cores.iter_mut().zip(&self.bands_audio) {
            core.process(|c| band.get(c).and_then(|b| b.get(..n)).unwrap_or(&[]), n);
        }
        // 3. The bands, each scaled by its gain (or passed when bypassed), summed.
        let settled = self
            .audible
            .iter()
            .chain(&self.bypass_mix)
            .all(Smoothed::is_settled);
        if settled {
            let weights: [(f64, f64); MAX_BANDS] =
                std::array::from_fn(|b| (self.audible[b].value(), self.bypass_mix[b].value()));
            for ch in 0..self.channels {
                let sum = &mut self.sum[..n];
                sum.fill(0.0);
                for ((core, band), &(audible, bypass)) in
                    self.cores.iter().zip(&self.bands_audio).zip(&weights)
                {
                    let (Some(band), Some(gains)) = (band.get(ch), core.gains(ch).get(..n)) else {
                        continue;
                    };
                    for ((y, &v), &g) in sum.iter_mut().zip(band).zip(gains) {
                        *y += banded(v, g, audible, bypass);
                    }
                }
                if let Some(out) = ctx.outputs.channel(0, ch).get_mut(offset..offset + n) {
                    for (o, &y) in out.iter_mut().zip(sum.iter()) {
                        *o = y as f32;
                    }
                }
            }
        } else {
            for f in 0..n {
                let weights: [(f64, f64); MAX_BANDS] =
                    std::array::from_fn(|b| (self.audible[b].next(), self.bypass_mix[b].next()));
                for ch in 0..self.channels {
                    let mut y = 0.0;
                    for ((core, band), &(audible, bypass)) in
                        self.cores.iter().zip(&self.bands_audio).zip(&weights)
                    {
                        let v = band.get(ch).and_then(|b| b.get(f)).copied().unwrap_or(0.0);
                        let g = core.gains(ch).get(f).copied().unwrap_or(1.0);
                        y += banded(v, g, audible, bypass);
                    }
                    if let Some(o) = ctx.outputs.channel(0, ch).get_mut(offset + f) {
                        *o = y as f32;
                    }
                }
            }
        }
    }
}

/// One band's share of the output: the band scaled by its gain, crossfaded toward the band
/// itself by `bypass`, and by `audible` toward silence.
#[inline(always)]
fn banded(band: f64, gain: f32, audible: f64, bypass: f64) -> f64 {
    audible * band * (bypass + (1.0 - bypass) * f64::from(gain))
}

impl Processor for MultibandProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let frames = ctx.frames();
        let block = self.cores.first().map_or(1, CompressorCore::max_block);
        let mut offset = 0;
        while offset < frames {
            let n = block.min(frames - offset);
            self.process_block(ctx, offset, n);
            offset += n;
        }
    }

    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        let core_param = |k: usize| match k {
            THRESHOLD => Some(CompressorParam::Threshold),
            RATIO => Some(CompressorParam::Ratio),
            ATTACK => Some(CompressorParam::Attack),
            RELEASE => Some(CompressorParam::Release),
            MAKEUP => Some(CompressorParam::Makeup),
            _ => None,
        };
        match index {
            // `bands` is fixed when the chain is built.
            BANDS => {}
            i if (CROSSOVER1..CROSSOVER1 + MAX_BANDS - 1).contains(&i) => {
                if let Some(s) = self.crossover_hz.get_mut(i - CROSSOVER1) {
                    s.set(value, ramp_frames);
                }
                if ramp_frames == 0 {
                    self.advance_crossovers();
                }
            }
            KNEE | LINK | DETECTION => {
                let param = match index {
                    KNEE => CompressorParam::Knee,
                    LINK => CompressorParam::Link,
                    _ => CompressorParam::Detection,
                };
                self.cores
                    .iter_mut()
                    .for_each(|c| c.set(param, value, ramp_frames));
            }
            i if i >= FIRST_BAND => {
                let (b, k) = ((i - FIRST_BAND) / PER_BAND, (i - FIRST_BAND) % PER_BAND);
                if let Some(param) = core_param(k) {
                    if let Some(core) = self.cores.get_mut(b) {
                        core.set(param, value, ramp_frames);
                    }
                } else if b < MAX_BANDS {
                    let on = value != 0.0;
                    if k == BYPASS {
                        self.bypass[b] = on;
                    } else {
                        self.solo[b] = on;
                    }
                    self.update_switches(self.switch_frames);
                }
            }
            _ => {}
        }
    }

    fn reset(&mut self) {
        for (s, &hz) in self.crossover_hz.iter_mut().zip(&self.initial_crossovers) {
            s.reset(hz);
        }
        self.advance_crossovers();
        self.states.iter_mut().for_each(CrossoverState::reset);
        self.cores.iter_mut().for_each(CompressorCore::reset);
        self.bypass = self.initial_bypass;
        self.solo = self.initial_solo;
        self.update_switches(0);
    }

    fn tail(&self) -> usize {
        // A band passes at most two sections of every split, all with that split's poles.
        let frames: f64 = self
            .coefficients
            .splits()
            .iter()
            .map(|s| 2.0 * s.low.decay_frames(TAIL_DECAY_DB))
            .sum();
        frames.min(1e9).ceil() as usize
    }

    fn readings(&self) -> Vec<Reading> {
        self.cores
            .iter()
            .zip(READING_NAMES)
            .map(|(core, name)| Reading {
                name,
                value: ReadingValue::Scalar(core.max_reduction_db()),
                unit: Unit::Db,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamics::test_support::db;
    use crate::testkit::{self, PortAudio, flag, num};

    const FS: f64 = 48_000.0;

    /// Tones a decade or more from the splits at 200 Hz and 4 kHz: one per band.
    fn three_tones(levels_db: [f64; 3], len: usize) -> PortAudio {
        let freqs = [40.0, 900.0, 15_000.0];
        let one: Vec<f32> = (0..len)
            .map(|n| {
                freqs
                    .iter()
                    .zip(levels_db)
                    .map(|(f, l)| {
                        10f64.powf(l / 20.0)
                            * (2.0 * std::f64::consts::PI * f * n as f64 / FS).sin()
                    })
                    .sum::<f64>() as f32
            })
            .collect();
        vec![one]
    }

    fn gains_db(input: &PortAudio, out: &PortAudio) -> [f64; 3] {
        let (i, o) = (&input[0][24_000..], &out[0][24_000..]);
        [40.0, 900.0, 15_000.0]
            .map(|f| db(testkit::amplitude_at(o, f, FS) / testkit::amplitude_at(i, f, FS)))
    }

    fn three_band_params() -> Vec<(String, mixgraph_engine::ParamValue)> {
        vec![
            num("bands", 3.0),
            num("crossover1", 200.0),
            num("crossover2", 4000.0),
            num("knee", 0.0),
            num("band1_threshold", -20.0),
            num("band1_ratio", 4.0),
            num("band2_threshold", -20.0),
            num("band2_ratio", 4.0),
            num("band3_threshold", -30.0),
            num("band3_ratio", 2.0),
            num("band3_makeup", 3.0),
        ]
    }

    #[test]
    fn each_band_follows_its_own_curve() {
        // Low tone loud (-6 dBFS), mid quiet (-30), high at -10.
        let input = three_tones([-6.0, -30.0, -10.0], 48_000);
        let out = testkit::render(
            MultibandCompressor,
            &three_band_params(),
            std::slice::from_ref(&input),
            FS,
            256,
        );
        let got = gains_db(&input, &out[0]);
        let want = [-(-6.0 + 20.0) * 0.75, 0.0, -(-10.0 + 30.0) * 0.5 + 3.0];
        for b in 0..3 {
            assert!(
                (got[b] - want[b]).abs() < 0.15,
                "band {}: {} dB, want {}",
                b + 1,
                got[b],
                want[b]
            );
        }
    }

    #[test]
    fn uncompressed_bands_sum_to_the_input_level() {
        // Thresholds at 0 dBFS: nothing is compressed, and the LR bands sum flat.
        for bands in 2..=5 {
            let params: Vec<_> = std::iter::once(num("bands", bands as f64))
                .chain((1..=5).map(|b| num(&format!("band{b}_threshold"), 0.0)))
                .collect();
            for f in [50.0, 150.0, 1000.0, 1500.0, 6000.0, 15_000.0] {
                let probe = testkit::sine(f, FS, 0.1, 1, 24_000);
                let out = testkit::render(
                    MultibandCompressor,
                    &params,
                    std::slice::from_ref(&probe),
                    FS,
                    256,
                );
                let g = db(testkit::amplitude_at(&out[0][0][12_000..], f, FS) / 0.1);
                assert!(g.abs() < 0.01, "{bands} bands at {f} Hz: {g} dB");
            }
        }
    }

    #[test]
    fn bypass_and_solo() {
        let input = three_tones([-6.0, -30.0, -10.0], 48_000);
        let mut params = three_band_params();
        params.push(flag("band1_bypass", true));
        let out = testkit::render(
            MultibandCompressor,
            &params,
            std::slice::from_ref(&input),
            FS,
            256,
        );
        let got = gains_db(&input, &out[0]);
        assert!(
            got[0].abs() < 0.05,
            "bypassed band 1 changed by {} dB",
            got[0]
        );
        let mut params = three_band_params();
        params.push(flag("band2_solo", true));
        let out = testkit::render(
            MultibandCompressor,
            &params,
            std::slice::from_ref(&input),
            FS,
            256,
        );
        let got = gains_db(&input, &out[0]);
        assert!(got[1].abs() < 0.15, "soloed band 2: {} dB", got[1]);
        assert!(
            got[0] < -40.0 && got[2] < -40.0,
            "others not muted: {got:?}"
        );
    }

    #[test]
    fn stepped_parameters_and_switches_do_not_click() {
        // A 900 Hz tone in band 2 of 3; each change is made mid-render as a live control
        // would. The applied gain (output / input) may only move a little per frame.
        let input = vec![testkit::sine(900.0, FS, 0.3, 1, 19_200).remove(0)];
        let base = three_band_params();
        let band2 = FIRST_BAND + PER_BAND;
        let mut uncompressed = base.clone();
        uncompressed.push(num("band2_threshold", 0.0));
        let reference = testkit::render(
            MultibandCompressor,
            &uncompressed,
            std::slice::from_ref(&input),
            FS,
            64,
        );
        for (param, value) in [
            (band2 + THRESHOLD, -50.0),
            (band2 + MAKEUP, 12.0),
            (band2 + BYPASS, 1.0),
            (FIRST_BAND + SOLO, 1.0),
            (KNEE, 24.0),
        ] {
            let g = testkit::graph_for(std::sync::Arc::new(MultibandCompressor), &base, 1);
            let out =
                testkit::render_graph_with(&g, std::slice::from_ref(&input), FS, 64, |s, pos| {
                    if pos == 9600 {
                        let node = s.node_index("node").unwrap();
                        s.set_param(node, param, value);
                    }
                });
            // The applied gain is the output over the uncompressed output (the bands sum to
            // an all-pass, so the input itself is phase shifted). Ramps and crossfades last
            // 10 to 20 ms (480+ frames), so the linear gain moves little per frame.
            let step = reference[0][0][4800..]
                .iter()
                .zip(&out[0][0][4800..])
                .filter(|(r, _)| r.abs() > 0.1)
                .map(|(r, y)| f64::from(y / r))
                .collect::<Vec<_>>()
                .windows(2)
                .map(|w| (w[1] - w[0]).abs())
                .fold(0.0, f64::max);
            // Without ramps these changes would jump by 0.4 to 1.3 in one frame.
            assert!(
                step < 0.03,
                "param {param}: the gain moved {step} in one frame"
            );
        }
    }

    #[test]
    fn node_contract() {
        testkit::check_node_contract(MultibandCompressor, &[num("band1_threshold", -30.0)]);
        testkit::check_node_contract(
            MultibandCompressor,
            &[
                num("bands", 5.0),
                flag("band3_solo", true),
                flag("band2_bypass", true),
            ],
        );
    }
}
