//! The local rule of `cells` ([`next_cell`]): the token of a cell in row t+1 from the three
//! cells above it, written from the machine's semantics alone (proofs/cells.md#local-rule).

use crate::machine::Machine;
use crate::window::CellToken;

/// The local rule: the token of cell i in row t+1 from cells i-1, i, i+1 of row t.
///
/// `left`/`right` are [`CellToken::Sep`] at the window's edges. The new symbol is the centre's
/// (rewritten if its head has a rule); the new head comes from the centre (a stay move, or a
/// final head, which is absorbing), from the left (it moved R), from the right (it moved L),
/// or from nowhere. With at most one head among the three, at most one of these applies.
pub fn next_cell(
    machine: &Machine,
    left: CellToken,
    centre: CellToken,
    right: CellToken,
) -> CellToken {
    let CellToken::Cell { symbol, head } = centre else {
        return CellToken::Sep;
    };
    let mut new_symbol = symbol;
    let mut new_head = None;
    if let Some(q) = head {
        match machine.rule(q, symbol).filter(|_| !machine.is_halting(q)) {
            None => new_head = Some(q),
            Some(t) => {
                new_symbol = t.write;
                if t.movement == crate::machine::Move::S {
                    new_head = Some(t.next);
                }
            }
        }
    }
    let sent = |neighbour: CellToken, towards: crate::machine::Move| match neighbour {
        CellToken::Cell {
            symbol: s,
            head: Some(q),
        } if !machine.is_final(q, s) => machine
            .rule(q, s)
            .filter(|t| t.movement == towards)
            .map(|t| t.next),
        _ => None,
    };
    if let Some(q) = sent(left, crate::machine::Move::R) {
        new_head = Some(q);
    }
    if let Some(q) = sent(right, crate::machine::Move::L) {
        new_head = Some(q);
    }
    CellToken::Cell {
        symbol: new_symbol,
        head: new_head,
    }
}
