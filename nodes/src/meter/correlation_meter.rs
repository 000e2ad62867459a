//! `correlation_meter`: phase correlation of the first two channels, -1 (one is the other
//! inverted, cancels in mono) to +1 (identical, mono): over the whole render, and the lowest
//! value over 400 ms windows taken every 100 ms. Audio passes through unchanged.
//!
//! Correlation is `sum(l r) / sqrt(sum(l^2) sum(r^2))`. A window where the geometric mean of
//! the two channels' power is below -70 dBFS is skipped (silence has no phase). A mono input
//! is compared with itself.

use mixgraph_engine::{
    ActivateError, Category, NodeConfig, NodeDescriptor, NodeType, ProcessContext, Processor,
    Reading, ReadingValue, Unit,
};

use super::pass_through::{INPUTS, OUTPUTS, pass_through};

/// The `correlation_meter` node type.
pub struct CorrelationMeter;

static DESCRIPTOR: NodeDescriptor = NodeDescriptor {
    kind: "correlation_meter",
    doc: "Meter: phase correlation of channels 1 and 2 (-1..1) over the render and its minimum over 400 ms windows",
    category: Category::Meter,
    source: "nodes/src/meter/correlation_meter.rs",
    inputs: INPUTS,
    outputs: OUTPUTS,
    params: &[],
};

/// Windows are this many hops long (4 x 100 ms).
const HOPS_PER_WINDOW: usize = 4;
/// Windows quieter than this mean-square level (-70 dBFS) are skipped.
const GATE_POWER: f64 = 1e-7;

impl NodeType for CorrelationMeter {
    fn descriptor(&self) -> &NodeDescriptor {
        &DESCRIPTOR
    }

    fn activate(&self, config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        let hop = ((config.sample_rate / 10.0).round() as usize).max(1);
        Ok(Box::new(CorrelationProcessor {
            hop,
            total: Sums::default(),
            hops: [Sums::default(); HOPS_PER_WINDOW],
            current: Sums::default(),
            in_hop: 0,
            hops_done: 0,
            minimum: None,
        }))
    }
}

/// Running sums of `l r`, `l^2` and `r^2`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Sums {
    lr: f64,
    ll: f64,
    rr: f64,
    frames: u64,
}

impl Sums {
    #[inline]
    fn add(&mut self, l: f64, r: f64) {
        self.lr += l * r;
        self.ll += l * l;
        self.rr += r * r;
        self.frames += 1;
    }

    fn plus(self, other: Sums) -> Sums {
        Sums {
            lr: self.lr + other.lr,
            ll: self.ll + other.ll,
            rr: self.rr + other.rr,
            frames: self.frames + other.frames,
        }
    }

    /// The correlation, or `None` for a (near) silent stretch.
    fn correlation(&self) -> Option<f64> {
        let n = self.frames.max(1) as f64;
        let power = (self.ll / n * self.rr / n).sqrt();
        if power < GATE_POWER || power.is_nan() {
            return None;
        }
        Some((self.lr / (self.ll * self.rr).sqrt()).clamp(-1.0, 1.0))
    }
}

struct CorrelationProcessor {
    hop: usize,
    total: Sums,
    /// The last few completed hops, as a ring indexed by `hops_done`.
    hops: [Sums; HOPS_PER_WINDOW],
    current: Sums,
    in_hop: usize,
    hops_done: usize,
    minimum: Option<f64>,
}

impl CorrelationProcessor {
    fn end_hop(&mut self) {
        if let Some(slot) = self.hops.get_mut(self.hops_done % HOPS_PER_WINDOW) {
            *slot = self.current;
        }
        self.total = self.total.plus(self.current);
        self.current = Sums::default();
        self.in_hop = 0;
        self.hops_done += 1;
        if self.hops_done >= HOPS_PER_WINDOW {
            let window = self.hops.iter().fold(Sums::default(), |a, h| a.plus(*h));
            if let Some(c) = window.correlation() {
                self.minimum = Some(self.minimum.map_or(c, |m| m.min(c)));
            }
        }
    }
}

impl Processor for CorrelationProcessor {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        let left = ctx.inputs.channel(0, 0);
        let right = if ctx.inputs.channels(0) >= 2 {
            ctx.inputs.channel(0, 1)
        } else {
            left
        };
        for (l, r) in left.iter().zip(right) {
            let (l, r) = (f64::from(*l), f64::from(*r));
            if l.is_finite() && r.is_finite() {
                self.current.add(l, r);
            } else {
                self.current.add(0.0, 0.0);
            }
            self.in_hop += 1;
            if self.in_hop >= self.hop {
                self.end_hop();
            }
        }
        pass_through(ctx);
    }

    fn reset(&mut self) {
        self.total = Sums::default();
        self.hops = [Sums::default(); HOPS_PER_WINDOW];
        self.current = Sums::default();
        self.in_hop = 0;
        self.hops_done = 0;
        self.minimum = None;
    }

    fn readings(&self) -> Vec<Reading> {
        let scalar = |name, value| Reading {
            name,
            value: ReadingValue::Scalar(value),
            unit: Unit::None,
        };
        let mut readings = Vec::new();
        if let Some(c) = self.total.plus(self.current).correlation() {
            readings.push(scalar("correlation", c));
        }
        if let Some(m) = self.minimum {
            readings.push(scalar("correlation_min", m));
        }
        readings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::measure::{measure, scalar};
    use crate::testkit;

    #[test]
    fn identical_channels_read_one_and_inverted_read_minus_one() {
        let x = testkit::noise(1, 1, 20_000).remove(0);
        let inverted: Vec<f32> = x.iter().map(|v| -v).collect();
        let (out, same) = measure(
            CorrelationMeter,
            &[],
            &[x.clone(), x.clone()],
            48_000.0,
            1000,
        );
        assert_eq!(out, vec![x.clone(), x.clone()]);
        let (_, opposite) = measure(
            CorrelationMeter,
            &[],
            &[x.clone(), inverted],
            48_000.0,
            1000,
        );
        for (readings, expected) in [(same, 1.0), (opposite, -1.0)] {
            assert!((scalar(&readings, "correlation") - expected).abs() < 1e-12);
            assert!((scalar(&readings, "correlation_min") - expected).abs() < 1e-12);
        }
    }

    #[test]
    fn independent_noise_reads_near_zero() {
        let x = testkit::noise(7, 2, 96_000);
        let (_, readings) = measure(CorrelationMeter, &[], &x, 48_000.0, 4096);
        // The standard deviation of the estimate is 1 / sqrt(frames), about 0.003 here.
        assert!(scalar(&readings, "correlation").abs() < 0.015);
        // Each 400 ms window holds 19 200 frames; its estimate stays within a few sigma.
        assert!(scalar(&readings, "correlation_min") > -0.05);
    }

    #[test]
    fn a_short_out_of_phase_stretch_shows_in_the_minimum_only() {
        // 2 s of identical channels with 400 ms of inverted right in the middle: the whole
        // render reads the energy-weighted mean, the window minimum reads -1.
        let sr = 48_000.0;
        let l = testkit::sine(500.0, sr, 0.5, 1, 96_000).remove(0);
        let r: Vec<f32> = l
            .iter()
            .enumerate()
            .map(|(n, v)| {
                if (48_000..67_200).contains(&n) {
                    -v
                } else {
                    *v
                }
            })
            .collect();
        let dot: f64 = l
            .iter()
            .zip(&r)
            .map(|(a, b)| f64::from(*a) * f64::from(*b))
            .sum();
        let norm: f64 = l.iter().map(|a| f64::from(*a).powi(2)).sum::<f64>();
        let (_, readings) = measure(CorrelationMeter, &[], &[l, r], sr, 512);
        assert!((scalar(&readings, "correlation") - dot / norm).abs() < 1e-9);
        assert!((scalar(&readings, "correlation_min") + 1.0).abs() < 1e-9);
    }

    #[test]
    fn silence_reads_nothing() {
        let (_, readings) = measure(
            CorrelationMeter,
            &[],
            &[vec![0.0; 30_000], vec![0.0; 30_000]],
            48_000.0,
            512,
        );
        assert!(readings.is_empty());
    }

    #[test]
    fn block_size_invariant_reset_and_finite() {
        testkit::check_node_contract(CorrelationMeter, &[]);
        testkit::check_node_contract_with_channels(CorrelationMeter, &[], &[1]);
        testkit::check_node_contract_with_channels(CorrelationMeter, &[], &[6]);
    }
}
