//! The one stop rule every encoding uses: traces are rows of a fixed length, and the trace ends
//! after the first complete row that holds a final mark (a head in a final configuration).
//!
//! What counts as a final mark is the encoding's business (a token for `cells` and `sweep`, a
//! set bit at a given place in its cell for `gates`); [`RowHalt`] only counts positions. The
//! marks are a table `final_at[token · period + place]`, where `place` is the position within
//! its cell (`period` positions a cell; 1 when one token is a cell).

use crate::executor::StopRule;
use crate::token::TokenId;

/// Ends a trace after the first complete row holding a final mark; positions start at the
/// prompt, which is a row too.
#[derive(Clone, Debug)]
pub struct RowHalt {
    /// Tokens a row.
    row: usize,
    /// Position within the row.
    col: usize,
    /// Tokens a cell.
    period: usize,
    /// Position within the cell (`col mod period`, kept without a division).
    place: usize,
    /// `final_at[token · period + place]`: the token at that place is a final mark.
    final_at: Vec<bool>,
    seen_final: bool,
}

impl RowHalt {
    /// A stop rule for rows of `row` tokens, `period` tokens a cell (`row` a multiple of it),
    /// with the marks `final_at[token · period + place]`.
    pub fn new(row: usize, period: usize, final_at: Vec<bool>) -> RowHalt {
        debug_assert!(period >= 1 && row % period == 0);
        RowHalt {
            row,
            col: 0,
            period,
            place: 0,
            final_at,
            seen_final: false,
        }
    }
}

impl StopRule for RowHalt {
    #[inline]
    fn after(&mut self, token: TokenId) -> bool {
        self.seen_final |= self
            .final_at
            .get(token.index() * self.period + self.place)
            .copied()
            .unwrap_or(false);
        self.place += 1;
        if self.place == self.period {
            self.place = 0;
        }
        self.col += 1;
        if self.col == self.row {
            self.col = 0;
            let done = self.seen_final;
            self.seen_final = false;
            return done;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_after_the_row_with_a_final_mark() {
        // Rows of 3 tokens, one token a cell; token 2 is final.
        let mut h = RowHalt::new(3, 1, vec![false, false, true]);
        let ends: Vec<bool> = [0, 1, 0, 0, 2, 1, 0, 0, 0]
            .map(|t| h.after(TokenId(t)))
            .to_vec();
        assert_eq!(
            ends,
            [false, false, false, false, false, true, false, false, false]
        );
        // Cells of 2 bits: a 1 in the second place is final, in the first it is not.
        let mut g = RowHalt::new(4, 2, vec![false, false, false, true]);
        let ends: Vec<bool> = [1, 0, 0, 0, 0, 0, 0, 1]
            .map(|t| g.after(TokenId(t)))
            .to_vec();
        assert_eq!(
            ends,
            [false, false, false, false, false, false, false, true]
        );
    }
}
