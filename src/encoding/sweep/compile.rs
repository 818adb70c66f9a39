//! The `sweep` compiler: machine → the integer matrices at offsets 1, S, S+1
//! (proofs/sweep.md#weights), read off the folded machine.

use super::{FoldedMachine, StayLoops, SweepToken};
use crate::encoding::cells::compile::{HEAD_WEIGHT, NO_HEAD_WEIGHT, SEP_WEIGHT, SYMBOL_WEIGHT};
use crate::encoding::sweep;
use crate::machine::{Machine, StateId, SymbolId};
use crate::predictor::{Layout, LinearAr};
use crate::window::Window;
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
pub(crate) fn folded_to_sweep_predictor(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::load::from_standard;

    #[test]
    fn sweep_weights_have_the_stated_values() {
        use crate::encoding::sweep::{ABOVE, ABOVE_RIGHT, LEFT};
        // bb2: A0 -> 1RB, B0 -> 1LA.
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let dict = sweep::Dictionary::new(&m);
        let p = machine_to_sweep_predictor(&m, Window { size: 5, origin: 2 }).unwrap();
        assert_eq!(p.layout().offsets, [1, 5, 6]);
        let tok = |s: u8, h: Option<u16>| {
            dict.encode(SweepToken::Cell {
                symbol: SymbolId(s),
                head: h.map(StateId),
            })
        };
        let (a0, b0, one, zero) = (tok(0, Some(0)), tok(0, Some(1)), tok(1, None), tok(0, None));
        let start0 = dict.encode(SweepToken::Start(SymbolId(0)));
        // Above ⟨A,0⟩ is written 1: the symbol part and the no-head part.
        assert_eq!(p.label(ABOVE, one, a0), "W[⟨1⟩ ← (S+1, ⟨A,0⟩)] = 5");
        // ⟨A,0⟩ on the left sends B on along the path.
        assert_eq!(p.label(LEFT, b0, a0), "W[⟨B,0⟩ ← (1, ⟨A,0⟩)] = 2");
        assert_eq!(p.weights()[ABOVE_RIGHT][(b0.index(), a0.index())], 0);
        // ⟨B,0⟩ above-right starts A in the next row.
        assert_eq!(p.label(ABOVE_RIGHT, a0, b0), "W[⟨A,0⟩ ← (S, ⟨B,0⟩)] = 2");
        // The start marker starts A on its own cell.
        assert_eq!(p.label(ABOVE, a0, start0), "W[⟨A,0⟩ ← (S+1, ⟨▸0⟩)] = 6");
        assert_eq!(p.weights()[ABOVE][(zero.index(), start0.index())], 5);
        // A stay loop is refused.
        assert!(machine_to_sweep_predictor(
            &from_standard("0SA", "spin").unwrap(),
            Window { size: 1, origin: 0 }
        )
        .is_err());
    }
}
