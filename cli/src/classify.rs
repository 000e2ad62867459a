//! Which library errors are the user's to fix (exit status 2) rather than a failure of ours.

use mixgraph_engine::{AudioIoError, RenderError};

/// Whether an error in the chain says the input (chain, file, argument) is bad.
pub fn is_bad_input(cause: &(dyn std::error::Error + 'static)) -> bool {
    if cause.is::<mixgraph_engine::ActivateError>()
        || cause.is::<mixgraph_chains::ChainError>()
        || cause.is::<mixgraph_scripts::ScriptError>()
    {
        return true;
    }
    if let Some(e) = cause.downcast_ref::<AudioIoError>() {
        return audio_io_is_bad_input(e);
    }
    if let Some(e) = cause.downcast_ref::<RenderError>() {
        return match e {
            RenderError::Io(io) => audio_io_is_bad_input(io),
            _ => true,
        };
    }
    false
}

/// Unreadable, empty, truncated, non-audio or unsupported inputs and an output onto an input
/// are the user's to fix; a disk that refuses a write is not.
fn audio_io_is_bad_input(e: &AudioIoError) -> bool {
    !matches!(
        e,
        AudioIoError::Io { .. }
            | AudioIoError::Encode { .. }
            | AudioIoError::Resampler { .. }
            | AudioIoError::Buffers { .. }
    )
}
