//! The `cells` compiler: machine → the three integer matrices of the time-invariant predictor
//! (proofs/cells.md, lemma "weights").
//!
//! Compilation is deterministic and needs no run of the machine: the weights depend on the
//! machine alone, and the window size S only fixes the offsets S, S+1, S+2.

use super::Dictionary;
use crate::machine::{Machine, Move};
use crate::predictor::{Layout, LinearAr, TokenId};
use crate::window::{CellToken, Window};
use nalgebra::DMatrix;

/// Score of the new symbol's part (from the centre cell).
pub(crate) const SYMBOL_WEIGHT: i32 = 4;
/// Score of the head part for the state a neighbour (or the centre) sends in.
pub(crate) const HEAD_WEIGHT: i32 = 2;
/// Score of the "no head" part, given whenever the centre is a cell.
pub(crate) const NO_HEAD_WEIGHT: i32 = 1;
/// Score of SEP when the centre is SEP.
pub const SEP_WEIGHT: i32 = 10;

/// Index of each role in the `cells` predictor's offsets `[S, S+1, S+2]`.
pub(crate) const RIGHT: usize = 0;
/// The centre cell, at offset S+1.
pub const CENTRE: usize = 1;
/// The left cell, at offset S+2.
pub const LEFT: usize = 2;

/// Compiles `machine` to the `cells` linear predictor for a window of `window.size` cells.
///
/// Formula (proofs/cells.md#weights), for every output token d = ⟨h, σ⟩ and input token x:
/// - `W_(S+1)[d, ⟨q?, s⟩] = 4·[σ = new symbol] + 1·[h = none] + 2·[h = q' kept or sent in place]`,
///   `W_(S+1)[SEP, SEP] = 10`;
/// - `W_(S+2)[d, ⟨q, s⟩] = 2·[h = q']` when δ(q, s) moves R to q' (the head comes from the left);
/// - `W_S[d, ⟨q, s⟩] = 2·[h = q']` when δ(q, s) moves L to q' (the head comes from the right);
/// - every other weight is 0, and the padding column is 0.
pub fn machine_to_cells_predictor(machine: &Machine, window: Window) -> LinearAr {
    let dict = Dictionary::new(machine);
    let v = dict.len();
    let mut w = [
        DMatrix::<i32>::zeros(v, v),
        DMatrix::zeros(v, v),
        DMatrix::zeros(v, v),
    ];
    let outputs: Vec<(usize, CellToken)> = (0..v)
        .map(|d| (d, dict.decode(TokenId(d as u32))))
        .collect();
    // Adds `amount` to every output cell token that satisfies `pred`.
    let mut add = |m: usize, x: TokenId, amount: i32, pred: &dyn Fn(CellToken) -> bool| {
        for &(d, t) in &outputs {
            if pred(t) {
                w[m][(d, x.index())] += amount;
            }
        }
    };
    add(CENTRE, dict.encode(CellToken::Sep), SEP_WEIGHT, &|t| {
        t == CellToken::Sep
    });
    for x in dict.cells() {
        let CellToken::Cell { symbol, head } = x else {
            continue;
        };
        let id = dict.encode(x);
        let rule = head.and_then(|q| machine.rule(q, symbol).filter(|_| !machine.is_halting(q)));
        // Centre: the symbol part and the "no head" part.
        let new_symbol = rule.map_or(symbol, |t| t.write);
        add(
            CENTRE,
            id,
            SYMBOL_WEIGHT,
            &|t| matches!(t, CellToken::Cell { symbol: s, .. } if s == new_symbol),
        );
        add(CENTRE, id, NO_HEAD_WEIGHT, &|t| {
            matches!(t, CellToken::Cell { head: None, .. })
        });
        let Some(q) = head else { continue };
        // Where the head goes, and which offset carries it to its new cell.
        let (target, role) = match rule {
            None => (q, CENTRE),
            Some(t) => match t.movement {
                Move::S => (t.next, CENTRE),
                Move::R => (t.next, LEFT),
                Move::L => (t.next, RIGHT),
            },
        };
        add(
            role,
            id,
            HEAD_WEIGHT,
            &|t| matches!(t, CellToken::Cell { head: Some(h), .. } if h == target),
        );
    }
    let s = window.size;
    let layout = Layout {
        tokens: dict.names(machine),
        offsets: vec![s, s + 1, s + 2],
        offset_names: vec!["S".into(), "S+1".into(), "S+2".into()],
    };
    LinearAr::new(layout, w.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::load::from_standard;
    use crate::machine::{StateId, SymbolId};

    #[test]
    fn weights_have_the_stated_values() {
        // bb2: A0 -> 1RB.
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let dict = Dictionary::new(&m);
        let p = machine_to_cells_predictor(&m, Window { size: 5, origin: 2 });
        assert_eq!(p.layout().offsets, [5, 6, 7]);
        let a0 = dict.encode(CellToken::Cell {
            symbol: SymbolId(0),
            head: Some(StateId(0)),
        });
        let b0 = dict.encode(CellToken::Cell {
            symbol: SymbolId(0),
            head: Some(StateId(1)),
        });
        let one = dict.encode(CellToken::Cell {
            symbol: SymbolId(1),
            head: None,
        });
        // The centre ⟨A,0⟩ writes 1: ⟨1⟩ gets the symbol part and the no-head part.
        assert_eq!(p.label(CENTRE, one, a0), "W[⟨1⟩ ← (S+1, ⟨A,0⟩)] = 5");
        // ⟨A,0⟩ on the left sends B to the right.
        assert_eq!(p.label(LEFT, b0, a0), "W[⟨B,0⟩ ← (S+2, ⟨A,0⟩)] = 2");
        assert_eq!(p.weights()[RIGHT][(b0.index(), a0.index())], 0);
    }
}
