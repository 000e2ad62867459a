//! A played file: any format the engine's decoder reads, delivered at its own rate (the
//! session wraps it in a [`super::ResampledSource`] when the device runs at another rate).

use std::path::Path;

use super::error::LiveError;
use super::source::FrameSource;
use crate::io::{AudioInfo, AudioReader};

/// A decoded file as a [`FrameSource`].
#[derive(Debug)]
pub struct FileSource {
    reader: AudioReader,
}

impl FileSource {
    /// Opens a file.
    ///
    /// # Errors
    /// [`LiveError::Audio`] when the file is missing, empty, not audio or damaged.
    pub fn open(path: impl AsRef<Path>) -> Result<FileSource, LiveError> {
        Ok(FileSource {
            reader: AudioReader::open(path)?,
        })
    }

    /// The file's format, rate, channels and length.
    pub fn info(&self) -> &AudioInfo {
        self.reader.info()
    }

    /// The file.
    pub fn path(&self) -> &Path {
        self.reader.path()
    }
}

impl FrameSource for FileSource {
    fn channels(&self) -> usize {
        self.reader.info().channels
    }

    fn sample_rate(&self) -> u32 {
        self.reader.info().sample_rate
    }

    fn read(&mut self, out: &mut [Vec<f32>], max_frames: usize) -> Result<usize, LiveError> {
        Ok(self.reader.read(out, max_frames)?)
    }
}
