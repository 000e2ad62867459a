//! WAV files of plain PCM (8/16/24/32-bit integer, 32/64-bit float, WAVE_FORMAT_EXTENSIBLE
//! included) read directly: symphonia parses the header, then the data chunk is read in
//! large blocks of bytes and converted to planar `f32` in tight loops. Symphonia's own packet
//! path costs ~37 instructions a sample (a packet of 1152 frames at a time, a generic sample
//! buffer, a copy out); this path costs a few.

use std::fs::File;
use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::path::PathBuf;

use symphonia::core::io::ReadBytes as _;

use super::AudioInfo;
use super::pcm::PcmEncoding;
use super::probe::Probed;
use crate::io::error::AudioIoError;

/// Bytes read from the file at once (rounded down to whole frames, at least one frame).
const READ_BYTES: usize = 1 << 17;

/// A WAV file's data chunk, read and converted block by block.
pub(super) struct PcmWavReader {
    pub path: PathBuf,
    pub info: AudioInfo,
    file: File,
    encoding: PcmEncoding,
    /// Bytes of one interleaved frame.
    frame_bytes: usize,
    /// Bytes read from the file; `buf[start..end]` (whole frames) is not delivered yet.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Frames the header announces that are not read from the file yet; `None` when the
    /// header leaves the length open (a WAV streamed by ffmpeg), which is read to the end.
    unread: Option<u64>,
    /// Frames delivered so far.
    delivered: u64,
    /// The file has no more bytes.
    at_eof: bool,
    /// A read failed; nothing more is read.
    failed: bool,
}

impl PcmWavReader {
    /// Takes over a probed file when it is a WAV of PCM this reader converts exactly as
    /// symphonia would; gives it back otherwise.
    ///
    /// # Errors
    /// [`AudioIoError::Truncated`] when the file is shorter than its header announces (so a
    /// damaged file fails before a render starts), [`AudioIoError::Io`] when it cannot be read.
    pub fn open(probed: Probed) -> Result<Result<PcmWavReader, Probed>, AudioIoError> {
        let encoding = PcmEncoding::of_codec(probed.codec);
        let (Some(encoding), "wave", 1..) = (
            encoding,
            probed.info.container.as_str(),
            probed.info.channels,
        ) else {
            return Ok(Err(probed));
        };
        let Probed {
            path,
            info,
            format,
            mut file,
            ..
        } = probed;
        // Symphonia's WAV reader stops right after the `data` chunk header: its stream is
        // positioned on the first sample byte.
        let data_start = format.into_inner().pos();
        let frame_bytes = encoding.width() * info.channels;
        let io_error = |e| AudioIoError::io(&path, e);
        file.seek(SeekFrom::Start(data_start)).map_err(io_error)?;
        let file_len = file.metadata().map_err(io_error)?.len();
        if let Some(frames) = info.frames {
            let present = file_len.saturating_sub(data_start) / frame_bytes as u64;
            if present < frames {
                return Err(info.truncated(&path, present));
            }
        }
        let buf_frames = (READ_BYTES / frame_bytes).max(1);
        Ok(Ok(PcmWavReader {
            unread: info.frames,
            path,
            info,
            file,
            encoding,
            frame_bytes,
            buf: vec![0; buf_frames * frame_bytes],
            start: 0,
            end: 0,
            delivered: 0,
            at_eof: false,
            failed: false,
        }))
    }

    /// Frames delivered so far.
    pub fn position(&self) -> u64 {
        self.delivered
    }

    /// Reads up to `want` frames into `out[ch][..n]` (`out` holds one buffer per channel,
    /// each at least `want` long) and returns `n`, 0 only at the end.
    pub fn read(&mut self, out: &mut [Vec<f32>], want: usize) -> Result<usize, AudioIoError> {
        let mut done = 0;
        while done < want {
            if self.start == self.end && !self.refill()? {
                break;
            }
            let available = (self.end - self.start) / self.frame_bytes;
            let take = available.min(want - done) * self.frame_bytes;
            let bytes = &self.buf[self.start..self.start + take];
            let n = self.encoding.deinterleave(bytes, out, done);
            if n == 0 {
                break;
            }
            self.start += n * self.frame_bytes;
            done += n;
        }
        self.delivered += done as u64;
        Ok(done)
    }

    /// Reads the next block of whole frames from the file. Returns false at the end of the
    /// data.
    fn refill(&mut self) -> Result<bool, AudioIoError> {
        if self.failed {
            return Err(AudioIoError::Decode {
                path: self.path.clone(),
                position_secs: self.info.secs(self.delivered),
                reason: "reading stopped at an earlier error".to_string(),
            });
        }
        let capacity = (self.buf.len() / self.frame_bytes) as u64;
        let frames = self.unread.map_or(capacity, |u| u.min(capacity)) as usize;
        if frames == 0 || self.at_eof {
            return self.end_of_data();
        }
        let wanted = frames * self.frame_bytes;
        let got = match read_up_to(&mut self.file, &mut self.buf[..wanted]) {
            Ok(got) => got,
            Err(source) => {
                self.failed = true;
                return Err(AudioIoError::Io {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        self.at_eof = got < wanted;
        let whole = got / self.frame_bytes;
        if let Some(unread) = &mut self.unread {
            *unread -= whole as u64;
        }
        self.start = 0;
        self.end = whole * self.frame_bytes;
        if whole == 0 {
            return self.end_of_data();
        }
        Ok(true)
    }

    /// The end of the data: complete, or truncated when frames the header announces are
    /// missing. (A trailing partial frame of an open-length file is dropped, as symphonia
    /// drops one.)
    fn end_of_data(&self) -> Result<bool, AudioIoError> {
        match self.unread {
            Some(unread) if unread > 0 => Err(self.info.truncated(&self.path, self.delivered)),
            _ => Ok(false),
        }
    }
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
