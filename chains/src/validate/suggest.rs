//! "Did you mean...?": the closest candidate by edit distance (the engine's rule of what is
//! close enough), ties going to the candidate nearest in length, then to the first listed,
//! so a suggestion never depends on hash order.

use mixgraph_engine::catalog::closest_name;

/// The candidate closest to `name`, if one is close enough to be a likely typo.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut sorted: Vec<&str> = candidates.into_iter().collect();
    let len = name.chars().count();
    sorted.sort_by_key(|c| c.chars().count().abs_diff(len));
    closest_name(name, sorted).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_candidate_of_nearest_length() {
        // `gian` is two edits from both `in` and `gain`.
        assert_eq!(
            closest("gian", ["in", "gain", "out"]).as_deref(),
            Some("gain")
        );
        assert_eq!(closest("gian", ["gain", "in"]).as_deref(), Some("gain"));
        assert_eq!(closest("reverberator", ["in", "gain"]), None);
    }
}
