//! Decoding through symphonia, packet by packet, for every format the direct PCM path does not
//! take (FLAC, MP3, Ogg Vorbis, AIFF, unusual WAV variants...).

use std::io::ErrorKind;
use std::path::PathBuf;

use symphonia::core::codecs::audio::AudioDecoder;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatReader;

use super::AudioInfo;
use super::probe::{Probed, shielded};
use crate::io::error::AudioIoError;

/// A symphonia format reader and decoder, delivering planar `f32` packet by packet.
pub(super) struct PacketReader {
    pub path: PathBuf,
    pub info: AudioInfo,
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    /// The last decoded packet, one vector per channel, reused from packet to packet.
    pending: Vec<Vec<f32>>,
    pending_pos: usize,
    /// Frames decoded so far (delivered or pending).
    decoded: u64,
    ended: bool,
    /// Set by a stream error: the decoder's state is unknown, nothing more is read.
    failed: bool,
}

impl PacketReader {
    /// Decodes the first packet of a probed file, so a damaged stream fails here rather than
    /// halfway through a render; it also tells the channel count of formats whose header
    /// does not (MP3).
    pub fn open(probed: Probed) -> Result<PacketReader, AudioIoError> {
        let mut reader = PacketReader {
            path: probed.path,
            info: probed.info,
            format: probed.format,
            decoder: probed.decoder,
            track_id: probed.track_id,
            pending: Vec::new(),
            pending_pos: 0,
            decoded: 0,
            ended: false,
            failed: false,
        };
        if !reader.decode_next()? {
            reader.ended = true;
        }
        Ok(reader)
    }

    /// Frames delivered so far.
    pub fn position(&self) -> u64 {
        self.decoded - self.pending_len() as u64
    }

    /// Reads up to `want` frames into `out[ch][..n]` (`out` holds one buffer per channel,
    /// each at least `want` long) and returns `n`, 0 only at the end.
    pub fn read(&mut self, out: &mut [Vec<f32>], want: usize) -> Result<usize, AudioIoError> {
        let mut done = 0;
        while done < want {
            let available = self.pending_len();
            if available == 0 {
                if self.ended || !self.decode_next()? {
                    self.ended = true;
                    break;
                }
                continue;
            }
            let n = available.min(want - done);
            for (dst, src) in out.iter_mut().zip(&self.pending) {
                dst[done..done + n].copy_from_slice(&src[self.pending_pos..self.pending_pos + n]);
            }
            self.pending_pos += n;
            done += n;
        }
        Ok(done)
    }

    fn pending_len(&self) -> usize {
        self.pending
            .first()
            .map_or(0, |p| p.len() - self.pending_pos.min(p.len()))
    }

    fn position_secs(&self) -> f64 {
        self.decoded as f64 / f64::from(self.info.sample_rate)
    }

    /// Decodes the next packet of the track into `pending`. Returns false at the end.
    fn decode_next(&mut self) -> Result<bool, AudioIoError> {
        if self.failed {
            return Err(AudioIoError::Decode {
                path: self.path.clone(),
                position_secs: self.position_secs(),
                reason: "decoding stopped at an earlier error".to_string(),
            });
        }
        let result = self.decode_packet();
        self.failed = result.is_err();
        result
    }

    fn decode_packet(&mut self) -> Result<bool, AudioIoError> {
        loop {
            let packet = match shielded(|| self.format.next_packet()) {
                Ok(Some(packet)) => packet,
                Ok(None) => return self.check_complete().map(|()| false),
                Err(e) => return Err(self.stream_error(e)),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            let decoder = &mut self.decoder;
            if let Err(e) = shielded(|| decoder.decode(&packet).map(|_| ())) {
                return Err(self.stream_error(e));
            }
            let decoded = self.decoder.last_decoded();
            let frames = decoded.frames();
            if frames == 0 {
                continue;
            }
            let planes = decoded.num_planes();
            if self.info.channels == 0 {
                self.info.channels = planes;
            }
            if planes != self.info.channels {
                let reason = format!(
                    "the channel count changes from {} to {planes} midway",
                    self.info.channels
                );
                return Err(AudioIoError::Decode {
                    path: self.path.clone(),
                    position_secs: self.position_secs(),
                    reason,
                });
            }
            decoded.copy_to_vecs_planar::<f32>(&mut self.pending);
            self.pending_pos = 0;
            self.decoded += frames as u64;
            return Ok(true);
        }
    }

    /// At the end of the stream: a lossless file shorter than its header announces is
    /// truncated. (Lossy headers only estimate the length.)
    fn check_complete(&self) -> Result<(), AudioIoError> {
        match self.info.frames {
            Some(expected) if !self.info.lossy && self.decoded < expected => {
                Err(self.info.truncated(&self.path, self.decoded))
            }
            _ => Ok(()),
        }
    }

    fn stream_error(&self, e: SymphoniaError) -> AudioIoError {
        match e {
            SymphoniaError::IoError(io) if io.kind() == ErrorKind::UnexpectedEof => {
                self.info.truncated(&self.path, self.decoded)
            }
            SymphoniaError::IoError(source) => AudioIoError::Io {
                path: self.path.clone(),
                source,
            },
            SymphoniaError::ResetRequired => AudioIoError::Unsupported {
                path: self.path.clone(),
                reason: format!(
                    "the stream changes its layout at {:.3} s (chained streams are not supported)",
                    self.position_secs()
                ),
            },
            other => AudioIoError::Decode {
                path: self.path.clone(),
                position_secs: self.position_secs(),
                reason: other.to_string(),
            },
        }
    }
}
