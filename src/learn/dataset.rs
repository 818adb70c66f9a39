//! Training examples from traces: each generated position of a `cells` trace is one example,
//! the tokens at the learner's offsets (its window) → the token there.
//!
//! Second stage of `learn`: inputs → reference traces ([`crate::encoding::Encoding::trace`]: the
//! interpreter's run in the `cells` or `gates` encoding, streamed, one row in memory) →
//! [`Examples`]. Every trace of a run shares one tape window ([`common_window`]), so that the
//! offsets mean the same cells in every trace. Positions of the prompt (the first row) are
//! given, not predicted, so they are not examples. Positions before the
//! trace read as padding, as in the executor; padding is no feature (its weight column is zero
//! in every [`crate::predictor::LinearAr`]).
//!
//! Examples are stored once per distinct (context, label), with a count; for the time-dependent
//! learner the position is part of the context (one classifier per position).

use super::traces::TraceFormat;
use crate::encoding::Encoding;
use crate::interpreter;
use crate::machine::{Machine, SymbolId};
use crate::predictor::{Context, Layout, TokenId};
use crate::window::{Window, WindowError};
use std::collections::HashMap;

/// The layout of a learned predictor: the format's token names, and its offsets named as the
/// encoding names them ([`Encoding::offset_name`]: `S`, `S+1`, `S+2` for `cells`, as in the
/// compiled layout).
pub fn layout(machine: &Machine, format: &TraceFormat, offsets: &[usize]) -> Layout {
    Layout {
        tokens: format.token_names(machine),
        offsets: offsets.to_vec(),
        offset_names: offsets.iter().map(|&j| format.offset_name(j)).collect(),
    }
}

/// One tape window for every input: the cells any of their runs visits (plus the inputs'
/// own), with the start cell at the same window index in all of them.
pub fn common_window(machine: &Machine, inputs: &[Vec<SymbolId>], max_steps: u64) -> Window {
    let (mut left, mut right) = (0i64, 0i64);
    for input in inputs {
        let run = interpreter::run(
            machine,
            &crate::machine::Input::from(input.clone()),
            max_steps,
        );
        left = left.max(-run.cells[0].min(0));
        right = right.max(run.cells[1].max(input.len() as i64 - 1));
    }
    Window {
        size: (left + right + 1) as usize,
        origin: left as usize,
    }
}

/// Calls `f(position, context, label)` for every generated position of the trace of `input`:
/// `context[o]` is the token `offsets[o]` back (padding before the trace). Returns the number
/// of positions.
pub(crate) fn for_each_example(
    machine: &Machine,
    format: &TraceFormat,
    input: &[SymbolId],
    max_steps: u64,
    offsets: &[usize],
    mut f: impl FnMut(u64, &[TokenId], TokenId),
) -> Result<u64, WindowError> {
    let trace = format.trace(
        machine,
        &crate::machine::Input::from(input.to_vec()),
        max_steps,
    )?;
    let pad = TokenId(format.vocab() as u32);
    let deepest = offsets.iter().copied().max().unwrap_or(0);
    let mut ring = vec![pad; (deepest + 1).next_power_of_two()];
    let mask = ring.len() - 1;
    let prompt = format.row_len() as u64;
    let mut context = vec![pad; offsets.len()];
    let mut n = 0;
    for (pos, token) in (0u64..).zip(trace) {
        let next = pos as usize & mask;
        if pos >= prompt {
            let ctx = Context::new(&ring, next);
            for (c, &j) in context.iter_mut().zip(offsets) {
                *c = ctx.back(j);
            }
            f(pos, &context, token);
            n += 1;
        }
        ring[next] = token;
    }
    Ok(n)
}

/// Distinct training examples with their counts.
#[derive(Clone, Debug)]
pub struct Examples {
    vocab: usize,
    offsets: Vec<usize>,
    by_position: bool,
    /// Key: `[position high, position low, context…, label]` (position 0 when not by position).
    index: HashMap<Box<[u32]>, u32>,
    contexts: Vec<TokenId>,
    labels: Vec<TokenId>,
    positions: Vec<u64>,
    counts: Vec<u32>,
    total: u64,
    traces: usize,
    key: Vec<u32>,
}

impl Examples {
    /// An empty set for a dictionary of `vocab` tokens and a learner reading `offsets`;
    /// `by_position` keeps examples of different positions apart (time-dependent learning).
    pub fn new(vocab: usize, offsets: &[usize], by_position: bool) -> Examples {
        Examples {
            vocab,
            offsets: offsets.to_vec(),
            by_position,
            index: HashMap::new(),
            contexts: Vec::new(),
            labels: Vec::new(),
            positions: Vec::new(),
            counts: Vec::new(),
            total: 0,
            traces: 0,
            key: Vec::new(),
        }
    }

    /// Adds every generated position of the trace of `input`.
    pub fn add_trace(
        &mut self,
        machine: &Machine,
        format: &TraceFormat,
        input: &[SymbolId],
        max_steps: u64,
    ) -> Result<(), WindowError> {
        let offsets = std::mem::take(&mut self.offsets);
        let r = for_each_example(machine, format, input, max_steps, &offsets, |p, c, l| {
            self.add(p, c, l)
        });
        self.offsets = offsets;
        r?;
        self.traces += 1;
        Ok(())
    }

    /// Adds one example.
    pub fn add(&mut self, position: u64, context: &[TokenId], label: TokenId) {
        self.total += 1;
        self.fill_key(position, context, label);
        if let Some(&i) = self.index.get(&self.key[..]) {
            self.counts[i as usize] += 1;
            return;
        }
        let i = self.labels.len() as u32;
        self.index.insert(self.key.clone().into_boxed_slice(), i);
        self.contexts.extend_from_slice(context);
        self.labels.push(label);
        self.positions
            .push(if self.by_position { position } else { 0 });
        self.counts.push(1);
    }

    fn fill_key(&mut self, position: u64, context: &[TokenId], label: TokenId) {
        let p = if self.by_position { position } else { 0 };
        self.key.clear();
        self.key.push((p >> 32) as u32);
        self.key.push(p as u32);
        self.key.extend(context.iter().map(|t| t.0));
        self.key.push(label.0);
    }

    /// Whether this (position, context, label) occurred in training.
    pub fn contains(&mut self, position: u64, context: &[TokenId], label: TokenId) -> bool {
        self.fill_key(position, context, label);
        self.index.contains_key(&self.key[..])
    }

    /// Number of distinct examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there is no example.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of examples counted with multiplicity (= generated positions of the traces).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Number of traces added.
    pub fn traces(&self) -> usize {
        self.traces
    }

    /// The dictionary size.
    pub fn vocab(&self) -> usize {
        self.vocab
    }

    /// The offsets of the contexts.
    pub fn offsets(&self) -> &[usize] {
        &self.offsets
    }

    /// Reads the examples as taken at `offsets`, one for one with the current ones (the same
    /// cells on another window: coverage of held-out traces laid on a wider one).
    ///
    /// # Panics
    /// If the number of offsets differs.
    pub fn set_offsets(&mut self, offsets: &[usize]) {
        assert_eq!(offsets.len(), self.offsets.len(), "one offset for one");
        self.offsets = offsets.to_vec();
    }

    /// Whether examples are kept apart by position.
    pub fn by_position(&self) -> bool {
        self.by_position
    }

    /// The context of distinct example `i` (one token per offset).
    #[inline]
    pub fn context(&self, i: usize) -> &[TokenId] {
        let k = self.offsets.len();
        &self.contexts[i * k..(i + 1) * k]
    }

    /// The label of distinct example `i`.
    #[inline]
    pub fn label(&self, i: usize) -> TokenId {
        self.labels[i]
    }

    /// The position of distinct example `i` (0 unless kept by position).
    #[inline]
    pub fn position(&self, i: usize) -> u64 {
        self.positions[i]
    }

    /// How often distinct example `i` occurred.
    #[inline]
    pub fn count(&self, i: usize) -> u32 {
        self.counts[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::EncodingKind;
    use crate::encoding::WindowKind;
    use crate::machine::load::from_standard;

    #[test]
    fn examples_are_the_generated_positions_with_their_contexts() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = common_window(&m, &[vec![]], 100);
        assert_eq!((w.size, w.origin), (4, 2));
        let f = TraceFormat::of_kind(EncodingKind::Cells, &m, w).unwrap();
        let all: Vec<TokenId> = f
            .trace(&m, &crate::machine::Input::default(), 100)
            .unwrap()
            .collect();
        let offsets = WindowKind::Local.offsets(w.size);
        let mut seen = Vec::new();
        let n = for_each_example(&m, &f, &[], 100, &offsets, |p, c, l| {
            seen.push((p, c.to_vec(), l))
        })
        .unwrap();
        // 6 steps, rows of 5 tokens: everything after the prompt.
        assert_eq!(n, 6 * 5);
        let pad = TokenId(crate::encoding::cells::Dictionary::new(&m).len() as u32);
        for (p, c, l) in &seen {
            let p = *p as usize;
            assert_eq!(*l, all[p]);
            let back = |j: usize| p.checked_sub(j).map_or(pad, |q| all[q]);
            assert_eq!(*c, vec![back(4), back(5), back(6)]);
        }
        assert_eq!(seen[0].1[2], pad, "the first SEP reads padding at S+2");
    }

    #[test]
    fn duplicates_are_counted_once_unless_kept_by_position() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = common_window(&m, &[vec![]], 100);
        let f = TraceFormat::of_kind(EncodingKind::Cells, &m, w).unwrap();
        let offsets = WindowKind::Local.offsets(w.size);
        let mut ti = Examples::new(7, &offsets, false);
        let mut td = Examples::new(7, &offsets, true);
        ti.add_trace(&m, &f, &[], 100).unwrap();
        td.add_trace(&m, &f, &[], 100).unwrap();
        assert_eq!((ti.total(), td.total()), (30, 30));
        assert!(ti.len() < 30, "local contexts repeat within a run");
        assert_eq!(td.len(), 30);
        let (c, l) = (ti.context(0).to_vec(), ti.label(0));
        assert!(ti.contains(12345, &c, l));
        assert!(!td.contains(12345, &c, l));
        let sum: u64 = (0..ti.len()).map(|i| ti.count(i) as u64).sum();
        assert_eq!(sum, 30);
    }

    #[test]
    fn offsets_are_named_like_the_compiled_ones() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 3, origin: 0 };
        let f = TraceFormat::of_kind(EncodingKind::Cells, &m, w).unwrap();
        let l = layout(&m, &f, &WindowKind::All.offsets(3));
        assert_eq!(l.offset_names, ["1", "2", "S", "S+1", "S+2"]);
        let g = TraceFormat::of_kind(EncodingKind::Gates, &m, w).unwrap();
        assert_eq!(layout(&m, &g, &[1, 2]).tokens, ["0", "1"]);
    }
}
