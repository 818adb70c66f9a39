//! The `sweep` dictionary: the `cells` tokens plus a start marker per symbol
//! ([`SweepToken`]), token ids and names, and the three offsets a predictor reads.

use crate::encoding::cells;
use crate::machine::{Machine, StateId, SymbolId};
use crate::predictor::TokenId;
use crate::window::CellToken;

/// Index of the offset 1 (the left cell, in the row being generated) in the predictor's offsets.
pub const LEFT: usize = 0;
/// Index of the offset S (the cell above-right, in the previous row).
pub const ABOVE_RIGHT: usize = 1;
/// Index of the offset S+1 (the cell above, in the previous row).
pub const ABOVE: usize = 2;

/// The offsets a `sweep` predictor reads on a window of `size` cells: [1, S, S+1]
/// (proofs/sweep.md#offsets).
pub fn offsets(size: usize) -> [usize; 3] {
    [1, size, size + 1]
}

/// A token of the `sweep` dictionary, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SweepToken {
    /// Row separator.
    Sep,
    /// A cell: its symbol and, if the head's path passes it in this row, the arrival state.
    Cell {
        /// The cell's symbol (before the head writes it).
        symbol: SymbolId,
        /// The state the head arrived in, if the row's path passes this cell.
        head: Option<StateId>,
    },
    /// The start marker (prompt only): the next row starts the head here, in the start state.
    Start(SymbolId),
    /// What positions before the start of the trace read as.
    Pad,
}

/// The `sweep` dictionary of a machine: the `cells` ids, then one start marker per symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dictionary {
    cells: cells::Dictionary,
    symbols: usize,
}

impl Dictionary {
    /// The dictionary of `machine`.
    pub fn new(machine: &Machine) -> Dictionary {
        Dictionary {
            cells: cells::Dictionary::new(machine),
            symbols: machine.num_symbols(),
        }
    }

    /// |D| = 1 + |Γ|·(|Q| + 2).
    pub fn len(&self) -> usize {
        self.cells.len() + self.symbols
    }

    /// Never true: SEP is always there.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The padding token's id (`len()`, outside the dictionary).
    pub fn pad(&self) -> TokenId {
        TokenId(self.len() as u32)
    }

    /// The id of a token.
    #[inline]
    pub fn encode(&self, t: SweepToken) -> TokenId {
        match t {
            SweepToken::Sep => self.cells.encode(CellToken::Sep),
            SweepToken::Cell { symbol, head } => {
                self.cells.encode(CellToken::Cell { symbol, head })
            }
            SweepToken::Start(s) => TokenId((self.cells.len() + s.index()) as u32),
            SweepToken::Pad => self.pad(),
        }
    }

    /// The token of an id (ids past the dictionary read as padding).
    #[inline]
    pub fn decode(&self, id: TokenId) -> SweepToken {
        let i = id.index();
        if i >= self.len() {
            SweepToken::Pad
        } else if i >= self.cells.len() {
            SweepToken::Start(SymbolId((i - self.cells.len()) as u8))
        } else {
            match self.cells.decode(id) {
                CellToken::Sep => SweepToken::Sep,
                CellToken::Cell { symbol, head } => SweepToken::Cell { symbol, head },
                CellToken::Pad => SweepToken::Pad,
            }
        }
    }

    /// A token's name: `SEP`, `⟨1⟩`, `⟨A,1⟩`, `⟨▸1⟩`, `PAD`.
    pub fn name(&self, machine: &Machine, id: TokenId) -> String {
        match self.decode(id) {
            SweepToken::Start(s) => format!("⟨▸{}⟩", machine.symbol_char(s)),
            SweepToken::Pad => "PAD".into(),
            _ => self.cells.name(machine, id),
        }
    }

    /// Every token's name, indexed by id.
    pub fn names(&self, machine: &Machine) -> Vec<String> {
        (0..self.len())
            .map(|i| self.name(machine, TokenId(i as u32)))
            .collect()
    }

    /// Every token but SEP: the cell tokens, then the start markers.
    pub fn tokens(&self) -> impl Iterator<Item = SweepToken> + '_ {
        (1..self.len()).map(|i| self.decode(TokenId(i as u32)))
    }

    /// The cell tokens (no SEP, no markers): what a generated row holds.
    pub fn cells(&self) -> impl Iterator<Item = SweepToken> + '_ {
        (1..self.cells.len()).map(|i| self.decode(TokenId(i as u32)))
    }
}
