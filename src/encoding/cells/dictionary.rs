//! The `cells` dictionary of a machine: SEP, a token per symbol and one per (state, symbol),
//! with their ids and names ([`Dictionary`]).

use crate::machine::{Machine, StateId, SymbolId};
use crate::predictor::TokenId;
use crate::window::CellToken;

/// The `cells` dictionary of a machine: token ids and names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dictionary {
    symbols: usize,
    states: usize,
}

impl Dictionary {
    /// The dictionary of `machine`.
    pub fn new(machine: &Machine) -> Dictionary {
        Dictionary {
            symbols: machine.num_symbols(),
            states: machine.num_states(),
        }
    }

    /// |D| = 1 + |Γ| + |Q|·|Γ|.
    pub fn len(&self) -> usize {
        1 + self.symbols * (self.states + 1)
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
    pub fn encode(&self, t: CellToken) -> TokenId {
        TokenId(match t {
            CellToken::Sep => 0,
            CellToken::Cell { symbol, head: None } => 1 + symbol.0 as u32,
            CellToken::Cell {
                symbol,
                head: Some(q),
            } => 1 + ((1 + q.0 as usize) * self.symbols + symbol.index()) as u32,
            CellToken::Pad => self.len() as u32,
        })
    }

    /// The token of an id (ids past the dictionary read as padding).
    #[inline]
    pub fn decode(&self, id: TokenId) -> CellToken {
        let i = id.index();
        if i == 0 {
            CellToken::Sep
        } else if i >= self.len() {
            CellToken::Pad
        } else {
            let c = i - 1;
            let (h, s) = (c / self.symbols, c % self.symbols);
            CellToken::Cell {
                symbol: SymbolId(s as u8),
                head: (h > 0).then(|| StateId((h - 1) as u16)),
            }
        }
    }

    /// A token's name: `SEP`, `⟨1⟩`, `⟨A,1⟩`, `PAD`.
    pub fn name(&self, machine: &Machine, id: TokenId) -> String {
        match self.decode(id) {
            CellToken::Sep => "SEP".into(),
            CellToken::Pad => "PAD".into(),
            CellToken::Cell { symbol, head: None } => format!("⟨{}⟩", machine.symbol_char(symbol)),
            CellToken::Cell {
                symbol,
                head: Some(q),
            } => {
                format!(
                    "⟨{},{}⟩",
                    machine.state_name(q),
                    machine.symbol_char(symbol)
                )
            }
        }
    }

    /// Every token's name, indexed by id.
    pub fn names(&self, machine: &Machine) -> Vec<String> {
        (0..self.len())
            .map(|i| self.name(machine, TokenId(i as u32)))
            .collect()
    }

    /// Every cell token (every token but SEP).
    pub fn cells(&self) -> impl Iterator<Item = CellToken> + '_ {
        (1..self.len()).map(|i| self.decode(TokenId(i as u32)))
    }
}
