//! Keeps the terminal clean of panics that are already handled: a decoder crate that panics
//! on a malformed file is shielded (`catch_unwind` in the engine's decoder) and reported as a
//! bad input, so its panic text would only confuse. Every other panic is printed as usual.

/// Crates whose panics the engine catches and reports as errors.
const SHIELDED_CRATES: &[&str] = &["symphonia"];

/// Installs the hook; call once, first thing in `main`.
pub fn install() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let shielded = info.location().is_some_and(|at| {
            SHIELDED_CRATES
                .iter()
                .any(|krate| at.file().contains(&format!("/{krate}")))
        });
        if !shielded {
            default(info);
        }
    }));
}
