//! The audio callback allocates nothing: a counting global allocator watches the callback
//! body ([`AudioCore::render`], exactly what the cpal callback calls) through more than
//! 10,000 callbacks of changing sizes, in float and integer formats, with two hot swaps (one
//! carrying state over, one crossfading), a parameter edit, live parameter changes, an
//! underrun and the end of the input with its tail. Only allocations made while the callback
//! runs are counted; the control work in between (compiling, feeding, meters) may allocate.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

mod common;

use mixgraph_engine::alloc_counter::{self, CountingAllocator};

use common::*;
use mixgraph_engine::live::{AssembleOptions, AudioCore, ReloadOutcome, RingWriter, assemble};
use mixgraph_engine::{AutomationLane, Breakpoint, CompileConfig, Curve, Graph, ParamValue};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Runs one callback while counting.
fn watched<T>(core: &mut AudioCore, data: &mut [T])
where
    T: cpal::Sample + cpal::FromSample<f32>,
{
    alloc_counter::watch(true);
    core.render(data);
    alloc_counter::watch(false);
}

/// The chain: a (stereo) -> lag -> mix; b (mono) -> s1 (automated) -> mix; mix -> fb -> mix
/// (a feedback loop); mix -> [extra] -> out. `prefix` renames the processing nodes.
fn chain(prefix: &str, extra: bool, k: f64) -> Graph {
    let c = catalog();
    let mut g = Graph::new();
    let a = input(&mut g, &c, "a", 2);
    let b = input(&mut g, &c, "b", 1);
    let lag = add(
        &mut g,
        &c,
        &format!("{prefix}lag"),
        "lag",
        &[("frames", 300.0)],
    );
    let s1 = add(&mut g, &c, &format!("{prefix}s1"), "scale", &[("k", k)]);
    let mix = add(&mut g, &c, &format!("{prefix}mix"), "scale", &[("k", 0.5)]);
    let fb = add(&mut g, &c, "fb", "feedback", &[("delay", 50.0)]);
    let out = add(&mut g, &c, "out", "output", &[]);
    wire(&mut g, a, lag);
    wire(&mut g, lag, mix);
    wire(&mut g, b, s1);
    wire(&mut g, s1, mix);
    wire(&mut g, mix, fb);
    wire(&mut g, fb, mix);
    if extra {
        let x = add(
            &mut g,
            &c,
            &format!("{prefix}extra"),
            "scale",
            &[("k", 0.9)],
        );
        wire(&mut g, mix, x);
        wire(&mut g, x, out);
    } else {
        wire(&mut g, mix, out);
    }
    let points = (0..40)
        .map(|n| Breakpoint {
            time: n as f64 * 0.25,
            value: (n % 3) as f64 - 1.0,
            curve: Curve::Linear,
        })
        .collect();
    g.add_automation(
        s1,
        AutomationLane {
            param: "k".into(),
            points,
        },
    )
    .unwrap();
    g
}

/// Pushes noise into every ring, as much as fits but at most `limit` frames each.
fn feed(writers: &mut [RingWriter], noise_block: &[f32], limit: usize) {
    for w in writers.iter_mut() {
        let channels = w.channels();
        let frames = w.free_frames().min(limit).min(noise_block.len() / channels);
        w.push_interleaved(&noise_block[..frames * channels]);
    }
}

#[test]
fn ten_thousand_callbacks_with_hot_swaps_allocate_nothing_on_the_audio_thread() {
    let options = AssembleOptions {
        device_channels: 2,
        fade_ms: 5.0,
        ring_frames: 8192,
        ..AssembleOptions::default()
    };
    let mut parts = assemble(
        &chain("", false, 1.0),
        CompileConfig::new(48_000.0, 128),
        &options,
    )
    .unwrap();
    let noise_block = noise(11, 4096);
    let sizes = [64usize, 37, 128, 200, 1, 512];
    let mut float_buffers: Vec<Vec<f32>> = sizes.iter().map(|n| vec![0.0; n * 2]).collect();
    let mut int_buffers: Vec<Vec<i16>> = sizes.iter().map(|n| vec![0; n * 2]).collect();
    let callbacks = 12_000;
    let mut loudest = 0.0f32;
    for i in 0..callbacks {
        // Control-thread work, not counted.
        if !(5000..5100).contains(&i) && i < 11_000 {
            feed(&mut parts.writers, &noise_block, 1024);
        }
        match i {
            2000 => {
                let outcome = parts.controller.reload(&chain("", true, 1.0)).unwrap();
                assert!(
                    matches!(
                        outcome,
                        ReloadOutcome::Swapped {
                            crossfade: false,
                            carried: 3,
                            ..
                        }
                    ),
                    "{outcome:?}"
                );
            }
            4000 => {
                let outcome = parts.controller.reload(&chain("new_", true, 1.0)).unwrap();
                assert!(
                    matches!(
                        outcome,
                        ReloadOutcome::Swapped {
                            crossfade: true,
                            ..
                        }
                    ),
                    "{outcome:?}"
                );
            }
            6000 => {
                let outcome = parts.controller.reload(&chain("new_", true, 2.0)).unwrap();
                assert_eq!(outcome, ReloadOutcome::Parameters { changed: 1 });
            }
            7000 => parts
                .controller
                .set_param("new_extra", "k", &ParamValue::Number(0.25))
                .unwrap(),
            11_000 => parts.writers.iter().for_each(RingWriter::finish),
            _ => {}
        }
        if i % 50 == 0 {
            if let Some(p) = parts.controller.meter().peak_dbfs.first() {
                loudest = loudest.max(*p as f32);
            }
            parts.controller.collect();
        }
        // The callback, counted.
        let k = i % sizes.len();
        if i % 3 == 0 {
            watched(&mut parts.core, &mut int_buffers[k]);
        } else {
            watched(&mut parts.core, &mut float_buffers[k]);
        }
    }
    let count = alloc_counter::count();
    assert_eq!(count, 0, "{count} allocations in {callbacks} callbacks");
    let status = parts.controller.status();
    assert_eq!(
        (status.swaps, status.generation),
        (2, 2),
        "both swaps happened"
    );
    assert!(
        status.underruns > 0,
        "the starved stretch counted underruns"
    );
    assert!(status.finished, "the end and the tail were played");
    assert!(loudest > -40.0, "the chain made sound: peak {loudest} dBFS");
    assert_eq!(
        parts.controller.collect(),
        0,
        "retired chains were collected along the way"
    );

    // The counter works: an allocation while watching is seen.
    alloc_counter::watch(true);
    let v: Vec<u8> = Vec::with_capacity(10);
    alloc_counter::watch(false);
    drop(v);
    assert!(alloc_counter::count() >= 1);
}
