//! Reading audio files of any format symphonia decodes (WAV, FLAC, MP3, Ogg Vorbis, AIFF...),
//! streamed packet by packet into planar `f32`: memory does not grow with the file's length.

use std::fs::File;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use symphonia::core::codecs::audio::well_known::{
    CODEC_ID_ALAC, CODEC_ID_FLAC, CODEC_ID_MONKEYS_AUDIO, CODEC_ID_PCM_F32BE,
    CODEC_ID_PCM_F32BE_PLANAR, CODEC_ID_PCM_F32LE, CODEC_ID_PCM_F32LE_PLANAR, CODEC_ID_PCM_F64BE,
    CODEC_ID_PCM_F64BE_PLANAR, CODEC_ID_PCM_F64LE, CODEC_ID_PCM_F64LE_PLANAR, CODEC_ID_PCM_S8,
    CODEC_ID_PCM_S8_PLANAR, CODEC_ID_PCM_S16BE, CODEC_ID_PCM_S16BE_PLANAR, CODEC_ID_PCM_S16LE,
    CODEC_ID_PCM_S16LE_PLANAR, CODEC_ID_PCM_S24BE, CODEC_ID_PCM_S24BE_PLANAR, CODEC_ID_PCM_S24LE,
    CODEC_ID_PCM_S24LE_PLANAR, CODEC_ID_PCM_S32BE, CODEC_ID_PCM_S32BE_PLANAR, CODEC_ID_PCM_S32LE,
    CODEC_ID_PCM_S32LE_PLANAR, CODEC_ID_PCM_U8, CODEC_ID_PCM_U8_PLANAR, CODEC_ID_PCM_U16BE,
    CODEC_ID_PCM_U16BE_PLANAR, CODEC_ID_PCM_U16LE, CODEC_ID_PCM_U16LE_PLANAR, CODEC_ID_PCM_U24BE,
    CODEC_ID_PCM_U24BE_PLANAR, CODEC_ID_PCM_U24LE, CODEC_ID_PCM_U24LE_PLANAR, CODEC_ID_PCM_U32BE,
    CODEC_ID_PCM_U32BE_PLANAR, CODEC_ID_PCM_U32LE, CODEC_ID_PCM_U32LE_PLANAR, CODEC_ID_TRUEHD,
    CODEC_ID_TTA, CODEC_ID_WAVPACK,
};
use symphonia::core::codecs::audio::{
    AudioCodecId, AudioCodecParameters, AudioDecoder, AudioDecoderOptions,
};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

use crate::io::error::AudioIoError;

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
        self.frames
            .map(|f| f as f64 / f64::from(self.sample_rate.max(1)))
    }
}

/// A streaming audio file reader delivering planar `f32` frames.
pub struct AudioReader {
    path: PathBuf,
    info: AudioInfo,
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

impl std::fmt::Debug for AudioReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioReader")
            .field("path", &self.path)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl AudioReader {
    /// Opens a file, identifies its format and decodes its first packet, so a damaged file
    /// fails here rather than halfway through a render.
    ///
    /// # Errors
    /// [`AudioIoError::NotFound`], [`AudioIoError::Empty`], [`AudioIoError::NotAudio`],
    /// [`AudioIoError::BadHeader`], [`AudioIoError::Unsupported`],
    /// [`AudioIoError::Truncated`], [`AudioIoError::Decode`] or [`AudioIoError::Io`], each
    /// naming the file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AudioIoError> {
        let path = path.as_ref().to_path_buf();
        let meta = std::fs::metadata(&path).map_err(|e| AudioIoError::io(&path, e))?;
        if meta.is_dir() {
            return Err(AudioIoError::Io {
                path,
                source: std::io::Error::other("this is a folder, not a file"),
            });
        }
        if meta.len() == 0 {
            return Err(AudioIoError::Empty { path });
        }
        let file = File::open(&path).map_err(|e| AudioIoError::io(&path, e))?;
        let magic = sniff_container(&path);
        let mss = MediaSourceStream::new(Box::new(file), Default::default());
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        let format = shielded(|| {
            symphonia::default::get_probe().probe(
                &hint,
                mss,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
        })
        .map_err(|e| probe_error(&path, magic, e))?;
        let container = format.format_info().short_name.to_string();
        let track =
            format
                .default_track(TrackType::Audio)
                .ok_or_else(|| AudioIoError::Unsupported {
                    path: path.clone(),
                    reason: format!("the {container} file has no audio track"),
                })?;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .cloned()
            .ok_or_else(|| AudioIoError::Unsupported {
                path: path.clone(),
                reason: format!("the {container} file has no audio track"),
            })?;
        let track_id = track.id;
        let frames = track.num_frames;
        let sample_rate =
            params
                .sample_rate
                .filter(|&r| r > 0)
                .ok_or_else(|| AudioIoError::BadHeader {
                    path: path.clone(),
                    format: container.clone(),
                    reason: "no sample rate".to_string(),
                })?;
        let decoder = shielded(|| {
            symphonia::default::get_codecs()
                .make_audio_decoder(&params, &AudioDecoderOptions::default())
        })
        .map_err(|e| AudioIoError::Unsupported {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let info = AudioInfo {
            sample_rate,
            channels: params.channels.as_ref().map_or(0, |c| c.count()),
            frames,
            codec: decoder.codec_info().short_name.to_string(),
            container,
            bits_per_sample: bits_of(&params),
            lossy: !is_lossless(params.codec),
        };
        let mut reader = AudioReader {
            path,
            info,
            format,
            decoder,
            track_id,
            pending: Vec::new(),
            pending_pos: 0,
            decoded: 0,
            ended: false,
            failed: false,
        };
        // Decode the first packet now: it proves the stream decodes and tells the channel
        // count of formats whose header does not (MP3).
        if !reader.decode_next()? {
            reader.ended = true;
        }
        if reader.info.channels == 0 {
            return Err(AudioIoError::BadHeader {
                path: reader.path,
                format: reader.info.container,
                reason: "no channel count".to_string(),
            });
        }
        Ok(reader)
    }

    /// The file's format, rate, channels and length.
    pub fn info(&self) -> &AudioInfo {
        &self.info
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Frames delivered by [`AudioReader::read`] so far.
    pub fn position(&self) -> u64 {
        self.decoded - self.pending_len() as u64
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
        let channels = self.info.channels;
        if out.len() < channels {
            return Err(AudioIoError::Buffers {
                path: self.path.clone(),
                expected: channels,
                found: out.len(),
            });
        }
        let want = out[..channels]
            .iter()
            .map(Vec::len)
            .fold(max_frames, usize::min);
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
            Some(expected) if !self.info.lossy && self.decoded < expected => Err(self.truncated()),
            _ => Ok(()),
        }
    }

    fn truncated(&self) -> AudioIoError {
        AudioIoError::Truncated {
            path: self.path.clone(),
            position_secs: self.position_secs(),
            expected_secs: self.info.duration_secs(),
        }
    }

    fn stream_error(&self, e: SymphoniaError) -> AudioIoError {
        match e {
            SymphoniaError::IoError(io) if io.kind() == ErrorKind::UnexpectedEof => {
                self.truncated()
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

/// Runs a symphonia call, turning a panic inside it into a decode error. Symphonia aims
/// never to panic, but some malformed headers still overflow its arithmetic (found by this
/// crate's crafted-bytes test: a WAV `fmt ` chunk with a huge channel count).
fn shielded<T>(
    call: impl FnOnce() -> symphonia::core::errors::Result<T>,
) -> symphonia::core::errors::Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).unwrap_or(Err(
        SymphoniaError::DecodeError("the decoder failed on malformed data"),
    ))
}

/// Maps an error of format detection to the file's problem.
fn probe_error(path: &Path, magic: Option<&'static str>, e: SymphoniaError) -> AudioIoError {
    let path = path.to_path_buf();
    let Some(format) = magic.map(str::to_string) else {
        return match e {
            SymphoniaError::IoError(source) if source.kind() != ErrorKind::UnexpectedEof => {
                AudioIoError::Io { path, source }
            }
            _ => AudioIoError::NotAudio { path },
        };
    };
    match e {
        // The file starts like an audio container, yet no reader accepted it.
        SymphoniaError::Unsupported(reason) if reason.contains("no suitable format reader") => {
            AudioIoError::BadHeader {
                path,
                format,
                reason: "the header is damaged or cut short".to_string(),
            }
        }
        SymphoniaError::Unsupported(reason) => AudioIoError::Unsupported {
            path,
            reason: reason.to_string(),
        },
        SymphoniaError::IoError(io) if io.kind() == ErrorKind::UnexpectedEof => {
            AudioIoError::BadHeader {
                path,
                format,
                reason: "the header is cut short".to_string(),
            }
        }
        SymphoniaError::IoError(source) => AudioIoError::Io { path, source },
        other => AudioIoError::BadHeader {
            path,
            format,
            reason: other.to_string(),
        },
    }
}

/// The container a file's first bytes announce, if any (tells a damaged audio file from a
/// file that is not audio at all). A signature cut short still counts.
fn sniff_container(path: &Path) -> Option<&'static str> {
    use std::io::Read as _;
    let mut head = [0u8; 12];
    let mut file = File::open(path).ok()?;
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    let head = &head[..n];
    // Whether `head` starts with `prefix` (or with as much of it as there is).
    let starts = |prefix: &[u8]| !head.is_empty() && head.iter().zip(prefix).all(|(a, b)| a == b);
    let form_type = |types: &[&[u8]]| head.len() < 12 || types.iter().any(|t| &head[8..12] == *t);
    if (starts(b"RIFF") || starts(b"RIFX") || starts(b"RF64")) && form_type(&[b"WAVE"]) {
        Some("wave")
    } else if starts(b"FORM") && form_type(&[b"AIFF", b"AIFC"]) {
        Some("aiff")
    } else if starts(b"fLaC") {
        Some("flac")
    } else if starts(b"OggS") {
        Some("ogg")
    } else if starts(b"ID3") {
        Some("mp3")
    } else {
        None
    }
}

/// Whether a codec keeps every bit of the original.
fn is_lossless(codec: AudioCodecId) -> bool {
    const LOSSLESS: &[AudioCodecId] = &[
        CODEC_ID_FLAC,
        CODEC_ID_ALAC,
        CODEC_ID_WAVPACK,
        CODEC_ID_TTA,
        CODEC_ID_MONKEYS_AUDIO,
        CODEC_ID_TRUEHD,
        CODEC_ID_PCM_S8,
        CODEC_ID_PCM_S8_PLANAR,
        CODEC_ID_PCM_U8,
        CODEC_ID_PCM_U8_PLANAR,
        CODEC_ID_PCM_S16LE,
        CODEC_ID_PCM_S16LE_PLANAR,
        CODEC_ID_PCM_S16BE,
        CODEC_ID_PCM_S16BE_PLANAR,
        CODEC_ID_PCM_U16LE,
        CODEC_ID_PCM_U16LE_PLANAR,
        CODEC_ID_PCM_U16BE,
        CODEC_ID_PCM_U16BE_PLANAR,
        CODEC_ID_PCM_S24LE,
        CODEC_ID_PCM_S24LE_PLANAR,
        CODEC_ID_PCM_S24BE,
        CODEC_ID_PCM_S24BE_PLANAR,
        CODEC_ID_PCM_U24LE,
        CODEC_ID_PCM_U24LE_PLANAR,
        CODEC_ID_PCM_U24BE,
        CODEC_ID_PCM_U24BE_PLANAR,
        CODEC_ID_PCM_S32LE,
        CODEC_ID_PCM_S32LE_PLANAR,
        CODEC_ID_PCM_S32BE,
        CODEC_ID_PCM_S32BE_PLANAR,
        CODEC_ID_PCM_U32LE,
        CODEC_ID_PCM_U32LE_PLANAR,
        CODEC_ID_PCM_U32BE,
        CODEC_ID_PCM_U32BE_PLANAR,
        CODEC_ID_PCM_F32LE,
        CODEC_ID_PCM_F32LE_PLANAR,
        CODEC_ID_PCM_F32BE,
        CODEC_ID_PCM_F32BE_PLANAR,
        CODEC_ID_PCM_F64LE,
        CODEC_ID_PCM_F64LE_PLANAR,
        CODEC_ID_PCM_F64BE,
        CODEC_ID_PCM_F64BE_PLANAR,
    ];
    LOSSLESS.contains(&codec)
}

/// Bits per stored sample: from the header, or implied by a floating-point codec.
fn bits_of(params: &AudioCodecParameters) -> Option<u32> {
    params.bits_per_sample.or(match params.codec {
        c if [
            CODEC_ID_PCM_F32LE,
            CODEC_ID_PCM_F32LE_PLANAR,
            CODEC_ID_PCM_F32BE,
            CODEC_ID_PCM_F32BE_PLANAR,
        ]
        .contains(&c) =>
        {
            Some(32)
        }
        c if [
            CODEC_ID_PCM_F64LE,
            CODEC_ID_PCM_F64LE_PLANAR,
            CODEC_ID_PCM_F64BE,
            CODEC_ID_PCM_F64BE_PLANAR,
        ]
        .contains(&c) =>
        {
            Some(64)
        }
        _ => None,
    })
}
