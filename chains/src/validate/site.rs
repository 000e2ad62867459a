//! A [`Site`]: an item of a chain file (its origin and the path of steps to it), turned into
//! a [`Location`] with line and column only when an error needs one.

use std::sync::Arc;

use crate::error::Location;
use crate::locate::Step;
use crate::origin::Origin;

/// An item of a chain file.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    origin: Arc<Origin>,
    steps: Vec<Step>,
}

impl Site {
    /// The item at `steps` in the chain from `origin`.
    pub(crate) fn new(origin: &Arc<Origin>, steps: Vec<Step>) -> Self {
        Site {
            origin: Arc::clone(origin),
            steps,
        }
    }

    /// Where the item is.
    pub(crate) fn location(&self) -> Location {
        self.origin.locate(&self.steps)
    }

    /// Where a part of the item is (falling back to the item itself).
    pub(crate) fn at(&self, more: &[Step]) -> Location {
        let mut steps = self.steps.clone();
        steps.extend_from_slice(more);
        self.origin.locate(&steps)
    }

    /// A part of the item.
    pub(crate) fn child(&self, more: Step) -> Site {
        let mut steps = self.steps.clone();
        steps.push(more);
        Site {
            origin: Arc::clone(&self.origin),
            steps,
        }
    }

    /// The chain the item is in.
    pub(crate) fn origin(&self) -> &Arc<Origin> {
        &self.origin
    }
}
