//! Ports: the named inputs and outputs of a node, and the rules for their channel counts.

/// How many channels a port carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Channels {
    /// Exactly this many. A mono source feeding a wider input is duplicated to every channel;
    /// a wider source feeding a narrower input is refused (place a downmix node).
    Exact(usize),
    /// Any count: an input takes what it is fed; an output of this kind is not allowed.
    Any,
    /// An output with as many channels as the given input port received.
    SameAsInput(usize),
}

/// What an input port is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortRole {
    /// The signal the node processes.
    Main,
    /// A control signal (a compressor's key input); optional.
    Sidechain,
}

/// One input or output port of a node type.
#[derive(Debug, Clone, PartialEq)]
pub struct PortSpec {
    /// The name used in connections, e.g. `in`, `out`, `sidechain`.
    pub name: &'static str,
    /// Its channel rule.
    pub channels: Channels,
    /// Main or sidechain.
    pub role: PortRole,
    /// Whether the chain must connect it (inputs only).
    pub required: bool,
}

impl PortSpec {
    /// A required main input.
    pub const fn input(name: &'static str, channels: Channels) -> Self {
        PortSpec {
            name,
            channels,
            role: PortRole::Main,
            required: true,
        }
    }

    /// An optional main input (silence when unconnected).
    pub const fn optional_input(name: &'static str, channels: Channels) -> Self {
        PortSpec {
            name,
            channels,
            role: PortRole::Main,
            required: false,
        }
    }

    /// An optional sidechain input.
    pub const fn sidechain(name: &'static str, channels: Channels) -> Self {
        PortSpec {
            name,
            channels,
            role: PortRole::Sidechain,
            required: false,
        }
    }

    /// An output.
    pub const fn output(name: &'static str, channels: Channels) -> Self {
        PortSpec {
            name,
            channels,
            role: PortRole::Main,
            required: false,
        }
    }

    /// The channel rule written for people, e.g. "2 ch", "any", "like in".
    pub fn describe_channels(&self, inputs: &[PortSpec]) -> String {
        match self.channels {
            Channels::Exact(1) => "mono".to_string(),
            Channels::Exact(2) => "stereo".to_string(),
            Channels::Exact(n) => format!("{n} ch"),
            Channels::Any => "any channels".to_string(),
            Channels::SameAsInput(p) => {
                format!("channels of `{}`", inputs.get(p).map_or("?", |s| s.name))
            }
        }
    }
}
