//! [`MaskedShape`], the shape of a masked layer (positions, widths, chunk) and its counts of
//! weights and multiply-adds: what the layer and its `kernel` custom ops share, so that neither
//! has to name the other for it.

/// The shape of a [`MaskedLinear`](super::MaskedLinear) layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MaskedShape {
    /// Positions `T`.
    pub positions: usize,
    /// Input width per position `d`.
    pub d_in: usize,
    /// Output width per position `h`.
    pub d_out: usize,
    /// Positions per chunk `c` (the last chunk may be shorter).
    pub chunk: usize,
}

impl MaskedShape {
    /// The chunks, as position ranges `s_k..e_k`.
    pub fn chunks(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        let c = self.chunk.max(1);
        (0..self.positions.div_ceil(c)).map(move |k| k * c..((k + 1) * c).min(self.positions))
    }

    /// Weights that are not masked: `d·h·T(T+1)/2`.
    pub fn live_weights(&self) -> usize {
        self.d_in * self.d_out * self.positions * (self.positions + 1) / 2
    }

    /// Multiply-adds per sequence of the block-triangular product (the masked entries inside
    /// the diagonal chunks included, since they are multiplied).
    pub fn block_macs(&self) -> usize {
        self.chunks()
            .map(|r| r.end * self.d_in * r.len() * self.d_out)
            .sum()
    }

    /// Multiply-adds per sequence of the dense masked product: `(T·d)·(T·h)`.
    pub fn dense_macs(&self) -> usize {
        self.positions * self.d_in * self.positions * self.d_out
    }
}
