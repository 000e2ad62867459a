//! Where in the script a call came from, so an error raised by the host (a refused API call,
//! a forbidden library function, the end of a budget) points at the recipe's line like an
//! error raised by Lua itself: `recipe.lua:12: message`.

use std::fmt::Display;

use mlua::Lua;

/// Deepest stack level searched for a Lua frame (a host function is normally called straight
/// from Lua, at level 1).
const SEARCH_LEVELS: usize = 8;

/// A place in a Lua chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Site {
    /// The chunk's printable name (`recipe.lua`, or `[string "..."]` for loaded text).
    pub source: String,
    /// The line, when the frame has one.
    pub line: Option<u32>,
}

impl Site {
    /// `source:line` or `source`.
    pub(crate) fn prefix(&self) -> String {
        match self.line {
            Some(line) => format!("{}:{line}", self.source),
            None => self.source.clone(),
        }
    }
}

/// The innermost Lua function on the stack above the running host function: the script's
/// statement that called it.
pub(crate) fn caller(lua: &Lua) -> Option<Site> {
    (1..=SEARCH_LEVELS).find_map(|level| {
        lua.inspect_stack(level, |d| {
            let source = d.source();
            if source.what == "C" {
                return None;
            }
            Some(Site {
                source: source.short_src.map(|s| s.into_owned()).unwrap_or_default(),
                line: d.current_line().and_then(|l| u32::try_from(l).ok()),
            })
        })
        .flatten()
    })
}

/// A Lua error whose message starts with the caller's place, as Lua's own `error` does.
pub(crate) fn error(lua: &Lua, message: impl Display) -> mlua::Error {
    match caller(lua) {
        Some(site) => mlua::Error::RuntimeError(format!("{}: {message}", site.prefix())),
        None => mlua::Error::RuntimeError(message.to_string()),
    }
}
