//! The API a recipe sees (documented in `scripts/README.md`):
//!
//! - `chain`: a read-only table of functions that build the chain ([`chain`]), returning
//!   handles with methods ([`handle`]);
//! - `analyze`, `target`, `arg`, `inputs`, `log` (and `print`): global functions
//!   ([`analyze`], [`session`], [`log`]).
//!
//! The host state they share lives in the Lua state's app data ([`context`]).

pub(crate) mod analyze;
pub(crate) mod automation;
pub(crate) mod builder;
pub(crate) mod call;
pub(crate) mod chain;
pub(crate) mod check;
pub(crate) mod context;
pub(crate) mod handle;
pub(crate) mod log;
pub(crate) mod session;
pub(crate) mod suggest;
pub(crate) mod values;

use mlua::Lua;

use crate::analysis::AnalysisCache;
use crate::api::builder::Builder;
use crate::api::context::{Log, Session};
use crate::sandbox::readonly::{Absent, ReadOnly};

/// Puts the API into `lua`'s globals, with the host state it works on.
pub(crate) fn install(
    lua: &Lua,
    builder: Builder,
    log: Log,
    session: Session,
    cache: AnalysisCache,
) -> mlua::Result<()> {
    lua.set_app_data(builder);
    lua.set_app_data(log);
    lua.set_app_data(session);
    lua.set_app_data(cache);
    let globals = lua.globals();
    let chain = ReadOnly::new("chain", chain::functions(lua)?, Absent::Unknown);
    globals.set("chain", chain)?;
    let functions = session::functions(lua)?
        .into_iter()
        .chain(log::functions(lua)?)
        .chain(analyze::functions(lua)?);
    for (name, function) in functions {
        globals.set(name, function)?;
    }
    Ok(())
}
