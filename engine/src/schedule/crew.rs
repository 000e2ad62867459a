//! The worker threads of a parallel schedule, and how one phase of jobs runs on them.
//!
//! # Protocol
//! The calling thread lends the phase's jobs and the shared buffer pool to the crew (two
//! `Vec` moves under a write lock), bumps a phase counter and unparks the workers. Then it
//! claims jobs itself like any worker. A job is claimed by swapping the phase's number into
//! its stamp: whoever finds an older number there runs it, so each job runs exactly once.
//! Each thread first claims its own share (thread `k` of `n` takes the phase's jobs `k`,
//! `k + n`, ...), so a strip keeps running on the same core block after block with its
//! state and buffers in that core's cache; then it takes whatever is left, so a late or busy
//! thread's share is done by the others. A job sits in its own `Mutex`, which its claimer
//! locks uncontended; the pool is read through a shared read lock. When every job is done,
//! the caller takes jobs and pool back under the write lock. A worker that never wakes in
//! time (a loaded machine) costs nothing but its share of the work, which the others do.
//!
//! A job's result does not depend on the thread that runs it: it reads only buffers nobody
//! writes during the phase and writes only its own, and every worker runs with
//! flush-to-zero like the caller. So the output is bit-identical to one thread.
//!
//! # Why not rayon
//! rayon hands work from a thread outside its pool through a global injector queue that
//! allocates a new block every 63 jobs, so a schedule run from the render loop would
//! allocate while processing; and its work stealing does not keep a strip on one core. This
//! crew allocates nothing per phase (atomics, `std` locks, park and unpark) and uses no
//! `unsafe`.
//!
//! # Waiting
//! Between phases a worker spins for [`SPIN`] (phases of one block follow each other within
//! microseconds) and then parks until the next phase unparks it. The caller, once it has no
//! job left to claim, spins and then yields until the jobs others claimed are done.

use std::any::Any;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::denormal::DenormalGuard;
use crate::schedule::job::Job;

/// How long an idle worker spins before it parks.
pub(super) const SPIN: Duration = Duration::from_micros(50);

/// Spins of the caller, waiting for other threads' jobs, before it starts yielding.
const CALLER_SPINS: u32 = 1 << 12;

/// What a phase lends the crew.
#[derive(Default)]
struct Work {
    jobs: Vec<Mutex<Job>>,
    pool: Vec<Box<[f32]>>,
    /// The jobs of the phase (indices into `jobs`).
    range: Range<usize>,
    /// The phase's number, for the job stamps (starts at 1).
    number: u64,
    start: u64,
    frames: usize,
}

/// State shared by the caller and the workers.
struct Shared {
    work: RwLock<Work>,
    /// Bumped at the start of each phase (and to stop), to wake the workers.
    phase: AtomicU64,
    /// For each job, the number of the last phase that claimed it.
    stamps: Box<[AtomicU64]>,
    /// Jobs of the phase finished.
    done: AtomicUsize,
    /// Workers started and waiting for work.
    ready: AtomicUsize,
    stop: AtomicBool,
    /// The payload of the first job that panicked, to be raised on the calling thread.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

/// Worker threads for running phases of jobs; see the module docs.
pub(super) struct Crew {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

impl Crew {
    /// Starts `helpers` worker threads (the calling thread is the crew's other member) for
    /// `jobs` jobs, and returns once they all wait for work, so nothing of their start-up
    /// (which allocates) happens during processing.
    ///
    /// # Errors
    /// The operating system refused a thread.
    pub(super) fn new(helpers: usize, jobs: usize) -> std::io::Result<Crew> {
        let shared = Arc::new(Shared {
            work: RwLock::default(),
            phase: AtomicU64::new(0),
            stamps: (0..jobs).map(|_| AtomicU64::new(0)).collect(),
            done: AtomicUsize::new(0),
            ready: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            panic: Mutex::new(None),
        });
        let mut crew = Crew {
            shared,
            workers: Vec::with_capacity(helpers),
        };
        let threads = helpers + 1;
        for k in 1..threads {
            let shared = Arc::clone(&crew.shared);
            // On an error, dropping `crew` stops the workers already started.
            crew.workers.push(
                thread::Builder::new()
                    .name(format!("mixgraph-worker-{k}"))
                    .spawn(move || work(&shared, k, threads))?,
            );
        }
        while crew.shared.ready.load(Ordering::Acquire) < helpers {
            thread::yield_now();
        }
        Ok(crew)
    }

    /// Threads of the crew, the caller included.
    pub(super) fn threads(&self) -> usize {
        self.workers.len() + 1
    }

    /// Runs `jobs[range]` on the crew, each once, reading `pool`, over `frames` frames from
    /// timeline position `start`; returns when all are done. Allocates nothing.
    ///
    /// # Errors
    /// The payload of a job that panicked (the other jobs of the phase still ran), for the
    /// caller to raise once it has put its state back together.
    pub(super) fn run(
        &self,
        jobs: &mut Vec<Mutex<Job>>,
        pool: &mut Vec<Box<[f32]>>,
        range: Range<usize>,
        start: u64,
        frames: usize,
    ) -> Result<(), Box<dyn Any + Send>> {
        let count = range.len();
        {
            let mut work = write(&self.shared.work);
            std::mem::swap(&mut work.jobs, jobs);
            std::mem::swap(&mut work.pool, pool);
            self.shared.done.store(0, Ordering::Relaxed);
            work.range = range;
            work.number += 1;
            work.start = start;
            work.frames = frames;
        }
        self.shared.phase.fetch_add(1, Ordering::Release);
        for worker in &self.workers {
            worker.thread().unpark();
        }
        claim(&self.shared, 0, self.threads());
        let mut spins = 0;
        while self.shared.done.load(Ordering::Acquire) < count {
            if spins < CALLER_SPINS {
                spins += 1;
                std::hint::spin_loop();
            } else {
                thread::yield_now();
            }
        }
        {
            let mut work = write(&self.shared.work);
            std::mem::swap(&mut work.jobs, jobs);
            std::mem::swap(&mut work.pool, pool);
            work.range = 0..0;
        }
        match lock(&self.shared.panic).take() {
            Some(payload) => Err(payload),
            None => Ok(()),
        }
    }
}

impl Drop for Crew {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.phase.fetch_add(1, Ordering::Release);
        for worker in self.workers.drain(..) {
            worker.thread().unpark();
            // A worker never panics outside a job (jobs' panics are caught), so there is
            // nothing to report from joining.
            drop(worker.join());
        }
    }
}

/// The life of worker `me` of `threads`: wait for a phase, claim jobs until none is left,
/// repeat until stopped.
fn work(shared: &Shared, me: usize, threads: usize) {
    let _ftz = DenormalGuard::new();
    let mut seen = shared.phase.load(Ordering::Acquire);
    shared.ready.fetch_add(1, Ordering::Release);
    loop {
        let spin_until = Instant::now() + SPIN;
        loop {
            if shared.stop.load(Ordering::Acquire) {
                return;
            }
            let phase = shared.phase.load(Ordering::Acquire);
            if phase != seen {
                seen = phase;
                break;
            }
            if Instant::now() < spin_until {
                std::hint::spin_loop();
            } else {
                thread::park();
            }
        }
        claim(shared, me, threads);
    }
}

/// Claims and runs jobs of the current phase, thread `me`'s own share first, until none is
/// left.
fn claim(shared: &Shared, me: usize, threads: usize) {
    let work = read(&shared.work);
    let own = work.range.clone().skip(me).step_by(threads.max(1));
    for index in own.chain(work.range.clone()) {
        let (Some(stamp), Some(job)) = (shared.stamps.get(index), work.jobs.get(index)) else {
            continue;
        };
        if stamp.load(Ordering::Relaxed) == work.number
            || stamp.swap(work.number, Ordering::Relaxed) == work.number
        {
            continue;
        }
        let mut job = lock(job);
        let ran = catch_unwind(AssertUnwindSafe(|| {
            job.run(&work.pool, work.start, work.frames);
        }));
        drop(job);
        if let Err(payload) = ran {
            let mut first = lock(&shared.panic);
            if first.is_none() {
                *first = Some(payload);
            }
        }
        shared.done.fetch_add(1, Ordering::Release);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}
