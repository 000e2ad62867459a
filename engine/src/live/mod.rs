//! Live playback: the same chains through the sound card (cpal).
//!
//! Threads and what crosses between them, all through lock-free single-producer
//! single-consumer queues (rtrb):
//! - the **decoder thread** ([`Feeder`]) reads the played files, converts their rate and
//!   channels, and keeps one ring of interleaved frames per chain input ahead of the callback;
//!   in `live` mode a capture stream ([`CaptureTap`]) fills the ring instead;
//! - the **audio callback** ([`AudioCore::render`]) only runs the schedule: it pulls frames
//!   from the rings, processes blocks of at most `max_block` frames, writes the device buffer,
//!   and sends meter blocks back; it counts underruns and never blocks or allocates;
//! - the **control thread** ([`Controller`]) sends parameter changes and recompiled chains
//!   (hot reload, handed over with a short fade and the state of surviving nodes carried
//!   over), drops the chains the callback retires, and reads meters and counters.
//!
//! [`LiveSession`] wires these to cpal streams; [`assemble()`] builds the parts without a
//! device, for tests and benchmarks; [`callback_timing`] times the callback on top of it.

pub mod assemble;
pub mod callback_timing;
pub mod capture;
pub mod controller;
pub mod core;
pub mod devices;
pub mod error;
pub mod fade;
pub mod feeder;
pub mod file_source;
pub mod kweighting;
pub mod live_graph;
pub mod meter;
pub mod reload;
pub mod resampled;
pub mod ring;
pub mod session;
pub mod source;
pub mod status;
pub mod stream;
pub mod stream_config;
pub mod watch;

pub use assemble::{AssembleOptions, CaptureLatency, LiveParts, assemble, assemble_compiled};
pub use capture::CaptureTap;
pub use controller::{Controller, ReloadOutcome};
pub use core::AudioCore;
pub use devices::{DeviceList, Direction, find_device, find_host, list_devices};
pub use error::LiveError;
pub use feeder::{Feed, Feeder, FeederThread};
pub use file_source::FileSource;
pub use meter::{MeterBlock, MeterReader, MeterReading};
pub use resampled::ResampledSource;
pub use ring::RingWriter;
pub use session::{LiveOptions, LiveSession, PlayInput, PlayOptions, SessionInfo};
pub use source::{FrameSource, MemorySource};
pub use status::{SharedStatus, Status};
pub use stream_config::{StreamRequest, StreamSetup, StreamSummary};
pub use watch::{ChainWatcher, HotReload, ReloadEvent};
