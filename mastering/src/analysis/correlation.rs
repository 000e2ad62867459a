//! Phase correlation of a stereo pair: over the whole audio and its worst 400 ms window.

/// Sub-blocks (of 100 ms) in one correlation window (400 ms).
const WINDOW_BLOCKS: usize = 4;

/// Phase correlation of a stereo pair: +1 identical, 0 unrelated, -1 opposite polarity
/// (the pair cancels when summed to mono).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhaseCorrelation {
    /// Correlation over the whole audio.
    pub overall: f64,
    /// The lowest correlation of any 400 ms window (windows every 100 ms) in which both
    /// channels are above the silence threshold; `None` if there is no such window.
    pub worst_window: Option<WindowCorrelation>,
}

/// The correlation of one window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowCorrelation {
    /// The correlation in the window.
    pub correlation: f64,
    /// The end of the window, in seconds from the start.
    pub end_s: f64,
}

/// Sums of products of the two channels.
#[derive(Debug, Clone, Copy, Default)]
struct Products {
    lr: f64,
    ll: f64,
    rr: f64,
    frames: usize,
}

impl Products {
    fn add(&mut self, other: &Products) {
        self.lr += other.lr;
        self.ll += other.ll;
        self.rr += other.rr;
        self.frames += other.frames;
    }

    /// The correlation coefficient, if both channels carry signal.
    fn correlation(&self) -> Option<f64> {
        (self.ll > 0.0 && self.rr > 0.0)
            .then(|| (self.lr / (self.ll * self.rr).sqrt()).clamp(-1.0, 1.0))
    }
}

/// The sums of `l * r`, `l * l` and `r * r` over the frames, in double precision: four
/// running sums each (which the compiler vectorizes), added at the end.
fn products(left: &[f32], right: &[f32]) -> (f64, f64, f64) {
    const LANES: usize = 4;
    let (mut lr, mut ll, mut rr) = ([0.0f64; LANES], [0.0f64; LANES], [0.0f64; LANES]);
    let mut pairs = left.chunks_exact(LANES).zip(right.chunks_exact(LANES));
    for (l, r) in &mut pairs {
        for k in 0..LANES {
            let (l, r) = (f64::from(l[k]), f64::from(r[k]));
            lr[k] += l * r;
            ll[k] += l * l;
            rr[k] += r * r;
        }
    }
    let done = left.len().min(right.len()) / LANES * LANES;
    let rest = left.get(done..).unwrap_or_default().iter();
    for (&l, &r) in rest.zip(right.get(done..).unwrap_or_default()) {
        let (l, r) = (f64::from(l), f64::from(r));
        lr[0] += l * r;
        ll[0] += l * l;
        rr[0] += r * r;
    }
    let sum = |v: [f64; LANES]| v.iter().sum::<f64>();
    (sum(lr), sum(ll), sum(rr))
}

/// Accumulates the correlation of a stereo pair block by block.
#[derive(Debug, Clone)]
pub(crate) struct CorrelationMeter {
    sample_rate: f64,
    block_frames: usize,
    /// Mean square below which a channel's window counts as silent.
    silence_mean_square: f64,
    current: Products,
    recent: [Products; WINDOW_BLOCKS],
    blocks: usize,
    total: Products,
    worst: Option<WindowCorrelation>,
}

impl CorrelationMeter {
    /// A meter with windows of 4 x `block_frames` frames; windows where a channel's RMS is at
    /// or below `silence_amplitude` are skipped.
    pub fn new(sample_rate: u32, block_frames: usize, silence_amplitude: f32) -> Self {
        Self {
            sample_rate: f64::from(sample_rate),
            block_frames: block_frames.max(1),
            silence_mean_square: f64::from(silence_amplitude).powi(2),
            current: Products::default(),
            recent: [Products::default(); WINDOW_BLOCKS],
            blocks: 0,
            total: Products::default(),
            worst: None,
        }
    }

    /// Feeds the next frames of the left and right channels (equal lengths).
    pub fn push(&mut self, left: &[f32], right: &[f32]) {
        let mut start = 0;
        let frames = left.len().min(right.len());
        while start < frames {
            let n = (self.block_frames - self.current.frames).min(frames - start);
            let l = left.get(start..start + n).unwrap_or_default();
            let r = right.get(start..start + n).unwrap_or_default();
            let (lr, ll, rr) = products(l, r);
            self.current.add(&Products {
                lr,
                ll,
                rr,
                frames: n,
            });
            start += n;
            if self.current.frames == self.block_frames {
                self.close_block();
            }
        }
    }

    /// Ends a sub-block and evaluates the window that ends with it.
    fn close_block(&mut self) {
        self.total.add(&self.current);
        if let Some(slot) = self.recent.get_mut(self.blocks % WINDOW_BLOCKS) {
            *slot = self.current;
        }
        self.current = Products::default();
        self.blocks += 1;
        if self.blocks < WINDOW_BLOCKS {
            return;
        }
        let mut window = Products::default();
        self.recent.iter().for_each(|p| window.add(p));
        let n = window.frames as f64;
        let audible =
            window.ll / n > self.silence_mean_square && window.rr / n > self.silence_mean_square;
        if let Some(correlation) = window.correlation().filter(|_| audible) {
            if self.worst.is_none_or(|w| correlation < w.correlation) {
                let end_s = (self.blocks * self.block_frames) as f64 / self.sample_rate;
                self.worst = Some(WindowCorrelation { correlation, end_s });
            }
        }
    }

    /// The correlation over everything fed; `None` if a channel is digital silence.
    pub fn finish(mut self) -> Option<PhaseCorrelation> {
        self.total.add(&self.current);
        self.total.correlation().map(|overall| PhaseCorrelation {
            overall,
            worst_window: self.worst,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(frames: usize, cycles_per_frame: f64, phase: f64, amplitude: f32) -> Vec<f32> {
        (0..frames)
            .map(|i| {
                amplitude
                    * (std::f64::consts::TAU * cycles_per_frame * i as f64 + phase).sin() as f32
            })
            .collect()
    }

    fn measure(left: &[f32], right: &[f32], block: usize) -> Option<PhaseCorrelation> {
        let mut meter = CorrelationMeter::new(1000, 100, 0.001);
        for (l, r) in left.chunks(block).zip(right.chunks(block)) {
            meter.push(l, r);
        }
        meter.finish()
    }

    #[test]
    fn identical_opposite_and_quadrature_channels() {
        let a = sine(4000, 0.01, 0.0, 0.5);
        let inverted: Vec<f32> = a.iter().map(|x| -x).collect();
        // A quarter period shift: correlation cos(90 deg) = 0 over whole periods.
        let quadrature = sine(4000, 0.01, std::f64::consts::FRAC_PI_2, 0.5);
        assert!((measure(&a, &a, 64).unwrap().overall - 1.0).abs() < 1e-9);
        assert!((measure(&a, &inverted, 64).unwrap().overall + 1.0).abs() < 1e-9);
        assert!(measure(&a, &quadrature, 64).unwrap().overall.abs() < 1e-6);
        // A 60 degree shift correlates at cos(60 deg) = 0.5.
        let shifted = sine(4000, 0.01, std::f64::consts::FRAC_PI_3, 0.5);
        assert!((measure(&a, &shifted, 333).unwrap().overall - 0.5).abs() < 1e-6);
    }

    #[test]
    fn worst_window_finds_the_inverted_passage() {
        // 4 s at 1 kHz: in phase except 1.0..1.6 s where the right channel is inverted.
        let left = sine(4000, 0.01, 0.0, 0.5);
        let mut right = left.clone();
        right[1000..1600].iter_mut().for_each(|x| *x = -*x);
        for block in [1, 64, 1000] {
            let result = measure(&left, &right, block).unwrap();
            let worst = result.worst_window.unwrap();
            assert!((worst.correlation + 1.0).abs() < 1e-9, "block size {block}");
            // Windows fully inside the inverted passage end at 1.4, 1.5 or 1.6 s.
            assert!(
                (1.4 - 1e-9..=1.6 + 1e-9).contains(&worst.end_s),
                "{}",
                worst.end_s
            );
            // Overall: 0.6 s of 4 s inverted, equal energy per frame: (3.4 - 0.6) / 4.
            assert!((result.overall - 0.7).abs() < 1e-3);
        }
    }

    #[test]
    fn silent_windows_and_silent_channels_are_skipped() {
        let left = sine(2000, 0.01, 0.0, 0.5);
        let silent = vec![0.0f32; 2000];
        assert_eq!(measure(&left, &silent, 100), None);
        // Right channel quiet (below -60 dBFS) but not silent: overall exists, no window counts.
        let quiet: Vec<f32> = left.iter().map(|x| -x * 0.001).collect();
        let result = measure(&left, &quiet, 100).unwrap();
        assert!((result.overall + 1.0).abs() < 1e-9);
        assert_eq!(result.worst_window, None);
    }
}
