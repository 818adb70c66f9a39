//! Causal multi-head attention as one candle custom op, forward and backward, so that no
//! `T × T` tensor is ever made.
//!
//! Written with candle's tensor operations, attention costs far more than its multiply-adds:
//! the scores, the masked scores, the softmax's five passes and the backward of each are
//! `[B, H, T, T]` tensors, every one a fresh allocation (page faults) and a pass over memory.
//! For the `paper` chain (`T = 307`, `B = 128`, `H = 4`) one such tensor is 193 MB; a profile of
//! a training step found a fifth of the time clearing new pages and the matrix products under
//! a tenth. Here each batch element's heads are done one after another in scratch buffers of
//! `O(T·d)` floats:
//!
//! - **Forward** ([`causal_attention`]): for each query position `i`, the scores
//!   `s_j = (q_i·k_j)/√(d/H)` for `j ≤ i` (the future is never computed: the causal mask is the
//!   loop bound), `p = softmax(s)` (max subtracted), `y_i = Σ_j p_j v_j`.
//! - **Backward**: the probabilities are recomputed row by row (as FlashAttention does; storing
//!   them would be the `T × T` tensor again), then with `dp_j = dy_i·v_j` and
//!   `D = Σ_j p_j dp_j`: `ds_j = p_j (dp_j − D)`, `dq_i = Σ_j ds_j k_j / √(d/H)`,
//!   `dk_j += ds_j q_i / √(d/H)`, `dv_j += p_j dy_i`.
//!
//! Keys and values are kept transposed (`[hd, T]`), so that every inner loop runs over key
//! positions `j`, contiguous, and vectorises, whatever the head width. The input is the fused
//! projection's output `[B, T, 3d]` as it lies (queries, keys, values; head-major within each),
//! the output is `[B, T, d]` (head-major), so the model needs no transposes either.
//!
//! The sums are the same as those of the tensor formulation; only the order of the additions
//! differs. `tests/transformer.rs` compares outputs and gradients with that formulation.
//! Batch elements run in parallel on rayon's pool (`--threads`).

use super::tensor::contiguous_f32;
use super::vmath::{dispatch, exp_nonpositive};
use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

/// `y [B, T, d]` of causal multi-head attention over `qkv [B, T, 3d]` (queries, keys, values,
/// each `heads` heads of width `d / heads`), differentiable with respect to `qkv`.
pub fn causal_attention(qkv: &Tensor, heads: usize) -> Result<Tensor> {
    qkv.contiguous()?.apply_op1(Attention { heads })
}

/// The same attention written with candle's tensor operations (the `[B, H, T, T]` scores, an
/// additive mask of −10⁹ above the diagonal, candle's softmax): what the op replaced, kept as
/// the reference that tests and `benches/attention.rs` compare it with. Differentiable.
pub fn causal_attention_by_tensors(qkv: &Tensor, heads: usize) -> Result<Tensor> {
    let (b, t, d3) = qkv.dims3()?;
    let (d, hd) = (d3 / 3, d3 / 3 / heads.max(1));
    let qkv = qkv.reshape((b, t, 3, heads, hd))?;
    let part = |k: usize| -> Result<Tensor> {
        qkv.narrow(2, k, 1)?
            .squeeze(2)?
            .transpose(1, 2)?
            .contiguous()
    };
    let (q, k, v) = (part(0)?, part(1)?, part(2)?);
    // 0 on and below the diagonal, a large negative number above: softmax gives the future
    // exactly zero weight (exp underflows), and no -inf can make a NaN.
    let mask: Vec<f32> = (0..t * t)
        .map(|i| if i % t > i / t { -1e9 } else { 0.0 })
        .collect();
    let mask = Tensor::from_vec(mask, (t, t), qkv.device())?;
    let scores = (q.matmul(&k.transpose(2, 3)?.contiguous()?)? * (1.0 / (hd as f64).sqrt()))?
        .broadcast_add(&mask)?;
    let att = candle_nn::ops::softmax(&scores, candle_core::D::Minus1)?;
    att.matmul(&v)?
        .transpose(1, 2)?
        .contiguous()?
        .reshape((b, t, d))
}

/// One new query per batch element against the keys and values of every position so far:
/// `q [B, d]` (position `n − 1`'s), `keys`/`values` `[B, capacity, d]` of which positions
/// `0..n` are filled → `y [B, d]`. The decoding counterpart of [`causal_attention`]'s last row
/// (same formula, same summation order over keys within a head width).
pub(crate) fn attend_last(
    q: &[f32],
    keys: &[f32],
    values: &[f32],
    capacity: usize,
    n: usize,
    d: usize,
    heads: usize,
) -> Vec<f32> {
    let hd = d / heads;
    let scale = 1.0 / (hd as f32).sqrt();
    let batch = q.len() / d;
    let mut y = vec![0f32; batch * d];
    let mut p = vec![0f32; n];
    for b in 0..batch {
        let (k, v) = (
            &keys[b * capacity * d..(b * capacity + n) * d],
            &values[b * capacity * d..(b * capacity + n) * d],
        );
        for h in 0..heads {
            let qh = &q[b * d + h * hd..b * d + (h + 1) * hd];
            for (j, s) in p.iter_mut().enumerate() {
                let kj = &k[j * d + h * hd..j * d + (h + 1) * hd];
                *s = qh.iter().zip(kj).map(|(a, b)| a * scale * b).sum();
            }
            softmax_in_place(&mut p);
            let out = &mut y[b * d + h * hd..b * d + (h + 1) * hd];
            for (j, &pj) in p.iter().enumerate() {
                axpy(pj, &v[j * d + h * hd..j * d + (h + 1) * hd], out);
            }
        }
    }
    y
}

/// The forward op.
struct Attention {
    heads: usize,
}

/// The backward op: inputs `qkv` and `dy`, output `dqkv [B, T, 3d]`.
struct AttentionBackward {
    heads: usize,
}

/// The shape of one call.
#[derive(Clone, Copy, Debug)]
struct Dims {
    batch: usize,
    /// Positions `T`.
    t: usize,
    /// Model width `d`.
    d: usize,
    heads: usize,
    /// Head width `d / H`.
    hd: usize,
    /// `1/√hd`.
    scale: f32,
}

impl Dims {
    fn of(layout: &Layout, heads: usize) -> Result<Dims> {
        let dims = layout.dims();
        if dims.len() != 3 || !dims[2].is_multiple_of(3) {
            candle_core::bail!("attention: qkv must be [B, T, 3d], got {dims:?}");
        }
        let d = dims[2] / 3;
        if heads == 0 || !d.is_multiple_of(heads) {
            candle_core::bail!("attention: d = {d} is not a multiple of the {heads} heads");
        }
        let hd = d / heads;
        Ok(Dims {
            batch: dims[0],
            t: dims[1],
            d,
            heads,
            hd,
            scale: 1.0 / (hd as f32).sqrt(),
        })
    }
}

/// One thread's buffers, reused across batch elements and heads.
struct Scratch {
    /// `[T, hd]`: the head's queries, already times `1/√hd`.
    q: Vec<f32>,
    /// `[hd, T]`: keys, transposed.
    kt: Vec<f32>,
    /// `[hd, T]`: values, transposed.
    vt: Vec<f32>,
    /// `[T]`: one row's probabilities.
    p: Vec<f32>,
    /// Backward only: `[T, hd]` output gradient, `[T]` row gradient, `[hd, T]` key and value
    /// gradients (transposed).
    dy: Vec<f32>,
    dp: Vec<f32>,
    dkt: Vec<f32>,
    dvt: Vec<f32>,
}

impl Scratch {
    fn new(n: Dims, backward: bool) -> Scratch {
        let (th, b) = (n.t * n.hd, if backward { 1 } else { 0 });
        Scratch {
            q: vec![0.0; th],
            kt: vec![0.0; th],
            vt: vec![0.0; th],
            p: vec![0.0; n.t],
            dy: vec![0.0; th * b],
            dp: vec![0.0; n.t * b],
            dkt: vec![0.0; th * b],
            dvt: vec![0.0; th * b],
        }
    }

    /// Head `h`'s queries (scaled), keys and values of one batch element `x [T, 3d]`.
    #[inline(always)]
    fn gather(&mut self, n: Dims, x: &[f32], h: usize) {
        let (t, d, hd) = (n.t, n.d, n.hd);
        for i in 0..t {
            let row = &x[i * 3 * d..(i + 1) * 3 * d];
            for c in 0..hd {
                self.q[i * hd + c] = row[h * hd + c] * n.scale;
                self.kt[c * t + i] = row[d + h * hd + c];
                self.vt[c * t + i] = row[2 * d + h * hd + c];
            }
        }
    }

    /// `p[0..=i]`: the softmax of query `i`'s scores against keys `0..=i`.
    #[inline(always)]
    fn probabilities(&mut self, n: Dims, i: usize) {
        let (t, hd, len) = (n.t, n.hd, i + 1);
        let p = &mut self.p[..len];
        p.fill(0.0);
        for c in 0..hd {
            axpy(self.q[i * hd + c], &self.kt[c * t..c * t + len], p);
        }
        softmax_in_place(p);
    }
}

/// `p ← softmax(p)`: the maximum subtracted, [`exp_nonpositive`], divided by the sum.
#[inline(always)]
fn softmax_in_place(p: &mut [f32]) {
    let max = max_of(p);
    p.iter_mut().for_each(|x| *x = exp_nonpositive(*x - max));
    let inv = 1.0 / sum_of(p);
    p.iter_mut().for_each(|x| *x *= inv);
}

/// Sixteen lanes: the partial results of a reduction kept apart, so that the loop vectorises
/// (one running sum or maximum is a chain of dependent instructions, four cycles each, that the
/// compiler may not reorder for floats). The lanes are combined in a fixed order, so the result
/// is the same at every vector width.
const LANES: usize = 16;

/// The largest element (−∞ for none).
#[inline(always)]
fn max_of(a: &[f32]) -> f32 {
    let mut m = [f32::NEG_INFINITY; LANES];
    let chunks = a.chunks_exact(LANES);
    let tail = chunks.remainder();
    for x in chunks {
        for k in 0..LANES {
            m[k] = if x[k] > m[k] { x[k] } else { m[k] };
        }
    }
    tail.iter()
        .chain(&m)
        .fold(f32::NEG_INFINITY, |m, &x| m.max(x))
}

/// `Σ a_k`.
#[inline(always)]
fn sum_of(a: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = a.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().sum();
    for x in chunks {
        for k in 0..LANES {
            acc[k] += x[k];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// `y ← y + a·x`.
#[inline(always)]
fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// `Σ a_k b_k`, in [`LANES`] partial sums.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    const L: usize = LANES;
    let mut acc = [0f32; L];
    let (a_main, a_tail) = a.split_at(a.len() / L * L);
    let (b_main, b_tail) = b[..a.len()].split_at(a_main.len());
    for (x, y) in a_main.chunks_exact(L).zip(b_main.chunks_exact(L)) {
        for k in 0..L {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f32 = a_tail.iter().zip(b_tail).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// One batch element's forward pass: `x [T, 3d]` → `y [T, d]`.
#[inline(always)]
fn forward_body(n: Dims, s: &mut Scratch, x: &[f32], y: &mut [f32]) {
    let (t, d, hd) = (n.t, n.d, n.hd);
    for h in 0..n.heads {
        s.gather(n, x, h);
        for i in 0..t {
            s.probabilities(n, i);
            for c in 0..hd {
                y[i * d + h * hd + c] = dot(&s.p[..=i], &s.vt[c * t..c * t + i + 1]);
            }
        }
    }
}

/// One batch element's backward pass: `x [T, 3d]`, `dy [T, d]` → `dx [T, 3d]`.
#[inline(always)]
fn backward_body(n: Dims, s: &mut Scratch, x: &[f32], dy: &[f32], dx: &mut [f32]) {
    let (t, d, hd) = (n.t, n.d, n.hd);
    for h in 0..n.heads {
        s.gather(n, x, h);
        for i in 0..t {
            for c in 0..hd {
                s.dy[i * hd + c] = dy[i * d + h * hd + c];
            }
        }
        s.dkt.fill(0.0);
        s.dvt.fill(0.0);
        for i in 0..t {
            let len = i + 1;
            s.probabilities(n, i);
            let (p, dp) = (&s.p[..len], &mut s.dp[..len]);
            dp.fill(0.0);
            for c in 0..hd {
                axpy(s.dy[i * hd + c], &s.vt[c * t..c * t + len], dp);
            }
            let centre = dot(p, dp);
            for (g, &p) in dp.iter_mut().zip(p) {
                *g = p * (*g - centre);
            }
            for c in 0..hd {
                let k = &s.kt[c * t..c * t + len];
                dx[i * 3 * d + h * hd + c] = n.scale * dot(dp, k);
                axpy(s.q[i * hd + c], dp, &mut s.dkt[c * t..c * t + len]);
                axpy(s.dy[i * hd + c], p, &mut s.dvt[c * t..c * t + len]);
            }
        }
        for j in 0..t {
            let row = &mut dx[j * 3 * d..(j + 1) * 3 * d];
            for c in 0..hd {
                row[d + h * hd + c] = s.dkt[c * t + j];
                row[2 * d + h * hd + c] = s.dvt[c * t + j];
            }
        }
    }
}

dispatch!(forward_element, forward_body, (n: Dims, s: &mut Scratch, x: &[f32], y: &mut [f32]));
dispatch!(
    backward_element,
    backward_body,
    (n: Dims, s: &mut Scratch, x: &[f32], dy: &[f32], dx: &mut [f32])
);

impl CustomOp1 for Attention {
    fn name(&self) -> &'static str {
        "causal-attention"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let n = Dims::of(layout, self.heads)?;
        let x = contiguous_f32(storage, layout, "attention", "qkv")?;
        let mut y = vec![0f32; n.batch * n.t * n.d];
        if n.t > 0 {
            y.par_chunks_mut(n.t * n.d)
                .zip(x.par_chunks(n.t * 3 * n.d))
                .for_each_init(
                    || Scratch::new(n, false),
                    |s, (y, x)| forward_element(n, s, x, y),
                );
        }
        Ok((CpuStorage::F32(y), Shape::from((n.batch, n.t, n.d))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        let dy = grad_res.contiguous()?;
        Ok(Some(arg.apply_op2_no_bwd(
            &dy,
            &AttentionBackward { heads: self.heads },
        )?))
    }
}

impl CustomOp2 for AttentionBackward {
    fn name(&self) -> &'static str {
        "causal-attention-backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let n = Dims::of(l1, self.heads)?;
        if l2.dims() != [n.batch, n.t, n.d] {
            candle_core::bail!(
                "attention backward: dy is {:?}, expected {:?}",
                l2.dims(),
                [n.batch, n.t, n.d]
            );
        }
        let x = contiguous_f32(s1, l1, "attention", "qkv")?;
        let dy = contiguous_f32(s2, l2, "attention", "dy")?;
        let mut dx = vec![0f32; x.len()];
        if n.t > 0 {
            dx.par_chunks_mut(n.t * 3 * n.d)
                .zip(x.par_chunks(n.t * 3 * n.d))
                .zip(dy.par_chunks(n.t * n.d))
                .for_each_init(
                    || Scratch::new(n, true),
                    |s, ((dx, x), dy)| backward_element(n, s, x, dy, dx),
                );
        }
        Ok((CpuStorage::F32(dx), Shape::from((n.batch, n.t, 3 * n.d))))
    }
}
