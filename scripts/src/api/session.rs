//! What the script reads from the command line: `target()` (the loudness target), `arg(key,
//! default)` (`--set KEY=VALUE` values, converted to the default's type) and `inputs()` (the
//! names bound with `--input`).

use mlua::{Function, Lua, Table, Value};

use crate::api::call::Call;
use crate::api::context::{Session, with};
use crate::api::values::{describe, string_arg};

/// The global functions of this module, by name.
pub(crate) fn functions(lua: &Lua) -> mlua::Result<Vec<(&'static str, Function)>> {
    Ok(vec![
        ("target", lua.create_function(target)?),
        ("arg", lua.create_function(arg)?),
        ("inputs", lua.create_function(inputs)?),
    ])
}

/// `target()`: `{name, lufs, true_peak, tolerance, default}`.
fn target(lua: &Lua, (): ()) -> mlua::Result<Table> {
    let call = Call::new(lua, "target");
    let target = with::<Session, _>(lua, &call, |s| Ok(s.target.clone()))?;
    let table = lua.create_table()?;
    table.set("name", target.name)?;
    table.set("lufs", target.lufs)?;
    table.set("true_peak", target.true_peak)?;
    table.set("tolerance", target.tolerance)?;
    table.set("default", target.default)?;
    Ok(table)
}

/// `arg(key, default)`: the `--set` value of `key` converted to the type of `default` (a
/// number, a boolean, or text), or `default` when the key was not set.
fn arg(lua: &Lua, (key, default): (Value, Value)) -> mlua::Result<Value> {
    let call = Call::new(lua, "arg");
    let key = string_arg(&call, &key, "the key")?;
    let set = with::<Session, _>(lua, &call, |s| {
        s.read.insert(key.clone());
        Ok(s.sets
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone()))
    })?;
    let Some(text) = set else {
        return Ok(default);
    };
    let wrong = |expected: &str| {
        call.error(format!(
            "--set {key}={text}: expected {expected}, as the script's default is {}",
            describe(&default)
        ))
    };
    match &default {
        Value::Integer(_) if text.trim().parse::<i64>().is_ok() => Ok(Value::Integer(
            text.trim().parse::<i64>().unwrap_or_default(),
        )),
        Value::Integer(_) | Value::Number(_) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Value::Number)
            .ok_or_else(|| wrong("a number")),
        Value::Boolean(_) => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(Value::Boolean(true)),
            "false" | "no" | "off" | "0" => Ok(Value::Boolean(false)),
            _ => Err(wrong("true or false")),
        },
        _ => Ok(Value::String(lua.create_string(&text)?)),
    }
}

/// `inputs()`: the names bound with `--input`, in order.
fn inputs(lua: &Lua, (): ()) -> mlua::Result<Table> {
    let call = Call::new(lua, "inputs");
    let names: Vec<String> = with::<Session, _>(lua, &call, |s| {
        Ok(s.inputs.iter().map(|(n, _)| n.clone()).collect())
    })?;
    lua.create_sequence_from(names)
}
