//! The live meter. On the audio thread, `MeterTap` takes per-channel sample peaks and the
//! K-weighted power of the chain output (a few multiplications per sample) and sends one
//! small [`MeterBlock`] per callback through a lock-free queue. On the control thread,
//! [`MeterReader`] turns them into peaks and momentary (400 ms) and short-term (3 s)
//! loudness after ITU-R BS.1770.

use std::collections::VecDeque;

use rtrb::{Consumer, Producer, RingBuffer};
use serde::Serialize;

use super::kweighting::KFilter;

/// Channels whose sample peak is reported (all channels count towards loudness).
pub const METER_CHANNELS: usize = 8;

/// What the audio thread measured over some frames.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MeterBlock {
    /// Frames measured.
    pub frames: u32,
    /// Largest absolute sample per channel.
    pub peak: [f32; METER_CHANNELS],
    /// Sum over the frames of the channel-weighted squares of the K-weighted samples.
    pub weighted_power: f64,
}

/// The audio-thread half: measures and sends. Allocation-free after construction.
pub(crate) struct MeterTap {
    filters: Box<[KFilter]>,
    weights: Box<[f64]>,
    pending: MeterBlock,
    producer: Producer<MeterBlock>,
}

/// The control-thread half: receives and sums up.
pub struct MeterReader {
    consumer: Consumer<MeterBlock>,
    channels: usize,
    sample_rate: f64,
    history: VecDeque<MeterBlock>,
    history_frames: u64,
    peak: [f32; METER_CHANNELS],
}

/// One meter reading.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeterReading {
    /// Sample peak per channel since the previous reading, in dBFS (`-inf` for silence).
    pub peak_dbfs: Vec<f64>,
    /// Loudness of the last 400 ms, in LUFS.
    pub momentary_lufs: f64,
    /// Loudness of the last 3 s, in LUFS.
    pub short_term_lufs: f64,
}

/// Blocks the queue holds; at one block per callback this is seconds of slack.
const QUEUE_BLOCKS: usize = 4096;

/// A connected tap and reader for `channels` channels at `sample_rate`.
pub(crate) fn meter(channels: usize, sample_rate: f64) -> (MeterTap, MeterReader) {
    let (producer, consumer) = RingBuffer::new(QUEUE_BLOCKS);
    let tap = MeterTap {
        filters: (0..channels).map(|_| KFilter::new(sample_rate)).collect(),
        weights: channel_weights(channels).into(),
        pending: MeterBlock::default(),
        producer,
    };
    let reader = MeterReader {
        consumer,
        channels: channels.min(METER_CHANNELS),
        sample_rate,
        history: VecDeque::with_capacity(QUEUE_BLOCKS),
        history_frames: 0,
        peak: [0.0; METER_CHANNELS],
    };
    (tap, reader)
}

/// BS.1770 channel weights: 1 for front channels, 1.41 for surrounds, 0 for the LFE of a
/// 5.1 layout (L R C LFE Ls Rs).
fn channel_weights(channels: usize) -> Vec<f64> {
    match channels {
        5 => vec![1.0, 1.0, 1.0, 1.41, 1.41],
        6 => vec![1.0, 1.0, 1.0, 0.0, 1.41, 1.41],
        n => vec![1.0; n],
    }
}

impl MeterTap {
    /// Measures `frames` frames of `channels[ch]`.
    pub fn measure(&mut self, channels: &[Box<[f32]>], frames: usize) {
        let block = &mut self.pending;
        for (ch, ((data, filter), weight)) in channels
            .iter()
            .zip(self.filters.iter_mut())
            .zip(self.weights.iter())
            .enumerate()
        {
            let data = &data[..frames.min(data.len())];
            let mut peak = 0.0f32;
            let mut power = 0.0f64;
            for &x in data {
                peak = peak.max(x.abs());
                let y = filter.filter(x);
                power += y * y;
            }
            if let Some(p) = block.peak.get_mut(ch) {
                *p = p.max(peak);
            }
            block.weighted_power += weight * power;
        }
        block.frames = block.frames.saturating_add(frames as u32);
    }

    /// Sends what was measured since the last successful send; when the queue is full the
    /// measurement keeps accumulating and goes with the next send.
    pub fn flush(&mut self) {
        if self.pending.frames > 0 && self.producer.push(self.pending).is_ok() {
            self.pending = MeterBlock::default();
        }
    }
}

impl MeterReader {
    /// Takes in everything the audio thread sent and returns the current reading; the peaks
    /// restart from silence after each reading.
    pub fn read(&mut self) -> MeterReading {
        let limit = (3.0 * self.sample_rate).round() as u64;
        while let Ok(block) = self.consumer.pop() {
            for (p, b) in self.peak.iter_mut().zip(block.peak) {
                *p = p.max(b);
            }
            self.history_frames += u64::from(block.frames);
            self.history.push_back(block);
            while let Some(front) = self.history.front() {
                if self.history_frames - u64::from(front.frames) < limit {
                    break;
                }
                self.history_frames -= u64::from(front.frames);
                self.history.pop_front();
            }
        }
        let reading = MeterReading {
            peak_dbfs: self.peak[..self.channels]
                .iter()
                .map(|&p| 20.0 * f64::from(p).log10())
                .collect(),
            momentary_lufs: self.loudness_over((0.4 * self.sample_rate).round() as u64),
            short_term_lufs: self.loudness_over(limit),
        };
        self.peak = [0.0; METER_CHANNELS];
        reading
    }

    /// Loudness of the latest blocks covering at least `frames` frames (or all there are).
    fn loudness_over(&self, frames: u64) -> f64 {
        let mut power = 0.0;
        let mut counted = 0u64;
        for b in self.history.iter().rev() {
            if counted >= frames {
                break;
            }
            power += b.weighted_power;
            counted += u64::from(b.frames);
        }
        if counted == 0 || power <= 0.0 {
            return f64::NEG_INFINITY;
        }
        -0.691 + 10.0 * (power / counted as f64).log10()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn feed(tap: &mut MeterTap, signal: &[Vec<f32>], block: usize) {
        let len = signal[0].len();
        let mut bufs: Vec<Box<[f32]>> = vec![vec![0.0; block].into(); signal.len()];
        let mut pos = 0;
        while pos < len {
            let n = block.min(len - pos);
            for (b, s) in bufs.iter_mut().zip(signal) {
                b[..n].copy_from_slice(&s[pos..pos + n]);
            }
            tap.measure(&bufs, n);
            tap.flush();
            pos += n;
        }
    }

    #[test]
    fn tech_3341_case_1_reads_minus_23_lufs_short_term() {
        // Stereo 1 kHz sine at -23 dBFS peak on both channels reads -23.0 LUFS (+-0.1).
        let rate = 48_000.0;
        let amp = 10f64.powf(-23.0 / 20.0);
        let sine: Vec<f32> = (0..(4.0 * rate) as usize)
            .map(|i| (amp * (2.0 * PI * 1000.0 * i as f64 / rate).sin()) as f32)
            .collect();
        let (mut tap, mut reader) = meter(2, rate);
        feed(&mut tap, &[sine.clone(), sine], 480);
        let r = reader.read();
        assert!(
            (r.short_term_lufs + 23.0).abs() < 0.1,
            "short-term {}",
            r.short_term_lufs
        );
        assert!(
            (r.momentary_lufs + 23.0).abs() < 0.1,
            "momentary {}",
            r.momentary_lufs
        );
        for p in &r.peak_dbfs {
            assert!((p + 23.0).abs() < 0.01, "peak {p}");
        }
        // Peaks restart after a reading; loudness keeps its window.
        let again = reader.read();
        assert_eq!(again.peak_dbfs, vec![f64::NEG_INFINITY; 2]);
        assert_eq!(again.short_term_lufs, r.short_term_lufs);
    }

    #[test]
    fn short_term_loudness_agrees_with_the_ebur128_crate() {
        let rate = 44_100u32;
        let len = rate as usize * 5;
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        let mut noise = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f64 / (1u64 << 23) as f64 - 1.0) as f32 * 0.3
        };
        let left: Vec<f32> = (0..len).map(|_| noise()).collect();
        let right: Vec<f32> = (0..len)
            .map(|i| noise() * (i as f32 / len as f32))
            .collect();
        let (mut tap, mut reader) = meter(2, f64::from(rate));
        feed(&mut tap, &[left.clone(), right.clone()], 441);
        let ours = reader.read().short_term_lufs;
        let mut reference = ebur128::EbuR128::new(2, rate, ebur128::Mode::S).unwrap();
        let interleaved: Vec<f32> = left
            .iter()
            .zip(&right)
            .flat_map(|(l, r)| [*l, *r])
            .collect();
        reference.add_frames_f32(&interleaved).unwrap();
        let theirs = reference.loudness_shortterm().unwrap();
        assert!(
            (ours - theirs).abs() < 0.01,
            "ours {ours}, ebur128 {theirs}"
        );
    }

    #[test]
    fn a_full_queue_keeps_accumulating_until_it_drains() {
        let (mut tap, mut reader) = meter(1, 48_000.0);
        let block: Vec<Box<[f32]>> = vec![vec![0.5; 10].into()];
        for _ in 0..QUEUE_BLOCKS + 5 {
            tap.measure(&block, 10);
            tap.flush();
        }
        assert_eq!(tap.pending.frames, 50, "five blocks wait for room");
        reader.read();
        assert_eq!(reader.history_frames, QUEUE_BLOCKS as u64 * 10);
        tap.flush();
        assert_eq!(tap.pending.frames, 0);
        reader.read();
        assert_eq!(
            reader.history_frames,
            QUEUE_BLOCKS as u64 * 10 + 50,
            "no frame lost"
        );
    }
}
