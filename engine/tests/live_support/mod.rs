//! Helpers shared by the live tests: run a live session's callback body by hand, the way a
//! device would, and render the same chain offline for comparison.

#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "shared by several test binaries, each using a part"
)]

use mixgraph_engine::live::{AudioCore, RingWriter};
use mixgraph_engine::{CompileConfig, Graph, compile};

use crate::common;

/// Plays planar inputs (one per ring, in ring order) into ring writers, as the decoder does.
pub struct Feeder {
    inputs: Vec<Vec<Vec<f32>>>,
    pos: Vec<usize>,
    scratch: Vec<f32>,
}

impl Feeder {
    /// A feeder of `inputs[ring][channel]`.
    pub fn new(inputs: Vec<Vec<Vec<f32>>>) -> Self {
        let pos = vec![0; inputs.len()];
        Feeder {
            inputs,
            pos,
            scratch: Vec::with_capacity(1 << 16),
        }
    }

    /// Pushes what fits, at most `limit` frames per ring, and finishes rings whose input is
    /// all in.
    pub fn feed(&mut self, writers: &mut [RingWriter], limit: usize) {
        for ((w, input), pos) in writers
            .iter_mut()
            .zip(&self.inputs)
            .zip(self.pos.iter_mut())
        {
            let len = input[0].len();
            let n = (len - *pos).min(w.free_frames()).min(limit);
            self.scratch.clear();
            for f in *pos..*pos + n {
                for ch in input {
                    self.scratch.push(ch[f]);
                }
            }
            assert_eq!(w.push_interleaved(&self.scratch), n);
            *pos += n;
            if *pos == len && !w.is_finished() {
                w.finish();
            }
        }
    }
}

/// Renders one callback of `frames` frames into a fresh buffer and appends it, per device
/// channel, to `out`.
pub fn callback(core: &mut AudioCore, frames: usize, out: &mut [Vec<f32>]) {
    let channels = out.len();
    let mut data = vec![f32::NAN; frames * channels];
    core.render(&mut data);
    for (i, x) in data.iter().enumerate() {
        out[i % channels].push(*x);
    }
}

/// Renders `graph` offline over `inputs` (by schedule input order, shorter ones padded with
/// silence) for `len` frames and returns the first output's channels.
pub fn offline(graph: &Graph, inputs: &[Vec<Vec<f32>>], len: usize, block: usize) -> Vec<Vec<f32>> {
    let mut s = compile(graph, &CompileConfig::new(48_000.0, block)).unwrap();
    let padded: Vec<Vec<Vec<f32>>> = inputs
        .iter()
        .map(|chans| chans.iter().map(|c| pad(c, len)).collect())
        .collect();
    common::run(&mut s, &padded, len, block).remove(0)
}

/// `x` cut or padded with silence to `len`.
pub fn pad(x: &[f32], len: usize) -> Vec<f32> {
    let mut v = x[..x.len().min(len)].to_vec();
    v.resize(len, 0.0);
    v
}

/// The largest absolute difference.
pub fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}
