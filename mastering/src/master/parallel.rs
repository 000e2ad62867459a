//! Running independent jobs (analyses, renders, measurements of delivered files) on the
//! machine's cores, results in the order of the jobs.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `job` on every item on up to as many threads as the machine has cores, and
/// returns the results in item order. One item, or one core, runs on the calling thread.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], job: impl Fn(&T) -> R + Sync) -> Vec<R> {
    parallel_map_on(items, cores(), job)
}

/// As [`parallel_map`], with up to twice as many threads as cores: for a few jobs of equal
/// length, which then all end together (three on two cores take one and a half job's time,
/// not two).
pub fn parallel_map_evenly<T: Sync, R: Send>(items: &[T], job: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cores = cores();
    if cores <= 1 {
        return parallel_map_on(items, 1, job);
    }
    parallel_map_on(items, 2 * cores, job)
}

/// The machine's cores (1 when unknown).
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Runs `job` on every item on up to `threads` threads, results in item order.
fn parallel_map_on<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    job: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.min(items.len());
    if threads <= 1 {
        return items.iter().map(&job).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let result = job(item);
                    // A poisoned lock means another job panicked; its panic is re-raised
                    // when the scope ends, so this result can be dropped.
                    if let Ok(mut results) = results.lock() {
                        if let Some(slot) = results.get_mut(i) {
                            *slot = Some(result);
                        }
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_item_order() {
        let items: Vec<u64> = (0..100).collect();
        let squares = parallel_map(&items, |&x| {
            // Uneven job lengths, so threads finish out of order.
            std::thread::sleep(std::time::Duration::from_micros((x * 37) % 200));
            x * x
        });
        assert_eq!(squares, items.iter().map(|x| x * x).collect::<Vec<_>>());
        assert!(parallel_map(&Vec::<u64>::new(), |&x| x).is_empty());
        let evenly = parallel_map_evenly(&items, |&x| x + 1);
        assert_eq!(evenly, items.iter().map(|x| x + 1).collect::<Vec<_>>());
    }

    #[test]
    fn evenly_runs_a_few_jobs_all_at_once() {
        // Three jobs that each wait for all three to have started: only possible when every
        // job has its own thread (on a machine of two cores or more).
        if cores() < 2 {
            return;
        }
        let started = AtomicUsize::new(0);
        let together = parallel_map_evenly(&[0, 1, 2], |_| {
            started.fetch_add(1, Ordering::SeqCst);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            while started.load(Ordering::SeqCst) < 3 && std::time::Instant::now() < deadline {
                std::thread::yield_now();
            }
            started.load(Ordering::SeqCst)
        });
        assert_eq!(together, [3, 3, 3]);
    }
}
