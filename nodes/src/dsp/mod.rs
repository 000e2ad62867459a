//! DSP building blocks shared by several nodes (filters, crossovers, oversampling,
//! envelope followers). Not nodes themselves.

pub mod biquad;
pub mod block_history;
pub mod choice_blend;
pub mod convolver;
pub mod crossover;
pub mod envelope;
pub mod fast_db;
pub mod oversample;
pub mod true_peak;
