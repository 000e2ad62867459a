//! The shipped presets, each checked against the catalog and rendered from WAV files through
//! `mixgraph_engine::render`, and each shown to do its job: the masters hold their true-peak
//! ceiling on the delivered file (read by the `ebur128` crate), the CD master's dither keeps
//! a signal below one 16-bit step, the vocal strip follows its filters' and compressor's
//! mathematics, the drum bus compresses, the reverb sends add a tail to the stems that have
//! one, and the stems-to-master session equals its mix run through the streaming master.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failure is a failed test"
)]

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use mixgraph_chains::{ValidChain, presets, validate};
use mixgraph_engine::offline::InputNotice;
use mixgraph_engine::{
    OutputFormat, ReadingValue, RenderReport, RenderRequest, SampleFormat, render,
};
use mixgraph_nodes::testkit::{amplitude_at, noise};
use mixgraph_tests::wav;

/// A shipped preset, validated against the full catalog.
fn preset(name: &str) -> ValidChain {
    let spec = presets::get(name).unwrap().load().unwrap();
    validate(&spec, &mixgraph_nodes::catalog()).unwrap_or_else(|e| panic!("{e}"))
}

/// A numeric parameter of a node of a validated chain, as the node receives it (defaults
/// filled in; `master/limiter` for a node of a subchain).
fn param(chain: &ValidChain, node: &str, name: &str) -> f64 {
    let g = chain.graph();
    let id = g
        .node_id(node)
        .unwrap_or_else(|| panic!("no node `{node}`"));
    let params = &g.node(id).unwrap().params;
    assert!(
        params.index_of(name).is_some(),
        "`{node}` has no parameter `{name}`"
    );
    params.number(name)
}

fn db(x: f64) -> f64 {
    10f64.powf(x / 20.0)
}

fn to_db(x: f64) -> f64 {
    20.0 * x.log10()
}

/// Renders `chain` with each `(input, file)` bound and every output the chain declares
/// written to `dir/<output>.wav`, in its declared format unless `formats` overrides it.
fn render_chain(
    chain: &ValidChain,
    inputs: &[(&str, PathBuf)],
    dir: &Path,
    formats: &[(&str, OutputFormat)],
) -> RenderReport {
    let built = chain.build();
    let mut request = RenderRequest::new();
    // As `mixgraph render` does: the chain's rate, if it has one, is the session's.
    if let Some(rate) = chain.sample_rate() {
        request = request.sample_rate(rate);
    }
    for (name, path) in inputs {
        request = request.input(*name, path);
    }
    for out in &built.outputs {
        let format = formats
            .iter()
            .find(|(n, _)| *n == out.name)
            .map_or(out.format, |(_, f)| *f);
        request = request.output(&out.name, dir.join(format!("{}.wav", out.name)), format);
    }
    render(&built.graph, &request, &mut |_, _| {}).unwrap_or_else(|e| panic!("{e}"))
}

/// Writes `channels` as a float WAV named `name` in `dir` and returns its path.
fn fixture(dir: &Path, name: &str, rate: u32, channels: &[Vec<f32>]) -> PathBuf {
    let path = dir.join(format!("{name}.wav"));
    wav::write_f32(&path, rate, channels);
    path
}

/// The largest true peak of any channel, linear, by the `ebur128` crate (4x oversampling).
fn true_peak(audio: &wav::Audio) -> f64 {
    let channels = audio.channels.len() as u32;
    let mut m =
        ebur128::EbuR128::new(channels, audio.sample_rate, ebur128::Mode::TRUE_PEAK).unwrap();
    m.add_frames_f32(&audio.interleaved()).unwrap();
    (0..channels)
        .map(|c| m.true_peak(c).unwrap())
        .fold(0.0, f64::max)
}

/// Integrated loudness by the `ebur128` crate, LUFS.
fn integrated(audio: &wav::Audio) -> f64 {
    let mut m = ebur128::EbuR128::new(
        audio.channels.len() as u32,
        audio.sample_rate,
        ebur128::Mode::I,
    )
    .unwrap();
    m.add_frames_f32(&audio.interleaved()).unwrap();
    m.loudness_global().unwrap()
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

fn peak(x: &[f32]) -> f64 {
    x.iter().fold(0f64, |m, v| m.max(f64::from(v.abs())))
}

/// A sine of `amplitude` at `freq` Hz, `len` frames.
fn sine(freq: f64, rate: u32, amplitude: f64, len: usize) -> Vec<f32> {
    (0..len)
        .map(|n| (amplitude * (2.0 * PI * freq * n as f64 / f64::from(rate)).sin()) as f32)
        .collect()
}

/// A drum pattern at 120 BPM, stereo: a kick (a 150 ms burst of 55 Hz falling from 110 Hz) on
/// beats 1 and 3, a snare (noise and 190 Hz, 120 ms) on 2 and 4, a closed hi-hat (high noise,
/// 30 ms) on every eighth; every other bar at `quiet` times the level of the loud bars.
fn drums(rate: u32, bars: usize, quiet: f64) -> Vec<Vec<f32>> {
    let fs = f64::from(rate);
    let eighth = (0.25 * fs) as usize;
    let len = bars * 8 * eighth;
    let hiss = noise(21, 2, len);
    let mut out = vec![vec![0f32; len]; 2];
    for step in 0..bars * 8 {
        let velocity = if (step / 8) % 2 == 0 { 1.0 } else { quiet };
        let start = step * eighth;
        for n in 0..eighth {
            let t = n as f64 / fs;
            let mut x = [0.0f64; 2];
            if step % 4 == 0 {
                let phase = 2.0 * PI * (55.0 * t + 55.0 * 0.03 * (1.0 - (-t / 0.03).exp()));
                let kick = 0.9 * phase.sin() * (-t / 0.15).exp();
                x = [kick, kick];
            }
            if step % 4 == 2 {
                let body = 0.3 * (2.0 * PI * 190.0 * t).sin() * (-t / 0.05).exp();
                for (ch, v) in x.iter_mut().enumerate() {
                    *v += body + 0.5 * f64::from(hiss[ch][start + n]) * (-t / 0.12).exp();
                }
            }
            // The hi-hat: the difference of neighbouring noise samples is mostly highs.
            let hat = (-t / 0.03).exp() * 0.15;
            for (ch, v) in x.iter_mut().enumerate() {
                let h = &hiss[1 - ch];
                let i = start + n;
                *v += hat * f64::from(h[i] - h[i.saturating_sub(1)]) * 0.5;
                out[ch][i] = (*v * velocity) as f32;
            }
        }
    }
    out
}

/// A reading of a node in a render report.
fn reading(report: &RenderReport, node: &str, name: &str) -> f64 {
    let node = report
        .readings
        .iter()
        .find(|r| r.node == node)
        .unwrap_or_else(|| panic!("no readings from `{node}`"));
    match node
        .readings
        .iter()
        .find(|r| r.name == name)
        .map(|r| &r.value)
    {
        Some(ReadingValue::Scalar(v)) => *v,
        other => panic!("`{}` reading `{name}`: {other:?}", node.node),
    }
}

/// `x` scaled by `gain`, every channel.
/// True peak of `audio` in dBTP, checked at or under `ceiling` (0.01 dB for the meter).
fn true_peak_under(audio: &wav::Audio, ceiling: f64) -> f64 {
    let tp = to_db(true_peak(audio));
    assert!(
        tp <= ceiling + 0.01,
        "true peak {tp:.3} dBTP over the ceiling of {ceiling} dBTP"
    );
    tp
}

/// The `integrated` reading of the loudness meter `meter` agrees with the deliverable's own
/// integrated loudness (ebur128 on the file) within 0.1 LU.
fn assert_meter_matches(report: &RenderReport, meter: &str, audio: &wav::Audio) {
    let reading = reading(report, meter, "integrated");
    let measured = integrated(audio);
    assert!(
        (reading - measured).abs() < 0.1,
        "meter {reading:.2} LUFS, deliverable {measured:.2} LUFS"
    );
}

fn scaled(x: Vec<Vec<f32>>, gain: f64) -> Vec<Vec<f32>> {
    x.into_iter()
        .map(|c| {
            c.into_iter()
                .map(|v| (f64::from(v) * gain) as f32)
                .collect()
        })
        .collect()
}

/// Every shipped preset, the ones added later included: it validates against the catalog, and
/// with a second of noise bound to each input it renders every output it declares, at the
/// declared rate and sample format, as long as the input (plus its tail) and not silent.
#[test]
fn every_preset_renders_every_output_it_declares() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 44_100;
    let len = rate as usize;
    for (k, p) in presets::list().iter().enumerate() {
        let chain = preset(p.name);
        let inputs: Vec<(&str, PathBuf)> = chain
            .inputs()
            .iter()
            .enumerate()
            .map(|(i, decl)| {
                let path = fixture(
                    dir.path(),
                    &format!("{}-{}", p.name, decl.name),
                    rate,
                    &scaled(noise(k as u64 * 10 + i as u64, 2, len), 0.25),
                );
                (decl.name.as_str(), path)
            })
            .collect();
        let out_dir = dir.path().join(p.name);
        std::fs::create_dir(&out_dir).unwrap();
        let report = render_chain(&chain, &inputs, &out_dir, &[]);
        assert_eq!(report.outputs.len(), chain.outputs().len(), "{}", p.name);
        assert_eq!(report.faults, 0, "{}: non-finite samples", p.name);
        for (out, decl) in report.outputs.iter().zip(chain.outputs()) {
            let audio = wav::read(&out.path);
            let what = format!("{} output `{}`", p.name, decl.name);
            let out_rate = decl.format.sample_rate.unwrap_or(rate);
            assert_eq!(audio.sample_rate, out_rate, "{what}");
            assert_eq!(u32::from(audio.bits), decl.format.format.bits(), "{what}");
            assert_eq!(audio.frames() as u64, out.frames, "{what}");
            let expected = (len + report.tail) as f64 * f64::from(out_rate) / f64::from(rate);
            assert!(
                (audio.frames() as f64 - expected).abs() <= 2.0,
                "{what}: {} frames, expected {expected}",
                audio.frames()
            );
            let level = audio.channels.iter().map(|c| rms(c)).fold(0.0, f64::max);
            assert!(level > 1e-3, "{what}: silent ({level})");
        }
    }
}

/// The streaming master holds -1 dBTP on the delivered file, measured by the `ebur128` crate
/// on the 44.1 kHz 24-bit deliverable, for drums and noise driven 6 dB over full scale and
/// recorded at 48 kHz; its loudness meter reads what `ebur128` reads on the deliverable.
/// Regression: the session used to run at the input's 48 kHz and the output was resampled
/// after the limiter, which put the deliverable's peaks at -0.38 dBTP; the preset now runs at
/// its delivery rate, so the input is resampled on the way in.
#[test]
fn master_streaming_holds_its_true_peak_ceiling_on_a_deliverable_made_from_48_khz() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 48_000;
    let chain = preset("master-streaming");
    let ceiling = param(&chain, "limiter", "ceiling");
    let beat = drums(rate, 2, 1.0);
    let hiss = noise(4, 2, beat[0].len());
    let loud: Vec<Vec<f32>> = beat
        .iter()
        .zip(&hiss)
        .map(|(d, h)| d.iter().zip(h).map(|(d, h)| 2.0 * d + 0.5 * h).collect())
        .collect();
    let input = fixture(dir.path(), "loud", rate, &loud);
    let report = render_chain(&chain, &[("in", input)], dir.path(), &[]);
    let out = wav::read(&dir.path().join("out.wav"));
    assert_eq!(
        (out.sample_rate, out.bits, report.sample_rate),
        (44_100, 24, 44_100)
    );
    assert!(
        report.notices.iter().any(|n| matches!(
            n,
            InputNotice::Resampled {
                from: 48_000,
                to: 44_100,
                ..
            }
        )),
        "the input is resampled before the chain: {:?}",
        report.notices
    );
    let tp = true_peak_under(&out, ceiling);
    assert!(
        tp > ceiling - 1.0,
        "the limiter should reach its ceiling on this input: {tp:.3} dBTP"
    );
    assert_meter_matches(&report, "meter", &out);
}

/// The CD master writes 16-bit 44.1 kHz with dither: a 1 kHz tone at -100 dBFS, below half a
/// 16-bit step (so plain rounding would write silence), survives in the file at its level;
/// and on a loud input the 16-bit file still holds the -1 dBTP ceiling.
#[test]
fn master_cd_dithers_a_tone_below_one_16_bit_step_into_the_file_and_holds_the_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 44_100;
    let chain = preset("master-cd");
    let amplitude = db(-100.0);
    assert!(
        amplitude < 0.5 / 32_768.0,
        "the tone must be below half a 16-bit step"
    );
    let tone = sine(1000.0, rate, amplitude, 3 * rate as usize);
    let input = fixture(dir.path(), "tone", rate, &[tone.clone(), tone]);
    render_chain(&chain, &[("in", input)], dir.path(), &[]);
    let out = wav::read(&dir.path().join("out.wav"));
    assert_eq!((out.sample_rate, out.bits, out.float), (44_100, 16, false));
    for c in &out.channels {
        // Within the input's length: the chain's tail follows it.
        let got = amplitude_at(
            &c[rate as usize / 2..3 * rate as usize],
            1000.0,
            f64::from(rate),
        );
        assert!(
            (to_db(got) + 100.0).abs() < 1.0,
            "the dithered tone reads {:.2} dBFS",
            to_db(got)
        );
    }
    let ceiling = param(&chain, "master/limiter", "ceiling");
    let loud = scaled(drums(rate, 2, 1.0), 2.0);
    let input = fixture(dir.path(), "loud", rate, &loud);
    render_chain(&chain, &[("in", input)], dir.path(), &[]);
    true_peak_under(&wav::read(&dir.path().join("out.wav")), ceiling);
}

/// The digital magnitude of an RBJ cookbook biquad (`peak` or `highshelf`) at `f`.
fn rbj_magnitude(shape: &str, fs: f64, f0: f64, q: f64, gain_db: f64, f: f64) -> f64 {
    let a = 10f64.powf(gain_db / 40.0);
    let w0 = 2.0 * PI * f0 / fs;
    let (cw, alpha) = (w0.cos(), w0.sin() / (2.0 * q));
    let [b0, b1, b2, a0, a1, a2] = match shape {
        "peak" => [
            1.0 + alpha * a,
            -2.0 * cw,
            1.0 - alpha * a,
            1.0 + alpha / a,
            -2.0 * cw,
            1.0 - alpha / a,
        ],
        "highshelf" => {
            let s = 2.0 * a.sqrt() * alpha;
            [
                a * ((a + 1.0) + (a - 1.0) * cw + s),
                -2.0 * a * ((a - 1.0) + (a + 1.0) * cw),
                a * ((a + 1.0) + (a - 1.0) * cw - s),
                (a + 1.0) - (a - 1.0) * cw + s,
                2.0 * ((a - 1.0) - (a + 1.0) * cw),
                (a + 1.0) - (a - 1.0) * cw - s,
            ]
        }
        other => panic!("{other}"),
    };
    let w = 2.0 * PI * f / fs;
    let h = |c0: f64, c1: f64, c2: f64| {
        let re = c0 + c1 * w.cos() + c2 * (2.0 * w).cos();
        let im = -(c1 * w.sin() + c2 * (2.0 * w).sin());
        re.hypot(im)
    };
    h(b0, b1, b2) / h(a0, a1, a2)
}

/// The magnitude of a digital Butterworth high-pass of `order` (bilinear, cutoff pre-warped).
fn butterworth_highpass(fs: f64, fc: f64, order: i32, f: f64) -> f64 {
    let ratio = (PI * fc / fs).tan() / (PI * f / fs).tan();
    1.0 / (1.0 + ratio.powi(2 * order)).sqrt()
}

/// The static curve of a soft-knee compressor: gain in dB for a detected level `x` dB.
fn compressor_gain_db(x: f64, threshold: f64, ratio: f64, knee: f64) -> f64 {
    let over = x - threshold;
    let slope = 1.0 / ratio - 1.0;
    if 2.0 * over < -knee {
        0.0
    } else if 2.0 * over.abs() <= knee {
        slope * (over + knee / 2.0).powi(2) / (2.0 * knee)
    } else {
        slope * over
    }
}

/// The vocal strip, tone after tone: at -40 dBFS (below the compressor's knee) each comes out
/// at the make-up gain times the analytic responses of its high-pass (4th-order Butterworth),
/// presence peak and air shelf, within 0.05 dB; a 1 kHz tone at -4 dBFS is turned down by the
/// compressor's static curve (16 dB over a 3:1 threshold: -10.7 dB), within 0.25 dB.
#[test]
fn vocal_strip_follows_its_filters_below_the_threshold_and_its_ratio_above() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 48_000;
    let fs = f64::from(rate);
    let chain = preset("vocal-strip");
    let p = |node: &str, name: &str| param(&chain, node, name);
    assert_eq!(
        p("rumble", "slope"),
        1.0,
        "the test assumes the 24 dB/oct slope (order 4)"
    );
    let linear = |f: f64| {
        butterworth_highpass(fs, p("rumble", "frequency"), 4, f)
            * rbj_magnitude(
                "peak",
                fs,
                p("presence", "frequency"),
                p("presence", "q"),
                p("presence", "gain"),
                f,
            )
            * rbj_magnitude(
                "highshelf",
                fs,
                p("air", "frequency"),
                p("air", "q"),
                p("air", "gain"),
                f,
            )
    };
    let tones = [
        (30.0, -40.0),
        (200.0, -40.0),
        (1000.0, -40.0),
        (3000.0, -40.0),
        (12_000.0, -40.0),
        (1000.0, -4.0),
    ];
    let second = rate as usize;
    let input: Vec<f32> = tones
        .iter()
        .flat_map(|&(f, level)| sine(f, rate, db(level), second))
        .collect();
    let path = fixture(dir.path(), "vox", rate, &[input]);
    render_chain(
        &chain,
        &[("in", path)],
        dir.path(),
        &[("out", OutputFormat::new(SampleFormat::Float32))],
    );
    let out = wav::read(&dir.path().join("out.wav"));
    for (k, &(f, level)) in tones.iter().enumerate() {
        let got = to_db(amplitude_at(
            &out.channels[0][k * second + second / 2..(k + 1) * second],
            f,
            fs,
        ));
        let detected = level + to_db(butterworth_highpass(fs, p("rumble", "frequency"), 4, f));
        let reduction = compressor_gain_db(
            detected,
            p("comp", "threshold"),
            p("comp", "ratio"),
            p("comp", "knee"),
        );
        let expected = level + p("comp", "makeup") + reduction + to_db(linear(f));
        let tolerance = if reduction < 0.0 { 0.25 } else { 0.05 };
        assert!(
            (got - expected).abs() <= tolerance,
            "{f} Hz at {level} dBFS: {got:.3} dBFS out, expected {expected:.3} (reduction {reduction:.2} dB)"
        );
    }
}

/// The drum bus compresses: on a drum pattern whose bars alternate between loud and 12 dB
/// softer, the difference between loud and soft bars shrinks to between 1/ratio of it (a
/// static 4:1 curve with both above the threshold) and half of it; and the crest factor
/// (peak over RMS) of a loud bar falls, the lookahead catching the hits.
#[test]
fn drum_bus_evens_out_loud_and_soft_bars_and_lowers_the_crest_factor() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 44_100;
    let chain = preset("drum-bus");
    let ratio = param(&chain, "glue", "ratio");
    let input = scaled(drums(rate, 8, db(-12.0)), 0.5);
    let path = fixture(dir.path(), "drums", rate, &input);
    render_chain(
        &chain,
        &[("in", path)],
        dir.path(),
        &[("out", OutputFormat::new(SampleFormat::Float32))],
    );
    let out = wav::read(&dir.path().join("out.wav"));
    let bar = 8 * (0.25 * f64::from(rate)) as usize;
    // Bars 2..7: the first two are left to the compressor to settle.
    let bar_level = |x: &[f32], b: usize| rms(&x[b * bar..(b + 1) * bar]);
    let spread = |x: &[f32]| {
        to_db(
            [2, 4, 6].iter().map(|&b| bar_level(x, b)).sum::<f64>()
                / [3, 5, 7].iter().map(|&b| bar_level(x, b)).sum::<f64>(),
        )
    };
    let crest = |x: &[f32]| to_db(peak(&x[4 * bar..5 * bar]) / bar_level(x, 4));
    for (x, y) in input.iter().zip(&out.channels) {
        let (before, after) = (spread(x), spread(y));
        assert!(
            (before - 12.0).abs() < 0.5,
            "the input's bars differ by {before:.2} dB"
        );
        assert!(
            after >= before / ratio - 0.1 && after <= before / 2.0,
            "loud and soft bars: {before:.2} dB in, {after:.2} dB out"
        );
        let (before, after) = (crest(x), crest(y));
        assert!(
            after < before - 0.5,
            "crest factor {before:.2} dB in, {after:.2} dB out"
        );
    }
}

/// The -3 dB pan law of the `pan` node for a mono source: (left, right) gains.
fn pan_law(pan: f64) -> (f64, f64) {
    let theta = (pan + 1.0) * PI / 4.0;
    (theta.cos(), theta.sin())
}

/// The mix with a shared reverb. A stem without a send (the bass) comes out as its fader, pan
/// and the mix bus make it, computed here, and nothing follows it; a stem with a send (the
/// vocals) comes out dry until the reverb's predelay has passed, and after it stops the
/// reverb's tail goes on, falling at a rate between its decay time's and the faster decay
/// its damping gives the highs.
#[test]
fn mix_bus_reverb_sends_add_a_tail_only_to_the_stems_that_have_one() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 44_100;
    let fs = f64::from(rate);
    let chain = preset("mix-bus-reverb");
    let p = |node: &str, name: &str| param(&chain, node, name);
    let len = rate as usize / 2;
    let burst = scaled(noise(8, 1, len), 0.25);
    let silence = fixture(dir.path(), "silence", rate, &[vec![0.0; len]]);
    let stems = ["drums", "bass", "keys", "vocals"];
    let render_one = |stem: &str| {
        let path = fixture(dir.path(), stem, rate, &burst);
        let inputs: Vec<(&str, PathBuf)> = stems
            .iter()
            .map(|s| {
                (
                    *s,
                    if *s == stem {
                        path.clone()
                    } else {
                        silence.clone()
                    },
                )
            })
            .collect();
        let report = render_chain(
            &chain,
            &inputs,
            dir.path(),
            &[("mix", OutputFormat::new(SampleFormat::Float32))],
        );
        (report, wav::read(&dir.path().join("mix.wav")))
    };
    let dry = |stem: &str, side: usize, n: usize| {
        let (l, r) = pan_law(p(&format!("{stem}-pan"), "pan"));
        f64::from(burst[0][n])
            * db(p(&format!("{stem}-fader"), "gain"))
            * if side == 0 { l } else { r }
            * db(p("mix-bus", "gain"))
    };

    let (report, bass) = render_one("bass");
    assert!(report.tail > 0, "the reverb declares a tail");
    assert_eq!(bass.frames(), len + report.tail);
    for (side, c) in bass.channels.iter().enumerate() {
        for (n, x) in c.iter().enumerate() {
            let expected = if n < len { dry("bass", side, n) } else { 0.0 };
            assert!(
                (f64::from(*x) - expected).abs() < 1e-6,
                "bass, side {side}, frame {n}: {x} != {expected}"
            );
        }
    }

    let (_, vocals) = render_one("vocals");
    let predelay = (p("reverb", "predelay") * 0.001 * fs) as usize;
    let window = |x: &[f32], from: f64, to: f64| {
        rms(&x[len + (from * fs) as usize..len + (to * fs) as usize])
    };
    let decay = p("reverb", "decay");
    let fastest = decay * (1.0 - p("reverb", "damping") / 100.0);
    for (side, c) in vocals.channels.iter().enumerate() {
        for (n, x) in c.iter().enumerate().take(predelay) {
            let expected = dry("vocals", side, n);
            assert!(
                (f64::from(*x) - expected).abs() < 1e-6,
                "vocals before the predelay, frame {n}: {x} != {expected}"
            );
        }
        let dry_level = rms(&c[..len]);
        let early = window(c, 0.1, 0.3);
        let late = window(c, 0.9, 1.1);
        assert!(
            early > dry_level * db(-40.0),
            "no tail after the vocals: {:.1} dB under the dry level",
            to_db(dry_level / early)
        );
        let fall = to_db(early / late);
        let (slow, fast) = (60.0 * 0.8 / decay, 60.0 * 0.8 / fastest);
        assert!(
            fall >= 0.8 * slow && fall <= 1.2 * fast,
            "the tail falls {fall:.1} dB in 0.8 s; expected {slow:.1} to {fast:.1}"
        );
    }
}

/// A stem of `seconds` at `rate`: a 55 Hz bass note per beat (mono).
fn bass(rate: u32, seconds: f64) -> Vec<f32> {
    let beat = (0.5 * f64::from(rate)) as usize;
    (0..(seconds * f64::from(rate)) as usize)
        .map(|n| {
            let t = (n % beat) as f64 / f64::from(rate);
            (0.4 * (2.0 * PI * 55.0 * n as f64 / f64::from(rate)).sin() * (-t / 0.3).exp()) as f32
        })
        .collect()
}

/// A stem: a sustained A minor chord of sines (mono).
fn keys(rate: u32, seconds: f64) -> Vec<f32> {
    let chord = [220.0, 261.63, 329.63, 440.0];
    (0..(seconds * f64::from(rate)) as usize)
        .map(|n| {
            chord
                .iter()
                .map(|f| 0.08 * (2.0 * PI * f * n as f64 / f64::from(rate)).sin())
                .sum::<f64>() as f32
        })
        .collect()
}

/// A stem like a sung vowel: a 220 Hz tone with ten harmonics and a 5 Hz vibrato, phrased
/// in one-second notes with a short gap (mono).
fn vocals(rate: u32, seconds: f64) -> Vec<f32> {
    let fs = f64::from(rate);
    let mut phase = 0.0f64;
    (0..(seconds * fs) as usize)
        .map(|n| {
            let t = n as f64 / fs;
            phase += 2.0 * PI * 220.0 * (1.0 + 0.01 * (2.0 * PI * 5.0 * t).sin()) / fs;
            let envelope = if t % 1.0 < 0.85 { 1.0 } else { 0.0 };
            (envelope
                * (1..=10)
                    .map(|h| 0.3 / f64::from(h) * (f64::from(h) * phase).sin())
                    .sum::<f64>()) as f32
        })
        .collect()
}

/// Stems to master in one graph, stems loud enough for the master's limiter to work. Its
/// master equals the streaming master preset rendered from the mix it writes beside the
/// master (the subchains compose) within -100 dBFS: not bit for bit, because the head the
/// render trims (the drum bus's lookahead and oversampling latency) holds a little pre-ringing
/// that in one graph also runs through the master's filters but is cut from the mix file. The
/// master holds -1 dBTP on the 24-bit deliverable, and its loudness meter reads what `ebur128`
/// reads on that file.
#[test]
fn stems_to_master_equals_its_mix_through_the_streaming_master() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 44_100;
    let seconds = 4.0;
    let chain = preset("stems-to-master");
    let stems = [
        ("drums", scaled(drums(rate, 2, 1.0), 2.0)),
        ("bass", scaled(vec![bass(rate, seconds)], 4.0)),
        ("keys", scaled(vec![keys(rate, seconds)], 4.0)),
        ("vocals", scaled(vec![vocals(rate, seconds)], 4.0)),
    ];
    let inputs: Vec<(&str, PathBuf)> = stems
        .iter()
        .map(|(name, x)| (*name, fixture(dir.path(), name, rate, x)))
        .collect();
    let session = dir.path().join("session");
    std::fs::create_dir(&session).unwrap();
    let report = render_chain(&chain, &inputs, &session, &[]);
    let master = wav::read(&session.join("out.wav"));
    assert_eq!((master.sample_rate, master.bits), (44_100, 24));
    let mix_path = session.join("mix.wav");
    assert!(
        wav::read(&mix_path).float,
        "the mix is kept as 32-bit float"
    );

    let alone = dir.path().join("alone");
    std::fs::create_dir(&alone).unwrap();
    render_chain(
        &preset("master-streaming"),
        &[("in", mix_path)],
        &alone,
        &[],
    );
    let again = wav::read(&alone.join("out.wav"));
    assert!(again.frames() >= master.frames());
    for (a, b) in master.channels.iter().zip(&again.channels) {
        let worst = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
        assert!(
            f64::from(worst) <= db(-100.0),
            "the session's master and the master of its mix differ by {worst}"
        );
    }

    let ceiling = param(&chain, "master/limiter", "ceiling");
    let tp = true_peak_under(&master, ceiling);
    assert!(
        tp > ceiling - 0.5,
        "the limiter should be working on these stems: {tp:.3} dBTP"
    );
    assert_meter_matches(&report, "master/meter", &master);
}
