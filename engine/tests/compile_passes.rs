//! The compiler's promises: latency compensation lines paths up, fan-in sums, mono widens,
//! mismatches and cycles are refused with names, feedback loops work, and the output does
//! not depend on the block size.

mod common;

use common::*;
use mixgraph_engine::{AutomationLane, Breakpoint, Curve, Graph, GraphError};

#[test]
fn latency_compensation_nulls_a_delayed_branch_against_a_dry_one() {
    // in -> lag(100) -> scale(1) -\
    //  \-> scale(-1) -------------> out   : the two paths cancel only if aligned.
    let c = catalog();
    let mut g = Graph::new();
    let i = input(&mut g, &c, "in", 1);
    let lag = add(&mut g, &c, "lag", "lag", &[("frames", 100.0)]);
    let inv = add(&mut g, &c, "inv", "scale", &[("k", -1.0)]);
    let o = add(&mut g, &c, "out", "output", &[]);
    wire(&mut g, i, lag);
    wire(&mut g, i, inv);
    wire(&mut g, lag, o);
    wire(&mut g, inv, o);
    let mut s = build(&g, 64);
    assert_eq!(s.latency(), 100);
    let x = noise(3, 5000);
    let out = run(&mut s, &[vec![x.clone()]], 5000, 64);
    let worst = out[0][0].iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!(worst == 0.0, "paths did not null: residual {worst}");
}

#[test]
fn fan_in_is_a_sum_and_mono_widens_to_stereo() {
    let c = catalog();
    let mut g = Graph::new();
    let a = input(&mut g, &c, "a", 1);
    let b = input(&mut g, &c, "b", 2);
    let ga = add(&mut g, &c, "ga", "scale", &[("k", 0.5)]);
    let o = add(&mut g, &c, "out", "output", &[]);
    wire(&mut g, a, ga);
    wire(&mut g, ga, o);
    wire(&mut g, b, o);
    let mut s = build(&g, 128);
    assert_eq!(s.outputs()[0].channels, 2);
    let (xa, bl, br) = (noise(1, 1000), noise(2, 1000), noise(4, 1000));
    let out = run(
        &mut s,
        &[vec![xa.clone()], vec![bl.clone(), br.clone()]],
        1000,
        128,
    );
    for n in 0..1000 {
        assert_eq!(out[0][0][n], xa[n] * 0.5 + bl[n]);
        assert_eq!(out[0][1][n], xa[n] * 0.5 + br[n]);
    }
}

#[test]
fn stereo_into_a_mono_port_is_refused_with_both_counts() {
    let c = catalog();
    let mut g = Graph::new();
    let a = input(&mut g, &c, "a", 2);
    let f = add(
        &mut g,
        &c,
        "fb",
        "feedback",
        &[("channels", 1.0), ("delay", 100.0)],
    );
    wire(&mut g, a, f);
    let o = add(&mut g, &c, "out", "output", &[]);
    wire(&mut g, f, o);
    match mixgraph_engine::compile(&g, &mixgraph_engine::CompileConfig::new(48_000.0, 64)) {
        Err(GraphError::ChannelMismatch {
            node,
            expected,
            found,
            from,
            ..
        }) => {
            assert_eq!(
                (node.as_str(), expected, found, from.as_str()),
                ("fb", 1, 2, "a")
            );
        }
        other => panic!("expected a channel mismatch, got {:?}", other.err()),
    }
}

#[test]
fn a_cycle_is_refused_naming_every_node_of_the_loop_in_order() {
    let c = catalog();
    let mut g = Graph::new();
    let i = input(&mut g, &c, "in", 1);
    let a = add(&mut g, &c, "a", "scale", &[]);
    let b = add(&mut g, &c, "b", "scale", &[]);
    let d = add(&mut g, &c, "d", "scale", &[]);
    let o = add(&mut g, &c, "out", "output", &[]);
    wire(&mut g, i, a);
    wire(&mut g, a, b);
    wire(&mut g, b, d);
    g.connect(d, "out", a, "key").unwrap();
    wire(&mut g, d, o);
    let err =
        mixgraph_engine::compile(&g, &mixgraph_engine::CompileConfig::new(48_000.0, 64)).err();
    match err {
        Some(GraphError::Cycle { nodes }) => assert_eq!(nodes, ["a", "b", "d"]),
        other => panic!("expected a cycle, got {other:?}"),
    }
    let message = mixgraph_engine::compile(&g, &mixgraph_engine::CompileConfig::new(48_000.0, 64))
        .err()
        .unwrap()
        .to_string();
    assert!(
        message.contains("`a` -> `b` -> `d`") && message.contains("feedback"),
        "{message}"
    );
}

#[test]
fn a_loop_through_a_feedback_node_echoes_at_its_delay_with_its_gain() {
    // in -> mix -> out, mix -> fb(delay 10 ms, -6 dB) -> mix : echoes every 480 frames.
    let c = catalog();
    let mut g = Graph::new();
    let i = input(&mut g, &c, "in", 1);
    let mix = add(&mut g, &c, "mix", "scale", &[]);
    let fb = add(
        &mut g,
        &c,
        "fb",
        "feedback",
        &[("delay", 10.0), ("gain", -6.0), ("channels", 1.0)],
    );
    let o = add(&mut g, &c, "out", "output", &[]);
    wire(&mut g, i, mix);
    wire(&mut g, mix, fb);
    wire(&mut g, fb, mix);
    wire(&mut g, mix, o);
    let mut x = vec![0.0f32; 2000];
    x[0] = 1.0;
    let g6 = 10f32.powf(-6.0 / 20.0);
    for block in [1, 64, 480] {
        let mut s = build(&g, block);
        let out = run(&mut s, &[vec![x.clone()]], 2000, block);
        for (n, v) in out[0][0].iter().enumerate() {
            let expected = if n % 480 == 0 {
                g6.powi((n / 480) as i32)
            } else {
                0.0
            };
            assert!(
                (v - expected).abs() < 1e-6,
                "block {block} frame {n}: {v} vs {expected}"
            );
        }
    }
    // A delay shorter than the block is refused, naming the node.
    let err = mixgraph_engine::compile(&g, &mixgraph_engine::CompileConfig::new(48_000.0, 1024))
        .err()
        .unwrap();
    assert!(err.to_string().contains("feedback node `fb`"), "{err}");
}

#[test]
fn output_is_identical_for_block_sizes_1_64_1000_4096_with_automation() {
    let c = catalog();
    let mut g = Graph::new();
    let i = input(&mut g, &c, "in", 2);
    let a = add(&mut g, &c, "a", "scale", &[("k", 0.3)]);
    let lag = add(&mut g, &c, "lag", "lag", &[("frames", 333.0)]);
    let o = add(&mut g, &c, "out", "output", &[]);
    wire(&mut g, i, a);
    wire(&mut g, a, lag);
    wire(&mut g, lag, o);
    wire(&mut g, i, o);
    let lane = AutomationLane {
        param: "k".into(),
        points: vec![
            Breakpoint {
                time: 0.01,
                value: 0.3,
                curve: Curve::Linear,
            },
            Breakpoint {
                time: 0.05,
                value: -2.0,
                curve: Curve::Linear,
            },
            Breakpoint {
                time: 0.06,
                value: 4.0,
                curve: Curve::Step,
            },
            Breakpoint {
                time: 0.15,
                value: 0.5,
                curve: Curve::Exponential,
            },
        ],
    };
    g.add_automation(a, lane).unwrap();
    let len = 10_000;
    let x = vec![noise(5, len), noise(6, len)];
    let reference = run(&mut build(&g, 1), std::slice::from_ref(&x), len, 1);
    for block in [64, 1000, 4096] {
        assert_eq!(
            run(&mut build(&g, block), std::slice::from_ref(&x), len, block),
            reference,
            "block {block}"
        );
    }
}

#[test]
fn automation_lands_on_breakpoint_values_at_the_exact_samples() {
    let c = catalog();
    let mut g = Graph::new();
    let i = input(&mut g, &c, "in", 1);
    let a = add(&mut g, &c, "a", "scale", &[]);
    let o = add(&mut g, &c, "out", "output", &[]);
    wire(&mut g, i, a);
    wire(&mut g, a, o);
    // At 48 kHz: 0.01 s = frame 480, 0.02 s = frame 960, 0.03 s = frame 1440.
    let points = vec![
        Breakpoint {
            time: 0.01,
            value: 2.0,
            curve: Curve::Linear,
        },
        Breakpoint {
            time: 0.02,
            value: -1.0,
            curve: Curve::Linear,
        },
        Breakpoint {
            time: 0.03,
            value: 8.0,
            curve: Curve::Exponential,
        },
    ];
    g.add_automation(
        a,
        AutomationLane {
            param: "k".into(),
            points,
        },
    )
    .unwrap();
    let ones = vec![1.0f32; 2000];
    let out = run(&mut build(&g, 100), &[vec![ones]], 2000, 100);
    let k = &out[0][0];
    assert_eq!(k[0], 2.0);
    assert_eq!(k[480], 2.0);
    assert_eq!(k[960], -1.0);
    // Midway on the linear segment: exactly halfway between 2 and -1.
    assert!((k[720] - 0.5).abs() < 1e-6);
    assert_eq!(k[1440], 8.0);
    // The exponential segment from -1 to 8 crosses zero, so it falls back to a straight line.
    assert!((k[1200] - 3.5).abs() < 1e-5, "{}", k[1200]);
    assert_eq!(k[1999], 8.0);
}

#[test]
fn buffers_are_reused_along_a_long_series_chain() {
    let c = catalog();
    let mut g = Graph::new();
    let mut prev = input(&mut g, &c, "in", 2);
    for n in 0..50 {
        let s = add(&mut g, &c, &format!("s{n}"), "scale", &[]);
        wire(&mut g, prev, s);
        prev = s;
    }
    let o = add(&mut g, &c, "out", "output", &[]);
    wire(&mut g, prev, o);
    let s = build(&g, 64);
    // Silence, the pinned input pair, and two pairs alternating along the chain.
    assert!(s.buffer_count() <= 7, "{} buffers", s.buffer_count());
}

#[test]
fn an_unconnected_required_input_is_named() {
    let c = catalog();
    let mut g = Graph::new();
    let a = add(&mut g, &c, "lonely", "scale", &[]);
    let o = add(&mut g, &c, "out", "output", &[]);
    wire(&mut g, a, o);
    let err =
        mixgraph_engine::compile(&g, &mixgraph_engine::CompileConfig::new(48_000.0, 64)).err();
    assert!(
        matches!(err, Some(GraphError::UnconnectedInput { ref node, ref port, .. }) if node == "lonely" && port == "in"),
        "{err:?}"
    );
}

#[test]
fn reset_reproduces_the_output() {
    let c = catalog();
    let mut g = Graph::new();
    let i = input(&mut g, &c, "in", 1);
    let lag = add(&mut g, &c, "lag", "lag", &[("frames", 77.0)]);
    let o = add(&mut g, &c, "out", "output", &[]);
    wire(&mut g, i, lag);
    wire(&mut g, lag, o);
    let mut s = build(&g, 64);
    let x = noise(9, 1000);
    let first = run(&mut s, &[vec![x.clone()]], 1000, 64);
    s.reset();
    assert_eq!(run(&mut s, &[vec![x]], 1000, 64), first);
}
