//! Reading audio files of any format symphonia decodes (WAV, FLAC, MP3, Ogg Vorbis, AIFF...),
//! streamed into planar `f32`: memory does not grow with the file's length. WAV files of
//! plain PCM are read directly (symphonia parses the header, the samples are converted in
//! bulk); every other file is decoded by symphonia packet by packet. Both paths give the same
//! values for the same file.

mod packets;
mod pcm;
mod pcm_wav;
mod probe;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use crate::io::error::AudioIoError;
use packets::PacketReader;
use pcm_wav::PcmWavReader;

/// What is known about an audio file once it is opened.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioInfo {
    /// Frames per second.
    pub sample_rate: u32,
    /// Channel count.
    pub channels: usize,
    /// Length in frames, when the header says.
    pub frames: Option<u64>,
    /// The codec's short name, e.g. `pcm_s24le`, `flac`, `mp3`, `vorbis`.
    pub codec: String,
    /// The container's short name, e.g. `wave`, `flac`, `ogg`, `aiff`.
    pub container: String,
    /// Bits per sample of the stored audio, for PCM-like codecs.
    pub bits_per_sample: Option<u32>,
    /// Whether the codec discards information (MP3, Vorbis, AAC, ADPCM...).
    pub lossy: bool,
}

impl AudioInfo {
    /// The length in seconds, when the header says.
    pub fn duration_secs(&self) -> Option<f64> {
        self.frames.map(|f| self.secs(f))
    }

    /// A frame position in seconds.
    fn secs(&self, frames: u64) -> f64 {
        frames as f64 / f64::from(self.sample_rate.max(1))
    }

    /// The error of a file whose audio stops after `frames` frames, short of its length.
    fn truncated(&self, path: &Path, frames: u64) -> AudioIoError {
        AudioIoError::Truncated {
            path: path.to_path_buf(),
            position_secs: self.secs(frames),
            expected_secs: self.duration_secs(),
        }
    }
}

/// A streaming audio file reader delivering planar `f32` frames.
pub struct AudioReader {
    path: PathBuf,
    decoding: Decoding,
}

/// How a file's samples are decoded.
enum Decoding {
    /// A WAV file of PCM, converted directly.
    Pcm(PcmWavReader),
    /// Any other file, through symphonia's decoders.
    Packets(PacketReader),
}

impl std::fmt::Debug for AudioReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioReader")
            .field("path", &self.path)
            .field("info", self.info())
            .finish_non_exhaustive()
    }
}

impl AudioReader {
    /// Opens a file and identifies its format. A damaged file fails here rather than halfway
    /// through a render: a PCM WAV file shorter than its header says is reported truncated,
    /// and other formats decode their first packet.
    ///
    /// # Errors
    /// [`AudioIoError::NotFound`], [`AudioIoError::Empty`], [`AudioIoError::NotAudio`],
    /// [`AudioIoError::BadHeader`], [`AudioIoError::Unsupported`],
    /// [`AudioIoError::Truncated`], [`AudioIoError::Decode`] or [`AudioIoError::Io`], each
    /// naming the file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AudioIoError> {
        let probed = probe::probe(path.as_ref())?;
        let decoding = match PcmWavReader::open(probed)? {
            Ok(pcm) => Decoding::Pcm(pcm),
            Err(probed) => Decoding::Packets(PacketReader::open(probed)?),
        };
        AudioReader::checked(path.as_ref(), decoding)
    }

    /// Opens a file decoded by symphonia whatever its format (the reference the direct PCM
    /// path is tested against).
    #[cfg(test)]
    fn open_with_symphonia(path: impl AsRef<Path>) -> Result<Self, AudioIoError> {
        let probed = probe::probe(path.as_ref())?;
        AudioReader::checked(
            path.as_ref(),
            Decoding::Packets(PacketReader::open(probed)?),
        )
    }

    /// Whether the samples are converted directly rather than decoded by symphonia.
    #[cfg(test)]
    fn is_direct(&self) -> bool {
        matches!(self.decoding, Decoding::Pcm(_))
    }

    /// A reader once its channel count is known.
    fn checked(path: &Path, decoding: Decoding) -> Result<Self, AudioIoError> {
        let reader = AudioReader {
            path: path.to_path_buf(),
            decoding,
        };
        if reader.info().channels == 0 {
            return Err(AudioIoError::BadHeader {
                format: reader.info().container.clone(),
                path: reader.path,
                reason: "no channel count".to_string(),
            });
        }
        Ok(reader)
    }

    /// The file's format, rate, channels and length.
    pub fn info(&self) -> &AudioInfo {
        match &self.decoding {
            Decoding::Pcm(r) => &r.info,
            Decoding::Packets(r) => &r.info,
        }
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Frames delivered by [`AudioReader::read`] so far.
    pub fn position(&self) -> u64 {
        match &self.decoding {
            Decoding::Pcm(r) => r.position(),
            Decoding::Packets(r) => r.position(),
        }
    }

    /// Reads up to `max_frames` frames into `out[ch][..n]` (planar, one buffer per channel,
    /// each at least `max_frames` long; shorter buffers lower the count) and returns `n`.
    /// Returns 0 only at the end of the stream (or when asked for 0 frames). Allocates
    /// nothing once the first packets have been decoded.
    ///
    /// # Errors
    /// [`AudioIoError::Buffers`] when `out` has fewer buffers than the file has channels;
    /// [`AudioIoError::Truncated`] or [`AudioIoError::Decode`] (with the position in
    /// seconds) when the stream is damaged.
    pub fn read(&mut self, out: &mut [Vec<f32>], max_frames: usize) -> Result<usize, AudioIoError> {
        let channels = self.info().channels;
        if out.len() < channels {
            return Err(AudioIoError::Buffers {
                path: self.path.clone(),
                expected: channels,
                found: out.len(),
            });
        }
        let out = &mut out[..channels];
        let want = out.iter().map(Vec::len).fold(max_frames, usize::min);
        match &mut self.decoding {
            Decoding::Pcm(r) => r.read(out, want),
            Decoding::Packets(r) => r.read(out, want),
        }
    }
}
