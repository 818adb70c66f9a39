//! GELU (the tanh form) as one custom op, forward and backward.
//!
//! candle's `gelu` is one pass forward, but its backward is about a dozen tensor operations
//! (`powf(3)`, `tanh`, `powf(2)`, scalings, adds), each a fresh allocation and a pass over the
//! `[B·T, 4d]` activations; in a profile of the transformer on the `paper` chain the GELU's
//! `powf`, `tanh` and `expm1` calls took a fifth of a training step. Here each direction is one
//! pass, with candle's formula and constants and a `tanh` that vectorises
//! (`nn::vmath::tanh`, absolute error under 2·10⁻⁷ against libm's):
//!
//! ```text
//! gelu(x)  = ½x(1 + tanh(u)),  u = √(2/π)(x + 0.044715x³)
//! gelu'(x) = ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²)
//! ```
//!
//! `tests/transformer.rs` compares both with candle's.

use super::tensor::contiguous_f32;
use super::vmath::{dispatch, tanh};
use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};

/// `√(2/π)`, as candle rounds it.
const SQRT_TWO_OVER_PI: f32 = 0.797_884_6;
/// The cubic term's coefficient.
const CUBIC: f32 = 0.044715;

/// GELU (tanh form) of every element of `x`, differentiable.
pub fn gelu(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(Gelu)
}

struct Gelu;
/// Inputs `x` and the output's gradient, output `x`'s gradient.
struct GeluBackward;

#[inline(always)]
fn forward_body(x: &[f32], y: &mut [f32]) {
    for (y, &v) in y.iter_mut().zip(x) {
        *y = 0.5 * v * (1.0 + tanh(SQRT_TWO_OVER_PI * v * (1.0 + CUBIC * v * v)));
    }
}

#[inline(always)]
fn backward_body(x: &[f32], g: &[f32], dx: &mut [f32]) {
    for ((d, &v), &g) in dx.iter_mut().zip(x).zip(g) {
        let t = tanh(SQRT_TWO_OVER_PI * v * (1.0 + CUBIC * v * v));
        let slope = SQRT_TWO_OVER_PI * (1.0 + 3.0 * CUBIC * v * v);
        *d = g * (0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * slope);
    }
}

dispatch!(forward, forward_body, (x: &[f32], y: &mut [f32]));
dispatch!(backward, backward_body, (x: &[f32], g: &[f32], dx: &mut [f32]));

impl CustomOp1 for Gelu {
    fn name(&self) -> &'static str {
        "gelu-tanh"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(storage, layout, "gelu", "x")?;
        let mut y = vec![0f32; x.len()];
        forward(x, &mut y);
        Ok((CpuStorage::F32(y), layout.shape().clone()))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(arg.apply_op2_no_bwd(
            &grad_res.contiguous()?,
            &GeluBackward,
        )?))
    }
}

impl CustomOp2 for GeluBackward {
    fn name(&self) -> &'static str {
        "gelu-tanh-backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(s1, l1, "gelu", "x")?;
        let g = contiguous_f32(s2, l2, "gelu", "gradient")?;
        if x.len() != g.len() {
            candle_core::bail!("gelu backward: {} inputs, {} gradients", x.len(), g.len());
        }
        let mut dx = vec![0f32; x.len()];
        backward(x, g, &mut dx);
        Ok((CpuStorage::F32(dx), l1.shape().clone()))
    }
}
