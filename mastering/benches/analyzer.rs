//! Analysis speed on 44.1 kHz stereo (the target is at least 300x realtime on one core):
//! the whole `Analyzer`, and the bare ebur128 meter in the same modes for comparison.
//!
//! Run: `cargo bench -p mixgraph-mastering --bench analyzer`. Realtime factor = the reported
//! element throughput (frames/s) divided by 44,100.

#![allow(clippy::unwrap_used, reason = "benchmark setup")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mixgraph_mastering::Analyzer;

const RATE: u32 = 44_100;
const SECONDS: usize = 30;
const BLOCK: usize = 4096;

/// A music-like test signal: a few sines plus pseudo-random noise, different per channel.
fn signal() -> [Vec<f32>; 2] {
    let frames = RATE as usize * SECONDS;
    let mut seed = 0x2545_f491_u32;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as f32 / u32::MAX as f32 - 0.5
    };
    let mut left = Vec::with_capacity(frames);
    let mut right = Vec::with_capacity(frames);
    for i in 0..frames {
        let t = i as f32 / RATE as f32;
        let tone = 0.3 * (std::f32::consts::TAU * 110.0 * t).sin()
            + 0.1 * (std::f32::consts::TAU * 1760.0 * t).sin();
        left.push(tone + 0.2 * noise());
        right.push(0.9 * tone + 0.2 * noise());
    }
    [left, right]
}

fn bench(c: &mut Criterion) {
    let [left, right] = signal();
    let mut group = c.benchmark_group("analysis 30 s 44.1 kHz stereo");
    group.throughput(Throughput::Elements(left.len() as u64));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("Analyzer", |b| {
        b.iter(|| {
            let mut analyzer = Analyzer::new(RATE, 2).unwrap();
            for (l, r) in left.chunks(BLOCK).zip(right.chunks(BLOCK)) {
                analyzer.push(&[l, r]).unwrap();
            }
            black_box(analyzer.finish())
        })
    });
    group.bench_function("bare ebur128 I+LRA+TRUE_PEAK", |b| {
        b.iter(|| {
            use ebur128::{EbuR128, Mode};
            let mut meter = EbuR128::new(2, RATE, Mode::I | Mode::LRA | Mode::TRUE_PEAK).unwrap();
            for (l, r) in left.chunks(BLOCK).zip(right.chunks(BLOCK)) {
                meter.add_frames_planar_f32(&[l, r]).unwrap();
            }
            black_box((
                meter.loudness_global().unwrap(),
                meter.true_peak(0).unwrap(),
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
