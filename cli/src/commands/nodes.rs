//! `mixgraph nodes [KIND]`: the node catalog with ports, parameters, units, ranges and
//! defaults, and where each node's code lives.

use std::fmt::Write as _;

use anyhow::Result;
use mixgraph_engine::{NodeDescriptor, ParamKind, PortRole};
use serde_json::{Value, json};

use crate::exit::BadInput;

/// Prints the catalog (or one node type) as text or JSON.
pub fn run(kind: Option<&str>, json: bool) -> Result<()> {
    let catalog = mixgraph_nodes::catalog();
    let descriptors: Vec<NodeDescriptor> = match kind {
        Some(k) => match catalog.get(k) {
            Some(t) => vec![t.descriptor().clone()],
            None => {
                let hint = catalog
                    .closest(k)
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                return Err(BadInput(format!(
                    "unknown node kind `{k}`{hint} (run `mixgraph nodes` for the list)"
                ))
                .into());
            }
        },
        None => catalog.iter().map(|t| t.descriptor().clone()).collect(),
    };
    if json {
        let list: Vec<Value> = descriptors.iter().map(to_json).collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    if kind.is_none() {
        let mut by_category: Vec<&NodeDescriptor> = descriptors.iter().collect();
        by_category.sort_by_key(|d| (d.category.name(), d.kind));
        let mut last = "";
        for d in by_category {
            if d.category.name() != last {
                last = d.category.name();
                println!("\n{last}:");
            }
            println!("  {:<22} {}", d.kind, d.doc);
        }
        println!("\n`mixgraph nodes KIND` shows a node's ports and parameters.");
        return Ok(());
    }
    for d in &descriptors {
        print!("{}", describe(d));
    }
    Ok(())
}

/// A node type described for people.
pub fn describe(d: &NodeDescriptor) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} ({})\n  {}\n  code: {}",
        d.kind,
        d.category.name(),
        d.doc,
        d.source
    );
    let _ = writeln!(s, "  inputs:");
    if d.inputs.is_empty() {
        let _ = writeln!(s, "    (none)");
    }
    for p in d.inputs {
        let role = match (p.role, p.required) {
            (PortRole::Sidechain, _) => "sidechain, optional",
            (_, true) => "required",
            (_, false) => "optional",
        };
        let _ = writeln!(
            s,
            "    {:<12} {} ({role})",
            p.name,
            p.describe_channels(d.inputs)
        );
    }
    let _ = writeln!(s, "  outputs:");
    if d.outputs.is_empty() {
        let _ = writeln!(s, "    (none)");
    }
    for p in d.outputs {
        let _ = writeln!(s, "    {:<12} {}", p.name, p.describe_channels(d.inputs));
    }
    let _ = writeln!(s, "  parameters:");
    if d.params.is_empty() {
        let _ = writeln!(s, "    (none)");
    }
    for p in d.params {
        let _ = writeln!(
            s,
            "    {:<18} {}\n    {:<18} {}",
            p.name,
            p.doc,
            "",
            p.describe_range()
        );
    }
    s
}

fn to_json(d: &NodeDescriptor) -> Value {
    let port = |p: &mixgraph_engine::PortSpec| {
        json!({
            "name": p.name,
            "channels": p.describe_channels(d.inputs),
            "sidechain": p.role == PortRole::Sidechain,
            "required": p.required,
        })
    };
    let params: Vec<Value> = d
        .params
        .iter()
        .map(|p| {
            let mut v = json!({ "name": p.name, "doc": p.doc });
            match &p.kind {
                ParamKind::Number {
                    min,
                    max,
                    default,
                    unit,
                    smoothing_ms,
                } => {
                    v["type"] = json!("number");
                    v["min"] = json!(min);
                    v["max"] = json!(max);
                    v["default"] = json!(default);
                    v["unit"] = json!(unit.symbol());
                    v["smoothing_ms"] = json!(smoothing_ms);
                }
                ParamKind::Choice { options, default } => {
                    v["type"] = json!("choice");
                    v["options"] = json!(options);
                    v["default"] = json!(default);
                }
                ParamKind::Bool { default } => {
                    v["type"] = json!("bool");
                    v["default"] = json!(default);
                }
                ParamKind::Path => v["type"] = json!("path"),
                _ => v["type"] = json!("other"),
            }
            v
        })
        .collect();
    json!({
        "kind": d.kind,
        "category": d.category.name(),
        "doc": d.doc,
        "source": d.source,
        "inputs": d.inputs.iter().map(port).collect::<Vec<_>>(),
        "outputs": d.outputs.iter().map(port).collect::<Vec<_>>(),
        "params": params,
    })
}
