//! The `chain` table: the functions that build the chain (inputs, outputs, nodes, presets,
//! connections) and describe it. Each call is checked at once (see [`Builder`]).

use mixgraph_chains::{Dither, OutputSpec, SampleFormat, presets};
use mlua::{Function, Lua, MultiValue, Value};

use crate::api::builder::Builder;
use crate::api::call::Call;
use crate::api::context::with;
use crate::api::handle::{Handle, connect};
use crate::api::values::{Options, describe, param_value, string_arg, text};

/// Most channels a chain input can declare.
const MAX_CHANNELS: u32 = 64;

/// The members of `chain`, by name.
pub(crate) fn functions(lua: &Lua) -> mlua::Result<Vec<(&'static str, Function)>> {
    Ok(vec![
        ("input", lua.create_function(input)?),
        ("output", lua.create_function(output)?),
        ("node", lua.create_function(node)?),
        ("preset", lua.create_function(preset)?),
        ("connect", lua.create_function(connect_fn)?),
        ("series", lua.create_function(series)?),
        ("name", lua.create_function(name)?),
        ("description", lua.create_function(description)?),
        ("sample_rate", lua.create_function(sample_rate)?),
        ("presets", lua.create_function(preset_names)?),
        ("kinds", lua.create_function(kinds)?),
    ])
}

/// `chain.input(name, {channels = n})`
fn input(lua: &Lua, (name, options): (Value, Value)) -> mlua::Result<Handle> {
    let call = Call::new(lua, "chain.input");
    let name = string_arg(&call, &name, "the input's name")?;
    let options = Options::read(&call, options, &["channels"])?;
    let channels = options.whole(&call, "channels", 0, MAX_CHANNELS)?;
    let id = with::<Builder, _>(lua, &call, |b| b.add_input(&call, name, channels))?;
    Ok(Handle(id))
}

/// `chain.output(name, [from], {format = "pcm24", sample_rate = 44100, dither = "tpdf"})`
fn output(lua: &Lua, (name, from, options): (Value, Value, Value)) -> mlua::Result<Handle> {
    let call = Call::new(lua, "chain.output");
    let name = string_arg(&call, &name, "the output's name")?;
    // `chain.output("out", {format = ...})`: a plain table in second place is the options.
    let (from, options) = match from {
        Value::Table(t) if options.is_nil() => (Value::Nil, Value::Table(t)),
        other => (other, options),
    };
    let options = Options::read(&call, options, &["format", "sample_rate", "dither"])?;
    let mut spec = OutputSpec::new(name);
    if let Some(format) = options.string(&call, "format")? {
        spec.format = sample_format(&call, &format)?;
    }
    spec.sample_rate = options.whole(&call, "sample_rate", 1, u32::MAX)?;
    if let Some(dither) = options.string(&call, "dither")? {
        spec.dither = dither_named(&call, &dither)?;
    }
    let id = with::<Builder, _>(lua, &call, |b| b.add_output(&call, spec))?;
    let handle = Value::UserData(lua.create_userdata(Handle(id))?);
    if !from.is_nil() {
        connect(lua, &call, &from, handle)?;
    }
    Ok(Handle(id))
}

/// `chain.node(kind, {param = value, ...}, {name = "..."})`
fn node(lua: &Lua, (kind, params, options): (Value, Value, Value)) -> mlua::Result<Handle> {
    let call = Call::new(lua, "chain.node");
    let kind = string_arg(&call, &kind, "the node kind")?;
    let options = Options::read(&call, options, &["name"])?;
    let name = options.string(&call, "name")?;
    let mut given = Vec::new();
    match params {
        Value::Nil => {}
        Value::Table(table) => {
            for pair in table.pairs::<Value, Value>() {
                let (key, value) = pair?;
                let key = text(&key).ok_or_else(|| {
                    call.error(format!(
                        "parameters are given by name, {{threshold = -18}}; found the key {}",
                        describe(&key)
                    ))
                })?;
                let value = param_value(&value).ok_or_else(|| {
                    call.error(format!(
                        "parameter `{key}`: expected a number, a name or true/false, found {}",
                        describe(&value)
                    ))
                })?;
                given.push((key, value));
            }
        }
        other => {
            return Err(call.error(format!(
                "the parameters must be a table such as {{gain = -3}}, found {}",
                describe(&other)
            )));
        }
    }
    let id = with::<Builder, _>(lua, &call, |b| b.add_node(&call, &kind, name, given))?;
    Ok(Handle(id))
}

/// `chain.preset(name_or_path, {name = "..."})`
fn preset(lua: &Lua, (reference, options): (Value, Value)) -> mlua::Result<Handle> {
    let call = Call::new(lua, "chain.preset");
    let reference = string_arg(
        &call,
        &reference,
        "the preset (a shipped name or a .ron path)",
    )?;
    let options = Options::read(&call, options, &["name"])?;
    let name = options.string(&call, "name")?;
    let id = with::<Builder, _>(lua, &call, |b| b.add_subchain(&call, &reference, name))?;
    Ok(Handle(id))
}

/// `chain.connect(from, to)`: returns `to`.
fn connect_fn(lua: &Lua, (from, to): (Value, Value)) -> mlua::Result<Value> {
    let call = Call::new(lua, "chain.connect");
    connect(lua, &call, &from, to)
}

/// `chain.series(a, b, c, ...)`: connects each to the next; returns the last.
fn series(lua: &Lua, steps: MultiValue) -> mlua::Result<Value> {
    let call = Call::new(lua, "chain.series");
    let steps: Vec<Value> = steps.into_iter().collect();
    if steps.len() < 2 {
        return Err(call.error(format!(
            "give at least two steps to connect, found {}",
            steps.len()
        )));
    }
    for pair in steps.windows(2) {
        if let [from, to] = pair {
            connect(lua, &call, from, to.clone())?;
        }
    }
    Ok(steps.last().cloned().unwrap_or(Value::Nil))
}

/// `chain.name(text)`
fn name(lua: &Lua, value: Value) -> mlua::Result<()> {
    let call = Call::new(lua, "chain.name");
    let name = string_arg(&call, &value, "the chain's name")?;
    with::<Builder, _>(lua, &call, |b| {
        b.set_name(name);
        Ok(())
    })
}

/// `chain.description(text)`
fn description(lua: &Lua, value: Value) -> mlua::Result<()> {
    let call = Call::new(lua, "chain.description");
    let text = string_arg(&call, &value, "the description")?;
    with::<Builder, _>(lua, &call, |b| {
        b.set_description(text);
        Ok(())
    })
}

/// `chain.sample_rate(hz)`
fn sample_rate(lua: &Lua, value: Value) -> mlua::Result<()> {
    let call = Call::new(lua, "chain.sample_rate");
    let rate = crate::api::values::number(&value)
        .filter(|r| r.fract() == 0.0 && *r >= 0.0 && *r <= f64::from(u32::MAX))
        .ok_or_else(|| {
            call.error(format!(
                "the sample rate must be a whole number of Hz, found {}",
                describe(&value)
            ))
        })?;
    with::<Builder, _>(lua, &call, |b| b.set_sample_rate(&call, rate as u32))
}

/// `chain.presets()`: the shipped presets' names.
fn preset_names(lua: &Lua, (): ()) -> mlua::Result<mlua::Table> {
    lua.create_sequence_from(presets::names())
}

/// `chain.kinds()`: every node kind of the catalog.
fn kinds(lua: &Lua, (): ()) -> mlua::Result<mlua::Table> {
    let call = Call::new(lua, "chain.kinds");
    let kinds: Vec<&'static str> = with::<Builder, _>(lua, &call, |b| {
        Ok(b.catalog()
            .kinds()
            .filter(|k| !["input", "output"].contains(k))
            .collect())
    })?;
    lua.create_sequence_from(kinds)
}

/// `"pcm16"`, `"pcm24"`, `"float32"` (any case).
fn sample_format(call: &Call, name: &str) -> mlua::Result<SampleFormat> {
    const NAMES: [&str; 3] = ["pcm16", "pcm24", "float32"];
    match name.to_ascii_lowercase().as_str() {
        "pcm16" => Ok(SampleFormat::Pcm16),
        "pcm24" => Ok(SampleFormat::Pcm24),
        "float32" => Ok(SampleFormat::Float32),
        other => Err(unknown_name(call, "format", other, &NAMES)),
    }
}

/// `"auto"`, `"none"`, `"tpdf"`, `"tpdf_shaped"` (any case, `-` or `_`).
fn dither_named(call: &Call, name: &str) -> mlua::Result<Dither> {
    const NAMES: [&str; 4] = ["auto", "none", "tpdf", "tpdf_shaped"];
    match name.to_ascii_lowercase().replace('-', "_").as_str() {
        "auto" => Ok(Dither::Auto),
        "none" => Ok(Dither::None),
        "tpdf" => Ok(Dither::Tpdf),
        "tpdf_shaped" => Ok(Dither::TpdfShaped),
        other => Err(unknown_name(call, "dither", other, &NAMES)),
    }
}

fn unknown_name(call: &Call, what: &str, found: &str, names: &[&str]) -> mlua::Error {
    let hint = crate::api::suggest::closest(found, names.iter().copied())
        .map(|s| format!("; did you mean \"{s}\"?"))
        .unwrap_or_default();
    call.error(format!(
        "unknown {what} \"{found}\"{hint}; expected one of {}",
        names.join(", ")
    ))
}
