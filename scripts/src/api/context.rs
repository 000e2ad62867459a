//! The host state the API functions share during one run, kept in the Lua state's app data:
//! the [`crate::api::builder::Builder`], the [`Log`], the [`Session`] (command-line settings)
//! and the [`crate::AnalysisCache`]. [`with`] borrows one of them for the length of a call;
//! no borrow is held while the script's own code runs.

use std::collections::HashSet;
use std::path::PathBuf;
use std::rc::Rc;

use mlua::Lua;

use crate::api::call::Call;
use crate::limits::MAX_LOG_BYTES;
use crate::sandbox::budget::Budget;

/// The loudness target the script reads with `target()`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TargetInfo {
    /// `spotify`, `apple`, ..., or `custom`.
    pub(crate) name: String,
    /// Integrated loudness to aim for, in LUFS.
    pub(crate) lufs: f64,
    /// True-peak ceiling, in dBTP.
    pub(crate) true_peak: f64,
    /// Accepted deviation of the loudness, in LU.
    pub(crate) tolerance: f64,
    /// Whether the command line gave no target (the default, spotify, is used).
    pub(crate) default: bool,
}

/// The command line as the script sees it.
pub(crate) struct Session {
    /// The script's folder (relative paths start there); `None`: the current folder.
    pub(crate) dir: Option<PathBuf>,
    /// `--input NAME=FILE` bindings.
    pub(crate) inputs: Vec<(String, PathBuf)>,
    /// `--set KEY=VALUE` pairs.
    pub(crate) sets: Vec<(String, String)>,
    /// The `--set` keys the script asked for.
    pub(crate) read: HashSet<String>,
    /// The loudness target.
    pub(crate) target: TargetInfo,
    /// The run's budgets (analysis time is left out of the time limit).
    pub(crate) budget: Rc<Budget>,
}

/// What the script logged, printed to stderr as it comes.
#[derive(Debug)]
pub(crate) struct Log {
    script: String,
    lines: Vec<String>,
    bytes: usize,
    full: bool,
}

impl Log {
    /// An empty log for the script named `script`.
    pub(crate) fn new(script: impl Into<String>) -> Self {
        Log {
            script: script.into(),
            lines: Vec::new(),
            bytes: 0,
            full: false,
        }
    }

    /// Adds a line (and prints it); past [`MAX_LOG_BYTES`] lines are dropped, with one note.
    pub(crate) fn push(&mut self, line: String) {
        if self.full {
            return;
        }
        if self.bytes + line.len() > MAX_LOG_BYTES {
            self.full = true;
            let note =
                format!("note: the log is full ({MAX_LOG_BYTES} bytes); further lines are dropped");
            eprintln!("{}: {note}", self.script);
            self.lines.push(note);
            return;
        }
        eprintln!("{}: {line}", self.script);
        self.bytes += line.len();
        self.lines.push(line);
    }

    /// The lines so far.
    pub(crate) fn into_lines(self) -> Vec<String> {
        self.lines
    }
}

/// Runs `f` on the host state of type `T`.
///
/// # Errors
/// What `f` returns, or a host error if the state is missing or already borrowed (a bug).
pub(crate) fn with<T: 'static, R>(
    lua: &Lua,
    call: &Call,
    f: impl FnOnce(&mut T) -> mlua::Result<R>,
) -> mlua::Result<R> {
    let mut data = lua
        .try_app_data_mut::<T>()
        .map_err(|_| call.error("the host state is busy (a bug in mixgraph)"))?
        .ok_or_else(|| call.error("the host state is missing (a bug in mixgraph)"))?;
    f(&mut data)
}
