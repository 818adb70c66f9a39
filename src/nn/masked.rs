//! The paper's cost centre: one linear layer over a whole context of `T` positions of width
//! `d`, masked block-lower-triangular so that output position `t` sees input positions `≤ t`
//! only.
//!
//! Seen as one matrix it is `T·d × T·h` with the blocks above the diagonal zero. The paper's
//! code stores and multiplies that dense matrix with a 0/1 mask; [`MaskedLinear::forward`]
//! instead skips the masked blocks. Positions are grouped into chunks of `c` consecutive
//! positions; output chunk `k` (positions `s_k..e_k`) is
//!
//! ```text
//! y[s_k..e_k] = x[0..s_k] · A_k  +  x[s_k..e_k] · (D_k ⊙ M)  + bias
//! ```
//!
//! where `A_k` (`s_k·d × (e_k−s_k)·h`) holds the blocks strictly below the chunk's diagonal
//! (never masked, so no mask is multiplied) and `D_k` (`(e_k−s_k)·d × (e_k−s_k)·h`) is the
//! chunk's diagonal square, masked block-lower-triangular by the constant `M`. The work is
//! `(1 + 1/K)/2` of the dense product for `K` chunks, against 1 for the dense masked one; with
//! chunks of one position there is no mask at all but `T` thin products, which `gemm` runs far
//! below its peak: chunks of 16–32 positions are the sweet spot (`benches/masked.rs`).
//!
//! On the CPU the products run as `gemm` calls straight on the tensors' memory, with
//! hand-written backward passes (the `kernel` submodule, `src/nn/masked/kernel.rs`);
//! [`MaskedLinear::forward_candle`] is the same blocks in candle's operations.
//!
//! The masked entries of `D_k` are initialised to zero and get zero gradient (the mask
//! multiplies them), so under AdamW they stay exactly zero: [`MaskedLinear::to_dense`] is the
//! honest `T·d × T·h` matrix and [`MaskedLinear::forward_dense_masked`] (the paper's product,
//! kept for the equivalence test and the bench) computes the same function.

use candle_core::{DType, Device, Result, Tensor, Var};

pub(crate) mod kernel;
mod shape;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
pub use shape::MaskedShape;

/// The block-lower-triangular layer: per chunk an off-diagonal `A_k` (absent for the first
/// chunk) and a masked diagonal `D_k`, plus a bias per output position.
#[derive(Debug)]
pub struct MaskedLinear {
    shape: MaskedShape,
    /// `A_k`, `None` for chunk 0.
    below: Vec<Option<Var>>,
    /// `D_k`.
    diagonal: Vec<Var>,
    /// `M` for each chunk's diagonal (chunks of the same length share their values).
    masks: Vec<Tensor>,
    /// `T·h`.
    bias: Var,
}

/// The 0/1 block-lower-triangular mask of `n` positions: entry `(i·d + a, j·h + b)` is 1 when
/// input position `i ≤` output position `j`.
pub fn block_mask(n: usize, d_in: usize, d_out: usize, device: &Device) -> Result<Tensor> {
    let mut m = vec![0f32; n * d_in * n * d_out];
    for r in 0..n * d_in {
        for c in 0..n * d_out {
            if r / d_in <= c / d_out {
                m[r * n * d_out + c] = 1.0;
            }
        }
    }
    Tensor::from_vec(m, (n * d_in, n * d_out), device)
}

impl MaskedLinear {
    /// A layer with weights drawn from a normal distribution scaled by each output position's
    /// fan-in, `1/√((t+1)·d)`, masked entries zero, bias zero; seeded.
    pub fn new(shape: MaskedShape, seed: u64, device: &Device) -> Result<MaskedLinear> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let normal = Normal::new(0f32, 1.0).expect("unit normal");
        let (d, h) = (shape.d_in, shape.d_out);
        let mut below = Vec::new();
        let mut diagonal = Vec::new();
        for r in shape.chunks() {
            let (s, n) = (r.start, r.len());
            let scale = |col: usize| 1.0 / (((s + col / h + 1) * d) as f32).sqrt();
            below.push(if s == 0 {
                None
            } else {
                let w: Vec<f32> = (0..s * d * n * h)
                    .map(|i| normal.sample(&mut rng) * scale(i % (n * h)))
                    .collect();
                Some(Var::from_tensor(&Tensor::from_vec(
                    w,
                    (s * d, n * h),
                    device,
                )?)?)
            });
            let w: Vec<f32> = (0..n * d * n * h)
                .map(|i| {
                    let (row, col) = (i / (n * h), i % (n * h));
                    let x = normal.sample(&mut rng) * scale(col);
                    if row / d <= col / h {
                        x
                    } else {
                        0.0
                    }
                })
                .collect();
            diagonal.push(Var::from_tensor(&Tensor::from_vec(
                w,
                (n * d, n * h),
                device,
            )?)?);
        }
        let bias = Var::zeros(shape.positions * h, DType::F32, device)?;
        MaskedLinear::from_parts(shape, below, diagonal, bias)
    }

    /// A layer from its parameters (as [`MaskedLinear::named_vars`] lists them).
    pub fn from_parts(
        shape: MaskedShape,
        below: Vec<Option<Var>>,
        diagonal: Vec<Var>,
        bias: Var,
    ) -> Result<MaskedLinear> {
        let device = bias.device().clone();
        let masks = shape
            .chunks()
            .map(|r| block_mask(r.len(), shape.d_in, shape.d_out, &device))
            .collect::<Result<_>>()?;
        Ok(MaskedLinear {
            shape,
            below,
            diagonal,
            masks,
            bias,
        })
    }

    /// `A_k` (none for chunk 0), `D_k` and the bias: the parameters the hand-written training
    /// step (`nn::step`) reads and computes gradients for.
    pub(crate) fn parts(&self) -> (&[Option<Var>], &[Var], &Var) {
        (&self.below, &self.diagonal, &self.bias)
    }

    /// The layer's shape.
    pub fn shape(&self) -> MaskedShape {
        self.shape
    }

    /// Every parameter with a stable name: `below.K`, `diagonal.K`, `bias`.
    pub fn named_vars(&self, prefix: &str) -> Vec<(String, Var)> {
        let mut out = Vec::new();
        for (k, a) in self.below.iter().enumerate() {
            if let Some(a) = a {
                out.push((format!("{prefix}.below.{k}"), a.clone()));
            }
        }
        for (k, dk) in self.diagonal.iter().enumerate() {
            out.push((format!("{prefix}.diagonal.{k}"), dk.clone()));
        }
        out.push((format!("{prefix}.bias"), self.bias.clone()));
        out
    }

    /// The block-triangular product: `x` is `[B, T·d]`, the result `[B, T·h]`.
    ///
    /// On the CPU in f32 it runs as `gemm` products straight on the tensors (see `kernel`);
    /// elsewhere as [`MaskedLinear::forward_candle`]. Both compute the same function.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if x.device().is_cpu() && x.dtype() == DType::F32 && self.bias.dtype() == DType::F32 {
            let below: Vec<Option<Tensor>> = self
                .below
                .iter()
                .map(|a| a.as_ref().map(|a| a.as_tensor().clone()))
                .collect();
            let diagonal: Vec<Tensor> = self
                .diagonal
                .iter()
                .map(|v| v.as_tensor().clone())
                .collect();
            return kernel::forward(self.shape, x, &below, &diagonal, self.bias.as_tensor());
        }
        self.forward_candle(x)
    }

    /// [`MaskedLinear::forward`] in candle's own operations (per-chunk `narrow`, `matmul` and
    /// mask `mul`, then `cat`): any device, and the baseline of `benches/masked.rs`.
    pub fn forward_candle(&self, x: &Tensor) -> Result<Tensor> {
        let d = self.shape.d_in;
        let mut parts = Vec::with_capacity(self.diagonal.len());
        for (k, r) in self.shape.chunks().enumerate() {
            let diag = self.diagonal[k].as_tensor().mul(&self.masks[k])?;
            let mut y = x.narrow(1, r.start * d, r.len() * d)?.matmul(&diag)?;
            if let Some(a) = &self.below[k] {
                y = (y + x.narrow(1, 0, r.start * d)?.matmul(a.as_tensor())?)?;
            }
            parts.push(y);
        }
        Tensor::cat(&parts, 1)?.broadcast_add(self.bias.as_tensor())
    }

    /// Output position `t` alone from the inputs of positions `0..=t` (`x` is `[B, n·d]` with
    /// `n > t`; later positions are ignored): `[B, h]`. The step of greedy decoding.
    pub fn forward_position(&self, x: &Tensor, t: usize) -> Result<Tensor> {
        let (d, h) = (self.shape.d_in, self.shape.d_out);
        let c = self.shape.chunk.max(1);
        let k = t / c;
        let s = k * c;
        let j = t - s;
        let diag = self.diagonal[k]
            .as_tensor()
            .narrow(0, 0, (j + 1) * d)?
            .narrow(1, j * h, h)?;
        let mut y = x.narrow(1, s * d, (j + 1) * d)?.matmul(&diag)?;
        if let Some(a) = &self.below[k] {
            y = (y + x
                .narrow(1, 0, s * d)?
                .matmul(&a.as_tensor().narrow(1, j * h, h)?)?)?;
        }
        y.broadcast_add(&self.bias.as_tensor().narrow(0, t * h, h)?)
    }

    /// The whole `T·d × T·h` matrix, masked blocks zero.
    pub fn to_dense(&self) -> Result<Tensor> {
        let (d, h, t) = (self.shape.d_in, self.shape.d_out, self.shape.positions);
        let mut columns = Vec::new();
        for (k, r) in self.shape.chunks().enumerate() {
            let mut rows = Vec::new();
            if let Some(a) = &self.below[k] {
                rows.push(a.as_tensor().clone());
            }
            rows.push(self.diagonal[k].as_tensor().mul(&self.masks[k])?);
            let below_zero = (t - r.end) * d;
            if below_zero > 0 {
                rows.push(Tensor::zeros(
                    (below_zero, r.len() * h),
                    DType::F32,
                    self.bias.device(),
                )?);
            }
            columns.push(Tensor::cat(&rows, 0)?);
        }
        Tensor::cat(&columns, 1)
    }

    /// The paper's product: the dense matrix (assembled from the same parameters, so gradients
    /// flow to them) times a dense 0/1 mask, then one `[B, T·d] × [T·d, T·h]` product.
    pub fn forward_dense_masked(&self, x: &Tensor, mask: &Tensor) -> Result<Tensor> {
        x.matmul(&self.to_dense()?.mul(mask)?)?
            .broadcast_add(self.bias.as_tensor())
    }

    /// Largest absolute value of a masked entry (zero unless something wrote one).
    pub fn masked_leak(&self) -> Result<f32> {
        let mut worst = 0f32;
        for (k, dk) in self.diagonal.iter().enumerate() {
            let kept = dk.as_tensor().mul(&self.masks[k])?;
            worst = worst.max(super::tensor::max_abs_difference(dk.as_tensor(), &kept)?);
        }
        Ok(worst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_positions_and_count_work() {
        let s = MaskedShape {
            positions: 7,
            d_in: 2,
            d_out: 3,
            chunk: 3,
        };
        let c: Vec<_> = s.chunks().collect();
        assert_eq!(c, vec![0..3, 3..6, 6..7]);
        assert_eq!(s.live_weights(), 2 * 3 * 28);
        assert_eq!(s.block_macs(), 3 * 2 * 3 * 3 + 6 * 2 * 3 * 3 + 7 * 2 * 3);
        assert!(s.block_macs() < s.dense_macs());
    }
}
