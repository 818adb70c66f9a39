//! One training step ([`train_step`]): the loss, every gradient, and AdamW's update.
//!
//! For the paper's two models (`mlp` and `linear`) in f32 on the CPU the forward and backward
//! passes are written out here instead of recorded by candle's autograd, which at these shapes
//! spent more time moving memory than multiplying: it adds every gradient, the tens of
//! megabytes of the masked layer's weights among them, into a fresh zero tensor, and every
//! element-wise operation (ReLU, the softmax, the loss) allocates and passes over a new tensor
//! both ways. Here each buffer is written once:
//!
//! - the embedding is gathered straight into the masked layer's input `x` `[B, T·d]`, and its
//!   gradient scattered back from `dx`;
//! - the masked layer's chunks write their products into one `y` `[B, T·h]` (no per-chunk
//!   tensors, no concatenation), each diagonal square masked once per step and reused by the
//!   backward pass; its weight gradients are each one `gemm` into a buffer that becomes the
//!   gradient tensor as it is (no zero tensor, no addition);
//! - the output layer, the softmax and the cross-entropy are one pass per row over the logits,
//!   which become the logits' gradient in place.
//!
//! The function is [`ArModel::loss`]'s and the gradients are its autograd's up to the order of
//! floating-point additions (`tests/nn.rs` compares them to 10⁻⁵); the update is
//! [`AdamW::update`], the same for both paths. Other architectures, devices and dtypes take
//! candle's autograd path.

use super::adamw::AdamW;
use super::masked::kernel::{apply_mask, masked_copy, matmul, matmul_strided, Output, View};
use super::model::{ArModel, Architecture};
use super::tensor::ReadF32;
use super::vmath::{dispatch, exp_nonpositive};
use candle_core::backprop::GradStore;
use candle_core::{Device, Error, Result, Tensor, Var};

/// One training step of `model` on `inputs` → `targets` (both `[B, T]` `u32`) at learning rate
/// `lr`: the mean cross-entropy (nats), returned, its gradients, and one AdamW update.
pub fn train_step(
    model: &ArModel,
    opt: &mut AdamW,
    inputs: &Tensor,
    targets: &Tensor,
    lr: f64,
) -> Result<f32> {
    if let Some((loss, grads)) = gradients(model, inputs, targets)? {
        opt.update(&grads, lr)?;
        return Ok(loss);
    }
    let loss = model.loss(inputs, targets)?;
    opt.backward_step(&loss, lr)?;
    loss.to_scalar::<f32>()
}

/// The mean loss and the gradient of every parameter by the hand-written passes, or `None`
/// where they do not apply (an architecture other than `mlp` and `linear`, a tensor not f32
/// on the CPU, inputs not `u32` `[B, T]`): the caller then takes candle's autograd.
pub fn gradients(
    model: &ArModel,
    inputs: &Tensor,
    targets: &Tensor,
) -> Result<Option<(f32, GradStore)>> {
    let config = *model.config();
    let (embedding, hidden, output) = model.parts();
    let (Some(masked), Some((w_out, b_out))) = (model.masked(), output) else {
        return Ok(None);
    };
    let shape = masked.shape();
    let (below, diagonal, bias) = masked.parts();
    let plain = matches!(
        config.architecture,
        Architecture::Mlp | Architecture::Linear
    ) && inputs.dtype() == candle_core::DType::U32
        && targets.dtype() == candle_core::DType::U32
        && inputs.device().is_cpu()
        && inputs.dims().len() == 2
        && inputs.dims() == targets.dims()
        && inputs.dims()[1] == config.context
        && shape.d_in == config.d
        && shape.d_out == config.d;
    if !plain {
        return Ok(None);
    }
    // Read locks on every parameter for the whole pass (none when one is not contiguous f32
    // on the CPU).
    let mut vars: Vec<&Var> = vec![embedding, w_out, b_out, bias];
    vars.extend(hidden.iter().flat_map(|(w, b)| [w, b]));
    vars.extend(below.iter().flatten());
    vars.extend(diagonal);
    let Some(locks) = vars
        .iter()
        .map(|v| ReadF32::of(v.as_tensor()))
        .collect::<Option<Vec<_>>>()
    else {
        return Ok(None);
    };
    let mut locks = locks.iter().map(ReadF32::slice);
    let mut next = || locks.next().expect("one lock per parameter");
    let (e, w_out_s, b_out_s, bias_s) = (next(), next(), next(), next());
    let hidden_s = hidden.map(|_| (next(), next()));
    let below_s: Vec<Option<&[f32]>> = below.iter().map(|a| a.as_ref().map(|_| next())).collect();
    let diagonal_s: Vec<&[f32]> = diagonal.iter().map(|_| next()).collect();

    let (b, t) = inputs.dims2()?;
    let (v, d) = (config.vocab, config.d);
    let n = b * t;
    let tokens = inputs.flatten_all()?.to_vec1::<u32>()?;
    let wanted = targets.flatten_all()?.to_vec1::<u32>()?;
    if let Some(&bad) = tokens.iter().chain(&wanted).find(|&&k| k as usize >= v) {
        return Err(Error::Msg(format!(
            "training step: token {bad} is outside the vocabulary of {v}"
        )));
    }

    // Forward. The embedding, gathered: x [B, T·d] is [N, d] row-major.
    let mut x = Vec::with_capacity(n * d);
    for &k in &tokens {
        x.extend_from_slice(&e[k as usize * d..][..d]);
    }
    let xv = View::matrix(&x, b, t * d);
    // The masked layer into one y [B, T·d]; each diagonal square masked once.
    let squares: Vec<Vec<f32>> = shape
        .chunks()
        .zip(&diagonal_s)
        .map(|(r, dk)| masked_copy(View::matrix(dk, r.len() * d, r.len() * d), r.len(), d, d))
        .collect();
    let mut y = Output::new(n * d);
    for (k, r) in shape.chunks().enumerate() {
        let (s, c) = (r.start, r.len());
        let square = View::matrix(&squares[k], c * d, c * d);
        matmul(
            &mut y,
            s * d,
            t * d,
            false,
            xv.columns(s * d, c * d),
            square,
        )?;
        if let Some(a) = below_s[k] {
            let a = View::matrix(a, s * d, c * d);
            matmul(&mut y, s * d, t * d, true, xv.columns(0, s * d), a)?;
        }
    }
    let mut y = y.finish();
    add_rows(&mut y, bias_s);
    // The MLP's ReLU, d×d layer, ReLU.
    let mlp = match hidden_s {
        Some((w, bh)) => {
            let a1: Vec<f32> = y.iter().map(|&u| u.max(0.0)).collect();
            let mut pre = Output::new(n * d);
            matmul(
                &mut pre,
                0,
                d,
                false,
                View::matrix(&a1, n, d),
                View::matrix(w, d, d),
            )?;
            let mut pre = pre.finish();
            add_rows(&mut pre, bh);
            let a2: Vec<f32> = pre.iter().map(|&u| u.max(0.0)).collect();
            Some((a1, pre, a2))
        }
        None => None,
    };
    let z: &[f32] = mlp.as_ref().map_or(&y, |(_, _, a2)| a2);
    let zv = View::matrix(z, n, d);
    // The output layer, then softmax and cross-entropy in place: the logits become their
    // gradient, (softmax − one-hot)/N.
    let mut logits = Output::new(n * v);
    matmul(&mut logits, 0, v, false, zv, View::matrix(w_out_s, d, v))?;
    let mut logits = logits.finish();
    add_rows(&mut logits, b_out_s);
    let mut loss = 0f64;
    let inv_n = 1.0 / n as f32;
    for (row, &k) in logits.chunks_exact_mut(v).zip(&wanted) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let picked = row[k as usize];
        let mut sum = 0f32;
        exp_shifted(row, max, &mut sum);
        loss += f64::from(max + sum.ln() - picked);
        let scale = inv_n / sum;
        row.iter_mut().for_each(|p| *p *= scale);
        row[k as usize] -= inv_n;
    }
    let loss = (loss / n as f64) as f32;

    // Backward: the output layer.
    let dl = View::matrix(&logits, n, v);
    let mut grads: Vec<(&Var, Vec<f32>, (usize, usize))> = Vec::new();
    let mut dw = Output::new(d * v);
    matmul(&mut dw, 0, v, false, zv.t(), dl)?;
    grads.push((w_out, dw.finish(), (d, v)));
    grads.push((b_out, column_sums(&logits, v), (1, v)));
    let mut dz = Output::new(n * d);
    matmul(&mut dz, 0, d, false, dl, View::matrix(w_out_s, d, v).t())?;
    let mut dz = dz.finish();
    drop(logits);
    // The MLP: ReLU′ is 1 at arguments ≥ 0, as candle's.
    let dy = match (&mlp, hidden, hidden_s) {
        (Some((a1, pre, _)), Some((w, bh)), Some((w_s, _))) => {
            relu_backward(&mut dz, pre);
            let mut dw = Output::new(d * d);
            matmul(
                &mut dw,
                0,
                d,
                false,
                View::matrix(a1, n, d).t(),
                View::matrix(&dz, n, d),
            )?;
            grads.push((w, dw.finish(), (d, d)));
            grads.push((bh, column_sums(&dz, d), (1, d)));
            let mut da = Output::new(n * d);
            matmul(
                &mut da,
                0,
                d,
                false,
                View::matrix(&dz, n, d),
                View::matrix(w_s, d, d).t(),
            )?;
            let mut da = da.finish();
            relu_backward(&mut da, &y);
            da
        }
        _ => dz,
    };
    // The masked layer: per chunk dD_k (masked) and dA_k, and dx through all chunks at once.
    grads.push((bias, column_sums(&dy, t * d), (1, t * d)));
    let gv = View::matrix(&dy, b, t * d);
    // dx stored by columns ([T·d, B] row-major): the products with the transposed weights
    // then read the weights in place instead of packing them element by element.
    let mut dx = Output::new(n * d);
    let by_columns = (1, b);
    for (k, r) in shape.chunks().enumerate() {
        let (s, c) = (r.start, r.len());
        let gk = gv.columns(s * d, c * d);
        let mut dd = Output::new(c * d * c * d);
        matmul(&mut dd, 0, c * d, false, xv.columns(s * d, c * d).t(), gk)?;
        let mut dd = dd.finish();
        apply_mask(&mut dd, c, d, d);
        grads.push((&diagonal[k], dd, (c * d, c * d)));
        // Columns s·d..e·d of dx are written first by this chunk's diagonal; the columns before
        // them were written by the chunks before.
        let square = View::matrix(&squares[k], c * d, c * d);
        matmul_strided(&mut dx, s * d * b, by_columns, false, gk, square.t())?;
        if let (Some(a), Some(a_s)) = (&below[k], below_s[k]) {
            let mut da = Output::new(s * d * c * d);
            matmul(&mut da, 0, c * d, false, xv.columns(0, s * d).t(), gk)?;
            grads.push((a, da.finish(), (s * d, c * d)));
            let a = View::matrix(a_s, s * d, c * d);
            matmul_strided(&mut dx, 0, by_columns, true, gk, a.t())?;
        }
    }
    let dx = dx.finish();
    // The embedding: each position's gradient added to its token's row, in position order.
    let mut de = vec![0f32; v * d];
    for (i, &k) in tokens.iter().enumerate() {
        let (row, col) = (i / t, (i % t) * d);
        for (a, e) in de[k as usize * d..][..d].iter_mut().enumerate() {
            *e += dx[(col + a) * b + row];
        }
    }
    grads.push((embedding, de, (v, d)));

    let mut store = GradStore::default();
    for (var, g, (rows, cols)) in grads {
        let g = Tensor::from_vec(g, (rows, cols), &Device::Cpu)?.reshape(var.shape())?;
        store.insert(var.as_tensor(), g);
    }
    Ok(Some((loss, store)))
}

/// `row[j] ← e^{row[j] − max}` (every argument ≤ 0) and `sum ← Σ row[j]`, in 16 lanes.
#[inline(always)]
fn exp_shifted_body(row: &mut [f32], max: f32, sum: &mut f32) {
    let mut lanes = [0f32; 16];
    let mut blocks = row.chunks_exact_mut(16);
    for block in &mut blocks {
        for (p, l) in block.iter_mut().zip(&mut lanes) {
            *p = exp_nonpositive(*p - max);
            *l += *p;
        }
    }
    for p in blocks.into_remainder() {
        *p = exp_nonpositive(*p - max);
        lanes[0] += *p;
    }
    *sum = lanes.iter().sum();
}
dispatch!(exp_shifted, exp_shifted_body, (row: &mut [f32], max: f32, sum: &mut f32));

/// Adds `bias` (one value per column) to every row of the row-major `m`.
fn add_rows(m: &mut [f32], bias: &[f32]) {
    for row in m.chunks_exact_mut(bias.len()) {
        row.iter_mut().zip(bias).for_each(|(a, &b)| *a += b);
    }
}

/// The sums of the columns of the row-major `m` with `cols` columns (a bias's gradient).
fn column_sums(m: &[f32], cols: usize) -> Vec<f32> {
    let mut out = vec![0f32; cols];
    for row in m.chunks_exact(cols) {
        out.iter_mut().zip(row).for_each(|(a, &g)| *a += g);
    }
    out
}

/// `grad ← grad · [arg ≥ 0]`: the gradient through a ReLU of `arg` (candle's convention at 0).
fn relu_backward(grad: &mut [f32], arg: &[f32]) {
    grad.iter_mut()
        .zip(arg)
        .for_each(|(g, &a)| *g = if a >= 0.0 { *g } else { 0.0 });
}
