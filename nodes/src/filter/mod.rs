//! Filters and equalizers: RBJ biquads, parametric and tilt EQ, Linkwitz-Riley crossovers.
//!
//! Every biquad-based node runs on the `cascade` module's processor with its own design
//! function; `params` holds the shared parameter vocabulary and `design` the shared designs.

pub mod allpass;
pub mod bandpass;
pub(crate) mod cascade;
mod channel_group;
pub mod crossover;
mod design;
pub mod eq;
pub mod highpass;
pub mod highshelf;
pub mod lowpass;
pub mod lowshelf;
pub mod notch;
mod params;
pub mod peak;
#[cfg(test)]
mod testing;
pub mod tilt;

use mixgraph_engine::Catalog;

/// Adds this family's node types to the catalog.
pub fn register(c: &mut Catalog) {
    c.register(lowpass::Lowpass);
    c.register(highpass::Highpass);
    c.register(bandpass::Bandpass);
    c.register(notch::Notch);
    c.register(peak::Peak);
    c.register(lowshelf::Lowshelf);
    c.register(highshelf::Highshelf);
    c.register(allpass::Allpass);
    c.register(eq::Eq);
    c.register(tilt::Tilt);
    c.register(crossover::Crossover);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mixgraph_engine::{Catalog, NodeType, ParamKind, ParamValue};

    use crate::testkit::{self, num};

    /// Every node type of this family.
    fn family() -> Vec<Arc<dyn NodeType>> {
        let mut c = Catalog::new();
        super::register(&mut c);
        let nodes: Vec<_> = c.iter().cloned().collect();
        assert_eq!(nodes.len(), 11);
        nodes
    }

    #[test]
    fn every_filter_keeps_the_contract_on_mono_and_six_channels() {
        for node in family() {
            for channels in [1, 6] {
                testkit::check_node_contract_with_channels_arc(node.clone(), &[], &[channels]);
            }
        }
    }

    #[test]
    fn every_combination_of_extreme_parameters_stays_finite() {
        // All numeric parameters at once at their minimum or maximum, in every combination
        // of the first three (frequency, Q, gain for the single-section nodes), on full-scale
        // square-ish noise at a low and a high sample rate.
        let loud: Vec<f32> = testkit::noise(9, 1, 4096)
            .remove(0)
            .iter()
            .map(|x| x.signum())
            .collect();
        for node in family() {
            let d = node.descriptor().clone();
            let ranges: Vec<(&str, f64, f64)> = d
                .params
                .iter()
                .filter_map(|p| match p.kind {
                    ParamKind::Number { min, max, .. } => Some((p.name, min, max)),
                    _ => None,
                })
                .collect();
            for combo in 0..8usize {
                let params: Vec<(String, ParamValue)> = ranges
                    .iter()
                    .enumerate()
                    .map(|(i, &(name, min, max))| {
                        num(name, if combo >> (i % 3) & 1 == 1 { max } else { min })
                    })
                    .collect();
                for fs in [22_050.0, 192_000.0] {
                    let out =
                        testkit::render_arc(node.clone(), &params, &[vec![loud.clone()]], fs, 512);
                    assert!(
                        out.iter().flatten().flatten().all(|x| x.is_finite()),
                        "`{}` {params:?} at {fs}",
                        d.kind
                    );
                }
            }
        }
    }

    #[test]
    fn a_nan_input_sample_is_dropped_and_processing_recovers() {
        for node in family() {
            let kind = node.descriptor().kind;
            let mut input = testkit::sine(440.0, 48_000.0, 0.5, 1, 8000).remove(0);
            input[100] = f32::NAN;
            input[101] = f32::INFINITY;
            let out = testkit::render_arc(node.clone(), &[], &[vec![input.clone()]], 48_000.0, 256);
            for port in &out {
                assert!(
                    port[0].iter().all(|x| x.is_finite()),
                    "`{kind}` passed a non-finite sample"
                );
            }
            // Recovered: the main output is not stuck at silence afterwards.
            assert!(
                out[0][0][6000..].iter().any(|x| x.abs() > 1e-3),
                "`{kind}` stayed silent"
            );
        }
    }

    #[test]
    fn every_filter_declares_its_kind_file_and_filter_category() {
        for node in family() {
            let d = node.descriptor();
            assert_eq!(d.source, format!("nodes/src/filter/{}.rs", d.kind));
            assert!(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join(d.source.trim_start_matches("nodes/"))
                    .exists()
            );
            assert_eq!(d.category, mixgraph_engine::Category::Filter);
        }
    }
}
