//! The sound system as cpal sees it: hosts, their input and output devices, and the stream
//! configurations each device supports (channels, rate range, sample format, buffer sizes).
//! Also finding a host or device by name for `--device`.

use cpal::traits::{DeviceTrait, HostTrait};
use cpal::{SupportedBufferSize, SupportedStreamConfigRange};
use serde::Serialize;

use super::error::LiveError;

/// Which way audio flows through a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Capture.
    Input,
    /// Playback.
    Output,
}

impl Direction {
    /// "input" or "output".
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Input => "input",
            Direction::Output => "output",
        }
    }
}

/// Every host and its devices.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceList {
    /// The hosts compiled in and available here, the default first.
    pub hosts: Vec<HostDevices>,
}

/// One host's devices.
#[derive(Debug, Clone, Serialize)]
pub struct HostDevices {
    /// The host's name, as `--host` takes it.
    pub host: String,
    /// The id of the default input device.
    pub default_input: Option<String>,
    /// The id of the default output device.
    pub default_output: Option<String>,
    /// The devices.
    pub devices: Vec<DeviceInfo>,
    /// Why the host or its device list could not be read.
    pub error: Option<String>,
}

/// One device.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceInfo {
    /// Its name for people.
    pub name: String,
    /// Its id (`host:device`), unique and accepted by `--device`.
    pub id: String,
    /// Further lines of description the host gives.
    pub description: Vec<String>,
    /// What it can capture, when it can.
    pub input: Option<DirectionInfo>,
    /// What it can play, when it can.
    pub output: Option<DirectionInfo>,
}

/// What a device supports in one direction.
#[derive(Debug, Clone, Serialize)]
pub struct DirectionInfo {
    /// The configuration the device prefers.
    pub default: Option<ConfigInfo>,
    /// Every supported configuration range (consecutive channel counts merged).
    pub configs: Vec<ConfigInfo>,
    /// Why the configurations could not be read.
    pub error: Option<String>,
}

/// A range of stream configurations: every channel count from `min_channels` to
/// `max_channels`, at every rate from `min_rate` to `max_rate`, in one sample format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigInfo {
    /// Fewest channels.
    pub min_channels: u16,
    /// Most channels.
    pub max_channels: u16,
    /// Lowest sample rate.
    pub min_rate: u32,
    /// Highest sample rate.
    pub max_rate: u32,
    /// Sample format, e.g. `f32`, `i16`.
    pub format: String,
    /// Smallest buffer, in frames, when known.
    pub min_buffer: Option<u32>,
    /// Largest buffer, in frames, when known.
    pub max_buffer: Option<u32>,
}

impl ConfigInfo {
    fn new(
        channels: u16,
        min_rate: u32,
        max_rate: u32,
        format: cpal::SampleFormat,
        buffer: SupportedBufferSize,
    ) -> Self {
        let (min_buffer, max_buffer) = match buffer {
            SupportedBufferSize::Range { min, max } => (Some(min), Some(max)),
            SupportedBufferSize::Unknown => (None, None),
        };
        ConfigInfo {
            min_channels: channels,
            max_channels: channels,
            min_rate,
            max_rate,
            format: format.to_string(),
            min_buffer,
            max_buffer,
        }
    }

    fn from_range(r: &SupportedStreamConfigRange) -> Self {
        ConfigInfo::new(
            r.channels(),
            r.min_sample_rate(),
            r.max_sample_rate(),
            r.sample_format(),
            *r.buffer_size(),
        )
    }

    /// Takes in `next` when it continues this range by one channel; returns whether it did.
    fn absorb(&mut self, next: &ConfigInfo) -> bool {
        let continues = self.format == next.format
            && self.min_rate == next.min_rate
            && self.max_rate == next.max_rate
            && self.max_channels + 1 == next.min_channels;
        if continues {
            self.max_channels = next.max_channels;
            self.min_buffer = match (self.min_buffer, next.min_buffer) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            self.max_buffer = self.max_buffer.max(next.max_buffer);
        }
        continues
    }
}

/// Supported ranges with consecutive channel counts merged (a device that takes 1 to 32
/// channels in every format is a dozen lines, not hundreds).
pub fn merged_configs(ranges: &[SupportedStreamConfigRange]) -> Vec<ConfigInfo> {
    let mut sorted = ranges.to_vec();
    sorted.sort_by_key(|r| {
        (
            r.sample_format(),
            r.min_sample_rate(),
            r.max_sample_rate(),
            r.channels(),
        )
    });
    let mut merged: Vec<ConfigInfo> = Vec::new();
    for r in &sorted {
        let info = ConfigInfo::from_range(r);
        if !merged.last_mut().is_some_and(|last| last.absorb(&info)) {
            merged.push(info);
        }
    }
    merged
}

/// Lists every available host, its devices and what they support. Devices that cannot be
/// queried are listed with the reason.
pub fn list_devices() -> DeviceList {
    let hosts = cpal::available_hosts()
        .into_iter()
        .map(|id| match cpal::host_from_id(id) {
            Ok(host) => host_devices(&host),
            Err(e) => HostDevices {
                host: id.name().to_string(),
                default_input: None,
                default_output: None,
                devices: Vec::new(),
                error: Some(e.to_string()),
            },
        })
        .collect();
    DeviceList { hosts }
}

fn host_devices(host: &cpal::Host) -> HostDevices {
    let id_of = |d: Option<cpal::Device>| d.and_then(|d| d.id().ok()).map(|id| id.to_string());
    let (devices, error) = match host.devices() {
        Ok(devices) => (devices.map(|d| device_info(&d)).collect(), None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    HostDevices {
        host: host.id().name().to_string(),
        default_input: id_of(host.default_input_device()),
        default_output: id_of(host.default_output_device()),
        devices,
        error,
    }
}

fn device_info(d: &cpal::Device) -> DeviceInfo {
    let description = d.description().ok();
    DeviceInfo {
        name: label_name(d),
        id: d.id().map(|id| id.to_string()).unwrap_or_default(),
        description: description
            .map(|desc| desc.extended().map(str::to_string).collect())
            .unwrap_or_default(),
        input: may_support(d, Direction::Input).then(|| direction_info(d, Direction::Input)),
        output: may_support(d, Direction::Output).then(|| direction_info(d, Direction::Output)),
    }
}

fn direction_info(d: &cpal::Device, direction: Direction) -> DirectionInfo {
    let default = match direction {
        Direction::Input => d.default_input_config(),
        Direction::Output => d.default_output_config(),
    };
    let default = default.ok().map(|c| {
        ConfigInfo::new(
            c.channels(),
            c.sample_rate(),
            c.sample_rate(),
            c.sample_format(),
            *c.buffer_size(),
        )
    });
    match supported_ranges(d, direction) {
        Ok(ranges) => DirectionInfo {
            default,
            configs: merged_configs(&ranges),
            error: None,
        },
        Err(e) => DirectionInfo {
            default,
            configs: Vec::new(),
            error: Some(e.to_string()),
        },
    }
}

/// The configuration ranges a device supports in one direction.
///
/// # Errors
/// [`LiveError::Device`] when the device cannot be queried.
pub fn supported_ranges(
    d: &cpal::Device,
    direction: Direction,
) -> Result<Vec<SupportedStreamConfigRange>, LiveError> {
    let ranges = match direction {
        Direction::Input => d.supported_input_configs().map(Iterator::collect),
        Direction::Output => d.supported_output_configs().map(Iterator::collect),
    };
    ranges.map_err(|e| LiveError::Device {
        direction: direction.as_str(),
        device: label(d),
        reason: e.to_string(),
    })
}

/// Whether a device supports a direction, or does not say (ALSA's virtual devices).
fn may_support(d: &cpal::Device, direction: Direction) -> bool {
    let supports = match direction {
        Direction::Input => d.supports_input(),
        Direction::Output => d.supports_output(),
    };
    supports
        || d.description()
            .is_ok_and(|desc| desc.direction() == cpal::DeviceDirection::Unknown)
}

fn label_name(d: &cpal::Device) -> String {
    d.description()
        .map(|desc| desc.name().to_string())
        .unwrap_or_else(|_| "(unnamed)".to_string())
}

/// A device named for people: its name and its id.
pub fn label(d: &cpal::Device) -> String {
    match d.id() {
        Ok(id) => format!("{} ({id})", label_name(d)),
        Err(_) => label_name(d),
    }
}

/// The host of that name (case-insensitive), or the first available host.
///
/// # Errors
/// [`LiveError::UnknownHost`] or [`LiveError::HostUnavailable`].
pub fn find_host(name: Option<&str>) -> Result<cpal::Host, LiveError> {
    let available = cpal::available_hosts();
    let names = || {
        available
            .iter()
            .map(|h| h.name().to_string())
            .collect::<Vec<_>>()
    };
    let id = match name {
        Some(name) => *available
            .iter()
            .find(|h| h.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| LiveError::UnknownHost {
                name: name.to_string(),
                available: names(),
            })?,
        None => *available.first().ok_or_else(|| LiveError::UnknownHost {
            name: "(default)".into(),
            available: Vec::new(),
        })?,
    };
    cpal::host_from_id(id).map_err(|e| LiveError::HostUnavailable {
        host: id.name().to_string(),
        reason: e.to_string(),
    })
}

/// The device of that name or id in one direction, or the host's default.
///
/// A name matches a device whose id (with or without the `host:` prefix) or name equals it;
/// failing that, one whose name or id contains it (case-insensitive), if only one does.
///
/// # Errors
/// [`LiveError::NoDefaultDevice`], [`LiveError::UnknownDevice`] or
/// [`LiveError::AmbiguousDevice`].
pub fn find_device(
    host: &cpal::Host,
    name: Option<&str>,
    direction: Direction,
) -> Result<cpal::Device, LiveError> {
    let Some(name) = name else {
        let d = match direction {
            Direction::Input => host.default_input_device(),
            Direction::Output => host.default_output_device(),
        };
        return d.ok_or_else(|| LiveError::NoDefaultDevice {
            host: host.id().name().to_string(),
            direction: direction.as_str(),
        });
    };
    let devices: Vec<cpal::Device> = host
        .devices()
        .map_err(|e| LiveError::HostUnavailable {
            host: host.id().name().to_string(),
            reason: e.to_string(),
        })?
        .filter(|d| may_support(d, direction))
        .collect();
    let keys: Vec<(String, String, String)> = devices
        .iter()
        .map(|d| {
            let id = d.id().ok();
            (
                label_name(d),
                id.as_ref().map(ToString::to_string).unwrap_or_default(),
                id.map(|i| i.id().to_string()).unwrap_or_default(),
            )
        })
        .collect();
    let exact: Vec<usize> = (0..devices.len())
        .filter(|&i| keys[i].0 == name || keys[i].1 == name || keys[i].2 == name)
        .collect();
    let lower = name.to_lowercase();
    let chosen = if exact.is_empty() {
        (0..devices.len())
            .filter(|&i| {
                keys[i].0.to_lowercase().contains(&lower)
                    || keys[i].1.to_lowercase().contains(&lower)
            })
            .collect()
    } else {
        exact
    };
    match chosen.as_slice() {
        [i] => Ok(devices[*i].clone()),
        [] => Err(LiveError::UnknownDevice {
            direction: direction.as_str(),
            name: name.to_string(),
            available: devices.iter().map(label).collect(),
        }),
        many => Err(LiveError::AmbiguousDevice {
            direction: direction.as_str(),
            name: name.to_string(),
            candidates: many.iter().map(|&i| label(&devices[i])).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpal::SampleFormat;

    #[test]
    fn consecutive_channel_counts_merge_and_other_formats_or_rates_do_not() {
        let r = |ch, min, format, max_buffer| {
            let buffer = SupportedBufferSize::Range {
                min: 16,
                max: max_buffer,
            };
            SupportedStreamConfigRange::new(ch, min, 96_000, buffer, format)
        };
        let ranges = [
            r(2, 8000, SampleFormat::F32, 2048),
            r(1, 8000, SampleFormat::F32, 4096),
            r(4, 8000, SampleFormat::F32, 1024),
            r(3, 8000, SampleFormat::I16, 4096),
            r(3, 44_100, SampleFormat::F32, 4096),
        ];
        let summary: Vec<(u16, u16, u32, String, Option<u32>)> = merged_configs(&ranges)
            .into_iter()
            .map(|c| {
                (
                    c.min_channels,
                    c.max_channels,
                    c.min_rate,
                    c.format,
                    c.max_buffer,
                )
            })
            .collect();
        let expected = [
            (3, 3, 8000, "i16", 4096),
            (1, 2, 8000, "f32", 4096),
            (4, 4, 8000, "f32", 1024),
            (3, 3, 44_100, "f32", 4096),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|&(a, b, r, f, m)| (a, b, r, f.to_string(), Some(m)))
            .collect();
        assert_eq!(summary, expected);
    }
}
