//! "Did you mean...?": the engine's rule of what is close enough
//! ([`mixgraph_engine::catalog::closest_name`]), as an owned name for error values.

use mixgraph_engine::catalog::closest_name;

/// The candidate closest to `name`, if one is close enough to be a likely typo.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest_name(name, candidates).map(str::to_string)
}
