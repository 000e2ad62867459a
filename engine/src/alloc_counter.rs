//! A counting global allocator, for the tests that prove the audio path allocates nothing.
//!
//! A test binary installs it and watches the thread that runs the audio code:
//! ```text
//! use mixgraph_engine::alloc_counter::{self, CountingAllocator};
//! #[global_allocator]
//! static ALLOCATOR: CountingAllocator = CountingAllocator;
//! let (_, allocations) = alloc_counter::count_allocations(|| schedule.process(256));
//! assert_eq!(allocations, 0);
//! ```
//! Only allocations made by the watching thread while it watches are counted, so other
//! threads (the test harness, a writer thread) do not disturb the count.
//! [`count_allocations_on_every_thread`] counts every thread instead (for a parallel schedule
//! whose workers must not allocate either); a binary using it should hold a single test, so
//! no other test's threads allocate meanwhile.

#![allow(
    unsafe_code,
    reason = "a global allocator is the way to count allocations"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Whether every thread's allocations are being counted.
static EVERY_THREAD: AtomicBool = AtomicBool::new(false);
/// Allocations counted on every thread while [`EVERY_THREAD`] is set.
static EVERY_THREAD_COUNT: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static WATCHING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

/// Forwards to the system allocator and counts the calls of watching threads.
pub struct CountingAllocator;

// SAFETY: every call forwards to the system allocator with the same arguments; the counting
// touches only const-initialized thread-local Cells, whose access does not allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note();
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn note() {
    if EVERY_THREAD.load(Ordering::Relaxed) {
        EVERY_THREAD_COUNT.fetch_add(1, Ordering::Relaxed);
    }
    let _ = WATCHING.try_with(|w| {
        if w.get() {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
    });
}

/// Starts (`true`) or stops counting this thread's allocations.
pub fn watch(on: bool) {
    WATCHING.with(|w| w.set(on));
}

/// Allocations, reallocations and frees counted on this thread so far.
pub fn count() -> u64 {
    COUNT.with(Cell::get)
}

/// Sets this thread's count back to zero.
pub fn reset() {
    COUNT.with(|c| c.set(0));
}

/// Runs `f` while watching and returns its result with the number of allocations it made.
pub fn count_allocations<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let before = count();
    watch(true);
    let result = f();
    watch(false);
    (result, count() - before)
}

/// Runs `f` and returns its result with the number of allocations every thread of the
/// process made meanwhile (the calling thread and any workers).
pub fn count_allocations_on_every_thread<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let before = EVERY_THREAD_COUNT.load(Ordering::SeqCst);
    EVERY_THREAD.store(true, Ordering::SeqCst);
    let result = f();
    EVERY_THREAD.store(false, Ordering::SeqCst);
    (result, EVERY_THREAD_COUNT.load(Ordering::SeqCst) - before)
}
