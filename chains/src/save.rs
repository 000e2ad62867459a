//! Writing chains: any [`ChainSpec`] (read from a file or built by a script) becomes RON
//! text that [`crate::load_str`] reads back to an equal `ChainSpec`.
//!
//! The layout is fixed and meant for people: one input, output, node or path per line,
//! short forms where nothing but the name (or kind) is set, default values left out.

use mixgraph_engine::{AutomationLane, Curve, ParamValue};

use crate::spec::{ChainSpec, Dither, Endpoint, InputSpec, NodeSpec, OutputSpec, SampleFormat};

/// The chain as pretty RON text, ending with a newline.
pub fn save(spec: &ChainSpec) -> String {
    let mut out = String::from("Chain(\n");
    if let Some(name) = &spec.name {
        field(&mut out, "name", &string(name));
    }
    if let Some(description) = &spec.description {
        field(&mut out, "description", &string(description));
    }
    if let Some(rate) = spec.sample_rate {
        field(&mut out, "sample_rate", &rate.to_string());
    }
    list(&mut out, "inputs", &spec.inputs, input);
    list(&mut out, "outputs", &spec.outputs, output);
    list(&mut out, "nodes", &spec.nodes, node);
    list(&mut out, "series", &spec.series, node);
    list(&mut out, "connections", &spec.connections, |path| {
        format!("[{}]", join(path.iter().map(endpoint)))
    });
    out.push_str(")\n");
    out
}

const INDENT: &str = "    ";

fn field(out: &mut String, name: &str, value: &str) {
    out.push_str(&format!("{INDENT}{name}: {value},\n"));
}

/// A list field with one item per line; nothing when empty.
fn list<T>(out: &mut String, name: &str, items: &[T], item: impl Fn(&T) -> String) {
    if items.is_empty() {
        return;
    }
    out.push_str(&format!("{INDENT}{name}: [\n"));
    for i in items {
        out.push_str(&format!("{INDENT}{INDENT}{},\n", item(i)));
    }
    out.push_str(&format!("{INDENT}],\n"));
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// `Name(a: 1, b: 2)` from the fields that are set.
fn strukt(name: &str, fields: &[(&str, Option<String>)]) -> String {
    let set = fields
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v}")));
    format!("{name}({})", join(set))
}

fn input(i: &InputSpec) -> String {
    if i.channels.is_none() {
        return string(&i.name);
    }
    strukt(
        "Input",
        &[
            ("name", Some(string(&i.name))),
            ("channels", i.channels.map(|c| c.to_string())),
        ],
    )
}

fn output(o: &OutputSpec) -> String {
    if o.is_short() {
        return string(&o.name);
    }
    strukt(
        "Output",
        &[
            ("name", Some(string(&o.name))),
            ("from", o.from.as_ref().map(endpoint)),
            ("sample_rate", o.sample_rate.map(|r| r.to_string())),
            (
                "format",
                (o.format != SampleFormat::default()).then(|| o.format.name().to_string()),
            ),
            (
                "dither",
                (o.dither != Dither::default()).then(|| o.dither.name().to_string()),
            ),
        ],
    )
}

fn node(n: &NodeSpec) -> String {
    if let (true, Some(kind)) = (n.is_short(), &n.kind) {
        return string(kind);
    }
    let params = (!n.params.is_empty()).then(|| {
        format!(
            "{{{}}}",
            join(
                n.params
                    .iter()
                    .map(|(k, v)| format!("{}: {}", string(k), value(v)))
            )
        )
    });
    let automation =
        (!n.automation.is_empty()).then(|| format!("{{{}}}", join(n.automation.iter().map(lane))));
    strukt(
        "Node",
        &[
            ("name", n.name.as_deref().map(string)),
            ("kind", n.kind.as_deref().map(string)),
            ("chain", n.chain.as_deref().map(string)),
            ("params", params),
            ("automation", automation),
        ],
    )
}

fn lane(l: &AutomationLane) -> String {
    let points = l.points.iter().map(|p| match p.curve {
        Curve::Linear => format!("({}, {})", number(p.time), number(p.value)),
        Curve::Step => format!("({}, {}, Step)", number(p.time), number(p.value)),
        Curve::Exponential => format!("({}, {}, Exponential)", number(p.time), number(p.value)),
    });
    format!("{}: [{}]", string(&l.param), join(points))
}

fn value(v: &ParamValue) -> String {
    match v {
        ParamValue::Number(x) => number(*x),
        ParamValue::Text(t) => string(t),
        ParamValue::Bool(b) => b.to_string(),
    }
}

fn endpoint(e: &Endpoint) -> String {
    string(&e.to_string())
}

/// A number as RON reads it back exactly: always with a decimal point or exponent.
fn number(x: f64) -> String {
    if x.is_nan() {
        "NaN".to_string()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{x:?}")
    }
}

/// A quoted RON string with `\`, `"` and control characters escaped.
fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_quotes_backslashes_and_control_characters() {
        assert_eq!(string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u{1}\"");
    }

    #[test]
    fn numbers_always_read_back_as_floats() {
        assert_eq!(number(80.0), "80.0");
        assert_eq!(number(-0.5), "-0.5");
        assert_eq!(number(1e-7), "1e-7");
    }
}
