//! Running one recipe: a fresh sandbox, the API installed, the script run under a message
//! handler that keeps its traceback, the budgets' hook on; then the chain it built, validated
//! as a whole. Lua runs on a thread of its own (with a stack sized for the nesting Lua
//! allows), never on an audio thread: what comes out is a plain [`ChainSpec`].
//!
//! [`ChainSpec`]: mixgraph_chains::ChainSpec

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use mixgraph_chains::{ChainError, Origin};
use mixgraph_mastering::{Target, TargetError};
use mlua::chunk::ChunkMode;
use mlua::{MultiValue, Value};

use crate::analysis::AnalysisCache;
use crate::api;
use crate::api::builder::Builder;
use crate::api::context::{Log, Session, TargetInfo};
use crate::api::suggest::closest;
use crate::error::ScriptError;
use crate::limits::MAX_CALL_DEPTH;
use crate::options::{ScriptOptions, ScriptOutput};
use crate::sandbox::budget::{Budget, Exhausted};
use crate::sandbox::{self, Sandbox};

/// Stack of the thread Lua runs on: host functions nest under Lua's limit of 200 C calls.
const LUA_THREAD_STACK: usize = 16 * 1024 * 1024;

/// Longest chunk name Lua shows whole in messages (`LUA_IDSIZE` - 1).
const MAX_CHUNK_NAME: usize = 59;

/// The target used when the command line names none.
const DEFAULT_TARGET: &str = "spotify";

/// Most notes added to an invalid chain's error.
const MAX_NOTES: usize = 6;

/// The message Lua gives when an allocation fails.
const OUT_OF_MEMORY: &str = "not enough memory";

/// A recipe to run.
pub(crate) struct Script<'a> {
    /// The Lua source.
    pub(crate) source: &'a [u8],
    /// The name errors give (the path as the user gave it).
    pub(crate) name: String,
    /// The folder relative paths start from; `None`: the current folder.
    pub(crate) dir: Option<PathBuf>,
}

/// Runs `script` on a Lua thread of its own; analyses go through (and stay in) `cache`.
pub(crate) fn run(
    script: &Script<'_>,
    options: &ScriptOptions,
    cache: &mut AnalysisCache,
) -> Result<ScriptOutput, ScriptError> {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("mixgraph-lua".to_string())
            .stack_size(LUA_THREAD_STACK)
            .spawn_scoped(scope, || run_here(script, options, cache));
        match worker {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|_| Err(host(&script.name, "the Lua thread panicked"))),
            Err(e) => Err(host(
                &script.name,
                format!("cannot start the Lua thread: {e}"),
            )),
        }
    })
}

fn run_here(
    script: &Script<'_>,
    options: &ScriptOptions,
    cache: &mut AnalysisCache,
) -> Result<ScriptOutput, ScriptError> {
    let target = resolve_target(options).map_err(|source| ScriptError::Target {
        script: script.name.clone(),
        source,
    })?;
    let short = chunk_name(&script.name);
    let budget = Budget::new(
        options.instruction_limit,
        options.time_limit,
        options.memory_limit,
    );
    let host_error = |e: mlua::Error| host(&script.name, e.to_string());
    let sandbox = sandbox::new_state(options.memory_limit, &budget).map_err(host_error)?;
    let lua = &sandbox.lua;
    let session = Session {
        dir: script.dir.clone(),
        inputs: options.inputs.clone(),
        sets: options.sets.clone(),
        read: HashSet::new(),
        target,
        budget: Rc::clone(&budget),
    };
    let builder = Builder::new(mixgraph_nodes::catalog(), script.dir.clone());
    api::install(
        lua,
        builder,
        Log::new(script.name.clone()),
        session,
        std::mem::take(cache),
    )
    .map_err(host_error)?;

    let outcome = execute(&sandbox, script, &short, &budget);

    if let Some(kept) = lua.remove_app_data::<AnalysisCache>() {
        *cache = kept;
    }
    let (Some(mut log), Some(builder), Some(session)) = (
        lua.remove_app_data::<Log>(),
        lua.remove_app_data::<Builder>(),
        lua.remove_app_data::<Session>(),
    ) else {
        return Err(host(&script.name, "the host state went missing"));
    };
    outcome?;

    note_unread_sets(&mut log, &session, &script.name);
    let origin = Origin::named(script.name.clone())
        .with_dir(script.dir.clone().unwrap_or_else(|| PathBuf::from(".")));
    let spec = builder.spec(&default_chain_name(&script.name), origin);
    if let Err(source) = mixgraph_chains::validate(&spec, builder.catalog()) {
        let notes = notes_for(&source, &builder);
        return Err(ScriptError::InvalidChain {
            script: script.name.clone(),
            source: Box::new(source),
            notes,
        });
    }
    Ok(ScriptOutput {
        chain: spec,
        log: log.into_lines(),
    })
}

/// The traceback kept by the message handler.
struct Traceback(String);

/// Compiles and runs the script under the message handler and the budgets' hook.
fn execute(
    sandbox: &Sandbox,
    script: &Script<'_>,
    short: &str,
    budget: &Rc<Budget>,
) -> Result<(), ScriptError> {
    let lua = &sandbox.lua;
    let host_error = |e: mlua::Error| host(&script.name, e.to_string());
    let function = lua
        .load(script.source)
        .set_name(format!("@{short}"))
        .set_mode(ChunkMode::Text)
        .into_function()
        .map_err(|e| load_error(script, short, budget, e))?;
    let handler = lua
        .create_function(|lua, error: Value| {
            let traceback = lua
                .traceback(None, 1)
                .map(|t| t.to_string_lossy())
                .unwrap_or_default();
            lua.set_app_data(Traceback(traceback));
            Ok(error)
        })
        .map_err(host_error)?;
    budget.install(lua).map_err(host_error)?;
    let result = sandbox.xpcall.call::<MultiValue>((function, handler));
    lua.remove_hook();
    let error = match result {
        Ok(values) => {
            let mut values = values.into_iter();
            if matches!(values.next(), Some(Value::Boolean(true))) {
                return Ok(());
            }
            values.next().unwrap_or(Value::Nil)
        }
        Err(e) => Value::Error(Box::new(e)),
    };
    let traceback = lua
        .remove_app_data::<Traceback>()
        .map(|t| frames(&t.0))
        .unwrap_or_default();
    Err(failure(script, short, budget, &error, traceback))
}

/// The error of a script that failed with `error`.
fn failure(
    script: &Script<'_>,
    short: &str,
    budget: &Budget,
    error: &Value,
    traceback: Vec<String>,
) -> ScriptError {
    let text = error_text(error);
    let (line, message) = split_position(short, &text);
    let line = line.or_else(|| first_frame_line(short, &traceback));
    let script_name = script.name.clone();
    match budget.exhausted() {
        Some(Exhausted::Instructions) => ScriptError::InstructionLimit {
            script: script_name,
            line: line.or(budget.last_line()),
            limit: budget.instruction_limit(),
            traceback,
        },
        Some(Exhausted::Depth) => ScriptError::RecursionLimit {
            script: script_name,
            line: line.or(budget.last_line()),
            limit: MAX_CALL_DEPTH,
            traceback,
        },
        Some(Exhausted::Time) => ScriptError::TimeLimit {
            script: script_name,
            line: line.or(budget.last_line()),
            limit: budget.time_limit(),
            traceback,
        },
        None if is_out_of_memory(error) => ScriptError::MemoryLimit {
            script: script_name,
            line: line.or(budget.last_line()),
            limit: budget.memory_limit(),
            traceback,
        },
        None => ScriptError::Runtime {
            script: script_name,
            line,
            message: message.to_string(),
            traceback,
        },
    }
}

/// The error of a script that does not compile.
fn load_error(
    script: &Script<'_>,
    short: &str,
    budget: &Budget,
    error: mlua::Error,
) -> ScriptError {
    match error {
        mlua::Error::SyntaxError { message, .. } => {
            let (line, message) = split_position(short, &message);
            let message = if message.contains("binary chunk") {
                format!("{message}: a recipe must be Lua text; precompiled bytecode is refused")
            } else {
                message.to_string()
            };
            ScriptError::Syntax {
                script: script.name.clone(),
                line,
                message,
            }
        }
        mlua::Error::MemoryError(_) => ScriptError::MemoryLimit {
            script: script.name.clone(),
            line: None,
            limit: budget.memory_limit(),
            traceback: Vec::new(),
        },
        other => host(&script.name, other.to_string()),
    }
}

/// The message of an error value (innermost cause for host errors).
fn error_text(error: &Value) -> String {
    match error {
        Value::String(s) => s.to_string_lossy(),
        Value::Error(e) => innermost(e),
        Value::Nil => "the script raised an error without a message (nil)".to_string(),
        other => other.to_string().unwrap_or_else(|_| {
            format!(
                "the script raised an error value of type {}",
                other.type_name()
            )
        }),
    }
}

fn innermost(error: &mlua::Error) -> String {
    match error {
        mlua::Error::CallbackError { cause, .. } => innermost(cause),
        mlua::Error::RuntimeError(m) | mlua::Error::MemoryError(m) => m.clone(),
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

fn is_out_of_memory(error: &Value) -> bool {
    fn memory(e: &mlua::Error) -> bool {
        match e {
            mlua::Error::MemoryError(_) => true,
            mlua::Error::CallbackError { cause, .. } => memory(cause),
            _ => false,
        }
    }
    match error {
        Value::String(s) => s.as_bytes().as_ref() == OUT_OF_MEMORY.as_bytes(),
        Value::Error(e) => memory(e),
        _ => false,
    }
}

/// Splits `chunk:line: message` into the line and the message, for messages about `chunk`.
fn split_position<'t>(chunk: &str, text: &'t str) -> (Option<u32>, &'t str) {
    let parsed = text
        .strip_prefix(chunk)
        .and_then(|rest| rest.strip_prefix(':'))
        .and_then(|rest| rest.split_once(':'))
        .and_then(|(line, message)| Some((line.parse::<u32>().ok()?, message.trim_start())));
    match parsed {
        Some((line, message)) => (Some(line), message),
        None => (None, text),
    }
}

/// The line of the innermost traceback frame in the script itself.
fn first_frame_line(chunk: &str, frames: &[String]) -> Option<u32> {
    frames.iter().find_map(|f| split_position(chunk, f).0)
}

/// The frames of a Lua traceback that are the script's: host functions (`[C]`) and the
/// sandbox's prelude left out.
fn frames(traceback: &str) -> Vec<String> {
    traceback
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("[C]") && !l.starts_with("sandbox:"))
        .map(str::to_string)
        .collect()
}

/// The script's name as Lua shows it: whole up to 59 bytes, else "..." and its end.
fn chunk_name(name: &str) -> String {
    if name.len() <= MAX_CHUNK_NAME {
        return name.to_string();
    }
    let keep = MAX_CHUNK_NAME - 3;
    let mut start = name.len() - keep;
    while !name.is_char_boundary(start) {
        start += 1;
    }
    format!("...{}", &name[start..])
}

/// A chain named after the script's file: `adaptive-master` for `recipes/adaptive-master.lua`.
fn default_chain_name(script: &str) -> String {
    Path::new(script)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "recipe".to_string())
}

/// The target the script sees: the named one (spotify by default), or a custom one when the
/// loudness or ceiling is given.
fn resolve_target(options: &ScriptOptions) -> Result<TargetInfo, TargetError> {
    let named = Target::by_name(options.target.as_deref().unwrap_or(DEFAULT_TARGET))?;
    let target = if options.lufs.is_some() || options.true_peak.is_some() {
        Target::custom(
            options.lufs.unwrap_or(named.integrated_lufs),
            options.true_peak.unwrap_or(named.true_peak_dbtp),
        )?
    } else {
        named
    };
    Ok(TargetInfo {
        name: target.name.to_string(),
        lufs: target.integrated_lufs,
        true_peak: target.true_peak_dbtp,
        tolerance: target.tolerance_lu,
        default: options.target.is_none() && options.lufs.is_none() && options.true_peak.is_none(),
    })
}

/// Notes on `--set` keys the script never asked for (a typo, or a key for another recipe).
fn note_unread_sets(log: &mut Log, session: &Session, script: &str) {
    let mut noted = HashSet::new();
    for (key, _) in &session.sets {
        if session.read.contains(key) || !noted.insert(key.clone()) {
            continue;
        }
        let hint = closest(key, session.read.iter().map(String::as_str))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        log.push(format!("note: --set {key} is not read by {script}{hint}"));
    }
}

/// Where the items an invalid chain's error names were created.
fn notes_for(error: &ChainError, builder: &Builder) -> Vec<String> {
    let message = error.to_string();
    builder
        .entries()
        .iter()
        .filter(|e| !e.created_at.is_empty() && message.contains(&format!("`{}`", e.name)))
        .take(MAX_NOTES)
        .map(|e| format!("`{}` was created at {}", e.name, e.created_at))
        .collect()
}

fn host(script: &str, message: impl Into<String>) -> ScriptError {
    ScriptError::Host {
        script: script.to_string(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_split_off_messages_about_the_script() {
        assert_eq!(
            split_position("r.lua", "r.lua:12: boom: here"),
            (Some(12), "boom: here")
        );
        assert_eq!(
            split_position("r.lua", "other.lua:3: x"),
            (None, "other.lua:3: x")
        );
        assert_eq!(split_position("r.lua", "r.lua: x"), (None, "r.lua: x"));
    }

    #[test]
    fn long_script_names_keep_their_end_as_lua_does() {
        let long = format!("{}/recipe.lua", "a".repeat(80));
        let short = chunk_name(&long);
        assert_eq!(short.len(), MAX_CHUNK_NAME);
        assert!(short.starts_with("...") && short.ends_with("/recipe.lua"));
        assert_eq!(chunk_name("recipe.lua"), "recipe.lua");
    }

    #[test]
    fn tracebacks_keep_only_the_scripts_frames() {
        let tb = "stack traceback:\n\t[C]: in function 'error'\n\tr.lua:3: in local 'f'\n\tsandbox:90: in function 'pcall'\n\tr.lua:5: in main chunk\n\t[C]: in ?";
        assert_eq!(
            frames(tb),
            vec!["r.lua:3: in local 'f'", "r.lua:5: in main chunk"]
        );
        assert_eq!(first_frame_line("r.lua", &frames(tb)), Some(3));
    }
}
