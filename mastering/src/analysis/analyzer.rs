//! `Analyzer`: streams planar blocks through every measurement and produces an [`Analysis`].

use super::channel_stats::ChannelAccumulator;
use super::config::AnalyzerConfig;
use super::correlation::CorrelationMeter;
use super::loudness::LoudnessMeter;
use super::measurements::Analysis;
use super::silence::SilenceTracker;
use super::spectrum::{Spectrum, SpectrumAccumulator};
use crate::error::AnalysisError;

/// Measures loudness, peaks, clipping, DC, phase, silence and spectrum of audio fed in blocks.
///
/// Memory does not grow with the audio beyond the level series (a few values per 100 ms).
pub struct Analyzer {
    sample_rate: u32,
    frames: u64,
    loudness: LoudnessMeter,
    channels: Vec<ChannelAccumulator>,
    silence: SilenceTracker,
    correlation: Option<CorrelationMeter>,
    /// `None` when the configuration leaves the spectrum out.
    spectrum: Option<SpectrumAccumulator>,
    spectrum_frames: usize,
}

impl Analyzer {
    /// An analyzer with the default settings for `channels` channels at `sample_rate` Hz.
    ///
    /// # Errors
    /// [`AnalysisError::UnsupportedFormat`] for 0 or more than 64 channels, or a sample rate
    /// the loudness meter does not support.
    pub fn new(sample_rate: u32, channels: usize) -> Result<Self, AnalysisError> {
        Self::with_config(sample_rate, channels, AnalyzerConfig::default())
    }

    /// An analyzer with the given settings.
    ///
    /// # Errors
    /// As [`Analyzer::new`].
    pub fn with_config(
        sample_rate: u32,
        channels: usize,
        config: AnalyzerConfig,
    ) -> Result<Self, AnalysisError> {
        let loudness = LoudnessMeter::new(sample_rate, channels)?;
        let silence = config.silence_amplitude();
        let block_frames = loudness.block_frames();
        Ok(Self {
            sample_rate,
            frames: 0,
            loudness,
            channels: (0..channels)
                .map(|_| ChannelAccumulator::new(config.clip_level, config.clip_min_run))
                .collect(),
            silence: SilenceTracker::new(silence),
            correlation: (channels == 2)
                .then(|| CorrelationMeter::new(sample_rate, block_frames, silence)),
            spectrum: config
                .spectrum
                .then(|| SpectrumAccumulator::new(sample_rate, channels, config.spectrum_frames())),
            spectrum_frames: config.spectrum_frames(),
        })
    }

    /// Frames fed so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Feeds the next block: one slice per channel, all of the same length (any length).
    ///
    /// # Errors
    /// [`AnalysisError::ChannelCount`] or [`AnalysisError::UnevenBlock`] for a malformed block;
    /// nothing of such a block is analysed.
    pub fn push(&mut self, channels: &[&[f32]]) -> Result<(), AnalysisError> {
        if channels.len() != self.channels.len() {
            return Err(AnalysisError::ChannelCount {
                expected: self.channels.len(),
                found: channels.len(),
            });
        }
        let frames = channels.first().map_or(0, |c| c.len());
        if let Some((channel, c)) = channels.iter().enumerate().find(|(_, c)| c.len() != frames) {
            return Err(AnalysisError::UnevenBlock {
                channel,
                expected: frames,
                found: c.len(),
            });
        }
        if frames == 0 {
            return Ok(());
        }
        self.loudness.push(channels)?;
        for (acc, samples) in self.channels.iter_mut().zip(channels) {
            acc.push(samples);
            self.silence.push(self.frames, samples);
        }
        if let (Some(meter), [left, right]) = (&mut self.correlation, channels) {
            meter.push(left, right);
        }
        if let Some(spectrum) = &mut self.spectrum {
            spectrum.push(channels);
        }
        self.frames += frames as u64;
        Ok(())
    }

    /// Everything measured over the blocks fed.
    pub fn finish(self) -> Analysis {
        let loudness = self.loudness.finish(self.frames);
        let channels: Vec<_> = self
            .channels
            .into_iter()
            .zip(&loudness.channel_true_peaks)
            .map(|(acc, &true_peak)| acc.finish(self.frames, true_peak))
            .collect();
        let rate = f64::from(self.sample_rate);
        let (head, tail) = self.silence.finish(self.frames);
        let max_level = |levels: &mut dyn Iterator<Item = f64>| levels.reduce(f64::max);
        Analysis {
            sample_rate: self.sample_rate,
            frames: self.frames,
            integrated_lufs: loudness.integrated_lufs,
            max_momentary_lufs: max_level(&mut loudness.momentary.iter().map(|p| p.level)),
            max_short_term_lufs: max_level(&mut loudness.short_term.iter().map(|p| p.level)),
            loudness_range_lu: loudness.loudness_range_lu,
            true_peak_dbtp: max_level(&mut channels.iter().map(|c| c.true_peak_dbtp))
                .unwrap_or(f64::NEG_INFINITY),
            sample_peak_dbfs: max_level(&mut channels.iter().map(|c| c.sample_peak_dbfs))
                .unwrap_or(f64::NEG_INFINITY),
            channels,
            phase_correlation: self.correlation.and_then(CorrelationMeter::finish),
            head_silence_s: head as f64 / rate,
            tail_silence_s: tail as f64 / rate,
            momentary_lufs: loudness.momentary,
            short_term_lufs: loudness.short_term,
            true_peak_dbtp_per_100ms: loudness.true_peaks,
            spectrum: self.spectrum.map_or_else(
                || Spectrum::empty(self.sample_rate, self.spectrum_frames),
                SpectrumAccumulator::finish,
            ),
            gating_energies: loudness.gating_energies,
        }
    }
}

#[cfg(test)]
mod tests {
    use ebur128::{EbuR128, Mode};

    use super::*;

    const RATE: u32 = 48_000;

    /// A stereo test signal: a 440 Hz tone with a slow level sweep on the left, a detuned
    /// tone with a DC offset on the right.
    fn stereo(frames: usize) -> [Vec<f32>; 2] {
        let left = (0..frames)
            .map(|i| {
                let t = i as f64 / f64::from(RATE);
                (0.5 * (1.0 + t).recip() * (std::f64::consts::TAU * 440.0 * t).sin()) as f32
            })
            .collect();
        let right = (0..frames)
            .map(|i| {
                let t = i as f64 / f64::from(RATE);
                (0.01 + 0.3 * (std::f64::consts::TAU * 441.0 * t + 0.3).sin()) as f32
            })
            .collect();
        [left, right]
    }

    fn analyse(channels: &[Vec<f32>], block: usize) -> Analysis {
        crate::test_support::analyse_blocks(RATE, channels, block)
    }

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        a == b || (a - b).abs() <= tolerance
    }

    #[test]
    fn readings_match_an_ebur128_meter_polled_every_100_ms() {
        let signal = stereo(RATE as usize * 5 + 1234);
        let analysis = analyse(&signal, 1000);
        // The reference: a plain ebur128 meter fed 100 ms at a time, polled after each.
        let mut meter =
            EbuR128::new(2, RATE, Mode::I | Mode::LRA | Mode::S | Mode::TRUE_PEAK).unwrap();
        let (mut momentary, mut short_term) = (Vec::new(), Vec::new());
        let step = RATE as usize / 10;
        for (k, start) in (0..signal[0].len()).step_by(step).enumerate() {
            let end = (start + step).min(signal[0].len());
            meter
                .add_frames_planar_f32(&[&signal[0][start..end], &signal[1][start..end]])
                .unwrap();
            if end - start == step && k >= 3 {
                momentary.push(meter.loudness_momentary().unwrap());
            }
            if end - start == step && k >= 29 {
                short_term.push(meter.loudness_shortterm().unwrap());
            }
        }
        assert_eq!(analysis.integrated_lufs, meter.loudness_global().unwrap());
        assert_eq!(analysis.loudness_range_lu, meter.loudness_range().unwrap());
        let true_peak = meter.true_peak(0).unwrap().max(meter.true_peak(1).unwrap());
        assert_eq!(analysis.true_peak_dbtp, 20.0 * true_peak.log10());
        assert_eq!(analysis.momentary_lufs.len(), momentary.len());
        assert_eq!(analysis.short_term_lufs.len(), short_term.len());
        for (ours, theirs) in analysis.momentary_lufs.iter().zip(&momentary) {
            assert!(
                close(ours.level, *theirs, 1e-9),
                "{} vs {theirs}",
                ours.level
            );
        }
        for (ours, theirs) in analysis.short_term_lufs.iter().zip(&short_term) {
            assert!(
                close(ours.level, *theirs, 1e-9),
                "{} vs {theirs}",
                ours.level
            );
        }
        let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert!(close(
            analysis.max_momentary_lufs.unwrap(),
            max(&momentary),
            1e-9
        ));
        assert!(close(
            analysis.max_short_term_lufs.unwrap(),
            max(&short_term),
            1e-9
        ));
        // Window end times: the first momentary reading covers 0..0.4 s, short-term 0..3 s.
        assert!(close(analysis.momentary_lufs[0].time_s, 0.4, 1e-12));
        assert!(close(analysis.short_term_lufs[0].time_s, 3.0, 1e-12));
        // Gating blocks are the momentary readings: pooled alone they give the integrated.
        let gated = super::super::gating::gated_loudness(analysis.gating_energies.iter());
        assert!(close(gated, analysis.integrated_lufs, 1e-9));
    }

    #[test]
    fn sample_statistics_match_sums_computed_here() {
        let signal = stereo(RATE as usize * 2);
        let analysis = analyse(&signal, 4096);
        for (stats, samples) in analysis.channels.iter().zip(&signal) {
            let peak = samples.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            let mean = samples.iter().map(|&x| f64::from(x)).sum::<f64>() / samples.len() as f64;
            assert_eq!(stats.sample_peak_dbfs, 20.0 * f64::from(peak).log10());
            assert!(
                close(stats.dc_offset, mean, 1e-12),
                "{} vs {mean}",
                stats.dc_offset
            );
            assert!(stats.true_peak_dbtp >= stats.sample_peak_dbfs);
        }
        assert!(close(analysis.channels[1].dc_offset, 0.01, 1e-4));
        assert_eq!(analysis.frames, RATE as u64 * 2);
        assert_eq!(analysis.duration_s(), 2.0);
        // Correlations computed here: over everything, and over every 400 ms window on the
        // 100 ms grid (all windows carry signal on both channels).
        let correlation = |range: std::ops::Range<usize>| {
            let (l, r) = (&signal[0][range.clone()], &signal[1][range]);
            let dot = |a: &[f32], b: &[f32]| -> f64 {
                a.iter()
                    .zip(b)
                    .map(|(&x, &y)| f64::from(x) * f64::from(y))
                    .sum()
            };
            dot(l, r) / (dot(l, l) * dot(r, r)).sqrt()
        };
        let measured = analysis.phase_correlation.unwrap();
        assert!(close(
            measured.overall,
            correlation(0..RATE as usize * 2),
            1e-9
        ));
        let step = RATE as usize / 10;
        let (worst, end) = (4..=20)
            .map(|k| (correlation((k - 4) * step..k * step), k as f64 / 10.0))
            .fold((f64::INFINITY, 0.0), |a, b| if b.0 < a.0 { b } else { a });
        let window = measured.worst_window.unwrap();
        assert!(
            close(window.correlation, worst, 1e-9),
            "{window:?} vs {worst}"
        );
        assert!(close(window.end_s, end, 1e-12));
        // The 440 and 441 Hz tones drift through opposite phase once a second.
        assert!(worst < -0.6, "{worst}");
    }

    #[test]
    fn block_size_does_not_change_the_result() {
        let signal = stereo(RATE as usize * 7 / 2);
        let reference = analyse(&signal, 4096);
        for block in [1, 64, 1000] {
            let other = analyse(&signal, block);
            assert_eq!(other.integrated_lufs, reference.integrated_lufs);
            assert_eq!(other.true_peak_dbtp, reference.true_peak_dbtp);
            assert_eq!(other.momentary_lufs, reference.momentary_lufs);
            assert_eq!(other.short_term_lufs, reference.short_term_lufs);
            assert_eq!(
                other.true_peak_dbtp_per_100ms,
                reference.true_peak_dbtp_per_100ms
            );
            assert_eq!(other.spectrum, reference.spectrum);
            assert_eq!(other.head_silence_s, reference.head_silence_s);
            for (a, b) in other.channels.iter().zip(&reference.channels) {
                assert_eq!(a.sample_peak_dbfs, b.sample_peak_dbfs);
                assert!(close(a.dc_offset, b.dc_offset, 1e-12));
            }
            let (a, b) = (
                other.phase_correlation.unwrap(),
                reference.phase_correlation.unwrap(),
            );
            assert!(close(a.overall, b.overall, 1e-9));
            let (a, b) = (a.worst_window.unwrap(), b.worst_window.unwrap());
            assert!(close(a.correlation, b.correlation, 1e-9) && a.end_s == b.end_s);
        }
    }

    #[test]
    fn head_and_tail_silence_are_timed_to_the_frame() {
        // 1.5 s of silence, 2 s of tone (a cosine, so the first sample is loud), 0.25 s of a
        // constant -70 dBFS (below the -60 dBFS threshold), 0.25 s of silence.
        let rate = RATE as usize;
        let mut mono = vec![0.0f32; rate * 4];
        for (i, x) in mono[rate * 3 / 2..rate * 7 / 2].iter_mut().enumerate() {
            *x = 0.5 * (std::f64::consts::TAU * 1000.0 * i as f64 / rate as f64).cos() as f32;
        }
        for x in &mut mono[rate * 7 / 2..rate * 15 / 4] {
            *x = 0.0003;
        }
        let analysis = analyse(&[mono], 777);
        assert_eq!(analysis.head_silence_s, 1.5);
        // The tone's last sample, cos(-2 pi / 48) / 2, is loud: the tail is the last 0.5 s.
        assert_eq!(analysis.tail_silence_s, 0.5);
        assert_eq!(analysis.phase_correlation, None, "mono has no correlation");
    }

    #[test]
    fn silence_reads_minus_infinity_and_all_head() {
        let analysis = analyse(&[vec![0.0; 48_000], vec![0.0; 48_000]], 4096);
        assert_eq!(analysis.integrated_lufs, f64::NEG_INFINITY);
        assert_eq!(analysis.true_peak_dbtp, f64::NEG_INFINITY);
        assert_eq!(analysis.sample_peak_dbfs, f64::NEG_INFINITY);
        assert_eq!(analysis.plr_db(), None);
        assert_eq!(
            (analysis.head_silence_s, analysis.tail_silence_s),
            (1.0, 1.0)
        );
        assert_eq!(analysis.phase_correlation, None);
        assert_eq!(analysis.max_short_term_lufs, None, "shorter than 3 s");
    }

    #[test]
    fn true_peak_per_100_ms_locates_an_over() {
        // Quiet tone with one spike at 1.23 s: only the interval 1.2..1.3 s is over -6 dBTP.
        let mut mono: Vec<f32> = (0..RATE as usize * 2)
            .map(|i| 0.05 * (std::f64::consts::TAU * 100.0 * i as f64 / 48_000.0).sin() as f32)
            .collect();
        mono[RATE as usize * 123 / 100] = 0.9;
        let analysis = analyse(&[mono], 4096);
        assert_eq!(analysis.true_peak_dbtp_per_100ms.len(), 20);
        let overs: Vec<f64> = analysis.true_peak_overs(-6.0).map(|p| p.time_s).collect();
        assert_eq!(overs.len(), 1);
        assert!(close(overs[0], 1.3, 1e-12), "{overs:?}");
        // Elsewhere the peak is the tone's, -26 dB.
        let first = analysis.true_peak_dbtp_per_100ms[0].level;
        assert!(close(first, 20.0 * 0.05f64.log10(), 0.05), "{first}");
    }

    #[test]
    fn clipped_runs_are_counted_per_channel() {
        let mut left: Vec<f32> = (0..48_000)
            .map(|i| {
                (1.5 * (std::f64::consts::TAU * 50.0 * i as f64 / 48_000.0).sin()).clamp(-1.0, 1.0)
                    as f32
            })
            .collect();
        let right = vec![0.1f32; 48_000];
        // Count runs of |x| >= 0.999 of length >= 3 directly.
        let mut runs = 0;
        let mut samples = 0;
        let mut run = 0;
        for &x in left.iter().chain([0.0f32].iter()) {
            if x.abs() >= 0.999 {
                run += 1
            } else {
                if run >= 3 {
                    runs += 1;
                    samples += run
                }
                run = 0;
            }
        }
        assert_eq!(runs, 100, "a 50 Hz sine clips twice per period");
        let analysis = analyse(&[left.clone(), right.clone()], 1000);
        assert_eq!(
            (
                analysis.channels[0].clipped_runs,
                analysis.channels[0].clipped_samples
            ),
            (runs, samples)
        );
        assert_eq!(analysis.channels[1].clipped_runs, 0);
        assert_eq!(analysis.clipped_runs(), runs);
        // At 8 bits the largest code is 127/128: a file clipped there counts too.
        left.iter_mut()
            .for_each(|x| *x = x.clamp(-127.0 / 128.0, 127.0 / 128.0));
        let mut analyzer =
            Analyzer::with_config(RATE, 2, AnalyzerConfig::for_bit_depth(Some(8))).unwrap();
        analyzer.push(&[&left, &right]).unwrap();
        assert_eq!(analyzer.finish().clipped_runs(), runs);
    }

    #[test]
    fn the_spectrum_can_be_left_out_and_nothing_else_changes() {
        let signal = stereo(RATE as usize * 2);
        let with = analyse(&signal, 4096);
        let mut analyzer = Analyzer::with_config(
            RATE,
            2,
            AnalyzerConfig {
                spectrum: false,
                ..AnalyzerConfig::default()
            },
        )
        .unwrap();
        for (l, r) in signal[0].chunks(4096).zip(signal[1].chunks(4096)) {
            analyzer.push(&[l, r]).unwrap();
        }
        let without = analyzer.finish();
        assert!(with.spectrum.level_db.len() > 1000);
        assert!(without.spectrum.level_db.is_empty());
        assert_eq!(without.spectrum.frames_averaged, 0);
        assert_eq!(without.spectrum.bin_hz, with.spectrum.bin_hz);
        assert_eq!(
            Analysis {
                spectrum: with.spectrum.clone(),
                ..without
            },
            with
        );
    }

    #[test]
    fn malformed_blocks_and_formats_are_refused() {
        assert!(matches!(
            Analyzer::new(48_000, 0),
            Err(AnalysisError::UnsupportedFormat { channels: 0, .. })
        ));
        assert!(matches!(
            Analyzer::new(48_000, 65),
            Err(AnalysisError::UnsupportedFormat { channels: 65, .. })
        ));
        assert!(matches!(
            Analyzer::new(0, 2),
            Err(AnalysisError::UnsupportedFormat { sample_rate: 0, .. })
        ));
        let mut analyzer = Analyzer::new(48_000, 2).unwrap();
        let a = [0.0f32; 10];
        let b = [0.0f32; 9];
        assert!(matches!(
            analyzer.push(&[&a]),
            Err(AnalysisError::ChannelCount {
                expected: 2,
                found: 1
            })
        ));
        assert!(matches!(
            analyzer.push(&[&a, &b]),
            Err(AnalysisError::UnevenBlock {
                channel: 1,
                expected: 10,
                found: 9
            })
        ));
        assert_eq!(
            analyzer.frames(),
            0,
            "nothing of a malformed block is analysed"
        );
        analyzer.push(&[&a, &a]).unwrap();
        assert_eq!(analyzer.frames(), 10);
    }
}
