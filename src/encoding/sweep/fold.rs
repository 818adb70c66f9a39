//! Stay moves folded away: for every (state, symbol), where the head goes next once its chain
//! of stay moves ends (proofs/sweep.md#folding). The local rule, the compiler and the
//! certificate read the machine through it.

use super::{SweepToken, ABOVE, ABOVE_RIGHT, LEFT};
use crate::machine::{Machine, Move, StateId, SymbolId};

/// Where a head goes from a cell once its stay moves are followed (proofs/sweep.md#folding).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fold {
    /// After `steps` steps (stays, then one move) the cell holds `write` and the head moves
    /// `movement` (L or R, never S) in state `next`.
    Move {
        /// The symbol the cell holds when the head leaves.
        write: SymbolId,
        /// L or R.
        movement: Move,
        /// The state the head leaves in.
        next: StateId,
        /// Steps taken on the cell, the leaving move included.
        steps: u32,
    },
    /// After `steps` stay steps (0 if the pair is final itself) the configuration is final:
    /// the head is in `state` on the cell, which holds `symbol`.
    Final {
        /// The final state.
        state: StateId,
        /// The symbol under the head then.
        symbol: SymbolId,
        /// Stay steps taken.
        steps: u32,
    },
}

/// Chains of stay moves that never end: the sweep encoding cannot fold them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a chain of stay moves never ends ({}); the sweep encoding folds every chain of stay moves, so it cannot take this machine ({} (state, symbol) pairs lead into such a chain)", .cycles.join("; "), .pairs.len())]
pub struct StayLoops {
    /// The machine's name.
    pub machine: String,
    /// Each cycle once, e.g. `(A,0) → (B,1) → (A,0)`.
    pub cycles: Vec<String>,
    /// Every (state, symbol) pair whose stay chain never ends.
    pub pairs: Vec<(StateId, SymbolId)>,
}

/// A machine with its stay moves folded: for every (state, symbol), where the head goes next.
///
/// This is the machine's semantics, read one (state, symbol) pair at a time; the local rule
/// and the compiler both use it, the reference trace does not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoldedMachine {
    symbols: usize,
    start: StateId,
    /// `folds[q * symbols + s]`.
    folds: Vec<Fold>,
}

impl FoldedMachine {
    /// Folds every stay chain of `machine`; every chain that never ends is reported.
    pub fn new(machine: &Machine) -> Result<FoldedMachine, StayLoops> {
        let k = machine.num_symbols();
        let name = |(q, s): (StateId, SymbolId)| {
            format!("({},{})", machine.state_name(q), machine.symbol_char(s))
        };
        let mut folds = Vec::with_capacity(machine.num_states() * k);
        let mut pairs = Vec::new();
        let mut cycles: Vec<Vec<(StateId, SymbolId)>> = Vec::new();
        for q in 0..machine.num_states() {
            for s in 0..k {
                let mut at = (StateId(q as u16), SymbolId(s as u8));
                let mut chain = vec![at];
                let fold = loop {
                    let (cq, cs) = at;
                    // Final (halting, or no rule): the chain ends here.
                    let Some(t) = machine.rule(cq, cs).filter(|_| !machine.is_halting(cq)) else {
                        break Some(Fold::Final {
                            state: cq,
                            symbol: cs,
                            steps: chain.len() as u32 - 1,
                        });
                    };
                    if t.movement != Move::S {
                        break Some(Fold::Move {
                            write: t.write,
                            movement: t.movement,
                            next: t.next,
                            steps: chain.len() as u32,
                        });
                    }
                    at = (t.next, t.write);
                    if let Some(i) = chain.iter().position(|&p| p == at) {
                        // A cycle: keep it once, starting from its smallest pair.
                        let mut cycle = chain[i..].to_vec();
                        let min = (0..cycle.len()).min_by_key(|&j| cycle[j]).unwrap_or(0);
                        cycle.rotate_left(min);
                        if !cycles.contains(&cycle) {
                            cycles.push(cycle);
                        }
                        break None;
                    }
                    chain.push(at);
                };
                match fold {
                    Some(f) => folds.push(f),
                    None => {
                        pairs.push(chain[0]);
                        // A placeholder; the table is not returned.
                        folds.push(Fold::Final {
                            state: chain[0].0,
                            symbol: chain[0].1,
                            steps: 0,
                        });
                    }
                }
            }
        }
        if !pairs.is_empty() {
            return Err(StayLoops {
                machine: machine.name().to_string(),
                cycles: cycles
                    .iter()
                    .map(|c| {
                        c.iter()
                            .chain(c.first())
                            .map(|&p| name(p))
                            .collect::<Vec<_>>()
                            .join(" → ")
                    })
                    .collect(),
                pairs,
            });
        }
        Ok(FoldedMachine {
            symbols: k,
            start: machine.start(),
            folds,
        })
    }

    /// The fold of (q, s).
    #[inline]
    pub fn fold(&self, q: StateId, s: SymbolId) -> Fold {
        self.folds[q.index() * self.symbols + s.index()]
    }

    /// The start state (where a start marker sends the head).
    pub fn start(&self) -> StateId {
        self.start
    }

    /// Whether a head token ⟨q, s⟩ ends its row's path in a final configuration.
    #[inline]
    pub fn folds_final(&self, q: StateId, s: SymbolId) -> bool {
        matches!(self.fold(q, s), Fold::Final { .. })
    }

    /// The symbol a cell holds in the next row, when `above` is the cell's token in this row:
    /// its symbol, rewritten by the head's fold if the path passes it (`None` for SEP, PAD).
    pub fn symbol_after(&self, above: SweepToken) -> Option<SymbolId> {
        match above {
            SweepToken::Cell { symbol, head: None } | SweepToken::Start(symbol) => Some(symbol),
            SweepToken::Cell {
                symbol,
                head: Some(q),
            } => Some(match self.fold(q, symbol) {
                Fold::Move { write, .. } => write,
                Fold::Final { symbol, .. } => symbol,
            }),
            SweepToken::Sep | SweepToken::Pad => None,
        }
    }

    /// The state `token`, standing in `role` ([`LEFT`], [`ABOVE_RIGHT`], [`ABOVE`]), sends to
    /// the cell being generated, if it **fires** (proofs/sweep.md#local-rule): from above a
    /// start marker (the start state) or a head whose fold is final (its final state); from
    /// above-right a head that moves L; from the left a head that moves R.
    pub fn source(&self, role: usize, token: SweepToken) -> Option<StateId> {
        match (role, token) {
            (ABOVE, SweepToken::Start(_)) => Some(self.start),
            (
                _,
                SweepToken::Cell {
                    symbol,
                    head: Some(q),
                },
            ) => match (role, self.fold(q, symbol)) {
                (ABOVE, Fold::Final { state, .. }) => Some(state),
                (
                    ABOVE_RIGHT,
                    Fold::Move {
                        movement: Move::L,
                        next,
                        ..
                    },
                )
                | (
                    LEFT,
                    Fold::Move {
                        movement: Move::R,
                        next,
                        ..
                    },
                ) => Some(next),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether (`left`, `above_right`, `above`) has a shape that a cell position of a valid
    /// trace can show (proofs/sweep.md#local-rule, part (ii)): at most one source fires; a start
    /// marker comes with no head; at most two heads, and two only as a path going on (`above`
    /// moves R in state q′, `above_right` is ⟨q′, ·⟩, `left` is no head) or turning (`above`
    /// moves L in state q′, `left` is ⟨q′, ·⟩, `above_right` is no head).
    pub fn is_trace_context(
        &self,
        left: SweepToken,
        above_right: SweepToken,
        above: SweepToken,
    ) -> bool {
        let fires = [(LEFT, left), (ABOVE_RIGHT, above_right), (ABOVE, above)]
            .iter()
            .filter(|&&(role, t)| self.source(role, t).is_some())
            .count();
        if fires > 1 {
            return false;
        }
        let head = |t: SweepToken| match t {
            SweepToken::Cell {
                symbol,
                head: Some(q),
            } => Some((q, symbol)),
            _ => None,
        };
        let marker = |t: SweepToken| matches!(t, SweepToken::Start(_));
        let (l, b, a) = (head(left), head(above_right), head(above));
        if marker(left)
            || ((marker(above) || marker(above_right)) && (l, b, a) != (None, None, None))
        {
            return false;
        }
        // Where `above` sends its head, if it moves that way.
        let sends = |(q, s): (StateId, SymbolId), way: Move| match self.fold(q, s) {
            Fold::Move { movement, next, .. } if movement == way => Some(next),
            _ => None,
        };
        match (l, b, a) {
            (Some(_), Some(_), _) => false,
            (None, Some((q, _)), Some(a)) => sends(a, Move::R) == Some(q),
            (Some((q, _)), None, Some(a)) => sends(a, Move::L) == Some(q),
            _ => true,
        }
    }

    /// The local rule (proofs/sweep.md#local-rule): the token of cell i in row r+1 from cell
    /// i−1 of row r+1 (`left`), cells i+1 and i of row r (`above_right`, `above`); SEP where
    /// `above` is SEP (a separator position). The symbol comes from `above` alone, the head
    /// from the one source that fires (at most one does in a valid trace; if several did, the
    /// first of above, above-right, left would win).
    pub fn next_token(
        &self,
        left: SweepToken,
        above_right: SweepToken,
        above: SweepToken,
    ) -> SweepToken {
        let Some(symbol) = self.symbol_after(above) else {
            return SweepToken::Sep;
        };
        let head = self
            .source(ABOVE, above)
            .or_else(|| self.source(ABOVE_RIGHT, above_right))
            .or_else(|| self.source(LEFT, left));
        SweepToken::Cell { symbol, head }
    }
}
