//! Exit statuses: 0 success, 2 bad input or usage, 1 any other failure. An error is bad input
//! when the user can fix it by changing what they gave us (a chain, a file, an argument).

use std::fmt;

/// An error caused by what the user gave: exits with status 2.
#[derive(Debug)]
pub struct BadInput(pub String);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// The exit status for an error: 2 when anything in its chain is bad input.
pub fn status(err: &anyhow::Error) -> i32 {
    for cause in err.chain() {
        if cause.is::<BadInput>()
            || cause.is::<mixgraph_engine::GraphError>()
            || cause.is::<mixgraph_engine::param::ParamError>()
        {
            return 2;
        }
        if crate::classify::is_bad_input(cause) {
            return 2;
        }
    }
    1
}
