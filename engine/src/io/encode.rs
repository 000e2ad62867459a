//! Writing WAV deliverables: conversion from the session rate to the delivery rate,
//! dithered quantization to 16 or 24 bits (or float unchanged), and an atomic write (a
//! temporary file renamed onto the target only by [`AudioWriter::finish`]).

use std::path::{Path, PathBuf};

use crate::io::atomic::AtomicFile;
use crate::io::dither::{DEFAULT_SEED, Dither, Quantizer};
use crate::io::error::AudioIoError;
use crate::io::interleave::interleave;
use crate::io::resample::Resampler;
use crate::io::wav_stream::WavStream;

/// The sample format of a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleFormat {
    /// 16-bit integer PCM (CD).
    Pcm16,
    /// 24-bit integer PCM.
    Pcm24,
    /// 32-bit IEEE float.
    Float32,
}

impl SampleFormat {
    /// Bits per sample.
    pub fn bits(self) -> u32 {
        match self {
            SampleFormat::Pcm16 => 16,
            SampleFormat::Pcm24 => 24,
            SampleFormat::Float32 => 32,
        }
    }

    /// The name used in reports and on the command line, e.g. `pcm24`.
    pub fn name(self) -> &'static str {
        match self {
            SampleFormat::Pcm16 => "pcm16",
            SampleFormat::Pcm24 => "pcm24",
            SampleFormat::Float32 => "float32",
        }
    }

    /// The dither a reduction to this format needs: TPDF for 16 bits, none otherwise.
    pub fn default_dither(self) -> Dither {
        match self {
            SampleFormat::Pcm16 => Dither::Tpdf,
            SampleFormat::Pcm24 | SampleFormat::Float32 => Dither::None,
        }
    }
}

/// How an output file is written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutputFormat {
    /// The file's sample rate; `None` writes at the session rate.
    pub sample_rate: Option<u32>,
    /// The sample format.
    pub format: SampleFormat,
    /// The dither applied when quantizing (ignored for float).
    pub dither: Dither,
}

impl OutputFormat {
    /// A format at the session rate with the dither it needs (TPDF for 16 bits, none otherwise).
    pub fn new(format: SampleFormat) -> Self {
        OutputFormat {
            sample_rate: None,
            format,
            dither: format.default_dither(),
        }
    }

    /// The same format at another sample rate.
    #[must_use]
    pub fn with_sample_rate(mut self, rate: u32) -> Self {
        self.sample_rate = Some(rate);
        self
    }

    /// The same format with another dither.
    #[must_use]
    pub fn with_dither(mut self, dither: Dither) -> Self {
        self.dither = dither;
        self
    }
}

impl Default for OutputFormat {
    /// 24-bit at the session rate, undithered.
    fn default() -> Self {
        OutputFormat::new(SampleFormat::Pcm24)
    }
}

/// What was written, returned by [`AudioWriter::finish`].
#[derive(Debug, Clone, PartialEq)]
pub struct WriteSummary {
    /// The file.
    pub path: PathBuf,
    /// Frames written.
    pub frames: u64,
    /// The file's sample rate.
    pub sample_rate: u32,
    /// Channel count.
    pub channels: usize,
    /// Sample format.
    pub format: SampleFormat,
    /// Dither used (always `None` for float).
    pub dither: Dither,
    /// The largest absolute sample value written, full scale 1.0.
    pub peak: f32,
    /// Non-finite input samples written as silence.
    pub faults: u64,
}

impl WriteSummary {
    /// The sample peak in dBFS (`-inf` for silence).
    pub fn peak_dbfs(&self) -> f64 {
        20.0 * f64::from(self.peak).log10()
    }

    /// The length in seconds.
    pub fn duration_secs(&self) -> f64 {
        self.frames as f64 / f64::from(self.sample_rate.max(1))
    }
}

/// Frames converted per pass when the output rate differs from the session rate.
const POP_CHUNK: usize = 4096;

/// Samples (frames times channels) encoded per pass: bounds the scratch buffers whatever the
/// channel count.
const ENCODE_SAMPLES: usize = 1 << 14;

/// A WAV file being written from planar `f32` at the session rate.
pub struct AudioWriter {
    target: PathBuf,
    /// The temporary file; taken by [`AudioWriter::finish`].
    file: Option<AtomicFile>,
    wav: Option<WavStream>,
    /// Frames encoded per pass.
    pass: usize,
    /// One pass's integer codes (or float bits), one vector per channel.
    codes: Vec<Vec<i32>>,
    /// One pass's encoded bytes.
    bytes: Vec<u8>,
    /// One pass of silence, for channels the caller does not give.
    silence: Vec<f32>,
    format: OutputFormat,
    channels: usize,
    rate: u32,
    resampler: Option<Resampler>,
    /// When resampling: the sanitized input (non-finite values replaced), and the converted
    /// output.
    stage: Vec<Vec<f32>>,
    converted: Vec<Vec<f32>>,
    quantizer: Option<Quantizer>,
    frames: u64,
    peak: f32,
    faults: u64,
}

impl std::fmt::Debug for AudioWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioWriter")
            .field("target", &self.target)
            .field("format", &self.format)
            .field("channels", &self.channels)
            .field("rate", &self.rate)
            .finish_non_exhaustive()
    }
}

impl AudioWriter {
    /// Starts writing `path`: `channels` channels arriving at `session_rate`, written in
    /// `format`. Nothing appears at `path` until [`AudioWriter::finish`].
    ///
    /// # Errors
    /// [`AudioIoError::InvalidOutput`] for 0 or more than 65535 channels or a zero rate;
    /// [`AudioIoError::Io`] when the folder cannot be written; [`AudioIoError::Resampler`].
    pub fn create(
        path: impl AsRef<Path>,
        channels: usize,
        session_rate: u32,
        format: OutputFormat,
    ) -> Result<Self, AudioIoError> {
        let path = path.as_ref();
        let invalid = |reason: String| AudioIoError::InvalidOutput {
            path: path.to_path_buf(),
            reason,
        };
        let channel_count = u16::try_from(channels).ok().filter(|&c| c > 0);
        let Some(channel_count) = channel_count else {
            return Err(invalid(format!(
                "a WAV file holds 1 to 65535 channels, not {channels}"
            )));
        };
        let rate = format.sample_rate.unwrap_or(session_rate);
        if rate == 0 || session_rate == 0 {
            return Err(invalid("the sample rate must be positive".to_string()));
        }
        let resampler = if rate == session_rate {
            None
        } else {
            Some(Resampler::new(
                session_rate,
                rate,
                channels,
                format!("`{}`", path.display()),
            )?)
        };
        let (quantizer, spec_format, dither) = match format.format {
            SampleFormat::Float32 => (None, hound::SampleFormat::Float, Dither::None),
            f => (
                Some(Quantizer::new(
                    f.bits(),
                    format.dither,
                    channels,
                    DEFAULT_SEED,
                )),
                hound::SampleFormat::Int,
                format.dither,
            ),
        };
        let spec = hound::WavSpec {
            channels: channel_count,
            sample_rate: rate,
            bits_per_sample: format.format.bits() as u16,
            sample_format: spec_format,
        };
        let (file, handle) = AtomicFile::create(path)?;
        let wav = WavStream::create(handle, spec).map_err(|source| AudioIoError::Encode {
            path: path.to_path_buf(),
            source,
        })?;
        let pass = (ENCODE_SAMPLES / channels).max(1);
        let converted = if resampler.is_some() {
            vec![vec![0.0; POP_CHUNK]; channels]
        } else {
            Vec::new()
        };
        Ok(AudioWriter {
            target: path.to_path_buf(),
            file: Some(file),
            wav: Some(wav),
            pass,
            codes: vec![vec![0; pass]; channels],
            bytes: vec![0; pass * channels * format.format.bits() as usize / 8],
            silence: vec![0.0; pass],
            format: OutputFormat { dither, ..format },
            channels,
            rate,
            stage: vec![Vec::new(); if resampler.is_some() { channels } else { 0 }],
            resampler,
            converted,
            quantizer,
            frames: 0,
            peak: 0.0,
            faults: 0,
        })
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.target
    }

    /// The file's sample rate.
    pub fn sample_rate(&self) -> u32 {
        self.rate
    }

    /// Channel count.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Frames written to the file so far (at the file's rate).
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Writes `frames` frames of planar audio at the session rate (`input[ch][..frames]`;
    /// missing channels are silence). Non-finite samples are written as silence and counted.
    ///
    /// # Errors
    /// [`AudioIoError::Encode`] when the disk refuses the write.
    pub fn write<S: AsRef<[f32]>>(
        &mut self,
        input: &[S],
        frames: usize,
    ) -> Result<(), AudioIoError> {
        let frames = input
            .iter()
            .take(self.channels)
            .map(|c| c.as_ref().len())
            .fold(frames, usize::min);
        let Some(mut resampler) = self.resampler.take() else {
            return self.encode(input, frames);
        };
        // The resampler must not see a non-finite value: replace (and count) them first.
        for (ch, stage) in self.stage.iter_mut().enumerate() {
            stage.clear();
            match input.get(ch) {
                Some(src) => {
                    stage.extend(src.as_ref()[..frames].iter().map(|&x| {
                        if x.is_finite() {
                            x
                        } else {
                            self.faults += 1;
                            0.0
                        }
                    }));
                }
                None => stage.resize(frames, 0.0),
            }
        }
        let result = resampler
            .push(&self.stage, frames)
            .and_then(|()| self.drain(&mut resampler));
        self.resampler = Some(resampler);
        result
    }

    /// Completes the file (flushing the resampler, writing the header), syncs it to disk
    /// and renames it onto the target.
    ///
    /// # Errors
    /// [`AudioIoError::Encode`] or [`AudioIoError::Io`]; the temporary file is then removed.
    pub fn finish(self) -> Result<WriteSummary, AudioIoError> {
        self.finalize()?.commit()
    }

    /// Completes the file like [`AudioWriter::finish`] but leaves it under its temporary
    /// name, so several outputs can all be completed before any of them appears.
    ///
    /// # Errors
    /// [`AudioIoError::Encode`]; the temporary file is then removed.
    pub fn finalize(mut self) -> Result<PendingFile, AudioIoError> {
        if let Some(mut resampler) = self.resampler.take() {
            resampler.finish()?;
            self.drain(&mut resampler)?;
        }
        if let Some(wav) = self.wav.take() {
            wav.finish().map_err(|source| AudioIoError::Io {
                path: self.target.clone(),
                source,
            })?;
        }
        let summary = WriteSummary {
            path: self.target.clone(),
            frames: self.frames,
            sample_rate: self.rate,
            channels: self.channels,
            format: self.format.format,
            dither: self.format.dither,
            peak: self.peak,
            faults: self.faults,
        };
        Ok(PendingFile {
            summary,
            file: self.file.take(),
        })
    }

    /// Encodes every frame the resampler has ready.
    fn drain(&mut self, resampler: &mut Resampler) -> Result<(), AudioIoError> {
        let mut converted = std::mem::take(&mut self.converted);
        let mut result = Ok(());
        loop {
            let n = resampler.pop(&mut converted, POP_CHUNK);
            if n == 0 {
                break;
            }
            result = self.encode(&converted, n);
            if result.is_err() {
                break;
            }
        }
        self.converted = converted;
        result
    }

    /// Quantizes and writes `frames` frames of `planar` (missing channels are silence;
    /// non-finite samples are written as silence and counted), a pass at a time.
    fn encode<S: AsRef<[f32]>>(&mut self, planar: &[S], frames: usize) -> Result<(), AudioIoError> {
        let total = self.frames + frames as u64;
        if !fits_in_wav(total, self.channels, self.format.format) {
            return Err(AudioIoError::InvalidOutput {
                path: self.target.clone(),
                reason: format!(
                    "{total} frames of {} channel(s) in {} exceed the 4 GiB limit of a WAV file; \
                     write fewer channels, a lower rate or a smaller sample format",
                    self.channels,
                    self.format.format.name()
                ),
            });
        }
        let Some(wav) = self.wav.as_mut() else {
            return Ok(());
        };
        let width = self.format.format.bits() as usize / 8;
        let mut start = 0;
        while start < frames {
            let n = self.pass.min(frames - start);
            for (ch, codes) in self.codes.iter_mut().enumerate() {
                let input = planar
                    .get(ch)
                    .and_then(|c| c.as_ref().get(start..start + n))
                    .unwrap_or(&self.silence[..n]);
                let (peak, faults) = scan(input);
                self.peak = self.peak.max(peak);
                self.faults += faults;
                match self.quantizer.as_mut() {
                    Some(q) => q.quantize_codes(ch, input, &mut codes[..n]),
                    None => float_codes(input, &mut codes[..n]),
                }
            }
            let bytes = &mut self.bytes[..n * self.channels * width];
            interleave(&self.codes, n, width, bytes);
            wav.write(bytes).map_err(|source| AudioIoError::Io {
                path: self.target.clone(),
                source,
            })?;
            start += n;
        }
        // An integer file cannot hold more than full scale: its peak is what the file holds.
        if self.quantizer.is_some() {
            self.peak = self.peak.min(1.0);
        }
        self.frames += frames as u64;
        Ok(())
    }
}

/// The largest absolute finite value of `samples` and the count of non-finite ones, in one
/// pass the compiler vectorizes: the magnitude of a float is its bits without the sign, and
/// magnitudes order as their bits do, so integer maxima and comparisons do it all.
fn scan(samples: &[f32]) -> (f32, u64) {
    // Magnitudes are below 2^31, so signed integers hold them (baseline x86_64 compares
    // signed integers in vectors, not unsigned ones).
    const INFINITY_BITS: i32 = 0x7f80_0000;
    let mut peak = 0i32;
    let mut faults = 0u32;
    for &x in samples {
        let magnitude = (x.to_bits() & 0x7fff_ffff) as i32;
        let finite = magnitude < INFINITY_BITS;
        peak = peak.max(if finite { magnitude } else { 0 });
        faults += u32::from(!finite);
    }
    (f32::from_bits(peak as u32), u64::from(faults))
}

/// The bits of each sample as a float code, non-finite samples as silence.
fn float_codes(samples: &[f32], codes: &mut [i32]) {
    for (c, &x) in codes.iter_mut().zip(samples) {
        let x = if x.is_finite() { x } else { 0.0 };
        *c = x.to_bits() as i32;
    }
}

/// Whether `frames` frames fit in a WAV file, whose sizes are 32-bit byte counts (room is
/// left for the largest header hound writes).
fn fits_in_wav(frames: u64, channels: usize, format: SampleFormat) -> bool {
    const MAX_DATA_BYTES: u64 = u32::MAX as u64 - 128;
    let bytes = u128::from(frames) * channels as u128 * u128::from(format.bits() / 8);
    bytes <= u128::from(MAX_DATA_BYTES)
}

/// A completed file under its temporary name; [`PendingFile::commit`] renames it onto its
/// target, dropping it removes it.
#[derive(Debug)]
pub struct PendingFile {
    summary: WriteSummary,
    file: Option<AtomicFile>,
}

impl PendingFile {
    /// What was written.
    pub fn summary(&self) -> &WriteSummary {
        &self.summary
    }

    /// Syncs the file to disk and renames it onto its target.
    ///
    /// # Errors
    /// [`AudioIoError::Io`]; the temporary file is then removed.
    pub fn commit(mut self) -> Result<WriteSummary, AudioIoError> {
        if let Some(file) = self.file.take() {
            file.commit()?;
        }
        Ok(self.summary)
    }
}

impl Drop for AudioWriter {
    fn drop(&mut self) {
        // Without finish(), close the file, then the AtomicFile removes it.
        self.wav.take();
        self.file.take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_finds_the_largest_magnitude_and_counts_non_finite_samples() {
        let samples = [
            0.25,
            -0.75,
            f32::NAN,
            0.5,
            f32::INFINITY,
            -f32::NAN,
            f32::NEG_INFINITY,
            -0.0,
        ];
        assert_eq!(scan(&samples), (0.75, 4));
        // Against a plain fold over many values, subnormals and huge ones included.
        let values: Vec<f32> = (0..10_000u32)
            .map(|i| f32::from_bits(i.wrapping_mul(0x9e37_79b9)))
            .collect();
        let finite = values.iter().filter(|x| x.is_finite());
        let peak = finite.clone().fold(0.0f32, |m, x| m.max(x.abs()));
        let faults = (values.len() - finite.count()) as u64;
        assert_eq!(scan(&values), (peak, faults));
        assert_eq!(scan(&[]), (0.0, 0));
    }

    #[test]
    fn the_wav_size_limit_is_4_gib_of_sample_data() {
        // 4 GiB minus the header, at 2 bytes per sample: just over 2^31 samples.
        let limit_16 = (u64::from(u32::MAX) - 128) / 2;
        assert!(fits_in_wav(limit_16, 1, SampleFormat::Pcm16));
        assert!(!fits_in_wav(limit_16 + 1, 1, SampleFormat::Pcm16));
        assert!(!fits_in_wav(limit_16 / 2 + 1, 2, SampleFormat::Pcm16));
        // An hour of 6-channel 96 kHz float is 8.3 GB: refused rather than corrupted.
        assert!(!fits_in_wav(3600 * 96_000, 6, SampleFormat::Float32));
        assert!(fits_in_wav(3600 * 48_000, 2, SampleFormat::Pcm24));
        assert!(fits_in_wav(u64::MAX, 0, SampleFormat::Pcm24));
    }
}
