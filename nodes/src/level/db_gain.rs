//! The processor behind `trim` and `sum`: every channel multiplied by one gain given in dB,
//! smoothed so changes make no zipper noise.

use mixgraph_engine::{ProcessContext, Processor, Smoothed, db_to_gain};

/// Multiplies every channel of input port 0 into output port 0 by a smoothed gain
/// (parameter index 0, in dB).
pub(crate) struct DbGain {
    initial_db: f64,
    silence_at: Option<f64>,
    gain: Smoothed,
}

impl DbGain {
    /// Starts at `db`; a dB value at or below `silence_at` (the bottom of a fader's range)
    /// means silence rather than its tiny linear gain.
    pub fn new(db: f64, silence_at: Option<f64>) -> DbGain {
        let mut g = DbGain {
            initial_db: db,
            silence_at,
            gain: Smoothed::new(0.0),
        };
        g.gain.reset(g.linear(db));
        g
    }

    fn linear(&self, db: f64) -> f64 {
        match self.silence_at {
            Some(floor) if db <= floor => 0.0,
            _ => db_to_gain(db),
        }
    }
}

impl Processor for DbGain {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        if self.gain.is_settled() {
            // One factor for the whole block: a plain multiply the compiler vectorizes.
            let g = self.gain.value() as f32;
            for ch in 0..ctx.outputs.channels(0) {
                let x = ctx.inputs.channel(0, ch);
                for (o, i) in ctx.outputs.channel(0, ch).iter_mut().zip(x) {
                    *o = i * g;
                }
            }
            return;
        }
        let start = self.gain;
        for ch in 0..ctx.outputs.channels(0) {
            // Every channel replays the same ramp from the block's start.
            let mut gain = start;
            let x = ctx.inputs.channel(0, ch);
            for (o, i) in ctx.outputs.channel(0, ch).iter_mut().zip(x) {
                *o = i * gain.next() as f32;
            }
        }
        for _ in 0..ctx.frames() {
            self.gain.next();
        }
    }

    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        if index == 0 {
            let target = self.linear(value);
            self.gain.set(target, ramp_frames);
        }
    }

    fn reset(&mut self) {
        let initial = self.linear(self.initial_db);
        self.gain.reset(initial);
    }
}
