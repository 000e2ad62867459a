//! An [`AudioReader`] that delivers its frames at another sample rate.

use std::path::Path;

use crate::io::decode::{AudioInfo, AudioReader};
use crate::io::error::AudioIoError;
use crate::io::resample::{Resampler, output_len};

/// Frames read from the file per refill of the resampler.
const READ_CHUNK: usize = 4096;

/// Reads a file and converts it to a target rate on the fly (a plain pass-through when the
/// file already has that rate). Memory stays constant in the file's length.
#[derive(Debug)]
pub struct ResamplingReader {
    reader: AudioReader,
    rate: u32,
    /// Present when the file's rate differs from the target.
    resampler: Option<Resampler>,
    scratch: Vec<Vec<f32>>,
}

impl ResamplingReader {
    /// Opens a file to be read at `rate` Hz.
    ///
    /// # Errors
    /// Any error of [`AudioReader::open`], or [`AudioIoError::Resampler`].
    pub fn open(path: impl AsRef<Path>, rate: u32) -> Result<Self, AudioIoError> {
        ResamplingReader::new(AudioReader::open(path)?, rate)
    }

    /// Wraps an open reader to deliver its frames at `rate` Hz.
    ///
    /// # Errors
    /// [`AudioIoError::Resampler`] for a zero rate.
    pub fn new(reader: AudioReader, rate: u32) -> Result<Self, AudioIoError> {
        let info = reader.info();
        let resampler = if info.sample_rate == rate {
            None
        } else {
            let context = format!("`{}`", reader.path().display());
            Some(Resampler::new(
                info.sample_rate,
                rate,
                info.channels,
                context,
            )?)
        };
        let scratch = if resampler.is_some() {
            vec![vec![0.0; READ_CHUNK]; info.channels]
        } else {
            Vec::new()
        };
        Ok(ResamplingReader {
            reader,
            rate,
            resampler,
            scratch,
        })
    }

    /// The file's own format, rate, channels and length.
    pub fn info(&self) -> &AudioInfo {
        self.reader.info()
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        self.reader.path()
    }

    /// The rate frames are delivered at.
    pub fn sample_rate(&self) -> u32 {
        self.rate
    }

    /// Channel count.
    pub fn channels(&self) -> usize {
        self.reader.info().channels
    }

    /// Whether the file's rate differs from the delivered rate.
    pub fn is_resampled(&self) -> bool {
        self.resampler.is_some()
    }

    /// The length in delivered frames, when the file's header says.
    pub fn frames(&self) -> Option<u64> {
        let info = self.reader.info();
        info.frames
            .map(|f| output_len(f, info.sample_rate, self.rate))
    }

    /// Reads up to `max_frames` frames at the target rate into `out[ch][..n]`, like
    /// [`AudioReader::read`]; returns 0 only at the end.
    ///
    /// # Errors
    /// As [`AudioReader::read`].
    pub fn read(&mut self, out: &mut [Vec<f32>], max_frames: usize) -> Result<usize, AudioIoError> {
        let Some(resampler) = &mut self.resampler else {
            return self.reader.read(out, max_frames);
        };
        let channels = resampler.channels();
        if out.len() < channels {
            return Err(AudioIoError::Buffers {
                path: self.reader.path().to_path_buf(),
                expected: channels,
                found: out.len(),
            });
        }
        let want = out[..channels]
            .iter()
            .map(Vec::len)
            .fold(max_frames, usize::min);
        while resampler.available() < want && !resampler.is_finished() {
            let n = self.reader.read(&mut self.scratch, READ_CHUNK)?;
            if n == 0 {
                resampler.finish()?;
            } else {
                resampler.push(&self.scratch, n)?;
            }
        }
        Ok(resampler.pop(out, want))
    }
}
