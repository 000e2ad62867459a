//! The sandbox: a Lua 5.4 state with only the safe parts of the standard library.
//!
//! - Loaded: the base library (without `dofile`, `loadfile`, `require`; `load` only takes
//!   text), `string` (without `dump`), `table`, `math`, `utf8`, and `os.time`/`os.clock`.
//! - Left out: `io`, the rest of `os`, `package` (no modules, no native code), `debug`,
//!   `coroutine`. Their names are read-only stand-ins whose members raise an error saying
//!   why, so `io.open(...)` fails with a message rather than "attempt to index a nil value".
//! - Limits: a memory limit on the state, an instruction budget and a time limit
//!   ([`budget`]); library functions that can work long inside one call charge the budget or
//!   are refused (`prelude.lua`, [`guards`]).
//!
//! Each run gets a fresh state, dropped when the run ends: nothing a script does survives it.

pub(crate) mod budget;
mod guards;
pub(crate) mod readonly;

use std::rc::Rc;

use mlua::chunk::ChunkMode;
use mlua::{Function, Lua, LuaOptions, MultiValue, StdLib, Table};

use crate::sandbox::budget::Budget;
use crate::sandbox::readonly::{Absent, ReadOnly};
use crate::site;

/// The prelude that wraps library functions (see the file's comment).
const PRELUDE: &str = include_str!("prelude.lua");

const FILES: &str = "a recipe cannot read or write files or run programs (bind audio with --input and measure it with analyze())";
const PROGRAMS: &str = "a recipe cannot run programs, read the environment or change files; only os.time and os.clock are kept";
const MODULES: &str =
    "a recipe cannot load modules or native code; use chain.preset() to include a chain";
const DEBUG: &str = "a recipe cannot inspect or change the interpreter";
const BYTECODE: &str = "a recipe cannot produce or load precompiled bytecode";

/// A sandboxed Lua state.
pub(crate) struct Sandbox {
    /// The state.
    pub(crate) lua: Lua,
    /// Lua's own `xpcall`, for the host to run the script under a message handler (the
    /// script's `xpcall` is the prelude's wrapper).
    pub(crate) xpcall: Function,
}

/// A fresh sandboxed state whose memory is limited to `memory_limit` bytes, with the
/// prelude's guards charging `budget`. The budget's hook is installed separately
/// ([`Budget::install`]) just before the script runs.
pub(crate) fn new_state(memory_limit: usize, budget: &Rc<Budget>) -> mlua::Result<Sandbox> {
    let libs = StdLib::STRING | StdLib::TABLE | StdLib::MATH | StdLib::UTF8 | StdLib::OS;
    let lua = Lua::new_with(libs, LuaOptions::new())?;
    let globals = lua.globals();
    let xpcall: Function = globals.get("xpcall")?;

    let os: Table = globals.get("os")?;
    let kept = vec![
        ("clock", os.get::<Function>("clock")?),
        ("time", os.get::<Function>("time")?),
    ];
    globals.set("os", ReadOnly::new("os", kept, Absent::Forbidden(PROGRAMS)))?;
    for (name, reason) in [("io", FILES), ("package", MODULES), ("debug", DEBUG)] {
        globals.set(
            name,
            ReadOnly::new(name, Vec::new(), Absent::Forbidden(reason)),
        )?;
    }
    for (name, reason) in [("require", MODULES), ("dofile", FILES), ("loadfile", FILES)] {
        globals.set(name, forbidden(&lua, name, reason)?)?;
    }
    let string: Table = globals.get("string")?;
    string.set("dump", forbidden(&lua, "string.dump", BYTECODE)?)?;

    let (charge, check_pattern, reraise) = guards::functions(&lua, budget)?;
    lua.load(PRELUDE)
        .set_name("=sandbox")
        .set_mode(ChunkMode::Text)
        .call::<()>((charge, check_pattern, reraise))?;
    lua.set_memory_limit(memory_limit)?;
    Ok(Sandbox { lua, xpcall })
}

/// A function that raises "`name` is not available in mixgraph recipes: reason".
fn forbidden(lua: &Lua, name: &'static str, reason: &'static str) -> mlua::Result<Function> {
    lua.create_function(move |lua, _: MultiValue| -> mlua::Result<()> {
        Err(site::error(
            lua,
            format!("`{name}` is not available in mixgraph recipes: {reason}"),
        ))
    })
}
