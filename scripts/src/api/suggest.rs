//! "Did you mean...?": the closest candidate by the engine's edit-distance rule, ties going
//! to the candidate nearest in length, so a suggestion never depends on listing order.

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
    fn typos_get_the_nearest_name_and_strangers_get_none() {
        assert_eq!(
            closest("compresor", ["compressor", "expander"]).as_deref(),
            Some("compressor")
        );
        assert_eq!(closest("gian", ["in", "gain"]).as_deref(), Some("gain"));
        assert_eq!(closest("reverberator", ["in", "gain"]), None);
    }
}
