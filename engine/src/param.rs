//! Parameter descriptions (name, unit, range, default, smoothing) and the values a chain gives them.

use std::fmt;
use std::path::PathBuf;

/// The unit a numeric parameter is expressed in; shown in listings and error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unit {
    /// A plain number without unit.
    None,
    /// Decibels.
    Db,
    /// Decibels relative to full scale, true peak.
    Dbtp,
    /// Loudness units relative to full scale.
    Lufs,
    /// Hertz.
    Hz,
    /// Milliseconds.
    Ms,
    /// Seconds.
    Seconds,
    /// A ratio such as a compressor's 4:1, written as 4.
    Ratio,
    /// Percent, 0 to 100.
    Percent,
    /// A linear factor.
    Factor,
    /// Samples (frames).
    Samples,
    /// Degrees.
    Degrees,
    /// Beats per minute.
    Bpm,
    /// Beats (quarter notes).
    Beats,
    /// Octaves.
    Octaves,
    /// A filter quality factor.
    Q,
    /// A channel index, counted from 0.
    Channel,
}

impl Unit {
    /// The unit as written after a value, e.g. "dB".
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::None => "",
            Unit::Db => "dB",
            Unit::Dbtp => "dBTP",
            Unit::Lufs => "LUFS",
            Unit::Hz => "Hz",
            Unit::Ms => "ms",
            Unit::Seconds => "s",
            Unit::Ratio => ":1",
            Unit::Percent => "%",
            Unit::Factor => "x",
            Unit::Samples => "samples",
            Unit::Degrees => "deg",
            Unit::Bpm => "BPM",
            Unit::Beats => "beats",
            Unit::Octaves => "oct",
            Unit::Q => "Q",
            Unit::Channel => "ch",
        }
    }
}

/// What kind of value a parameter takes, with its range and default.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ParamKind {
    /// A number within `min..=max`; automatable, smoothed over `smoothing_ms` when it changes.
    Number {
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
        /// Value when the chain does not set one.
        default: f64,
        /// Unit of the value.
        unit: Unit,
        /// Time over which a change is ramped to avoid zipper noise (0: immediate).
        smoothing_ms: f64,
    },
    /// One of a fixed list of names; at run time its index is passed as the value.
    Choice {
        /// The allowed names.
        options: &'static [&'static str],
        /// The default name.
        default: &'static str,
    },
    /// On or off; at run time 1.0 or 0.0.
    Bool {
        /// The default.
        default: bool,
    },
    /// A file path (an impulse response, say), fixed when the chain is built.
    Path,
}

/// One parameter of a node type.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    /// The name used in chains and scripts.
    pub name: &'static str,
    /// One line saying what it does.
    pub doc: &'static str,
    /// Its kind, range and default.
    pub kind: ParamKind,
}

impl ParamSpec {
    /// A numeric parameter.
    pub const fn number(
        name: &'static str,
        doc: &'static str,
        unit: Unit,
        min: f64,
        max: f64,
        default: f64,
        smoothing_ms: f64,
    ) -> Self {
        ParamSpec {
            name,
            doc,
            kind: ParamKind::Number {
                min,
                max,
                default,
                unit,
                smoothing_ms,
            },
        }
    }

    /// A choice among names.
    pub const fn choice(
        name: &'static str,
        doc: &'static str,
        options: &'static [&'static str],
        default: &'static str,
    ) -> Self {
        ParamSpec {
            name,
            doc,
            kind: ParamKind::Choice { options, default },
        }
    }

    /// A switch.
    pub const fn flag(name: &'static str, doc: &'static str, default: bool) -> Self {
        ParamSpec {
            name,
            doc,
            kind: ParamKind::Bool { default },
        }
    }

    /// A file path.
    pub const fn path(name: &'static str, doc: &'static str) -> Self {
        ParamSpec {
            name,
            doc,
            kind: ParamKind::Path,
        }
    }

    /// The default value, or `None` for a path (which must be given).
    pub fn default_value(&self) -> Option<ParamValue> {
        match &self.kind {
            ParamKind::Number { default, .. } => Some(ParamValue::Number(*default)),
            ParamKind::Choice { default, .. } => Some(ParamValue::Text((*default).to_string())),
            ParamKind::Bool { default } => Some(ParamValue::Bool(*default)),
            ParamKind::Path => None,
        }
    }

    /// Whether the parameter can change while audio runs (automation, live control).
    pub fn is_automatable(&self) -> bool {
        !matches!(self.kind, ParamKind::Path)
    }

    /// Checks a value against this parameter and returns the number the processor receives
    /// (choice index, 0/1 for a flag); a path yields `NaN` as it has no numeric form.
    ///
    /// # Errors
    /// Returns [`ParamError`] when the value has the wrong type or lies outside the range.
    pub fn check(&self, value: &ParamValue) -> Result<f64, ParamError> {
        let wrong = |expected: String| ParamError::WrongType {
            param: self.name.to_string(),
            expected,
            found: value.to_string(),
        };
        match (&self.kind, value) {
            (ParamKind::Number { min, max, unit, .. }, ParamValue::Number(v)) => {
                if v.is_finite() && *v >= *min && *v <= *max {
                    Ok(*v)
                } else {
                    Err(ParamError::OutOfRange {
                        param: self.name.to_string(),
                        value: *v,
                        min: *min,
                        max: *max,
                        unit: unit.symbol(),
                    })
                }
            }
            (ParamKind::Number { unit, .. }, _) => {
                Err(wrong(format!("a number in {}", unit.symbol())))
            }
            (ParamKind::Choice { options, .. }, ParamValue::Text(t)) => options
                .iter()
                .position(|o| o == t)
                .map(|i| i as f64)
                .ok_or_else(|| ParamError::UnknownChoice {
                    param: self.name.to_string(),
                    found: t.clone(),
                    options: options.iter().map(|s| s.to_string()).collect(),
                }),
            (ParamKind::Choice { options, .. }, _) => {
                Err(wrong(format!("one of {}", options.join(", "))))
            }
            (ParamKind::Bool { .. }, ParamValue::Bool(b)) => Ok(if *b { 1.0 } else { 0.0 }),
            (ParamKind::Bool { .. }, _) => Err(wrong("true or false".to_string())),
            (ParamKind::Path, ParamValue::Text(_)) => Ok(f64::NAN),
            (ParamKind::Path, _) => Err(wrong("a file path".to_string())),
        }
    }

    /// The range written for people, e.g. "-60 to 24 dB, default 0".
    pub fn describe_range(&self) -> String {
        match &self.kind {
            ParamKind::Number {
                min,
                max,
                default,
                unit,
                ..
            } => {
                format!("{min} to {max} {}, default {default}", unit.symbol())
            }
            ParamKind::Choice { options, default } => {
                format!("one of {}, default {default}", options.join(" | "))
            }
            ParamKind::Bool { default } => format!("true | false, default {default}"),
            ParamKind::Path => "a file path (required)".to_string(),
        }
    }
}

/// A parameter value as written in a chain.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    /// A number.
    Number(f64),
    /// A name (for a choice) or a path.
    Text(String),
    /// A switch.
    Bool(bool),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Number(v) => write!(f, "{v}"),
            ParamValue::Text(t) => write!(f, "\"{t}\""),
            ParamValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// A parameter value that does not fit its description.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamError {
    /// A number outside the parameter's range.
    #[error("parameter `{param}` = {value} is out of range: expected {min} to {max} {unit}")]
    OutOfRange {
        /// The parameter.
        param: String,
        /// The value found.
        value: f64,
        /// Smallest allowed.
        min: f64,
        /// Largest allowed.
        max: f64,
        /// Unit symbol.
        unit: &'static str,
    },
    /// A value of the wrong type.
    #[error("parameter `{param}`: expected {expected}, found {found}")]
    WrongType {
        /// The parameter.
        param: String,
        /// What was expected.
        expected: String,
        /// What was found.
        found: String,
    },
    /// A choice name that is not among the options.
    #[error("parameter `{param}`: unknown option \"{found}\", expected one of {}", options.join(", "))]
    UnknownChoice {
        /// The parameter.
        param: String,
        /// The name found.
        found: String,
        /// The allowed names.
        options: Vec<String>,
    },
}

/// The checked parameter values of one node instance, in descriptor order.
///
/// Built by [`Params::resolve`]; processors read them by name when they are activated.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    specs: &'static [ParamSpec],
    numbers: Vec<f64>,
    texts: Vec<Option<String>>,
}

impl Params {
    /// Checks the given `(name, value)` pairs against `specs`, fills in defaults, and
    /// returns the resolved set.
    ///
    /// # Errors
    /// An unknown name, a value of the wrong type or out of range, or a missing path.
    pub fn resolve(
        specs: &'static [ParamSpec],
        given: &[(String, ParamValue)],
    ) -> Result<Params, ParamError> {
        let mut numbers = Vec::with_capacity(specs.len());
        let mut texts = Vec::with_capacity(specs.len());
        for spec in specs {
            let value = given
                .iter()
                .rev()
                .find(|(n, _)| n == spec.name)
                .map(|(_, v)| v.clone());
            let value = match value.or_else(|| spec.default_value()) {
                Some(v) => v,
                None => {
                    return Err(ParamError::WrongType {
                        param: spec.name.to_string(),
                        expected: "a file path".to_string(),
                        found: "nothing".to_string(),
                    });
                }
            };
            numbers.push(spec.check(&value)?);
            texts.push(match value {
                ParamValue::Text(t) => Some(t),
                _ => None,
            });
        }
        for (name, value) in given {
            if !specs.iter().any(|s| s.name == name) {
                return Err(ParamError::WrongType {
                    param: name.clone(),
                    expected: "a known parameter".to_string(),
                    found: value.to_string(),
                });
            }
        }
        Ok(Params {
            specs,
            numbers,
            texts,
        })
    }

    /// The descriptions these values follow.
    pub fn specs(&self) -> &'static [ParamSpec] {
        self.specs
    }

    /// The index of a parameter by name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.specs.iter().position(|s| s.name == name)
    }

    /// The numeric value of a parameter (choice index, 0/1 for a flag); 0 if unknown.
    pub fn number(&self, name: &str) -> f64 {
        self.index_of(name).map_or(0.0, |i| self.numbers[i])
    }

    /// The numeric value by index.
    pub fn number_at(&self, index: usize) -> f64 {
        self.numbers.get(index).copied().unwrap_or(0.0)
    }

    /// Whether a flag is on.
    pub fn flag(&self, name: &str) -> bool {
        self.number(name) != 0.0
    }

    /// The text of a choice or path parameter.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.index_of(name).and_then(|i| self.texts[i].as_deref())
    }

    /// A path parameter as a path.
    pub fn path(&self, name: &str) -> Option<PathBuf> {
        self.text(name).map(PathBuf::from)
    }

    /// All numeric values in descriptor order.
    pub fn numbers(&self) -> &[f64] {
        &self.numbers
    }
}

/// Converts decibels to a linear amplitude factor.
#[inline]
pub fn db_to_gain(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// Converts a linear amplitude factor to decibels (-inf for 0).
#[inline]
pub fn gain_to_db(gain: f64) -> f64 {
    20.0 * gain.abs().log10()
}
