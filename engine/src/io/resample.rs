//! Streaming sample-rate conversion of planar audio with rubato's FFT resampler: push any
//! number of frames in, pop converted frames out, [`Resampler::finish`] at the end. The
//! resampler's delay is removed, so output frame `m` is the input at time `m * from / to`,
//! and after `finish` exactly `round(frames_in * to / from)` frames come out.
//!
//! The FFT resampler is a windowed-sinc (Blackman-Harris squared) filter applied in the
//! frequency domain; its FFT lengths are chosen even on both sides so its delay is a whole
//! number of output frames and can be trimmed exactly.

use rubato::audioadapter_buffers::direct::SequentialSliceOfVecs;
use rubato::{Fft, FixedSync, Resampler as _, WindowFunction};

use crate::io::error::AudioIoError;

/// The smallest FFT length on either side: a longer filter has a sharper anti-aliasing
/// cutoff (at 2048 points the passband reaches 99.3 % of the lower Nyquist frequency).
const MIN_FFT_LEN: usize = 2048;

/// Queued output frames after which consumed frames are compacted away.
const COMPACT_AFTER: usize = 1 << 14;

/// A streaming planar resampler between two fixed rates.
pub struct Resampler {
    from: u32,
    to: u32,
    channels: usize,
    /// `None` when the rates are equal: frames pass through unchanged.
    fft: Option<Box<Fft<f32>>>,
    /// One chunk of input being gathered.
    input: Vec<Vec<f32>>,
    input_fill: usize,
    /// One chunk of raw output.
    chunk_out: Vec<Vec<f32>>,
    /// Converted frames not yet popped: `queue[ch][queue_pos..]`.
    queue: Vec<Vec<f32>>,
    queue_pos: usize,
    /// Output frames of the resampler's delay still to drop.
    to_trim: usize,
    frames_in: u64,
    frames_out: u64,
    /// The exact output length, once [`Resampler::finish`] has been called.
    target: Option<u64>,
    context: String,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resampler")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("channels", &self.channels)
            .finish_non_exhaustive()
    }
}

impl Resampler {
    /// A resampler from `from` Hz to `to` Hz for `channels` channels. `context` (a file name)
    /// is used in error messages.
    ///
    /// # Errors
    /// [`AudioIoError::Resampler`] for a zero rate or zero channels.
    pub fn new(
        from: u32,
        to: u32,
        channels: usize,
        context: impl Into<String>,
    ) -> Result<Self, AudioIoError> {
        let context = context.into();
        let error = |reason: String| AudioIoError::Resampler {
            context: context.clone(),
            from,
            to,
            channels,
            reason,
        };
        if from == 0 || to == 0 || channels == 0 {
            return Err(error(
                "rates and channel count must be positive".to_string(),
            ));
        }
        let (fft, chunk_in, chunk_out, delay) = if from == to {
            (None, 0, 0, 0)
        } else {
            let gcd = gcd(from as usize, to as usize);
            let (min_in, min_out) = (from as usize / gcd, to as usize / gcd);
            // An even number of minimum blocks makes both FFT lengths even, so the filter's
            // centre (half the input length) is exactly half the output length.
            let blocks = MIN_FFT_LEN
                .div_ceil(min_in.min(min_out))
                .next_multiple_of(2);
            let fft = Fft::<f32>::new_custom(
                from as usize,
                to as usize,
                blocks * min_in,
                1,
                channels,
                WindowFunction::BlackmanHarris2,
                FixedSync::Both,
            )
            .map_err(|e| error(e.to_string()))?;
            let (chunk_in, chunk_out, delay) = (
                fft.input_frames_max(),
                fft.output_frames_max(),
                fft.output_delay(),
            );
            (Some(Box::new(fft)), chunk_in, chunk_out, delay)
        };
        Ok(Resampler {
            from,
            to,
            channels,
            fft,
            input: vec![vec![0.0; chunk_in]; channels],
            input_fill: 0,
            chunk_out: vec![vec![0.0; chunk_out]; channels],
            queue: vec![Vec::with_capacity(chunk_out + COMPACT_AFTER); channels],
            queue_pos: 0,
            to_trim: delay,
            frames_in: 0,
            frames_out: 0,
            target: None,
            context,
        })
    }

    /// Input rate.
    pub fn from_rate(&self) -> u32 {
        self.from
    }

    /// Output rate.
    pub fn to_rate(&self) -> u32 {
        self.to
    }

    /// Channel count.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Converted frames ready to pop.
    pub fn available(&self) -> usize {
        self.queue.first().map_or(0, |q| q.len() - self.queue_pos)
    }

    /// Whether [`Resampler::finish`] has been called.
    pub fn is_finished(&self) -> bool {
        self.target.is_some()
    }

    /// Whether [`Resampler::finish`] has been called and every frame popped.
    pub fn is_drained(&self) -> bool {
        self.target.is_some() && self.available() == 0
    }

    /// The exact number of output frames for `frames_in` input frames:
    /// `round(frames_in * to / from)`.
    pub fn output_len(&self, frames_in: u64) -> u64 {
        output_len(frames_in, self.from, self.to)
    }

    /// Feeds `frames` frames of planar input (`input[ch][..frames]`, one slice per channel;
    /// missing channels read as silence). Converted frames become available to
    /// [`Resampler::pop`]. Input after [`Resampler::finish`] is ignored.
    ///
    /// # Errors
    /// [`AudioIoError::Resampler`] if rubato refuses a chunk (it does not with the buffers
    /// this type prepares).
    pub fn push<S: AsRef<[f32]>>(
        &mut self,
        input: &[S],
        frames: usize,
    ) -> Result<(), AudioIoError> {
        if self.target.is_some() {
            return Ok(());
        }
        let frames = input
            .iter()
            .map(|c| c.as_ref().len())
            .fold(frames, usize::min);
        self.frames_in += frames as u64;
        if self.fft.is_none() {
            for (ch, q) in self.queue.iter_mut().enumerate() {
                match input.get(ch) {
                    Some(src) => q.extend_from_slice(&src.as_ref()[..frames]),
                    None => q.resize(q.len() + frames, 0.0),
                }
            }
            self.frames_out += frames as u64;
            return Ok(());
        }
        let chunk_in = self.input.first().map_or(0, Vec::len);
        let mut done = 0;
        while done < frames {
            let n = (chunk_in - self.input_fill).min(frames - done);
            for (ch, buf) in self.input.iter_mut().enumerate() {
                let dst = &mut buf[self.input_fill..self.input_fill + n];
                match input.get(ch) {
                    Some(src) => dst.copy_from_slice(&src.as_ref()[done..done + n]),
                    None => dst.fill(0.0),
                }
            }
            self.input_fill += n;
            done += n;
            if self.input_fill == chunk_in {
                self.run_chunk()?;
            }
        }
        Ok(())
    }

    /// Marks the end of the input: the last partial chunk is converted and the filter's tail
    /// flushed, so that exactly [`Resampler::output_len`] frames come out in total.
    ///
    /// # Errors
    /// As [`Resampler::push`].
    pub fn finish(&mut self) -> Result<(), AudioIoError> {
        if self.target.is_some() {
            return Ok(());
        }
        let target = self.output_len(self.frames_in);
        self.target = Some(target);
        if self.fft.is_none() {
            return Ok(());
        }
        while self.frames_out < target {
            for buf in &mut self.input {
                buf[self.input_fill..].fill(0.0);
            }
            self.run_chunk()?;
        }
        Ok(())
    }

    /// Copies up to `max_frames` converted frames into `out[ch][..n]` (buffers at least that
    /// long; shorter buffers lower the count) and returns `n`.
    pub fn pop(&mut self, out: &mut [Vec<f32>], max_frames: usize) -> usize {
        let n = out
            .iter()
            .take(self.channels)
            .map(Vec::len)
            .fold(max_frames.min(self.available()), usize::min);
        for (dst, q) in out.iter_mut().zip(&self.queue) {
            dst[..n].copy_from_slice(&q[self.queue_pos..self.queue_pos + n]);
        }
        self.queue_pos += n;
        if self.available() == 0 {
            self.queue.iter_mut().for_each(Vec::clear);
            self.queue_pos = 0;
        } else if self.queue_pos >= COMPACT_AFTER {
            let pos = self.queue_pos;
            self.queue.iter_mut().for_each(|q| {
                q.drain(..pos);
            });
            self.queue_pos = 0;
        }
        n
    }

    /// Resets to the state right after construction.
    pub fn reset(&mut self) {
        if let Some(fft) = &mut self.fft {
            fft.reset();
            self.to_trim = fft.output_delay();
        }
        self.input_fill = 0;
        self.queue.iter_mut().for_each(Vec::clear);
        self.queue_pos = 0;
        self.frames_in = 0;
        self.frames_out = 0;
        self.target = None;
    }

    /// Converts the gathered input chunk and queues its output, minus the delay still to
    /// trim and anything past the target length.
    fn run_chunk(&mut self) -> Result<(), AudioIoError> {
        let Some(fft) = self.fft.as_deref_mut() else {
            return Ok(());
        };
        let chunk_in = self.input.first().map_or(0, Vec::len);
        let chunk_out = self.chunk_out.first().map_or(0, Vec::len);
        let error = |reason: String| AudioIoError::Resampler {
            context: self.context.clone(),
            from: self.from,
            to: self.to,
            channels: self.channels,
            reason,
        };
        let produced = {
            let input = SequentialSliceOfVecs::new(&self.input, self.channels, chunk_in)
                .map_err(|e| error(e.to_string()))?;
            let mut output =
                SequentialSliceOfVecs::new_mut(&mut self.chunk_out, self.channels, chunk_out)
                    .map_err(|e| error(e.to_string()))?;
            fft.process_into_buffer(&input, &mut output, None)
                .map_err(|e| error(e.to_string()))?
                .1
        };
        self.input_fill = 0;
        let skip = self.to_trim.min(produced);
        self.to_trim -= skip;
        let mut keep = produced - skip;
        if let Some(target) = self.target {
            keep = keep.min(target.saturating_sub(self.frames_out) as usize);
        }
        for (q, out) in self.queue.iter_mut().zip(&self.chunk_out) {
            q.extend_from_slice(&out[skip..skip + keep]);
        }
        self.frames_out += keep as u64;
        Ok(())
    }
}

/// `round(frames * to / from)`, exactly, in integers.
pub fn output_len(frames: u64, from: u32, to: u32) -> u64 {
    if from == 0 {
        return 0;
    }
    let (frames, from, to) = (u128::from(frames), u128::from(from), u128::from(to));
    ((frames * to + from / 2) / from) as u64
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// Resamples `input` in pieces of `piece` frames and returns all output.
    fn convert(input: &[Vec<f32>], from: u32, to: u32, piece: usize) -> Vec<Vec<f32>> {
        let channels = input.len();
        let mut r = Resampler::new(from, to, channels, "test").unwrap();
        let len = input[0].len();
        let mut out = vec![Vec::new(); channels];
        let mut buf = vec![vec![0.0f32; 4096]; channels];
        let mut drain = |r: &mut Resampler, out: &mut Vec<Vec<f32>>| loop {
            let n = r.pop(&mut buf, 4096);
            if n == 0 {
                break;
            }
            for (o, b) in out.iter_mut().zip(&buf) {
                o.extend_from_slice(&b[..n]);
            }
        };
        let mut pos = 0;
        while pos < len {
            let n = piece.min(len - pos);
            let slices: Vec<&[f32]> = input.iter().map(|c| &c[pos..pos + n]).collect();
            r.push(&slices, n).unwrap();
            drain(&mut r, &mut out);
            pos += n;
        }
        r.finish().unwrap();
        drain(&mut r, &mut out);
        assert!(r.is_drained());
        out
    }

    fn sine(freq: f64, rate: u32, amp: f64, phase: f64, len: usize) -> Vec<f32> {
        (0..len)
            .map(|n| (amp * (2.0 * PI * freq * n as f64 / f64::from(rate) + phase).sin()) as f32)
            .collect()
    }

    fn rms(x: &[f32]) -> f64 {
        (x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn output_length_is_the_rounded_ratio_for_every_rate_pair() {
        for &(from, to) in &[
            (44_100, 48_000),
            (48_000, 44_100),
            (48_000, 96_000),
            (96_000, 44_100),
            (22_050, 48_000),
        ] {
            for len in [0usize, 1, 100, 10_007] {
                let input = vec![vec![0.25f32; len]; 2];
                let out = convert(&input, from, to, 999);
                let expected = ((len as f64) * f64::from(to) / f64::from(from)).round() as usize;
                assert_eq!(out[0].len(), expected, "{from} -> {to}, {len} frames");
                assert_eq!(out[1].len(), expected);
            }
        }
    }

    #[test]
    fn a_sine_keeps_its_phase_and_amplitude_at_the_new_rate() {
        // 997 Hz at 0.5 FS with a 0.3 rad phase, 44.1 kHz -> 48 kHz: away from the edges the
        // output must be the same analytic sine sampled at 48 kHz.
        let (from, to, f, amp, phase) = (44_100, 48_000, 997.0, 0.5, 0.3);
        let input = vec![sine(f, from, amp, phase, 44_100)];
        let out = convert(&input, from, to, 1000);
        let expected = sine(f, to, amp, phase, out[0].len());
        let edge = 4000;
        let worst = out[0][edge..out[0].len() - edge]
            .iter()
            .zip(&expected[edge..])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst < 2e-5,
            "largest deviation from the analytic sine: {worst}"
        );
    }

    #[test]
    fn downsampling_keeps_phase_too() {
        let (from, to, f, amp, phase) = (96_000, 44_100, 3_000.0, 0.8, -1.1);
        let input = vec![sine(f, from, amp, phase, 96_000)];
        let out = convert(&input, from, to, 777);
        let expected = sine(f, to, amp, phase, out[0].len());
        let edge = 3000;
        let worst = out[0][edge..out[0].len() - edge]
            .iter()
            .zip(&expected[edge..])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst < 2e-5,
            "largest deviation from the analytic sine: {worst}"
        );
    }

    #[test]
    fn a_1khz_sine_keeps_its_level_within_0_05_db() {
        for &(from, to) in &[(44_100, 48_000), (48_000, 44_100), (48_000, 96_000)] {
            let input = vec![sine(1000.0, from, 0.5, 0.0, from as usize)];
            let out = convert(&input, from, to, 4096);
            let edge = to as usize / 10;
            let level = rms(&out[0][edge..out[0].len() - edge]);
            let db = 20.0 * (level / (0.5 / 2f64.sqrt())).log10();
            assert!(
                db.abs() < 0.05,
                "{from} -> {to}: level changed by {db:.4} dB"
            );
        }
    }

    #[test]
    fn channels_are_converted_independently() {
        let input = vec![sine(440.0, 48_000, 0.5, 0.0, 20_000), vec![0.0; 20_000]];
        let out = convert(&input, 48_000, 44_100, 512);
        assert!(rms(&out[0]) > 0.3);
        assert!(
            out[1].iter().all(|x| x.abs() < 1e-6),
            "silence stays silent, no crosstalk"
        );
    }

    #[test]
    fn piece_size_does_not_change_the_output() {
        let input = vec![sine(1234.0, 44_100, 0.7, 0.2, 30_000)];
        let a = convert(&input, 44_100, 48_000, 1);
        let b = convert(&input, 44_100, 48_000, 30_000);
        assert_eq!(a, b);
    }

    #[test]
    fn equal_rates_pass_frames_through_unchanged() {
        let input = vec![sine(100.0, 48_000, 0.5, 0.0, 5000)];
        assert_eq!(convert(&input, 48_000, 48_000, 333), input);
    }

    #[test]
    fn zero_rates_are_refused() {
        assert!(matches!(
            Resampler::new(0, 48_000, 2, "x"),
            Err(AudioIoError::Resampler { .. })
        ));
        assert!(matches!(
            Resampler::new(48_000, 44_100, 0, "x"),
            Err(AudioIoError::Resampler { .. })
        ));
    }

    #[test]
    fn output_len_rounds_to_nearest() {
        assert_eq!(output_len(147, 44_100, 48_000), 160);
        assert_eq!(output_len(1, 44_100, 48_000), 1);
        assert_eq!(output_len(3, 48_000, 16_000), 1);
        assert_eq!(output_len(u64::MAX / 2, 1, 1), u64::MAX / 2);
    }
}
