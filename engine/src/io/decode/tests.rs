//! The direct PCM path against symphonia's decoder on the same files, byte for byte built
//! here (plain, float and WAVE_FORMAT_EXTENSIBLE headers, extra chunks, odd sizes, damaged
//! lengths), and against values computed here from the stored codes.

use std::path::Path;

use super::*;

/// How the samples of a test file are stored.
#[derive(Debug, Clone, Copy)]
struct Layout {
    /// 1 (PCM), 3 (IEEE float) or 0xFFFE (extensible).
    tag: u16,
    /// Extensible only: the sub-format's first byte, 1 (PCM) or 3 (float).
    sub: u8,
    /// Bits of the stored sample.
    bits: u16,
    /// Extensible only: the valid bits.
    valid: u16,
    channels: u16,
}

const PCM: u16 = 1;
const FLOAT: u16 = 3;
const EXTENSIBLE: u16 = 0xfffe;

impl Layout {
    fn plain(tag: u16, bits: u16, channels: u16) -> Self {
        Layout {
            tag,
            sub: 0,
            bits,
            valid: bits,
            channels,
        }
    }

    fn extensible(sub: u8, bits: u16, valid: u16, channels: u16) -> Self {
        Layout {
            tag: EXTENSIBLE,
            sub,
            bits,
            valid,
            channels,
        }
    }

    fn is_float(self) -> bool {
        self.tag == FLOAT || (self.tag == EXTENSIBLE && self.sub == 3)
    }
}

/// Appends a RIFF chunk (padded to an even length).
fn chunk(out: &mut Vec<u8>, id: &[u8; 4], body: &[u8]) {
    out.extend_from_slice(id);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    if body.len() % 2 == 1 {
        out.push(0);
    }
}

/// A whole WAV file: `fmt `, a `fact` and a `LIST` chunk, `data`, then a trailing chunk.
fn wav(layout: Layout, rate: u32, data: &[u8]) -> Vec<u8> {
    riff(layout, rate, data, true, None)
}

/// A WAV file as [`wav`] makes it, with or without its `fact` chunk, the `data` size field
/// set to `data_len` when given.
fn riff(layout: Layout, rate: u32, data: &[u8], fact: bool, data_len: Option<u32>) -> Vec<u8> {
    let block = layout.channels * layout.bits / 8;
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&layout.tag.to_le_bytes());
    fmt.extend_from_slice(&layout.channels.to_le_bytes());
    fmt.extend_from_slice(&rate.to_le_bytes());
    fmt.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    fmt.extend_from_slice(&block.to_le_bytes());
    fmt.extend_from_slice(&layout.bits.to_le_bytes());
    if ![PCM, FLOAT, EXTENSIBLE].contains(&layout.tag) {
        // Other formats (A-law) carry an empty extension.
        fmt.extend_from_slice(&0u16.to_le_bytes());
    }
    if layout.tag == EXTENSIBLE {
        fmt.extend_from_slice(&22u16.to_le_bytes());
        fmt.extend_from_slice(&layout.valid.to_le_bytes());
        let mask: u32 = (1 << layout.channels) - 1;
        fmt.extend_from_slice(&mask.to_le_bytes());
        fmt.extend_from_slice(&[
            layout.sub, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00,
            0x38, 0x9b, 0x71,
        ]);
    }
    let mut body = b"WAVE".to_vec();
    chunk(&mut body, b"fmt ", &fmt);
    let frames = data.len() / usize::from(block.max(1));
    if fact {
        chunk(&mut body, b"fact", &(frames as u32).to_le_bytes());
    }
    chunk(&mut body, b"LIST", b"INFOISFT\x06\x00\x00\x00tests\x00");
    body.extend_from_slice(b"data");
    body.extend_from_slice(&data_len.unwrap_or(data.len() as u32).to_le_bytes());
    body.extend_from_slice(data);
    if data.len() % 2 == 1 {
        body.push(0);
    }
    chunk(&mut body, b"junk", b"after the audio");
    let mut file = b"RIFF".to_vec();
    file.extend_from_slice(&(body.len() as u32).to_le_bytes());
    file.extend_from_slice(&body);
    file
}

/// Pseudo-random stored samples of `frames` frames, and the value each one stands for,
/// computed here from its code: integers over 2^(bits-1) (8-bit is offset by 128), floats as
/// stored.
fn samples(layout: Layout, frames: usize, seed: u64) -> (Vec<u8>, Vec<Vec<f32>>) {
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let channels = usize::from(layout.channels);
    let mut bytes = Vec::new();
    let mut values = vec![Vec::with_capacity(frames); channels];
    for _ in 0..frames {
        for channel in &mut values {
            let r = next();
            let value = match (layout.is_float(), layout.bits) {
                (true, 32) => {
                    let v = ((r >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32;
                    bytes.extend_from_slice(&v.to_le_bytes());
                    v
                }
                (true, _) => {
                    let v = (r >> 11) as f64 / (1u64 << 53) as f64 * 2.2 - 1.1;
                    bytes.extend_from_slice(&v.to_le_bytes());
                    v as f32
                }
                (false, 8) => {
                    let code = r as u8;
                    bytes.push(code);
                    ((f64::from(code) - 128.0) / 128.0) as f32
                }
                (false, bits) => {
                    let width = usize::from(bits / 8);
                    let code = (r as i64) >> (64 - bits);
                    bytes.extend_from_slice(&code.to_le_bytes()[..width]);
                    (code as f64 / f64::from(1u32 << (bits - 1))) as f32
                }
            };
            channel.push(value);
        }
    }
    (bytes, values)
}

/// A whole file read through `reader` in pieces of `piece` frames, and how it ended.
fn read_through(
    mut reader: AudioReader,
    piece: usize,
) -> (Vec<Vec<f32>>, Result<(), AudioIoError>) {
    let channels = reader.info().channels;
    let mut buf = vec![vec![0.0f32; piece]; channels];
    let mut out = vec![Vec::new(); channels];
    loop {
        match reader.read(&mut buf, piece) {
            Ok(0) => return (out, Ok(())),
            Ok(n) => {
                for (o, b) in out.iter_mut().zip(&buf) {
                    o.extend_from_slice(&b[..n]);
                }
            }
            Err(e) => return (out, Err(e)),
        }
    }
}

fn bits(planar: &[Vec<f32>]) -> Vec<Vec<u32>> {
    planar
        .iter()
        .map(|c| c.iter().map(|v| v.to_bits()).collect())
        .collect()
}

/// Writes `bytes` to a file and checks both decoders agree on it, with the direct path
/// taken: the same info, the same values bit for bit in pieces of several sizes, equal to
/// `expected`.
fn both_agree(dir: &Path, name: &str, bytes: &[u8], expected: &[Vec<f32>]) -> AudioInfo {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let reference = AudioReader::open_with_symphonia(&path).unwrap();
    let info = reference.info().clone();
    let (want, end) = read_through(reference, 1000);
    end.unwrap();
    assert_eq!(
        bits(&want),
        bits(expected),
        "{name}: symphonia vs the codes"
    );
    for piece in [1, 777, 4096, 100_000] {
        let direct = AudioReader::open(&path).unwrap();
        assert!(direct.is_direct(), "{name} takes the direct path");
        assert_eq!(direct.info(), &info, "{name}");
        let (got, end) = read_through(direct, piece);
        end.unwrap();
        assert_eq!(bits(&got), bits(&want), "{name}, pieces of {piece}");
    }
    info
}

#[test]
fn every_pcm_wav_layout_decodes_directly_to_symphonias_values() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (Layout::plain(PCM, 8, 2), "pcm_u8", Some(8)),
        (Layout::plain(PCM, 16, 1), "pcm_s16le", Some(16)),
        (Layout::plain(PCM, 16, 2), "pcm_s16le", Some(16)),
        (Layout::plain(PCM, 24, 2), "pcm_s24le", Some(24)),
        (Layout::plain(PCM, 24, 6), "pcm_s24le", Some(24)),
        (Layout::plain(PCM, 32, 2), "pcm_s32le", Some(32)),
        (Layout::plain(FLOAT, 32, 2), "pcm_f32le", Some(32)),
        (Layout::plain(FLOAT, 64, 3), "pcm_f64le", Some(64)),
        (Layout::extensible(1, 16, 16, 2), "pcm_s16le", Some(16)),
        (Layout::extensible(1, 24, 24, 6), "pcm_s24le", Some(24)),
        (Layout::extensible(1, 24, 20, 2), "pcm_s24le", Some(20)),
        (Layout::extensible(1, 32, 24, 2), "pcm_s32le", Some(24)),
        (Layout::extensible(3, 32, 32, 6), "pcm_f32le", Some(32)),
        (Layout::extensible(3, 64, 64, 2), "pcm_f64le", Some(64)),
    ];
    for (n, (layout, codec, bits_per_sample)) in cases.into_iter().enumerate() {
        // Odd lengths, one longer than a read block of the direct path.
        for frames in [0, 1, 1153, 40_001] {
            if frames == 40_001 && layout.channels > 2 {
                continue;
            }
            let (data, values) = samples(layout, frames, n as u64 + 1);
            let name = format!("{layout:?}-{frames}.wav");
            let info = both_agree(dir.path(), &name, &wav(layout, 44_100, &data), &values);
            assert_eq!(
                (info.codec.as_str(), info.bits_per_sample, info.frames),
                (codec, bits_per_sample, Some(frames as u64)),
                "{name}"
            );
            assert_eq!(info.channels, usize::from(layout.channels));
        }
    }
}

#[test]
fn a_partial_last_frame_in_the_data_chunk_is_dropped_by_both_paths() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::plain(PCM, 24, 2);
    let (mut data, values) = samples(layout, 500, 9);
    data.extend_from_slice(&[1, 2, 3, 4]);
    let info = both_agree(
        dir.path(),
        "partial.wav",
        &wav(layout, 48_000, &data),
        &values,
    );
    assert_eq!(info.frames, Some(500));
}

#[test]
fn a_file_cut_inside_its_data_fails_at_open_with_where_the_audio_stops() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::plain(PCM, 24, 2);
    let (data, values) = samples(layout, 48_000, 3);
    let whole = wav(layout, 48_000, &data);
    let data_start = whole.len() - data.len() - 8 - 16;
    // 12,000 frames of 6 bytes and half a frame.
    let cut = &whole[..data_start + 6 * 12_000 + 3];
    let path = dir.path().join("cut.wav");
    std::fs::write(&path, cut).unwrap();
    match AudioReader::open(&path) {
        Err(AudioIoError::Truncated {
            path: p,
            position_secs,
            expected_secs,
        }) => {
            assert_eq!(p, path);
            assert_eq!(position_secs, 0.25);
            assert_eq!(expected_secs, Some(1.0));
        }
        other => panic!("expected Truncated at open, got {other:?}"),
    }
    // Symphonia delivers whole packets of what is there, then reports the same problem.
    let (got, end) = read_through(AudioReader::open_with_symphonia(&path).unwrap(), 1000);
    assert!(
        matches!(end, Err(AudioIoError::Truncated { expected_secs: Some(e), .. }) if e == 1.0),
        "{end:?}"
    );
    assert!(got[0].len() <= 12_000);
    assert_eq!(got[0][..], values[0][..got[0].len()]);
}

#[test]
fn a_wav_of_open_length_is_read_to_the_end_of_the_file() {
    // ffmpeg writing to a pipe sets the data size to 0xFFFFFFFF: the length is unknown.
    // (Symphonia 0.6 reads such a file in whole packets of 1152 frames and reports the last,
    // partial one as a truncation; the direct path reads every whole frame.)
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::plain(PCM, 16, 2);
    let (mut data, values) = samples(layout, 10_007, 4);
    data.push(0x55);
    let mut bytes = riff(layout, 44_100, &data, false, Some(u32::MAX));
    // Nothing may follow an open-length data chunk, whose RIFF size is open too.
    bytes.truncate(bytes.len() - 24);
    bytes[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    let path = dir.path().join("stream.wav");
    std::fs::write(&path, &bytes).unwrap();
    let reader = AudioReader::open(&path).unwrap();
    assert!(reader.is_direct());
    assert_eq!(reader.info().frames, None);
    let (got, end) = read_through(reader, 4096);
    end.unwrap();
    assert_eq!(bits(&got), bits(&values));
}

#[test]
fn other_formats_still_go_through_symphonia() {
    let dir = tempfile::tempdir().unwrap();
    // A-law in a WAV file: not plain PCM.
    let mut bytes = wav(Layout::plain(6, 8, 1), 8000, &[0xd5; 800]);
    let path = dir.path().join("alaw.wav");
    std::fs::write(&path, &bytes).unwrap();
    let reader = AudioReader::open(&path).unwrap();
    assert!(!reader.is_direct());
    assert_eq!(reader.info().codec, "pcm_alaw");
    // The same bytes with a big-endian RIFX signature are not a WAV symphonia reads.
    bytes[..4].copy_from_slice(b"RIFX");
    std::fs::write(&path, &bytes).unwrap();
    assert!(AudioReader::open(&path).is_err());
}
