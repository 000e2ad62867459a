//! `mixgraph devices`: the audio hosts, their input and output devices, and what each device
//! supports (channels, sample rates, sample formats, buffer sizes); `--json` for scripts.

use std::fmt::Write as _;

use anyhow::Result;
use mixgraph_engine::live::devices::{ConfigInfo, DeviceInfo, DirectionInfo, HostDevices};
use mixgraph_engine::live::list_devices;

use crate::exit::BadInput;

/// Arguments of `mixgraph devices`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only this audio host (e.g. ALSA, JACK).
    #[arg(long)]
    pub host: Option<String>,
}

/// Prints the hosts and devices as text or JSON.
pub fn run(args: &Args, json: bool) -> Result<()> {
    let mut list = list_devices();
    if let Some(host) = &args.host {
        let names: Vec<String> = list.hosts.iter().map(|h| h.host.clone()).collect();
        list.hosts.retain(|h| h.host.eq_ignore_ascii_case(host));
        if list.hosts.is_empty() {
            return Err(BadInput(format!(
                "no audio host `{host}` here; available: {}",
                names.join(", ")
            ))
            .into());
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    if list.hosts.is_empty() {
        println!("no audio host is available");
    }
    for host in &list.hosts {
        print!("{}", describe_host(host));
    }
    Ok(())
}

fn describe_host(host: &HostDevices) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} (default output: {}, default input: {})",
        host.host,
        host.default_output.as_deref().unwrap_or("none"),
        host.default_input.as_deref().unwrap_or("none")
    );
    if let Some(e) = &host.error {
        let _ = writeln!(s, "  cannot list devices: {e}");
    }
    for d in &host.devices {
        s.push_str(&describe_device(d));
    }
    s
}

fn describe_device(d: &DeviceInfo) -> String {
    let mut s = format!("  {}\n    id: {}\n", d.name, d.id);
    for (label, info) in [("output", &d.output), ("input", &d.input)] {
        if let Some(info) = info {
            s.push_str(&describe_direction(label, info));
        }
    }
    s
}

fn describe_direction(label: &str, info: &DirectionInfo) -> String {
    let mut s = String::new();
    match &info.default {
        Some(c) => {
            let _ = writeln!(
                s,
                "    {label}: default {} ch {} {} Hz",
                c.min_channels, c.format, c.min_rate
            );
        }
        None => {
            let _ = writeln!(s, "    {label}:");
        }
    }
    if let Some(e) = &info.error {
        let _ = writeln!(s, "      cannot query: {e}");
    }
    for c in &info.configs {
        let _ = writeln!(s, "      {}", describe_config(c));
    }
    s
}

/// One supported range for people: "f32, 1-8 ch, 8000-192000 Hz, buffer 16-4096 frames".
fn describe_config(c: &ConfigInfo) -> String {
    let channels = if c.min_channels == c.max_channels {
        format!("{} ch", c.min_channels)
    } else {
        format!("{}-{} ch", c.min_channels, c.max_channels)
    };
    // Plugins that resample report every rate from 1 Hz up.
    let rates = match (c.min_rate, c.max_rate) {
        (a, b) if a == b => format!("{a} Hz"),
        (a, b) if a <= 8_000 && b >= 384_000 => "any rate".to_string(),
        (a, b) => format!("{a}-{b} Hz"),
    };
    let buffer = match (c.min_buffer, c.max_buffer) {
        (Some(1), Some(b)) if b >= 1 << 24 => ", any buffer size".to_string(),
        (Some(a), Some(b)) if b >= 1 << 24 => format!(", buffer of {a} frames or more"),
        (Some(a), Some(b)) => format!(", buffer {a}-{b} frames"),
        _ => String::new(),
    };
    format!("{}, {channels}, {rates}{buffer}", c.format)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(channels: (u16, u16), rates: (u32, u32), buffer: Option<(u32, u32)>) -> ConfigInfo {
        ConfigInfo {
            min_channels: channels.0,
            max_channels: channels.1,
            min_rate: rates.0,
            max_rate: rates.1,
            format: "f32".into(),
            min_buffer: buffer.map(|b| b.0),
            max_buffer: buffer.map(|b| b.1),
        }
    }

    #[test]
    fn ranges_read_as_people_write_them() {
        assert_eq!(
            describe_config(&config((2, 2), (48_000, 48_000), None)),
            "f32, 2 ch, 48000 Hz"
        );
        assert_eq!(
            describe_config(&config((1, 8), (44_100, 96_000), Some((16, 4096)))),
            "f32, 1-8 ch, 44100-96000 Hz, buffer 16-4096 frames"
        );
        assert_eq!(
            describe_config(&config((1, 32), (1, u32::MAX), Some((1, u32::MAX)))),
            "f32, 1-32 ch, any rate, any buffer size"
        );
    }
}
