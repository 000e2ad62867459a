//! Audio file I/O: decoding every supported container, typed errors for bad files (never a
//! panic, whatever the bytes), dithered encoding checked against theory, rate conversion
//! on read and on write, and atomic output.

#![allow(
    clippy::unwrap_used,
    reason = "integration tests: a failed unwrap is a failed test"
)]

mod offline_support;

use std::f64::consts::PI;
use std::path::Path;

use mixgraph_engine::io::{
    AudioIoError, AudioReader, AudioWriter, Dither, OutputFormat, ResamplingReader, SampleFormat,
};
use offline_support::{
    Fixture, Planar, aiff_16, files_in, flac_16, grid_noise_24, read_wav, sine, write_wav,
};

/// Reads a whole file through the engine's reader in pieces of `piece` frames.
fn read_all(path: &Path, piece: usize) -> Result<Planar, AudioIoError> {
    let mut r = AudioReader::open(path)?;
    let channels = r.info().channels;
    let mut buf = vec![vec![0.0f32; piece]; channels];
    let mut out = vec![Vec::new(); channels];
    loop {
        let n = r.read(&mut buf, piece)?;
        if n == 0 {
            return Ok(out);
        }
        for (o, b) in out.iter_mut().zip(&buf) {
            o.extend_from_slice(&b[..n]);
        }
    }
}

fn ints_16(seed: u64, len: usize) -> Vec<i16> {
    grid_noise_24(seed, len)
        .iter()
        .map(|x| (x * 32768.0) as i16)
        .collect()
}

#[test]
fn wav_16_24_and_float_decode_to_the_exact_stored_values() {
    let dir = tempfile::tempdir().unwrap();
    let audio: Planar = vec![grid_noise_24(1, 3001), grid_noise_24(2, 3001)];
    for (fixture, bits, codec) in [
        (Fixture::Int16, Some(16), "pcm_s16le"),
        (Fixture::Int24, Some(24), "pcm_s24le"),
        (Fixture::Float32, Some(32), "pcm_f32le"),
    ] {
        let path = dir.path().join(format!("{fixture:?}.wav"));
        write_wav(&path, 44_100, &audio, fixture);
        let r = AudioReader::open(&path).unwrap();
        let info = r.info().clone();
        assert_eq!(
            (info.sample_rate, info.channels, info.frames),
            (44_100, 2, Some(3001))
        );
        assert_eq!(info.bits_per_sample, bits);
        assert_eq!(info.codec, codec);
        assert!(!info.lossy);
        let expected = read_wav(&path).floats;
        for piece in [1, 100, 4096] {
            assert_eq!(
                read_all(&path, piece).unwrap(),
                expected,
                "{fixture:?}, pieces of {piece}"
            );
        }
    }
}

#[test]
fn aiff_decodes_big_endian_samples_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("take.aiff");
    let audio = vec![ints_16(3, 2000), ints_16(4, 2000)];
    std::fs::write(&path, aiff_16(48_000, &audio)).unwrap();
    let got = read_all(&path, 512).unwrap();
    let r = AudioReader::open(&path).unwrap();
    assert_eq!(
        (r.info().sample_rate, r.info().channels, r.info().frames),
        (48_000, 2, Some(2000))
    );
    assert_eq!(r.info().container, "aiff");
    for (g, a) in got.iter().zip(&audio) {
        let expected: Vec<f32> = a.iter().map(|&s| f32::from(s) / 32768.0).collect();
        assert_eq!(g, &expected);
    }
}

#[test]
fn flac_decodes_losslessly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("take.flac");
    let audio = vec![ints_16(5, 10_000), ints_16(6, 10_000)];
    std::fs::write(&path, flac_16(44_100, &audio, 1024)).unwrap();
    let r = AudioReader::open(&path).unwrap();
    let info = r.info().clone();
    assert_eq!(
        (info.sample_rate, info.channels, info.frames),
        (44_100, 2, Some(10_000))
    );
    assert_eq!(
        (info.codec.as_str(), info.bits_per_sample, info.lossy),
        ("flac", Some(16), false)
    );
    let got = read_all(&path, 700).unwrap();
    for (g, a) in got.iter().zip(&audio) {
        let expected: Vec<f32> = a.iter().map(|&s| f32::from(s) / 32768.0).collect();
        assert_eq!(g, &expected);
    }
}

#[test]
fn missing_empty_and_non_audio_files_get_their_own_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.wav");
    assert!(
        matches!(AudioReader::open(&missing), Err(AudioIoError::NotFound { path }) if path == missing)
    );

    let empty = dir.path().join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    assert!(
        matches!(AudioReader::open(&empty), Err(AudioIoError::Empty { path }) if path == empty)
    );

    let text = dir.path().join("notes.wav");
    std::fs::write(&text, "These are my mixing notes, not audio.\n".repeat(40)).unwrap();
    let err = AudioReader::open(&text).unwrap_err();
    assert!(matches!(&err, AudioIoError::NotAudio { path } if *path == text));
    let message = err.to_string();
    assert!(
        message.contains("not an audio file") && message.contains("notes.wav"),
        "{message}"
    );
    assert!(
        message.contains("expected WAV, FLAC, MP3, Ogg Vorbis or AIFF"),
        "{message}"
    );

    let png = dir.path().join("cover.png");
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    bytes.extend(std::iter::repeat_n(0u8, 500));
    std::fs::write(&png, bytes).unwrap();
    assert!(matches!(
        AudioReader::open(&png),
        Err(AudioIoError::NotAudio { .. })
    ));
}

/// A valid 16-bit stereo WAV of `frames` frames.
fn wav_bytes(dir: &Path, frames: usize) -> Vec<u8> {
    let path = dir.join("source.wav");
    write_wav(
        &path,
        48_000,
        &vec![grid_noise_24(9, frames), grid_noise_24(10, frames)],
        Fixture::Int16,
    );
    std::fs::read(path).unwrap()
}

#[test]
fn a_wav_cut_inside_its_header_is_a_bad_header() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = wav_bytes(dir.path(), 1000);
    let path = dir.path().join("cut.wav");
    // hound writes a 44-byte canonical header; every cut inside it is a damaged WAV header.
    for cut in 4..44 {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let result = AudioReader::open(&path);
        assert!(
            matches!(&result, Err(AudioIoError::BadHeader { path: p, format, .. }) if *p == path && format == "wave"),
            "cut at {cut} bytes: {result:?}"
        );
    }
}

#[test]
fn a_wav_cut_inside_its_audio_is_truncated_with_the_position() {
    let dir = tempfile::tempdir().unwrap();
    let frames = 48_000;
    let bytes = wav_bytes(dir.path(), frames);
    let path = dir.path().join("cut.wav");
    // Keep the first half second of audio (4 bytes per frame), plus a partial frame.
    std::fs::write(&path, &bytes[..44 + 4 * 24_000 + 3]).unwrap();
    let err = read_all(&path, 1024).unwrap_err();
    match &err {
        AudioIoError::Truncated {
            path: p,
            position_secs,
            expected_secs,
        } => {
            assert_eq!(p, &path);
            assert!(
                *position_secs <= 0.5 && *position_secs > 0.4,
                "{position_secs}"
            );
            assert_eq!(*expected_secs, Some(1.0));
        }
        other => panic!("expected Truncated, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains("truncated") && message.contains("cut.wav"),
        "{message}"
    );
}

#[test]
fn a_flac_cut_inside_its_header_or_its_frames_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let audio = vec![ints_16(7, 8192)];
    let bytes = flac_16(48_000, &audio, 1024);
    let path = dir.path().join("cut.flac");
    // "fLaC" + 4-byte block header + 34-byte STREAMINFO = 42 bytes of header.
    for cut in 5..42 {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let result = AudioReader::open(&path);
        assert!(
            matches!(&result, Err(AudioIoError::BadHeader { format, .. }) if format == "flac"),
            "cut at {cut} bytes: {result:?}"
        );
    }
    // Cut in the middle of the fifth frame: four whole frames decode, then the file ends.
    let frame_len = (bytes.len() - 42) / 8;
    std::fs::write(&path, &bytes[..42 + 4 * frame_len + frame_len / 2]).unwrap();
    let err = read_all(&path, 1000).unwrap_err();
    assert!(
        matches!(&err, AudioIoError::Truncated { position_secs, .. } | AudioIoError::Decode { position_secs, .. }
            if (*position_secs - 4.0 * 1024.0 / 48_000.0).abs() < 1e-9),
        "{err:?}"
    );
}

#[test]
fn a_wav_header_that_overflows_the_decoder_is_a_bad_header_not_a_panic() {
    // Regression: symphonia 0.6 multiplies the channel count by the sample size in 16 bits
    // and panics (overflow) on a `fmt ` chunk claiming 65535 channels.
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = wav_bytes(dir.path(), 100);
    bytes[22..24].copy_from_slice(&u16::MAX.to_le_bytes());
    let path = dir.path().join("crafted.wav");
    std::fs::write(&path, &bytes).unwrap();
    let result = AudioReader::open(&path);
    assert!(
        matches!(&result, Err(AudioIoError::BadHeader { format, .. }) if format == "wave"),
        "{result:?}"
    );
}

#[test]
fn arbitrary_bytes_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fuzz.bin");
    let wav = wav_bytes(dir.path(), 300);
    let flac = flac_16(48_000, &[ints_16(8, 3000)], 1024);
    let mut state = 0x1234_5678_9abc_def1u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for case in 0..300 {
        let mut bytes = match case % 3 {
            // Pure noise of random length.
            0 => (0..(next() % 5000) as usize)
                .map(|_| next() as u8)
                .collect::<Vec<u8>>(),
            // A valid WAV or FLAC with a few random bytes flipped (headers included).
            1 => wav.clone(),
            _ => flac.clone(),
        };
        if case % 3 != 0 {
            for _ in 0..1 + next() % 8 {
                let i = (next() as usize)
                    % bytes
                        .len()
                        .min(if next() % 2 == 0 { 64 } else { usize::MAX });
                bytes[i] = next() as u8;
            }
            let keep = bytes.len() - (next() as usize % (bytes.len() / 2));
            bytes.truncate(keep);
        }
        std::fs::write(&path, &bytes).unwrap();
        // Any outcome but a panic is acceptable; an error must name the file.
        if let Err(e) = read_all(&path, 257) {
            assert!(e.path().is_none_or(|p| p == path), "{e:?}");
        }
    }
}

#[test]
fn reading_with_too_few_channel_buffers_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stereo.wav");
    write_wav(&path, 48_000, &vec![vec![0.1; 100]; 2], Fixture::Int16);
    let mut r = AudioReader::open(&path).unwrap();
    let mut one = vec![vec![0.0; 64]];
    assert!(matches!(
        r.read(&mut one, 64),
        Err(AudioIoError::Buffers {
            expected: 2,
            found: 1,
            ..
        })
    ));
}

#[test]
fn a_resampling_reader_delivers_the_same_sine_at_the_new_rate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sine44.wav");
    let len = 44_100;
    write_wav(
        &path,
        44_100,
        &vec![sine(1000.0, 44_100, 0.5, 0.25, len)],
        Fixture::Float32,
    );
    let mut r = ResamplingReader::open(&path, 48_000).unwrap();
    assert!(r.is_resampled());
    assert_eq!(r.frames(), Some(48_000));
    let mut buf = vec![vec![0.0; 1000]];
    let mut out = Vec::new();
    loop {
        let n = r.read(&mut buf, 1000).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[0][..n]);
    }
    assert_eq!(out.len(), 48_000);
    let expected = sine(1000.0, 48_000, 0.5, 0.25, out.len());
    let worst = out[4000..44_000]
        .iter()
        .zip(&expected[4000..44_000])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(worst < 2e-5, "{worst}");
}

/// Writes planar audio through the engine's writer and returns what hound reads back.
fn write_through(
    dir: &Path,
    name: &str,
    audio: &Planar,
    session_rate: u32,
    format: OutputFormat,
) -> (offline_support::WavData, mixgraph_engine::io::WriteSummary) {
    let path = dir.join(name);
    let mut w = AudioWriter::create(&path, audio.len(), session_rate, format).unwrap();
    let len = audio[0].len();
    for start in (0..len).step_by(1000) {
        let end = (start + 1000).min(len);
        let block: Vec<&[f32]> = audio.iter().map(|c| &c[start..end]).collect();
        w.write(&block, end - start).unwrap();
    }
    let summary = w.finish().unwrap();
    (read_wav(&path), summary)
}

#[test]
fn pcm24_round_trip_is_bit_exact_on_the_24_bit_grid() {
    let dir = tempfile::tempdir().unwrap();
    let audio = vec![grid_noise_24(11, 20_000), grid_noise_24(12, 20_000)];
    let (data, summary) = write_through(
        dir.path(),
        "out.wav",
        &audio,
        48_000,
        OutputFormat::new(SampleFormat::Pcm24),
    );
    assert_eq!(data.spec.bits_per_sample, 24);
    for (ints, src) in data.ints.iter().zip(&audio) {
        let expected: Vec<i32> = src.iter().map(|x| (x * 8_388_608.0) as i32).collect();
        assert_eq!(ints, &expected);
    }
    // And the engine's own reader gives back the very same floats.
    assert_eq!(read_all(&dir.path().join("out.wav"), 999).unwrap(), audio);
    let peak = audio.iter().flatten().fold(0.0f32, |m, x| m.max(x.abs()));
    assert_eq!(summary.peak, peak);
    assert_eq!(
        (summary.frames, summary.sample_rate, summary.channels),
        (20_000, 48_000, 2)
    );
}

#[test]
fn float32_is_written_unchanged_except_non_finite_samples() {
    let dir = tempfile::tempdir().unwrap();
    let mut audio = vec![sine(440.0, 48_000, 1.5, 0.0, 5000)];
    audio[0][10] = f32::NAN;
    audio[0][20] = f32::INFINITY;
    audio[0][30] = f32::NEG_INFINITY;
    let (data, summary) = write_through(
        dir.path(),
        "f.wav",
        &audio,
        48_000,
        OutputFormat::new(SampleFormat::Float32),
    );
    assert_eq!(summary.faults, 3);
    assert_eq!(summary.dither, Dither::None);
    for (i, (got, src)) in data.floats[0].iter().zip(&audio[0]).enumerate() {
        if [10, 20, 30].contains(&i) {
            assert_eq!(*got, 0.0);
        } else {
            assert_eq!(got, src, "float samples above full scale are kept too");
        }
    }
}

/// |DFT|² of `x` at bin `k` (frequency k * rate / len), computed directly.
fn bin_power(x: &[f64], k: usize) -> f64 {
    let n = x.len() as f64;
    let (mut re, mut im) = (0.0, 0.0);
    for (i, v) in x.iter().enumerate() {
        let w = 2.0 * PI * k as f64 * i as f64 / n;
        re += v * w.cos();
        im -= v * w.sin();
    }
    re * re + im * im
}

#[test]
fn dithered_16_bit_error_is_tpdf_noise_without_harmonics() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 48_000;
    let len = 48_000;
    // -40 dBFS, 1 kHz: exactly 1000 cycles, so each harmonic falls on one DFT bin.
    let x = sine(1000.0, rate, 0.01, 0.0, len);
    let lsb = 1.0 / 32768.0;
    let error_of = |format: OutputFormat, name: &str| -> Vec<f64> {
        let (data, _) = write_through(dir.path(), name, &vec![x.clone()], rate, format);
        data.ints[0]
            .iter()
            .zip(&x)
            .map(|(q, s)| f64::from(*q) - f64::from(*s) / lsb)
            .collect()
    };
    let dithered = error_of(OutputFormat::new(SampleFormat::Pcm16), "tpdf.wav");
    // Theory: rounding error (uniform, 1/12 LSB²) plus TPDF dither (1/6 LSB²).
    let expected_rms = (1.0f64 / 12.0 + 1.0 / 6.0).sqrt();
    let rms = (dithered.iter().map(|e| e * e).sum::<f64>() / len as f64).sqrt();
    assert!(
        (rms - expected_rms).abs() < 0.01,
        "error RMS {rms:.4} LSB, theory {expected_rms:.4}"
    );
    // White noise of variance s² has E|X_k|² = N s² in every bin; a harmonic would stand out.
    let noise_floor = len as f64 * expected_rms * expected_rms;
    let harmonics = 2..=10;
    for h in harmonics.clone() {
        let p = bin_power(&dithered, h * 1000);
        assert!(
            p < 12.0 * noise_floor,
            "harmonic {h}: {:.1} dB above the noise floor",
            10.0 * (p / noise_floor).log10()
        );
    }
    // Uncorrelated with the signal.
    let xs: Vec<f64> = x.iter().map(|s| f64::from(*s) / lsb).collect();
    let corr = dithered.iter().zip(&xs).map(|(e, s)| e * s).sum::<f64>()
        / (dithered.iter().map(|e| e * e).sum::<f64>() * xs.iter().map(|s| s * s).sum::<f64>())
            .sqrt();
    assert!(corr.abs() < 0.02, "correlation with the signal {corr:.4}");
    // The check can fail: plain rounding of the same sine puts its error on the harmonics.
    let undithered = error_of(
        OutputFormat::new(SampleFormat::Pcm16).with_dither(Dither::None),
        "none.wav",
    );
    let loudest = harmonics
        .map(|h| bin_power(&undithered, h * 1000))
        .fold(0.0, f64::max);
    assert!(
        loudest > 12.0 * noise_floor,
        "undithered harmonics at {:.1} dB",
        10.0 * (loudest / noise_floor).log10()
    );
}

#[test]
fn shaped_dither_moves_error_power_out_of_the_low_band() {
    let dir = tempfile::tempdir().unwrap();
    let (rate, len) = (48_000, 8192);
    let x = sine(1000.0, rate, 0.01, 0.0, len);
    let lsb = 1.0 / 32768.0;
    let low_band = |dither: Dither, name: &str| {
        let (data, _) = write_through(
            dir.path(),
            name,
            &vec![x.clone()],
            rate,
            OutputFormat::new(SampleFormat::Pcm16).with_dither(dither),
        );
        let e: Vec<f64> = data.ints[0]
            .iter()
            .zip(&x)
            .map(|(q, s)| f64::from(*q) - f64::from(*s) / lsb)
            .collect();
        // Power below 4 kHz (bins up to len / 12), skipping DC.
        (1..len / 12).map(|k| bin_power(&e, k)).sum::<f64>()
    };
    let flat = low_band(Dither::Tpdf, "flat.wav");
    let shaped = low_band(Dither::TpdfShaped, "shaped.wav");
    // First-order shaping multiplies the spectrum by 2 - 2cos(w); averaged over 0..w0 that is
    // 2 - 2 sin(w0)/w0, with w0 = 2 pi 4000 / 48000: about -10.5 dB.
    let w0 = 2.0 * PI * 4000.0 / 48_000.0;
    let theory = 10.0 * (2.0 - 2.0 * w0.sin() / w0).log10();
    let measured = 10.0 * (shaped / flat).log10();
    assert!(
        (measured - theory).abs() < 1.5,
        "low-band change {measured:.2} dB, theory {theory:.2} dB"
    );
}

#[test]
fn rendering_the_same_file_twice_gives_identical_dither() {
    let dir = tempfile::tempdir().unwrap();
    let audio = vec![
        sine(997.0, 48_000, 0.3, 0.0, 10_000),
        sine(500.0, 48_000, 0.3, 0.0, 10_000),
    ];
    let format = OutputFormat::new(SampleFormat::Pcm16);
    write_through(dir.path(), "a.wav", &audio, 48_000, format);
    write_through(dir.path(), "b.wav", &audio, 48_000, format);
    assert_eq!(
        std::fs::read(dir.path().join("a.wav")).unwrap(),
        std::fs::read(dir.path().join("b.wav")).unwrap()
    );
}

#[test]
fn output_at_another_rate_has_the_rounded_length_and_the_same_sine() {
    let dir = tempfile::tempdir().unwrap();
    let audio = vec![sine(1000.0, 48_000, 0.5, 0.0, 48_000)];
    let format = OutputFormat::new(SampleFormat::Float32).with_sample_rate(44_100);
    let (data, summary) = write_through(dir.path(), "cd.wav", &audio, 48_000, format);
    assert_eq!(
        (data.spec.sample_rate, summary.sample_rate, summary.frames),
        (44_100, 44_100, 44_100)
    );
    let expected = sine(1000.0, 44_100, 0.5, 0.0, 44_100);
    let worst = data.floats[0][4000..40_000]
        .iter()
        .zip(&expected[4000..40_000])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(worst < 2e-5, "{worst}");
}

#[test]
fn a_writer_dropped_without_finish_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("partial.wav");
    let mut w =
        AudioWriter::create(&target, 2, 48_000, OutputFormat::new(SampleFormat::Pcm24)).unwrap();
    w.write(&[vec![0.1f32; 500], vec![0.2; 500]], 500).unwrap();
    assert_eq!(
        files_in(dir.path()).len(),
        1,
        "only the temporary file while writing"
    );
    assert!(!target.exists());
    drop(w);
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn impossible_outputs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.wav");
    let f = OutputFormat::new(SampleFormat::Pcm24);
    assert!(matches!(
        AudioWriter::create(&p, 0, 48_000, f),
        Err(AudioIoError::InvalidOutput { .. })
    ));
    assert!(matches!(
        AudioWriter::create(&p, 2, 0, f),
        Err(AudioIoError::InvalidOutput { .. })
    ));
    assert!(matches!(
        AudioWriter::create(dir.path().join("no/such/dir.wav"), 2, 48_000, f),
        Err(AudioIoError::Io { .. })
    ));
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn output_format_defaults_dither_by_bit_depth() {
    assert_eq!(OutputFormat::new(SampleFormat::Pcm16).dither, Dither::Tpdf);
    assert_eq!(OutputFormat::new(SampleFormat::Pcm24).dither, Dither::None);
    assert_eq!(
        OutputFormat::new(SampleFormat::Float32).dither,
        Dither::None
    );
    assert_eq!(OutputFormat::new(SampleFormat::Pcm24).sample_rate, None);
}

/// Amplitude and phase of a `freq` sine in `x` (least squares over whole periods).
fn sine_fit(x: &[f32], freq: f64, rate: u32) -> (f64, f64) {
    let period = f64::from(rate) / freq;
    let n = ((x.len() as f64 / period).floor() * period).round() as usize;
    let (mut s, mut c) = (0.0, 0.0);
    for (i, v) in x[..n].iter().enumerate() {
        let w = 2.0 * PI * freq * i as f64 / f64::from(rate);
        s += f64::from(*v) * w.sin();
        c += f64::from(*v) * w.cos();
    }
    let (s, c) = (2.0 * s / n as f64, 2.0 * c / n as f64);
    ((s * s + c * c).sqrt(), c.atan2(s))
}

/// Fixtures encoded once with ffmpeg (libmp3lame, libvorbis, flac) from
/// `aevalsrc=0.5*sin(2*PI*1000*t)` (and 0.25 on a second channel), 0.5 s long.
fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/offline_fixtures")
        .join(name)
}

#[test]
fn encoded_fixtures_decode_to_the_sine_they_were_made_from() {
    // (file, rate, channels, codec, lossy, level tolerance in dB; LAME at 128 kb/s
    // delivers this sine 0.45 dB low)
    for (name, rate, channels, codec, lossy, tolerance_db) in [
        ("sine_1k_48k_stereo.flac", 48_000, 2, "flac", false, 0.001),
        ("sine_1k_44k1_stereo.mp3", 44_100, 2, "mp3", true, 0.5),
        ("sine_1k_48k_mono.ogg", 48_000, 1, "vorbis", true, 0.1),
    ] {
        let path = fixture(name);
        let info = AudioReader::open(&path).unwrap().info().clone();
        let frames = rate as usize / 2;
        assert_eq!(
            (
                info.sample_rate,
                info.channels,
                info.codec.as_str(),
                info.lossy
            ),
            (rate, channels, codec, lossy),
            "{name}"
        );
        let audio = read_all(&path, 1000).unwrap();
        // Gapless: encoder delay and padding are trimmed, the length is the original's.
        assert_eq!(audio[0].len(), frames, "{name}");
        for (ch, expected_amp) in [0.5, 0.25].iter().take(channels).enumerate() {
            let skip = 2000;
            let (amp, phase) = sine_fit(&audio[ch][skip..frames - skip], 1000.0, rate);
            let level_db = 20.0 * (amp / expected_amp).log10();
            assert!(
                level_db.abs() < tolerance_db,
                "{name} channel {ch}: level off by {level_db:.3} dB"
            );
            // Aligned with the original: the phase at frame `skip` is the analytic one.
            let expected_phase = 2.0 * PI * 1000.0 * skip as f64 / f64::from(rate);
            let error = (phase - expected_phase + PI).rem_euclid(2.0 * PI) - PI;
            assert!(
                error.abs() < 0.01,
                "{name} channel {ch}: phase off by {error:.4} rad"
            );
        }
    }
}
