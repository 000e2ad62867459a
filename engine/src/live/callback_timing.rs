//! Timing the audio callback, for the live benchmarks: a chain is assembled as a live session
//! without a device, its input rings are topped up from looped signals between callbacks (as
//! the decoder thread does), and the wall time of every [`AudioCore::render`] call is recorded
//! with whether the thread lost its CPU during it (`/proc/thread-self/schedstat`, Linux), so
//! the callback's own cost can be told apart from another thread's time slice.
//!
//! ```ignore
//! let times = time_callbacks(&graph, CompileConfig::new(48_000.0, 64), &TimingOptions::default(),
//!     |ring| signal_for(ring.name(), ring.channels()))?;
//! println!("{}", times.summary());
//! ```

use std::fs::File;
use std::io::{Read, Seek};
use std::time::{Duration, Instant};

use super::assemble::{AssembleOptions, LiveParts, assemble};
use super::core::AudioCore;
use super::error::LiveError;
use super::ring::RingWriter;
use crate::compile::CompileConfig;
use crate::graph::Graph;

/// How many callbacks to time, and of what size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimingOptions {
    /// Frames per callback (the device buffer); the schedule runs it in blocks of at most
    /// the config's `max_block`.
    pub frames: usize,
    /// Device channels (interleaved in the callback buffer).
    pub device_channels: usize,
    /// Callbacks run before timing starts (caches, branch predictors, envelopes settle).
    pub warmup: usize,
    /// Callbacks timed.
    pub callbacks: usize,
    /// Capacity of each input ring, in frames.
    pub ring_frames: usize,
}

impl Default for TimingOptions {
    /// 64-frame stereo callbacks; 2,000 warm-up callbacks, 45,000 timed (a minute of audio at
    /// 48 kHz, so the 99.9th percentile rests on 45 callbacks).
    fn default() -> Self {
        TimingOptions {
            frames: 64,
            device_channels: 2,
            warmup: 2_000,
            callbacks: 45_000,
            ring_frames: 4_096,
        }
    }
}

/// The wall time of every timed callback, whether it was preempted, and the period it is
/// measured against.
#[derive(Debug, Clone)]
pub struct CallbackTimes {
    wall: Vec<Duration>,
    preempted: Vec<bool>,
    period: Duration,
    underruns: u64,
}

impl CallbackTimes {
    /// The callback period: frames per callback over the sample rate.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Callbacks timed.
    pub fn len(&self) -> usize {
        self.wall.len()
    }

    /// Whether no callback was timed.
    pub fn is_empty(&self) -> bool {
        self.wall.is_empty()
    }

    /// Callbacks during which the thread was taken off its CPU (0 where the kernel does not
    /// say).
    pub fn preempted(&self) -> usize {
        self.preempted.iter().filter(|p| **p).count()
    }

    /// Underruns the session counted (0 when the rings were kept fed).
    pub fn underruns(&self) -> u64 {
        self.underruns
    }

    /// Percentiles over every timed callback; `None` when none was timed.
    pub fn all(&self) -> Option<Percentiles> {
        Percentiles::of(self.wall.clone(), self.period)
    }

    /// Percentiles over the callbacks that kept their CPU throughout; `None` when there are
    /// none.
    pub fn not_preempted(&self) -> Option<Percentiles> {
        let kept = self
            .wall
            .iter()
            .zip(&self.preempted)
            .filter(|(_, p)| !**p)
            .map(|(t, _)| *t)
            .collect();
        Percentiles::of(kept, self.period)
    }

    /// Two lines: all callbacks, and those not preempted.
    pub fn summary(&self) -> String {
        let show = |p: Option<Percentiles>| p.map_or("no callbacks".to_string(), |p| p.to_string());
        format!(
            "  all callbacks:            {}\n  without a context switch: {} ({} preempted callbacks left out)",
            show(self.all()),
            show(self.not_preempted()),
            self.preempted()
        )
    }
}

/// Median, 99th and 99.9th percentile and worst of a set of callback times (nearest rank:
/// the sorted time at index `round((n - 1) * q)`), with the period they are compared to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Percentiles {
    /// Callbacks counted.
    pub count: usize,
    /// The 50th percentile.
    pub median: Duration,
    /// The 99th percentile.
    pub p99: Duration,
    /// The 99.9th percentile.
    pub p999: Duration,
    /// The slowest callback.
    pub max: Duration,
    /// The callback period.
    pub period: Duration,
}

impl Percentiles {
    /// The percentiles of `times`; `None` when it is empty.
    pub fn of(mut times: Vec<Duration>, period: Duration) -> Option<Percentiles> {
        times.sort_unstable();
        let last = times.len().checked_sub(1)?;
        let at = |q: f64| times[((last as f64 * q).round() as usize).min(last)];
        Some(Percentiles {
            count: times.len(),
            median: at(0.5),
            p99: at(0.99),
            p999: at(0.999),
            max: times[last],
            period,
        })
    }

    /// `time` as a percentage of the period.
    pub fn percent_of_period(&self, time: Duration) -> f64 {
        100.0 * time.as_secs_f64() / self.period.as_secs_f64()
    }
}

impl std::fmt::Display for Percentiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |d: Duration| {
            format!(
                "{:.2} us ({:.2}%)",
                d.as_secs_f64() * 1e6,
                self.percent_of_period(d)
            )
        };
        write!(
            f,
            "median {}, p99 {}, p99.9 {}, max {}",
            show(self.median),
            show(self.p99),
            show(self.p999),
            show(self.max)
        )
    }
}

/// Assembles `graph` as a live session (compiled with `config`), feeds each input ring from
/// the interleaved loop `input_loop` returns for it (called once per ring, in the schedule's
/// input order; a loop shorter than one frame leaves the ring unfed), and times
/// `options.callbacks` callbacks after `options.warmup` untimed ones. The rings are topped up
/// between callbacks, outside the timed span.
///
/// # Errors
/// As [`assemble`].
pub fn time_callbacks(
    graph: &Graph,
    config: CompileConfig,
    options: &TimingOptions,
    mut input_loop: impl FnMut(&RingWriter) -> Vec<f32>,
) -> Result<CallbackTimes, LiveError> {
    let period = Duration::from_secs_f64(options.frames as f64 / config.sample_rate);
    let assemble_options = AssembleOptions {
        device_channels: options.device_channels,
        ring_frames: options.ring_frames,
        ..AssembleOptions::default()
    };
    let LiveParts {
        mut core,
        writers,
        controller,
    } = assemble(graph, config, &assemble_options)?;
    let mut feeds: Vec<LoopFeed> = writers
        .into_iter()
        .map(|w| {
            let samples = input_loop(&w);
            LoopFeed::new(w, samples)
        })
        .collect();
    let mut buffer = vec![0.0f32; options.frames * options.device_channels.max(1)];
    let mut times = CallbackTimes {
        wall: Vec::with_capacity(options.callbacks),
        preempted: Vec::with_capacity(options.callbacks),
        period,
        underruns: 0,
    };
    let mut switches = ContextSwitches::new();
    let mut callback = |core: &mut AudioCore, feeds: &mut [LoopFeed]| {
        feeds.iter_mut().for_each(LoopFeed::top_up);
        let before = switches.count();
        let start = Instant::now();
        core.render(&mut buffer);
        let elapsed = start.elapsed();
        (elapsed, before != switches.count())
    };
    for _ in 0..options.warmup {
        callback(&mut core, &mut feeds);
    }
    for _ in 0..options.callbacks {
        let (elapsed, preempted) = callback(&mut core, &mut feeds);
        times.wall.push(elapsed);
        times.preempted.push(preempted);
    }
    times.underruns = controller.status().underruns;
    Ok(times)
}

/// A ring writer fed from a looped signal.
struct LoopFeed {
    writer: RingWriter,
    samples: Vec<f32>,
    /// Next sample of the loop to push.
    at: usize,
}

impl LoopFeed {
    fn new(writer: RingWriter, mut samples: Vec<f32>) -> Self {
        let channels = writer.channels().max(1);
        samples.truncate(samples.len() - samples.len() % channels);
        LoopFeed {
            writer,
            samples,
            at: 0,
        }
    }

    /// Fills the ring, wrapping around the loop.
    fn top_up(&mut self) {
        let channels = self.writer.channels().max(1);
        let mut frames = self.writer.free_frames();
        while frames > 0 && !self.samples.is_empty() {
            let rest = &self.samples[self.at..];
            let pushed = self
                .writer
                .push_interleaved(&rest[..rest.len().min(frames * channels)]);
            if pushed == 0 {
                break;
            }
            self.at = (self.at + pushed * channels) % self.samples.len();
            frames -= pushed;
        }
    }
}

/// How many times this thread has been put on a CPU (`/proc/thread-self/schedstat`, third
/// field): when it changes across a callback, the callback was preempted and its wall time
/// includes another thread's time slice. Always `None` where the file does not exist.
struct ContextSwitches {
    file: Option<File>,
    text: String,
}

impl ContextSwitches {
    fn new() -> Self {
        ContextSwitches {
            file: File::open("/proc/thread-self/schedstat").ok(),
            text: String::with_capacity(64),
        }
    }

    fn count(&mut self) -> Option<u64> {
        let file = self.file.as_mut()?;
        file.rewind().ok()?;
        self.text.clear();
        file.read_to_string(&mut self.text).ok()?;
        self.text.split_whitespace().nth(2)?.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::param::ParamValue;

    fn micros(us: &[u64]) -> Vec<Duration> {
        us.iter().map(|&u| Duration::from_micros(u)).collect()
    }

    #[test]
    fn percentiles_are_the_nearest_ranks_of_the_sorted_times() {
        // 1..=1000 µs, out of order: ranks round(999 q) = 500, 989, 998 (0-based) hold
        // 501, 990 and 999 µs.
        let mut us: Vec<u64> = (1..=1000).collect();
        us.reverse();
        us.swap(3, 700);
        let p = Percentiles::of(micros(&us), Duration::from_micros(1000)).unwrap();
        assert_eq!(p.count, 1000);
        assert_eq!(p.median, Duration::from_micros(501));
        assert_eq!(p.p99, Duration::from_micros(990));
        assert_eq!(p.p999, Duration::from_micros(999));
        assert_eq!(p.max, Duration::from_micros(1000));
        assert!((p.percent_of_period(p.median) - 50.1).abs() < 1e-9);
        assert_eq!(Percentiles::of(Vec::new(), Duration::from_micros(1)), None);
    }

    #[test]
    fn a_fed_pass_through_chain_is_timed_for_every_callback_without_underruns() {
        let c = Catalog::with_builtins();
        let mut g = Graph::new();
        let input = g
            .add_node(
                "in",
                c.get("input").unwrap(),
                &[("channels".into(), ParamValue::Number(2.0))],
            )
            .unwrap();
        let output = g.add_node("out", c.get("output").unwrap(), &[]).unwrap();
        g.connect_ports(input, 0, output, 0).unwrap();
        let options = TimingOptions {
            warmup: 50,
            callbacks: 300,
            ring_frames: 256,
            ..TimingOptions::default()
        };
        let mut names = Vec::new();
        let times = time_callbacks(&g, CompileConfig::new(48_000.0, 64), &options, |ring| {
            names.push(ring.name().to_string());
            // A loop shorter than the ring, and not a whole number of callbacks.
            vec![0.25; 2 * 100 + 1]
        })
        .unwrap();
        assert_eq!(names, ["in"]);
        assert_eq!(times.len(), 300);
        assert_eq!(times.underruns(), 0);
        assert_eq!(times.period(), Duration::from_secs_f64(64.0 / 48_000.0));
        let all = times.all().unwrap();
        assert_eq!(all.count, 300);
        assert!(all.median <= all.p99 && all.p99 <= all.p999 && all.p999 <= all.max);
        let kept = times.not_preempted().map_or(0, |p| p.count);
        assert_eq!(kept + times.preempted(), 300);
    }
}
