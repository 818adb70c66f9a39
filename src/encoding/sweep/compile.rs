//! The `sweep` compiler: machine → the integer matrices at offsets 1, S, S+1
//! (proofs/sweep.md#weights), read off the folded machine.

use super::{FoldedMachine, StayLoops, SweepToken};
use crate::encoding::cells::compile::{HEAD_WEIGHT, NO_HEAD_WEIGHT, SEP_WEIGHT, SYMBOL_WEIGHT};
use crate::encoding::cells::Window;
use crate::encoding::sweep;
use crate::machine::{Machine, StateId, SymbolId};
use crate::predictor::{Layout, LinearAr};
use nalgebra::DMatrix;

/// Compiles `machine` to the `sweep` linear predictor for a window of `window.size` cells,
/// reading offsets [1, S, S+1]; a machine with a chain of stay moves that never ends is refused.
///
/// Formula (proofs/sweep.md#weights), for every output cell token d = ⟨h, σ⟩ and input token x,
/// with the symbol of x and the sources of [`FoldedMachine`] (proofs/sweep.md#local-rule):
/// - `W_(S+1)[d, x] = 4·[σ = symbol after x] + 1·[h = none] + 2·[x fires from above, h = its state]`
///   for every cell token or start marker x, and `W_(S+1)[SEP, SEP] = 10`;
/// - `W_S[d, ⟨q, s⟩] = 2·[h = q']` when fold(q, s) moves L to q' (the next row starts there);
/// - `W_1[d, ⟨q, s⟩] = 2·[h = q']` when fold(q, s) moves R to q' (the path goes on);
/// - every other weight is 0: marker rows, SEP against cells, padding columns.
pub fn machine_to_sweep_predictor(
    machine: &Machine,
    window: Window,
) -> Result<LinearAr, StayLoops> {
    let folded = FoldedMachine::new(machine)?;
    Ok(folded_to_sweep_predictor(machine, &folded, window))
}

/// The weights of [`machine_to_sweep_predictor`] for an already folded machine.
pub fn folded_to_sweep_predictor(
    machine: &Machine,
    folded: &FoldedMachine,
    window: Window,
) -> LinearAr {
    let dict = sweep::Dictionary::new(machine);
    let v = dict.len();
    let mut w = [
        DMatrix::<i32>::zeros(v, v),
        DMatrix::zeros(v, v),
        DMatrix::zeros(v, v),
    ];
    // Only cell tokens are ever emitted (and SEP): markers keep all-zero rows.
    let outputs: Vec<(usize, SymbolId, Option<StateId>)> = dict
        .cells()
        .filter_map(|t| match t {
            SweepToken::Cell { symbol, head } => Some((dict.encode(t).index(), symbol, head)),
            _ => None,
        })
        .collect();
    let sep = dict.encode(SweepToken::Sep).index();
    w[sweep::ABOVE][(sep, sep)] = SEP_WEIGHT;
    for x in dict.tokens() {
        let xi = dict.encode(x).index();
        for role in [sweep::LEFT, sweep::ABOVE_RIGHT, sweep::ABOVE] {
            let symbol = if role == sweep::ABOVE {
                folded.symbol_after(x)
            } else {
                None
            };
            let source = folded.source(role, x);
            for &(d, s, h) in &outputs {
                let mut weight = 0;
                if let Some(sx) = symbol {
                    weight +=
                        SYMBOL_WEIGHT * (s == sx) as i32 + NO_HEAD_WEIGHT * h.is_none() as i32;
                }
                if source.is_some() && h == source {
                    weight += HEAD_WEIGHT;
                }
                w[role][(d, xi)] = weight;
            }
        }
    }
    let s = window.size;
    let layout = Layout {
        tokens: dict.names(machine),
        offsets: sweep::offsets(s).to_vec(),
        offset_names: vec!["1".into(), "S".into(), "S+1".into()],
    };
    LinearAr::new(layout, w.into())
}
