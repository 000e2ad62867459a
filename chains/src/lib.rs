//! Chains: the description of a processing graph as a RON file (or a script's result),
//! its validation against the node catalog, and the engine graph built from it.
//!
//! ```text
//! RON text --load_str/load_file--> ChainSpec --validate(catalog)--> ValidChain --build--> BuiltChain { Graph, inputs, outputs }
//!              ChainSpec --save--> RON text (load(save(x)) == x)
//! ```
//!
//! A chain can be used as a node of another chain (a subchain): its inputs and outputs
//! become the node's ports, and it is flattened into the outer graph. Shipped chains are in
//! [`presets`]. The format and every error are documented in `chains/README.md`.

#![allow(
    clippy::result_large_err,
    reason = "a ChainError carries the file, position and every name a person needs to fix the chain; it is built at most once per validation, so its size costs nothing that matters"
)]

pub mod error;
pub mod limits;
mod load;
mod locate;
mod origin;
pub mod presets;
mod save;
pub mod spec;
mod valid;
mod validate;

pub use error::{ChainError, Location, Position};
pub use load::{load_file, load_str};
pub use origin::Origin;
pub use save::save;
pub use spec::{ChainSpec, Dither, Endpoint, InputSpec, NodeSpec, OutputSpec, SampleFormat};
pub use valid::{BuiltChain, InputDecl, OutputDecl, ValidChain};
pub use validate::names::problem as name_problem;
pub use validate::{param_error, validate};
