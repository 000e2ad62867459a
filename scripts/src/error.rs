//! Everything that can stop a recipe: the script cannot be read, does not parse, raises an
//! error (its own or one of the API's checks), runs out of memory, instructions or time, asks
//! for an unknown target, or builds a chain that does not validate. Each error names the
//! script and, when known, the line and the Lua stack traceback.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use mixgraph_chains::ChainError;
use mixgraph_mastering::TargetError;

/// Why a recipe did not produce a chain.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptError {
    /// The script file could not be read.
    #[error("cannot read the script `{}`: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// The script is larger than [`crate::limits::MAX_SCRIPT_BYTES`].
    #[error("{script}: the script is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The script's name.
        script: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// The script is not valid Lua (or is precompiled bytecode, which is refused).
    #[error("{}: syntax error: {message}", at(script, *line))]
    Syntax {
        /// The script's name.
        script: String,
        /// The line the parser stopped at.
        line: Option<u32>,
        /// Lua's message, without the script name and line.
        message: String,
    },
    /// The script raised an error, or an API call refused its arguments (a wrong node kind,
    /// parameter name or value...).
    #[error("{}: {message}{}", at(script, *line), Traceback(traceback))]
    Runtime {
        /// The script's name.
        script: String,
        /// The line of the offending statement.
        line: Option<u32>,
        /// The message, without the script name and line.
        message: String,
        /// The Lua call stack, innermost first, one `file:line: in ...` per entry.
        traceback: Vec<String>,
    },
    /// The script used more memory than allowed.
    #[error(
        "{}: the script used more than the memory limit of {limit} bytes; \
         raise it (mixgraph --lua-memory-mb) if the recipe really needs more{}",
        at(script, *line),
        Traceback(traceback)
    )]
    MemoryLimit {
        /// The script's name.
        script: String,
        /// The line that was running (the last one seen; memory errors are not located
        /// exactly).
        line: Option<u32>,
        /// The limit in bytes.
        limit: usize,
        /// The Lua call stack, when known.
        traceback: Vec<String>,
    },
    /// The script ran more Lua instructions than allowed (an endless loop or recursion).
    #[error(
        "{}: the script ran out of its budget of {limit} instructions (an endless loop?); \
         raise it (mixgraph --lua-instructions-m) if the recipe really needs more{}",
        at(script, *line),
        Traceback(traceback)
    )]
    InstructionLimit {
        /// The script's name.
        script: String,
        /// The line that was running.
        line: Option<u32>,
        /// The budget.
        limit: u64,
        /// The Lua call stack.
        traceback: Vec<String>,
    },
    /// The script nested its calls deeper than [`crate::limits::MAX_CALL_DEPTH`] (an
    /// endless recursion).
    #[error(
        "{}: the script nested its calls deeper than {limit} levels (endless recursion?){}",
        at(script, *line),
        Traceback(traceback)
    )]
    RecursionLimit {
        /// The script's name.
        script: String,
        /// The line that was running.
        line: Option<u32>,
        /// The deepest nesting allowed.
        limit: usize,
        /// The Lua call stack (its first and last frames).
        traceback: Vec<String>,
    },
    /// The script ran longer than allowed (time spent analysing files not counted).
    #[error(
        "{}: the script ran longer than the time limit of {:.1} s{}",
        at(script, *line),
        limit.as_secs_f64(),
        Traceback(traceback)
    )]
    TimeLimit {
        /// The script's name.
        script: String,
        /// The line that was running.
        line: Option<u32>,
        /// The limit.
        limit: Duration,
        /// The Lua call stack.
        traceback: Vec<String>,
    },
    /// The target asked for on the command line is unknown or out of range.
    #[error("{script}: {source}")]
    Target {
        /// The script's name.
        script: String,
        /// What is wrong with the target.
        #[source]
        source: TargetError,
    },
    /// The chain the script built does not validate as a whole (an output nothing feeds, a
    /// cycle, a channel mismatch...). Every single call was checked when it was made; this
    /// concerns the chain as a whole.
    #[error("the chain built by {script} is not valid: {source}{}", Notes(notes))]
    InvalidChain {
        /// The script's name.
        script: String,
        /// The chain's error (boxed: it is large, and rare).
        #[source]
        source: Box<ChainError>,
        /// Where the items the error names were created, e.g. "`comp` was created at
        /// recipe.lua:12".
        notes: Vec<String>,
    },
    /// The Lua interpreter could not be set up or stopped unexpectedly (a bug in mixgraph).
    #[error("{script}: the Lua host failed: {message}")]
    Host {
        /// The script's name.
        script: String,
        /// What went wrong.
        message: String,
    },
}

impl ScriptError {
    /// The script's name, when the error concerns one.
    pub fn script(&self) -> Option<&str> {
        use ScriptError as E;
        match self {
            E::Read { .. } => None,
            E::TooLarge { script, .. }
            | E::Syntax { script, .. }
            | E::Runtime { script, .. }
            | E::MemoryLimit { script, .. }
            | E::InstructionLimit { script, .. }
            | E::RecursionLimit { script, .. }
            | E::TimeLimit { script, .. }
            | E::Target { script, .. }
            | E::InvalidChain { script, .. }
            | E::Host { script, .. } => Some(script),
        }
    }

    /// The line of the script the error points at, when known.
    pub fn line(&self) -> Option<u32> {
        use ScriptError as E;
        match self {
            E::Syntax { line, .. }
            | E::Runtime { line, .. }
            | E::MemoryLimit { line, .. }
            | E::InstructionLimit { line, .. }
            | E::RecursionLimit { line, .. }
            | E::TimeLimit { line, .. } => *line,
            _ => None,
        }
    }

    /// The Lua call stack when the error happened (empty when there was none).
    pub fn traceback(&self) -> &[String] {
        use ScriptError as E;
        match self {
            E::Runtime { traceback, .. }
            | E::MemoryLimit { traceback, .. }
            | E::InstructionLimit { traceback, .. }
            | E::RecursionLimit { traceback, .. }
            | E::TimeLimit { traceback, .. } => traceback,
            _ => &[],
        }
    }
}

/// `script:line` or `script`.
fn at(script: &str, line: Option<u32>) -> String {
    match line {
        Some(line) => format!("{script}:{line}"),
        None => script.to_string(),
    }
}

/// The traceback as Lua prints it, on lines after the message; nothing when empty.
struct Traceback<'a>(&'a [String]);

impl fmt::Display for Traceback<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        f.write_str("\nstack traceback:")?;
        for frame in self.0 {
            write!(f, "\n    {frame}")?;
        }
        Ok(())
    }
}

/// Notes on lines after the message.
struct Notes<'a>(&'a [String]);

impl fmt::Display for Notes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for note in self.0 {
            write!(f, "\n    note: {note}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn errors_can_cross_threads_and_go_into_anyhow() {
        assert_send_sync::<ScriptError>();
    }

    #[test]
    fn runtime_errors_print_the_script_line_and_traceback() {
        let e = ScriptError::Runtime {
            script: "r.lua".into(),
            line: Some(3),
            message: "boom".into(),
            traceback: vec!["r.lua:3: in main chunk".into()],
        };
        assert_eq!(
            e.to_string(),
            "r.lua:3: boom\nstack traceback:\n    r.lua:3: in main chunk"
        );
        assert_eq!((e.script(), e.line()), (Some("r.lua"), Some(3)));
    }
}
