//! Small helpers on candle's tensors and CPU storage that several layers share: the custom
//! ops' access to their inputs' memory ([`contiguous_f32`]) and the largest difference of two
//! tensors ([`max_abs_difference`]), for checks and tests.

/// A custom op's input as the f32 slice it lies in, or an error naming the op (`op`) and the
/// input (`what`) when it is not a contiguous f32 tensor.
pub(crate) fn contiguous_f32<'a>(
    s: &'a candle_core::CpuStorage,
    l: &candle_core::Layout,
    op: &str,
    what: &str,
) -> candle_core::Result<&'a [f32]> {
    match (s, l.contiguous_offsets()) {
        (candle_core::CpuStorage::F32(v), Some((a, b))) => Ok(&v[a..b]),
        _ => candle_core::bail!("{op}: {what} must be a contiguous f32 tensor"),
    }
}

/// The largest `|a − b|` over two tensors of one shape (0 for empty ones).
pub fn max_abs_difference(
    a: &candle_core::Tensor,
    b: &candle_core::Tensor,
) -> candle_core::Result<f32> {
    let d = (a - b)?.abs()?.flatten_all()?;
    if d.elem_count() == 0 {
        return Ok(0.0);
    }
    d.max(0)?.to_scalar::<f32>()
}
