//! Analysing an audio file: decode it in blocks (any format the engine reads) and analyse it.

use std::path::{Path, PathBuf};

use mixgraph_engine::io::{AudioInfo, AudioReader};

use super::analyzer::Analyzer;
use super::config::AnalyzerConfig;
use super::measurements::Analysis;
use crate::error::AnalysisError;

/// Frames decoded and analysed at a time.
const BLOCK_FRAMES: usize = 8192;

/// An audio file's format and what was measured on it.
#[derive(Debug, Clone, PartialEq)]
pub struct FileAnalysis {
    /// The file as given.
    pub path: PathBuf,
    /// Sample rate, bit depth, channels, codec and container, from the file.
    pub info: AudioInfo,
    /// The measurements.
    pub analysis: Analysis,
}

/// Analyses a file with the default settings; the clip level follows the file's bit depth
/// (see [`AnalyzerConfig::for_bit_depth`]).
///
/// # Errors
/// [`AnalysisError::Read`] when the file cannot be opened or decoded;
/// [`AnalysisError::UnsupportedFormat`] for channel counts or rates the meter does not take.
pub fn analyze_file(path: impl AsRef<Path>) -> Result<FileAnalysis, AnalysisError> {
    analyze_file_with(path, |info| {
        AnalyzerConfig::for_bit_depth(info.bits_per_sample)
    })
}

/// Analyses a file with the settings `configure` chooses for its format.
///
/// # Errors
/// As [`analyze_file`].
pub fn analyze_file_with(
    path: impl AsRef<Path>,
    configure: impl FnOnce(&AudioInfo) -> AnalyzerConfig,
) -> Result<FileAnalysis, AnalysisError> {
    let path = path.as_ref();
    let mut reader = open(path)?;
    let info = reader.info().clone();
    let config = configure(&info);
    let mut analyzer = Analyzer::with_config(info.sample_rate, info.channels, config)?;
    for_each_block(path, &mut reader, |block| analyzer.push(block))?;
    Ok(FileAnalysis {
        path: path.to_path_buf(),
        info,
        analysis: analyzer.finish(),
    })
}

/// Opens `path` for reading; a failure is an [`AnalysisError::Read`] naming the file.
///
/// # Errors
/// [`AnalysisError::Read`] when the file cannot be opened.
pub fn open(path: &Path) -> Result<AudioReader, AnalysisError> {
    AudioReader::open(path).map_err(|source| AnalysisError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Decodes the rest of `reader` (opened from `path`) in blocks of every channel and hands
/// each block to `push`, in order.
///
/// # Errors
/// [`AnalysisError::Read`] naming `path` when decoding fails, or what `push` returns.
pub fn for_each_block<E: From<AnalysisError>>(
    path: &Path,
    reader: &mut AudioReader,
    mut push: impl FnMut(&[&[f32]]) -> Result<(), E>,
) -> Result<(), E> {
    let channels = reader.info().channels;
    let mut buffers = vec![vec![0.0f32; BLOCK_FRAMES]; channels];
    loop {
        let frames =
            reader
                .read(&mut buffers, BLOCK_FRAMES)
                .map_err(|source| AnalysisError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
        if frames == 0 {
            return Ok(());
        }
        let block: Vec<&[f32]> = buffers
            .iter()
            .map(|b| b.get(..frames).unwrap_or_default())
            .collect();
        push(&block)?;
    }
}

#[cfg(test)]
mod tests {
    use mixgraph_engine::io::{AudioWriter, OutputFormat, SampleFormat};

    use super::*;
    use crate::test_support::{analyse_blocks, sine};

    fn write_wav(path: &Path, channels: &[Vec<f32>], rate: u32, format: SampleFormat) {
        let mut writer =
            AudioWriter::create(path, channels.len(), rate, OutputFormat::new(format)).unwrap();
        writer.write(channels, channels[0].len()).unwrap();
        writer.finish().unwrap();
    }

    #[test]
    fn a_float_wav_analyses_like_its_samples() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mix.wav");
        let left = sine(44_100, 440.0, 0.4, 3.5);
        let right = sine(44_100, 660.0, 0.2, 3.5);
        write_wav(
            &path,
            &[left.clone(), right.clone()],
            44_100,
            SampleFormat::Float32,
        );
        let file = analyze_file(&path).unwrap();
        assert_eq!(file.path, path);
        assert_eq!(
            (file.info.sample_rate, file.info.channels, file.info.lossy),
            (44_100, 2, false)
        );
        // Float samples round-trip exactly, so the readings are those of the samples.
        let direct = analyse_blocks(44_100, &[left, right], 1000);
        assert_eq!(file.analysis.frames, direct.frames);
        assert_eq!(file.analysis.integrated_lufs, direct.integrated_lufs);
        assert_eq!(file.analysis.true_peak_dbtp, direct.true_peak_dbtp);
        assert_eq!(file.analysis.short_term_lufs, direct.short_term_lufs);
        assert_eq!(file.analysis.spectrum, direct.spectrum);
    }

    #[test]
    fn a_16_bit_wav_reports_its_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cd.wav");
        write_wav(
            &path,
            &[sine(48_000, 1000.0, 0.5, 1.0)],
            48_000,
            SampleFormat::Pcm16,
        );
        let file = analyze_file(&path).unwrap();
        assert_eq!(file.info.bits_per_sample, Some(16));
        assert_eq!(file.info.channels, 1);
        assert!((file.analysis.sample_peak_dbfs - 20.0 * 0.5f64.log10()).abs() < 0.01);
    }

    #[test]
    fn unreadable_files_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.wav");
        let err = analyze_file(&missing).unwrap_err();
        assert!(
            matches!(&err, AnalysisError::Read { path, .. } if *path == missing),
            "{err:?}"
        );
        let text = dir.path().join("notes.wav");
        std::fs::write(&text, "not audio at all").unwrap();
        assert!(matches!(
            analyze_file(&text),
            Err(AnalysisError::Read { .. })
        ));
    }
}
