//! `convolution`: convolution reverb (or any FIR) with an impulse response read from a WAV
//! file, through a uniformly partitioned FFT convolver. The node's latency is one partition;
//! the dry signal is delayed by the same amount so dry and wet stay aligned.

use mixgraph_engine::{
    ActivateError, Category, Channels, NodeConfig, NodeDescriptor, NodeType, ParamSpec, PortSpec,
    ProcessContext, Processor, Smoothed, Unit, db_to_gain,
};

use super::delay_line::DelayLine;
use super::impulse_response::{ImpulseResponse, load_wav};
use crate::dsp::convolver::Convolver;

/// The `convolution` node type.
pub struct Convolution;

/// Partition size of the convolver, in frames; also the node's latency.
pub const PARTITION: usize = 1024;

const MIX: usize = 1;
const GAIN: usize = 2;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "convolution",
    doc: "Convolution reverb: convolves with an impulse response from a WAV file (channel c uses IR channel c mod IR channels)",
    category: Category::Time,
    source: "nodes/src/time/convolution.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[
        ParamSpec::path(
            "ir",
            "Impulse response: a WAV file at the session's sample rate, mono or one channel per input channel",
        ),
        ParamSpec::number(
            "mix",
            "Wet share of the output (0 dry only, 100 convolved only)",
            Unit::Percent,
            0.0,
            100.0,
            100.0,
            20.0,
        ),
        ParamSpec::number(
            "gain",
            "Level of the convolved signal",
            Unit::Db,
            -60.0,
            24.0,
            0.0,
            20.0,
        ),
    ],
};

impl NodeType for Convolution {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let path = config.path_param("ir").ok_or_else(|| {
            ActivateError::Invalid(
                "convolution: parameter `ir` (the impulse response file) is required".to_string(),
            )
        })?;
        let ir = load_wav(&path, config.sample_rate)?;
        let channels = config.input_channels.first().copied().unwrap_or(0);
        Ok(Box::new(ConvolutionProcessor::new(
            &ir, channels, config, PARTITION,
        )))
    }
}

struct ChannelState {
    convolver: Convolver,
    /// The dry signal, delayed by the convolver's latency.
    dry: DelayLine,
}

struct ConvolutionProcessor {
    initial_mix: f64,
    initial_gain: f64,
    /// Wet share, 0..1.
    mix: Smoothed,
    /// Linear gain of the wet signal.
    gain: Smoothed,
    latency: usize,
    ir_len: usize,
    channels: Box<[ChannelState]>,
    /// Per-frame dry and wet factors of the current chunk, `max_block` long.
    factors: Box<[(f64, f64)]>,
}

impl ConvolutionProcessor {
    fn new(
        ir: &ImpulseResponse,
        channels: usize,
        config: &NodeConfig<'_>,
        partition: usize,
    ) -> ConvolutionProcessor {
        let ir_channels = ir.channels.len().max(1);
        let states: Box<[ChannelState]> = (0..channels)
            .map(|c| {
                let response = ir
                    .channels
                    .get(c % ir_channels)
                    .map_or(&[][..], Vec::as_slice);
                let convolver = Convolver::new(response, partition);
                let dry = DelayLine::new(convolver.latency());
                ChannelState { convolver, dry }
            })
            .collect();
        let initial_mix = config.params.number_at(MIX) / 100.0;
        let initial_gain = db_to_gain(config.params.number_at(GAIN));
        ConvolutionProcessor {
            initial_mix,
            initial_gain,
            mix: Smoothed::new(initial_mix),
            gain: Smoothed::new(initial_gain),
            latency: partition.max(1),
            ir_len: ir.len(),
            channels: states,
            factors: vec![(0.0, 0.0); config.max_block.max(1)].into_boxed_slice(),
        }
    }
}

impl Processor for ConvolutionProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let frames = ctx.frames();
        let chunk_len = self.factors.len();
        let mut start = 0;
        while start < frames {
            let n = chunk_len.min(frames - start);
            for slot in self.factors.iter_mut().take(n) {
                let mix = self.mix.next();
                *slot = (1.0 - mix, self.gain.next() * mix);
            }
            let factors = self.factors.get(..n).unwrap_or(&[]);
            for (ch, state) in self.channels.iter_mut().enumerate() {
                let input = ctx
                    .inputs
                    .channel(0, ch)
                    .get(start..start + n)
                    .unwrap_or(&[]);
                let output = ctx.outputs.channel(0, ch);
                let output = output.get_mut(start..start + n).unwrap_or(&mut []);
                for ((o, &x), &(dry_factor, wet_factor)) in
                    output.iter_mut().zip(input).zip(factors)
                {
                    let wet = state.convolver.process_sample(x);
                    let dry = f64::from(state.dry.read(state.dry.max_delay()));
                    state.dry.write(x);
                    *o = (dry * dry_factor + wet * wet_factor) as f32;
                }
            }
            start += n;
        }
    }

    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        match index {
            MIX => self.mix.set(value / 100.0, ramp_frames),
            GAIN => self.gain.set(db_to_gain(value), ramp_frames),
            _ => {}
        }
    }

    fn reset(&mut self) {
        self.mix.reset(self.initial_mix);
        self.gain.reset(self.initial_gain);
        for state in self.channels.iter_mut() {
            state.convolver.reset();
            state.dry.clear();
        }
    }

    fn latency(&self) -> usize {
        self.latency
    }

    fn tail(&self) -> usize {
        self.ir_len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, num, text};
    use crate::time::impulse_response::tests::write_wav;

    /// Direct time-domain convolution of `x` with `h`, as many frames as `x`.
    fn direct(x: &[f32], h: &[f32]) -> Vec<f64> {
        (0..x.len())
            .map(|n| {
                (0..h.len().min(n + 1))
                    .map(|k| f64::from(h[k]) * f64::from(x[n - k]))
                    .sum()
            })
            .collect()
    }

    /// Error energy relative to the reference energy, in dB.
    fn error_db(got: &[f32], want: &[f64]) -> f64 {
        let err: f64 = got
            .iter()
            .zip(want)
            .map(|(a, b)| (f64::from(*a) - b).powi(2))
            .sum();
        let power: f64 = want.iter().map(|b| b * b).sum();
        10.0 * (err / power).log10()
    }

    /// A decaying noise impulse response of `len` frames.
    fn decaying_ir(seed: u64, channels: usize, len: usize) -> Vec<Vec<f32>> {
        testkit::noise(seed, channels, len)
            .into_iter()
            .map(|c| {
                c.iter()
                    .enumerate()
                    .map(|(n, v)| v * (-(n as f32) / 800.0).exp())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn output_equals_direct_convolution_at_every_block_size() {
        let dir = tempfile::tempdir().unwrap();
        let sr = 48_000.0;
        let x = testkit::noise(5, 2, 12_000);
        for ir_len in [1, 1000, 2500, 3073] {
            let ir = decaying_ir(9, 2, ir_len);
            let path = dir.path().join(format!("ir{ir_len}.wav"));
            write_wav(&path, &ir, 48_000, 32, true);
            let params = [text("ir", path.to_str().unwrap()), num("mix", 100.0)];
            for block in [1, 64, 1000, 4096] {
                let out =
                    testkit::render(Convolution, &params, std::slice::from_ref(&x), sr, block);
                for ch in 0..2 {
                    let got = &out[0][ch];
                    assert!(
                        got[..PARTITION].iter().all(|v| *v == 0.0),
                        "latency is one partition"
                    );
                    let want = direct(&x[ch][..x[ch].len() - PARTITION], &ir[ch]);
                    let db = error_db(&got[PARTITION..], &want);
                    assert!(
                        db < -100.0,
                        "IR {ir_len}, block {block}, channel {ch}: error {db:.1} dB"
                    );
                }
            }
        }
    }

    #[test]
    fn a_mono_ir_serves_every_channel_and_mix_and_gain_scale_dry_and_wet() {
        let dir = tempfile::tempdir().unwrap();
        let ir = decaying_ir(2, 1, 700);
        let path = dir.path().join("mono.wav");
        write_wav(&path, &ir, 44_100, 32, true);
        let x = testkit::noise(3, 2, 4000);
        let params = [
            text("ir", path.to_str().unwrap()),
            num("mix", 30.0),
            num("gain", -6.0),
        ];
        let out = testkit::render(
            Convolution,
            &params,
            std::slice::from_ref(&x),
            44_100.0,
            256,
        );
        let g = 10f64.powf(-6.0 / 20.0);
        for ch in 0..2 {
            let wet = direct(&x[ch][..4000 - PARTITION], &ir[0]);
            let want: Vec<f64> = wet
                .iter()
                .zip(&x[ch])
                .map(|(w, d)| 0.7 * f64::from(*d) + 0.3 * g * w)
                .collect();
            let db = error_db(&out[0][ch][PARTITION..], &want);
            assert!(db < -100.0, "channel {ch}: {db:.1} dB");
        }
    }

    #[test]
    fn latency_and_tail_are_declared() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ir.wav");
        write_wav(&path, &decaying_ir(1, 2, 1234), 48_000, 32, true);
        let params = mixgraph_engine::Params::resolve(
            DESCRIPTOR.params,
            &[text("ir", path.to_str().unwrap())],
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
        let p = Convolution.activate(&config).unwrap();
        assert_eq!((p.latency(), p.tail()), (PARTITION, 1234));
    }

    #[test]
    fn a_relative_ir_path_resolves_against_the_chain_folder_and_a_rate_mismatch_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        write_wav(
            &dir.path().join("hall.wav"),
            &decaying_ir(1, 1, 100),
            44_100,
            32,
            true,
        );
        let params =
            mixgraph_engine::Params::resolve(DESCRIPTOR.params, &[text("ir", "hall.wav")]).unwrap();
        let mut config = NodeConfig {
            sample_rate: 44_100.0,
            max_block: 64,
            params: &params,
            input_channels: &[1],
            output_channels: &[1],
            base_dir: Some(dir.path().to_path_buf()),
        };
        assert!(Convolution.activate(&config).is_ok());
        config.sample_rate = 48_000.0;
        match Convolution.activate(&config) {
            Err(ActivateError::Invalid(m)) => {
                assert!(m.contains("44100 Hz") && m.contains("48000 Hz"), "{m}")
            }
            Err(e) => panic!("expected a rate mismatch, got {e}"),
            Ok(_) => panic!("expected a rate mismatch, got a processor"),
        }
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("contract.wav");
        write_wav(&path, &decaying_ir(4, 2, 1500), 48_000, 32, true);
        let params = [text("ir", path.to_str().unwrap()), num("mix", 60.0)];
        testkit::check_node_contract(Convolution, &params);
        // A stereo IR on a mono and on a 5.1 input (channel c uses IR channel c mod 2).
        testkit::check_node_contract_with_channels(Convolution, &params, &[1]);
        testkit::check_node_contract_with_channels(Convolution, &params, &[6]);
    }
}
