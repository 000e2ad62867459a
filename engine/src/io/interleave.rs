//! Planar sample codes to the interleaved little-endian bytes of a WAV data chunk, written
//! frame by frame in order (mono and stereo in loops of their own with constant offsets).

/// Writes `frames` frames of `codes` (one vector per channel, each at least `frames` long)
/// into `bytes` as interleaved little-endian codes of `width` bytes (2, 3 or 4; the low bytes
/// of each code). `bytes` holds `frames * codes.len() * width` bytes; anything shorter lowers
/// the count of frames written.
pub(crate) fn interleave(codes: &[Vec<i32>], frames: usize, width: usize, bytes: &mut [u8]) {
    match width {
        2 => interleave_as::<2>(codes, frames, bytes),
        3 => interleave_as::<3>(codes, frames, bytes),
        _ => interleave_as::<4>(codes, frames, bytes),
    }
}

fn interleave_as<const W: usize>(codes: &[Vec<i32>], frames: usize, bytes: &mut [u8]) {
    let frame_bytes = W * codes.len();
    if frame_bytes == 0 {
        return;
    }
    let frames = codes.iter().map(Vec::len).fold(frames, usize::min);
    let frames = frames.min(bytes.len() / frame_bytes);
    let bytes = &mut bytes[..frames * frame_bytes];
    match codes {
        [mono] => {
            for (dst, &c) in bytes.chunks_exact_mut(W).zip(&mono[..frames]) {
                dst.copy_from_slice(&low_bytes::<W>(c));
            }
        }
        [left, right] => {
            let pairs = left[..frames].iter().zip(&right[..frames]);
            for (frame, (&l, &r)) in bytes.chunks_exact_mut(2 * W).zip(pairs) {
                let (a, b) = frame.split_at_mut(W);
                a.copy_from_slice(&low_bytes::<W>(l));
                b.copy_from_slice(&low_bytes::<W>(r));
            }
        }
        _ => {
            for (frame, f) in bytes.chunks_exact_mut(frame_bytes).zip(0..frames) {
                for (dst, channel) in frame.chunks_exact_mut(W).zip(codes) {
                    dst.copy_from_slice(&low_bytes::<W>(channel[f]));
                }
            }
        }
    }
}

/// The `W` low bytes of a code, little-endian.
#[inline(always)]
fn low_bytes<const W: usize>(code: i32) -> [u8; W] {
    let le = code.to_le_bytes();
    std::array::from_fn(|i| le[i % 4])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layout_and_width_matches_a_plain_frame_by_frame_write() {
        for channels in [1usize, 2, 3, 6] {
            let frames = 257;
            let codes: Vec<Vec<i32>> = (0..channels)
                .map(|c| {
                    (0..frames)
                        .map(|f| ((f * 7919 + c * 104_729) as i32).wrapping_mul(-0x02f3_a1b5))
                        .collect()
                })
                .collect();
            for width in [2usize, 3, 4] {
                let mut want = Vec::new();
                for f in 0..frames {
                    for channel in &codes {
                        want.extend_from_slice(&channel[f].to_le_bytes()[..width]);
                    }
                }
                let mut got = vec![0xaa; want.len() + 5];
                interleave(&codes, frames, width, &mut got);
                assert_eq!(
                    &got[..want.len()],
                    &want[..],
                    "{channels} ch, {width} bytes"
                );
                assert!(
                    got[want.len()..].iter().all(|&b| b == 0xaa),
                    "nothing past the end"
                );
            }
        }
    }

    #[test]
    fn short_buffers_lower_the_count_instead_of_panicking() {
        let codes = vec![vec![1, 2, 3], vec![4, 5]];
        let mut bytes = vec![0u8; 100];
        interleave(&codes, 3, 3, &mut bytes);
        assert_eq!(&bytes[..12], &[1, 0, 0, 4, 0, 0, 2, 0, 0, 5, 0, 0]);
        assert!(bytes[12..].iter().all(|&b| b == 0));
        let mut small = vec![0u8; 7];
        interleave(&codes, 3, 3, &mut small);
        assert_eq!(&small, &[1, 0, 0, 4, 0, 0, 0]);
        interleave(&[], 3, 2, &mut small);
    }
}
