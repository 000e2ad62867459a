//! Reading Lua values given to the API: numbers, names, parameter values and option tables
//! (with unknown options refused and the closest one suggested).

use mixgraph_engine::ParamValue;
use mixgraph_engine::catalog::closest_name;
use mlua::{Table, Value};

use crate::api::call::Call;

/// A Lua integer or float as a number.
pub(crate) fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// A Lua string as text (lossy for invalid UTF-8).
pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.to_string_lossy()),
        _ => None,
    }
}

/// The value as named in a message: `the string "x"`, `the number 3`, `a table`.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => format!("the string \"{}\"", s.to_string_lossy().escape_debug()),
        Value::Integer(i) => format!("the number {i}"),
        Value::Number(n) => format!("the number {n}"),
        Value::Boolean(b) => format!("{b}"),
        Value::Nil => "nothing (nil)".to_string(),
        other => format!("a {}", other.type_name()),
    }
}

/// A required string argument.
pub(crate) fn string_arg(call: &Call, value: &Value, what: &str) -> mlua::Result<String> {
    text(value).ok_or_else(|| {
        call.error(format!(
            "{what} must be a string, found {}",
            describe(value)
        ))
    })
}

/// A parameter value: a number, a name (choice or path) or a boolean.
pub(crate) fn param_value(value: &Value) -> Option<ParamValue> {
    match value {
        Value::Boolean(b) => Some(ParamValue::Bool(*b)),
        Value::String(s) => Some(ParamValue::Text(s.to_string_lossy())),
        other => number(other).map(ParamValue::Number),
    }
}

/// A table of options such as `{name = "comp"}`; only the listed keys are accepted.
pub(crate) struct Options {
    table: Option<Table>,
}

impl Options {
    /// Reads `value` (a table, or nil for none), refusing keys not in `allowed`.
    pub(crate) fn read(call: &Call, value: Value, allowed: &[&str]) -> mlua::Result<Options> {
        let table = match value {
            Value::Nil => return Ok(Options { table: None }),
            Value::Table(t) => t,
            other => {
                return Err(call.error(format!(
                    "the options must be a table such as {{{} = ...}}, found {}",
                    allowed.first().copied().unwrap_or("name"),
                    describe(&other)
                )));
            }
        };
        for pair in table.pairs::<Value, Value>() {
            let (key, _) = pair?;
            let key = text(&key).unwrap_or_else(|| describe(&key));
            if !allowed.contains(&key.as_str()) {
                let hint = closest_name(&key, allowed.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(call.error(format!(
                    "unknown option `{key}`{hint}; the options are: {}",
                    allowed.join(", ")
                )));
            }
        }
        Ok(Options { table: Some(table) })
    }

    /// The value of an option (nil when absent).
    pub(crate) fn get(&self, key: &str) -> mlua::Result<Value> {
        match &self.table {
            Some(t) => t.raw_get(key),
            None => Ok(Value::Nil),
        }
    }

    /// A string option.
    pub(crate) fn string(&self, call: &Call, key: &str) -> mlua::Result<Option<String>> {
        match self.get(key)? {
            Value::Nil => Ok(None),
            v => text(&v).map(Some).ok_or_else(|| {
                call.error(format!(
                    "option `{key}` must be a string, found {}",
                    describe(&v)
                ))
            }),
        }
    }

    /// A number option.
    pub(crate) fn number(&self, call: &Call, key: &str) -> mlua::Result<Option<f64>> {
        match self.get(key)? {
            Value::Nil => Ok(None),
            v => number(&v).map(Some).ok_or_else(|| {
                call.error(format!(
                    "option `{key}` must be a number, found {}",
                    describe(&v)
                ))
            }),
        }
    }

    /// A whole-number option within `min..=max`.
    pub(crate) fn whole(
        &self,
        call: &Call,
        key: &str,
        min: u32,
        max: u32,
    ) -> mlua::Result<Option<u32>> {
        match self.number(call, key)? {
            None => Ok(None),
            Some(n) if n.fract() == 0.0 && n >= f64::from(min) && n <= f64::from(max) => {
                Ok(Some(n as u32))
            }
            Some(n) => Err(call.error(format!(
                "option `{key}` must be a whole number from {min} to {max}, found {n}"
            ))),
        }
    }
}
