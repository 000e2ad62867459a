//! Where a chain came from: a file, a shipped preset, or text given a name (a script, a
//! test). Used to name the file in errors, to find the line of an offending item, and to
//! resolve relative subchain and file paths.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Location, Position};
use crate::locate::{self, Step};

/// Where a chain came from. Not part of a chain's content: two [`crate::ChainSpec`]s with the
/// same content are equal whatever their origins (see the `PartialEq` impl).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    name: String,
    source: Source,
    dir: Option<PathBuf>,
    text: Option<Arc<str>>,
}

/// What identifies a chain's source, to detect a chain including itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) enum Source {
    /// Built in memory (no file).
    #[default]
    Memory,
    /// A file, by its path as given.
    File(PathBuf),
    /// A shipped preset, by name.
    Preset(&'static str),
}

impl PartialEq for Origin {
    /// Always true: where a chain was read from is not part of what the chain is, so
    /// `load(save(x)) == x` holds.
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl Origin {
    /// A chain read from (or to be written to) a file; relative subchain and parameter paths
    /// are resolved against the file's folder.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let dir = Some(
            path.parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        );
        Origin {
            name: path.display().to_string(),
            source: Source::File(path),
            dir,
            text: None,
        }
    }

    /// A chain with a name for messages (a script's file name, `<stdin>`...); relative paths
    /// are resolved against the current folder unless [`Origin::with_dir`] says otherwise.
    pub fn named(name: impl Into<String>) -> Self {
        Origin {
            name: name.into(),
            source: Source::Memory,
            dir: None,
            text: None,
        }
    }

    /// A shipped preset.
    pub(crate) fn preset(name: &'static str) -> Self {
        Origin {
            name: format!("preset:{name}"),
            source: Source::Preset(name),
            dir: None,
            text: None,
        }
    }

    /// Sets the folder relative paths are resolved against.
    #[must_use]
    pub fn with_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Attaches the text the chain was parsed from, so errors can give line numbers.
    #[must_use]
    pub fn with_text(mut self, text: impl Into<Arc<str>>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// The name used in messages: the path as given, `preset:<name>`, or the given name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The folder relative paths are resolved against, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The text the chain was parsed from, if known.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// Whether this is a shipped preset.
    pub fn is_preset(&self) -> bool {
        matches!(self.source, Source::Preset(_))
    }

    pub(crate) fn source(&self) -> &Source {
        &self.source
    }

    /// The location of an item, found by its path in the text (the file alone when the text
    /// is unknown or the item cannot be found).
    pub(crate) fn locate(&self, steps: &[Step]) -> Location {
        let position = self.text.as_deref().and_then(|t| locate::find(t, steps));
        Location {
            file: self.name.clone(),
            position,
        }
    }

    /// The location of a line and column given by the parser.
    pub(crate) fn at(&self, line: usize, column: usize) -> Location {
        Location {
            file: self.name.clone(),
            position: Some(Position { line, column }),
        }
    }

    /// The file alone.
    pub(crate) fn whole(&self) -> Location {
        Location::file(self.name.clone())
    }
}
