//! Shared helpers of the offline tests: WAV fixtures written with hound, hand-made AIFF and
//! FLAC files, graphs built by hand from the builtin nodes, and small test-only node types.

#![allow(
    clippy::unwrap_used,
    dead_code,
    reason = "test support: a failure here is a failed test"
)]

use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mixgraph_engine::{
    ActivateError, Catalog, Category, Channels, Graph, NodeConfig, NodeDescriptor, NodeId,
    NodeType, ParamSpec, ParamValue, PortSpec, ProcessContext, Processor, Reading, ReadingValue,
    Unit,
};

/// Planar audio: one vector per channel.
pub type Planar = Vec<Vec<f32>>;

/// Stored sample formats of fixtures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fixture {
    /// 16-bit integer.
    Int16,
    /// 24-bit integer.
    Int24,
    /// 32-bit float.
    Float32,
}

/// Writes planar audio to a WAV file with hound; integer formats round to the grid.
pub fn write_wav(path: &Path, rate: u32, audio: &Planar, fixture: Fixture) {
    let (bits, format) = match fixture {
        Fixture::Int16 => (16, hound::SampleFormat::Int),
        Fixture::Int24 => (24, hound::SampleFormat::Int),
        Fixture::Float32 => (32, hound::SampleFormat::Float),
    };
    let spec = hound::WavSpec {
        channels: audio.len() as u16,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: format,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let frames = audio.first().map_or(0, Vec::len);
    for f in 0..frames {
        for ch in audio {
            match fixture {
                Fixture::Int16 => w
                    .write_sample(
                        (f64::from(ch[f]) * 32768.0)
                            .round()
                            .clamp(-32768.0, 32767.0) as i16,
                    )
                    .unwrap(),
                Fixture::Int24 => {
                    w.write_sample(
                        (f64::from(ch[f]) * 8_388_608.0)
                            .round()
                            .clamp(-8_388_608.0, 8_388_607.0) as i32,
                    )
                    .unwrap();
                }
                Fixture::Float32 => w.write_sample(ch[f]).unwrap(),
            }
        }
    }
    w.finalize().unwrap();
}

/// A WAV file read back with hound (independently of the engine's reader).
pub struct WavData {
    /// The header.
    pub spec: hound::WavSpec,
    /// Integer samples (empty for float files), planar.
    pub ints: Vec<Vec<i32>>,
    /// Samples as f32 at full scale 1.0, planar.
    pub floats: Planar,
}

/// Reads a WAV file with hound.
pub fn read_wav(path: &Path) -> WavData {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let channels = spec.channels as usize;
    let mut ints = vec![Vec::new(); channels];
    let mut floats = vec![Vec::new(); channels];
    match spec.sample_format {
        hound::SampleFormat::Int => {
            let scale = f64::from(1u32 << (spec.bits_per_sample - 1));
            for (i, s) in r.samples::<i32>().enumerate() {
                let s = s.unwrap();
                ints[i % channels].push(s);
                floats[i % channels].push((f64::from(s) / scale) as f32);
            }
        }
        hound::SampleFormat::Float => {
            ints.clear();
            for (i, s) in r.samples::<f32>().enumerate() {
                floats[i % channels].push(s.unwrap());
            }
        }
    }
    WavData { spec, ints, floats }
}

/// A sine of `len` frames.
pub fn sine(freq: f64, rate: u32, amp: f64, phase: f64, len: usize) -> Vec<f32> {
    (0..len)
        .map(|n| (amp * (2.0 * PI * freq * n as f64 / f64::from(rate) + phase).sin()) as f32)
        .collect()
}

/// Deterministic noise on the 24-bit grid (values k / 2^23), full range.
pub fn grid_noise_24(seed: u64, len: usize) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let k = ((s >> 40) as i32) - (1 << 23);
            k as f32 / 8_388_608.0
        })
        .collect()
}

/// Files in a folder, sorted (to check nothing is left behind).
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// A graph builder over the builtin catalog.
pub struct GraphBuilder {
    /// The graph.
    pub graph: Graph,
    catalog: Catalog,
}

impl Default for GraphBuilder {
    fn default() -> Self {
        GraphBuilder {
            graph: Graph::new(),
            catalog: Catalog::with_builtins(),
        }
    }
}

impl GraphBuilder {
    /// An input node, with `channels` declared (0: take the file's).
    pub fn input(&mut self, name: &str, channels: usize) -> NodeId {
        let params = [("channels".to_string(), ParamValue::Number(channels as f64))];
        self.graph
            .add_node(name, self.catalog.get("input").unwrap(), &params)
            .unwrap()
    }

    /// An output node.
    pub fn output(&mut self, name: &str) -> NodeId {
        self.graph
            .add_node(name, self.catalog.get("output").unwrap(), &[])
            .unwrap()
    }

    /// A node of a test type.
    pub fn node(&mut self, name: &str, kind: impl NodeType, params: &[(&str, f64)]) -> NodeId {
        let params: Vec<(String, ParamValue)> = params
            .iter()
            .map(|(n, v)| (n.to_string(), ParamValue::Number(*v)))
            .collect();
        self.graph.add_node(name, Arc::new(kind), &params).unwrap()
    }

    /// Connects main ports.
    pub fn wire(&mut self, from: NodeId, to: NodeId) {
        self.graph.connect_ports(from, 0, to, 0).unwrap();
    }
}

/// `input` -> `output`, with the input declaring `channels` (0: the file's).
pub fn passthrough(channels: usize) -> Graph {
    let mut b = GraphBuilder::default();
    let i = b.input("in", channels);
    let o = b.output("out");
    b.wire(i, o);
    b.graph
}

/// Test node: multiplies by a linear factor.
pub struct Scale;

static SCALE: NodeDescriptor = NodeDescriptor {
    kind: "test_scale",
    doc: "Multiplies by a factor (test only)",
    category: Category::Level,
    source: "engine/tests/offline_support/mod.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[ParamSpec::number(
        "factor",
        "Factor",
        Unit::Factor,
        -10.0,
        10.0,
        1.0,
        0.0,
    )],
};

impl NodeType for Scale {
    fn descriptor(&self) -> &NodeDescriptor {
        &SCALE
    }
    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(Box::new(ScaleProcessor(
            config.params.number("factor") as f32
        )))
    }
}

struct ScaleProcessor(f32);

impl Processor for ScaleProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        for ch in 0..ctx.outputs.channels(0) {
            let x = ctx.inputs.channel(0, ch);
            for (o, i) in ctx.outputs.channel(0, ch).iter_mut().zip(x) {
                *o = i * self.0;
            }
        }
    }
    fn reset(&mut self) {}
}

/// Test node: a pure delay of `frames` frames that declares it as latency (a look-ahead
/// limiter, say, delays its output the same way).
pub struct Lookahead;

static LOOKAHEAD: NodeDescriptor = NodeDescriptor {
    kind: "test_lookahead",
    doc: "Delays by `frames` and declares that latency (test only)",
    category: Category::Dynamics,
    source: "engine/tests/offline_support/mod.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[ParamSpec::number(
        "frames",
        "Delay",
        Unit::Samples,
        0.0,
        100_000.0,
        0.0,
        0.0,
    )],
};

impl NodeType for Lookahead {
    fn descriptor(&self) -> &NodeDescriptor {
        &LOOKAHEAD
    }
    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let delay = config.params.number("frames") as usize;
        let channels = config.input_channels.first().copied().unwrap_or(1);
        Ok(Box::new(DelayProcessor {
            delay,
            echo: false,
            lines: vec![vec![0.0; delay.max(1)]; channels],
            pos: 0,
        }))
    }
}

/// Test node: adds an echo `frames` later (output = input + delayed input) and declares the
/// echo as tail.
pub struct Echo;

static ECHO: NodeDescriptor = NodeDescriptor {
    kind: "test_echo",
    doc: "Adds one echo `frames` later and declares it as tail (test only)",
    category: Category::Time,
    source: "engine/tests/offline_support/mod.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[ParamSpec::number(
        "frames",
        "Echo delay",
        Unit::Samples,
        1.0,
        100_000.0,
        1.0,
        0.0,
    )],
};

impl NodeType for Echo {
    fn descriptor(&self) -> &NodeDescriptor {
        &ECHO
    }
    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let delay = config.params.number("frames") as usize;
        let channels = config.input_channels.first().copied().unwrap_or(1);
        Ok(Box::new(DelayProcessor {
            delay,
            echo: true,
            lines: vec![vec![0.0; delay.max(1)]; channels],
            pos: 0,
        }))
    }
}

struct DelayProcessor {
    delay: usize,
    echo: bool,
    lines: Vec<Vec<f32>>,
    pos: usize,
}

impl Processor for DelayProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let frames = ctx.frames();
        let len = self.delay.max(1);
        for (ch, line) in self.lines.iter_mut().enumerate() {
            let x = ctx.inputs.channel(0, ch);
            let out = ctx.outputs.channel(0, ch);
            let mut pos = self.pos;
            for (o, i) in out.iter_mut().zip(x) {
                let delayed = if self.delay == 0 { *i } else { line[pos] };
                line[pos] = *i;
                pos = (pos + 1) % len;
                *o = if self.echo { i + delayed } else { delayed };
            }
        }
        self.pos = (self.pos + frames) % len;
    }
    fn reset(&mut self) {
        self.lines.iter_mut().for_each(|l| l.fill(0.0));
        self.pos = 0;
    }
    fn latency(&self) -> usize {
        if self.echo { 0 } else { self.delay }
    }
    fn tail(&self) -> usize {
        if self.echo { self.delay } else { 0 }
    }
}

/// Test node: passes audio through and reports the sample peak and the frame count.
pub struct PeakMeter;

static PEAK_METER: NodeDescriptor = NodeDescriptor {
    kind: "test_peak",
    doc: "Reports sample peak and frames seen (test only)",
    category: Category::Meter,
    source: "engine/tests/offline_support/mod.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::SameAsInput(0))],
    params: &[],
};

impl NodeType for PeakMeter {
    fn descriptor(&self) -> &NodeDescriptor {
        &PEAK_METER
    }
    fn activate(&self, _config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(Box::new(PeakProcessor {
            peak: 0.0,
            frames: 0,
        }))
    }
}

struct PeakProcessor {
    peak: f32,
    frames: u64,
}

impl Processor for PeakProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        for ch in 0..ctx.outputs.channels(0) {
            let x = ctx.inputs.channel(0, ch);
            for (o, i) in ctx.outputs.channel(0, ch).iter_mut().zip(x) {
                self.peak = self.peak.max(i.abs());
                *o = *i;
            }
        }
        self.frames += ctx.frames() as u64;
    }
    fn reset(&mut self) {
        self.peak = 0.0;
        self.frames = 0;
    }
    fn readings(&self) -> Vec<Reading> {
        vec![
            Reading {
                name: "peak",
                value: ReadingValue::Scalar(f64::from(self.peak)),
                unit: Unit::Factor,
            },
            Reading {
                name: "frames",
                value: ReadingValue::Scalar(self.frames as f64),
                unit: Unit::Samples,
            },
        ]
    }
}

/// A 16-bit big-endian AIFF file, built by hand (the format is simple and fixed).
pub fn aiff_16(rate: u32, audio: &[Vec<i16>]) -> Vec<u8> {
    let channels = audio.len() as u16;
    let frames = audio.first().map_or(0, Vec::len) as u32;
    let mut ssnd = Vec::new();
    ssnd.extend_from_slice(&0u32.to_be_bytes()); // offset
    ssnd.extend_from_slice(&0u32.to_be_bytes()); // block size
    for f in 0..frames as usize {
        for ch in audio {
            ssnd.extend_from_slice(&ch[f].to_be_bytes());
        }
    }
    let mut comm = Vec::new();
    comm.extend_from_slice(&channels.to_be_bytes());
    comm.extend_from_slice(&frames.to_be_bytes());
    comm.extend_from_slice(&16u16.to_be_bytes());
    comm.extend_from_slice(&extended_80(f64::from(rate)));
    let mut body = Vec::new();
    body.extend_from_slice(b"AIFF");
    for (id, chunk) in [(b"COMM", &comm), (b"SSND", &ssnd)] {
        body.extend_from_slice(id);
        body.extend_from_slice(&(chunk.len() as u32).to_be_bytes());
        body.extend_from_slice(chunk);
    }
    let mut file = b"FORM".to_vec();
    file.extend_from_slice(&(body.len() as u32).to_be_bytes());
    file.extend_from_slice(&body);
    file
}

/// An IEEE 754 80-bit extended float (AIFF's sample-rate field), for positive integers.
fn extended_80(value: f64) -> [u8; 10] {
    let v = value as u64;
    let exponent = 63 - v.leading_zeros() as u16;
    let mantissa = v << (63 - exponent);
    let mut out = [0u8; 10];
    out[..2].copy_from_slice(&(16383 + exponent).to_be_bytes());
    out[2..].copy_from_slice(&mantissa.to_be_bytes());
    out
}

/// A 16-bit FLAC file with VERBATIM subframes and a fixed block size, built by hand so
/// the test does not depend on an encoder.
pub fn flac_16(rate: u32, audio: &[Vec<i16>], block: usize) -> Vec<u8> {
    let channels = audio.len();
    let total = audio.first().map_or(0, Vec::len);
    let mut out = b"fLaC".to_vec();
    // STREAMINFO, last metadata block.
    out.extend_from_slice(&[0x80, 0, 0, 34]);
    let mut bits = BitWriter::default();
    bits.put(block as u64, 16);
    bits.put(block as u64, 16);
    bits.put(0, 24);
    bits.put(0, 24);
    bits.put(u64::from(rate), 20);
    bits.put(channels as u64 - 1, 3);
    bits.put(15, 5);
    bits.put(total as u64, 36);
    bits.put(0, 64);
    bits.put(0, 64);
    out.extend_from_slice(&bits.bytes);
    for (index, start) in (0..total).step_by(block).enumerate() {
        let n = block.min(total - start);
        let mut frame = BitWriter::default();
        frame.put(0x3ffe, 14); // sync code 11111111111110
        frame.put(0, 1); // reserved
        frame.put(0, 1); // fixed block size
        frame.put(0b0111, 4); // block size: 16 bits at the end of the header
        frame.put(0b0000, 4); // sample rate: from STREAMINFO
        frame.put(channels as u64 - 1, 4); // independent channels
        frame.put(0b100, 3); // 16 bits per sample
        frame.put(0, 1);
        assert!(
            index < 128,
            "frame numbers above 127 need multi-byte UTF-8 coding"
        );
        frame.put(index as u64, 8);
        frame.put(n as u64 - 1, 16);
        let crc = crc8(&frame.bytes);
        frame.put(u64::from(crc), 8);
        for ch in audio {
            frame.put(0b0000_0010, 8); // VERBATIM, no wasted bits
            for s in &ch[start..start + n] {
                frame.put(u64::from(*s as u16), 16);
            }
        }
        let crc = crc16(&frame.bytes);
        frame.put(u64::from(crc), 16);
        out.extend_from_slice(&frame.bytes);
    }
    out
}

#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    used: u32,
}

impl BitWriter {
    /// Appends the low `count` bits of `value`, most significant first.
    fn put(&mut self, value: u64, count: u32) {
        for i in (0..count).rev() {
            if self.used == 0 {
                self.bytes.push(0);
            }
            let bit = ((value >> i) & 1) as u8;
            let last = self.bytes.len() - 1;
            self.bytes[last] |= bit << (7 - self.used);
            self.used = (self.used + 1) % 8;
        }
    }
}

fn crc8(data: &[u8]) -> u8 {
    let mut crc = 0u8;
    for &b in data {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x07
            } else {
                crc << 1
            };
        }
    }
    crc
}

fn crc16(data: &[u8]) -> u16 {
    let mut crc = 0u16;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x8005
            } else {
                crc << 1
            };
        }
    }
    crc
}
