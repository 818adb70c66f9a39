//! Time-dependent linear AR predictors over the dictionary {0, 1}: one sparse linear map per
//! position, the predictor of Malach's threshold-circuit theorem (see `proofs/gates.md`).
//!
//! Where [`LinearAr`](crate::predictor::LinearAr) uses the same weights `W_j` at every position,
//! a [`TimeDependentAr`] has its own weights `W_j^(p)` for each position `p`:
//!
//! ```text
//! next(p) = argmax_{d ∈ {0,1}}  Σ_j  W_j^(p)[d, x_(p-j)]
//! ```
//!
//! It sits between the circuit compiler ([`circuit_to_predictor`](crate::circuit::circuit_to_predictor),
//! [`machine_to_gates_predictor`](crate::encoding::gates::machine_to_gates_predictor)) and the
//! [`Executor`](crate::executor::Executor), which runs it like any other [`Predictor`].
//!
//! # Storage
//!
//! The maps are stored once each, in compressed sparse rows: map `m` is the list of nonzero
//! entries `entries[ptr[m]..ptr[m+1]]`, each entry one weight `W_j[d, x]` (offset `j`, input
//! token `x`, output token `d`). A [`Schedule`] says which map serves position `p`:
//!
//! - [`Schedule::Sequential`]: position `start + m` uses map `m` (a circuit: one map per gate);
//! - [`Schedule::Periodic`]: position `p ≥ start` uses map `(p − start) mod maps` (the rows of a
//!   Turing machine's tableau: row `t+1` has the weights of row 1, read at the same offsets).
//!
//! Either way it is honestly one linear map per position, `W^(p) = maps[σ(p)]`; a periodic
//! schedule only avoids storing `T` equal copies. Positions before `start` (the prompt) and after
//! the last map of a sequential schedule have no map: every score is 0 and the token is 0.
//! Positions before the trace read as the padding token `TokenId(2)`, whose columns are zero.
//!
//! # Files
//!
//! [`crate::weights::write_sparse`] writes the maps as COO tensors, one entry per nonzero
//! weight, all `int32` of shape `[nnz]`: `map` (which map), `offset`, `input`, `output`,
//! `weight`, with `schedule`, `start`, `maps`, `map_names` and the rule in the metadata, so
//! numpy or PyTorch can rebuild `W^(p)` without arsim.

use super::{Context, Predictor, TokenId};
use serde::Serialize;

/// The dictionary size: tokens `0` and `1`; `TokenId(2)` is the padding token.
pub const VOCAB: usize = 2;

/// The padding token of a {0, 1} dictionary.
pub const PAD: TokenId = TokenId(VOCAB as u32);

/// One weight of a map: `W_offset[output, input] = weight`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Entry {
    /// How far back the token read stands (`j ≥ 1`).
    pub offset: u32,
    /// The input token (0 or 1) that switches the weight on.
    pub input: u8,
    /// The output token (0 or 1) whose score it adds to.
    pub output: u8,
    /// The integer weight.
    pub weight: i32,
}

/// Which map serves which position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Schedule {
    /// Position `start + m` uses map `m`; later positions have no map.
    Sequential {
        /// Position of the first map (the prompt length).
        start: u64,
    },
    /// Position `p ≥ start` uses map `(p − start) mod maps`.
    Periodic {
        /// Position of the first map (the prompt length).
        start: u64,
    },
}

impl Schedule {
    /// The first position with a map.
    pub fn start(self) -> u64 {
        match self {
            Schedule::Sequential { start } | Schedule::Periodic { start } => start,
        }
    }

    /// The name used in files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Schedule::Sequential { .. } => "sequential",
            Schedule::Periodic { .. } => "periodic",
        }
    }
}

/// A time-dependent linear AR predictor over {0, 1} with sparse integer maps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeDependentAr {
    /// One name per map (e.g. the gate it computes).
    names: Vec<String>,
    /// CSR row pointers: map `m` is `entries[ptr[m]..ptr[m + 1]]`.
    ptr: Vec<usize>,
    entries: Vec<Entry>,
    schedule: Schedule,
    max_offset: usize,
}

/// Why a set of maps cannot make a predictor.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum TimeDependentError {
    /// An entry reads offset 0 (the token being predicted).
    #[error("map `{map}` reads offset 0, the position being predicted")]
    ZeroOffset {
        /// The map's name.
        map: String,
    },
    /// An entry's input or output token is not 0 or 1.
    #[error("map `{map}` has an entry for token {token}; the dictionary is {{0, 1}}")]
    Token {
        /// The map's name.
        map: String,
        /// The token outside {0, 1}.
        token: u8,
    },
    /// Two entries of one map with the same (offset, input, output) overflow when merged.
    #[error("map `{map}`: weights at offset {offset} overflow i32 when merged")]
    Overflow {
        /// The map's name.
        map: String,
        /// The offset.
        offset: u32,
    },
    /// A periodic schedule needs at least one map.
    #[error("a periodic schedule needs at least one map")]
    NoMaps,
}

impl TimeDependentAr {
    /// Builds a predictor from named maps and a schedule. Entries of a map are sorted by
    /// (offset, input, output), equal keys are summed and zero weights dropped.
    pub fn new(
        maps: Vec<(String, Vec<Entry>)>,
        schedule: Schedule,
    ) -> Result<TimeDependentAr, TimeDependentError> {
        if maps.is_empty() && matches!(schedule, Schedule::Periodic { .. }) {
            return Err(TimeDependentError::NoMaps);
        }
        let mut names = Vec::with_capacity(maps.len());
        let mut ptr = Vec::with_capacity(maps.len() + 1);
        let mut entries: Vec<Entry> = Vec::new();
        let mut max_offset = 0;
        ptr.push(0);
        for (name, mut list) in maps {
            list.sort_unstable_by_key(|e| (e.offset, e.input, e.output));
            let begin = entries.len();
            for e in list {
                if e.offset == 0 {
                    return Err(TimeDependentError::ZeroOffset { map: name });
                }
                if let Some(bad) = [e.input, e.output]
                    .into_iter()
                    .find(|&t| t as usize >= VOCAB)
                {
                    return Err(TimeDependentError::Token {
                        map: name,
                        token: bad,
                    });
                }
                match entries[begin..].last_mut() {
                    Some(last)
                        if (last.offset, last.input, last.output)
                            == (e.offset, e.input, e.output) =>
                    {
                        last.weight = last.weight.checked_add(e.weight).ok_or_else(|| {
                            TimeDependentError::Overflow {
                                map: name.clone(),
                                offset: e.offset,
                            }
                        })?;
                    }
                    _ => entries.push(e),
                }
            }
            // Merging can cancel weights to zero: drop them.
            let mut kept = begin;
            for i in begin..entries.len() {
                if entries[i].weight != 0 {
                    entries[kept] = entries[i];
                    max_offset = max_offset.max(entries[i].offset as usize);
                    kept += 1;
                }
            }
            entries.truncate(kept);
            ptr.push(entries.len());
            names.push(name);
        }
        Ok(TimeDependentAr {
            names,
            ptr,
            entries,
            schedule,
            max_offset,
        })
    }

    /// Number of distinct maps stored.
    pub fn num_maps(&self) -> usize {
        self.names.len()
    }

    /// The schedule.
    pub fn schedule(&self) -> Schedule {
        self.schedule
    }

    /// The name of map `m`.
    pub fn map_name(&self, m: usize) -> &str {
        &self.names[m]
    }

    /// Every map's name, in order.
    pub fn map_names(&self) -> &[String] {
        &self.names
    }

    /// The nonzero entries of map `m`, sorted by (offset, input, output).
    pub fn map(&self, m: usize) -> &[Entry] {
        &self.entries[self.ptr[m]..self.ptr[m + 1]]
    }

    /// Number of nonzero weights stored (over all maps).
    pub fn nonzeros(&self) -> usize {
        self.entries.len()
    }

    /// The CSR row pointers (`num_maps() + 1` of them) and the entries.
    pub fn csr(&self) -> (&[usize], &[Entry]) {
        (&self.ptr, &self.entries)
    }

    /// The map that serves position `pos`, if any.
    #[inline]
    pub fn map_at(&self, pos: u64) -> Option<usize> {
        let n = self.names.len() as u64;
        match self.schedule {
            Schedule::Sequential { start } => {
                let m = pos.checked_sub(start)?;
                (m < n).then_some(m as usize)
            }
            Schedule::Periodic { start } => Some((pos.checked_sub(start)? % n) as usize),
        }
    }

    /// The scores of tokens 0 and 1 under map `m`, where `read(j)` is the token `j` back.
    #[inline]
    pub fn map_scores(&self, m: usize, read: impl Fn(usize) -> TokenId) -> [i64; VOCAB] {
        let mut s = [0i64; VOCAB];
        for e in self.map(m) {
            let hit = (read(e.offset as usize).0 == e.input as u32) as i64;
            s[e.output as usize] += hit * e.weight as i64;
        }
        s
    }

    /// The scores at position `pos` (both 0 where no map serves it).
    #[inline]
    pub fn scores_at(&self, pos: u64, read: impl Fn(usize) -> TokenId) -> [i64; VOCAB] {
        match self.map_at(pos) {
            Some(m) => self.map_scores(m, read),
            None => [0; VOCAB],
        }
    }

    /// One weight with its label, e.g. `W^(gate c1)[1 ← (3, 1)] = 2`.
    pub fn label(&self, m: usize, e: &Entry) -> String {
        format!(
            "W^({})[{} ← ({}, {})] = {}",
            self.names[m], e.output, e.offset, e.input, e.weight
        )
    }
}

/// The argmax of two scores; a tie goes to token 0, the lowest index.
#[inline]
fn decide(s: [i64; VOCAB]) -> TokenId {
    TokenId((s[1] > s[0]) as u32)
}

impl Predictor for TimeDependentAr {
    fn vocab(&self) -> usize {
        VOCAB
    }

    fn max_offset(&self) -> usize {
        self.max_offset.max(1)
    }

    #[inline]
    fn predict(&mut self, ctx: &Context<'_>, pos: u64) -> TokenId {
        decide(self.scores_at(pos, |j| ctx.back(j)))
    }

    fn scores(&self, ctx: &Context<'_>, pos: u64) -> Vec<f64> {
        self.scores_at(pos, |j| ctx.back(j))
            .iter()
            .map(|&s| s as f64)
            .collect()
    }

    fn offsets(&self) -> Vec<usize> {
        let mut o: Vec<usize> = self.csr().1.iter().map(|e| e.offset as usize).collect();
        o.sort_unstable();
        o.dedup();
        o
    }
}

/// A shared predictor runs as well as an owned one: it keeps no scratch state.
impl Predictor for &TimeDependentAr {
    fn vocab(&self) -> usize {
        VOCAB
    }

    fn max_offset(&self) -> usize {
        (**self).max_offset()
    }

    #[inline]
    fn predict(&mut self, ctx: &Context<'_>, pos: u64) -> TokenId {
        decide(self.scores_at(pos, |j| ctx.back(j)))
    }

    fn scores(&self, ctx: &Context<'_>, pos: u64) -> Vec<f64> {
        (**self).scores(ctx, pos)
    }

    fn offsets(&self) -> Vec<usize> {
        (**self).offsets()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::Executor;

    fn e(offset: u32, input: u8, output: u8, weight: i32) -> Entry {
        Entry {
            offset,
            input,
            output,
            weight,
        }
    }

    #[test]
    fn entries_are_merged_sorted_and_zeros_dropped() {
        let p = TimeDependentAr::new(
            vec![(
                "g".into(),
                vec![e(2, 1, 1, 3), e(1, 0, 0, 1), e(2, 1, 1, -1), e(3, 1, 1, 0)],
            )],
            Schedule::Sequential { start: 2 },
        )
        .unwrap();
        assert_eq!(p.map(0), [e(1, 0, 0, 1), e(2, 1, 1, 2)]);
        assert_eq!(p.max_offset(), 2);
        assert_eq!(p.label(0, &p.map(0)[1]), "W^(g)[1 ← (2, 1)] = 2");
    }

    #[test]
    fn bad_maps_are_errors() {
        let zero = TimeDependentAr::new(
            vec![("g".into(), vec![e(0, 1, 1, 1)])],
            Schedule::Sequential { start: 0 },
        );
        assert!(matches!(zero, Err(TimeDependentError::ZeroOffset { .. })));
        let token = TimeDependentAr::new(
            vec![("g".into(), vec![e(1, 2, 1, 1)])],
            Schedule::Sequential { start: 0 },
        );
        assert!(matches!(
            token,
            Err(TimeDependentError::Token { token: 2, .. })
        ));
        assert_eq!(
            TimeDependentAr::new(vec![], Schedule::Periodic { start: 0 }),
            Err(TimeDependentError::NoMaps)
        );
    }

    #[test]
    fn schedules_pick_maps() {
        let maps = vec![("a".into(), vec![]), ("b".into(), vec![])];
        let seq = TimeDependentAr::new(maps.clone(), Schedule::Sequential { start: 3 }).unwrap();
        assert_eq!(
            (0..7).map(|p| seq.map_at(p)).collect::<Vec<_>>(),
            [None, None, None, Some(0), Some(1), None, None]
        );
        let per = TimeDependentAr::new(maps, Schedule::Periodic { start: 1 }).unwrap();
        assert_eq!(
            (0..5).map(|p| per.map_at(p)).collect::<Vec<_>>(),
            [None, Some(0), Some(1), Some(0), Some(1)]
        );
    }

    #[test]
    fn runs_in_the_executor_as_and_then_or() {
        // Prompt x0 x1; token 2 = x0 AND x1 (2·x0 + 2·x1 vs bias 3), token 3 = x0 OR x1 read
        // at offsets 3 and 2 (2·x0 + 2·x1 vs bias 1).
        let bias = |b| [e(1, 0, 0, b), e(1, 1, 0, b)];
        let and = [e(2, 1, 1, 2), e(1, 1, 1, 2)];
        let or = [e(3, 1, 1, 2), e(2, 1, 1, 2)];
        let p = TimeDependentAr::new(
            vec![
                ("and".into(), [&and[..], &bias(3)].concat()),
                ("or".into(), [&or[..], &bias(1)].concat()),
            ],
            Schedule::Sequential { start: 2 },
        )
        .unwrap();
        for (x0, x1) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            let mut ex = Executor::new(&p);
            ex.feed(TokenId(x0));
            ex.feed(TokenId(x1));
            assert_eq!(ex.step(), TokenId(x0 & x1));
            assert_eq!(ex.step(), TokenId(x0 | x1));
        }
    }
}
