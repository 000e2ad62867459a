//! Automation from the script: breakpoints written out (`node:automate`) or a Lua function
//! of time sampled at a control rate (`node:automate_fn`), both becoming the engine's
//! [`Breakpoint`]s before anything renders.

use mixgraph_engine::{Breakpoint, Curve, ParamSpec, ParamValue};
use mlua::{Function, Value};

use crate::api::call::Call;
use crate::api::values::{Options, describe, number, text};
use crate::limits::{MAX_BREAKPOINTS, MAX_CONTROL_RATE};

/// The options of `node:automate_fn`.
pub(crate) const SAMPLING_OPTIONS: &[&str] = &["from", "to", "rate", "curve"];

/// The control rate when the script gives none, in Hz.
const DEFAULT_RATE: f64 = 50.0;

/// Reads `{{t, v}, {t, v, "exp"}, ...}`: time in seconds, value, and optionally how the
/// value travels from the previous point (`"linear"`, the default, `"exp"` or `"step"`).
pub(crate) fn breakpoints(call: &Call, value: &Value) -> mlua::Result<Vec<Breakpoint>> {
    let Value::Table(table) = value else {
        return Err(call.error(format!(
            "expected a list of breakpoints such as {{{{0, -60}}, {{4, 0, \"exp\"}}}}, found {}",
            describe(value)
        )));
    };
    let count = table.raw_len();
    if count > MAX_BREAKPOINTS {
        return Err(call.error(format!(
            "at most {MAX_BREAKPOINTS} breakpoints per lane, found {count}"
        )));
    }
    let mut points = Vec::with_capacity(count);
    for i in 1..=count {
        let item: Value = table.raw_get(i)?;
        let bad = |why: String| {
            call.error(format!(
                "breakpoint {i}: {why}; write {{seconds, value}} or {{seconds, value, \"exp\"}}"
            ))
        };
        let Value::Table(point) = &item else {
            return Err(bad(format!("found {}", describe(&item))));
        };
        let time = number(&point.raw_get(1)?)
            .ok_or_else(|| bad("the time is not a number".to_string()))?;
        let value = number(&point.raw_get(2)?)
            .ok_or_else(|| bad("the value is not a number".to_string()))?;
        let curve = match point.raw_get::<Value>(3)? {
            Value::Nil => Curve::Linear,
            v => text(&v).and_then(|t| curve(&t)).ok_or_else(|| {
                bad(format!(
                    "unknown curve {}; use \"linear\", \"exp\" or \"step\"",
                    describe(&v)
                ))
            })?,
        };
        points.push(Breakpoint { time, value, curve });
    }
    Ok(points)
}

/// Samples `f(t)` from `from` to `to` seconds at `rate` points per second (the last point at
/// `to` exactly), each value checked against `spec`.
pub(crate) fn sample(
    call: &Call,
    f: &Function,
    options: &Options,
    spec: &ParamSpec,
) -> mlua::Result<Vec<Breakpoint>> {
    let from = options.number(call, "from")?.unwrap_or(0.0);
    let to = options
        .number(call, "to")?
        .ok_or_else(|| call.error("give the end of the automation: {to = seconds}"))?;
    let rate = options.number(call, "rate")?.unwrap_or(DEFAULT_RATE);
    let curve = match options.string(call, "curve")? {
        None => Curve::Linear,
        Some(c) => match c.as_str() {
            "linear" => Curve::Linear,
            "step" => Curve::Step,
            other => {
                return Err(call.error(format!(
                    "unknown curve \"{other}\" for sampled automation; use \"linear\" or \"step\""
                )));
            }
        },
    };
    if !(from.is_finite() && from >= 0.0 && to.is_finite() && to > from) {
        return Err(call.error(format!(
            "the automation runs from `from` to `to` seconds, 0 <= from < to; found from = {from}, to = {to}"
        )));
    }
    if !(rate > 0.0 && rate <= MAX_CONTROL_RATE) {
        return Err(call.error(format!(
            "the control rate must be above 0 and at most {MAX_CONTROL_RATE} Hz, found {rate}"
        )));
    }
    let steps = ((to - from) * rate).floor();
    if steps + 2.0 > MAX_BREAKPOINTS as f64 {
        return Err(call.error(format!(
            "{to} - {from} s at {rate} Hz makes more than {MAX_BREAKPOINTS} breakpoints; lower the rate"
        )));
    }
    let mut times: Vec<f64> = (0..=steps as usize)
        .map(|i| from + i as f64 / rate)
        .collect();
    if times.last().is_some_and(|&t| to - t > 1e-9) {
        times.push(to);
    }
    let mut points = Vec::with_capacity(times.len());
    for time in times {
        let result: Value = f.call(time)?;
        let value = number(&result).ok_or_else(|| {
            call.error(format!(
                "the function returned {} at t = {time} s; it must return a number",
                describe(&result)
            ))
        })?;
        if spec.check(&ParamValue::Number(value)).is_err() {
            return Err(call.error(format!(
                "the function returned {value} at t = {time} s for `{}`, out of range: expected {}",
                spec.name,
                spec.describe_range()
            )));
        }
        points.push(Breakpoint { time, value, curve });
    }
    Ok(points)
}

/// A curve by name.
fn curve(name: &str) -> Option<Curve> {
    match name {
        "linear" => Some(Curve::Linear),
        "exp" | "exponential" => Some(Curve::Exponential),
        "step" => Some(Curve::Step),
        _ => None,
    }
}
