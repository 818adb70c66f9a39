//! The masked layer's products as candle custom ops over the `gemm` crate, with hand-written
//! backward passes, so that autograd still reaches every parameter while the work runs as a
//! few large matrix products straight on the tensors' storage.
//!
//! candle's own path for [`super::MaskedLinear`] costs more than its multiply-adds: every
//! `narrow` of the input and every `mul` by the mask makes a copy, the backward of `matmul`
//! transposes into fresh tensors, and the input's gradient is accumulated once per chunk as a
//! full `[B, T·d]` tensor (a zero tensor, an add, a new allocation: `K` passes over it). Here:
//!
//! - [`ChunkProduct`] (one per output chunk `k`, inputs `x`, `A_k`, `D_k`) computes
//!   `y_k = x[:, 0..s_k·d] · A_k + x[:, s_k·d..e_k·d] · (D_k ⊙ M)` as two `gemm` calls reading
//!   `x` in place (strided), the mask applied to a small scratch copy of `D_k` (a
//!   `c·d × c·h` square, against the `s_k·d × c·h` of `A_k`). Its backward returns the weight
//!   gradients only: `dA_k = x[:, 0..s_k·d]ᵀ · dy_k` and `dD_k = (x[:, s_k·d..e_k·d]ᵀ · dy_k) ⊙ M`.
//! - [`InputGradient`] (inputs `x`, the concatenated `y`, the bias) adds the bias in the
//!   forward pass and, in the backward pass, computes the input's whole gradient at once,
//!   `dx = Σ_k dy_k · [A_k; D_k ⊙ M]ᵀ`, accumulating every chunk into one buffer. It reads the
//!   weights it was built with at backward time, which are the forward pass's weights as long
//!   as nothing updates the parameters between the two (an optimizer updates after the
//!   backward pass).
//!
//! Every product is exactly the one the dense masked product does for those blocks; only the
//! order of the additions changes, as with any matrix product. `tests/masked_kernels.rs` and
//! `tests/nn.rs` compare outputs and gradients with the dense masked product.

use super::shape::MaskedShape;
use candle_core::{
    CpuStorage, CustomOp2, CustomOp3, DType, Error, Layout, Result, Shape, Storage, Tensor,
};

/// A strided read-only view of an `rows × cols` f32 matrix inside a storage slice.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    data: &'a [f32],
    offset: usize,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    /// Stride between rows, then between columns, in elements.
    rs: usize,
    cs: usize,
}

impl<'a> View<'a> {
    /// The whole of a 2-D tensor's storage and layout.
    fn of(data: &'a [f32], layout: &Layout, what: &str) -> Result<View<'a>> {
        let (dims, stride) = (layout.dims(), layout.stride());
        if dims.len() != 2 {
            return Err(Error::Msg(format!(
                "masked kernel: {what} must be 2-D, got shape {dims:?}"
            )));
        }
        let v = View {
            data,
            offset: layout.start_offset(),
            rows: dims[0],
            cols: dims[1],
            rs: stride[0],
            cs: stride[1],
        };
        v.check(what)?;
        Ok(v)
    }

    /// A row-major `rows × cols` matrix filling `data` from its start.
    pub(crate) fn matrix(data: &'a [f32], rows: usize, cols: usize) -> View<'a> {
        View {
            data,
            offset: 0,
            rows,
            cols,
            rs: cols,
            cs: 1,
        }
    }

    /// Columns `c0..c0 + cols` of this view.
    pub(crate) fn columns(self, c0: usize, cols: usize) -> View<'a> {
        View {
            offset: self.offset + c0 * self.cs,
            cols,
            ..self
        }
    }

    /// The transposed view (no copy).
    pub(crate) fn t(self) -> View<'a> {
        View {
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
            ..self
        }
    }

    /// Every element the view names lies inside its slice.
    fn check(&self, what: &str) -> Result<()> {
        if self.rows == 0 || self.cols == 0 {
            return Ok(());
        }
        let last = self.offset + (self.rows - 1) * self.rs + (self.cols - 1) * self.cs;
        if last >= self.data.len() {
            return Err(Error::Msg(format!(
                "masked kernel: {what} view ends at {last}, past its {} elements",
                self.data.len()
            )));
        }
        Ok(())
    }
}

/// How many threads `gemm` may use for a product of `flops`: candle's thread count (the
/// `RAYON_NUM_THREADS` setting), but one thread for products too small to split.
fn parallelism(flops: usize) -> gemm::Parallelism {
    let threads = candle_core::utils::get_num_threads();
    if threads > 1 && flops >= 1 << 20 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    }
}

/// A row-major f32 buffer that the products fill before it is read: its memory is not zeroed
/// first (a weight gradient is tens of megabytes, and every product with `accumulate` false
/// writes each element of its block).
pub(crate) struct Output {
    data: Vec<f32>,
    len: usize,
}

impl Output {
    pub(crate) fn new(len: usize) -> Output {
        Output {
            data: Vec::with_capacity(len),
            len,
        }
    }

    /// The buffer, once every element has been written (the caller's promise, kept by the
    /// product sequences below: each covers every column with a non-accumulating write first).
    pub(crate) fn finish(mut self) -> Vec<f32> {
        // SAFETY: capacity is `len` and every element was written through `matmul` (see the
        // callers); f32 has no invalid bit patterns once written.
        unsafe { self.data.set_len(self.len) };
        self.data
    }
}

/// `dst[offset + r·dst_rs + c] (=|+=) (lhs · rhs)[r][c]`.
pub(crate) fn matmul(
    dst: &mut Output,
    dst_offset: usize,
    dst_rs: usize,
    accumulate: bool,
    lhs: View<'_>,
    rhs: View<'_>,
) -> Result<()> {
    matmul_strided(dst, dst_offset, (dst_rs, 1), accumulate, lhs, rhs)
}

/// `dst[offset + r·rs + c·cs] (=|+=) (lhs · rhs)[r][c]`, for a destination stored by rows
/// (`cs` 1) or by columns (`rs` 1). `gemm` packs an operand element by element when its rows
/// are not contiguous, so a product whose right operand is a transposed weight matrix costs
/// less written into a destination stored by columns (`gemm` then reads the weights as they
/// lie).
pub(crate) fn matmul_strided(
    dst: &mut Output,
    dst_offset: usize,
    (dst_rs, dst_cs): (usize, usize),
    accumulate: bool,
    lhs: View<'_>,
    rhs: View<'_>,
) -> Result<()> {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    if rhs.rows != k {
        return Err(Error::Msg(format!(
            "masked kernel: product of {m}×{k} and {}×{n}",
            rhs.rows
        )));
    }
    lhs.check("lhs")?;
    rhs.check("rhs")?;
    if m == 0 || n == 0 {
        return Ok(());
    }
    // The block's elements are distinct: rows of n contiguous elements that do not overlap, or
    // columns of m.
    let distinct =
        (dst_cs == 1 && (m == 1 || dst_rs >= n)) || (dst_rs == 1 && (n == 1 || dst_cs >= m));
    if dst_offset + (m - 1) * dst_rs + (n - 1) * dst_cs >= dst.len || !distinct {
        return Err(Error::Msg(format!(
            "masked kernel: {m}×{n} result does not fit its destination"
        )));
    }
    let out = dst.data.as_mut_ptr();
    if k == 0 {
        if !accumulate {
            for r in 0..m {
                for c in 0..n {
                    // SAFETY: in bounds (checked above); writes only.
                    unsafe { out.add(dst_offset + r * dst_rs + c * dst_cs).write(0.0) };
                }
            }
        }
        return Ok(());
    }
    // SAFETY: the three views were checked to lie inside their slices (the last element each
    // names is in bounds and strides are non-negative), the destination block lies inside the
    // buffer's capacity (checked above) and is exclusively borrowed, and the inputs are shared
    // borrows of other storage, so nothing aliases it. With `accumulate` false gemm only
    // writes the block; with it true the caller wrote the block before.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.add(dst_offset),
            dst_cs as isize,
            dst_rs as isize,
            accumulate,
            lhs.data.as_ptr().add(lhs.offset),
            lhs.cs as isize,
            lhs.rs as isize,
            rhs.data.as_ptr().add(rhs.offset),
            rhs.cs as isize,
            rhs.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism(2 * m * n * k),
        );
    }
    Ok(())
}

/// Zeroes the masked entries of a chunk's `n·d × n·h` diagonal square (row-major, row stride
/// `n·h`): entry `(i·d + a, j·h + b)` is kept when input position `i ≤` output position `j`.
pub(crate) fn apply_mask(square: &mut [f32], n: usize, d: usize, h: usize) {
    for r in 0..n * d {
        let i = r / d;
        // Columns of output positions `< i` are masked.
        square[r * n * h..][..i * h].fill(0.0);
    }
}

/// A copy of a diagonal square with its mask applied.
pub(crate) fn masked_copy(dk: View<'_>, n: usize, d: usize, h: usize) -> Vec<f32> {
    let mut out = vec![0f32; n * d * n * h];
    for r in 0..dk.rows {
        for c in 0..dk.cols {
            out[r * dk.cols + c] = dk.data[dk.offset + r * dk.rs + c * dk.cs];
        }
    }
    apply_mask(&mut out, n, d, h);
    out
}

fn cpu_f32<'a>(s: &'a CpuStorage, what: &str) -> Result<&'a [f32]> {
    match s {
        CpuStorage::F32(v) => Ok(v),
        other => Err(Error::Msg(format!(
            "masked kernel: {what} must be f32, got {:?}",
            candle_core::backend::BackendStorage::dtype(other)
        ))),
    }
}

/// Runs `f` on a tensor's f32 data and its layout (CPU only).
fn with_f32<R>(t: &Tensor, what: &str, f: impl FnOnce(&[f32], &Layout) -> Result<R>) -> Result<R> {
    let (storage, layout) = t.storage_and_layout();
    match &*storage {
        Storage::Cpu(s) => f(cpu_f32(s, what)?, layout),
        _ => Err(Error::Msg(format!(
            "masked kernel: {what} must be on the CPU"
        ))),
    }
}

/// Output chunk `k` of the masked layer (see the module doc): inputs `x` `[B, T·d]`, then
/// `A_k` `[s·d, n·h]` when the chunk has positions before it, then `D_k` `[n·d, n·h]`;
/// output `[B, n·h]`.
#[derive(Clone, Copy, Debug)]
pub(super) struct ChunkProduct {
    /// First position of the chunk `s`.
    pub start: usize,
    /// Positions in the chunk `n`.
    pub len: usize,
    /// Input and output width per position.
    pub d: usize,
    pub h: usize,
}

impl ChunkProduct {
    fn forward(
        &self,
        x: View<'_>,
        a: Option<View<'_>>,
        dk: View<'_>,
    ) -> Result<(CpuStorage, Shape)> {
        let (s, n, d, h) = (self.start, self.len, self.d, self.h);
        let b = x.rows;
        let mut y = Output::new(b * n * h);
        let diag = masked_copy(dk, n, d, h);
        let diag = View {
            data: &diag,
            offset: 0,
            rows: n * d,
            cols: n * h,
            rs: n * h,
            cs: 1,
        };
        matmul(&mut y, 0, n * h, false, x.columns(s * d, n * d), diag)?;
        if let Some(a) = a {
            matmul(&mut y, 0, n * h, true, x.columns(0, s * d), a)?;
        }
        // The diagonal product wrote every element.
        Ok((CpuStorage::F32(y.finish()), Shape::from((b, n * h))))
    }

    /// `dA_k` (when the chunk has one) and the masked `dD_k`.
    fn weight_gradients(&self, x: &Tensor, dy: &Tensor) -> Result<(Option<Tensor>, Tensor)> {
        let (s, n, d, h) = (self.start, self.len, self.d, self.h);
        with_f32(x, "x", |xd, xl| {
            with_f32(dy, "dy", |gd, gl| {
                let x = View::of(xd, xl, "x")?;
                let g = View::of(gd, gl, "dy")?;
                let da = if s > 0 {
                    let mut da = Output::new(s * d * n * h);
                    matmul(&mut da, 0, n * h, false, x.columns(0, s * d).t(), g)?;
                    Some(Tensor::from_vec(da.finish(), (s * d, n * h), x_device())?)
                } else {
                    None
                };
                let mut dd = Output::new(n * d * n * h);
                matmul(&mut dd, 0, n * h, false, x.columns(s * d, n * d).t(), g)?;
                let mut dd = dd.finish();
                apply_mask(&mut dd, n, d, h);
                Ok((da, Tensor::from_vec(dd, (n * d, n * h), x_device())?))
            })
        })
    }
}

/// The masked layer runs on candle's CPU backend only.
fn x_device() -> &'static candle_core::Device {
    &candle_core::Device::Cpu
}

fn dims_check(x: &View<'_>, op: &ChunkProduct, a: Option<&View<'_>>, dk: &View<'_>) -> Result<()> {
    let (s, n, d, h) = (op.start, op.len, op.d, op.h);
    let a_ok = a.is_none_or(|a| a.rows == s * d && a.cols == n * h);
    if x.cols < (s + n) * d || !a_ok || dk.rows != n * d || dk.cols != n * h {
        return Err(Error::Msg(format!(
            "masked kernel: chunk {s}..{} (d {d}, h {h}) got x {}×{}, diagonal {}×{}",
            s + n,
            x.rows,
            x.cols,
            dk.rows,
            dk.cols
        )));
    }
    Ok(())
}

impl CustomOp2 for ChunkProduct {
    fn name(&self) -> &'static str {
        "masked-chunk"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = View::of(cpu_f32(s1, "x")?, l1, "x")?;
        let dk = View::of(cpu_f32(s2, "diagonal")?, l2, "diagonal")?;
        dims_check(&x, self, None, &dk)?;
        self.forward(x, None, dk)
    }

    fn bwd(
        &self,
        x: &Tensor,
        _dk: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        // The input's gradient comes from `InputGradient`, all chunks at once.
        let (_, dd) = self.weight_gradients(x, grad)?;
        Ok((None, Some(dd)))
    }
}

impl CustomOp3 for ChunkProduct {
    fn name(&self) -> &'static str {
        "masked-chunk"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = View::of(cpu_f32(s1, "x")?, l1, "x")?;
        let a = View::of(cpu_f32(s2, "below")?, l2, "below")?;
        let dk = View::of(cpu_f32(s3, "diagonal")?, l3, "diagonal")?;
        dims_check(&x, self, Some(&a), &dk)?;
        self.forward(x, Some(a), dk)
    }

    fn bwd(
        &self,
        x: &Tensor,
        _a: &Tensor,
        _dk: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (da, dd) = self.weight_gradients(x, grad)?;
        Ok((None, da, Some(dd)))
    }
}

/// Adds the bias to the concatenated chunk outputs and, backward, gives the input `x` its
/// whole gradient (see the module doc). Inputs: `x` `[B, T·d]`, `y` `[B, T·h]`, bias `[T·h]`.
pub(super) struct InputGradient {
    pub shape: MaskedShape,
    /// `A_k` (none for chunk 0) and `D_k`, the tensors the chunk products read.
    pub below: Vec<Option<Tensor>>,
    pub diagonal: Vec<Tensor>,
}

impl CustomOp3 for InputGradient {
    fn name(&self) -> &'static str {
        "masked-input-gradient"
    }

    fn cpu_fwd(
        &self,
        _s1: &CpuStorage,
        _l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let y = View::of(cpu_f32(s2, "y")?, l2, "y")?;
        let bias = cpu_f32(s3, "bias")?;
        let width = self.shape.positions * self.shape.d_out;
        let (Some((b0, b1)), true) = (l3.contiguous_offsets(), y.cols == width) else {
            return Err(Error::Msg(
                "masked kernel: bias must be contiguous and y as wide as T·h".into(),
            ));
        };
        let bias = &bias[b0..b1];
        if bias.len() != width {
            return Err(Error::Msg(format!(
                "masked kernel: bias of {} for {width} outputs",
                bias.len()
            )));
        }
        let mut out = vec![0f32; y.rows * width];
        for (r, row) in out.chunks_exact_mut(width).enumerate() {
            for (c, o) in row.iter_mut().enumerate() {
                *o = y.data[y.offset + r * y.rs + c * y.cs] + bias[c];
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((y.rows, width))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        _y: &Tensor,
        _bias: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (d, h) = (self.shape.d_in, self.shape.d_out);
        let (b, xw) = x.dims2()?;
        if xw != self.shape.positions * d {
            return Err(Error::Msg(format!(
                "masked kernel: x is {xw} wide, the layer reads {}",
                self.shape.positions * d
            )));
        }
        // Every column `s·d..e·d` is written by chunk k's diagonal product, in order.
        let mut dx = Output::new(b * xw);
        with_f32(grad, "dy", |gd, gl| {
            let g = View::of(gd, gl, "dy")?;
            for (k, r) in self.shape.chunks().enumerate() {
                let (s, n) = (r.start, r.len());
                let gk = g.columns(s * h, n * h);
                with_f32(&self.diagonal[k], "diagonal", |dd, dl| {
                    let diag = masked_copy(View::of(dd, dl, "diagonal")?, n, d, h);
                    let diag = View {
                        data: &diag,
                        offset: 0,
                        rows: n * d,
                        cols: n * h,
                        rs: n * h,
                        cs: 1,
                    };
                    // Columns `s·d..e·d` are written first by this chunk.
                    matmul(&mut dx, s * d, xw, false, gk, diag.t())
                })?;
                if let Some(a) = &self.below[k] {
                    with_f32(a, "below", |ad, al| {
                        let a = View::of(ad, al, "below")?;
                        // Chunk 0 wrote dx[:, 0..c·d] first, so every column accumulated here
                        // has been written before.
                        matmul(&mut dx, 0, xw, true, gk, a.t())
                    })?;
                }
            }
            Ok(())
        })?;
        let db = grad.sum(0)?;
        Ok((
            Some(Tensor::from_vec(dx.finish(), (b, xw), x_device())?),
            Some(grad.clone()),
            Some(db),
        ))
    }
}

/// The layer's forward pass through the kernels: `x` `[B, T·d]` → `[B, T·h]`.
pub(super) fn forward(
    shape: MaskedShape,
    x: &Tensor,
    below: &[Option<Tensor>],
    diagonal: &[Tensor],
    bias: &Tensor,
) -> Result<Tensor> {
    if x.dtype() != DType::F32 || !x.device().is_cpu() {
        return Err(Error::Msg(
            "masked kernel: x must be an f32 tensor on the CPU".into(),
        ));
    }
    let mut parts = Vec::with_capacity(diagonal.len());
    for (k, r) in shape.chunks().enumerate() {
        let op = ChunkProduct {
            start: r.start,
            len: r.len(),
            d: shape.d_in,
            h: shape.d_out,
        };
        parts.push(match &below[k] {
            Some(a) => x.apply_op3(a, &diagonal[k], op)?,
            None => x.apply_op2(&diagonal[k], op)?,
        });
    }
    let y = Tensor::cat(&parts, 1)?;
    x.apply_op3(
        &y,
        bias,
        InputGradient {
            shape,
            below: below.to_vec(),
            diagonal: diagonal.to_vec(),
        },
    )
}
