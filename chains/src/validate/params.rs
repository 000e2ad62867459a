//! Checking a node's parameters and automation lanes against its kind's descriptor, with
//! errors that name the closest parameter or option and give units and ranges.

use mixgraph_engine::param::ParamError;
use mixgraph_engine::{AutomationLane, GraphError, NodeDescriptor, ParamKind, ParamValue};

use crate::error::ChainError;
use crate::locate::Step;
use crate::validate::site::Site;
use crate::validate::suggest;

/// Checks every given parameter and lane of node `node`, whose item is at `site`.
pub(crate) fn check(
    node: &str,
    d: &NodeDescriptor,
    params: &[(String, ParamValue)],
    automation: &[AutomationLane],
    site: &Site,
) -> Result<(), ChainError> {
    for (name, value) in params {
        let at = || site.at(&[Step::Field("params"), Step::Key(name.clone())]);
        let spec = d.param(name).ok_or_else(|| unknown(node, d, name, at()))?;
        spec.check(value).map_err(|e| param_error(node, e, at()))?;
    }
    for spec in d.params {
        if spec.default_value().is_none() && !params.iter().any(|(n, _)| n == spec.name) {
            return Err(ChainError::MissingParam {
                at: site.at(&[Step::Field("name")]),
                node: node.to_string(),
                kind: d.kind.to_string(),
                param: spec.name.to_string(),
                doc: spec.doc.to_string(),
            });
        }
    }
    for lane in automation {
        let at = || site.at(&[Step::Field("automation"), Step::Key(lane.param.clone())]);
        let bad = |reason: String| ChainError::BadAutomation {
            at: at(),
            node: node.to_string(),
            param: lane.param.clone(),
            reason,
        };
        let spec = d
            .param(&lane.param)
            .ok_or_else(|| unknown(node, d, &lane.param, at()))?;
        if !matches!(spec.kind, ParamKind::Number { .. }) {
            return Err(bad(format!(
                "only numbers can follow breakpoints; `{}` takes {}",
                spec.name,
                spec.describe_range()
            )));
        }
        if lane.points.is_empty() {
            return Err(bad("the lane has no breakpoints".to_string()));
        }
        let mut previous = 0.0;
        for p in &lane.points {
            if !(p.time.is_finite() && p.time >= previous) {
                return Err(bad(format!(
                    "breakpoint times are seconds from the start, in order; found {} after {previous}",
                    p.time
                )));
            }
            previous = p.time;
            spec.check(&ParamValue::Number(p.value))
                .map_err(|e| param_error(node, e, at()))?;
        }
    }
    Ok(())
}

fn unknown(node: &str, d: &NodeDescriptor, param: &str, at: crate::error::Location) -> ChainError {
    ChainError::UnknownParam {
        at,
        node: node.to_string(),
        kind: d.kind.to_string(),
        param: param.to_string(),
        suggestion: suggest::closest(param, d.params.iter().map(|p| p.name)),
        valid: d.params.iter().map(|p| p.name.to_string()).collect(),
    }
}

/// The chain error for a parameter value that does not fit its description, at `at`: used
/// by validation and by the Lua host, so both report the same way.
pub fn param_error(node: &str, e: ParamError, at: crate::error::Location) -> ChainError {
    let node = node.to_string();
    match e {
        ParamError::OutOfRange {
            param,
            value,
            min,
            max,
            unit,
        } => ChainError::ParamOutOfRange {
            at,
            node,
            param,
            value,
            min,
            max,
            unit,
        },
        ParamError::WrongType {
            param,
            expected,
            found,
        } => ChainError::ParamWrongType {
            at,
            node,
            param,
            expected,
            found,
        },
        ParamError::UnknownChoice {
            param,
            found,
            options,
        } => {
            let suggestion = suggest::closest(&found, options.iter().map(String::as_str));
            ChainError::UnknownOption {
                at,
                node,
                param,
                found,
                suggestion,
                options,
            }
        }
        other => ChainError::Graph {
            at,
            source: GraphError::Param {
                node,
                source: other,
            },
        },
    }
}
