//! The live runtime without a sound card: the callback body is driven by hand with the
//! callback sizes a device might use, and what it plays is compared with the offline render
//! of the same chain (or a computation of the expected handover written here).

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

mod common;
mod live_support;

use std::f64::consts::FRAC_PI_2;
use std::time::Duration;

use common::*;
use live_support::*;
use mixgraph_engine::live::{AssembleOptions, LiveError, LiveParts, ReloadOutcome, assemble};
use mixgraph_engine::{CompileConfig, Graph, ParamValue};

const BLOCK: usize = 128;

fn config() -> CompileConfig {
    CompileConfig::new(48_000.0, BLOCK)
}

/// The live parts for a stereo device.
fn parts(g: &Graph, fade_ms: f64) -> LiveParts {
    assemble(
        g,
        config(),
        &AssembleOptions {
            fade_ms,
            device_channels: 2,
            ..AssembleOptions::default()
        },
    )
    .unwrap()
}

/// A node as (name, kind, numeric params).
type NodeSpec<'a> = (&'a str, &'a str, &'a [(&'a str, f64)]);

/// in `a` (mono) -> nodes in series -> out.
fn series(nodes: &[NodeSpec<'_>]) -> Graph {
    let c = catalog();
    let mut g = Graph::new();
    let mut last = input(&mut g, &c, "a", 1);
    for (name, kind, params) in nodes {
        let n = add(&mut g, &c, name, kind, params);
        wire(&mut g, last, n);
        last = n;
    }
    let out = add(&mut g, &c, "out", "output", &[]);
    wire(&mut g, last, out);
    g
}

/// Plays `frames` frames in callbacks of `size`, feeding the rings fully before each.
fn play(p: &mut LiveParts, feeder: &mut Feeder, frames: usize, size: usize, out: &mut [Vec<f32>]) {
    let mut done = 0;
    while done < frames {
        let n = size.min(frames - done);
        feeder.feed(&mut p.writers, usize::MAX);
        callback(&mut p.core, n, out);
        done += n;
    }
}

#[test]
fn live_output_equals_the_offline_render_for_any_callback_size() {
    let c = catalog();
    let mut g = Graph::new();
    let a = input(&mut g, &c, "a", 2);
    let b = input(&mut g, &c, "b", 1);
    let lag = add(&mut g, &c, "lag", "lag", &[("frames", 300.0)]);
    let s1 = add(&mut g, &c, "s1", "scale", &[("k", 0.5)]);
    let mix = add(&mut g, &c, "mix", "scale", &[("k", 0.7)]);
    let out = add(&mut g, &c, "out", "output", &[]);
    wire(&mut g, a, lag);
    wire(&mut g, lag, mix);
    wire(&mut g, b, s1);
    wire(&mut g, s1, mix);
    wire(&mut g, mix, out);
    let inputs = vec![vec![noise(1, 5000), noise(2, 5000)], vec![noise(3, 3000)]];
    let expected = offline(&g, &inputs, 5300, 1000);

    for sizes in [&[64usize][..], &[1, 7, 333, 1024, 100, 128, 129]] {
        let mut p = parts(&g, 20.0);
        let mut feeder = Feeder::new(inputs.clone());
        let mut live = vec![Vec::new(), Vec::new()];
        let mut calls = 0;
        while !p.controller.is_finished() {
            feeder.feed(&mut p.writers, usize::MAX);
            callback(&mut p.core, sizes[calls % sizes.len()], &mut live);
            calls += 1;
            assert!(calls < 100_000, "never finished");
        }
        let played = live[0].len();
        assert!(
            played >= 5300,
            "finished after {played} frames, before the latency of 300 was played out"
        );
        for ch in 0..2 {
            assert_eq!(
                live[ch][..5300],
                expected[ch][..],
                "channel {ch}, callbacks {sizes:?}"
            );
            assert!(live[ch][5300..].iter().all(|&x| x == 0.0));
        }
        let status = p.controller.status();
        assert_eq!((status.underruns, status.frames_played), (0, played as u64));
        // Once finished, the callback plays silence.
        let mut after = vec![Vec::new(), Vec::new()];
        callback(&mut p.core, 64, &mut after);
        assert!(after.iter().flatten().all(|&x| x == 0.0));
    }
}

#[test]
fn a_starved_input_counts_underruns_and_plays_silence_in_their_place() {
    let g = series(&[]);
    let x = noise(4, 2000);
    let mut p = parts(&g, 20.0);
    let mut feeder = Feeder::new(vec![vec![x.clone()]]);
    let mut live = vec![Vec::new(), Vec::new()];
    for _ in 0..10 {
        feeder.feed(&mut p.writers, 32);
        callback(&mut p.core, 64, &mut live);
    }
    assert_eq!(p.controller.status().underruns, 10);
    for k in 0..10 {
        let block = &live[0][k * 64..(k + 1) * 64];
        assert_eq!(
            block[..32],
            x[k * 32..(k + 1) * 32],
            "callback {k}: the frames that were there play"
        );
        assert!(
            block[32..].iter().all(|&s| s == 0.0),
            "callback {k}: silence for the missing frames"
        );
    }
    assert_eq!(live[0], live[1], "mono output on both device channels");
}

#[test]
fn a_parameter_edit_reaches_the_playing_chain_smoothed_like_an_offline_set_param() {
    let old = series(&[("g", "scale", &[("k", 1.0)])]);
    let new = series(&[("g", "scale", &[("k", 0.25)])]);
    let x = noise(5, 3000);
    let mut p = parts(&old, 20.0);
    let mut feeder = Feeder::new(vec![vec![x.clone()]]);
    let mut live = vec![Vec::new(), Vec::new()];
    play(&mut p, &mut feeder, 1000, 100, &mut live);
    assert_eq!(
        p.controller.reload(&new).unwrap(),
        ReloadOutcome::Parameters { changed: 1 }
    );
    assert_eq!(p.controller.reload(&new).unwrap(), ReloadOutcome::Unchanged);
    play(&mut p, &mut feeder, 2000, 100, &mut live);

    let mut s = build(&old, BLOCK);
    let g = s.node_index("g").unwrap();
    let mut expected = Vec::new();
    for k in 0..30 {
        if k == 10 {
            s.set_param(g, 0, 0.25);
        }
        s.input_buffer(0, 0)[..100].copy_from_slice(&x[k * 100..(k + 1) * 100]);
        s.process(100);
        expected.extend_from_slice(s.output_buffer(0, 0));
    }
    assert_eq!(live[0], expected);
    let status = p.controller.status();
    assert_eq!(
        (status.generation, status.swaps),
        (0, 0),
        "no swap for a parameter edit"
    );
}

#[test]
fn a_rebuilt_chain_adopts_the_state_of_surviving_nodes_between_a_fade_out_and_a_fade_in() {
    // The lag holds 300 frames of history; only if it moves to the new chain does the new
    // chain's output continue without a gap.
    let old = series(&[
        ("lag", "lag", &[("frames", 300.0)]),
        ("g", "scale", &[("k", 1.0)]),
    ]);
    let new = series(&[
        ("lag", "lag", &[("frames", 300.0)]),
        ("g", "scale", &[("k", 1.0)]),
        ("h", "scale", &[("k", 0.5)]),
    ]);
    let x = noise(6, 6000);
    let fade = 480; // 10 ms at 48 kHz
    let mut p = parts(&old, 10.0);
    let mut feeder = Feeder::new(vec![vec![x.clone()]]);
    let mut live = vec![Vec::new(), Vec::new()];
    play(&mut p, &mut feeder, 2000, 100, &mut live);
    let outcome = p.controller.reload(&new).unwrap();
    assert_eq!(
        outcome,
        ReloadOutcome::Swapped {
            generation: 1,
            carried: 2,
            fresh: 1,
            crossfade: false
        }
    );
    assert!(
        matches!(p.controller.reload(&new), Err(LiveError::Busy)),
        "one handover at a time"
    );
    play(&mut p, &mut feeder, 4000, 100, &mut live);

    let before = offline(&old, &[vec![x.clone()]], 6000, 1000);
    let after = offline(&new, &[vec![x.clone()]], 6000, 1000);
    let gain = |t: usize| (FRAC_PI_2 * t as f64 / fade as f64).sin() as f32;
    let at = 2000;
    for t in 0..6000 {
        let expected = if t < at {
            before[0][t]
        } else if t < at + fade {
            before[0][t] * gain(fade - (t - at))
        } else if t < at + 2 * fade {
            after[0][t] * gain(t - at - fade)
        } else {
            after[0][t]
        };
        assert!(
            (live[0][t] - expected).abs() < 1e-6,
            "frame {t}: live {} expected {expected}",
            live[0][t]
        );
    }
    assert!(after[0][at + 2 * fade..].iter().any(|&v| v != 0.0));
    let status = p.controller.status();
    assert_eq!((status.generation, status.swaps), (1, 1));
    assert_eq!(
        p.controller.collect(),
        1,
        "the old chain came back to be dropped here"
    );
}

#[test]
fn a_chain_with_no_surviving_node_crossfades_with_equal_power() {
    let old = series(&[("g", "scale", &[("k", 1.0)])]);
    let new = series(&[("late", "lag", &[("frames", 100.0)])]);
    let x = noise(7, 4000);
    let fade = 960; // 20 ms
    let mut p = parts(&old, 20.0);
    let mut feeder = Feeder::new(vec![vec![x.clone()]]);
    let mut live = vec![Vec::new(), Vec::new()];
    play(&mut p, &mut feeder, 1000, 50, &mut live);
    let outcome = p.controller.reload(&new).unwrap();
    assert_eq!(
        outcome,
        ReloadOutcome::Swapped {
            generation: 1,
            carried: 0,
            fresh: 1,
            crossfade: true
        }
    );
    play(&mut p, &mut feeder, 3000, 50, &mut live);

    let at = 1000;
    // The new chain starts at the swap with empty state: render it offline from there.
    let fresh = offline(&new, &[vec![x[at..].to_vec()]], 3000, 1000);
    for t in 0..4000 {
        let expected = if t < at {
            x[t]
        } else if t < at + fade {
            let phase = FRAC_PI_2 * (t - at) as f64 / fade as f64;
            x[t] * phase.cos() as f32 + fresh[0][t - at] * phase.sin() as f32
        } else {
            fresh[0][t - at]
        };
        assert!((live[0][t] - expected).abs() < 1e-6, "frame {t}");
    }
}

#[test]
fn an_edit_that_does_not_compile_or_fit_keeps_the_old_chain_playing() {
    let old = series(&[("g", "scale", &[("k", 0.5)])]);
    let x = noise(8, 3000);
    let mut p = parts(&old, 20.0);
    let mut feeder = Feeder::new(vec![vec![x.clone()]]);
    let mut live = vec![Vec::new(), Vec::new()];
    play(&mut p, &mut feeder, 1000, 64, &mut live);

    let c = catalog();
    let mut dangling = Graph::new();
    input(&mut dangling, &c, "a", 1);
    add(&mut dangling, &c, "out", "output", &[]);
    assert!(matches!(
        p.controller.reload(&dangling),
        Err(LiveError::Graph(_))
    ));

    let mut stereo = Graph::new();
    let a = input(&mut stereo, &c, "a", 2);
    let out = add(&mut stereo, &c, "out", "output", &[]);
    wire(&mut stereo, a, out);
    let err = p.controller.reload(&stereo).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the edited chain cannot replace the playing one: input `a` now takes 2 channel(s) instead of 1"
    );

    let mut renamed = Graph::new();
    let b = input(&mut renamed, &c, "b", 1);
    let out = add(&mut renamed, &c, "out", "output", &[]);
    wire(&mut renamed, b, out);
    let err = p.controller.reload(&renamed).unwrap_err().to_string();
    assert!(
        err.contains("input `b` that this session does not feed"),
        "{err}"
    );

    play(&mut p, &mut feeder, 2000, 64, &mut live);
    let expected = offline(&old, &[vec![x]], 3000, 1000);
    assert_eq!(live[0], expected[0]);
    assert_eq!(p.controller.status().generation, 0);
}

#[test]
fn set_param_reaches_a_node_by_name_and_refuses_what_does_not_fit() {
    let g = series(&[("g", "scale", &[("k", 1.0)])]);
    let x = noise(9, 2000);
    let mut p = parts(&g, 20.0);
    let mut feeder = Feeder::new(vec![vec![x.clone()]]);
    let mut live = vec![Vec::new(), Vec::new()];
    play(&mut p, &mut feeder, 500, 100, &mut live);
    p.controller
        .set_param("g", "k", &ParamValue::Number(-2.0))
        .unwrap();
    play(&mut p, &mut feeder, 1500, 100, &mut live);
    // After the 10 ms (480 frame) ramp the gain is exactly -2.
    for t in 500 + 480..2000 {
        assert_eq!(live[0][t], x[t] * -2.0, "frame {t}");
    }
    assert!(
        (live[0][600] / x[600] - (1.0 - 3.0 * 101.0 / 480.0)).abs() < 0.01,
        "ramping linearly"
    );
    let c = &mut p.controller;
    assert!(matches!(
        c.set_param("nope", "k", &ParamValue::Number(1.0)),
        Err(LiveError::UnknownNode { .. })
    ));
    assert!(matches!(
        c.set_param("g", "q", &ParamValue::Number(1.0)),
        Err(LiveError::UnknownParam { .. })
    ));
    let err = c
        .set_param("g", "k", &ParamValue::Number(100.0))
        .unwrap_err();
    assert!(matches!(err, LiveError::Param { .. }), "{err}");
}

#[test]
fn a_mono_chain_plays_on_the_first_two_device_channels_in_any_sample_format() {
    let g = series(&[("g", "scale", &[("k", 1.0)])]);
    let options = AssembleOptions {
        device_channels: 4,
        ..AssembleOptions::default()
    };
    let mut p = assemble(&g, config(), &options).unwrap();
    p.writers[0].push_interleaved(&[0.5, -0.25, 1.0]);
    let mut data = vec![7i16; 12];
    p.core.render(&mut data);
    let expected = [16384, 16384, 0, 0, -8192, -8192, 0, 0, 32767, 32767, 0, 0];
    for (got, want) in data.iter().zip(expected) {
        assert!((i32::from(*got) - want).abs() <= 1, "{data:?}");
    }
}

#[test]
fn hot_reload_rebuilds_the_chain_when_its_file_settles_and_reports_a_broken_edit() {
    use mixgraph_engine::live::{ChainWatcher, HotReload, ReloadEvent};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gain.txt");
    std::fs::write(&path, "1.0").unwrap();
    let build = |path: &std::path::Path| -> Result<Graph, String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let k: f64 = text
            .trim()
            .parse()
            .map_err(|e| format!("`{}`: {e}", text.trim()))?;
        Ok(series(&[("g", "scale", &[("k", k)])]))
    };
    let mut p = parts(&build(&path).unwrap(), 20.0);
    let mut hot = HotReload::new(ChainWatcher::new(&path).with_settle(Duration::from_millis(20)));
    assert!(
        hot.poll(&mut p.controller, || build(&path)).is_none(),
        "nothing changed"
    );
    std::fs::write(&path, "0.5 ").unwrap();
    let event = poll_until_event(|| hot.poll(&mut p.controller, || build(&path)));
    assert!(
        matches!(
            event,
            Some(ReloadEvent::Applied(ReloadOutcome::Parameters {
                changed: 1
            }))
        ),
        "{event:?}"
    );
    std::fs::write(&path, "loud").unwrap();
    let event = poll_until_event(|| hot.poll(&mut p.controller, || build(&path)));
    match event {
        Some(ReloadEvent::Failed(e)) => assert!(e.contains("`loud`"), "{e}"),
        other => panic!("expected a failed reload, got {other:?}"),
    }
}

/// Polls the watcher until it reports something (up to half a second).
fn poll_until_event<T>(mut poll: impl FnMut() -> Option<T>) -> Option<T> {
    for _ in 0..100 {
        if let Some(event) = poll() {
            return Some(event);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}
