//! Interleaved little-endian PCM bytes to planar `f32`, in tight per-format loops. Every
//! conversion gives exactly the value symphonia's PCM decoder gives for the same stored
//! sample (the tests compare them code by code), so either decoding path reads a file alike.

use symphonia::core::codecs::audio::AudioCodecId;
use symphonia::core::codecs::audio::well_known::{
    CODEC_ID_PCM_F32LE, CODEC_ID_PCM_F64LE, CODEC_ID_PCM_S16LE, CODEC_ID_PCM_S24LE,
    CODEC_ID_PCM_S32LE, CODEC_ID_PCM_U8,
};

/// How one sample is stored in an interleaved little-endian PCM stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PcmEncoding {
    /// Unsigned 8-bit, 128 is zero.
    U8,
    /// Signed 16-bit.
    S16,
    /// Signed 24-bit, packed in 3 bytes.
    S24,
    /// Signed 32-bit.
    S32,
    /// IEEE 754 single precision.
    F32,
    /// IEEE 754 double precision.
    F64,
}

/// 2^-7, 2^-15, 2^-23 and 2^-31: multiplying by a power of two is exact, so it equals the
/// division symphonia does.
const SCALE_8: f32 = 1.0 / 128.0;
const SCALE_16: f32 = 1.0 / 32_768.0;
const SCALE_24: f32 = 1.0 / 8_388_608.0;
const SCALE_32: f32 = 1.0 / 2_147_483_648.0;

impl PcmEncoding {
    /// The encoding of a symphonia codec, for the little-endian interleaved PCM codecs a WAV
    /// file holds; `None` for every other codec.
    pub fn of_codec(codec: AudioCodecId) -> Option<PcmEncoding> {
        [
            (CODEC_ID_PCM_U8, PcmEncoding::U8),
            (CODEC_ID_PCM_S16LE, PcmEncoding::S16),
            (CODEC_ID_PCM_S24LE, PcmEncoding::S24),
            (CODEC_ID_PCM_S32LE, PcmEncoding::S32),
            (CODEC_ID_PCM_F32LE, PcmEncoding::F32),
            (CODEC_ID_PCM_F64LE, PcmEncoding::F64),
        ]
        .into_iter()
        .find_map(|(c, e)| (c == codec).then_some(e))
    }

    /// Bytes per stored sample.
    pub fn width(self) -> usize {
        match self {
            PcmEncoding::U8 => 1,
            PcmEncoding::S16 => 2,
            PcmEncoding::S24 => 3,
            PcmEncoding::S32 | PcmEncoding::F32 => 4,
            PcmEncoding::F64 => 8,
        }
    }

    /// Converts the whole frames of `bytes` (interleaved, `out.len()` channels) into
    /// `out[ch][at..]`. Converts as many frames as `bytes` holds and every `out[ch]` has room
    /// for after `at`; returns that count.
    pub fn deinterleave(self, bytes: &[u8], out: &mut [Vec<f32>], at: usize) -> usize {
        match self {
            PcmEncoding::U8 => {
                deinterleave_as(bytes, out, at, |[b]: [u8; 1]| f32::from(b) * SCALE_8 - 1.0)
            }
            PcmEncoding::S16 => deinterleave_as(bytes, out, at, |b: [u8; 2]| {
                f32::from(i16::from_le_bytes(b)) * SCALE_16
            }),
            PcmEncoding::S24 => deinterleave_as(bytes, out, at, |[a, b, c]: [u8; 3]| {
                // The three bytes in the top of an i32, shifted down with their sign.
                (i32::from_le_bytes([0, a, b, c]) >> 8) as f32 * SCALE_24
            }),
            PcmEncoding::S32 => deinterleave_as(bytes, out, at, |b: [u8; 4]| {
                // Rounding to f32 then scaling by a power of two equals symphonia's scaling in
                // f64 then rounding: both round the same 32-bit mantissa once.
                i32::from_le_bytes(b) as f32 * SCALE_32
            }),
            PcmEncoding::F32 => deinterleave_as(bytes, out, at, f32::from_le_bytes),
            PcmEncoding::F64 => {
                deinterleave_as(bytes, out, at, |b: [u8; 8]| f64::from_le_bytes(b) as f32)
            }
        }
    }
}

/// [`PcmEncoding::deinterleave`] for samples of `W` bytes decoded by `decode`. Mono and
/// stereo get loops of their own (constant offsets, no index arithmetic); other layouts
/// walk each channel across the frames.
#[inline]
fn deinterleave_as<const W: usize>(
    bytes: &[u8],
    out: &mut [Vec<f32>],
    at: usize,
    decode: impl Fn([u8; W]) -> f32 + Copy,
) -> usize {
    let channels = out.len();
    if channels == 0 {
        return 0;
    }
    let frames = out
        .iter()
        .map(|c| c.len().saturating_sub(at))
        .fold(bytes.len() / (W * channels), usize::min);
    let bytes = &bytes[..frames * W * channels];
    match out {
        [mono] => {
            for (dst, s) in mono[at..at + frames].iter_mut().zip(bytes.chunks_exact(W)) {
                *dst = decode(sample(s, 0));
            }
        }
        [left, right] => {
            let pairs = left[at..at + frames]
                .iter_mut()
                .zip(&mut right[at..at + frames]);
            for ((l, r), frame) in pairs.zip(bytes.chunks_exact(2 * W)) {
                *l = decode(sample(frame, 0));
                *r = decode(sample(frame, W));
            }
        }
        _ => {
            for (ch, channel) in out.iter_mut().enumerate() {
                let dst = &mut channel[at..at + frames];
                let samples = bytes[ch * W..].chunks(W).step_by(channels);
                for (d, s) in dst.iter_mut().zip(samples) {
                    *d = decode(sample(s, 0));
                }
            }
        }
    }
    frames
}

/// The `W` bytes of `bytes` from `from` (zeros past the end, which the callers never reach).
#[inline(always)]
fn sample<const W: usize>(bytes: &[u8], from: usize) -> [u8; W] {
    let mut s = [0u8; W];
    if let Some(src) = bytes.get(from..from + W) {
        s.copy_from_slice(src);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use symphonia::core::audio::conv::FromSample;
    use symphonia::core::audio::sample::i24;

    /// Converts one stored sample (its bytes) through the kernel, as a one-frame mono block.
    fn one(encoding: PcmEncoding, bytes: &[u8]) -> f32 {
        let mut out = vec![vec![f32::NAN]];
        assert_eq!(encoding.deinterleave(bytes, &mut out, 0), 1);
        out[0][0]
    }

    #[test]
    fn every_8_16_and_24_bit_code_converts_exactly_as_symphonia_converts_it() {
        for code in 0..=u8::MAX {
            assert_eq!(one(PcmEncoding::U8, &[code]), f32::from_sample(code));
        }
        for code in i16::MIN..=i16::MAX {
            let got = one(PcmEncoding::S16, &code.to_le_bytes());
            assert_eq!(got.to_bits(), f32::from_sample(code).to_bits(), "{code}");
        }
        for code in -(1i32 << 23)..(1 << 23) {
            let b = code.to_le_bytes();
            let got = one(PcmEncoding::S24, &b[..3]);
            assert_eq!(
                got.to_bits(),
                f32::from_sample(i24(code)).to_bits(),
                "{code}"
            );
        }
    }

    #[test]
    fn integers_of_32_bits_and_floats_convert_exactly_as_symphonia_converts_them() {
        // Every power of two and its neighbours (where rounding to 24 bits changes), then a
        // pseudo-random sweep.
        let mut codes: Vec<i32> = vec![i32::MIN, i32::MAX, 0, -1, 1];
        for k in 0..31 {
            let p = 1i32 << k;
            codes.extend([p - 1, p, p + 1, -p - 1, -p, -p + 1]);
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            codes.push(x as i32);
            // Halfway cases: the 8 bits f32 drops are exactly 0x80.
            codes.push(((x as i32) & !0xff) | 0x80);
        }
        for code in codes {
            let got = one(PcmEncoding::S32, &code.to_le_bytes());
            assert_eq!(got.to_bits(), f32::from_sample(code).to_bits(), "{code}");
            let f = f32::from_bits(code as u32);
            assert_eq!(
                one(PcmEncoding::F32, &f.to_le_bytes()).to_bits(),
                f.to_bits()
            );
            let d = f64::from_bits(x.rotate_left(code as u32 % 64) ^ code as u64);
            let got = one(PcmEncoding::F64, &d.to_le_bytes());
            let want = f32::from_sample(d);
            assert!(got.to_bits() == want.to_bits() || got.is_nan() && want.is_nan());
        }
    }

    /// Interleaves planar codes of `W` bytes (the low `W` bytes of each i32).
    fn interleave(planar: &[Vec<i32>], width: usize) -> Vec<u8> {
        let frames = planar[0].len();
        let mut bytes = Vec::new();
        for f in 0..frames {
            for channel in planar {
                bytes.extend_from_slice(&channel[f].to_le_bytes()[..width]);
            }
        }
        bytes
    }

    #[test]
    fn every_channel_count_lands_each_sample_in_its_channel_and_frame() {
        for channels in [1usize, 2, 3, 6, 8] {
            // Channel c, frame f holds the 16-bit code 1000 c + f (minus a bias).
            let frames = 301;
            let planar: Vec<Vec<i32>> = (0..channels)
                .map(|c| (0..frames).map(|f| (1000 * c + f) as i32 - 4000).collect())
                .collect();
            let bytes = interleave(&planar, 2);
            let at = 5;
            let mut out = vec![vec![f32::NAN; at + frames]; channels];
            assert_eq!(PcmEncoding::S16.deinterleave(&bytes, &mut out, at), frames);
            for (c, (got, codes)) in out.iter().zip(&planar).enumerate() {
                assert!(got[..at].iter().all(|v| v.is_nan()), "channel {c} head");
                let want: Vec<f32> = codes.iter().map(|&k| k as f32 / 32_768.0).collect();
                assert_eq!(&got[at..], &want[..], "{channels} channels, channel {c}");
            }
        }
    }

    #[test]
    fn a_partial_frame_or_a_short_buffer_limits_the_count() {
        let planar = vec![vec![1, 2, 3], vec![4, 5, 6]];
        let bytes = interleave(&planar, 3);
        // Two frames and a half.
        let mut out = vec![vec![0.0; 8]; 2];
        assert_eq!(PcmEncoding::S24.deinterleave(&bytes[..15], &mut out, 0), 2);
        // Room for one frame only after `at`.
        let mut short = vec![vec![0.0; 4], vec![0.0; 3]];
        assert_eq!(PcmEncoding::S24.deinterleave(&bytes, &mut short, 2), 1);
        assert_eq!(short[1][2], 4.0 / 8_388_608.0);
        assert_eq!(PcmEncoding::S24.deinterleave(&bytes, &mut [], 0), 0);
    }
}
