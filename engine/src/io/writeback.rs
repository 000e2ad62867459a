//! Early writeback of a file being written: every few MiB, a helper thread has the system
//! write what the file holds so far to disk, while the writer goes on. The sync that must
//! precede the rename of a finished output then has little left to wait for, instead of the
//! whole file (tens of milliseconds for a song, all of it after the render).

use std::fs::File;
use std::thread::JoinHandle;

use crossbeam::channel::{Sender, TrySendError, bounded};

/// Bytes written between two requests for writeback.
const WRITEBACK_BYTES: u64 = 4 << 20;

/// The helper of one file being written.
pub(crate) struct Writeback {
    /// Wakes the helper; `None` when there is no helper (the file could not be shared).
    nudge: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
    /// Bytes written since the last request.
    pending: u64,
}

impl Writeback {
    /// Starts a helper for `file` (a second handle on it, so the writer keeps its own).
    pub fn start(file: &File) -> Writeback {
        let helper = file.try_clone().ok().and_then(|file| {
            let (nudge, nudged) = bounded::<()>(1);
            let thread = std::thread::Builder::new()
                .name("mixgraph-writeback".to_string())
                .spawn(move || {
                    while nudged.recv().is_ok() {
                        // Only a head start: the sync before the rename reports any failure.
                        if file.sync_data().is_err() {
                            return;
                        }
                    }
                })
                .ok()?;
            Some((nudge, thread))
        });
        let (nudge, thread) = helper.unzip();
        Writeback {
            nudge,
            thread,
            pending: 0,
        }
    }

    /// Counts `bytes` more written, and every few MiB asks for writeback (without waiting:
    /// while the helper is still busy with the last request, this one merges into the next).
    pub fn wrote(&mut self, bytes: u64) {
        self.pending += bytes;
        if self.pending < WRITEBACK_BYTES {
            return;
        }
        self.pending = 0;
        if let Some(nudge) = &self.nudge {
            if let Err(TrySendError::Disconnected(())) = nudge.try_send(()) {
                self.nudge = None;
            }
        }
    }
}

impl Drop for Writeback {
    /// Stops the helper and waits for it, so no thread outlives its file.
    fn drop(&mut self) {
        self.nudge = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn writing_through_a_writeback_helper_keeps_every_byte_and_stops_the_helper() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        let mut file = File::create(&path).unwrap();
        let mut writeback = Writeback::start(&file);
        assert!(writeback.nudge.is_some());
        let block: Vec<u8> = (0..=255).cycle().take(1 << 20).collect();
        for _ in 0..10 {
            file.write_all(&block).unwrap();
            writeback.wrote(block.len() as u64);
        }
        drop(writeback);
        drop(file);
        let written = std::fs::read(&path).unwrap();
        assert_eq!(written.len(), 10 << 20);
        assert!(written.chunks(1 << 20).all(|c| c == block));
    }
}
