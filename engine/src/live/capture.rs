//! The input stream's callback body for `live` mode: converts captured frames to `f32`,
//! maps the device channels onto the chain input's (a mono device feeds every channel,
//! surplus device channels are ignored, missing ones are silent) and pushes them into the
//! input ring. Frames that find the ring full are counted as overruns. Allocation-free.

use std::sync::Arc;

use cpal::{FromSample, Sample};

use super::ring::RingWriter;
use super::status::SharedStatus;

/// Feeds captured audio into a chain input's ring.
pub struct CaptureTap {
    writer: RingWriter,
    device_channels: usize,
    status: Arc<SharedStatus>,
}

impl CaptureTap {
    /// A tap from a device with `device_channels` channels into `writer`.
    pub fn new(writer: RingWriter, device_channels: usize, status: Arc<SharedStatus>) -> Self {
        CaptureTap {
            writer,
            device_channels: device_channels.max(1),
            status,
        }
    }

    /// Takes one captured buffer of interleaved frames.
    pub fn capture<T>(&mut self, data: &[T])
    where
        T: Sample,
        f32: FromSample<T>,
    {
        let device = self.device_channels;
        let frames = data.len() / device;
        let pushed = self.writer.push_with(frames, |f, ch| {
            let source = if device == 1 { 0 } else { ch };
            if source >= device {
                return 0.0;
            }
            data.get(f * device + source)
                .map_or(0.0, |s| s.to_sample::<f32>())
        });
        if pushed < frames {
            self.status.add_overrun((frames - pushed) as u64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::ring::{RingMode, ring};

    #[test]
    fn i16_stereo_capture_reaches_a_mono_input_as_floats_and_overflow_is_counted() {
        let status = Arc::new(SharedStatus::default());
        let (w, mut r) = ring("mic", 1, 3, RingMode::File);
        let mut tap = CaptureTap::new(w, 2, status.clone());
        tap.capture::<i16>(&[16384, 0, -16384, 0, 8192, 0, 1, 1, 2, 2]);
        let mut dest: Vec<Box<[f32]>> = vec![vec![0.0; 3].into()];
        assert_eq!(r.pull(&mut dest, 3).frames, 3);
        assert_eq!(&dest[0][..], &[0.5, -0.5, 0.25]);
        assert_eq!(status.snapshot().overruns, 2);
    }

    #[test]
    fn a_mono_device_feeds_every_channel_of_a_stereo_input() {
        let status = Arc::new(SharedStatus::default());
        let (w, mut r) = ring("mic", 2, 8, RingMode::File);
        let mut tap = CaptureTap::new(w, 1, status);
        tap.capture::<f32>(&[0.1, 0.2]);
        let mut dest: Vec<Box<[f32]>> = vec![vec![0.0; 2].into(); 2];
        r.pull(&mut dest, 2);
        assert_eq!(
            (&dest[0][..], &dest[1][..]),
            (&[0.1, 0.2][..], &[0.1, 0.2][..])
        );
    }
}
