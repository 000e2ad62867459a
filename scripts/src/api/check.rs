//! Checking one parameter value or automation lane against a node type's descriptor when the
//! script gives it, with the same errors (and suggestions) as a RON chain gets from
//! validation, located at the script's line.

#![allow(
    clippy::result_large_err,
    reason = "a ChainError carries every name a person needs to fix the call; it is built at most once per refused call and turned into a Lua error at once"
)]

use mixgraph_chains::{ChainError, Location};
use mixgraph_engine::{AutomationLane, NodeDescriptor, ParamKind, ParamSpec, ParamValue};

use crate::api::suggest::closest;

/// The spec of parameter `param` of node `node`, or `UnknownParam` naming the closest.
pub(crate) fn param<'d>(
    node: &str,
    d: &'d NodeDescriptor,
    param: &str,
    at: &Location,
) -> Result<&'d ParamSpec, ChainError> {
    d.param(param).ok_or_else(|| ChainError::UnknownParam {
        at: at.clone(),
        node: node.to_string(),
        kind: d.kind.to_string(),
        param: param.to_string(),
        suggestion: closest(param, d.params.iter().map(|p| p.name)),
        valid: d.params.iter().map(|p| p.name.to_string()).collect(),
    })
}

/// Checks `value` for parameter `spec` of node `node`.
pub(crate) fn value(
    node: &str,
    spec: &ParamSpec,
    value: &ParamValue,
    at: &Location,
) -> Result<(), ChainError> {
    spec.check(value)
        .map(|_| ())
        .map_err(|e| mixgraph_chains::param_error(node, e, at.clone()))
}

/// The first parameter without default (a file path) that `given` leaves out.
pub(crate) fn required(
    node: &str,
    d: &NodeDescriptor,
    given: &[(String, ParamValue)],
    at: &Location,
) -> Result<(), ChainError> {
    match d
        .params
        .iter()
        .find(|p| p.default_value().is_none() && !given.iter().any(|(n, _)| n == p.name))
    {
        Some(p) => Err(ChainError::MissingParam {
            at: at.clone(),
            node: node.to_string(),
            kind: d.kind.to_string(),
            param: p.name.to_string(),
            doc: p.doc.to_string(),
        }),
        None => Ok(()),
    }
}

/// The spec of parameter `param` if it can follow breakpoints (it is a number).
pub(crate) fn automatable<'d>(
    node: &str,
    d: &'d NodeDescriptor,
    name: &str,
    at: &Location,
) -> Result<&'d ParamSpec, ChainError> {
    let spec = param(node, d, name, at)?;
    if matches!(spec.kind, ParamKind::Number { .. }) {
        Ok(spec)
    } else {
        Err(ChainError::BadAutomation {
            at: at.clone(),
            node: node.to_string(),
            param: name.to_string(),
            reason: format!(
                "only numbers can follow breakpoints; `{}` takes {}",
                spec.name,
                spec.describe_range()
            ),
        })
    }
}

/// Checks an automation lane: a numeric parameter, at least one breakpoint, times finite,
/// not negative and in order, values in range.
pub(crate) fn lane(
    node: &str,
    d: &NodeDescriptor,
    lane: &AutomationLane,
    at: &Location,
) -> Result<(), ChainError> {
    let spec = automatable(node, d, &lane.param, at)?;
    let bad = |reason: String| ChainError::BadAutomation {
        at: at.clone(),
        node: node.to_string(),
        param: lane.param.clone(),
        reason,
    };
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
        if spec.check(&ParamValue::Number(p.value)).is_err() {
            return Err(bad(format!(
                "the value {} at {} s is out of range: expected {}",
                p.value,
                p.time,
                spec.describe_range()
            )));
        }
    }
    Ok(())
}
