//! Automation: breakpoints over time for any numeric parameter, turned into sample-accurate
//! parameter events before rendering.

use crate::descriptor::NodeDescriptor;
use crate::error::GraphError;
use crate::param::{ParamKind, ParamValue};

/// How the value travels from the previous breakpoint to this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Curve {
    /// Jumps at the breakpoint's time.
    Step,
    /// A straight line.
    #[default]
    Linear,
    /// A geometric curve (constant ratio per unit time); for values of one sign, such as
    /// frequencies. Falls back to linear when the two values differ in sign or one is zero.
    Exponential,
}

/// One point of a lane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Breakpoint {
    /// Time in seconds from the start of the render.
    pub time: f64,
    /// The value at that time, in the parameter's unit.
    pub value: f64,
    /// How the value reaches this point from the previous one.
    pub curve: Curve,
}

/// A parameter following breakpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct AutomationLane {
    /// The parameter name.
    pub param: String,
    /// The points, in time order.
    pub points: Vec<Breakpoint>,
}

/// A parameter change at an exact frame: from `frame` on, the value ramps linearly to reach
/// `value` at frame `frame + ramp - 1` (at once when `ramp` is 0 or 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ParamEvent {
    pub frame: u64,
    pub param: u16,
    pub value: f64,
    pub ramp: u32,
}

/// Frames between intermediate points of an exponential segment.
const CONTROL_INTERVAL: u64 = 32;

impl AutomationLane {
    /// Checks the lane against a node's descriptor.
    pub(crate) fn check(&self, node: &str, d: &NodeDescriptor) -> Result<(), GraphError> {
        let err = |reason: String| GraphError::Automation {
            node: node.to_string(),
            param: self.param.clone(),
            reason,
        };
        let spec = d.param(&self.param).ok_or_else(|| {
            err(format!(
                "`{}` has no such parameter; it has: {}",
                d.kind,
                d.params
                    .iter()
                    .map(|p| p.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        if !matches!(spec.kind, ParamKind::Number { .. }) {
            return Err(err("only numeric parameters follow breakpoints".to_string()));
        }
        if self.points.is_empty() {
            return Err(err("the lane has no breakpoints".to_string()));
        }
        let mut last = f64::NEG_INFINITY;
        for p in &self.points {
            if !(p.time.is_finite() && p.time >= 0.0) || p.time < last {
                return Err(err(format!(
                    "breakpoint times must be finite, non-negative and in order; found {} after {}",
                    p.time, last
                )));
            }
            last = p.time;
            spec.check(&ParamValue::Number(p.value))
                .map_err(|e| err(e.to_string()))?;
        }
        Ok(())
    }

    /// The events that make the parameter follow the lane at `sample_rate`.
    pub(crate) fn events(&self, param: u16, sample_rate: f64) -> Vec<ParamEvent> {
        let frame = |t: f64| (t * sample_rate).round() as u64;
        let mut events = Vec::new();
        let Some(first) = self.points.first() else {
            return events;
        };
        events.push(ParamEvent {
            frame: 0,
            param,
            value: first.value,
            ramp: 0,
        });
        for pair in self.points.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let (fa, fb) = (frame(a.time), frame(b.time));
            let span = fb.saturating_sub(fa);
            let exponential = b.curve == Curve::Exponential && a.value * b.value > 0.0;
            if b.curve == Curve::Step || span == 0 {
                events.push(ParamEvent {
                    frame: fb,
                    param,
                    value: b.value,
                    ramp: 0,
                });
            } else if exponential {
                let mut start = fa;
                while start < fb {
                    let end = (start + CONTROL_INTERVAL).min(fb);
                    let x = (end - fa) as f64 / span as f64;
                    let value = if end == fb {
                        b.value
                    } else {
                        a.value * (b.value / a.value).powf(x)
                    };
                    events.push(ParamEvent {
                        frame: start + 1,
                        param,
                        value,
                        ramp: (end - start) as u32,
                    });
                    start = end;
                }
            } else {
                events.push(ParamEvent {
                    frame: fa + 1,
                    param,
                    value: b.value,
                    ramp: span as u32,
                });
            }
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lane(points: &[(f64, f64, Curve)]) -> AutomationLane {
        AutomationLane {
            param: "gain".into(),
            points: points
                .iter()
                .map(|&(time, value, curve)| Breakpoint { time, value, curve })
                .collect(),
        }
    }

    #[test]
    fn linear_segment_starts_after_the_first_point_and_spans_to_the_second() {
        let ev = lane(&[(0.0, -10.0, Curve::Linear), (1.0, 0.0, Curve::Linear)]).events(0, 100.0);
        assert_eq!(ev.len(), 2);
        assert_eq!((ev[1].frame, ev[1].value, ev[1].ramp), (1, 0.0, 100));
    }

    #[test]
    fn exponential_segment_passes_through_geometric_midpoints_and_lands_on_the_end() {
        let ev = lane(&[
            (0.0, 100.0, Curve::Linear),
            (1.0, 10000.0, Curve::Exponential),
        ])
        .events(0, 64.0);
        // 64 frames in steps of 32: midpoint at frame 32 is the geometric mean.
        assert_eq!(ev.len(), 3);
        assert!((ev[1].value - 1000.0).abs() < 1e-9);
        assert_eq!(ev[2].value, 10000.0);
        assert_eq!(ev[2].frame + u64::from(ev[2].ramp) - 1, 64);
    }
}
