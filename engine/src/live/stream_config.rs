//! Agreeing on a stream with a device: which rate, how many channels, which sample format
//! and what buffer size, from what the device supports and what the session would like.

use cpal::{BufferSize, SampleFormat, SupportedBufferSize, SupportedStreamConfigRange};
use serde::Serialize;

use super::devices::{Direction, label, supported_ranges};
use super::error::LiveError;

/// Sample formats in order of preference: float first (no conversion), then the widest
/// integers. DSD formats are never chosen.
const FORMATS: [SampleFormat; 12] = [
    SampleFormat::F32,
    SampleFormat::I32,
    SampleFormat::I24,
    SampleFormat::I16,
    SampleFormat::F64,
    SampleFormat::U32,
    SampleFormat::U24,
    SampleFormat::U16,
    SampleFormat::I64,
    SampleFormat::U64,
    SampleFormat::U8,
    SampleFormat::I8,
];

/// Rates tried after the ones asked for.
pub const COMMON_RATES: [u32; 6] = [48_000, 44_100, 96_000, 88_200, 192_000, 32_000];

/// The stream the session opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSetup {
    /// Frames per second.
    pub sample_rate: u32,
    /// Device channels.
    pub channels: u16,
    /// Sample format of the device buffer.
    pub format: SampleFormat,
    /// Frames per callback asked for (`None`: the device's default).
    pub buffer: Option<u32>,
}

/// A [`StreamSetup`] for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamSummary {
    /// Frames per second.
    pub sample_rate: u32,
    /// Device channels.
    pub channels: u16,
    /// Sample format, e.g. `f32`.
    pub format: String,
    /// Frames per callback asked for, when one was.
    pub buffer: Option<u32>,
}

impl StreamSetup {
    /// The cpal stream configuration.
    pub fn config(&self) -> cpal::StreamConfig {
        cpal::StreamConfig {
            channels: self.channels,
            sample_rate: self.sample_rate,
            buffer_size: self.buffer.map_or(BufferSize::Default, BufferSize::Fixed),
        }
    }

    /// For reports.
    pub fn summary(&self) -> StreamSummary {
        StreamSummary {
            sample_rate: self.sample_rate,
            channels: self.channels,
            format: self.format.to_string(),
            buffer: self.buffer,
        }
    }
}

/// What the session would like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRequest {
    /// Channels wanted.
    pub channels: usize,
    /// Rates in order of preference; [`COMMON_RATES`] are tried after them.
    pub rates: Vec<u32>,
    /// Frames per callback wanted, if any.
    pub block: Option<u32>,
    /// Whether another channel count will do (the closest wider one, else the widest).
    pub flexible_channels: bool,
}

/// Picks a stream from `ranges` for `request`: the first rate (in order of preference) at
/// which a suitable channel count is supported, the best sample format there, and the
/// requested buffer size when it lies in the supported range.
pub fn choose(
    ranges: &[SupportedStreamConfigRange],
    request: &StreamRequest,
) -> Option<StreamSetup> {
    let rates = request.rates.iter().chain(COMMON_RATES.iter());
    for &rate in rates {
        let at_rate: Vec<&SupportedStreamConfigRange> = ranges
            .iter()
            .filter(|r| r.contains_rate(rate) && FORMATS.contains(&r.sample_format()))
            .collect();
        let Some(channels) = pick_channels(&at_rate, request) else {
            continue;
        };
        let best = at_rate
            .iter()
            .filter(|r| usize::from(r.channels()) == channels)
            .min_by_key(|r| {
                FORMATS
                    .iter()
                    .position(|f| *f == r.sample_format())
                    .unwrap_or(FORMATS.len())
            })?;
        let buffer = request.block.filter(|b| match best.buffer_size() {
            SupportedBufferSize::Range { min, max } => (min..=max).contains(&b),
            SupportedBufferSize::Unknown => false,
        });
        return Some(StreamSetup {
            sample_rate: rate,
            channels: best.channels(),
            format: best.sample_format(),
            buffer,
        });
    }
    None
}

fn pick_channels(ranges: &[&SupportedStreamConfigRange], request: &StreamRequest) -> Option<usize> {
    let mut counts: Vec<usize> = ranges.iter().map(|r| usize::from(r.channels())).collect();
    counts.sort_unstable();
    counts.dedup();
    if counts.contains(&request.channels) {
        return Some(request.channels);
    }
    if !request.flexible_channels {
        return None;
    }
    counts
        .iter()
        .copied()
        .find(|&c| c > request.channels)
        .or_else(|| counts.last().copied())
}

/// Agrees on a stream with `device`.
///
/// # Errors
/// [`LiveError::Device`] when the device cannot be queried, [`LiveError::UnsupportedStream`]
/// when nothing it supports fits.
pub fn negotiate(
    device: &cpal::Device,
    direction: Direction,
    request: &StreamRequest,
) -> Result<StreamSetup, LiveError> {
    let ranges = supported_ranges(device, direction)?;
    choose(&ranges, request).ok_or_else(|| LiveError::UnsupportedStream {
        direction: direction.as_str(),
        device: label(device),
        channels: request.channels,
        rate: request.rates.first().copied().unwrap_or(COMMON_RATES[0]),
        supported: describe(&ranges),
    })
}

/// The rates among `candidates` (and [`COMMON_RATES`]) a device supports in one direction.
pub fn supported_rates(ranges: &[SupportedStreamConfigRange], candidates: &[u32]) -> Vec<u32> {
    let mut rates: Vec<u32> = candidates
        .iter()
        .chain(COMMON_RATES.iter())
        .copied()
        .filter(|&rate| ranges.iter().any(|r| r.contains_rate(rate)))
        .collect();
    rates.sort_unstable();
    rates.dedup();
    rates
}

/// Supported ranges for people: "2 ch f32 8000-192000 Hz, 1 ch i16 44100 Hz".
pub fn describe(ranges: &[SupportedStreamConfigRange]) -> String {
    if ranges.is_empty() {
        return "nothing".to_string();
    }
    let mut parts: Vec<String> = ranges
        .iter()
        .map(|r| {
            let rates = if r.min_sample_rate() == r.max_sample_rate() {
                format!("{} Hz", r.min_sample_rate())
            } else {
                format!("{}-{} Hz", r.min_sample_rate(), r.max_sample_rate())
            };
            format!("{} ch {} {rates}", r.channels(), r.sample_format())
        })
        .collect();
    parts.dedup();
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(
        channels: u16,
        min: u32,
        max: u32,
        format: SampleFormat,
    ) -> SupportedStreamConfigRange {
        SupportedStreamConfigRange::new(
            channels,
            min,
            max,
            SupportedBufferSize::Range { min: 32, max: 4096 },
            format,
        )
    }

    fn request(channels: usize, rates: &[u32], block: Option<u32>) -> StreamRequest {
        StreamRequest {
            channels,
            rates: rates.to_vec(),
            block,
            flexible_channels: true,
        }
    }

    #[test]
    fn the_preferred_rate_and_float_win_when_supported() {
        let ranges = [
            range(2, 8000, 96_000, SampleFormat::I16),
            range(2, 8000, 96_000, SampleFormat::F32),
        ];
        let s = choose(&ranges, &request(2, &[44_100], Some(64))).unwrap();
        assert_eq!(
            s,
            StreamSetup {
                sample_rate: 44_100,
                channels: 2,
                format: SampleFormat::F32,
                buffer: Some(64)
            }
        );
    }

    #[test]
    fn an_unsupported_rate_falls_back_to_a_common_one_and_odd_buffers_to_the_default() {
        let ranges = [range(2, 48_000, 48_000, SampleFormat::I16)];
        let s = choose(&ranges, &request(2, &[44_100], Some(10))).unwrap();
        assert_eq!(
            (s.sample_rate, s.format, s.buffer),
            (48_000, SampleFormat::I16, None)
        );
    }

    #[test]
    fn channels_fall_back_to_the_closest_wider_count_only_when_allowed() {
        let ranges = [
            range(4, 48_000, 48_000, SampleFormat::F32),
            range(8, 48_000, 48_000, SampleFormat::F32),
        ];
        assert_eq!(
            choose(&ranges, &request(2, &[48_000], None))
                .unwrap()
                .channels,
            4
        );
        let strict = StreamRequest {
            flexible_channels: false,
            ..request(2, &[48_000], None)
        };
        assert_eq!(choose(&ranges, &strict), None);
        assert_eq!(
            choose(&ranges, &request(10, &[48_000], None))
                .unwrap()
                .channels,
            8
        );
    }

    #[test]
    fn describe_lists_what_the_device_can_do() {
        let ranges = [
            range(2, 44_100, 44_100, SampleFormat::I16),
            range(1, 8000, 96_000, SampleFormat::F32),
        ];
        assert_eq!(
            describe(&ranges),
            "2 ch i16 44100 Hz, 1 ch f32 8000-96000 Hz"
        );
        assert_eq!(
            supported_rates(&ranges, &[22_050]),
            vec![22_050, 32_000, 44_100, 48_000, 88_200, 96_000]
        );
    }
}
