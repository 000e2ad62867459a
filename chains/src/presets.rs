//! The chains shipped with mixgraph, embedded in the binary so they work from any folder.
//! A chain uses one as a subchain by its bare name: `Node(name: "bus", chain: "mix-basic")`.
//! The files live in `chains/presets/`.

use crate::error::ChainError;
use crate::load::load_str;
use crate::origin::Origin;
use crate::spec::ChainSpec;

/// A shipped chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// The name used to refer to it (the file name without `.ron`).
    pub name: &'static str,
    /// Its RON text.
    pub text: &'static str,
}

impl Preset {
    /// Reads the preset; errors name it `preset:<name>`.
    ///
    /// # Errors
    /// A [`ChainError::Syntax`] if the shipped text is broken (a test keeps that from
    /// happening).
    pub fn load(&self) -> Result<ChainSpec, ChainError> {
        load_str(self.text, Origin::preset(self.name))
    }
}

/// Builds the table from the file names in `chains/presets/` (without `.ron`).
macro_rules! presets {
    ($($name:literal),* $(,)?) => {
        &[$(Preset {
            name: $name,
            text: include_str!(concat!("../presets/", $name, ".ron")),
        }),*]
    };
}

static PRESETS: &[Preset] = presets![
    "drum-bus",
    "master-cd",
    "master-default",
    "master-streaming",
    "mix-basic",
    "mix-bus-reverb",
    "stems-to-master",
    "vocal-strip",
];

/// Every shipped chain, sorted by name.
pub fn list() -> &'static [Preset] {
    PRESETS
}

/// The shipped chain of a name.
pub fn get(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// The names of every shipped chain.
pub fn names() -> impl Iterator<Item = &'static str> {
    PRESETS.iter().map(|p| p.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_the_presets_folder_is_listed_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("presets");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter_map(|f| f.strip_suffix(".ron").map(str::to_string))
            .collect();
        files.sort();
        assert_eq!(names().collect::<Vec<_>>(), files);
    }
}
