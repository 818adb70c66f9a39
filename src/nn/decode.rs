//! Decoding one position at a time: [`Decoder`] takes the next token of every sequence in a
//! batch and gives the logits for the token after it.
//!
//! For the transformer it keeps each block's keys and values ([`super::transformer::KvCache`]),
//! so a position costs attention over the earlier positions and one position's matrix
//! products; [`ArModel::logits_at`] instead re-runs the whole prefix, which makes greedy
//! decoding of a `T`-token chain cost `O(T²)` positions (`O(T³)` attention). For the paper's
//! models (the masked layer reads the whole prefix anyway) and the bigram it is
//! [`ArModel::logits_at`] on the tokens so far.
//!
//! `tests/transformer.rs` checks that every position's logits equal the whole window's.

use super::model::ArModel;
use super::transformer::KvCache;
use candle_core::{Device, Result, Tensor};

/// The decoding state of a batch of sequences (see the module doc).
pub struct Decoder<'m> {
    model: &'m ArModel,
    batch: usize,
    /// Row-major `[batch, len]`: every token pushed so far (models without a cache only).
    tokens: Vec<u32>,
    len: usize,
    /// The transformer's cache and its last position's final hidden state `[B, d]`.
    cache: Option<(KvCache, Option<Tensor>)>,
}

impl ArModel {
    /// A decoder for `batch` sequences, empty.
    pub fn decoder(&self, batch: usize) -> Decoder<'_> {
        Decoder {
            model: self,
            batch,
            tokens: Vec::new(),
            len: 0,
            cache: self.transformer_ref().map(|t| (t.cache(batch), None)),
        }
    }
}

impl Decoder<'_> {
    /// Appends `next[r]` to sequence `r` (one token per sequence).
    pub fn push(&mut self, next: &[u32]) -> Result<()> {
        if next.len() != self.batch {
            candle_core::bail!("{} tokens for {} sequences", next.len(), self.batch);
        }
        let context = self.model.config().context;
        if self.len >= context {
            candle_core::bail!("the context of {context} positions is full");
        }
        if let Some((cache, last)) = &mut self.cache {
            let ids = Tensor::from_vec(next.to_vec(), self.batch, &Device::Cpu)?;
            let e = self.model.embedding_of(&ids)?;
            let transformer = self
                .model
                .transformer_ref()
                .expect("a cache only for a transformer");
            *last = Some(transformer.step(cache, &e)?);
        }
        if self.cache.is_none() {
            // Only the prefix re-run reads the tokens: keep them row-major `[batch, len + 1]`.
            let mut tokens = Vec::with_capacity(self.batch * (self.len + 1));
            for (r, &n) in next.iter().enumerate() {
                tokens.extend_from_slice(&self.tokens[r * self.len..(r + 1) * self.len]);
                tokens.push(n);
            }
            self.tokens = tokens;
        }
        self.len += 1;
        Ok(())
    }

    /// Logits `[B, V]` for the token after the last one pushed.
    pub fn logits(&self) -> Result<Tensor> {
        if self.len == 0 {
            candle_core::bail!("no token pushed yet");
        }
        match &self.cache {
            Some((_, Some(h))) => self.model.head(h),
            _ => {
                let x =
                    Tensor::from_vec(self.tokens.clone(), (self.batch, self.len), &Device::Cpu)?;
                self.model.logits_at(&x, self.len - 1)
            }
        }
    }
}
