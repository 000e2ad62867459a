//! What a recipe can measure on an audio file before deciding its chain ([`Measurements`]),
//! and the cache that makes each file analysed once however often a script asks
//! ([`AnalysisCache`]).
//!
//! The file is decoded once: every block goes through the mastering crate's [`Analyzer`]
//! (loudness, peaks, loudness range, correlation, average spectrum) and into an RMS sum kept
//! here. Band energies come from the analyzer's average power spectrum.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use mixgraph_engine::AudioIoError;
use mixgraph_mastering::{AnalysisError, Analyzer, AnalyzerConfig};

/// Blocks of the active level, in seconds.
const ACTIVE_BLOCK_S: f64 = 0.1;

/// Blocks quieter than this (mean square; -70 dBFS) are silence for the active level.
const ACTIVE_ABSOLUTE_GATE: f64 = 1e-7;

/// Blocks more than 20 dB under the mean of the blocks with signal are pauses.
const ACTIVE_RELATIVE_GATE: f64 = 0.01;

/// Upper edges of the low, low-mid and high-mid bands in Hz; the high band is the rest.
pub const BAND_EDGES_HZ: [f64; 3] = [250.0, 2000.0, 6000.0];

/// Energy per frequency band, as the RMS level of the part of the signal in that band
/// (dBFS, where a full-scale sine reads -3.0 dB). The four bands' powers add up to the
/// whole signal's: `10^(low/10) + ... + 10^(high/10) = 10^(rms/10)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bands {
    /// Below 250 Hz, in dB.
    pub low: f64,
    /// 250 Hz to 2 kHz, in dB.
    pub low_mid: f64,
    /// 2 kHz to 6 kHz, in dB.
    pub high_mid: f64,
    /// Above 6 kHz, in dB.
    pub high: f64,
}

/// What `analyze()` tells a recipe about a file. Levels in dB; `-inf` for digital silence.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurements {
    /// Integrated loudness (BS.1770, gated), in LUFS.
    pub integrated_lufs: f64,
    /// Highest true peak over the channels (oversampled), in dBTP.
    pub true_peak_dbtp: f64,
    /// Loudness range (EBU Tech 3342), in LU.
    pub loudness_range_lu: f64,
    /// Highest sample magnitude, in dBFS.
    pub sample_peak_dbfs: f64,
    /// RMS level over every sample of every channel, in dBFS (a full-scale sine reads
    /// -3.0 dB).
    pub rms_dbfs: f64,
    /// RMS level of the passages with signal, in dBFS: the RMS of the 100 ms blocks above
    /// -70 dBFS and within 20 dB of their mean (as loudness gating leaves out silence and
    /// pauses). For a stem that plays a part of the time, its level while it plays.
    pub active_rms_dbfs: f64,
    /// Crest factor: sample peak minus RMS, in dB (a sine has 3.0 dB; dense, limited
    /// masters 6 to 9 dB; untreated mixes 12 dB and more).
    pub crest_db: f64,
    /// Phase correlation of channels 1 and 2 (+1 mono-like, 0 unrelated, -1 out of phase);
    /// `None` unless the file is stereo with signal on both channels.
    pub correlation: Option<f64>,
    /// Length in seconds.
    pub duration_s: f64,
    /// Channel count.
    pub channels: usize,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Energy per frequency band.
    pub bands: Bands,
    /// Momentary loudness (400 ms window) every 100 ms, the first at 0.4 s, in LUFS.
    pub momentary_lufs: Vec<f64>,
}

/// Decodes `path` and measures it.
///
/// # Errors
/// [`AnalysisError::Read`] when the file cannot be opened or decoded,
/// [`AnalysisError::UnsupportedFormat`] for channel counts or rates the meter does not take.
pub fn measure_file(path: &Path) -> Result<Measurements, AnalysisError> {
    let mut reader = mixgraph_mastering::analysis::open(path)?;
    let info = reader.info().clone();
    let config = AnalyzerConfig::for_bit_depth(info.bits_per_sample);
    let mut analyzer = Analyzer::with_config(info.sample_rate, info.channels, config)?;
    let mut sum_of_squares = 0.0f64;
    let mut active = ActiveLevel::new(info.sample_rate, info.channels);
    mixgraph_mastering::analysis::for_each_block(path, &mut reader, |block| {
        sum_of_squares += block
            .iter()
            .flat_map(|c| c.iter())
            .map(|&x| f64::from(x) * f64::from(x))
            .sum::<f64>();
        active.push(block);
        analyzer.push(block)
    })?;
    let analysis = analyzer.finish();
    let samples = analysis.frames as f64 * info.channels as f64;
    let mean_square = if samples > 0.0 {
        sum_of_squares / samples
    } else {
        0.0
    };
    let rms_dbfs = power_db(mean_square);
    let bands = band_energies(analysis.spectrum.bin_hz, &analysis.spectrum.level_db);
    Ok(Measurements {
        integrated_lufs: analysis.integrated_lufs,
        true_peak_dbtp: analysis.true_peak_dbtp,
        loudness_range_lu: analysis.loudness_range_lu,
        sample_peak_dbfs: analysis.sample_peak_dbfs,
        rms_dbfs,
        active_rms_dbfs: active.finish(),
        crest_db: crest(analysis.sample_peak_dbfs, rms_dbfs),
        correlation: analysis.phase_correlation.map(|c| c.overall),
        duration_s: analysis.duration_s(),
        channels: info.channels,
        sample_rate: info.sample_rate,
        bands,
        momentary_lufs: analysis.momentary_lufs.iter().map(|p| p.level).collect(),
    })
}

/// The RMS level of the blocks with signal (see [`Measurements::active_rms_dbfs`]).
struct ActiveLevel {
    block_samples: usize,
    filled: usize,
    sum: f64,
    blocks: Vec<f64>,
}

impl ActiveLevel {
    fn new(sample_rate: u32, channels: usize) -> Self {
        let frames = (f64::from(sample_rate) * ACTIVE_BLOCK_S).round().max(1.0) as usize;
        ActiveLevel {
            block_samples: frames * channels.max(1),
            filled: 0,
            sum: 0.0,
            blocks: Vec::new(),
        }
    }

    /// Feeds a planar block (channels of equal length).
    fn push(&mut self, block: &[&[f32]]) {
        let frames = block.first().map_or(0, |c| c.len());
        for i in 0..frames {
            for channel in block {
                let x = f64::from(channel.get(i).copied().unwrap_or(0.0));
                self.sum += x * x;
                self.filled += 1;
            }
            if self.filled >= self.block_samples {
                self.close();
            }
        }
    }

    fn close(&mut self) {
        if self.filled > 0 {
            self.blocks.push(self.sum / self.filled as f64);
        }
        self.sum = 0.0;
        self.filled = 0;
    }

    /// The gated RMS in dB (`-inf` when no block has signal).
    fn finish(mut self) -> f64 {
        self.close();
        let mean = |blocks: &mut dyn Iterator<Item = f64>| {
            let (sum, n) = blocks.fold((0.0, 0usize), |(s, n), b| (s + b, n + 1));
            if n == 0 { 0.0 } else { sum / n as f64 }
        };
        let loud = mean(
            &mut self
                .blocks
                .iter()
                .copied()
                .filter(|&b| b > ACTIVE_ABSOLUTE_GATE),
        );
        let gate = (loud * ACTIVE_RELATIVE_GATE).max(ACTIVE_ABSOLUTE_GATE);
        power_db(mean(&mut self.blocks.iter().copied().filter(|&b| b > gate)))
    }
}

/// Peak minus RMS; 0 for silence (where both are `-inf`).
fn crest(peak_db: f64, rms_db: f64) -> f64 {
    let crest = peak_db - rms_db;
    if crest.is_finite() { crest } else { 0.0 }
}

/// A mean square in dB (`-inf` for 0).
fn power_db(mean_square: f64) -> f64 {
    10.0 * mean_square.log10()
}

/// Band levels from an average power spectrum whose bins read 0 dB for a full-scale sine
/// centred on them (Hann window, as the mastering analyzer gives it).
///
/// By Parseval's theorem, with a Hann window (mean square 3/8) and that scaling, the bins'
/// powers summed over the one-sided spectrum are three times the signal's mean square: a
/// centred sine puts 1 + 1/4 + 1/4 = 1.5 A^2 into three bins, and its mean square is A^2/2.
fn band_energies(bin_hz: f64, level_db: &[f64]) -> Bands {
    let mut power = [0.0f64; 4];
    for (k, db) in level_db.iter().enumerate() {
        let hz = k as f64 * bin_hz;
        let band = BAND_EDGES_HZ.iter().take_while(|&&edge| hz >= edge).count();
        if let Some(p) = power.get_mut(band) {
            *p += 10f64.powf(db / 10.0);
        }
    }
    let [low, low_mid, high_mid, high] = power.map(|p| power_db(p / 3.0));
    Bands {
        low,
        low_mid,
        high_mid,
        high,
    }
}

/// Measurements of files by path, so each file is decoded once. A file changed on disk
/// (another size or modification time) is measured again.
#[derive(Debug, Default)]
pub struct AnalysisCache {
    entries: HashMap<PathBuf, (FileStamp, Measurements)>,
}

/// What identifies a version of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl AnalysisCache {
    /// An empty cache.
    pub fn new() -> Self {
        AnalysisCache::default()
    }

    /// The measurements of `path`, from the cache or measured now; the flag says whether
    /// they were measured now.
    ///
    /// # Errors
    /// As [`measure_file`], or [`AnalysisError::Read`] when the file's metadata cannot be
    /// read.
    pub fn measure(&mut self, path: &Path) -> Result<(&Measurements, bool), AnalysisError> {
        let metadata = std::fs::metadata(path).map_err(|e| AnalysisError::Read {
            path: path.to_path_buf(),
            source: match e.kind() {
                std::io::ErrorKind::NotFound => AudioIoError::NotFound {
                    path: path.to_path_buf(),
                },
                _ => AudioIoError::Io {
                    path: path.to_path_buf(),
                    source: e,
                },
            },
        })?;
        let stamp = FileStamp {
            len: metadata.len(),
            modified: metadata.modified().ok(),
        };
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        match self.entries.entry(key) {
            Entry::Occupied(entry) if entry.get().0 == stamp => Ok((&entry.into_mut().1, false)),
            Entry::Occupied(mut entry) => {
                entry.insert((stamp, measure_file(path)?));
                Ok((&entry.into_mut().1, true))
            }
            Entry::Vacant(entry) => Ok((&entry.insert((stamp, measure_file(path)?)).1, true)),
        }
    }

    /// How many files are cached.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin_of(hz: f64, bin_hz: f64) -> usize {
        (hz / bin_hz).round() as usize
    }

    #[test]
    fn a_centred_sine_lands_in_its_band_at_its_rms_level() {
        // 8192-point spectrum at 48 kHz; a 0.5-amplitude sine centred on the bin of 1 kHz
        // spreads 1, 1/4, 1/4 of its power over three bins (Hann).
        let bin_hz = 48_000.0 / 8192.0;
        let mut level = vec![f64::NEG_INFINITY; 4097];
        let k = bin_of(1000.0, bin_hz);
        let a2 = 0.25f64;
        level[k] = 10.0 * a2.log10();
        level[k - 1] = 10.0 * (a2 / 4.0).log10();
        level[k + 1] = 10.0 * (a2 / 4.0).log10();
        let bands = band_energies(bin_hz, &level);
        let sine_rms_db = 20.0 * (0.5f64 / 2f64.sqrt()).log10();
        assert!((bands.low_mid - sine_rms_db).abs() < 1e-9, "{bands:?}");
        assert_eq!(bands.low, f64::NEG_INFINITY);
        assert_eq!(bands.high_mid, f64::NEG_INFINITY);
        assert_eq!(bands.high, f64::NEG_INFINITY);
    }

    #[test]
    fn band_edges_split_the_spectrum_at_250_2000_and_6000_hz() {
        let bin_hz = 10.0;
        let mut level = vec![f64::NEG_INFINITY; 2401];
        for hz in [240.0, 250.0, 1990.0, 2000.0, 5990.0, 6000.0] {
            level[bin_of(hz, bin_hz)] = 0.0;
        }
        let bands = band_energies(bin_hz, &level);
        let one = power_db(1.0 / 3.0);
        let two = power_db(2.0 / 3.0);
        assert!((bands.low - one).abs() < 1e-12);
        assert!((bands.low_mid - two).abs() < 1e-12);
        assert!((bands.high_mid - two).abs() < 1e-12);
        assert!((bands.high - one).abs() < 1e-12);
    }

    #[test]
    fn the_active_level_leaves_out_silence_and_pauses() {
        // One second at mean square 0.01 (-20 dB), one of silence, one at 1e-5 (-50 dB, a
        // pause more than 20 dB down): the active level is the first second's.
        let rate = 1000;
        let mut level = ActiveLevel::new(rate, 2);
        let loud = vec![0.1f32; 1000];
        let quiet = vec![10f32.powf(-2.5); 1000];
        let silent = vec![0.0f32; 1000];
        for part in [&loud, &silent, &quiet] {
            level.push(&[part.as_slice(), part.as_slice()]);
        }
        assert!((level.finish() + 20.0).abs() < 1e-4);
        let empty = ActiveLevel::new(rate, 1);
        assert_eq!(empty.finish(), f64::NEG_INFINITY);
    }

    #[test]
    fn crest_of_silence_is_zero() {
        assert_eq!(crest(f64::NEG_INFINITY, f64::NEG_INFINITY), 0.0);
        assert_eq!(crest(-3.0, -6.0), 3.0);
    }
}
