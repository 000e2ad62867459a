//! `log(...)` (and `print`, which does the same): a line to stderr and to the run's log.

use mlua::{Function, Lua, MultiValue, Value};

use crate::api::call::Call;
use crate::api::context::{Log, with};

/// `log` and `print`, by name.
pub(crate) fn functions(lua: &Lua) -> mlua::Result<Vec<(&'static str, Function)>> {
    Ok(vec![
        ("log", lua.create_function(log)?),
        ("print", lua.create_function(log)?),
    ])
}

/// Joins the arguments with spaces, as `tostring` shows them.
fn log(lua: &Lua, values: MultiValue) -> mlua::Result<()> {
    let call = Call::new(lua, "log");
    let mut parts = Vec::with_capacity(values.len());
    // Converted before borrowing the log: `__tostring` may run the script's code.
    for value in values {
        parts.push(show(lua, value)?);
    }
    let line = parts.join(" ");
    with::<Log, _>(lua, &call, |log| {
        log.push(line);
        Ok(())
    })
}

/// A value as `tostring` gives it (numbers as Lua prints them).
fn show(lua: &Lua, value: Value) -> mlua::Result<String> {
    match value {
        Value::Integer(_) | Value::Number(_) => Ok(lua
            .coerce_string(value)?
            .map(|s| s.to_string_lossy())
            .unwrap_or_default()),
        Value::String(s) => Ok(s.to_string_lossy()),
        other => other.to_string(),
    }
}
