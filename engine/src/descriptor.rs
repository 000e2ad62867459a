//! Node descriptors: the single source of truth for a node type's name, documentation,
//! ports and parameters.

use crate::param::ParamSpec;
use crate::port::PortSpec;

/// The family a node type belongs to, used to group the catalog listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Category {
    /// Graph plumbing: inputs, outputs, sums, splits.
    Routing,
    /// Level: gain, trim, fades, polarity.
    Level,
    /// Filters and equalizers.
    Filter,
    /// Compressors, limiters, gates, clippers.
    Dynamics,
    /// Panning, width, mid/side.
    Stereo,
    /// Delays and reverbs.
    Time,
    /// Saturation and other colour.
    Tone,
    /// Meters (pass audio through unchanged, report readings).
    Meter,
}

impl Category {
    /// The category name as shown in listings.
    pub fn name(self) -> &'static str {
        match self {
            Category::Routing => "routing",
            Category::Level => "level",
            Category::Filter => "filter",
            Category::Dynamics => "dynamics",
            Category::Stereo => "stereo",
            Category::Time => "time",
            Category::Tone => "tone",
            Category::Meter => "meter",
        }
    }
}

/// Everything known about a node type before it is instantiated.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeDescriptor {
    /// The kind name used in chains, e.g. `gain`, `compressor`.
    pub kind: &'static str,
    /// One line saying what the node does.
    pub doc: &'static str,
    /// Its family.
    pub category: Category,
    /// The Rust source file that implements it, relative to the repository root, so a
    /// newcomer finds the code from `mixgraph nodes`.
    pub source: &'static str,
    /// Input ports, main input first.
    pub inputs: &'static [PortSpec],
    /// Output ports, main output first.
    pub outputs: &'static [PortSpec],
    /// Parameters.
    pub params: &'static [ParamSpec],
}

impl NodeDescriptor {
    /// The index of an input port by name.
    pub fn input_index(&self, name: &str) -> Option<usize> {
        self.inputs.iter().position(|p| p.name == name)
    }

    /// The index of an output port by name.
    pub fn output_index(&self, name: &str) -> Option<usize> {
        self.outputs.iter().position(|p| p.name == name)
    }

    /// A parameter by name.
    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }
}
