//! Where a mastering run spends its time: every phase (profiling an input, planning, each
//! render, each measurement of the delivered files, the input's analysis beside them, the
//! plot, the report) with its start and end since the run began. Off by default; set the
//! environment variable `MIXGRAPH_TIMING` (to anything but `0`) and the breakdown is
//! printed to standard error when the run ends.

use std::sync::Mutex;
use std::time::Instant;

/// The environment variable that turns the breakdown on.
pub const TIMING_VAR: &str = "MIXGRAPH_TIMING";

/// One timed phase, in seconds since the run began.
#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    /// What ran.
    pub name: String,
    /// When it started.
    pub start_s: f64,
    /// When it ended.
    pub end_s: f64,
}

/// Records phases from any thread of a run.
#[derive(Debug)]
pub struct Timing {
    started: Instant,
    /// `None` when timing is off: nothing is recorded.
    phases: Option<Mutex<Vec<Phase>>>,
}

impl Timing {
    /// A recorder that is on when [`TIMING_VAR`] is set to anything but `0`.
    pub fn from_env() -> Self {
        let on = std::env::var_os(TIMING_VAR).is_some_and(|v| v != "0");
        Self::new(on)
    }

    /// A recorder, on or off.
    pub fn new(on: bool) -> Self {
        Self {
            started: Instant::now(),
            phases: on.then(|| Mutex::new(Vec::new())),
        }
    }

    /// Runs `work`, recording it as `name` (the name is only built when timing is on).
    pub fn phase<R>(&self, name: impl FnOnce() -> String, work: impl FnOnce() -> R) -> R {
        let Some(phases) = &self.phases else {
            return work();
        };
        let start_s = self.started.elapsed().as_secs_f64();
        let result = work();
        let end_s = self.started.elapsed().as_secs_f64();
        // A poisoned lock means another phase panicked; that panic is what matters.
        if let Ok(mut phases) = phases.lock() {
            phases.push(Phase {
                name: name(),
                start_s,
                end_s,
            });
        }
        result
    }

    /// The phases recorded so far, by start time.
    pub fn phases(&self) -> Vec<Phase> {
        let mut phases = self
            .phases
            .as_ref()
            .and_then(|p| p.lock().ok().map(|p| p.clone()))
            .unwrap_or_default();
        phases.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
        phases
    }

    /// The breakdown as text, one phase per line; empty when timing is off.
    pub fn breakdown(&self) -> String {
        if self.phases.is_none() {
            return String::new();
        }
        let mut text = String::new();
        for p in self.phases() {
            text.push_str(&format!(
                "timing: {:<40} {:>7.3} .. {:>7.3} s  ({:.3} s)\n",
                p.name,
                p.start_s,
                p.end_s,
                p.end_s - p.start_s
            ));
        }
        text.push_str(&format!(
            "timing: {:<40} {:>7.3} s\n",
            "total",
            self.started.elapsed().as_secs_f64()
        ));
        text
    }

    /// Prints the breakdown to standard error when timing is on.
    pub fn print(&self) {
        if self.phases.is_some() {
            eprint!("{}", self.breakdown());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_recorded_in_order_only_when_on() {
        let off = Timing::new(false);
        assert_eq!(off.phase(|| unreachable!("not named when off"), || 7), 7);
        assert!(off.phases().is_empty());
        assert_eq!(off.breakdown(), "");

        let on = Timing::new(true);
        std::thread::scope(|s| {
            s.spawn(|| on.phase(|| "beside".to_string(), || ()));
        });
        on.phase(
            || "sleep".to_string(),
            || std::thread::sleep(std::time::Duration::from_millis(20)),
        );
        let phases = on.phases();
        assert_eq!(phases.len(), 2);
        let sleep = phases.iter().find(|p| p.name == "sleep").unwrap();
        assert!(sleep.end_s - sleep.start_s >= 0.019, "{sleep:?}");
        assert!(phases.windows(2).all(|w| w[0].start_s <= w[1].start_s));
        let text = on.breakdown();
        assert!(text.contains("sleep") && text.contains("beside") && text.contains("total"));
    }
}
