//! The view of buffers a processor gets for one call: its inputs, its outputs, the frame
//! count and the timeline position. Nothing here allocates.

/// Where one input channel reads from.
pub(crate) type BufferIndex = u32;

/// The buffers of one processing call.
///
/// Inputs and outputs are separate fields so a processor can read inputs while writing
/// outputs: `let x = ctx.inputs.channel(0, 0); ctx.outputs.channel(0, 0).copy_from_slice(x);`
pub struct ProcessContext<'a> {
    /// The input ports.
    pub inputs: Inputs<'a>,
    /// The output ports.
    pub outputs: Outputs<'a>,
    position: u64,
}

impl<'a> ProcessContext<'a> {
    pub(crate) fn new(inputs: Inputs<'a>, outputs: Outputs<'a>, position: u64) -> Self {
        ProcessContext {
            inputs,
            outputs,
            position,
        }
    }

    /// Frames to process in this call.
    #[inline]
    pub fn frames(&self) -> usize {
        self.outputs.frames
    }

    /// Timeline position (frames since the start of the render) of the first frame.
    #[inline]
    pub fn position(&self) -> u64 {
        self.position
    }
}

/// The input ports of one call. Slices live as long as the call, independent of outputs.
pub struct Inputs<'a> {
    pub(crate) pool: &'a [Box<[f32]>],
    /// Buffer index of every input channel, port after port.
    pub(crate) channels: &'a [BufferIndex],
    /// For each port, the range into `channels`.
    pub(crate) ports: &'a [(u32, u32)],
    pub(crate) connected: &'a [bool],
    pub(crate) offset: usize,
    pub(crate) frames: usize,
}

impl<'a> Inputs<'a> {
    /// Number of input ports.
    pub fn ports(&self) -> usize {
        self.ports.len()
    }

    /// Whether an input port is connected (unconnected optional ports read silence).
    #[inline]
    pub fn is_connected(&self, port: usize) -> bool {
        self.connected.get(port).copied().unwrap_or(false)
    }

    /// Channel count of an input port.
    #[inline]
    pub fn channels(&self, port: usize) -> usize {
        self.ports.get(port).map_or(0, |&(a, b)| (b - a) as usize)
    }

    /// The samples of one channel of one input port. Out-of-range requests read silence.
    #[inline]
    pub fn channel(&self, port: usize, channel: usize) -> &'a [f32] {
        let index = self
            .ports
            .get(port)
            .and_then(|&(a, b)| {
                if (a as usize + channel) < b as usize {
                    Some(a as usize + channel)
                } else {
                    None
                }
            })
            .map_or(0, |i| self.channels[i] as usize);
        &self.pool[index][self.offset..self.offset + self.frames]
    }
}

/// The output ports of one call.
pub struct Outputs<'a> {
    pub(crate) buffers: &'a mut [Box<[f32]>],
    pub(crate) ports: &'a [(u32, u32)],
    pub(crate) offset: usize,
    pub(crate) frames: usize,
}

impl Outputs<'_> {
    /// Number of output ports.
    pub fn ports(&self) -> usize {
        self.ports.len()
    }

    /// Channel count of an output port.
    #[inline]
    pub fn channels(&self, port: usize) -> usize {
        self.ports.get(port).map_or(0, |&(a, b)| (b - a) as usize)
    }

    /// The samples of one channel of one output port, to be written.
    ///
    /// Returns an empty slice for a port or channel that does not exist, so a processor
    /// never panics on a bad index.
    #[inline]
    pub fn channel(&mut self, port: usize, channel: usize) -> &mut [f32] {
        let (offset, frames) = (self.offset, self.frames);
        match self.ports.get(port) {
            Some(&(a, b)) if (a as usize + channel) < b as usize => {
                &mut self.buffers[a as usize + channel][offset..offset + frames]
            }
            _ => &mut [],
        }
    }

    /// All channels of one output port at once, to be written together.
    pub fn port(&mut self, port: usize) -> PortChannels<'_> {
        let (a, b) = self.ports.get(port).copied().unwrap_or((0, 0));
        PortChannels {
            buffers: &mut self.buffers[a as usize..b as usize],
            offset: self.offset,
            frames: self.frames,
        }
    }
}

/// Every channel of one output port, borrowed together.
pub struct PortChannels<'b> {
    buffers: &'b mut [Box<[f32]>],
    offset: usize,
    frames: usize,
}

impl PortChannels<'_> {
    /// Number of channels.
    pub fn len(&self) -> usize {
        self.buffers.len()
    }

    /// Whether the port has no channels.
    pub fn is_empty(&self) -> bool {
        self.buffers.is_empty()
    }

    /// One channel.
    #[inline]
    pub fn channel(&mut self, channel: usize) -> &mut [f32] {
        let (offset, frames) = (self.offset, self.frames);
        match self.buffers.get_mut(channel) {
            Some(b) => &mut b[offset..offset + frames],
            None => &mut [],
        }
    }

    /// Each channel in turn, all borrowed at once.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut [f32]> + '_ {
        let (offset, frames) = (self.offset, self.frames);
        self.buffers
            .iter_mut()
            .map(move |b| &mut b[offset..offset + frames])
    }

    /// Two different channels at once (for stereo processing); `None` if `a == b` or one
    /// does not exist.
    pub fn pair(&mut self, a: usize, b: usize) -> Option<(&mut [f32], &mut [f32])> {
        let (offset, frames) = (self.offset, self.frames);
        if a == b || a >= self.buffers.len() || b >= self.buffers.len() {
            return None;
        }
        let (lo, hi) = (a.min(b), a.max(b));
        let (first, second) = self.buffers.split_at_mut(hi);
        let x = &mut first[lo][offset..offset + frames];
        let y = &mut second[0][offset..offset + frames];
        Some(if a < b { (x, y) } else { (y, x) })
    }
}
