//! What the audio thread receives for each chain it plays: the compiled schedule, bound to
//! the input rings and the device, with the instructions for taking over from the chain
//! before it (which nodes' state to adopt, which parameters then to move).

use crate::schedule::Schedule;

/// A parameter change addressed to one generation of the playing chain. Changes for a
/// generation that is no longer playing are ignored (the node indices would not fit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ParamChange {
    /// The chain generation the node index refers to.
    pub generation: u64,
    /// Node index in that schedule.
    pub node: u32,
    /// Parameter index in the node's descriptor.
    pub param: u32,
    /// The new value (ramped over the parameter's smoothing time).
    pub value: f64,
}

/// A schedule ready for the audio thread.
pub(crate) struct LiveGraph {
    /// The compiled chain.
    pub schedule: Schedule,
    /// 0 for the first chain, +1 for each reload.
    pub generation: u64,
    /// For each schedule input, the ring that feeds it.
    pub ring_of_input: Box<[usize]>,
    /// The schedule output sent to the device.
    pub output: usize,
    /// `(node here, node in the previous chain)` pairs whose processors move here.
    pub adopt: Box<[(usize, usize)]>,
    /// Parameters to move on the adopted processors, whose values follow the old chain.
    pub retune: Box<[ParamChange]>,
}

impl LiveGraph {
    /// Takes over from `old`: adopts the paired processors, moves their parameters to this
    /// chain's values (smoothed), and continues the timeline where `old` stands.
    /// Allocation-free.
    pub fn take_over(&mut self, old: &mut LiveGraph) {
        self.schedule
            .adopt_processors(&mut old.schedule, &self.adopt);
        for c in self.retune.iter() {
            self.schedule
                .set_param(c.node as usize, c.param as usize, c.value);
        }
        self.schedule.seek(old.schedule.position());
    }
}
