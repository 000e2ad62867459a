//! One call of the API from the script: where it was made and what it is called, to build
//! errors that point at the script's line (`recipe.lua:12: chain.output: ...`).

use std::fmt::Display;

use mixgraph_chains::{ChainError, Location};
use mlua::Lua;

use crate::site;

/// A call of an API function.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    at: Location,
    function: &'static str,
}

impl Call {
    /// The call of `function` being made now.
    pub(crate) fn new(lua: &Lua, function: &'static str) -> Self {
        let at = site::caller(lua).map_or_else(String::new, |s| s.prefix());
        Call {
            at: Location::file(at),
            function,
        }
    }

    /// Where the call was made, as a chain error location (`recipe.lua:12`).
    pub(crate) fn at(&self) -> Location {
        self.at.clone()
    }

    /// `recipe.lua:12`, or empty when unknown.
    pub(crate) fn place(&self) -> &str {
        &self.at.file
    }

    /// An error of this call: `recipe.lua:12: chain.node: message`.
    pub(crate) fn error(&self, message: impl Display) -> mlua::Error {
        let place = if self.at.file.is_empty() {
            String::new()
        } else {
            format!("{}: ", self.at.file)
        };
        mlua::Error::RuntimeError(format!("{place}{}: {message}", self.function))
    }

    /// A chain error found by this call (its message already starts with the place).
    pub(crate) fn chain(&self, error: ChainError) -> mlua::Error {
        mlua::Error::RuntimeError(error.to_string())
    }
}
