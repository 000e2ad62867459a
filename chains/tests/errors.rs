//! Every error the validator gives, each from a crafted chain: the variant, its fields, and
//! a message that starts with `file:line:column` and names what was expected and found.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failure is a failed test with its location"
)]

mod common;

use common::{FILE, assert_mentions, check, error_at};
use mixgraph_chains::{ChainError, ChainSpec, NodeSpec, Origin, load_file, load_str, validate};

#[test]
fn syntax_error_names_file_line_and_column() {
    let text = "Chain(\n    inputs: [\"in\"],\n    nodes: [\n        Node(name: \"g\" kind: \"gain\"),\n    ],\n)\n";
    let e = error_at(text, 4);
    assert!(matches!(e, ChainError::Syntax { .. }), "{e:?}");
}

#[test]
fn unknown_field_is_a_syntax_error_listing_the_fields() {
    let text = "Chain(\n    inputs: [\"in\"],\n    nodes: [\n        Node(name: \"g\", knd: \"gain\"),\n    ],\n)\n";
    let e = error_at(text, 4);
    assert!(matches!(e, ChainError::Syntax { .. }), "{e:?}");
    assert_mentions(&e, &["in `Node`", "`knd`", "`kind`"]);
    assert!(!e.to_string().contains("in `Chain`"), "{e}");
}

#[test]
fn unknown_top_level_field_is_refused() {
    let e = error_at("Chain(\n    inputs: [\"in\"],\n    node: [],\n)\n", 3);
    assert!(matches!(e, ChainError::Syntax { .. }), "{e:?}");
    assert_mentions(&e, &["node", "nodes"]);
}

const GAIN_CHAIN: &str = r#"Chain(
    inputs: ["in"],
    outputs: ["out"],
    nodes: [
        Node(name: "g", kind: "KIND", params: {PARAMS}),
    ],
    connections: [["in", "g", "out"]],
)
"#;

fn gain_chain(kind: &str, params: &str) -> String {
    GAIN_CHAIN.replace("KIND", kind).replace("PARAMS", params)
}

#[test]
fn unknown_kind_suggests_the_closest_kind() {
    let e = error_at(&gain_chain("gian", ""), 5);
    match &e {
        ChainError::UnknownKind {
            node,
            kind,
            suggestion,
            ..
        } => {
            assert_eq!((node.as_str(), kind.as_str()), ("g", "gian"));
            assert_eq!(suggestion.as_deref(), Some("gain"));
        }
        other => panic!("{other:?}"),
    }
    assert_mentions(&e, &["`gian`", "did you mean `gain`?"]);
}

#[test]
fn unknown_kind_far_from_every_kind_suggests_nothing() {
    let e = error_at(&gain_chain("reverberator", ""), 5);
    assert!(
        matches!(
            &e,
            ChainError::UnknownKind {
                suggestion: None,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn unknown_parameter_suggests_the_closest_and_lists_all() {
    let e = error_at(&gain_chain("gain", r#""gian": -3.0"#), 5);
    match &e {
        ChainError::UnknownParam {
            param,
            suggestion,
            valid,
            ..
        } => {
            assert_eq!(param, "gian");
            assert_eq!(suggestion.as_deref(), Some("gain"));
            assert_eq!(valid, &["gain"]);
        }
        other => panic!("{other:?}"),
    }
    assert_mentions(
        &e,
        &["`gian`", "did you mean `gain`?", "its parameters are: gain"],
    );
}

#[test]
fn value_out_of_range_gives_range_and_unit() {
    let e = error_at(&gain_chain("gain", r#""gain": 60.0"#), 5);
    match &e {
        ChainError::ParamOutOfRange {
            param,
            value,
            min,
            max,
            unit,
            ..
        } => {
            assert_eq!(
                (param.as_str(), *value, *min, *max, *unit),
                ("gain", 60.0, -120.0, 48.0, "dB")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_mentions(&e, &["= 60", "expected -120 to 48 dB"]);
}

#[test]
fn value_of_the_wrong_type_says_what_was_expected_and_found() {
    let e = error_at(&gain_chain("gain", r#""gain": "loud""#), 5);
    assert!(matches!(&e, ChainError::ParamWrongType { .. }), "{e:?}");
    assert_mentions(&e, &["expected a number in dB", "found \"loud\""]);
    let e = error_at(&gain_chain("duck", r#""enabled": 1.0"#), 5);
    assert_mentions(&e, &["expected true or false", "found 1"]);
}

#[test]
fn unknown_choice_suggests_the_closest_option() {
    let e = error_at(&gain_chain("duck", r#""mode": "sofft""#), 5);
    match &e {
        ChainError::UnknownOption {
            found,
            suggestion,
            options,
            ..
        } => {
            assert_eq!(found, "sofft");
            assert_eq!(suggestion.as_deref(), Some("soft"));
            assert_eq!(options, &["soft", "hard"]);
        }
        other => panic!("{other:?}"),
    }
    assert_mentions(&e, &["did you mean `soft`?", "soft, hard"]);
}

#[test]
fn path_parameter_without_value_is_missing() {
    let e = error_at(&gain_chain("convolve", ""), 5);
    assert!(
        matches!(&e, ChainError::MissingParam { param, .. } if param == "ir"),
        "{e:?}"
    );
    assert_mentions(&e, &["`ir` must be given", "Impulse response file"]);
}

#[test]
fn parameter_errors_point_at_the_parameter_line() {
    let text = r#"Chain(
    inputs: ["in"],
    outputs: ["out"],
    nodes: [
        Node(
            name: "d",
            kind: "duck",
            params: {
                "depth": -12.0,
                "mode": "hard",
                "enabled": "yes",
            },
        ),
    ],
    connections: [["in", "d", "out"]],
)
"#;
    let e = error_at(text, 11);
    assert!(
        matches!(&e, ChainError::ParamWrongType { param, .. } if param == "enabled"),
        "{e:?}"
    );
}

fn automated(lane: &str) -> String {
    format!(
        "Chain(\n    inputs: [\"in\"],\n    outputs: [\"out\"],\n    nodes: [\n        Node(name: \"d\", kind: \"duck\",\n            automation: {{{lane}}}),\n    ],\n    connections: [[\"in\", \"d\", \"out\"]],\n)\n"
    )
}

#[test]
fn automation_of_an_unknown_parameter_suggests_the_closest() {
    let e = error_at(&automated(r#""dept": [(0.0, -10.0)]"#), 6);
    assert!(
        matches!(&e, ChainError::UnknownParam { suggestion: Some(s), .. } if s == "depth"),
        "{e:?}"
    );
}

#[test]
fn automation_breakpoint_out_of_range_gives_range() {
    let e = error_at(
        &automated(r#""depth": [(0.0, -10.0), (1.0, 6.0, Step)]"#),
        6,
    );
    assert!(
        matches!(&e, ChainError::ParamOutOfRange { value, .. } if *value == 6.0),
        "{e:?}"
    );
    assert_mentions(&e, &["expected -60 to 0 dB"]);
}

#[test]
fn automation_times_out_of_order_are_refused() {
    let e = error_at(&automated(r#""depth": [(2.0, -10.0), (1.0, -20.0)]"#), 6);
    assert!(matches!(&e, ChainError::BadAutomation { .. }), "{e:?}");
    assert_mentions(&e, &["found 1 after 2"]);
}

#[test]
fn automation_of_a_choice_is_refused() {
    let e = error_at(&automated(r#""mode": [(0.0, 1.0)]"#), 6);
    assert!(matches!(&e, ChainError::BadAutomation { .. }), "{e:?}");
    assert_mentions(&e, &["only numbers can follow breakpoints"]);
}

#[test]
fn automation_without_breakpoints_is_refused() {
    let e = error_at(&automated(r#""depth": []"#), 6);
    assert_mentions(&e, &["no breakpoints"]);
}

#[test]
fn duplicate_node_names_give_both_lines() {
    let text = r#"Chain(
    inputs: ["in"],
    outputs: ["out"],
    nodes: [
        Node(name: "g", kind: "gain"),
        Node(name: "g", kind: "gain"),
    ],
    connections: [["in", "g", "out"]],
)
"#;
    let e = error_at(text, 6);
    match &e {
        ChainError::DuplicateName { name, first, .. } => {
            assert_eq!(name, "g");
            assert_eq!(first.line(), Some(5));
        }
        other => panic!("{other:?}"),
    }
    assert_mentions(&e, &["`g` is already used at test.ron:5:"]);
}

#[test]
fn node_named_like_an_input_is_a_duplicate() {
    let text = "Chain(\n    inputs: [\"vox\"],\n    outputs: [\"out\"],\n    nodes: [\n        Node(name: \"vox\", kind: \"gain\"),\n    ],\n)\n";
    let e = error_at(text, 5);
    assert!(
        matches!(&e, ChainError::DuplicateName { first, .. } if first.line() == Some(2)),
        "{e:?}"
    );
}

#[test]
fn unknown_node_in_a_connection_suggests_the_closest_name() {
    let text = r#"Chain(
    inputs: ["in"],
    outputs: ["out"],
    nodes: [Node(name: "comp", kind: "gain")],
    connections: [
        ["in", "comp", "out"],
        ["in", "cmop"],
    ],
)
"#;
    let e = error_at(text, 7);
    assert!(
        matches!(&e, ChainError::UnknownNode { name, suggestion: Some(s), .. } if name == "cmop" && s == "comp"),
        "{e:?}"
    );
    assert_mentions(&e, &["unknown node `cmop`", "did you mean `comp`?"]);
}

#[test]
fn unknown_output_source_suggests_the_closest_name() {
    let text = "Chain(\n    inputs: [\"in\"],\n    outputs: [Output(name: \"out\", from: \"gian\")],\n    series: [\"gain\"],\n)\n";
    let e = error_at(text, 3);
    assert!(
        matches!(&e, ChainError::UnknownNode { suggestion: Some(s), .. } if s == "gain"),
        "{e:?}"
    );
}

#[test]
fn unknown_port_lists_the_ports() {
    let text = r#"Chain(
    inputs: ["in", Input(name: "key", channels: 1)],
    outputs: ["out"],
    nodes: [Node(name: "d", kind: "duck")],
    connections: [
        ["in", "d", "out"],
        ["key", "d.sidechain"],
    ],
)
"#;
    let e = error_at(text, 7);
    match &e {
        ChainError::UnknownPort {
            node,
            direction,
            port,
            available,
            ..
        } => {
            assert_eq!(
                (node.as_str(), *direction, port.as_str()),
                ("d", "input", "sidechain")
            );
            assert_eq!(available, &["in", "key"]);
        }
        other => panic!("{other:?}"),
    }
    assert_mentions(
        &e,
        &["no input port `sidechain`", "its input ports: in, key"],
    );
}

#[test]
fn named_port_in_the_middle_of_a_path_is_refused() {
    let text = "Chain(\n    inputs: [\"in\"],\n    outputs: [\"out\"],\n    nodes: [Node(name: \"f\", kind: \"fork\")],\n    connections: [\n        [\"in\", \"f.a\", \"out\"],\n    ],\n)\n";
    let e = error_at(text, 6);
    assert!(
        matches!(&e, ChainError::PortInMiddle { endpoint, .. } if endpoint == "f.a"),
        "{e:?}"
    );
}

#[test]
fn connecting_into_an_input_or_out_of_an_output_is_refused() {
    let into = "Chain(\n    inputs: [\"in\"],\n    outputs: [\"out\"],\n    series: [\"gain\"],\n    connections: [\n        [\"gain\", \"in\"],\n    ],\n)\n";
    let e = error_at(into, 6);
    assert!(
        matches!(&e, ChainError::IntoInput { name, .. } if name == "in"),
        "{e:?}"
    );
    let out_of = "Chain(\n    inputs: [\"in\"],\n    outputs: [\"out\"],\n    series: [\"gain\"],\n    connections: [\n        [\"out\", \"gain\"],\n    ],\n)\n";
    let e = error_at(out_of, 6);
    assert!(
        matches!(&e, ChainError::OutOfOutput { name, .. } if name == "out"),
        "{e:?}"
    );
}

#[test]
fn a_path_of_one_element_is_dangling() {
    let text = "Chain(\n    inputs: [\"in\"],\n    outputs: [\"out\"],\n    series: [\"gain\"],\n    connections: [\n        [\"gain\"],\n    ],\n)\n";
    let e = error_at(text, 6);
    assert!(
        matches!(&e, ChainError::DanglingConnection { path, .. } if path == &["gain"]),
        "{e:?}"
    );
}

#[test]
fn the_same_connection_twice_is_refused() {
    let text = "Chain(\n    inputs: [\"in\"],\n    outputs: [\"out\"],\n    nodes: [Node(name: \"g\", kind: \"gain\")],\n    connections: [\n        [\"in\", \"g\", \"out\"],\n        [\"in\", \"g\"],\n    ],\n)\n";
    let e = error_at(text, 7);
    assert!(
        matches!(&e, ChainError::DuplicateConnection { from, to, .. } if from == "in.out" && to == "g.in"),
        "{e:?}"
    );
}

#[test]
fn unconnected_required_input_names_node_and_port() {
    let text = "Chain(\n    inputs: [\"in\"],\n    outputs: [\"out\"],\n    nodes: [\n        Node(name: \"a\", kind: \"gain\"),\n        Node(name: \"b\", kind: \"gain\"),\n    ],\n    connections: [[\"in\", \"a\", \"out\"], [\"b\", \"out\"]],\n)\n";
    let e = error_at(text, 6);
    assert!(
        matches!(&e, ChainError::UnconnectedInput { node, port, .. } if node == "b" && port == "in"),
        "{e:?}"
    );
    assert_mentions(
        &e,
        &["node `b` (gain): required input `in` is not connected"],
    );
}

#[test]
fn unconnected_output_says_how_to_connect_it() {
    let text = "Chain(\n    inputs: [\"in\"],\n    outputs: [\"main\", \"spare\"],\n    nodes: [Node(name: \"g\", kind: \"gain\")],\n    connections: [[\"in\", \"g\", \"main\"]],\n)\n";
    let e = error_at(text, 3);
    assert!(
        matches!(&e, ChainError::UnconnectedOutput { output, .. } if output == "spare"),
        "{e:?}"
    );
    assert_mentions(&e, &[r#"give it `from: "node"`"#, "connections"]);
}

#[test]
fn input_or_node_feeding_nothing_is_refused_but_a_meter_may() {
    let unused_input = "Chain(\n    inputs: [\"in\", \"spare\"],\n    outputs: [\"out\"],\n    series: [\"gain\"],\n)\n";
    let e = error_at(unused_input, 2);
    assert!(
        matches!(&e, ChainError::FeedsNothing { what: "input", name, .. } if name == "spare"),
        "{e:?}"
    );
    let unused_node = "Chain(\n    inputs: [\"in\"],\n    outputs: [\"out\"],\n    nodes: [\n        Node(name: \"g\", kind: \"gain\"),\n        Node(name: \"side\", kind: \"gain\"),\n    ],\n    connections: [[\"in\", \"g\", \"out\"], [\"in\", \"side\"]],\n)\n";
    let e = error_at(unused_node, 6);
    assert!(
        matches!(&e, ChainError::FeedsNothing { what: "node", name, .. } if name == "side"),
        "{e:?}"
    );
    let meter = "Chain(\n    inputs: [\"in\"],\n    outputs: [\"out\"],\n    nodes: [\n        Node(name: \"g\", kind: \"gain\"),\n        Node(name: \"m\", kind: \"probe\"),\n    ],\n    connections: [[\"in\", \"g\", \"out\"], [\"g\", \"m\"]],\n)\n";
    check(meter).unwrap();
}

#[test]
fn channel_mismatch_gives_both_counts_and_the_source() {
    let text = "Chain(\n    inputs: [Input(name: \"in\", channels: 2)],\n    outputs: [\"out\"],\n    nodes: [\n        Node(name: \"m\", kind: \"mono\"),\n    ],\n    connections: [[\"in\", \"m\", \"out\"]],\n)\n";
    let e = error_at(text, 5);
    match &e {
        ChainError::ChannelMismatch {
            node,
            expected,
            found,
            from,
            ..
        } => {
            assert_eq!(
                (node.as_str(), *expected, *found, from.as_str()),
                ("m", 1, 2, "in")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_mentions(&e, &["expected 1 channel(s), found 2 from `in`", "downmix"]);
    // A mono input fits.
    check(&text.replace("channels: 2", "channels: 1")).unwrap();
}

#[test]
fn cycle_names_every_node_of_the_loop() {
    let text = r#"Chain(
    inputs: ["in"],
    outputs: ["out"],
    nodes: [
        Node(name: "a", kind: "gain"),
        Node(name: "b", kind: "gain"),
        Node(name: "c", kind: "gain"),
    ],
    connections: [["in", "a", "b", "c", "out"], ["c", "a"]],
)
"#;
    let e = error_at(text, 5);
    match &e {
        ChainError::Cycle { nodes, .. } => assert_eq!(nodes, &["a", "b", "c"]),
        other => panic!("{other:?}"),
    }
    assert_mentions(&e, &["`a` -> `b` -> `c`", "feedback"]);
    // Through a feedback node the loop is legal.
    let legal = text
        .replace(
            r#"Node(name: "c", kind: "gain"),"#,
            r#"Node(name: "c", kind: "gain"), Node(name: "fb", kind: "feedback"),"#,
        )
        .replace(r#"["c", "a"]"#, r#"["c", "fb", "a"]"#);
    check(&legal).unwrap();
}

#[test]
fn names_with_dots_or_slashes_are_refused() {
    let e = error_at(
        "Chain(\n    inputs: [\"in\"],\n    outputs: [\"out\"],\n    series: [Node(name: \"eq.low\", kind: \"gain\")],\n)\n",
        4,
    );
    assert!(
        matches!(&e, ChainError::InvalidName { name, .. } if name == "eq.low"),
        "{e:?}"
    );
    assert_mentions(&e, &["node.port"]);
    let e = error_at("Chain(\n    inputs: [\"a/b\"],\n)\n", 2);
    assert!(matches!(&e, ChainError::InvalidName { .. }), "{e:?}");
}

#[test]
fn node_without_name_kind_or_with_both_is_refused() {
    let e = error_at(
        "Chain(\n    nodes: [\n        Node(kind: \"gain\"),\n    ],\n)\n",
        3,
    );
    assert!(matches!(&e, ChainError::MissingName { .. }), "{e:?}");
    let e = error_at(
        "Chain(\n    nodes: [\n        Node(name: \"x\"),\n    ],\n)\n",
        3,
    );
    assert!(
        matches!(&e, ChainError::MissingKind { node, .. } if node == "x"),
        "{e:?}"
    );
    let e = error_at(
        "Chain(\n    nodes: [\n        Node(name: \"x\", kind: \"gain\",\n            chain: \"mix-basic\"),\n    ],\n)\n",
        4,
    );
    assert!(matches!(&e, ChainError::KindAndChain { .. }), "{e:?}");
}

#[test]
fn input_and_output_nodes_belong_in_the_inputs_and_outputs_lists() {
    let e = error_at(
        "Chain(\n    nodes: [\n        Node(name: \"x\", kind: \"input\"),\n    ],\n)\n",
        3,
    );
    assert!(
        matches!(&e, ChainError::ReservedKind { kind: "input", .. }),
        "{e:?}"
    );
    assert_mentions(&e, &["`inputs` list"]);
}

#[test]
fn subchain_node_takes_no_params() {
    let e = error_at(
        "Chain(\n    nodes: [\n        Node(name: \"x\", chain: \"mix-basic\",\n            params: {\"gain\": 1.0}),\n    ],\n)\n",
        4,
    );
    assert!(
        matches!(
            &e,
            ChainError::NotForSubchain {
                field: "params",
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn sample_rates_outside_the_accepted_range_are_refused() {
    let e = error_at("Chain(\n    sample_rate: 100,\n)\n", 2);
    assert!(
        matches!(&e, ChainError::BadSampleRate { value: 100, .. }),
        "{e:?}"
    );
    let e = error_at(
        "Chain(\n    inputs: [\"in\"],\n    outputs: [Output(name: \"out\",\n        sample_rate: Some(5000000))],\n    series: [\"gain\"],\n)\n",
        4,
    );
    assert!(
        matches!(
            &e,
            ChainError::BadSampleRate {
                value: 5_000_000,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn input_channel_count_beyond_the_range_is_refused() {
    let e = error_at(
        "Chain(\n    inputs: [Input(name: \"in\", channels: 65)],\n    outputs: [\"out\"],\n    series: [\"gain\"],\n)\n",
        2,
    );
    assert!(
        matches!(&e, ChainError::ParamOutOfRange { param, .. } if param == "channels"),
        "{e:?}"
    );
}

#[test]
fn unknown_preset_suggests_the_closest_shipped_one() {
    let text = "Chain(\n    inputs: [\"drums\"],\n    outputs: [\"out\"],\n    nodes: [\n        Node(name: \"mix\", chain: \"mix-basik\"),\n    ],\n    connections: [[\"drums\", \"mix\", \"out\"]],\n)\n";
    let e = error_at(text, 5);
    assert!(
        matches!(&e, ChainError::SubchainNotFound { reference, .. } if reference == "mix-basik"),
        "{e:?}"
    );
    assert_mentions(&e, &["did you mean `mix-basic`?", "./mix-basik.ron"]);
}

#[test]
fn missing_subchain_file_names_the_path_tried() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("main.ron");
    std::fs::write(&main, "Chain(\n    inputs: [\"in\"],\n    outputs: [\"out\"],\n    series: [Node(chain: \"./missing.ron\")],\n)\n").unwrap();
    let e = validate(&load_file(&main).unwrap(), &common::catalog()).unwrap_err();
    assert!(matches!(&e, ChainError::SubchainNotFound { .. }), "{e:?}");
    assert_eq!(e.location().unwrap().line(), Some(4));
    assert_mentions(&e, &["missing.ron", "main.ron:4:"]);
}

#[test]
fn text_over_the_size_limit_is_refused_before_parsing() {
    let text = " ".repeat(16 * 1024 * 1024 + 1);
    let e = load_str(&text, Origin::named(FILE)).unwrap_err();
    assert!(matches!(e, ChainError::FileTooLarge { .. }), "{e:?}");
}

#[test]
fn too_many_nodes_are_refused_quickly() {
    let spec = ChainSpec {
        nodes: (0..100_001)
            .map(|i| NodeSpec::of_kind("gain").named(format!("g{i}")))
            .collect(),
        ..ChainSpec::default()
    };
    let start = std::time::Instant::now();
    let e = validate(&spec, &common::catalog()).unwrap_err();
    assert!(
        matches!(e, ChainError::TooManyNodes { limit: 100_000, .. }),
        "{e:?}"
    );
    assert!(start.elapsed().as_secs_f64() < 1.0);
}

#[test]
fn a_file_that_is_not_utf8_gives_the_line_of_the_bad_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.ron");
    std::fs::write(&path, b"Chain(\n    name: \"caf\xe9\",\n)\n").unwrap();
    let e = load_file(&path).unwrap_err();
    assert!(matches!(&e, ChainError::Syntax { .. }), "{e:?}");
    assert_eq!(e.location().unwrap().line(), Some(2));
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let e = load_file("/nonexistent/chain.ron").unwrap_err();
    assert!(matches!(&e, ChainError::Io { .. }), "{e:?}");
    assert_mentions(&e, &["/nonexistent/chain.ron"]);
}

#[test]
fn errors_without_text_still_name_the_origin() {
    // A chain built in code (by a script) has no text: the error names the origin only.
    let spec = ChainSpec {
        nodes: vec![NodeSpec::of_kind("gian").named("g")],
        origin: Origin::named("recipe.lua"),
        ..ChainSpec::default()
    };
    let e = validate(&spec, &common::catalog()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("recipe.lua: node `g`: unknown kind `gian`"),
        "{e}"
    );
}
