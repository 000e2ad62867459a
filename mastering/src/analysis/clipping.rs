//! Clipping detection: runs of consecutive samples at or above the clip level on one channel.

/// Counts clipped runs on one channel, across block boundaries.
#[derive(Debug, Clone)]
pub(crate) struct ClipCounter {
    level: f32,
    min_run: usize,
    /// Length of the run of clipped samples that ends at the latest sample.
    current: usize,
    runs: u64,
    samples: u64,
}

impl ClipCounter {
    /// A counter for samples with magnitude `>= level`, in runs of at least `min_run`.
    pub fn new(level: f32, min_run: usize) -> Self {
        Self {
            level,
            min_run: min_run.max(1),
            current: 0,
            runs: 0,
            samples: 0,
        }
    }

    /// Scans consecutive samples of the channel.
    pub fn push(&mut self, samples: &[f32]) {
        for &x in samples {
            if x.abs() >= self.level {
                self.current += 1;
            } else if self.current > 0 {
                self.end_run();
            }
        }
    }

    /// The level at which a sample counts as clipped.
    pub fn level(&self) -> f32 {
        self.level
    }

    /// Takes note of samples known to be all below the clip level: a run in progress ends.
    pub fn push_unclipped(&mut self) {
        self.end_run();
    }

    /// Closes the run in progress, counting it if it is long enough.
    fn end_run(&mut self) {
        if self.current >= self.min_run {
            self.runs += 1;
            self.samples += self.current as u64;
        }
        self.current = 0;
    }

    /// Clipped runs and the samples in them, counting a run still open at the end.
    pub fn finish(mut self) -> (u64, u64) {
        self.end_run();
        (self.runs, self.samples)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs and samples counted by hand from a list of run lengths.
    fn count(samples: &[f32], blocks: usize) -> (u64, u64) {
        let mut counter = ClipCounter::new(0.999, 3);
        for chunk in samples.chunks(blocks) {
            counter.push(chunk);
        }
        counter.finish()
    }

    #[test]
    fn only_runs_of_three_or_more_count() {
        // Runs of 2 (ignored), 3, 4 (negative full scale counts too), and 5 open at the end.
        let mut signal = vec![0.5f32; 40];
        signal[2..4].fill(1.0);
        signal[10..13].fill(1.0);
        signal[20..24].fill(-1.0);
        signal[35..40].fill(0.9995);
        for blocks in [1, 3, 7, 40] {
            assert_eq!(
                count(&signal, blocks),
                (3, 3 + 4 + 5),
                "block size {blocks}"
            );
        }
    }

    #[test]
    fn samples_just_below_the_level_do_not_count() {
        assert_eq!(count(&[0.998; 100], 64), (0, 0));
    }
}
