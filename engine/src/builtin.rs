//! The engine's own routing nodes: `input` and `output` (where the graph meets files or a
//! sound card) and `feedback` (the only legal way to close a loop).

use crate::catalog::Catalog;
use crate::descriptor::{Category, NodeDescriptor};
use crate::node::{ActivateError, NodeConfig, NodeType, Processor};
use crate::param::{ParamSpec, Params, Unit};
use crate::port::{Channels, PortSpec};
use crate::process::ProcessContext;

/// Kind name of the external input node.
pub const INPUT: &str = "input";
/// Kind name of the external output node.
pub const OUTPUT: &str = "output";
/// Kind name of the feedback node.
pub const FEEDBACK: &str = "feedback";

/// Adds the builtin nodes to a catalog.
pub fn register(c: &mut Catalog) {
    c.register(InputNode);
    c.register(OutputNode);
    c.register(FeedbackNode);
}

fn channels_param(params: &Params) -> usize {
    params.number("channels").round().max(0.0) as usize
}

/// A named input of the graph, fed from a file or a device.
pub struct InputNode;

static INPUT_DESC: NodeDescriptor = NodeDescriptor {
    kind: INPUT,
    doc: "A named input of the chain, bound to a file or a device channel set",
    category: Category::Routing,
    source: "engine/src/builtin.rs",
    inputs: &[],
    outputs: &[PortSpec::output("out", Channels::Any)],
    params: &[ParamSpec::number(
        "channels",
        "Channel count; 0 takes the count of the bound file (2 when none is bound)",
        Unit::None,
        0.0,
        64.0,
        0.0,
        0.0,
    )],
};

impl NodeType for InputNode {
    fn descriptor(&self) -> &NodeDescriptor {
        &INPUT_DESC
    }
    fn output_channels(&self, params: &Params, _inputs: &[usize]) -> Result<Vec<usize>, String> {
        Ok(vec![match channels_param(params) {
            0 => 2,
            n => n,
        }])
    }
    fn activate(&self, _config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(Box::new(Passive))
    }
}

/// A named output of the graph, written to a file or a device.
pub struct OutputNode;

static OUTPUT_DESC: NodeDescriptor = NodeDescriptor {
    kind: OUTPUT,
    doc: "A named output of the chain, written to a file or a device",
    category: Category::Routing,
    source: "engine/src/builtin.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[],
    params: &[],
};

impl NodeType for OutputNode {
    fn descriptor(&self) -> &NodeDescriptor {
        &OUTPUT_DESC
    }
    fn activate(&self, _config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        Ok(Box::new(Passive))
    }
}

/// Closes a loop: its output is its input delayed by `delay`, which must be at least one block.
pub struct FeedbackNode;

static FEEDBACK_DESC: NodeDescriptor = NodeDescriptor {
    kind: FEEDBACK,
    doc: "Closes a loop: outputs its input delayed (at least one block), scaled by gain",
    category: Category::Routing,
    source: "engine/src/builtin.rs",
    inputs: &[PortSpec::input("in", Channels::Any)],
    outputs: &[PortSpec::output("out", Channels::Any)],
    params: &[
        ParamSpec::number(
            "delay",
            "Delay around the loop",
            Unit::Ms,
            0.0,
            10_000.0,
            100.0,
            0.0,
        ),
        ParamSpec::number(
            "gain",
            "Gain applied to the returned signal",
            Unit::Db,
            -120.0,
            0.0,
            -6.0,
            0.0,
        ),
        ParamSpec::number(
            "channels",
            "Channel count of the loop",
            Unit::None,
            1.0,
            64.0,
            2.0,
            0.0,
        ),
    ],
};

impl NodeType for FeedbackNode {
    fn descriptor(&self) -> &NodeDescriptor {
        &FEEDBACK_DESC
    }
    fn output_channels(&self, params: &Params, _inputs: &[usize]) -> Result<Vec<usize>, String> {
        Ok(vec![channels_param(params).max(1)])
    }
    fn activate(&self, _config: &NodeConfig<'_>) -> Result<Box<dyn Processor>, ActivateError> {
        // The compiler replaces a feedback node by a read step and a write step over a ring.
        Ok(Box::new(Passive))
    }
}

/// A processor for nodes whose work the schedule does itself.
struct Passive;

impl Processor for Passive {
    fn process(&mut self, _ctx: &mut ProcessContext<'_>) {}
    fn reset(&mut self) {}
}
