//! Opening cpal streams in whatever sample format the device takes: the output stream's
//! callback is [`AudioCore::render`] and the input stream's is [`CaptureTap::capture`],
//! monomorphized per format, so the device buffer is written and read without an extra copy.

use std::sync::Arc;

use cpal::traits::DeviceTrait;
use cpal::{FromSample, SampleFormat, SizedSample};

use super::capture::CaptureTap;
use super::core::AudioCore;
use super::devices::{Direction, label};
use super::error::LiveError;
use super::status::SharedStatus;
use super::stream_config::StreamSetup;

/// Calls `$build::<T>($args...)` with `T` the Rust type of a cpal sample format.
macro_rules! with_sample_type {
    ($format:expr, $build:ident, $($arg:expr),*) => {
        match $format {
            SampleFormat::F32 => $build::<f32>($($arg),*),
            SampleFormat::F64 => $build::<f64>($($arg),*),
            SampleFormat::I8 => $build::<i8>($($arg),*),
            SampleFormat::I16 => $build::<i16>($($arg),*),
            SampleFormat::I24 => $build::<cpal::I24>($($arg),*),
            SampleFormat::I32 => $build::<i32>($($arg),*),
            SampleFormat::I64 => $build::<i64>($($arg),*),
            SampleFormat::U8 => $build::<u8>($($arg),*),
            SampleFormat::U16 => $build::<u16>($($arg),*),
            SampleFormat::U24 => $build::<cpal::U24>($($arg),*),
            SampleFormat::U32 => $build::<u32>($($arg),*),
            SampleFormat::U64 => $build::<u64>($($arg),*),
            other => Err(cpal::Error::with_message(
                cpal::ErrorKind::UnsupportedConfig,
                format!("sample format {other} is not supported by mixgraph"),
            )),
        }
    };
}

/// Opens (but does not start) an output stream whose callback renders `core`.
///
/// # Errors
/// [`LiveError::Device`] when the device refuses the stream.
pub(crate) fn open_output(
    device: &cpal::Device,
    setup: &StreamSetup,
    core: AudioCore,
    status: Arc<SharedStatus>,
) -> Result<cpal::Stream, LiveError> {
    let config = setup.config();
    with_sample_type!(setup.format, output_stream, device, config, core, status).map_err(|e| {
        LiveError::Device {
            direction: Direction::Output.as_str(),
            device: label(device),
            reason: e.to_string(),
        }
    })
}

fn output_stream<T>(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    mut core: AudioCore,
    status: Arc<SharedStatus>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + FromSample<f32>,
{
    let errors = status.clone();
    device.build_output_stream::<T, _, _>(
        config,
        move |data: &mut [T], info: &cpal::OutputCallbackInfo| {
            core.render(data);
            let t = info.timestamp();
            status.set_device_delay(t.playback.saturating_duration_since(t.callback));
        },
        move |_error| errors.add_device_error(),
        None,
    )
}

/// Opens (but does not start) an input stream whose callback feeds `tap`.
///
/// # Errors
/// [`LiveError::Device`] when the device refuses the stream.
pub(crate) fn open_input(
    device: &cpal::Device,
    setup: &StreamSetup,
    tap: CaptureTap,
    status: Arc<SharedStatus>,
) -> Result<cpal::Stream, LiveError> {
    let config = setup.config();
    with_sample_type!(setup.format, input_stream, device, config, tap, status).map_err(|e| {
        LiveError::Device {
            direction: Direction::Input.as_str(),
            device: label(device),
            reason: e.to_string(),
        }
    })
}

fn input_stream<T>(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    mut tap: CaptureTap,
    status: Arc<SharedStatus>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample,
    f32: FromSample<T>,
{
    device.build_input_stream::<T, _, _>(
        config,
        move |data: &[T], _info| tap.capture(data),
        move |_error| status.add_device_error(),
        None,
    )
}
