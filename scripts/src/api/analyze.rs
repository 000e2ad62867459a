//! `analyze(input_or_path)`: measures an input bound with `--input` (or an audio file next to
//! the script) and returns its loudness, peaks, crest factor, band energies, correlation and
//! length. Each file is decoded once per run, however often the script asks; the time it
//! takes is left out of the script's time limit.

use std::path::{Component, Path, PathBuf};
use std::time::Instant;

use mlua::{Function, Lua, Table, Value};

use crate::analysis::{AnalysisCache, Measurements};
use crate::api::call::Call;
use crate::api::context::{Log, Session, with};
use crate::api::suggest::closest;
use crate::api::values::string_arg;

/// `analyze`, by name.
pub(crate) fn functions(lua: &Lua) -> mlua::Result<Vec<(&'static str, Function)>> {
    Ok(vec![("analyze", lua.create_function(analyze)?)])
}

fn analyze(lua: &Lua, what: Value) -> mlua::Result<Table> {
    let call = Call::new(lua, "analyze");
    let what = string_arg(&call, &what, "the input name or file")?;
    let (path, budget) = with::<Session, _>(lua, &call, |s| {
        Ok((locate(&call, s, &what)?, std::rc::Rc::clone(&s.budget)))
    })?;
    let started = Instant::now();
    let measured = with::<AnalysisCache, _>(lua, &call, |cache| {
        cache
            .measure(&path)
            .map(|(m, fresh)| (m.clone(), fresh))
            .map_err(|e| call.error(error_chain(&e)))
    });
    budget.exclude(started.elapsed());
    let (m, fresh) = measured?;
    if fresh {
        let note = format!(
            "analysed `{what}` ({}): {:.1} s, {:.1} LUFS integrated, {:.1} dBTP true peak, crest {:.1} dB",
            path.display(),
            m.duration_s,
            m.integrated_lufs,
            m.true_peak_dbtp,
            m.crest_db
        );
        with::<Log, _>(lua, &call, |log| {
            log.push(note);
            Ok(())
        })?;
    }
    table(lua, &m)
}

/// The file `what` names: an input's file, or a regular file in the script's folder (or
/// below it: no absolute paths, no `..`).
fn locate(call: &Call, session: &Session, what: &str) -> mlua::Result<PathBuf> {
    if let Some((_, path)) = session.inputs.iter().rev().find(|(n, _)| n == what) {
        return Ok(path.clone());
    }
    let relative = Path::new(what);
    let inside = relative.is_relative()
        && relative
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    let path = session
        .dir
        .as_deref()
        .unwrap_or(Path::new("."))
        .join(relative);
    if inside && path.is_file() {
        return Ok(path);
    }
    let names: Vec<&str> = session.inputs.iter().map(|(n, _)| n.as_str()).collect();
    let hint = closest(what, names.iter().copied())
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    let bound = if names.is_empty() {
        "no input is bound; pass --input NAME=FILE".to_string()
    } else {
        format!("the inputs are: {}", names.join(", "))
    };
    Err(call.error(format!(
        "`{what}` is neither an input nor an audio file in the script's folder{hint}; {bound}"
    )))
}

/// The error and its causes on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The measurements as the script sees them.
fn table(lua: &Lua, m: &Measurements) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("integrated", m.integrated_lufs)?;
    t.set("true_peak", m.true_peak_dbtp)?;
    t.set("lra", m.loudness_range_lu)?;
    t.set("sample_peak", m.sample_peak_dbfs)?;
    t.set("rms", m.rms_dbfs)?;
    t.set("active_rms", m.active_rms_dbfs)?;
    t.set("crest", m.crest_db)?;
    t.set("correlation", m.correlation)?;
    t.set("length", m.duration_s)?;
    t.set("channels", m.channels)?;
    t.set("sample_rate", m.sample_rate)?;
    let bands = lua.create_table()?;
    bands.set("low", m.bands.low)?;
    bands.set("low_mid", m.bands.low_mid)?;
    bands.set("high_mid", m.bands.high_mid)?;
    bands.set("high", m.bands.high)?;
    t.set("bands", bands)?;
    t.set(
        "momentary",
        lua.create_sequence_from(m.momentary_lufs.iter().copied())?,
    )?;
    Ok(t)
}
