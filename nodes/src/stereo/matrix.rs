//! A 2x2 gain matrix applied to a stereo pair frame by frame: the one processing loop shared
//! by the stereo nodes (pan, balance, width, swap, mid/side encode and decode).

use mixgraph_engine::{ProcessContext, Processor, Smoothed};

/// A linear map of a stereo pair: left out = `ll`·L + `lr`·R, right out = `rl`·L + `rr`·R.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Matrix {
    /// Left output from left input.
    pub ll: f64,
    /// Left output from right input.
    pub lr: f64,
    /// Right output from left input.
    pub rl: f64,
    /// Right output from right input.
    pub rr: f64,
}

impl Matrix {
    /// Scales left by `l` and right by `r`, with no crosstalk.
    pub const fn diagonal(l: f64, r: f64) -> Matrix {
        Matrix {
            ll: l,
            lr: 0.0,
            rl: 0.0,
            rr: r,
        }
    }

    #[inline]
    fn apply(&self, l: f32, r: f32) -> (f32, f32) {
        let (l, r) = (f64::from(l), f64::from(r));
        (
            (self.ll * l + self.lr * r) as f32,
            (self.rl * l + self.rr * r) as f32,
        )
    }
}

/// Where a node's matrix comes from: constant, or following smoothed parameters.
pub(crate) trait MatrixSource {
    /// Whether no ramp is running, so the matrix is the same for every frame from now on.
    fn is_settled(&self) -> bool;
    /// The matrix now, without advancing.
    fn current(&self) -> Matrix;
    /// Advances every ramp by one frame and returns that frame's matrix.
    fn next(&mut self) -> Matrix;
}

/// Runs `source`'s matrix over the block from input port 0 into output port 0 (stereo). A
/// mono input is taken as left = right.
///
/// Both paths compute every frame the same way, so the output does not depend on where
/// block boundaries fall.
pub(crate) fn process(ctx: &mut ProcessContext<'_>, source: &mut impl MatrixSource) {
    let left = ctx.inputs.channel(0, 0);
    let right = if ctx.inputs.channels(0) >= 2 {
        ctx.inputs.channel(0, 1)
    } else {
        left
    };
    let mut out = ctx.outputs.port(0);
    let Some((out_l, out_r)) = out.pair(0, 1) else {
        return;
    };
    let frames = out_l
        .iter_mut()
        .zip(out_r.iter_mut())
        .zip(left.iter().zip(right));
    if source.is_settled() {
        let m = source.current();
        for ((ol, or), (l, r)) in frames {
            (*ol, *or) = m.apply(*l, *r);
        }
    } else {
        for ((ol, or), (l, r)) in frames {
            (*ol, *or) = source.next().apply(*l, *r);
        }
    }
}

/// The processor of a node whose matrix never changes (swap, mid/side encode and decode).
pub(crate) struct FixedMatrix(pub Matrix);

impl MatrixSource for FixedMatrix {
    fn is_settled(&self) -> bool {
        true
    }
    fn current(&self) -> Matrix {
        self.0
    }
    fn next(&mut self) -> Matrix {
        self.0
    }
}

impl Processor for FixedMatrix {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        process(ctx, self);
    }
    fn reset(&mut self) {}
}

/// The processor of a node whose matrix follows one smoothed parameter (index 0), such as
/// `width` or `balance`.
pub(crate) struct ParamMatrix {
    initial: f64,
    value: Smoothed,
    matrix_of: fn(f64) -> Matrix,
}

impl ParamMatrix {
    /// Starts at `initial`; `matrix_of` maps a parameter value to its matrix.
    pub fn new(initial: f64, matrix_of: fn(f64) -> Matrix) -> ParamMatrix {
        ParamMatrix {
            initial,
            value: Smoothed::new(initial),
            matrix_of,
        }
    }
}

impl MatrixSource for ParamMatrix {
    fn is_settled(&self) -> bool {
        self.value.is_settled()
    }
    fn current(&self) -> Matrix {
        (self.matrix_of)(self.value.value())
    }
    fn next(&mut self) -> Matrix {
        (self.matrix_of)(self.value.next())
    }
}

impl Processor for ParamMatrix {
    fn process(&mut self, ctx: &mut ProcessContext<'_>) {
        process(ctx, self);
    }
    fn set_param(&mut self, index: usize, value: f64, ramp_frames: usize) {
        if index == 0 {
            self.value.set(value, ramp_frames);
        }
    }
    fn reset(&mut self) {
        self.value.reset(self.initial);
    }
}
