//! Copying nodes between engine graphs with their parameters, folder and automation, so a
//! chain's graph can be cut into the part before the limiter and the part from it on.

use mixgraph_engine::{Graph, GraphError, NodeId, NodeInstance, ParamKind, ParamValue};

/// The parameter values of a node as a chain would give them (the inverse of
/// `Params::resolve`), with `overrides` replacing values by name.
pub fn param_values(node: &NodeInstance, overrides: &[(&str, f64)]) -> Vec<(String, ParamValue)> {
    let params = &node.params;
    params
        .specs()
        .iter()
        .enumerate()
        .filter_map(|(i, spec)| {
            let number = overrides
                .iter()
                .find(|(name, _)| *name == spec.name)
                .map_or_else(|| params.number_at(i), |&(_, v)| v);
            let value = match &spec.kind {
                ParamKind::Number { .. } => ParamValue::Number(number),
                ParamKind::Choice { options, .. } => {
                    ParamValue::Text((*options.get(number as usize)?).to_string())
                }
                ParamKind::Bool { .. } => ParamValue::Bool(number != 0.0),
                ParamKind::Path => ParamValue::Text(params.text(spec.name)?.to_string()),
                // A kind added to the engine later: leave it at its default.
                _ => return None,
            };
            Some((spec.name.to_string(), value))
        })
        .collect()
}

/// Adds a copy of `node` (same name and kind, its parameters with `overrides`, its folder
/// and automation lanes except those of overridden parameters) to `graph`.
///
/// # Errors
/// A duplicate name, or an override out of the parameter's range.
pub fn copy_node(
    graph: &mut Graph,
    node: &NodeInstance,
    overrides: &[(&str, f64)],
) -> Result<NodeId, GraphError> {
    let id = graph.add_node(
        node.name.clone(),
        node.kind.clone(),
        &param_values(node, overrides),
    )?;
    graph.set_base_dir(id, node.base_dir.clone());
    for lane in &node.automation {
        if !overrides.iter().any(|(name, _)| *name == lane.param) {
            graph.add_automation(id, lane.clone())?;
        }
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use mixgraph_engine::{AutomationLane, Breakpoint, Curve};

    use super::*;

    fn catalog_node(
        graph: &mut Graph,
        name: &str,
        kind: &str,
        params: &[(&str, ParamValue)],
    ) -> NodeId {
        let catalog = mixgraph_nodes::catalog();
        let params: Vec<(String, ParamValue)> = params
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect();
        graph
            .add_node(name, catalog.get(kind).unwrap(), &params)
            .unwrap()
    }

    #[test]
    fn a_copied_node_keeps_every_kind_of_parameter() {
        let mut graph = Graph::new();
        // The highpass has a number and a choice; the compressor numbers and flags.
        let hp = catalog_node(
            &mut graph,
            "hp",
            "highpass",
            &[
                ("frequency", ParamValue::Number(35.0)),
                ("slope", ParamValue::Text("24".into())),
            ],
        );
        let original = graph.node(hp).unwrap().clone();
        let mut copy = Graph::new();
        let id = copy_node(&mut copy, &original, &[]).unwrap();
        let copied = copy.node(id).unwrap();
        assert_eq!(copied.name, "hp");
        assert_eq!(copied.params, original.params);
        // An override changes only that value.
        let mut other = Graph::new();
        let id = copy_node(&mut other, &original, &[("frequency", 50.0)]).unwrap();
        let overridden = &other.node(id).unwrap().params;
        assert_eq!(overridden.number("frequency"), 50.0);
        assert_eq!(overridden.text("slope"), original.params.text("slope"));
    }

    #[test]
    fn automation_is_copied_unless_its_parameter_is_overridden() {
        let mut graph = Graph::new();
        let id = catalog_node(&mut graph, "lim", "limiter", &[]);
        for param in ["release", "ceiling"] {
            let lane = AutomationLane {
                param: param.to_string(),
                points: vec![Breakpoint {
                    time: 1.0,
                    value: if param == "release" { 50.0 } else { -3.0 },
                    curve: Curve::Linear,
                }],
            };
            graph.add_automation(id, lane).unwrap();
        }
        let original = graph.node(id).unwrap().clone();
        let mut copy = Graph::new();
        let copied = copy_node(&mut copy, &original, &[("ceiling", -2.0)]).unwrap();
        let lanes: Vec<&str> = copy
            .node(copied)
            .unwrap()
            .automation
            .iter()
            .map(|l| l.param.as_str())
            .collect();
        assert_eq!(lanes, ["release"]);
        assert!(
            copy_node(&mut copy, &original, &[]).is_err(),
            "duplicate name"
        );
    }
}
