//! Settings of an analysis: silence and clipping thresholds, window sizes.

/// Settings of an [`Analyzer`](super::Analyzer). `Default` gives the values an engineer expects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalyzerConfig {
    /// A sample is silent when its magnitude is at or below this level, in dBFS (default -60).
    /// Used for head and tail silence, and to skip silent windows in the phase correlation.
    pub silence_threshold_dbfs: f64,
    /// A sample counts as clipped when its magnitude reaches this linear level (default 0.999).
    /// Use [`AnalyzerConfig::for_bit_depth`] to lower it to the largest code of an integer format.
    pub clip_level: f32,
    /// Consecutive clipped samples on one channel needed to count a clipped run (default 3).
    pub clip_min_run: usize,
    /// Length of the spectrum's FFT in frames (default 8192; a power of two from 256 to 65536).
    pub spectrum_size: usize,
    /// Whether to measure the average spectrum (default true); without it the analysis's
    /// spectrum is empty, and the analysis a little faster.
    pub spectrum: bool,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        Self {
            silence_threshold_dbfs: -60.0,
            clip_level: 0.999,
            clip_min_run: 3,
            spectrum_size: 8192,
            spectrum: true,
        }
    }
}

impl AnalyzerConfig {
    /// The default settings, with the clip level lowered to the largest positive code of a
    /// `bits`-bit integer format when that is below 0.999 (8-bit: 127/128), so that a file
    /// clipped at its own full scale is detected. Float formats (`None`) keep 0.999.
    pub fn for_bit_depth(bits_per_sample: Option<u32>) -> Self {
        let mut config = Self::default();
        if let Some(bits) = bits_per_sample.filter(|b| (2..=32).contains(b)) {
            let max_code = 1.0 - 2f64.powi(1 - bits as i32);
            config.clip_level = config.clip_level.min(max_code as f32);
        }
        config
    }

    /// The silence threshold as a linear amplitude.
    pub(crate) fn silence_amplitude(&self) -> f32 {
        10f64.powf(self.silence_threshold_dbfs / 20.0) as f32
    }

    /// The spectrum size, forced to a power of two within 256..=65536.
    pub(crate) fn spectrum_frames(&self) -> usize {
        self.spectrum_size
            .clamp(256, 65536)
            .next_power_of_two()
            .min(65536)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_level_follows_the_largest_integer_code() {
        assert_eq!(AnalyzerConfig::for_bit_depth(None).clip_level, 0.999);
        // 16 and 24 bit: the largest code (1 - 2^-15, 1 - 2^-23) is above 0.999.
        assert_eq!(AnalyzerConfig::for_bit_depth(Some(16)).clip_level, 0.999);
        assert_eq!(AnalyzerConfig::for_bit_depth(Some(24)).clip_level, 0.999);
        assert_eq!(
            AnalyzerConfig::for_bit_depth(Some(8)).clip_level,
            127.0 / 128.0
        );
    }

    #[test]
    fn silence_amplitude_is_the_threshold_in_linear_terms() {
        let config = AnalyzerConfig::default();
        assert!((config.silence_amplitude() - 0.001).abs() < 1e-9);
    }
}
