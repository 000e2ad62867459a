//! Running independent jobs (analyses, renders, measurements of delivered files) on the
//! machine's cores, results in the order of the jobs.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `job` on every item on up to as many threads as the machine has cores, and
/// returns the results in item order. One item, or one core, runs on the calling thread.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], job: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(items.len());
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
    }
}
