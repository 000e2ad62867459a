//! Mastering to a loudness target and delivery: measure every input, set the gain in front
//! of the chain's limiter and the limiter's ceiling, render every deliverable (streaming,
//! CD, broadcast) in one pass, measure each delivered file and correct until it is on
//! target, then write the JSON report and a plot beside the files.
//!
//! ```text
//! inputs --analyse + profile--> gain from the limiter model --render--> deliverables
//!            ^                                                              |
//!            +------ corrected gain / ceiling <-- measured off target <-----+
//! ```

mod assemble;
pub mod deliverable;
pub mod error;
pub mod events;
pub mod graph_copy;
mod group;
mod inputs;
pub mod limiter_model;
pub mod master_chain;
pub mod options;
pub mod parallel;
pub mod peak_scan;
mod planning;
pub mod report;
pub mod run;
pub mod settings;
pub mod solver;
pub mod staging;
pub mod timing;
pub mod track;

pub use assemble::REPORT_FILE;
pub use deliverable::Deliverable;
pub use error::MasterError;
pub use events::MasterEvent;
pub use master_chain::MasterChain;
pub use options::MasterOptions;
pub use report::{
    AlbumDeliverableReport, AttemptReport, DeliverableReport, MasterReport, Processing, TrackReport,
};
pub use run::master;
pub use settings::RenderSettings;

/// The shipped mastering chain used when none is given.
pub const DEFAULT_CHAIN: &str = "master-default";
