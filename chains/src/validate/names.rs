//! Name rules for nodes, inputs and outputs, and the names given to unnamed `series` steps.

use std::collections::HashMap;

use crate::limits::MAX_NAME_BYTES;
use crate::spec::NodeSpec;

/// Why a name cannot be used as a node, input or output name, if it cannot (the rules of
/// `chains/README.md`, Names).
pub fn problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("a name cannot be empty")
    } else if name.len() > MAX_NAME_BYTES {
        Some("a name can be at most 256 bytes long")
    } else if name.contains('.') {
        Some("`.` separates a node from its port (`node.port`)")
    } else if name.contains('/') {
        Some("`/` separates a subchain from its nodes (`sub/node`)")
    } else if name.chars().any(char::is_control) {
        Some("a name cannot contain control characters")
    } else {
        None
    }
}

/// The names of `series` steps: the given name, or the kind (or subchain file name) when
/// that kind appears once among the unnamed steps, `kind-1`, `kind-2`... when it repeats.
pub(crate) fn series_names(series: &[NodeSpec]) -> Vec<String> {
    let bases: Vec<String> = series.iter().map(base).collect();
    let mut total: HashMap<&str, usize> = HashMap::new();
    for (step, b) in series.iter().zip(&bases) {
        if step.name.is_none() {
            *total.entry(b).or_default() += 1;
        }
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    series
        .iter()
        .zip(&bases)
        .map(|(step, b)| match &step.name {
            Some(name) => name.clone(),
            None if total.get(b.as_str()) == Some(&1) => b.clone(),
            None => {
                let n = seen.entry(b).or_default();
                *n += 1;
                format!("{b}-{n}")
            }
        })
        .collect()
}

/// What an unnamed step is named after: its kind, or its subchain's file name without
/// folder and `.ron`; characters not allowed in names become `-`.
fn base(step: &NodeSpec) -> String {
    let raw = match (&step.kind, &step.chain) {
        (Some(kind), _) => kind.as_str(),
        (None, Some(chain)) => {
            let file = chain.rsplit(['/', '\\']).next().unwrap_or(chain);
            file.strip_suffix(".ron").unwrap_or(file)
        }
        (None, None) => "node",
    };
    let clean: String = raw
        .chars()
        .map(|c| {
            if c == '.' || c == '/' || c.is_control() {
                '-'
            } else {
                c
            }
        })
        .collect();
    if clean.is_empty() {
        "node".to_string()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_kinds_are_numbered_and_unique_kinds_keep_their_name() {
        let series = [
            NodeSpec::of_kind("gain"),
            NodeSpec::of_kind("pan"),
            NodeSpec::of_kind("gain").named("trim"),
            NodeSpec::of_kind("gain"),
            NodeSpec::of_chain("../chains/master.v2.ron"),
        ];
        assert_eq!(
            series_names(&series),
            ["gain-1", "pan", "trim", "gain-2", "master-v2"]
        );
    }

    #[test]
    fn names_with_port_or_subchain_separators_are_refused() {
        assert!(problem("lead vox").is_none());
        assert!(problem("a.b").is_some());
        assert!(problem("a/b").is_some());
        assert!(problem("").is_some());
        assert!(problem(&"x".repeat(300)).is_some());
    }
}
