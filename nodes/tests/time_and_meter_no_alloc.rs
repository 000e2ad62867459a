//! The time-effect and meter nodes allocate nothing while processing: a counting global
//! allocator watches this thread while each node runs through a schedule, at uneven block
//! sizes, across parameter changes, and (for the loudness meter) across the 100 ms block,
//! 400 ms momentary, 3 s short-term and loudness-range updates of `ebur128`.

#![allow(clippy::unwrap_used, reason = "test")]

use mixgraph_engine::alloc_counter::{self, CountingAllocator};
use std::sync::Arc;

use mixgraph_engine::{CompileConfig, NodeType, ParamValue, Schedule, compile};
use mixgraph_nodes::testkit::{self, num, text};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn schedule(
    node: Arc<dyn NodeType>,
    params: &[(String, ParamValue)],
    channels: usize,
    max_block: usize,
    sample_rate: f64,
) -> Schedule {
    let g = testkit::graph_for(node, params, 1);
    let mut config = CompileConfig::new(sample_rate, max_block);
    config.input_channels.insert("in0".to_string(), channels);
    compile(&g, &config).unwrap()
}

/// Runs `seconds` of noise through the schedule in uneven blocks, changing parameter
/// `changes` (index, value) along the way; returns the allocations counted.
fn run(s: &mut Schedule, channels: usize, seconds: f64, changes: &[(usize, f64)]) -> u64 {
    let max_block = s.max_block();
    let x = testkit::noise(3, channels, max_block);
    let node = s.node_index("node").unwrap();
    let total = (seconds * s.sample_rate()) as usize;
    let blocks = [max_block, 1, 37, max_block / 2, 480, 3];
    alloc_counter::count_allocations(|| {
        let mut done = 0;
        let mut k = 0;
        while done < total {
            let n = blocks[k % blocks.len()].min(max_block);
            for (ch, data) in x.iter().enumerate() {
                s.input_buffer(0, ch)[..n].copy_from_slice(&data[..n]);
            }
            s.process(n);
            if let Some(&(param, value)) = changes.get(k % 50) {
                s.set_param(node, param, value);
            }
            done += n;
            k += 1;
        }
    })
    .1
}

#[test]
fn delay_and_reverb_process_without_allocating() {
    let mut d = schedule(
        Arc::new(mixgraph_nodes::time::delay::Delay),
        &[num("feedback", 80.0), num("damping", 4000.0)],
        2,
        1024,
        48_000.0,
    );
    assert_eq!(
        run(
            &mut d,
            2,
            1.0,
            &[
                (0, 120.0),
                (5, 2500.0),
                (1, 1.0),
                (3, 0.5),
                (6, 40.0),
                (1, 0.0)
            ]
        ),
        0
    );
    let mut r = schedule(
        Arc::new(mixgraph_nodes::time::reverb::Reverb),
        &[],
        2,
        1024,
        48_000.0,
    );
    assert_eq!(
        run(
            &mut r,
            2,
            1.0,
            &[(0, 4.0), (1, 120.0), (2, 80.0), (3, 10.0), (4, 70.0)]
        ),
        0
    );
}

#[test]
fn convolution_processes_without_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ir.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for v in testkit::noise(5, 1, 2 * 5000).remove(0) {
        w.write_sample(v * 0.1).unwrap();
    }
    w.finalize().unwrap();
    let mut s = schedule(
        Arc::new(mixgraph_nodes::time::convolution::Convolution),
        &[text("ir", path.to_str().unwrap())],
        2,
        4096,
        48_000.0,
    );
    assert_eq!(run(&mut s, 2, 1.0, &[(1, 50.0), (2, -6.0)]), 0);
}

#[test]
fn meters_process_without_allocating() {
    use mixgraph_nodes::meter::{
        correlation_meter::CorrelationMeter, peak_meter::PeakMeter, spectrum::Spectrum,
    };
    let meters: [Arc<dyn NodeType>; 3] = [
        Arc::new(PeakMeter),
        Arc::new(CorrelationMeter),
        Arc::new(Spectrum),
    ];
    for meter in meters {
        let mut s = schedule(meter, &[], 2, 2048, 48_000.0);
        assert_eq!(run(&mut s, 2, 0.5, &[]), 0);
    }
}

#[test]
fn the_loudness_meter_processes_without_allocating() {
    // 5.1 for 4 s: past the first momentary (400 ms), short-term (3 s) and loudness range
    // blocks, so every ebur128 path of the audio thread has run.
    let meter = Arc::new(mixgraph_nodes::meter::loudness_meter::LoudnessMeter);
    let mut s = schedule(meter.clone(), &[], 6, 4096, 48_000.0);
    assert_eq!(run(&mut s, 6, 4.0, &[]), 0);
    assert!(
        s.readings()
            .iter()
            .any(|(_, _, r)| r.iter().any(|r| r.name == "short_term_max"))
    );
    // Mono at 8 kHz for 600 s: more gating blocks than ebur128's queues hold by default
    // (500 s); the meter reserved room for them.
    let mut s = schedule(meter, &[], 1, 4096, 8000.0);
    assert_eq!(run(&mut s, 1, 600.0, &[]), 0);
    assert!(
        s.readings()
            .iter()
            .any(|(_, _, r)| r.iter().any(|r| r.name == "integrated"))
    );
}

#[test]
fn ebur128_allocates_past_500_s_unless_its_history_is_reserved() {
    // Why the loudness meter reserves its history: ebur128 keeps every 400 ms gating block in
    // a VecDeque that starts with room for 5000 blocks (500 s) and grows after.
    use ebur128::{EbuR128, Mode};
    let mut e = EbuR128::new(1, 8000, Mode::I).unwrap();
    // A 1 kHz tone (K-weighting removes DC, and silent blocks are not stored).
    let x: Vec<f32> = (0..8000)
        .map(|n| [0.0, 0.7, 1.0, 0.7, 0.0, -0.7, -1.0, -0.7][n % 8] * 0.25)
        .collect();
    let mut grew = 0;
    for _ in 0..520 {
        grew += alloc_counter::count_allocations(|| e.add_frames_f32(&x).unwrap()).1;
    }
    assert!(
        grew > 0,
        "ebur128 queue mode no longer allocates: the histogram mode may be unnecessary"
    );
    let mut h = EbuR128::new(1, 8000, Mode::I).unwrap();
    h.set_max_history(3_600_000).unwrap();
    h.reset();
    let mut none = 0;
    for _ in 0..520 {
        none += alloc_counter::count_allocations(|| h.add_frames_f32(&x).unwrap()).1;
    }
    assert_eq!(none, 0);
}
