//! Small helpers on candle's tensors and CPU storage that several layers share: the custom
//! ops' access to their inputs' memory ([`contiguous_f32`]) and the largest difference of two
//! tensors ([`max_abs_difference`]), for checks and tests; a read lock on many tensors' memory
//! at once (`ReadF32`).

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

/// A read lock on a contiguous f32 tensor's CPU storage, for code that reads many tensors'
/// memory at once (the hand-written training step): [`ReadF32::slice`] is valid while it lives.
pub(crate) struct ReadF32<'a> {
    guard: candle_core::StorageRef<'a>,
    range: (usize, usize),
}

impl<'a> ReadF32<'a> {
    /// The lock, or `None` when `t` is not a contiguous f32 tensor on the CPU.
    pub(crate) fn of(t: &'a candle_core::Tensor) -> Option<ReadF32<'a>> {
        let (guard, layout) = t.storage_and_layout();
        let range = layout.contiguous_offsets()?;
        match &*guard {
            candle_core::Storage::Cpu(candle_core::CpuStorage::F32(_)) => {
                Some(ReadF32 { guard, range })
            }
            _ => None,
        }
    }

    /// The tensor's elements in row-major order.
    pub(crate) fn slice(&self) -> &[f32] {
        match &*self.guard {
            candle_core::Storage::Cpu(candle_core::CpuStorage::F32(v)) => {
                &v[self.range.0..self.range.1]
            }
            _ => unreachable!("checked by ReadF32::of"),
        }
    }
}
