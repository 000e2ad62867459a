//! The catalog: every node type by its kind name.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::node::NodeType;

/// A registry of node types, looked up by kind name.
#[derive(Clone, Default)]
pub struct Catalog {
    types: BTreeMap<&'static str, Arc<dyn NodeType>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.types.keys()).finish()
    }
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Catalog::default()
    }

    /// A catalog holding the engine's own routing nodes (`input`, `output`, `feedback`).
    pub fn with_builtins() -> Self {
        let mut c = Catalog::new();
        crate::builtin::register(&mut c);
        c
    }

    /// Adds a node type; a later registration under the same kind replaces an earlier one.
    pub fn register(&mut self, node: impl NodeType) {
        let kind = node.descriptor().kind;
        self.types.insert(kind, Arc::new(node));
    }

    /// The node type of a kind.
    pub fn get(&self, kind: &str) -> Option<Arc<dyn NodeType>> {
        self.types.get(kind).cloned()
    }

    /// All kinds, sorted.
    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.types.keys().copied()
    }

    /// All node types, sorted by kind.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn NodeType>> + '_ {
        self.types.values()
    }

    /// The kind closest to a misspelt name, if one is close enough to suggest.
    pub fn closest(&self, name: &str) -> Option<&'static str> {
        closest_name(name, self.kinds())
    }
}

/// The candidate closest to `name` by edit distance, if close enough to be a likely typo; ties
/// go to the candidate nearest in length, then to the first listed, so a suggestion never
/// depends on hash order.
pub fn closest_name<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let length = name.chars().count();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 3).max(2))
        .min_by_key(|(d, c)| (*d, c.chars().count().abs_diff(length)))
        .map(|(_, c)| c)
}

/// Levenshtein distance between two strings, by characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("gain", "gain"), 0);
        assert_eq!(edit_distance("gian", "gain"), 2);
        assert_eq!(edit_distance("compresor", "compressor"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn closest_suggests_only_plausible_typos() {
        let names = ["gain", "compressor", "limiter"];
        assert_eq!(closest_name("compresor", names), Some("compressor"));
        assert_eq!(closest_name("Limiter", names), Some("limiter"));
        assert_eq!(closest_name("reverb", names), None);
        // `gian` is two edits from both `in` and `gain`: the nearer length wins, in any order.
        assert_eq!(closest_name("gian", ["in", "gain", "out"]), Some("gain"));
        assert_eq!(closest_name("gian", ["gain", "in"]), Some("gain"));
    }
}
