//! Measurements shared by the filter nodes' tests: impulse responses rendered through the
//! engine, their DFT at chosen frequencies, and renders with a parameter change mid-signal.

use std::f64::consts::PI;
use std::sync::Arc;

use mixgraph_engine::{CompileConfig, NodeType, ParamValue, compile};

use crate::testkit;

/// The sample rates every response test runs at.
pub(crate) const RATES: [f64; 3] = [44_100.0, 48_000.0, 96_000.0];

/// `count` frequencies spaced logarithmically from 20 Hz to 20 kHz.
pub(crate) fn log_frequencies(count: usize) -> Vec<f64> {
    (0..count)
        .map(|i| 20.0 * 1000f64.powf(i as f64 / (count - 1) as f64))
        .collect()
}

/// The impulse response of `node` (mono) over `len` frames, rendered in blocks of 1024.
pub(crate) fn impulse_response(
    node: Arc<dyn NodeType>,
    params: &[(String, ParamValue)],
    fs: f64,
    len: usize,
) -> Vec<f64> {
    let mut impulse = vec![0.0f32; len];
    impulse[0] = 1.0;
    let out = testkit::render_arc(node, params, &[vec![impulse]], fs, 1024);
    out[0][0].iter().map(|x| f64::from(*x)).collect()
}

/// `DFT(h)` at `freq` Hz as `(re, im)`, by a rotating phasor (no FFT, exact frequency).
pub(crate) fn dft(h: &[f64], freq: f64, fs: f64) -> (f64, f64) {
    let (s, c) = (2.0 * PI * freq / fs).sin_cos();
    let (mut pr, mut pi) = (1.0f64, 0.0f64); // e^{-jwn}
    let (mut re, mut im) = (0.0, 0.0);
    for x in h {
        re += x * pr;
        im += x * pi;
        (pr, pi) = (pr * c + pi * s, pi * c - pr * s);
    }
    (re, im)
}

/// `|DFT(h)|` at `freq` Hz.
pub(crate) fn dft_magnitude(h: &[f64], freq: f64, fs: f64) -> f64 {
    let (re, im) = dft(h, freq, fs);
    re.hypot(im)
}

/// Asserts that a measured magnitude matches the expected one: within 0.01 dB wherever the
/// expected response is above -80 dB; below that the 32-bit output samples cannot resolve
/// hundredths of a dB, so the linear difference must stay under 1e-6 (-120 dB).
pub(crate) fn assert_magnitude(measured: f64, expected: f64, what: &str) {
    if expected > 1e-4 {
        let err = 20.0 * (measured / expected).log10();
        assert!(
            err.abs() < 0.01,
            "{what}: measured {measured} vs expected {expected} ({err:+.4} dB)"
        );
    } else {
        assert!(
            (measured - expected).abs() < 1e-6,
            "{what}: measured {measured} vs expected {expected}"
        );
    }
}

/// Renders `node` (mono) over `input`, applying `param = value` (ramped over its smoothing
/// time, like live control; at once when `instant`) at frame `at`, in blocks of `block`
/// frames; returns the first channel of every output port.
pub(crate) fn render_ports_with_change(
    node: Arc<dyn NodeType>,
    params: &[(String, ParamValue)],
    input: &[f32],
    fs: f64,
    block: usize,
    change: (usize, &str, f64),
    instant: bool,
) -> Vec<Vec<f32>> {
    let (at, name, value) = change;
    let index = node
        .descriptor()
        .params
        .iter()
        .position(|p| p.name == name)
        .expect("parameter");
    let g = testkit::graph_for(node, params, 1);
    let mut config = CompileConfig::new(fs, block);
    config.input_channels.insert("in0".to_string(), 1);
    let mut s = compile(&g, &config).expect("compile");
    let node_index = s.node_index("node").expect("node");
    let mut out = vec![Vec::with_capacity(input.len()); s.outputs().len()];
    let mut pos = 0;
    while pos < input.len() {
        if pos == at {
            if instant {
                if let Some(p) = s.processor_mut(node_index) {
                    p.set_param(index, value, 0);
                }
            } else {
                s.set_param(node_index, index, value);
            }
        }
        let end = if pos < at {
            at.min(pos + block)
        } else {
            pos + block
        }
        .min(input.len());
        s.input_buffer(0, 0)[..end - pos].copy_from_slice(&input[pos..end]);
        s.process(end - pos);
        for (port, o) in out.iter_mut().enumerate() {
            o.extend_from_slice(s.output_buffer(port, 0));
        }
        pos = end;
    }
    out
}

/// The largest sample-to-sample step of a signal.
pub(crate) fn max_step(x: &[f32]) -> f32 {
    x.windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f32::max)
}

/// The largest absolute sample of a signal.
pub(crate) fn peak(x: &[f32]) -> f32 {
    x.iter().fold(0.0f32, |m, v| m.max(v.abs()))
}

/// The largest second difference `|x[n+1] - 2 x[n] + x[n-1]|` of a signal: a sine of
/// amplitude `A` never exceeds `A w^2`, while a click (a jump in value or in slope) shows up
/// at once.
pub(crate) fn max_curvature(x: &[f32]) -> f32 {
    x.windows(3)
        .map(|w| (w[2] - 2.0 * w[1] + w[0]).abs())
        .fold(0.0, f32::max)
}

/// Checks that changing `param` to `value` on a low sine (50 Hz, amplitude 0.5, at 48 kHz)
/// makes no click, and that the output does not depend on the block size during the change.
///
/// A sine of amplitude `A` at angular frequency `w` (radians per sample) moves at most `A w`
/// per sample and bends at most `A w^2`; a filter that changes smoothly keeps its output
/// within those bounds for its own (changing) amplitude. With `A` the loudest output sample,
/// the check allows the step 25 % over `A w` and the bend 4 x `A w^2` (the filter's own
/// settling bends the output a little) plus the kink of the amplitude ramp. To show the
/// check can fail, the same output with a step of `A / 100` (a click 40 dB under the
/// signal) added at the change must break the bend bound.
pub(crate) fn assert_change_is_click_free(
    node: Arc<dyn NodeType>,
    params: &[(String, ParamValue)],
    change: (&str, f64),
) {
    let fs = 48_000.0;
    let f = 50.0;
    let w = (2.0 * PI * f / fs) as f32;
    let input = testkit::sine(f, fs, 0.5, 1, 24_000).remove(0);
    let at = 12_000;
    let run = |block: usize, instant: bool| {
        render_ports_with_change(
            node.clone(),
            params,
            &input,
            fs,
            block,
            (at, change.0, change.1),
            instant,
        )
        .swap_remove(0)
    };
    let out = run(64, false);
    assert_eq!(
        out,
        run(1, false),
        "block size changed the output during a parameter ramp"
    );
    assert_eq!(
        out,
        run(1000, false),
        "block size changed the output during a parameter ramp"
    );
    assert!(out.iter().all(|x| x.is_finite()));
    let (step, bend, step_bound, bend_bound) = click_measures(&out, at, w, fs);
    assert!(
        step <= step_bound,
        "click: step {step} > bound {step_bound}"
    );
    assert!(
        bend <= bend_bound,
        "click: bend {bend} > bound {bend_bound}"
    );
    let mut clicked = out.clone();
    let size = peak(&out[at - 2000..]) / 100.0;
    clicked[at..].iter_mut().for_each(|x| *x += size);
    let (_, bend, _, bend_bound) = click_measures(&clicked, at, w, fs);
    assert!(
        bend > bend_bound,
        "a step of {size} should count as a click: bend {bend} <= {bend_bound}"
    );
}

/// Checks that switching the choice `param` to option `option` (its index `index`) while a
/// low sine runs makes no click ([`assert_change_is_click_free`]) and lands on the new
/// option: from 0.4 s after the switch on, the output equals (within 1e-5) that of the node
/// set to `option` from the start.
pub(crate) fn assert_switch_is_click_free_and_lands(
    node: Arc<dyn NodeType>,
    params: &[(String, ParamValue)],
    (param, option, index): (&str, &str, f64),
) {
    assert_change_is_click_free(node.clone(), params, (param, index));
    let fs = 48_000.0;
    let input = testkit::sine(50.0, fs, 0.5, 1, 36_000).remove(0);
    let switched = render_ports_with_change(
        node.clone(),
        params,
        &input,
        fs,
        64,
        (12_000, param, index),
        false,
    )
    .swap_remove(0);
    let mut set: Vec<(String, ParamValue)> = params.to_vec();
    set.push(crate::testkit::text(param, option));
    let fresh = testkit::render_arc(node, &set, &[vec![input]], fs, 64).swap_remove(0);
    for (n, (a, b)) in switched
        .iter()
        .zip(&fresh[0])
        .enumerate()
        .skip(12_000 + 19_200)
    {
        assert!(
            (a - b).abs() < 1e-5,
            "{param} = {option}: frame {n} is {a}, the node set so from the start gives {b}"
        );
    }
}

/// `(step, bend, step bound, bend bound)` of the output around a change at frame `at` of a
/// sine at `w` radians per sample (see [`assert_change_is_click_free`]).
///
/// The bend bound also admits the kink of a linear amplitude ramp: an amplitude moving from
/// `A0` to `A1` over the smoothing time bends the signal by up to `|A1 - A0| / ramp` where
/// the ramp starts and ends.
fn click_measures(out: &[f32], at: usize, w: f32, fs: f64) -> (f32, f32, f32, f32) {
    // Skip the start-up transient; judge from a little before the change to the end.
    let window = &out[at - 2000..];
    let amplitude = peak(window);
    let before = peak(&out[at - 2000..at]);
    let after = peak(&out[out.len() - 2000..]);
    let ramp = (super::params::SMOOTHING_MS * 0.001 * fs) as f32;
    let step_bound = amplitude * w * 1.25;
    let bend_bound = amplitude * w * w * 4.0 + (after - before).abs() / ramp;
    (
        max_step(window),
        max_curvature(window),
        step_bound,
        bend_bound,
    )
}

/// Frames of impulse response measured; long enough for every setting the tests use to
/// decay far below the 32-bit floor.
pub(crate) const IMPULSE_FRAMES: usize = 32_768;

/// Asserts that the node's measured magnitude response equals `expected(fs, f)` at 30
/// log-spaced frequencies from 20 Hz to 20 kHz, at 44.1, 48 and 96 kHz.
pub(crate) fn assert_response(
    node: Arc<dyn NodeType>,
    params: &[(String, ParamValue)],
    expected: impl Fn(f64, f64) -> f64,
) {
    assert_response_frames(node, params, IMPULSE_FRAMES, expected);
}

/// [`assert_response`] measuring `frames` frames of impulse response.
pub(crate) fn assert_response_frames(
    node: Arc<dyn NodeType>,
    params: &[(String, ParamValue)],
    frames: usize,
    expected: impl Fn(f64, f64) -> f64,
) {
    for fs in RATES {
        let h = impulse_response(node.clone(), params, fs, frames);
        for f in log_frequencies(30) {
            let what = format!(
                "`{}` {params:?} at {fs} Hz, {f:.1} Hz",
                node.descriptor().kind
            );
            assert_magnitude(dft_magnitude(&h, f, fs), expected(fs, f), &what);
        }
    }
}

/// Which side a Butterworth node passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PassDirection {
    /// `lowpass`.
    Low,
    /// `highpass`.
    High,
}

/// The analytic magnitude of a digital Butterworth filter of `order`: the bilinear transform
/// (prewarped at `fc`) of `|H|^2 = 1 / (1 + w^2n)` (low) or `w^2n / (1 + w^2n)` (high).
pub(crate) fn butterworth_magnitude(
    direction: PassDirection,
    order: usize,
    fc: f64,
    fs: f64,
    f: f64,
) -> f64 {
    let w = (PI * f / fs).tan() / (PI * fc / fs).tan();
    let p = w.powi(2 * order as i32);
    match direction {
        PassDirection::Low => (1.0 / (1.0 + p)).sqrt(),
        PassDirection::High => (p / (1.0 + p)).sqrt(),
    }
}

/// For every slope option of a `lowpass`/`highpass` node at the default q: the response is
/// the analytic Butterworth one; -3.01 dB at the cutoff at every rate; and in the stop band
/// the response falls by 6.02 dB per octave per order (12/24/36/48 dB/oct), measured.
pub(crate) fn assert_butterworth_node(node: Arc<dyn NodeType>, direction: PassDirection) {
    use crate::testkit::{num, text};
    let fc = 1000.0;
    for (index, slope) in super::params::SLOPES.iter().enumerate() {
        let order = 2 * (index + 1);
        let params = [num("frequency", fc), text("slope", slope)];
        assert_response(node.clone(), &params, |fs, f| {
            butterworth_magnitude(direction, order, fc, fs, f)
        });
        for fs in RATES {
            let h = impulse_response(node.clone(), &params, fs, IMPULSE_FRAMES);
            let corner = 20.0 * dft_magnitude(&h, fc, fs).log10();
            assert!(
                (corner + 3.0103).abs() < 0.01,
                "slope {slope} at {fs}: {corner} dB at the cutoff"
            );
        }
        // Asymptotic slope: one octave where the response is about -35 dB (so the
        // maximally flat shape has reached its asymptote to within 0.002 dB), with a low
        // cutoff at 96 kHz so frequency warping stays below 0.01 dB.
        let (fs, fc) = (96_000.0, 100.0);
        let params = [num("frequency", fc), text("slope", slope)];
        let h = impulse_response(node.clone(), &params, fs, IMPULSE_FRAMES);
        let w = 10f64.powf(-35.0 / (20.0 * order as f64));
        let (near, far) = match direction {
            PassDirection::Low => (fc / w, 2.0 * fc / w),
            PassDirection::High => (fc * w, fc * w / 2.0),
        };
        let db = |f: f64| 20.0 * dft_magnitude(&h, f, fs).log10();
        let per_octave = db(near) - db(far);
        let want = 20.0 * 2f64.log10() * order as f64;
        assert!(
            (per_octave - want).abs() < 0.05,
            "slope {slope}: {per_octave} dB/oct, expected {want}"
        );
    }
}
