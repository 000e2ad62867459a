//! Hot reload on the control thread: [`ChainWatcher`] polls the chain file's modification
//! time and size (no extra crate, no OS notification API) and reports a change once the file
//! has stopped changing, so a half-written save is never read; [`HotReload`] then rebuilds
//! the chain through a closure the caller provides (RON or Lua, the engine does not care)
//! and hands it to the [`Controller`]. A chain that fails to build or compile leaves the
//! playing one untouched and is reported.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::controller::{Controller, ReloadOutcome};
use super::error::LiveError;
use crate::graph::Graph;

/// How long a changed file must stay unchanged before it is read.
const SETTLE: Duration = Duration::from_millis(100);

/// A file's identity for change detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

/// Notices edits of one file by polling.
#[derive(Debug)]
pub struct ChainWatcher {
    path: PathBuf,
    seen: Option<Stamp>,
    candidate: Option<(Stamp, Instant)>,
    settle: Duration,
}

impl ChainWatcher {
    /// Watches `path`, taking its current state as seen.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let seen = stamp(&path);
        ChainWatcher {
            path,
            seen,
            candidate: None,
            settle: SETTLE,
        }
    }

    /// The same with another settling time.
    pub fn with_settle(mut self, settle: Duration) -> Self {
        self.settle = settle;
        self
    }

    /// The watched file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True once after the file changed and then stayed unchanged for the settling time. A
    /// file that is missing (mid-rename) is not a change yet.
    pub fn changed(&mut self) -> bool {
        let Some(now) = stamp(&self.path) else {
            return false;
        };
        if Some(now) == self.seen {
            self.candidate = None;
            return false;
        }
        match self.candidate {
            Some((s, since)) if s == now => {
                if since.elapsed() >= self.settle {
                    self.seen = Some(now);
                    self.candidate = None;
                    return true;
                }
                false
            }
            _ => {
                self.candidate = Some((now, Instant::now()));
                false
            }
        }
    }
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        modified: meta.modified().ok(),
        len: meta.len(),
    })
}

/// What a hot reload did.
#[derive(Debug)]
pub enum ReloadEvent {
    /// The edited chain was handed to the audio thread.
    Applied(ReloadOutcome),
    /// The edited chain could not be built or swapped in; the old one keeps playing.
    Failed(String),
}

/// Watches a chain file and swaps its edits in.
#[derive(Debug)]
pub struct HotReload {
    watcher: ChainWatcher,
    pending: bool,
}

impl HotReload {
    /// Watches `watcher`'s file.
    pub fn new(watcher: ChainWatcher) -> Self {
        HotReload {
            watcher,
            pending: false,
        }
    }

    /// Checks for an edit; when there is one (and no handover is under way) builds the
    /// chain with `build` and hands it to `controller`.
    pub fn poll(
        &mut self,
        controller: &mut Controller,
        build: impl FnOnce() -> Result<Graph, String>,
    ) -> Option<ReloadEvent> {
        self.pending |= self.watcher.changed();
        if !self.pending || controller.handover_pending() {
            return None;
        }
        self.pending = false;
        let graph = match build() {
            Ok(g) => g,
            Err(e) => return Some(ReloadEvent::Failed(e)),
        };
        match controller.reload(&graph) {
            Ok(outcome) => Some(ReloadEvent::Applied(outcome)),
            Err(LiveError::Busy) => {
                self.pending = true;
                None
            }
            Err(e) => Some(ReloadEvent::Failed(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_is_reported_once_after_it_settles() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chain.ron");
        std::fs::write(&path, "a").unwrap();
        let mut w = ChainWatcher::new(&path).with_settle(Duration::from_millis(30));
        assert!(!w.changed());
        std::fs::write(&path, "ab").unwrap();
        assert!(!w.changed(), "not settled yet");
        std::thread::sleep(Duration::from_millis(40));
        assert!(w.changed());
        assert!(!w.changed(), "reported once");
        std::fs::remove_file(&path).unwrap();
        assert!(!w.changed(), "a missing file is not a change");
    }
}
