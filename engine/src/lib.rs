//! mixgraph's engine: the node contract, the graph, the compiler that turns a graph into a
//! flat schedule, the schedule that runs it block by block, and the offline renderer with its
//! audio file I/O.
//!
//! The engine knows nothing of RON or Lua; the node catalog lives in `mixgraph-nodes`.

pub mod alloc_counter;
pub mod automation;
pub mod builtin;
pub mod catalog;
pub mod compile;
pub mod denormal;
pub mod descriptor;
pub mod error;
pub mod graph;
pub mod io;
pub mod live;
pub mod node;
pub mod offline;
pub mod param;
pub mod port;
pub mod process;
pub mod schedule;
pub mod smooth;

pub use automation::{AutomationLane, Breakpoint, Curve};
pub use catalog::Catalog;
pub use compile::{CompileConfig, compile};
pub use descriptor::{Category, NodeDescriptor};
pub use error::GraphError;
pub use graph::{Connection, Graph, NodeId, NodeInstance};
pub use io::{AudioIoError, AudioReader, AudioWriter, Dither, OutputFormat, SampleFormat};
pub use node::{ActivateError, NodeConfig, NodeType, Processor, Reading, ReadingValue};
pub use offline::{RenderError, RenderReport, RenderRequest, render};
pub use param::{ParamKind, ParamSpec, ParamValue, Params, Unit, db_to_gain, gain_to_db};
pub use port::{Channels, PortRole, PortSpec};
pub use process::{Inputs, Outputs, PortChannels, ProcessContext};
pub use schedule::{ExternalPort, Schedule};
pub use smooth::Smoothed;
