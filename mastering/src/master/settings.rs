//! How a deliverable is rendered: the gain in front of the limiter, the limiter's ceiling,
//! and whether the limiter runs at all.

use serde::{Deserialize, Serialize};

/// The settings of one render of a mastering chain.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RenderSettings {
    /// Gain in front of the limiter, in dB.
    pub gain_db: f64,
    /// The limiter's ceiling, in dBTP.
    pub ceiling_dbtp: f64,
    /// Whether the limiter runs. When the gained signal stays under the level where the
    /// limiter starts acting, the limiter would pass it unchanged, so it is left out of the
    /// render (the path is "gain only").
    pub limiting: bool,
}

impl RenderSettings {
    /// Whether two settings render the same audio, to `epsilon_db`.
    pub fn within(&self, other: &RenderSettings, epsilon_db: f64) -> bool {
        self.limiting == other.limiting
            && (self.gain_db - other.gain_db).abs() <= epsilon_db
            && (!self.limiting || (self.ceiling_dbtp - other.ceiling_dbtp).abs() <= epsilon_db)
    }
}
