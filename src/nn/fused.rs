//! AdamW's update as one in-place pass over each parameter's memory, instead of the fifteen
//! or so tensor operations (each a fresh allocation and a pass over the parameter's size) that
//! candle's element-wise arithmetic takes. For the paper's models the parameters are tens of
//! megabytes (the masked layer), so the update is memory-bound and its cost is the number of
//! passes: a training step of the multiplication MLP once spent more time in AdamW than in the
//! masked layer's forward and backward passes together. One pass reads the gradient, the
//! parameter and both moments and writes the last three (seven parameter-sized transfers,
//! against ten for three separate passes and two more for scaling a clipped gradient first).
//!
//! The pass computes exactly [`super::AdamW`]'s formula in f32 (the constants rounded to f32
//! once, as candle's `tensor * f64` does), with the clipping factor `s` (1 when not clipping):
//!
//! ```text
//! g ← s·g
//! m ← β1·m + (1−β1)·g
//! v ← β2·v + (1−β2)·g²
//! p ← p·(1 − lr·wd) − lr · (m/c1) / (√(v/c2) + ε)
//! ```
//!
//! candle lends one tensor's storage mutably per in-place op, so the pass nests three of them
//! (parameter, first moment, second moment), each holding the outer ones' slices.

use super::tensor::ReadF32;
use candle_core::{CpuStorage, InplaceOp1, Layout, Result, Tensor, Var};
use std::cell::RefCell;

fn contiguous_f32_mut<'a>(s: &'a mut CpuStorage, l: &Layout, what: &str) -> Result<&'a mut [f32]> {
    match (s, l.contiguous_offsets()) {
        (CpuStorage::F32(v), Some((a, b))) => Ok(&mut v[a..b]),
        _ => candle_core::bail!("fused AdamW: {what} must be a contiguous f32 tensor"),
    }
}

/// The update's constants, in f32.
#[derive(Clone, Copy)]
struct Constants {
    scale: f32,
    b1: f32,
    b2: f32,
    keep: f32,
    lr: f32,
    c1: f32,
    c2: f32,
    eps: f32,
}

/// The outermost op: lends the parameter, then runs [`WithMoment`] on the first moment.
struct WithParameter<'a> {
    m: &'a Tensor,
    v: &'a Tensor,
    g: &'a [f32],
    k: Constants,
}

/// Lends the first moment, then runs [`Pass`] on the second.
struct WithMoment<'a, 'p> {
    p: RefCell<&'p mut [f32]>,
    v: &'a Tensor,
    g: &'a [f32],
    k: Constants,
}

/// The pass itself, on the second moment with the other two lent.
struct Pass<'a, 'p> {
    p: RefCell<&'p mut [f32]>,
    m: RefCell<&'p mut [f32]>,
    g: &'a [f32],
    k: Constants,
}

impl InplaceOp1 for WithParameter<'_> {
    fn name(&self) -> &'static str {
        "adamw"
    }

    fn cpu_fwd(&self, s: &mut CpuStorage, l: &Layout) -> Result<()> {
        let p = contiguous_f32_mut(s, l, "parameter")?;
        self.m.inplace_op1(&WithMoment {
            p: RefCell::new(p),
            v: self.v,
            g: self.g,
            k: self.k,
        })
    }
}

impl InplaceOp1 for WithMoment<'_, '_> {
    fn name(&self) -> &'static str {
        "adamw"
    }

    fn cpu_fwd(&self, s: &mut CpuStorage, l: &Layout) -> Result<()> {
        let m = contiguous_f32_mut(s, l, "first moment")?;
        let mut p = self.p.borrow_mut();
        self.v.inplace_op1(&Pass {
            p: RefCell::new(&mut p[..]),
            m: RefCell::new(m),
            g: self.g,
            k: self.k,
        })
    }
}

impl InplaceOp1 for Pass<'_, '_> {
    fn name(&self) -> &'static str {
        "adamw"
    }

    fn cpu_fwd(&self, s: &mut CpuStorage, l: &Layout) -> Result<()> {
        let v = contiguous_f32_mut(s, l, "second moment")?;
        let (mut p, mut m) = (self.p.borrow_mut(), self.m.borrow_mut());
        let (p, m, g, k) = (&mut p[..], &mut m[..], self.g, self.k);
        if p.len() != g.len() || m.len() != g.len() || v.len() != g.len() {
            candle_core::bail!(
                "fused AdamW: parameter, moments and gradient of sizes {}, {}, {}, {}",
                p.len(),
                m.len(),
                v.len(),
                g.len()
            );
        }
        update(p, m, v, g, k);
        Ok(())
    }
}

#[inline(always)]
fn update_body(p: &mut [f32], m: &mut [f32], v: &mut [f32], g: &[f32], k: Constants) {
    let (a1, b1, a2, b2) = (k.b1, 1.0 - k.b1, k.b2, 1.0 - k.b2);
    for (((p, m), v), &g) in p.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(g) {
        let g = g * k.scale;
        *m = *m * a1 + g * b1;
        *v = *v * a2 + g * g * b2;
        let step = (*m / k.c1) / ((*v / k.c2).sqrt() + k.eps);
        *p = *p * k.keep - step * k.lr;
    }
}
super::vmath::dispatch!(update, update_body, (p: &mut [f32], m: &mut [f32], v: &mut [f32], g: &[f32], k: Constants));

/// `Σ g²` of a gradient in f64, one pass over its memory when it is a contiguous f32 tensor
/// on the CPU (candle's `sqr` then `sum_all` otherwise).
pub(crate) fn sum_of_squares(g: &Tensor) -> Result<f64> {
    if let Some(read) = ReadF32::of(g) {
        return Ok(squares(read.slice()));
    }
    Ok(f64::from(g.sqr()?.sum_all()?.to_scalar::<f32>()?))
}

/// `Σ x²` in 64 f32 lanes (four vectors' worth, so that the additions of one lane do not wait
/// for each other) per block of 4,096, the blocks summed in f64.
fn squares(x: &[f32]) -> f64 {
    #[inline(always)]
    fn block_body(x: &[f32], out: &mut f32) {
        let mut lanes = [0f32; 64];
        let mut blocks = x.chunks_exact(64);
        for b in &mut blocks {
            let b: &[f32; 64] = b.try_into().expect("chunks of 64");
            for (l, &v) in lanes.iter_mut().zip(b) {
                *l += v * v;
            }
        }
        for &v in blocks.remainder() {
            lanes[0] += v * v;
        }
        *out = lanes.iter().sum();
    }
    super::vmath::dispatch!(block, block_body, (x: &[f32], out: &mut f32));
    x.chunks(4096)
        .map(|c| {
            let mut s = 0f32;
            block(c, &mut s);
            f64::from(s)
        })
        .sum()
}

/// One AdamW update of `p` (moments `m`, `v`) from gradient `g` times `scale`, in place;
/// `false` when the tensors are not contiguous f32 on the CPU (the caller then takes candle's
/// general path).
#[allow(clippy::too_many_arguments)]
pub(crate) fn adamw_update(
    p: &Var,
    m: &Var,
    v: &Var,
    g: &Tensor,
    scale: f64,
    (beta1, beta2, eps): (f64, f64, f64),
    (lr, weight_decay): (f64, f64),
    (c1, c2): (f64, f64),
) -> Result<bool> {
    let all_cpu_f32 = [p.as_tensor(), m.as_tensor(), v.as_tensor(), g]
        .iter()
        .all(|t| t.device().is_cpu() && t.dtype() == candle_core::DType::F32);
    if !all_cpu_f32 {
        return Ok(false);
    }
    let g = g.contiguous()?;
    let Some(read) = ReadF32::of(&g) else {
        return Ok(false);
    };
    p.as_tensor().inplace_op1(&WithParameter {
        m: m.as_tensor(),
        v: v.as_tensor(),
        g: read.slice(),
        k: Constants {
            scale: scale as f32,
            b1: beta1 as f32,
            b2: beta2 as f32,
            keep: (1.0 - lr * weight_decay) as f32,
            lr: lr as f32,
            c1: c1 as f32,
            c2: c2 as f32,
            eps: eps as f32,
        },
    })?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// The one-pass sum of squares against candle's `sqr` then `sum_all`, on a length that
    /// leaves a partial block of 4,096 and a partial row of 64 lanes, and on a strided tensor
    /// (candle's path).
    #[test]
    fn sum_of_squares_equals_candles() {
        let dev = Device::Cpu;
        let g = Tensor::randn(0f32, 1.0, (3, 4099), &dev).unwrap();
        let want = f64::from(
            g.sqr()
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap(),
        );
        let got = sum_of_squares(&g).unwrap();
        assert!((got - want).abs() < 1e-5 * want, "{got} against {want}");
        let t = g.t().unwrap();
        assert!((sum_of_squares(&t).unwrap() - want).abs() < 1e-5 * want);
    }

    /// The fused update against the same formula in candle's tensor arithmetic, over a few
    /// steps (moments carried), with weight decay and a clipping factor.
    #[test]
    fn fused_update_equals_the_tensor_formula() {
        let dev = Device::Cpu;
        let shape = (37, 5);
        let fused: Vec<Var> = (0..3)
            .map(|i| {
                Var::from_tensor(
                    &(Tensor::randn(0f32, 1.0, shape, &dev).unwrap() * (i as f64 + 0.5)).unwrap(),
                )
                .unwrap()
            })
            .collect();
        let (mut p, mut m, mut v) = (
            fused[0].as_tensor().copy().unwrap(),
            fused[1].as_tensor().copy().unwrap().abs().unwrap(),
            fused[2].as_tensor().copy().unwrap().abs().unwrap(),
        );
        fused[1].set(&m).unwrap();
        fused[2].set(&v).unwrap();
        let (b1, b2, eps, lr, wd): (f64, f64, f64, f64, f64) = (0.9, 0.999, 1e-8, 3e-3, 0.1);
        let p0 = p.clone();
        for step in 1..=3 {
            let g = Tensor::randn(0f32, 1.0, shape, &dev).unwrap();
            let (c1, c2) = (1.0 - b1.powi(step), 1.0 - b2.powi(step));
            assert!(adamw_update(
                &fused[0],
                &fused[1],
                &fused[2],
                &g,
                0.5,
                (b1, b2, eps),
                (lr, wd),
                (c1, c2)
            )
            .unwrap());
            // The clipping factor 0.5 applies to the gradient first.
            let g = (g * 0.5).unwrap();
            m = ((&m * b1).unwrap() + (&g * (1.0 - b1)).unwrap()).unwrap();
            v = ((&v * b2).unwrap() + (g.sqr().unwrap() * (1.0 - b2)).unwrap()).unwrap();
            let update =
                ((&m / c1).unwrap() / ((&v / c2).unwrap().sqrt().unwrap() + eps).unwrap()).unwrap();
            p = ((&p * (1.0 - lr * wd)).unwrap() - (update * lr).unwrap()).unwrap();
            for (got, want) in fused.iter().zip([&p, &m, &v]) {
                let d = crate::nn::max_abs_difference(got.as_tensor(), want).unwrap();
                assert!(d < 1e-6, "step {step}: differs by {d}");
            }
        }
        // The comparison is not between two unchanged tensors: the parameter moved.
        assert!(crate::nn::max_abs_difference(fused[0].as_tensor(), &p0).unwrap() > 1e-3);
    }
}
