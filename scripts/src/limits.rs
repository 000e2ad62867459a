//! Limits that keep an untrusted recipe (a script shared by a stranger) from exhausting the
//! machine: the defaults of the memory, instruction and time budgets, and caps on what a
//! script can make the host allocate outside Lua's own memory.

use std::time::Duration;

/// Largest script read, in bytes.
pub const MAX_SCRIPT_BYTES: usize = 16 * 1024 * 1024;

/// Default memory limit of the Lua state, in bytes (64 MiB).
pub const DEFAULT_MEMORY_LIMIT: usize = 64 * 1024 * 1024;

/// Default budget of Lua instructions (about a second of busy Lua).
pub const DEFAULT_INSTRUCTION_LIMIT: u64 = 200_000_000;

/// Default wall-clock limit on running the script, time spent analysing files not counted.
/// It catches what the instruction budget cannot see: work inside library functions.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(30);

/// Deepest nesting of Lua calls (an endless recursion stops here, with a clear error,
/// long before it could exhaust memory).
pub const MAX_CALL_DEPTH: usize = 10_000;

/// Instructions between two checks of the budgets (the hook's period).
pub(crate) const HOOK_INTERVAL: u32 = 1000;

/// Most breakpoints in one automation lane.
pub const MAX_BREAKPOINTS: usize = 1_000_000;

/// Highest control rate of `node:automate_fn`, in Hz.
pub const MAX_CONTROL_RATE: f64 = 1000.0;

/// Most bytes of log kept (and printed); further lines are dropped with a note.
pub const MAX_LOG_BYTES: usize = 1024 * 1024;

/// Worst-case steps allowed for one string pattern search (the subject's length raised to
/// one more than the number of quantifiers in the pattern); beyond it the search is refused,
/// as Lua patterns backtrack without bound inside one library call.
pub const MAX_PATTERN_COST: f64 = 5e7;
