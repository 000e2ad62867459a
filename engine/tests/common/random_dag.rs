//! The random acyclic graphs of the property tests: scale and lag nodes, each fed by an
//! earlier node (or a graph input), some with a sidechain from another.

use mixgraph_engine::{Graph, NodeId};

use super::{add, catalog, input};

/// A random DAG: `n` nodes of kind scale or lag; node k takes main input from a random
/// earlier node (or an input) and maybe a sidechain from another earlier node.
pub fn random_dag(
    kinds: &[bool],
    sources: &[(usize, Option<usize>)],
    outputs: usize,
) -> (Graph, Vec<NodeId>) {
    let c = catalog();
    let mut g = Graph::new();
    let mut ids = vec![input(&mut g, &c, "in0", 1), input(&mut g, &c, "in1", 2)];
    for (k, (&is_lag, &(main, side))) in kinds.iter().zip(sources).enumerate() {
        let id = if is_lag {
            add(
                &mut g,
                &c,
                &format!("n{k}"),
                "lag",
                &[("frames", (k * 37 % 200) as f64)],
            )
        } else {
            add(&mut g, &c, &format!("n{k}"), "scale", &[("k", 0.5)])
        };
        let m = ids[main % ids.len()];
        g.connect_ports(m, 0, id, 0).unwrap();
        if let (Some(sc), false) = (side, is_lag) {
            g.connect(ids[sc % ids.len()], "out", id, "key").unwrap();
        }
        ids.push(id);
    }
    for o in 0..outputs {
        let out = add(&mut g, &c, &format!("out{o}"), "output", &[]);
        let src = ids[ids.len() - 1 - (o % ids.len())];
        g.connect_ports(src, 0, out, 0).unwrap();
    }
    (g, ids)
}
