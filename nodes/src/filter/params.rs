//! The parameter and port vocabulary shared by the filter nodes, so every filter names,
//! ranges and smooths frequency, Q and gain the same way.

use mixgraph_engine::{Channels, ParamSpec, PortSpec, Unit};

/// Time over which frequency, Q and gain changes are ramped.
pub(crate) const SMOOTHING_MS: f64 = 20.0;

/// Lowest settable frequency in Hz.
pub(crate) const FREQ_MIN: f64 = 10.0;
/// Highest settable frequency in Hz; the filters clamp it below 0.49 x the sample rate.
pub(crate) const FREQ_MAX: f64 = 40_000.0;

/// One main input taking any channel count.
pub(crate) const INPUTS: &[PortSpec] = &[PortSpec::input("in", Channels::Any)];
/// One output with the channels of the input.
pub(crate) const OUTPUTS: &[PortSpec] = &[PortSpec::output("out", Channels::SameAsInput(0))];

/// A frequency parameter named `name`.
pub(crate) const fn frequency_named(
    name: &'static str,
    doc: &'static str,
    default: f64,
) -> ParamSpec {
    ParamSpec::number(
        name,
        doc,
        Unit::Hz,
        FREQ_MIN,
        FREQ_MAX,
        default,
        SMOOTHING_MS,
    )
}

/// The `frequency` parameter.
pub(crate) const fn frequency(doc: &'static str, default: f64) -> ParamSpec {
    frequency_named("frequency", doc, default)
}

/// A quality factor parameter named `name`.
pub(crate) const fn q_named(name: &'static str, doc: &'static str, default: f64) -> ParamSpec {
    ParamSpec::number(name, doc, Unit::Q, 0.1, 40.0, default, SMOOTHING_MS)
}

/// The `q` parameter.
pub(crate) const fn q(doc: &'static str, default: f64) -> ParamSpec {
    q_named("q", doc, default)
}

/// A boost/cut parameter named `name`.
pub(crate) const fn gain_named(name: &'static str, doc: &'static str) -> ParamSpec {
    ParamSpec::number(name, doc, Unit::Db, -30.0, 30.0, 0.0, SMOOTHING_MS)
}

/// The `gain` parameter.
pub(crate) const fn gain(doc: &'static str) -> ParamSpec {
    gain_named("gain", doc)
}

/// The slope options of `lowpass` and `highpass`, in dB per octave.
pub(crate) const SLOPES: &[&str] = &["12", "24", "36", "48"];

/// The `slope` parameter of `lowpass` and `highpass`.
pub(crate) const SLOPE: ParamSpec = ParamSpec::choice(
    "slope",
    "Roll-off in dB per octave: a Butterworth cascade of order 2, 4, 6 or 8",
    SLOPES,
    "12",
);
