//! The recipe API: every function the README documents exists and works, calls are checked
//! at once with errors at the script's line, automation becomes breakpoints, analysis
//! measures what it says (against independent computations) once per file, and the command
//! line's target and `--set` values reach the script.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test with its location"
)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{RATE, integrated_lufs, noise, options_with, sine, write_wav};
use mixgraph_chains::{Endpoint, SampleFormat};
use mixgraph_engine::{Curve, ParamValue};
use mixgraph_scripts::{Host, ScriptError, ScriptOptions, ScriptOutput, run_file, run_str};

fn run(source: &str) -> Result<ScriptOutput, ScriptError> {
    run_str(source, "t.lua", &ScriptOptions::default())
}

fn run_err(source: &str) -> ScriptError {
    match run(source) {
        Ok(out) => panic!("expected an error, the script built {:?}", out.chain),
        Err(e) => e,
    }
}

/// A minimal valid tail: whatever `x` is, feed it to an output.
const OUT: &str = "\nchain.output('out', x)\n";

// ---------------------------------------------------------------- the README's API

/// The functions of the README's API tables: `chain.node`, `node:automate`, `analyze`...
fn documented_functions(readme: &str) -> Vec<String> {
    let start = readme.find("## API reference").expect("API section");
    let end = readme[start..]
        .find("\n### Examples")
        .map_or(readme.len(), |e| start + e);
    readme[start..end]
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`'))
        .filter_map(|(code, _)| code.split_once('(').map(|(name, _)| name.to_string()))
        .collect()
}

/// The README's ```lua blocks.
fn lua_blocks(readme: &str) -> Vec<String> {
    readme
        .split("```lua\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn every_function_the_readme_documents_exists_and_every_example_runs() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let functions = documented_functions(&readme);
    assert!(functions.len() >= 20, "found only {functions:?}");

    // Each documented name is a function in a real script.
    let mut probe = String::from(
        "local node = chain.node('gain')\nlocal x = node\nchain.input('in'):to(node)\n",
    );
    for f in &functions {
        let lookup = if let Some(method) = f.strip_prefix("node:") {
            format!("node.{method}")
        } else {
            f.clone()
        };
        probe.push_str(&format!(
            "assert(type({lookup}) == 'function', '{f} is not a function')\n"
        ));
    }
    probe.push_str(OUT);
    run(&probe).unwrap();

    // Every example runs, with a mix bound for analyze(), and together they call every
    // documented function.
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("mix.wav");
    write_wav(&wav, &noise(1, 2, RATE as usize, 0.3));
    let options = options_with(&[("mix", &wav)]);
    let blocks = lua_blocks(&readme);
    assert!(blocks.len() >= 5);
    for (i, block) in blocks.iter().enumerate() {
        let out = run_str(block, &format!("readme-{i}.lua"), &options)
            .unwrap_or_else(|e| panic!("README example {i} fails: {e}\n{block}"));
        mixgraph_chains::validate(&out.chain, &mixgraph_nodes::catalog()).unwrap();
    }
    let all = blocks.concat();
    for f in &functions {
        let call = match f.strip_prefix("node:") {
            Some(method) => format!(":{method}("),
            None => format!("{f}("),
        };
        assert!(all.contains(&call), "no README example calls {f}");
    }
}

// ---------------------------------------------------------------- building

#[test]
fn a_script_builds_the_chain_it_describes() {
    let out = run(r#"
        local i = chain.input("in", {channels = 2})
        local key = chain.input("key", {channels = 1})
        local hp = chain.node("highpass", {frequency = 80, slope = "24"})
        local comp = chain.node("compressor", {ratio = 3, threshold = -20}, {name = "comp"})
        chain.series(i, hp, comp)
        key:to(comp:port("sidechain"))
        chain.output("out", comp, {format = "pcm16", sample_rate = 44100, dither = "tpdf_shaped"})
        chain.name("strip")
        chain.description("a vocal strip")
        chain.sample_rate(48000)
    "#)
    .unwrap();
    let c = &out.chain;
    assert_eq!(c.name.as_deref(), Some("strip"));
    assert_eq!(c.description.as_deref(), Some("a vocal strip"));
    assert_eq!(c.sample_rate, Some(48000));
    assert_eq!(c.inputs[1].channels, Some(1));
    let hp = &c.nodes[0];
    assert_eq!(
        (hp.name.as_deref(), hp.kind.as_deref()),
        (Some("highpass"), Some("highpass"))
    );
    // Parameters in the descriptor's order, whatever Lua's table order.
    let comp = &c.nodes[1];
    assert_eq!(
        comp.params,
        vec![
            ("threshold".to_string(), ParamValue::Number(-20.0)),
            ("ratio".to_string(), ParamValue::Number(3.0))
        ]
    );
    assert_eq!(
        c.connections,
        vec![
            vec![Endpoint::new("in"), Endpoint::new("highpass")],
            vec![Endpoint::new("highpass"), Endpoint::new("comp")],
            vec![Endpoint::new("key"), Endpoint::port("comp", "sidechain")],
        ]
    );
    let o = &c.outputs[0];
    assert_eq!(o.from, Some(Endpoint::new("comp")));
    assert_eq!(
        (o.format, o.sample_rate),
        (SampleFormat::Pcm16, Some(44100))
    );
    assert_eq!(o.dither, mixgraph_chains::Dither::TpdfShaped);
}

#[test]
fn unnamed_nodes_are_named_after_their_kind_and_numbered_when_repeated() {
    // Without an output, the whole-chain check names the node that feeds nothing.
    let err = run_err(
        "chain.series(chain.input('in'), chain.node('gain'), chain.node('gain'), chain.node('gain'))",
    );
    assert!(err.to_string().contains("`gain-3` feeds nothing"), "{err}");
    let out = run(&format!(
        "local x = chain.series(chain.input('in'), chain.node('gain'), chain.node('gain'), chain.node('gain')){OUT}"
    ))
    .unwrap();
    let names: Vec<_> = out
        .chain
        .nodes
        .iter()
        .map(|n| n.name.clone().unwrap())
        .collect();
    assert_eq!(names, ["gain", "gain-2", "gain-3"]);
}

#[test]
fn names_and_strings_can_stand_for_handles_and_ports() {
    let out = run(r#"
        chain.input("in")
        chain.input("key")
        chain.node("compressor", nil, {name = "comp"})
        chain.connect("in", "comp")
        chain.connect("key", "comp.sidechain")
        chain.output("out", "comp")
    "#)
    .unwrap();
    assert_eq!(
        out.chain.connections[1][1],
        Endpoint::port("comp", "sidechain")
    );
}

/// Runs `script` and returns the error's line and message.
fn error_at(script: &str) -> (Option<u32>, String) {
    let e = run_err(script);
    (e.line(), e.to_string())
}

#[test]
fn each_call_is_checked_at_once_with_the_line_and_the_closest_name() {
    let cases: &[(&str, &str)] = &[
        (
            "chain.node('compresor')",
            "unknown kind `compresor`; did you mean `compressor`?",
        ),
        (
            "chain.node('gain', {gian = 3})",
            "has no parameter `gian`; did you mean `gain`?",
        ),
        (
            "chain.node('gain', {gain = 300})",
            "`gain` = 300 is out of range: expected -120 to 48 dB",
        ),
        (
            "chain.node('gain', {gain = 'loud'})",
            "expected a number in dB, found \"loud\"",
        ),
        (
            "chain.node('highpass', {slope = '25'})",
            "unknown option \"25\"; did you mean `24`?",
        ),
        ("chain.node('convolution')", "parameter `ir` must be given"),
        ("chain.node('input')", "use chain.input(name)"),
        (
            "chain.node('gain', nil, {nmae = 'g'})",
            "unknown option `nmae`; did you mean `name`?",
        ),
        (
            "chain.node('gain', nil, {name = 'a.b'})",
            "`.` separates a node from its port",
        ),
        (
            "chain.input('x')\nchain.input('x')",
            "the name `x` is already used at t.lua:1",
        ),
        (
            "chain.output('o', nil, {format = 'pcm25'})",
            "unknown format \"pcm25\"; did you mean \"pcm24\"?",
        ),
        (
            "chain.output('o', nil, {dither = 'tpfd'})",
            "unknown dither \"tpfd\"",
        ),
        (
            "chain.output('o', nil, {sample_rate = 100})",
            "sample rate 100 Hz is outside 8000 to 768000 Hz",
        ),
        (
            "chain.input('x', {channels = 65})",
            "whole number from 0 to 64",
        ),
        (
            "chain.node('compressor'):port('sidechian')",
            "has no input or output port `sidechian`",
        ),
        (
            "chain.connect(chain.node('gain'), chain.input('i'))",
            "chain input `i` cannot receive a connection",
        ),
        (
            "local o = chain.output('o')\no:to(chain.node('gain'))",
            "chain output `o` cannot feed anything",
        ),
        (
            "local c = chain.node('compressor')\nc:port('sidechain'):to(chain.node('gain'))",
            "has no output port `sidechain`",
        ),
        (
            "local g = chain.node('gain')\nlocal h = chain.node('gain')\ng:to(h)\ng:to(h)",
            "`gain.out` is already connected to `gain-2.in`",
        ),
        (
            "chain.connect(chain.input('i'), 'nowhere')",
            "unknown node `nowhere`",
        ),
        (
            "chain.connect(chain.input('i'), 42)",
            "expected a node, input or output",
        ),
        ("chain.series(chain.input('i'))", "give at least two steps"),
        ("chain.preset('mix-basik')", "did you mean `mix-basic`?"),
        (
            "chain.preset('missing/file.ron')",
            "subchain `missing/file.ron` not found",
        ),
        (
            "chain.preset('mix-basic'):set('gain', 1)",
            "subchain node `mix-basic` takes no `params`",
        ),
        (
            "chain.input('i'):set('gain', 1)",
            "chain input `i` has no parameters",
        ),
        (
            "chain.nod('gain')",
            "`chain.nod` does not exist; did you mean `chain.node`?",
        ),
        ("chain.sample_rate(44100.5)", "whole number of Hz"),
    ];
    for (script, expected) in cases {
        let lines = script.lines().count() as u32;
        let (line, message) = error_at(script);
        assert_eq!(line, Some(lines), "{script}: {message}");
        assert!(
            message.contains(expected),
            "{script}:\n  {message}\n  lacks: {expected}"
        );
        assert!(
            message.starts_with(&format!("t.lua:{lines}: ")),
            "{message}"
        );
    }
}

#[test]
fn errors_name_the_script_the_line_and_the_traceback() {
    let e = run_err(
        "local function strip(kind)\n  return chain.node(kind)\nend\nlocal function build()\n  strip('gian')\nend\nbuild()\n",
    );
    assert_eq!(e.script(), Some("t.lua"));
    assert_eq!(e.line(), Some(2));
    assert_eq!(
        e.traceback(),
        [
            "t.lua:2: in upvalue 'strip'",
            "t.lua:5: in local 'build'",
            "t.lua:7: in main chunk"
        ]
    );
    let text = e.to_string();
    assert!(
        text.starts_with("t.lua:2: node `gian`: unknown kind `gian`"),
        "{text}"
    );
    assert!(
        text.contains("stack traceback:\n    t.lua:2: in upvalue 'strip'"),
        "{text}"
    );

    // A script's own error, and a syntax error.
    let e = run_err("local x = 1\nerror('no mix given')");
    assert!(
        matches!(&e, ScriptError::Runtime { line: Some(2), message, .. } if message == "no mix given"),
        "{e:?}"
    );
    let e = run_err("local x = \n\n= 2");
    assert!(
        matches!(e, ScriptError::Syntax { line: Some(3), .. }),
        "{e:?}"
    );
}

#[test]
fn a_chain_invalid_as_a_whole_says_where_its_items_were_made() {
    let e = run_err(
        "local i = chain.input('in')\nlocal g = chain.node('gain')\ni:to(g)\nchain.output('out')\n",
    );
    let ScriptError::InvalidChain { notes, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(
        e.to_string().contains("output `out` is not connected"),
        "{e}"
    );
    assert_eq!(notes, &["`out` was created at t.lua:4"]);
}

#[test]
fn handles_know_their_name_kind_and_parameters() {
    let out = run(&(r#"
        local c = chain.node("compressor", {ratio = 2}, {name = "c"})
        assert(c.name == "c" and c.kind == "compressor")
        assert(c:get("ratio") == 2 and c:get("threshold") == -18 and c:get("detection") == "peak")
        c:set("ratio", 6)
        c:set("ratio", 8)
        assert(c:get("ratio") == 8)
        assert(c:port("sidechain").name == "sidechain" and c:port("sidechain").node == c)
        assert(chain.input("in").kind == nil)
        assert(tostring(c) == "node `c` (compressor)")
        chain.connect("in", c)
        local x = c
    "#
    .to_string()
        + OUT))
    .unwrap();
    assert_eq!(
        out.chain.nodes[0].params,
        vec![("ratio".to_string(), ParamValue::Number(8.0))]
    );
}

// ---------------------------------------------------------------- automation

#[test]
fn breakpoints_keep_their_times_values_and_curves() {
    let out = run(&format!(
        "local x = chain.node('gain')\nchain.input('in'):to(x)\nx:automate('gain', {{{{0, -60}}, {{2, -6, 'exp'}}, {{3, 0, 'step'}}, {{5, 0, 'linear'}}}}){OUT}"
    ))
    .unwrap();
    let lane = &out.chain.nodes[0].automation[0];
    let points: Vec<(f64, f64, Curve)> = lane
        .points
        .iter()
        .map(|p| (p.time, p.value, p.curve))
        .collect();
    assert_eq!(
        points,
        [
            (0.0, -60.0, Curve::Linear),
            (2.0, -6.0, Curve::Exponential),
            (3.0, 0.0, Curve::Step),
            (5.0, 0.0, Curve::Linear)
        ]
    );
}

#[test]
fn a_function_is_sampled_at_the_control_rate_up_to_the_end_exactly() {
    let out = run(&format!(
        "local x = chain.node('tilt')\nchain.input('in'):to(x)\nx:automate_fn('slope', function(t) return 2 * math.sin(t) end, {{from = 1, to = 2.05, rate = 10}}){OUT}"
    ))
    .unwrap();
    let lane = &out.chain.nodes[0].automation[0];
    // 1.0, 1.1, ..., 2.0, then 2.05 itself.
    assert_eq!(lane.points.len(), 12);
    for (i, p) in lane.points.iter().enumerate() {
        let t = if i == 11 { 2.05 } else { 1.0 + i as f64 / 10.0 };
        assert!((p.time - t).abs() < 1e-12, "{i}: {}", p.time);
        assert!((p.value - 2.0 * t.sin()).abs() < 1e-12);
        assert_eq!(p.curve, Curve::Linear);
    }
}

#[test]
fn bad_automation_is_refused_where_it_is_written() {
    let cases: &[(&str, &str)] = &[
        (
            "x:automate('gain', {{2, 0}, {1, 0}})",
            "in order; found 1 after 2",
        ),
        ("x:automate('gain', {{0, 100}})", "out of range"),
        ("x:automate('gian', {{0, 0}})", "did you mean `gain`?"),
        ("x:automate('gain', {{0, 0, 'cubic'}})", "unknown curve"),
        ("x:automate('gain', {})", "no breakpoints"),
        (
            "x:automate('gain', {{0, 0}})\nx:automate('gain', {{0, 1}})",
            "already automated (at t.lua:2)",
        ),
        (
            "x:automate_fn('gain', function(t) return 'loud' end, {to = 1})",
            "returned the string \"loud\" at t = 0 s",
        ),
        (
            "x:automate_fn('gain', function(t) return t * 100 end, {to = 1})",
            "returned 50 at t = 0.5 s for `gain`, out of range",
        ),
        (
            "x:automate_fn('gain', function(t) return 0 end, {})",
            "{to = seconds}",
        ),
        (
            "x:automate_fn('gain', function(t) return 0 end, {to = 1, rate = 5000})",
            "at most 1000 Hz",
        ),
        (
            "x:automate_fn('gain', function(t) return 0 end, {to = 1, from = 2})",
            "0 <= from < to",
        ),
    ];
    for (body, expected) in cases {
        let script = format!("local x = chain.node('gain')\n{body}");
        let (line, message) = error_at(&script);
        assert_eq!(
            line,
            Some(script.lines().count() as u32),
            "{script}: {message}"
        );
        assert!(
            message.contains(expected),
            "{script}:\n  {message}\n  lacks: {expected}"
        );
    }
    let (_, message) = error_at("local x = chain.node('highpass')\nx:automate('slope', {{0, 1}})");
    assert!(
        message.contains("only numbers can follow breakpoints"),
        "{message}"
    );
}

// ---------------------------------------------------------------- analysis

#[test]
fn analysis_measures_level_crest_bands_and_loudness() {
    let dir = tempfile::tempdir().unwrap();
    // A 100 Hz sine at 0.5 and a 4 kHz sine at 0.25, stereo, 3 s.
    let frames = 3 * RATE as usize;
    let audio = common::mix(&[sine(100.0, 0.5, 2, frames), sine(4000.0, 0.25, 2, frames)]);
    let wav = dir.path().join("tones.wav");
    write_wav(&wav, &audio);
    let out = run_str(
        r#"
        local a = analyze("tones")
        log(a.integrated, a.true_peak, a.lra, a.sample_peak, a.rms, a.crest, a.correlation,
            a.length, a.channels, a.sample_rate, a.bands.low, a.bands.low_mid, a.bands.high_mid, a.bands.high,
            a.active_rms, #a.momentary, a.momentary[1], a.momentary[#a.momentary])
        local x = chain.input("tones")
        chain.output("out", x)
        "#,
        "t.lua",
        &options_with(&[("tones", &wav)]),
    )
    .unwrap();
    let values: Vec<f64> = out
        .log
        .last()
        .unwrap()
        .split(' ')
        .map(|v| v.parse().unwrap())
        .collect();
    let [
        integrated,
        true_peak,
        lra,
        sample_peak,
        rms,
        crest,
        correlation,
        length,
        channels,
        rate,
        low,
        low_mid,
        high_mid,
        high,
        active_rms,
        momentary_count,
        first_momentary,
        last_momentary,
    ] = values[..]
    else {
        panic!("{values:?}")
    };
    let db = |x: f64| 20.0 * x.log10();
    let power_db = |p: f64| 10.0 * p.log10();
    // Independent readings: ebur128 for loudness; mean squares of the sines for the rest.
    assert!(
        (integrated - integrated_lufs(&audio)).abs() < 0.05,
        "{integrated}"
    );
    let peak = audio[0].iter().fold(0f32, |m, x| m.max(x.abs()));
    assert!((sample_peak - db(f64::from(peak))).abs() < 1e-3);
    assert!(true_peak >= sample_peak - 1e-6 && true_peak < sample_peak + 0.5);
    let expected_rms = power_db(0.5 * 0.5 / 2.0 + 0.25 * 0.25 / 2.0);
    assert!((rms - expected_rms).abs() < 0.01, "{rms} vs {expected_rms}");
    assert!((crest - (sample_peak - rms)).abs() < 1e-9);
    assert!((low - power_db(0.125)).abs() < 0.05, "low {low}");
    assert!(
        (high_mid - power_db(0.03125)).abs() < 0.05,
        "high_mid {high_mid}"
    );
    assert!(low_mid < -60.0 && high < -60.0, "{low_mid} {high}");
    assert!(lra < 0.5);
    assert!((correlation - 1.0).abs() < 1e-9);
    assert_eq!((length, channels, rate), (3.0, 2.0, f64::from(RATE)));
    // The tones play throughout: the active level is the RMS, and the momentary loudness
    // (every 100 ms from 0.4 s) is steady at the integrated loudness.
    assert!((active_rms - rms).abs() < 0.01, "{active_rms} vs {rms}");
    assert_eq!(momentary_count, 27.0);
    assert!(
        (first_momentary - integrated).abs() < 0.1 && (last_momentary - integrated).abs() < 0.1
    );
}

#[test]
fn each_file_is_analysed_once_however_often_it_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("mix.wav");
    write_wav(&wav, &noise(7, 2, RATE as usize, 0.2));
    let script = dir.path().join("r.lua");
    std::fs::write(
        &script,
        r#"
        local a = analyze("mix")
        local b = analyze("mix")
        local c = analyze("mix.wav") -- the same file, by its path next to the script
        assert(a.integrated == b.integrated and b.integrated == c.integrated)
        for _ = 1, 20 do analyze("mix") end
        local x = chain.input("mix")
        chain.output("out", x)
        "#,
    )
    .unwrap();
    let options = options_with(&[("mix", &wav)]);
    let mut host = Host::new();
    let out = host.run_file(&script, &options).unwrap();
    let analysed = out
        .log
        .iter()
        .filter(|l| l.starts_with("analysed `mix"))
        .count();
    assert_eq!(analysed, 1, "{:?}", out.log);
    assert_eq!(host.cache().len(), 1);
    // A second run on the same host measures nothing again.
    let again = host.run_file(&script, &options).unwrap();
    assert!(
        !again.log.iter().any(|l| l.starts_with("analysed")),
        "{:?}",
        again.log
    );
}

#[test]
fn analysing_something_that_is_not_an_input_or_a_file_names_the_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("mix.wav");
    write_wav(&wav, &noise(7, 1, 1000, 0.2));
    let e = run_str("analyze('mixx')", "t.lua", &options_with(&[("mix", &wav)])).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("did you mean `mix`?") && text.contains("the inputs are: mix"),
        "{text}"
    );
    let e = run_err("analyze('nothing.wav')");
    assert!(e.to_string().contains("no input is bound"), "{e}");
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "not audio").unwrap();
    let e = run_str("analyze('x')", "t.lua", &options_with(&[("x", &notes)])).unwrap_err();
    assert!(e.to_string().contains("cannot analyse"), "{e}");
}

// ---------------------------------------------------------------- the command line

#[test]
fn target_comes_from_the_command_line_with_spotify_by_default() {
    let read = |options: &ScriptOptions| {
        let out = run_str(
            "local t = target()\nlog(t.name, t.lufs, t.true_peak, t.default)\nlocal x = chain.input('i')\nchain.output('o', x)",
            "t.lua",
            options,
        )
        .unwrap();
        out.log[0].clone()
    };
    assert_eq!(read(&ScriptOptions::default()), "spotify -14.0 -1.0 true");
    let apple = ScriptOptions {
        target: Some("Apple".into()),
        ..ScriptOptions::default()
    };
    assert_eq!(read(&apple), "apple -16.0 -1.0 false");
    let custom = ScriptOptions {
        lufs: Some(-18.0),
        ..ScriptOptions::default()
    };
    assert_eq!(read(&custom), "custom -18.0 -1.0 false");
    let typo = ScriptOptions {
        target: Some("spotfy".into()),
        ..ScriptOptions::default()
    };
    let e = run_str("", "t.lua", &typo).unwrap_err();
    assert!(matches!(e, ScriptError::Target { .. }), "{e:?}");
    assert!(e.to_string().contains("did you mean `spotify`?"), "{e}");
    let loud = ScriptOptions {
        lufs: Some(3.0),
        ..ScriptOptions::default()
    };
    assert!(matches!(
        run_str("", "t.lua", &loud),
        Err(ScriptError::Target { .. })
    ));
}

#[test]
fn arg_converts_set_values_to_the_defaults_type() {
    let options = ScriptOptions {
        sets: vec![
            ("ratio".into(), "2.5".into()),
            ("count".into(), "3".into()),
            ("bright".into(), "yes".into()),
            ("label".into(), "take 2".into()),
            ("ratio".into(), "4".into()),
            ("unused".into(), "1".into()),
        ],
        ..ScriptOptions::default()
    };
    let out = run_str(
        r#"
        log(arg("ratio", 1.0), math.type(arg("count", 1)), arg("bright", false), arg("label"), arg("missing", 7))
        local x = chain.input("i")
        chain.output("o", x)
        "#,
        "t.lua",
        &options,
    )
    .unwrap();
    assert_eq!(out.log[0], "4.0 integer true take 2 7");
    assert!(
        out.log
            .iter()
            .any(|l| l == "note: --set unused is not read by t.lua"),
        "{:?}",
        out.log
    );
    let bad = ScriptOptions {
        sets: vec![("ratio".into(), "lots".into())],
        ..ScriptOptions::default()
    };
    let e = run_str("arg('ratio', 1)", "t.lua", &bad).unwrap_err();
    assert!(
        e.to_string()
            .contains("--set ratio=lots: expected a number"),
        "{e}"
    );
}

#[test]
fn inputs_lists_the_bound_names_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.wav");
    let options = options_with(&[("drums", &a), ("vox", &a)]);
    let out = run_str(
        "log(table.concat(inputs(), ','))\nlocal x = chain.input('i')\nchain.output('o', x)",
        "t.lua",
        &options,
    )
    .unwrap();
    assert_eq!(out.log[0], "drums,vox");
}

#[test]
fn log_and_print_write_lines_as_tostring_shows_values() {
    let out = run(&format!(
        "local x = chain.input('in')\nlog('a', 1, 2.5, nil, true, x)\nprint('b'){OUT}"
    ))
    .unwrap();
    assert_eq!(out.log, ["a 1 2.5 nil true input `in`", "b"]);
}

// ---------------------------------------------------------------- files

#[test]
fn preset_files_and_the_chain_origin_are_relative_to_the_script() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(
        dir.path().join("sub/strip.ron"),
        r#"Chain(inputs: ["in"], outputs: ["out"], series: [Node(kind: "gain", params: {"gain": -6.0})])"#,
    )
    .unwrap();
    let script = dir.path().join("r.lua");
    std::fs::write(
        &script,
        "local s = chain.preset('sub/strip.ron')\nchain.input('in'):to(s):to(chain.output('out'))\nassert(s.name == 'strip')",
    )
    .unwrap();
    let out = run_file(&script, &ScriptOptions::default()).unwrap();
    assert_eq!(out.chain.nodes[0].chain.as_deref(), Some("sub/strip.ron"));
    assert_eq!(out.chain.origin.dir(), Some(dir.path()));
    assert_eq!(out.chain.name.as_deref(), Some("r"));
    // The whole chain validates again from its origin (as the CLI will).
    mixgraph_chains::validate(&out.chain, &mixgraph_nodes::catalog()).unwrap();
    let e = run_file(&dir.path().join("missing.lua"), &ScriptOptions::default()).unwrap_err();
    assert!(matches!(e, ScriptError::Read { .. }), "{e:?}");
}

#[test]
fn kinds_and_presets_list_what_exists() {
    let out = run(&format!(
        "local k = chain.kinds()\nlocal p = table.concat(chain.presets(), ',')\nlog(#k, p)\nfor _, kind in ipairs(k) do assert(kind ~= 'input' and kind ~= 'output') end\nlocal x = chain.input('i'){OUT}"
    ))
    .unwrap();
    let catalog: BTreeSet<&str> = mixgraph_nodes::catalog().kinds().collect();
    let presets: Vec<&str> = mixgraph_chains::presets::names().collect();
    assert_eq!(
        out.log[0],
        format!("{} {}", catalog.len() - 2, presets.join(","))
    );
}
