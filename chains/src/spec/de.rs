//! Reading the parts of a chain that serde cannot derive: the short forms (a plain string
//! for an input, an output or a series step), parameter maps whose values are numbers,
//! names or switches, automation breakpoints `(time, value)` or `(time, value, Curve)`, and
//! `node.port` endpoints.
//!
//! These work with any self-describing deserializer (RON, and the Lua values of the scripts
//! crate).

use std::fmt;
use std::marker::PhantomData;

use mixgraph_engine::{AutomationLane, Breakpoint, Curve, ParamValue};
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{Dither, Endpoint, InputSpec, NodeSpec, OutputSpec, SampleFormat};

/// A part that is either a plain string (its short form) or a struct of fields.
trait ShortForm: Sized {
    /// The full form, derived with `deny_unknown_fields`.
    type Full: DeserializeOwned + Into<Self>;
    /// The struct name of the full form, for messages.
    const NAME: &'static str;
    /// What the value should be, for messages.
    const EXPECTING: &'static str;
    /// The part from its short form.
    fn from_short(text: &str) -> Self;
}

struct ShortOrFull<T>(PhantomData<T>);

impl<'de, T: ShortForm> Visitor<'de> for ShortOrFull<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        Ok(T::from_short(text))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        full(MapAccessDeserializer::new(map))
    }

    /// `Node()`: RON reads a struct without fields as an empty tuple.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        full(MapAccessDeserializer::new(NoFields(PhantomData)))
    }

    /// `Node`: RON reads a struct name without parentheses as a unit.
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        full(MapAccessDeserializer::new(NoFields(PhantomData)))
    }
}

/// The full form, its errors naming the struct they are in (RON would otherwise name the
/// enclosing `Chain`, as these structs are read without their name).
fn full<'de, T: ShortForm, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    T::Full::deserialize(d)
        .map(Into::into)
        .map_err(|e| de::Error::custom(format!("in `{}`: {e}", T::NAME)))
}

/// A struct with no fields written.
struct NoFields<E>(PhantomData<E>);

impl<'de, E: de::Error> MapAccess<'de> for NoFields<E> {
    type Error = E;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        _seed: K,
    ) -> Result<Option<K::Value>, E> {
        Ok(None)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, _seed: V) -> Result<V::Value, E> {
        Err(de::Error::custom("a struct without fields has no values"))
    }
}

fn short_or_full<'de, D: Deserializer<'de>, T: ShortForm>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(ShortOrFull(PhantomData))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InputFields {
    name: String,
    #[serde(default)]
    channels: Option<u32>,
}

impl From<InputFields> for InputSpec {
    fn from(f: InputFields) -> Self {
        InputSpec {
            name: f.name,
            channels: f.channels,
        }
    }
}

impl ShortForm for InputSpec {
    type Full = InputFields;
    const NAME: &'static str = "Input";
    const EXPECTING: &'static str = "an input: \"name\" or Input(name: \"...\", channels: ...)";
    fn from_short(text: &str) -> Self {
        InputSpec::new(text)
    }
}

impl<'de> Deserialize<'de> for InputSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        short_or_full(d)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutputFields {
    name: String,
    #[serde(default)]
    from: Option<Endpoint>,
    #[serde(default)]
    sample_rate: Option<u32>,
    #[serde(default)]
    format: SampleFormat,
    #[serde(default)]
    dither: Dither,
}

impl From<OutputFields> for OutputSpec {
    fn from(f: OutputFields) -> Self {
        OutputSpec {
            name: f.name,
            from: f.from,
            sample_rate: f.sample_rate,
            format: f.format,
            dither: f.dither,
        }
    }
}

impl ShortForm for OutputSpec {
    type Full = OutputFields;
    const NAME: &'static str = "Output";
    const EXPECTING: &'static str =
        "an output: \"name\" or Output(name: \"...\", from: \"node\", format: Pcm24, ...)";
    fn from_short(text: &str) -> Self {
        OutputSpec::new(text)
    }
}

impl<'de> Deserialize<'de> for OutputSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        short_or_full(d)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeFields {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    chain: Option<String>,
    #[serde(default, deserialize_with = "params")]
    params: Vec<(String, ParamValue)>,
    #[serde(default, deserialize_with = "automation")]
    automation: Vec<AutomationLane>,
}

impl From<NodeFields> for NodeSpec {
    fn from(f: NodeFields) -> Self {
        NodeSpec {
            name: f.name,
            kind: f.kind,
            chain: f.chain,
            params: f.params,
            automation: f.automation,
        }
    }
}

impl ShortForm for NodeSpec {
    type Full = NodeFields;
    const NAME: &'static str = "Node";
    const EXPECTING: &'static str =
        "a node: \"kind\" or Node(name: \"...\", kind: \"...\", params: {...})";
    fn from_short(text: &str) -> Self {
        NodeSpec::of_kind(text)
    }
}

impl<'de> Deserialize<'de> for NodeSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        short_or_full(d)
    }
}

impl<'de> Deserialize<'de> for Endpoint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Endpoint::parse(&text).map_err(de::Error::custom)
    }
}

/// A parameter value: a number, a name (choice or path) or a switch.
struct Value(ParamValue);

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number, a \"name\", or true/false")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
                Ok(Value(ParamValue::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
                Ok(Value(ParamValue::Number(v as f64)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
                Ok(Value(ParamValue::Number(v as f64)))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
                Ok(Value(ParamValue::Number(v as f64)))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
                Ok(Value(ParamValue::Number(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
                Ok(Value(ParamValue::Number(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
                Ok(Value(ParamValue::Text(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

/// `{"name": value, ...}` in the order written; a name given twice is an error.
fn params<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, ParamValue)>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<(String, ParamValue)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of parameters: {\"name\": value, ...}")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out: Vec<(String, ParamValue)> = Vec::new();
            while let Some(name) = map.next_key::<String>()? {
                if out.iter().any(|(n, _)| *n == name) {
                    return Err(de::Error::custom(format!(
                        "parameter \"{name}\" is given twice"
                    )));
                }
                let Value(value) = map.next_value()?;
                out.push((name, value));
            }
            Ok(out)
        }
    }
    d.deserialize_map(V)
}

/// `{"param": [(time, value), (time, value, Curve), ...], ...}`.
fn automation<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<AutomationLane>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<AutomationLane>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of automation lanes: {\"param\": [(seconds, value), ...], ...}")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out: Vec<AutomationLane> = Vec::new();
            while let Some(param) = map.next_key::<String>()? {
                if out.iter().any(|l| l.param == param) {
                    return Err(de::Error::custom(format!(
                        "automation of \"{param}\" is given twice"
                    )));
                }
                let points: Vec<Point> = map.next_value()?;
                out.push(AutomationLane {
                    param,
                    points: points.into_iter().map(|Point(p)| p).collect(),
                });
            }
            Ok(out)
        }
    }
    d.deserialize_map(V)
}

/// How a breakpoint is reached, by name.
#[derive(Deserialize)]
enum CurveName {
    Step,
    Linear,
    Exponential,
}

impl From<CurveName> for Curve {
    fn from(c: CurveName) -> Self {
        match c {
            CurveName::Step => Curve::Step,
            CurveName::Linear => Curve::Linear,
            CurveName::Exponential => Curve::Exponential,
        }
    }
}

/// A breakpoint: `(seconds, value)` or `(seconds, value, Curve)`.
struct Point(Breakpoint);

impl<'de> Deserialize<'de> for Point {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Point;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a breakpoint (seconds, value) or (seconds, value, Step | Linear | Exponential)")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Point, A::Error> {
                let time: f64 = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let value: f64 = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                let curve: Option<CurveName> = seq.next_element()?;
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::invalid_length(4, &self));
                }
                let curve = curve.map_or(Curve::Linear, Curve::from);
                Ok(Point(Breakpoint { time, value, curve }))
            }
        }
        d.deserialize_tuple(3, V)
    }
}
