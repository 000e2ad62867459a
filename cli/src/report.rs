//! Text and JSON forms of render results shared by `render`, `demo` and `master`.

use std::fmt::Write as _;

use mixgraph_engine::offline::NodeReadings;
use mixgraph_engine::{ReadingValue, RenderReport};
use serde_json::{Value, json};

/// The summary printed after a render.
pub fn render_summary(r: &RenderReport) -> String {
    let mut s = String::new();
    let seconds = r.input_frames as f64 / f64::from(r.sample_rate.max(1));
    let _ = writeln!(
        s,
        "rendered {:.2} s at {} Hz in {:.2} s ({:.0}x realtime); latency {} frames, tail {} frames",
        seconds,
        r.sample_rate,
        r.wall_time.as_secs_f64(),
        r.realtime_factor,
        r.latency,
        r.tail
    );
    for n in &r.notices {
        let _ = writeln!(s, "note: {n}");
    }
    if r.faults > 0 {
        let _ = writeln!(
            s,
            "warning: {} non-finite samples were replaced by silence",
            r.faults
        );
    }
    for o in &r.outputs {
        let _ = writeln!(
            s,
            "  {:<14} {} ({} ch, {} Hz, {}, peak {:.2} dBFS)",
            o.name,
            o.path.display(),
            o.channels,
            o.sample_rate,
            o.format.name(),
            o.peak_dbfs
        );
    }
    for node in &r.readings {
        let _ = writeln!(s, "  meter {} ({}):", node.node, node.kind);
        for reading in &node.readings {
            match &reading.value {
                ReadingValue::Scalar(v) => {
                    let _ = writeln!(
                        s,
                        "    {:<22} {:>9.2} {}",
                        reading.name,
                        v,
                        reading.unit.symbol()
                    );
                }
                ReadingValue::Series { x, .. } => {
                    let _ = writeln!(
                        s,
                        "    {:<22} {} points (see --json)",
                        reading.name,
                        x.len()
                    );
                }
            }
        }
    }
    s
}

/// Meter readings as JSON: node -> reading name -> value.
pub fn readings_json(readings: &[NodeReadings]) -> Value {
    Value::Array(
        readings
            .iter()
            .map(|n| {
                let values: serde_json::Map<String, Value> = n
                    .readings
                    .iter()
                    .map(|r| {
                        let v = match &r.value {
                            ReadingValue::Scalar(v) => crate::commands::render::finite(*v),
                            ReadingValue::Series { x, y } => json!({"x": x, "y": y}),
                        };
                        (
                            r.name.to_string(),
                            json!({"value": v, "unit": r.unit.symbol()}),
                        )
                    })
                    .collect();
                json!({"node": n.node, "kind": n.kind, "readings": values})
            })
            .collect(),
    )
}
