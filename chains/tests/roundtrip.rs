//! `load(save(x)) == x`: for hand-written chains (every field and short form), and for
//! generated ones (property test).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failure is a failed test with its location"
)]

mod common;

use mixgraph_chains::{
    ChainSpec, Dither, Endpoint, InputSpec, NodeSpec, Origin, OutputSpec, SampleFormat, load_str,
    save,
};
use mixgraph_engine::{AutomationLane, Breakpoint, Curve, ParamValue};
use proptest::prelude::*;

fn reload(spec: &ChainSpec) -> ChainSpec {
    let text = save(spec);
    load_str(&text, Origin::named("saved.ron")).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

const FULL: &str = r#"// Every field and form the format has.
Chain(
    name: "vocal-strip",
    description: "A \"quoted\" description\nover two lines",
    sample_rate: Some(48000),
    inputs: [ "vox", Input(name: "key", channels: Some(1)) ],
    outputs: [
        Output(name: "out", from: "limiter", sample_rate: 44100, format: Pcm16, dither: TpdfShaped),
        Output(name: "stem", from: "fork.b", format: Float32, dither: None),
        "spare",
    ],
    nodes: [
        Node(name: "comp", kind: "duck", params: {"depth": -18, "mode": "hard", "enabled": false},
             automation: {"depth": [(0.0, -18.0), (2.0, -24.0, Linear), (3.5, -30.0, Step), (4.0, -6.0, Exponential)]}),
        Node(name: "master", chain: "mix-basic"),
    ],
    series: [ "gain", Node(kind: "gain", params: {"gain": -3.5}), Node(name: "limiter", kind: "gain") ],
    connections: [
        ["vox", "comp", "master", "gain-1"],
        ["key", "comp.key"],
    ],
)
"#;

#[test]
fn every_field_and_short_form_survives_a_round_trip() {
    let spec = load_str(FULL, Origin::named("full.ron")).unwrap();
    assert_eq!(spec.sample_rate, Some(48000));
    assert_eq!(
        spec.inputs[1],
        InputSpec {
            name: "key".into(),
            channels: Some(1)
        }
    );
    assert_eq!(spec.outputs[1].from, Some(Endpoint::port("fork", "b")));
    assert_eq!(spec.outputs[1].dither, Dither::None);
    assert_eq!(spec.outputs[2], OutputSpec::new("spare"));
    assert_eq!(spec.series[0], NodeSpec::of_kind("gain"));
    assert_eq!(
        spec.nodes[0].params[0],
        ("depth".to_string(), ParamValue::Number(-18.0))
    );
    assert_eq!(
        spec.nodes[0].automation[0].points[3].curve,
        Curve::Exponential
    );
    assert_eq!(reload(&spec), spec);
}

#[test]
fn saved_text_uses_short_forms_and_leaves_defaults_out() {
    let spec = load_str(FULL, Origin::named("full.ron")).unwrap();
    let text = save(&spec);
    assert!(
        text.starts_with("Chain(\n    name: \"vocal-strip\",\n"),
        "{text}"
    );
    assert!(text.contains("        \"vox\",\n"), "{text}");
    assert!(text.contains("        \"spare\",\n"), "{text}");
    assert!(text.contains("        \"gain\",\n"), "{text}");
    assert!(text.contains("sample_rate: 48000,"), "{text}");
    assert!(
        text.contains(r#"Output(name: "stem", from: "fork.b", format: Float32, dither: None)"#),
        "{text}"
    );
    assert!(!text.contains("Pcm24"), "default format written: {text}");
    assert!(text.contains(r#"["key", "comp.key"]"#), "{text}");
}

#[test]
fn the_shipped_presets_survive_a_round_trip() {
    for preset in mixgraph_chains::presets::list() {
        let spec = preset.load().unwrap();
        assert_eq!(reload(&spec), spec, "{}", preset.name);
    }
}

fn name() -> impl Strategy<Value = String> {
    // Any printable text, quotes, backslashes and control characters included.
    prop_oneof![
        "[a-z][a-z0-9-]{0,8}",
        "[ -~]{0,12}",
        "[^\u{0}]{0,6}",
        Just("tab\tnew\nline\"q\\".to_string())
    ]
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        -1e6f64..1e6,
        Just(0.1),
        Just(-0.0),
        Just(1e-300),
        Just(1.7e308),
        any::<i32>().prop_map(f64::from)
    ]
}

fn value() -> impl Strategy<Value = ParamValue> {
    prop_oneof![
        number().prop_map(ParamValue::Number),
        name().prop_map(ParamValue::Text),
        any::<bool>().prop_map(ParamValue::Bool)
    ]
}

fn lane() -> impl Strategy<Value = AutomationLane> {
    let curve = prop_oneof![
        Just(Curve::Step),
        Just(Curve::Linear),
        Just(Curve::Exponential)
    ];
    (
        name(),
        prop::collection::vec((number(), number(), curve), 0..4),
    )
        .prop_map(|(param, points)| AutomationLane {
            param,
            points: points
                .into_iter()
                .map(|(time, value, curve)| Breakpoint { time, value, curve })
                .collect(),
        })
}

fn unique_by_name<T>(items: Vec<(String, T)>) -> Vec<(String, T)> {
    let mut seen = std::collections::HashSet::new();
    items
        .into_iter()
        .filter(|(n, _)| seen.insert(n.clone()))
        .collect()
}

fn node() -> impl Strategy<Value = NodeSpec> {
    (
        prop::option::of(name()),
        prop::option::of(name()),
        prop::option::of(name()),
        prop::collection::vec((name(), value()), 0..3),
        prop::collection::vec(lane(), 0..2),
    )
        .prop_map(|(name, kind, chain, params, automation)| {
            let mut seen = std::collections::HashSet::new();
            let automation = automation
                .into_iter()
                .filter(|l| seen.insert(l.param.clone()))
                .collect();
            NodeSpec {
                name,
                kind,
                chain,
                params: unique_by_name(params),
                automation,
            }
        })
}

fn endpoint() -> impl Strategy<Value = Endpoint> {
    (
        "[a-z][a-z0-9 _-]{0,6}",
        prop::option::of("[a-z][a-z0-9_]{0,4}"),
    )
        .prop_map(|(node, port)| Endpoint { node, port })
}

fn output() -> impl Strategy<Value = OutputSpec> {
    let format = prop_oneof![
        Just(SampleFormat::Pcm16),
        Just(SampleFormat::Pcm24),
        Just(SampleFormat::Float32)
    ];
    let dither = prop_oneof![
        Just(Dither::Auto),
        Just(Dither::None),
        Just(Dither::Tpdf),
        Just(Dither::TpdfShaped)
    ];
    (
        name(),
        prop::option::of(endpoint()),
        prop::option::of(any::<u32>()),
        format,
        dither,
    )
        .prop_map(|(name, from, sample_rate, format, dither)| OutputSpec {
            name,
            from,
            sample_rate,
            format,
            dither,
        })
}

fn chain() -> impl Strategy<Value = ChainSpec> {
    (
        (
            prop::option::of(name()),
            prop::option::of(name()),
            prop::option::of(any::<u32>()),
        ),
        prop::collection::vec((name(), prop::option::of(any::<u32>())), 0..3),
        prop::collection::vec(output(), 0..3),
        prop::collection::vec(node(), 0..3),
        prop::collection::vec(node(), 0..3),
        prop::collection::vec(prop::collection::vec(endpoint(), 0..4), 0..3),
    )
        .prop_map(
            |((name, description, sample_rate), inputs, outputs, nodes, series, connections)| {
                ChainSpec {
                    name,
                    description,
                    sample_rate,
                    inputs: inputs
                        .into_iter()
                        .map(|(name, channels)| InputSpec { name, channels })
                        .collect(),
                    outputs,
                    nodes,
                    series,
                    connections,
                    origin: Origin::default(),
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_chain_survives_a_round_trip(spec in chain()) {
        prop_assert_eq!(reload(&spec), spec);
    }
}
