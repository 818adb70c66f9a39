//! Where the bits of a `gates` trace stand ([`BitLayout`]: B one-hot bits a cell, R bits a
//! row) and a row of bits decoded back into its configuration ([`decode_row`]).

use crate::encoding::cells::Dictionary;
use crate::machine::Machine;
use crate::predictor::TokenId;
use crate::window::{CellToken, Window, WindowConfig};
use serde::Serialize;

/// Where bits stand in a `gates` trace of one machine on one window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitLayout {
    dict: Dictionary,
    symbols: usize,
    window: Window,
}

impl BitLayout {
    /// The layout of `machine`'s rows on `window`.
    pub fn new(machine: &Machine, window: Window) -> BitLayout {
        BitLayout {
            dict: Dictionary::new(machine),
            symbols: machine.num_symbols(),
            window,
        }
    }

    /// The window.
    pub fn window(&self) -> Window {
        self.window
    }

    /// Bits per cell B = |Γ|·(|Q|+1).
    pub fn bits_per_cell(&self) -> usize {
        self.dict.len() - 1
    }

    /// Bits per row R = S·B.
    pub fn row_bits(&self) -> usize {
        self.window.size * self.bits_per_cell()
    }

    /// Length complexity of `steps` steps: T·R gates.
    pub fn length(&self, steps: u64) -> u64 {
        steps * self.row_bits() as u64
    }

    /// The bit (within a cell) of a cell token; `None` for SEP and padding.
    pub fn bit_of(&self, t: CellToken) -> Option<usize> {
        match t {
            CellToken::Cell { .. } => Some(self.dict.encode(t).index() - 1),
            _ => None,
        }
    }

    /// The cell token whose bit (within a cell) is `b`.
    pub fn token_of(&self, b: usize) -> CellToken {
        self.dict.decode(TokenId(b as u32 + 1))
    }

    /// A bit's token name, e.g. `⟨B,1⟩`.
    pub fn bit_name(&self, machine: &Machine, b: usize) -> String {
        self.dict.name(machine, TokenId(b as u32 + 1))
    }

    /// A bit's name within a row: `c2=⟨B,1⟩` is bit ⟨B,1⟩ of cell 2.
    pub fn cell_bit_name(&self, machine: &Machine, cell: usize, b: usize) -> String {
        format!("c{cell}={}", self.bit_name(machine, b))
    }

    /// A gate's (or input's) name: `t3.c2=⟨B,1⟩` is bit ⟨B,1⟩ of cell 2 in row 3.
    pub fn gate_name(&self, machine: &Machine, row: u64, cell: usize, b: usize) -> String {
        format!("t{row}.{}", self.cell_bit_name(machine, cell, b))
    }

    /// (row, cell, bit) of a trace position.
    pub fn locate(&self, position: u64) -> (u64, usize, usize) {
        let r = self.row_bits() as u64;
        let within = (position % r) as usize;
        let b = self.bits_per_cell();
        (position / r, within / b, within % b)
    }

    /// The bits of a configuration's row.
    pub fn encode_row(&self, config: &WindowConfig) -> Vec<bool> {
        let b = self.bits_per_cell();
        let mut bits = vec![false; self.row_bits()];
        for i in 0..config.cells.len() {
            if let Some(k) = self.bit_of(config.token(i)) {
                bits[i * b + k] = true;
            }
        }
        bits
    }
}

/// Why a row of bits is not a configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum DecodeError {
    /// The row has the wrong number of bits.
    #[error("a row has {expected} bits, not {got}")]
    Length {
        /// R.
        expected: usize,
        /// Bits given.
        got: usize,
    },
    /// A cell's bits are not one-hot.
    #[error("cell {cell} has {ones} bits set; exactly one is needed")]
    NotOneHot {
        /// The cell.
        cell: usize,
        /// Bits set.
        ones: usize,
    },
    /// The row has no head, or more than one.
    #[error("the row has {0} heads; exactly one is needed")]
    Heads(usize),
}

/// Decodes a row of bits back to the configuration it spells.
pub fn decode_row(layout: &BitLayout, bits: &[bool]) -> Result<WindowConfig, DecodeError> {
    if bits.len() != layout.row_bits() {
        return Err(DecodeError::Length {
            expected: layout.row_bits(),
            got: bits.len(),
        });
    }
    let b = layout.bits_per_cell();
    let mut cells = Vec::with_capacity(layout.window.size);
    let mut heads = Vec::new();
    for (i, cell) in bits.chunks(b).enumerate() {
        let ones: Vec<usize> = (0..b).filter(|&k| cell[k]).collect();
        let [k] = ones[..] else {
            return Err(DecodeError::NotOneHot {
                cell: i,
                ones: ones.len(),
            });
        };
        // Bits 0..B stand for the cell tokens (ids 1..=B), never SEP or padding.
        if let CellToken::Cell { symbol, head } = layout.token_of(k) {
            cells.push(symbol);
            if let Some(q) = head {
                heads.push((i, q));
            }
        }
    }
    let [(head, state)] = heads[..] else {
        return Err(DecodeError::Heads(heads.len()));
    };
    Ok(WindowConfig { cells, head, state })
}
