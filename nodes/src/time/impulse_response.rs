//! Loading an impulse response from a WAV file: integer or float samples, any channel count,
//! at the session's sample rate (a file at another rate is refused, not resampled).

use std::path::Path;

use mixgraph_engine::ActivateError;

/// The longest impulse response accepted, so a wrong file cannot exhaust memory.
pub(crate) const MAX_IR_SECONDS: f64 = 30.0;

/// An impulse response: one sample vector per channel, all the same length.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ImpulseResponse {
    /// Samples per channel.
    pub(crate) channels: Vec<Vec<f32>>,
}

impl ImpulseResponse {
    /// Frames per channel.
    pub(crate) fn len(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }
}

/// Reads the WAV file at `path` as an impulse response for a session at `sample_rate`.
///
/// # Errors
/// [`ActivateError::File`] when the file cannot be opened or decoded;
/// [`ActivateError::Invalid`] when its sample rate differs from the session's, when it is
/// empty or longer than [`MAX_IR_SECONDS`], or when it holds non-finite samples.
pub(crate) fn load_wav(path: &Path, sample_rate: f64) -> Result<ImpulseResponse, ActivateError> {
    let file_error = |reason: String| ActivateError::File {
        path: path.to_path_buf(),
        reason,
    };
    let mut reader = hound::WavReader::open(path).map_err(|e| file_error(e.to_string()))?;
    let spec = reader.spec();
    if (f64::from(spec.sample_rate) - sample_rate).abs() > 0.5 {
        return Err(ActivateError::Invalid(format!(
            "impulse response `{}` is at {} Hz but the session runs at {} Hz; resample the impulse response to {} Hz",
            path.display(),
            spec.sample_rate,
            sample_rate,
            sample_rate
        )));
    }
    let frames = reader.duration() as usize;
    let max_frames = (MAX_IR_SECONDS * sample_rate) as usize;
    if frames == 0 {
        return Err(ActivateError::Invalid(format!(
            "impulse response `{}` has no samples",
            path.display()
        )));
    }
    if frames > max_frames {
        return Err(ActivateError::Invalid(format!(
            "impulse response `{}` is {:.1} s long; at most {MAX_IR_SECONDS} s is accepted",
            path.display(),
            frames as f64 / sample_rate
        )));
    }
    let channel_count = usize::from(spec.channels).max(1);
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>(),
        hound::SampleFormat::Int => {
            let scale =
                1.0 / f64::from(1u32 << spec.bits_per_sample.clamp(1, 32).saturating_sub(1));
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| (f64::from(v) * scale) as f32))
                .collect::<Result<_, _>>()
        }
    }
    .map_err(|e| file_error(e.to_string()))?;
    if interleaved.iter().any(|v| !v.is_finite()) {
        return Err(ActivateError::Invalid(format!(
            "impulse response `{}` holds non-finite samples",
            path.display()
        )));
    }
    let channels = (0..channel_count)
        .map(|c| {
            interleaved
                .iter()
                .skip(c)
                .step_by(channel_count)
                .copied()
                .collect()
        })
        .collect();
    Ok(ImpulseResponse { channels })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Writes `channels` (all the same length) as a WAV file of the given format.
    pub(crate) fn write_wav(
        path: &Path,
        channels: &[Vec<f32>],
        sample_rate: u32,
        bits: u16,
        float: bool,
    ) {
        let spec = hound::WavSpec {
            channels: channels.len() as u16,
            sample_rate,
            bits_per_sample: bits,
            sample_format: if float {
                hound::SampleFormat::Float
            } else {
                hound::SampleFormat::Int
            },
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for n in 0..channels[0].len() {
            for c in channels {
                if float {
                    w.write_sample(c[n]).unwrap();
                } else {
                    let full = f64::from(1u32 << (bits - 1));
                    w.write_sample((f64::from(c[n]) * full).round() as i32)
                        .unwrap();
                }
            }
        }
        w.finalize().unwrap();
    }

    #[test]
    fn float_and_integer_files_read_back_to_the_same_values() {
        let dir = tempfile::tempdir().unwrap();
        let data = vec![
            vec![0.5f32, -0.25, 0.0, 0.125],
            vec![1.0 / 1024.0, 0.75, -0.5, 0.0],
        ];
        for (bits, float) in [(32, true), (16, false), (24, false)] {
            let path = dir.path().join(format!("ir{bits}.wav"));
            write_wav(&path, &data, 44_100, bits, float);
            let ir = load_wav(&path, 44_100.0).unwrap();
            assert_eq!(ir.channels, data, "{bits}-bit");
            assert_eq!(ir.len(), 4);
        }
    }

    #[test]
    fn a_file_at_another_rate_is_refused_naming_both_rates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ir.wav");
        write_wav(&path, &[vec![1.0]], 44_100, 32, true);
        match load_wav(&path, 48_000.0) {
            Err(ActivateError::Invalid(m)) => {
                assert!(m.contains("44100 Hz") && m.contains("48000 Hz"), "{m}")
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_or_empty_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.wav");
        assert!(
            matches!(load_wav(&missing, 48_000.0), Err(ActivateError::File { path, .. }) if path == missing)
        );
        let empty = dir.path().join("empty.wav");
        write_wav(&empty, &[vec![]], 48_000, 32, true);
        assert!(matches!(
            load_wav(&empty, 48_000.0),
            Err(ActivateError::Invalid(_))
        ));
        let garbage = dir.path().join("garbage.wav");
        std::fs::write(&garbage, b"RIFF nonsense").unwrap();
        assert!(matches!(
            load_wav(&garbage, 48_000.0),
            Err(ActivateError::File { .. })
        ));
    }
}
