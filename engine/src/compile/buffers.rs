//! Compiler pass 6: buffer reuse. Each virtual signal gets a physical buffer from a free
//! list; a buffer returns to the list once the last step reading it has run. Graph inputs
//! and outputs keep their buffers for the whole block. Buffer 0 is always silence.

use crate::compile::plan::{Plan, SILENCE, Signal};

/// The physical buffer of every signal, and how many buffers there are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// Physical buffer index by signal.
    pub buffer_of: Vec<u32>,
    /// Number of physical buffers (including the silent one).
    pub count: usize,
}

/// Assigns physical buffers to the plan's signals.
pub fn assign(plan: &Plan) -> Assignment {
    let n = plan.signals as usize;
    let mut last_use: Vec<Option<usize>> = vec![None; n];
    let mut pinned = vec![false; n];
    pinned[SILENCE as usize] = true;
    for (_, sigs) in plan.inputs.iter().chain(plan.outputs.iter()) {
        for &s in sigs {
            pinned[s as usize] = true;
        }
    }
    for (i, step) in plan.steps.iter().enumerate() {
        for s in step.uses() {
            last_use[s as usize] = Some(i);
        }
    }
    let mut buffer_of: Vec<u32> = vec![u32::MAX; n];
    buffer_of[SILENCE as usize] = 0;
    let mut count: u32 = 1;
    let mut free: Vec<u32> = Vec::new();
    let mut take = |free: &mut Vec<u32>| {
        free.pop().unwrap_or_else(|| {
            count += 1;
            count - 1
        })
    };
    for (_, sigs) in &plan.inputs {
        for &s in sigs {
            buffer_of[s as usize] = take(&mut free);
        }
    }
    for (i, step) in plan.steps.iter().enumerate() {
        for s in step.defs() {
            if buffer_of[s as usize] == u32::MAX {
                buffer_of[s as usize] = take(&mut free);
            }
        }
        // Free after allocating, so no step writes a buffer it reads.
        let mut released: Vec<Signal> = step.uses().into_iter().chain(step.defs()).collect();
        released.sort_unstable();
        released.dedup();
        for s in released {
            let dead = last_use[s as usize].is_none_or(|l| l <= i);
            if !pinned[s as usize] && dead && buffer_of[s as usize] != u32::MAX {
                free.push(buffer_of[s as usize]);
            }
        }
    }
    // Signals never written nor read (an unused input) still need a place.
    for b in buffer_of.iter_mut() {
        if *b == u32::MAX {
            *b = take(&mut free);
        }
    }
    Assignment {
        buffer_of,
        count: count as usize,
    }
}
