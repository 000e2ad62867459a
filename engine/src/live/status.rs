//! Counters the audio thread keeps and the control thread reads: frames played, underruns,
//! device errors, the chain generation playing, whether the end has been reached. All
//! lock-free atomics, so the audio thread never waits on them.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::Serialize;

/// The shared counters (one per session, behind an `Arc`).
#[derive(Debug, Default)]
pub struct SharedStatus {
    frames: AtomicU64,
    underruns: AtomicU64,
    dropped: AtomicU64,
    overruns: AtomicU64,
    device_errors: AtomicU64,
    swaps: AtomicU64,
    generation: AtomicU64,
    faults: AtomicU64,
    device_delay_ns: AtomicU64,
    finished: AtomicBool,
}

/// A snapshot of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Status {
    /// Frames sent to the device.
    pub frames_played: u64,
    /// Callbacks in which an input had fewer frames ready than needed (silence was played
    /// in their place).
    pub underruns: u64,
    /// Live-input frames skipped to keep the input latency bounded (clock drift between two
    /// devices).
    pub dropped_frames: u64,
    /// Live-input frames lost because the input ring was full.
    pub overruns: u64,
    /// Errors the device reported (xruns, disconnection).
    pub device_errors: u64,
    /// Chains swapped in since the start.
    pub swaps: u64,
    /// The generation of the chain playing (0 for the first, +1 per reload).
    pub generation: u64,
    /// Non-finite samples replaced by silence at the chain output so far.
    pub faults: u64,
    /// Time between the latest output callback and its audio reaching the device, in
    /// microseconds, as the host predicts it.
    pub device_delay_us: u64,
    /// The inputs have ended and the tail has been played.
    pub finished: bool,
}

impl SharedStatus {
    /// A snapshot of every counter.
    pub fn snapshot(&self) -> Status {
        Status {
            frames_played: self.frames.load(Ordering::Relaxed),
            underruns: self.underruns.load(Ordering::Relaxed),
            dropped_frames: self.dropped.load(Ordering::Relaxed),
            overruns: self.overruns.load(Ordering::Relaxed),
            device_errors: self.device_errors.load(Ordering::Relaxed),
            swaps: self.swaps.load(Ordering::Relaxed),
            generation: self.generation.load(Ordering::Acquire),
            faults: self.faults.load(Ordering::Relaxed),
            device_delay_us: self.device_delay_ns.load(Ordering::Relaxed) / 1000,
            finished: self.finished.load(Ordering::Acquire),
        }
    }

    /// Whether the end has been played.
    pub fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    /// The generation of the chain playing.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub(crate) fn add_frames(&self, frames: u64) {
        self.frames.fetch_add(frames, Ordering::Relaxed);
    }

    pub(crate) fn add_underrun(&self) {
        self.underruns.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_dropped(&self, frames: u64) {
        self.dropped.fetch_add(frames, Ordering::Relaxed);
    }

    pub(crate) fn add_overrun(&self, frames: u64) {
        self.overruns.fetch_add(frames, Ordering::Relaxed);
    }

    pub(crate) fn add_device_error(&self) {
        self.device_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// The host's latest prediction of the time from a callback to the device.
    pub fn device_delay(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.device_delay_ns.load(Ordering::Relaxed))
    }

    pub(crate) fn set_device_delay(&self, delay: std::time::Duration) {
        let ns = u64::try_from(delay.as_nanos()).unwrap_or(u64::MAX);
        self.device_delay_ns.store(ns, Ordering::Relaxed);
    }

    pub(crate) fn set_faults(&self, faults: u64) {
        self.faults.store(faults, Ordering::Relaxed);
    }

    pub(crate) fn swapped_to(&self, generation: u64) {
        self.swaps.fetch_add(1, Ordering::Relaxed);
        self.generation.store(generation, Ordering::Release);
    }

    pub(crate) fn finish(&self) {
        self.finished.store(true, Ordering::Release);
    }
}
