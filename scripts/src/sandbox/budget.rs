//! The instruction and time budgets: a hook counts Lua instructions, watches the clock
//! (time spent analysing files excluded) and the depth of nested calls, and ends the script
//! with a clear error once one runs out. Library functions that can work long inside one call charge the instruction
//! budget for that work (see `guards`). Once exhausted, the budget stays exhausted: every
//! later check fails again, and `pcall` re-raises it (see `prelude.lua`), so a script cannot
//! swallow its end.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use mlua::{HookTriggers, Lua, VmState};

use crate::limits::{HOOK_INTERVAL, MAX_CALL_DEPTH};
use crate::site;

/// Which budget ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exhausted {
    /// The instruction budget.
    Instructions,
    /// The time limit.
    Time,
    /// The depth of nested calls.
    Depth,
}

impl Exhausted {
    /// The message of the Lua error that ends the script.
    fn message(self) -> &'static str {
        match self {
            Exhausted::Instructions => "the script ran out of its instruction budget",
            Exhausted::Time => "the script ran out of its time limit",
            Exhausted::Depth => "the script nested its calls too deep (endless recursion?)",
        }
    }
}

/// The budgets of one run.
#[derive(Debug)]
pub(crate) struct Budget {
    instruction_limit: u64,
    memory_limit: usize,
    time_limit: Duration,
    started: Instant,
    used: Cell<u64>,
    excluded: Cell<Duration>,
    exhausted: Cell<Option<Exhausted>>,
    last_line: Cell<Option<u32>>,
}

impl Budget {
    /// Budgets starting now. The memory limit is enforced by the Lua state; it is kept here
    /// for messages.
    pub(crate) fn new(
        instruction_limit: u64,
        time_limit: Duration,
        memory_limit: usize,
    ) -> Rc<Self> {
        Rc::new(Budget {
            instruction_limit,
            memory_limit,
            time_limit,
            started: Instant::now(),
            used: Cell::new(0),
            excluded: Cell::new(Duration::ZERO),
            exhausted: Cell::new(None),
            last_line: Cell::new(None),
        })
    }

    /// Installs the hook that counts instructions on `lua`'s main thread (the sandbox has no
    /// coroutines, so no other thread runs Lua).
    pub(crate) fn install(self: &Rc<Self>, lua: &Lua) -> mlua::Result<()> {
        let budget = Rc::clone(self);
        lua.set_hook(
            HookTriggers::new().every_nth_instruction(HOOK_INTERVAL),
            move |lua, debug| {
                budget
                    .last_line
                    .set(debug.current_line().and_then(|l| u32::try_from(l).ok()));
                if budget.exhausted.get().is_none()
                    && lua.inspect_stack(MAX_CALL_DEPTH, |_| ()).is_some()
                {
                    budget.exhausted.set(Some(Exhausted::Depth));
                }
                match budget.spend(u64::from(HOOK_INTERVAL)) {
                    Ok(()) => Ok(VmState::Continue),
                    Err(e) => Err(site::error(lua, e.message())),
                }
            },
        )
    }

    /// Counts `instructions` of work and checks both budgets.
    ///
    /// # Errors
    /// The budget that is (or was already) exhausted.
    pub(crate) fn spend(&self, instructions: u64) -> Result<(), Exhausted> {
        if let Some(e) = self.exhausted.get() {
            return Err(e);
        }
        let used = self.used.get().saturating_add(instructions);
        self.used.set(used);
        let exhausted = if used > self.instruction_limit {
            Some(Exhausted::Instructions)
        } else if self.started.elapsed().saturating_sub(self.excluded.get()) > self.time_limit {
            Some(Exhausted::Time)
        } else {
            None
        };
        match exhausted {
            Some(e) => {
                self.exhausted.set(Some(e));
                Err(e)
            }
            None => Ok(()),
        }
    }

    /// Charges work done inside a library function as instructions; a Lua error at the
    /// caller's line when a budget runs out.
    pub(crate) fn charge(&self, lua: &Lua, instructions: u64) -> mlua::Result<()> {
        self.spend(instructions)
            .map_err(|e| site::error(lua, e.message()))
    }

    /// A Lua error at the caller's line if a budget is exhausted (used by `pcall` so a script
    /// cannot catch the end of its budget and go on).
    pub(crate) fn reraise(&self, lua: &Lua) -> mlua::Result<()> {
        match self.exhausted.get() {
            Some(e) => Err(site::error(lua, e.message())),
            None => Ok(()),
        }
    }

    /// Leaves `time` (spent analysing a file) out of the time limit.
    pub(crate) fn exclude(&self, time: Duration) {
        self.excluded.set(self.excluded.get() + time);
    }

    /// The budget that ran out, if one did.
    pub(crate) fn exhausted(&self) -> Option<Exhausted> {
        self.exhausted.get()
    }

    /// The line running at the last check (to locate errors that carry no position, such as
    /// running out of memory).
    pub(crate) fn last_line(&self) -> Option<u32> {
        self.last_line.get()
    }

    /// The instruction budget.
    pub(crate) fn instruction_limit(&self) -> u64 {
        self.instruction_limit
    }

    /// The time limit.
    pub(crate) fn time_limit(&self) -> Duration {
        self.time_limit
    }

    /// The memory limit, in bytes.
    pub(crate) fn memory_limit(&self) -> usize {
        self.memory_limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spending_past_the_limit_exhausts_the_budget_for_good() {
        let budget = Budget::new(100, Duration::from_secs(60), 0);
        assert_eq!(budget.spend(100), Ok(()));
        assert_eq!(budget.spend(1), Err(Exhausted::Instructions));
        assert_eq!(budget.spend(0), Err(Exhausted::Instructions));
        assert_eq!(budget.exhausted(), Some(Exhausted::Instructions));
    }

    #[test]
    fn the_clock_runs_out_unless_the_time_was_spent_analysing() {
        let budget = Budget::new(u64::MAX, Duration::from_millis(20), 0);
        budget.exclude(Duration::from_secs(3600));
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(budget.spend(1), Ok(()));
        let budget = Budget::new(u64::MAX, Duration::from_millis(20), 0);
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(budget.spend(1), Err(Exhausted::Time));
    }
}
