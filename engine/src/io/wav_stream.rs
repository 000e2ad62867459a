//! The data chunk of a WAV file written in bulk: hound writes the header (the format's
//! details, including WAVE_FORMAT_EXTENSIBLE where needed), and the sample bytes of a whole
//! block are then written at once. hound's per-sample `write_sample` costs tens of
//! instructions a sample, which made encoding most of a pass-through render's time. The file
//! is written back to disk as it grows (see [`Writeback`]).

use std::fs::File;
use std::io::{BufWriter, Cursor, Seek, SeekFrom, Write};

use crate::io::writeback::Writeback;

/// Byte offset of the RIFF chunk size in every WAV header.
const RIFF_SIZE_OFFSET: u64 = 4;

/// A WAV file being written: the header hound wrote, then raw little-endian sample bytes.
pub(crate) struct WavStream {
    out: BufWriter<File>,
    header_len: u64,
    data_bytes: u64,
    writeback: Writeback,
}

impl WavStream {
    /// Writes the header for `spec` and prepares for the sample data.
    pub fn create(file: File, spec: hound::WavSpec) -> Result<WavStream, hound::Error> {
        let header = header_for(spec)?;
        let writeback = Writeback::start(&file);
        let mut out = BufWriter::with_capacity(1 << 17, file);
        out.write_all(&header)?;
        Ok(WavStream {
            out,
            header_len: header.len() as u64,
            data_bytes: 0,
            writeback,
        })
    }

    /// Appends encoded sample bytes (whole interleaved frames).
    pub fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.out.write_all(bytes)?;
        self.data_bytes += bytes.len() as u64;
        self.writeback.wrote(bytes.len() as u64);
        Ok(())
    }

    /// Fills in the RIFF and data chunk sizes and flushes; returns the file.
    pub fn finish(mut self) -> std::io::Result<File> {
        drop(self.writeback);
        // The data chunk is padded to an even length, as RIFF requires.
        if self.data_bytes % 2 == 1 {
            self.out.write_all(&[0])?;
        }
        let padded = self.data_bytes + self.data_bytes % 2;
        let riff = u32::try_from(self.header_len - 8 + padded).map_err(|_| too_large())?;
        let data = u32::try_from(self.data_bytes).map_err(|_| too_large())?;
        let mut file = self
            .out
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        file.seek(SeekFrom::Start(RIFF_SIZE_OFFSET))?;
        file.write_all(&riff.to_le_bytes())?;
        file.seek(SeekFrom::Start(self.header_len - 4))?;
        file.write_all(&data.to_le_bytes())?;
        Ok(file)
    }
}

fn too_large() -> std::io::Error {
    std::io::Error::other("the WAV data exceeds the 4 GiB a WAV file can hold")
}

/// The header hound writes for `spec`: an empty file written to memory. Its last 8 bytes are
/// the `data` chunk's id and size.
fn header_for(spec: hound::WavSpec) -> Result<Vec<u8>, hound::Error> {
    let mut cursor = Cursor::new(Vec::new());
    hound::WavWriter::new(&mut cursor, spec)?.finalize()?;
    let header = cursor.into_inner();
    match header
        .len()
        .checked_sub(8)
        .and_then(|at| header.get(at..at + 4))
    {
        Some(b"data") => Ok(header),
        _ => Err(hound::Error::Unsupported),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appends one 16-bit sample code.
    fn push_i16(bytes: &mut Vec<u8>, code: i32) {
        bytes.extend_from_slice(&(code as i16).to_le_bytes());
    }

    /// Appends one 24-bit sample code.
    fn push_i24(bytes: &mut Vec<u8>, code: i32) {
        let b = code.to_le_bytes();
        bytes.extend_from_slice(&b[..3]);
    }

    /// Appends one float sample.
    fn push_f32(bytes: &mut Vec<u8>, x: f32) {
        bytes.extend_from_slice(&x.to_le_bytes());
    }

    /// Writes the same samples with hound's own writer and with a WavStream; the files must be
    /// byte-identical.
    fn compare(spec: hound::WavSpec, codes: &[i32], floats: &[f32]) {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("hound.wav");
        let b = dir.path().join("stream.wav");
        let mut w = hound::WavWriter::create(&a, spec).unwrap();
        let mut bytes = Vec::new();
        match (spec.sample_format, spec.bits_per_sample) {
            (hound::SampleFormat::Float, _) => {
                for &x in floats {
                    w.write_sample(x).unwrap();
                    push_f32(&mut bytes, x);
                }
            }
            (_, 16) => {
                for &c in codes {
                    w.write_sample(c as i16).unwrap();
                    push_i16(&mut bytes, c);
                }
            }
            _ => {
                for &c in codes {
                    w.write_sample(c).unwrap();
                    push_i24(&mut bytes, c);
                }
            }
        }
        w.finalize().unwrap();
        let mut s = WavStream::create(File::create(&b).unwrap(), spec).unwrap();
        s.write(&bytes).unwrap();
        s.finish().unwrap();
        assert_eq!(
            std::fs::read(&a).unwrap(),
            std::fs::read(&b).unwrap(),
            "{spec:?}"
        );
    }

    #[test]
    fn files_are_byte_identical_to_what_hound_writes_for_every_format_and_layout() {
        let codes24: Vec<i32> = (0..6000)
            .map(|i| (i * 2797 % 16_777_216) - 8_388_608)
            .collect();
        let codes16: Vec<i32> = (0..6000).map(|i| (i * 37 % 65_536) - 32_768).collect();
        let floats: Vec<f32> = (0..6000).map(|i| (i as f32 * 0.37).sin()).collect();
        for channels in [1u16, 2, 3, 6] {
            for (bits, format) in [
                (16, hound::SampleFormat::Int),
                (24, hound::SampleFormat::Int),
                (32, hound::SampleFormat::Float),
            ] {
                let spec = hound::WavSpec {
                    channels,
                    sample_rate: 44_100,
                    bits_per_sample: bits,
                    sample_format: format,
                };
                let codes = if bits == 16 { &codes16 } else { &codes24 };
                compare(spec, codes, &floats);
            }
        }
    }

    #[test]
    fn an_odd_data_length_is_padded_and_read_back_by_hound() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("odd.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 24,
            sample_format: hound::SampleFormat::Int,
        };
        let mut s = WavStream::create(File::create(&p).unwrap(), spec).unwrap();
        let mut bytes = Vec::new();
        for c in [1, -2, 3] {
            push_i24(&mut bytes, c);
        }
        s.write(&bytes).unwrap();
        s.finish().unwrap();
        let read: Vec<i32> = hound::WavReader::open(&p)
            .unwrap()
            .samples::<i32>()
            .map(Result::unwrap)
            .collect();
        assert_eq!(read, [1, -2, 3]);
    }
}
