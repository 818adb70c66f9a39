//! AdamW's update as three in-place passes over each parameter's memory, instead of the
//! fifteen or so tensor operations (each a fresh allocation and a pass over the parameter's
//! size) that candle's element-wise arithmetic takes. For the paper's models the parameters
//! are tens of megabytes (the masked layer), so the update is memory-bound and its cost is the
//! number of passes: a training step of the multiplication MLP spent more time in AdamW than in
//! the masked layer's forward and backward passes together.
//!
//! The passes compute exactly [`super::AdamW`]'s formula in f32 (the constants rounded to f32
//! once, as candle's `tensor * f64` does):
//!
//! ```text
//! m ← β1·m + (1−β1)·g
//! v ← β2·v + (1−β2)·g²
//! p ← p·(1 − lr·wd) − lr · (m/c1) / (√(v/c2) + ε)
//! ```

use super::tensor::contiguous_f32;
use candle_core::{CpuStorage, InplaceOp2, InplaceOp3, Layout, Result, Tensor, Var};

fn contiguous_f32_mut<'a>(s: &'a mut CpuStorage, l: &Layout, what: &str) -> Result<&'a mut [f32]> {
    match (s, l.contiguous_offsets()) {
        (CpuStorage::F32(v), Some((a, b))) => Ok(&mut v[a..b]),
        _ => candle_core::bail!("fused AdamW: {what} must be a contiguous f32 tensor"),
    }
}

/// `dst ← decay·dst + (1−decay)·f(g)` with `f` the identity or the square.
struct Moment {
    decay: f32,
    square: bool,
}

impl InplaceOp2 for Moment {
    fn name(&self) -> &'static str {
        "adamw-moment"
    }

    fn cpu_fwd(
        &self,
        s1: &mut CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<()> {
        let m = contiguous_f32_mut(s1, l1, "moment")?;
        let g = contiguous_f32(s2, l2, "fused AdamW", "gradient")?;
        if m.len() != g.len() {
            candle_core::bail!(
                "fused AdamW: moment of {} for a gradient of {}",
                m.len(),
                g.len()
            );
        }
        let (a, b) = (self.decay, 1.0 - self.decay);
        if self.square {
            m.iter_mut()
                .zip(g)
                .for_each(|(m, &g)| *m = *m * a + g * g * b);
        } else {
            m.iter_mut().zip(g).for_each(|(m, &g)| *m = *m * a + g * b);
        }
        Ok(())
    }
}

/// `p ← p·keep − lr·(m/c1)/(√(v/c2)+ε)`.
struct Step {
    keep: f32,
    lr: f32,
    c1: f32,
    c2: f32,
    eps: f32,
}

impl InplaceOp3 for Step {
    fn name(&self) -> &'static str {
        "adamw-step"
    }

    fn cpu_fwd(
        &self,
        s1: &mut CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<()> {
        let p = contiguous_f32_mut(s1, l1, "parameter")?;
        let m = contiguous_f32(s2, l2, "fused AdamW", "first moment")?;
        let v = contiguous_f32(s3, l3, "fused AdamW", "second moment")?;
        if p.len() != m.len() || p.len() != v.len() {
            candle_core::bail!("fused AdamW: parameter, moments of different sizes");
        }
        for ((p, &m), &v) in p.iter_mut().zip(m).zip(v) {
            let update = (m / self.c1) / ((v / self.c2).sqrt() + self.eps);
            *p = *p * self.keep - update * self.lr;
        }
        Ok(())
    }
}

/// One AdamW update of `p` (moments `m`, `v`) from gradient `g`, in place; `false` when the
/// tensors are not f32 on the CPU (the caller then takes candle's general path).
#[allow(clippy::too_many_arguments)]
pub(crate) fn adamw_update(
    p: &Var,
    m: &Var,
    v: &Var,
    g: &Tensor,
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
    m.as_tensor().inplace_op2(
        &g,
        &Moment {
            decay: beta1 as f32,
            square: false,
        },
    )?;
    v.as_tensor().inplace_op2(
        &g,
        &Moment {
            decay: beta2 as f32,
            square: true,
        },
    )?;
    p.as_tensor().inplace_op3(
        m.as_tensor(),
        v.as_tensor(),
        &Step {
            keep: (1.0 - lr * weight_decay) as f32,
            lr: lr as f32,
            c1: c1 as f32,
            c2: c2 as f32,
            eps: eps as f32,
        },
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// The fused update against the same formula in candle's tensor arithmetic, over a few
    /// steps (moments carried), with weight decay.
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
                (b1, b2, eps),
                (lr, wd),
                (c1, c2)
            )
            .unwrap());
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
