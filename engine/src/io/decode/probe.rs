//! Opening an audio file with symphonia: format detection, the audio track, its decoder and
//! what the header says, with every failure turned into the file's problem (missing, empty,
//! not audio, damaged header, unsupported).

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

use super::AudioInfo;
use crate::io::error::AudioIoError;

/// A file whose container and codec symphonia recognized, positioned at its first packet.
pub(super) struct Probed {
    /// The file.
    pub path: PathBuf,
    /// What the header says (the channel count may still be 0 for formats whose header does
    /// not tell it).
    pub info: AudioInfo,
    /// The codec of the audio track.
    pub codec: AudioCodecId,
    /// The container reader.
    pub format: Box<dyn FormatReader>,
    /// The codec's decoder, built (and so validated) from the track's parameters.
    pub decoder: Box<dyn AudioDecoder>,
    /// The audio track.
    pub track_id: u32,
    /// A second handle on the same open file, for reading its bytes directly.
    pub file: File,
}

/// Opens `path` and identifies its container, audio track and codec.
///
/// # Errors
/// [`AudioIoError::NotFound`], [`AudioIoError::Empty`], [`AudioIoError::NotAudio`],
/// [`AudioIoError::BadHeader`], [`AudioIoError::Unsupported`] or [`AudioIoError::Io`].
pub(super) fn probe(path: &Path) -> Result<Probed, AudioIoError> {
    let path = path.to_path_buf();
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
    let direct = file.try_clone().map_err(|e| AudioIoError::io(&path, e))?;
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
    let no_audio = || AudioIoError::Unsupported {
        path: path.clone(),
        reason: format!("the {container} file has no audio track"),
    };
    let track = format
        .default_track(TrackType::Audio)
        .ok_or_else(no_audio)?;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .cloned()
        .ok_or_else(no_audio)?;
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
    Ok(Probed {
        path,
        info,
        codec: params.codec,
        format,
        decoder,
        track_id,
        file: direct,
    })
}

/// Runs a symphonia call, turning a panic inside it into a decode error. Symphonia aims
/// never to panic, but some malformed headers still overflow its arithmetic (found by this
/// crate's crafted-bytes test: a WAV `fmt ` chunk with a huge channel count).
pub(super) fn shielded<T>(
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
