//! The control-thread half of a live session: sends edited chains and parameter changes to
//! the audio thread, takes back the chains it retired (and drops them here), and reads the
//! meter and the counters. Everything that may allocate, compile or fail happens here.

use std::sync::Arc;

use rtrb::{Consumer, Producer};
use serde::Serialize;

use super::error::LiveError;
use super::live_graph::{LiveGraph, ParamChange};
use super::meter::{MeterReader, MeterReading};
use super::reload::{GraphShadow, ReloadPlan, plan};
use super::status::{SharedStatus, Status};
use crate::compile::{CompileConfig, compile};
use crate::graph::Graph;
use crate::param::{ParamKind, ParamValue};
use crate::schedule::Schedule;

/// What a reload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReloadOutcome {
    /// The edited chain is the same as the playing one.
    Unchanged,
    /// Only numeric parameters changed: they were sent to the playing chain (smoothed).
    Parameters {
        /// Parameters changed.
        changed: usize,
    },
    /// The new chain was swapped in.
    Swapped {
        /// Its generation.
        generation: u64,
        /// Nodes that kept their state from the old chain.
        carried: usize,
        /// Nodes that start fresh (routing nodes, which hold no state, are not counted).
        fresh: usize,
        /// Whether the handover is a crossfade (no state carried) rather than fade out,
        /// swap, fade in.
        crossfade: bool,
    },
}

/// The control half of a live session.
pub struct Controller {
    pub(crate) swaps: Producer<Box<LiveGraph>>,
    pub(crate) retired: Consumer<Box<LiveGraph>>,
    pub(crate) params: Producer<ParamChange>,
    pub(crate) meter: MeterReader,
    pub(crate) status: Arc<SharedStatus>,
    pub(crate) config: CompileConfig,
    pub(crate) shadow: GraphShadow,
    /// Name and channels of each input ring, by ring index.
    pub(crate) rings: Vec<(String, usize)>,
    /// Name and channels of the chain output sent to the device.
    pub(crate) output: (String, usize),
    /// Generation of the latest chain sent.
    pub(crate) generation: u64,
}

impl Controller {
    /// Compiles an edited chain and hands it to the audio thread: as parameter changes when
    /// only numeric parameters changed, else as a new schedule that adopts the state of the
    /// nodes that survive. The playing chain keeps playing if anything fails.
    ///
    /// # Errors
    /// [`LiveError::Busy`] while the previous reload is still being handed over,
    /// [`LiveError::Graph`] when the chain does not compile, [`LiveError::Reload`] when its
    /// inputs or output no longer fit the session.
    pub fn reload(&mut self, graph: &Graph) -> Result<ReloadOutcome, LiveError> {
        self.collect();
        if self.handover_pending() {
            return Err(LiveError::Busy);
        }
        let mut schedule = compile(graph, &self.config)?;
        let shadow = GraphShadow::new(graph, &mut schedule, &self.config)?;
        let (ring_of_input, output) = self.bind(&schedule)?;
        match plan(&self.shadow, &shadow) {
            ReloadPlan::Unchanged => Ok(ReloadOutcome::Unchanged),
            ReloadPlan::Parameters(changes) => {
                if self.params.slots() < changes.len() {
                    return Err(LiveError::Busy);
                }
                for &(node, param, value) in &changes {
                    self.send(ParamChange {
                        generation: self.generation,
                        node: node as u32,
                        param: param as u32,
                        value,
                    })?;
                }
                self.shadow = shadow;
                Ok(ReloadOutcome::Parameters {
                    changed: changes.len(),
                })
            }
            ReloadPlan::Swap { adopt, retune } => {
                if self.swaps.slots() == 0 {
                    return Err(LiveError::Busy);
                }
                let generation = self.generation + 1;
                let carried = adopt.len();
                let fresh = shadow.stateful_nodes() - carried;
                let live = LiveGraph {
                    schedule,
                    generation,
                    ring_of_input,
                    output,
                    adopt: adopt.into(),
                    retune: retune
                        .into_iter()
                        .map(|(node, param, value)| ParamChange {
                            generation,
                            node: node as u32,
                            param: param as u32,
                            value,
                        })
                        .collect(),
                };
                if self.swaps.push(Box::new(live)).is_err() {
                    return Err(LiveError::Busy);
                }
                self.generation = generation;
                self.shadow = shadow;
                Ok(ReloadOutcome::Swapped {
                    generation,
                    carried,
                    fresh,
                    crossfade: carried == 0,
                })
            }
        }
    }

    /// Changes a parameter of the playing chain, smoothed over the parameter's smoothing
    /// time.
    ///
    /// # Errors
    /// An unknown node or parameter, a value out of range, a path parameter (fixed when the
    /// chain is built), [`LiveError::Busy`] while a reload is handed over or the queue is
    /// full.
    pub fn set_param(
        &mut self,
        node: &str,
        param: &str,
        value: &ParamValue,
    ) -> Result<(), LiveError> {
        let index = self
            .shadow
            .node_index(node)
            .ok_or_else(|| LiveError::UnknownNode {
                node: node.to_string(),
            })?;
        let Some((kind, params)) = self.shadow.node(index) else {
            return Err(LiveError::UnknownNode {
                node: node.to_string(),
            });
        };
        let unknown = || LiveError::UnknownParam {
            node: node.to_string(),
            kind: kind.to_string(),
            param: param.to_string(),
        };
        let p = params.index_of(param).ok_or_else(unknown)?;
        let spec = params.specs().get(p).ok_or_else(unknown)?;
        if matches!(spec.kind, ParamKind::Path) {
            return Err(LiveError::Reload {
                reason: format!(
                    "`{node}.{param}` is a file path, fixed when the chain is built; edit the chain instead"
                ),
            });
        }
        let number = spec.check(value).map_err(|source| LiveError::Param {
            node: node.to_string(),
            source,
        })?;
        if self.handover_pending() || self.params.slots() == 0 {
            return Err(LiveError::Busy);
        }
        self.send(ParamChange {
            generation: self.generation,
            node: index as u32,
            param: p as u32,
            value: number,
        })
    }

    fn send(&mut self, change: ParamChange) -> Result<(), LiveError> {
        self.params.push(change).map_err(|_| LiveError::Busy)
    }

    /// Whether a chain sent to the audio thread has not fully taken over yet.
    pub fn handover_pending(&self) -> bool {
        self.status.generation() != self.generation
    }

    /// The meter reading since the previous call.
    pub fn meter(&mut self) -> MeterReading {
        self.meter.read()
    }

    /// The counters.
    pub fn status(&self) -> Status {
        self.status.snapshot()
    }

    /// Whether the inputs have ended and the tail has been played.
    pub fn is_finished(&self) -> bool {
        self.status.is_finished()
    }

    /// Drops the chains the audio thread handed back; returns how many.
    pub fn collect(&mut self) -> usize {
        let mut n = 0;
        while let Ok(old) = self.retired.pop() {
            drop(old);
            n += 1;
        }
        n
    }

    /// Frames per second of the session.
    pub fn sample_rate(&self) -> f64 {
        self.config.sample_rate
    }

    /// The largest block the schedule runs.
    pub fn max_block(&self) -> usize {
        self.config.max_block
    }

    /// Binds a schedule's inputs to the session's rings (by name) and finds the output the
    /// device plays.
    pub(crate) fn bind(&self, schedule: &Schedule) -> Result<(Box<[usize]>, usize), LiveError> {
        let ring_of_input = schedule
            .inputs()
            .iter()
            .map(|port| {
                let ring = self.rings.iter().position(|(name, _)| *name == port.name).ok_or_else(|| LiveError::Reload {
                    reason: format!(
                        "it has an input `{}` that this session does not feed (inputs: {}); restart to bind it",
                        port.name,
                        self.rings.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                })?;
                let channels = self.rings[ring].1;
                if channels != port.channels {
                    return Err(LiveError::Reload {
                        reason: format!("input `{}` now takes {} channel(s) instead of {channels}", port.name, port.channels),
                    });
                }
                Ok(ring)
            })
            .collect::<Result<Box<[usize]>, LiveError>>()?;
        let (name, channels) = &self.output;
        let output = schedule
            .outputs()
            .iter()
            .position(|o| o.name == *name)
            .ok_or_else(|| LiveError::Reload {
                reason: format!("it has no output `{name}` any more"),
            })?;
        let found = schedule.outputs()[output].channels;
        if found != *channels {
            return Err(LiveError::Reload {
                reason: format!("output `{name}` now has {found} channel(s) instead of {channels}"),
            });
        }
        Ok((ring_of_input, output))
    }
}
