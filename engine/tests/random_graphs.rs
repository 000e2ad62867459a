//! Property tests: random acyclic graphs compile and render without panicking and with
//! finite output; adding a back edge makes a cycle that is refused with the loop named.

#![allow(clippy::unwrap_used, reason = "test setup: a failure is a failed test")]

mod common;

use common::random_dag::random_dag;
use common::*;
use mixgraph_engine::{CompileConfig, GraphError, NodeId, compile};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_acyclic_graphs_compile_and_render(
        kinds in prop::collection::vec(any::<bool>(), 1..40),
        sources in prop::collection::vec((0usize..100, prop::option::of(0usize..100)), 40),
        outputs in 1usize..4,
        block in 1usize..600,
    ) {
        let (g, _) = random_dag(&kinds, &sources, outputs);
        let mut s = compile(&g, &CompileConfig::new(44_100.0, block)).unwrap();
        let x1 = noise(1, 1500);
        let out = run(&mut s, &[vec![x1.clone()], vec![x1.clone(), x1]], 1500, block);
        prop_assert_eq!(out.len(), outputs);
        prop_assert!(out.iter().flatten().flatten().all(|v| v.is_finite()));
    }

    #[test]
    fn a_back_edge_makes_a_cycle_that_is_named(
        kinds in prop::collection::vec(Just(false), 2..30),
        sources in prop::collection::vec((0usize..100, prop::option::of(0usize..100)), 30),
        from in 0usize..100,
        to in 0usize..100,
    ) {
        let (mut g, ids) = random_dag(&kinds, &sources, 1);
        // Pick a node and one of its ancestors; feed the node back into the ancestor's key.
        let nodes = &ids[2..];
        let a = nodes[to % nodes.len()];
        let b = nodes[from % nodes.len()];
        let (early, late) = if a.index() <= b.index() { (a, b) } else { (b, a) };
        // Make sure `late` depends on `early`: connect early -> late's key, then late -> early's key.
        g.connect(early, "out", late, "key").unwrap();
        g.connect(late, "out", early, "key").unwrap();
        match compile(&g, &CompileConfig::new(48_000.0, 64)) {
            Err(GraphError::Cycle { nodes }) => {
                prop_assert!(!nodes.is_empty());
                // Every consecutive pair of the named loop is an edge, and it closes.
                let named: Vec<NodeId> = nodes.iter().map(|n| g.node_id(n).unwrap()).collect();
                let edges: Vec<(NodeId, NodeId)> = g.connections().map(|(s, _, d)| (s, d)).collect();
                let k = named.len();
                for w in 0..k {
                    let (s, d) = (named[w], named[(w + 1) % k]);
                    prop_assert!(edges.contains(&(s, d)) || k == 1, "{:?} not an edge of the loop {:?}", (s, d), nodes);
                }
            }
            other => prop_assert!(false, "expected a cycle, got {:?}", other.err()),
        }
    }
}
