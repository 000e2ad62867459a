//! Album loudness: the gating blocks of every track gated together, and each track against it.

use super::gating::gated_loudness;
use super::measurements::Analysis;
use crate::error::AnalysisError;

/// Loudness of an album as a whole and of each of its tracks.
#[derive(Debug, Clone, PartialEq)]
pub struct AlbumAnalysis {
    /// Integrated loudness of all tracks together (their gating blocks pooled), in LUFS.
    pub integrated_lufs: f64,
    /// Highest true peak of any track, in dBTP.
    pub true_peak_dbtp: f64,
    /// One line per track, in the order given.
    pub tracks: Vec<AlbumTrack>,
}

/// One track's line in an album analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct AlbumTrack {
    /// The track's own integrated loudness, in LUFS.
    pub integrated_lufs: f64,
    /// The track's loudness relative to the album's, in LU (positive: louder than the album).
    pub relative_to_album_lu: f64,
    /// The track's true peak, in dBTP.
    pub true_peak_dbtp: f64,
    /// The track's loudness range, in LU.
    pub loudness_range_lu: f64,
    /// The track's length, in seconds.
    pub duration_s: f64,
}

impl AlbumAnalysis {
    /// The album made of these track analyses, in order.
    ///
    /// # Errors
    /// [`AnalysisError::EmptyAlbum`] when `tracks` is empty.
    pub fn from_tracks(tracks: &[&Analysis]) -> Result<Self, AnalysisError> {
        if tracks.is_empty() {
            return Err(AnalysisError::EmptyAlbum);
        }
        let integrated_lufs = gated_loudness(tracks.iter().flat_map(|t| t.gating_energies.iter()));
        Ok(Self {
            integrated_lufs,
            true_peak_dbtp: tracks
                .iter()
                .map(|t| t.true_peak_dbtp)
                .fold(f64::NEG_INFINITY, f64::max),
            tracks: tracks
                .iter()
                .map(|t| AlbumTrack {
                    integrated_lufs: t.integrated_lufs,
                    relative_to_album_lu: t.integrated_lufs - integrated_lufs,
                    true_peak_dbtp: t.true_peak_dbtp,
                    loudness_range_lu: t.loudness_range_lu,
                    duration_s: t.duration_s(),
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use ebur128::{EbuR128, Mode};

    use super::*;
    use crate::analysis::Analyzer;

    /// A track of `seconds` of a tone whose level steps through `levels` (linear), one level
    /// per second.
    fn track(rate: u32, levels: &[f32], hz: f64) -> Vec<f32> {
        let per_level = rate as usize;
        (0..per_level * levels.len())
            .map(|i| {
                let level = levels[i / per_level];
                level * (std::f64::consts::TAU * hz * i as f64 / f64::from(rate)).sin() as f32
            })
            .collect()
    }

    #[test]
    fn album_loudness_equals_ebur128_over_several_meters() {
        let tracks = [
            (44_100, track(44_100, &[0.5, 0.1, 0.3, 0.3, 0.02], 440.0)),
            (48_000, track(48_000, &[0.05, 0.05, 0.4, 0.01], 3000.0)),
            (
                44_100,
                track(44_100, &[0.2, 0.0, 0.0, 0.2, 0.25, 0.1], 100.0),
            ),
        ];
        let mut analyses = Vec::new();
        let mut meters = Vec::new();
        for (rate, samples) in &tracks {
            let mut analyzer = Analyzer::new(*rate, 1).unwrap();
            let mut meter = EbuR128::new(1, *rate, Mode::I).unwrap();
            for block in samples.chunks(3000) {
                analyzer.push(&[block]).unwrap();
                meter.add_frames_f32(block).unwrap();
            }
            analyses.push(analyzer.finish());
            meters.push(meter);
        }
        let refs: Vec<&Analysis> = analyses.iter().collect();
        let album = AlbumAnalysis::from_tracks(&refs).unwrap();
        let expected = EbuR128::loudness_global_multiple(meters.iter()).unwrap();
        assert!(
            (album.integrated_lufs - expected).abs() < 1e-9,
            "{} vs {expected}",
            album.integrated_lufs
        );
        for (line, meter) in album.tracks.iter().zip(&meters) {
            // Same blocks; the meters' ring buffers differ in size, so sums round differently.
            assert!((line.integrated_lufs - meter.loudness_global().unwrap()).abs() < 1e-9);
            assert!((line.relative_to_album_lu - (line.integrated_lufs - expected)).abs() < 1e-9);
        }
        let loudest_peak = analyses
            .iter()
            .map(|a| a.true_peak_dbtp)
            .fold(f64::MIN, f64::max);
        assert_eq!(album.true_peak_dbtp, loudest_peak);
    }

    #[test]
    fn an_album_needs_a_track() {
        assert!(matches!(
            AlbumAnalysis::from_tracks(&[]),
            Err(AnalysisError::EmptyAlbum)
        ));
    }
}
