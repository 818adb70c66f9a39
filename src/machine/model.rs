//! The machine model: [`Machine`] (validated, read-only), its ids, moves, transitions and
//! stops, and an input laid on its tape ([`Input`], with the head's start cell).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Index of a state in [`Machine::states`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StateId(pub u16);

/// Index of a symbol in [`Machine::symbols`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SymbolId(pub u8);

impl StateId {
    /// The id as an index.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl SymbolId {
    /// The id as an index.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Head movement of one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Move {
    /// One cell to the left.
    L,
    /// One cell to the right.
    R,
    /// Stay on the same cell.
    S,
}

impl Move {
    /// The change of head position.
    #[inline]
    pub fn delta(self) -> i64 {
        match self {
            Move::L => -1,
            Move::R => 1,
            Move::S => 0,
        }
    }

    /// The letter used in every text format.
    pub fn letter(self) -> char {
        match self {
            Move::L => 'L',
            Move::R => 'R',
            Move::S => 'S',
        }
    }
}

/// One rule's right-hand side: δ(q, s) = (write, move, next).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Transition {
    /// Symbol written on the current cell.
    pub write: SymbolId,
    /// Where the head goes.
    pub movement: Move,
    /// State after the step.
    pub next: StateId,
}

/// Why a run (or a configuration) is final, or why a run was cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stop {
    /// The state is a halting state.
    Halted,
    /// No rule for (state, read symbol).
    NoRule,
    /// The step limit was reached first.
    StepLimit,
    /// The reference interpreter's tape reached the most cells it keeps
    /// ([`crate::limits::MAX_TAPE_CELLS`]) before the step limit.
    TapeLimit,
}

impl Stop {
    /// The name used in files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Stop::Halted => "halted",
            Stop::NoRule => "no-rule",
            Stop::StepLimit => "step-limit",
            Stop::TapeLimit => "tape-limit",
        }
    }

    /// Parses a name written by [`Stop::name`].
    pub fn from_name(name: &str) -> Option<Stop> {
        match name {
            "halted" => Some(Stop::Halted),
            "no-rule" => Some(Stop::NoRule),
            "step-limit" => Some(Stop::StepLimit),
            "tape-limit" => Some(Stop::TapeLimit),
            _ => None,
        }
    }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an undefined transition (bbchallenge's `---`, a Morphett state and symbol that no
/// rule matches) means when loading a format whose tool gives it a meaning.
///
/// bbchallenge's simulators and Morphett's count the step into an undefined transition and
/// stop there: the tape keeps its symbol, the head does not move (bbchallenge-seed's
/// `simulate` returns `steps_count + 1` before writing; Morphett's `Step()` moves to state
/// `halt` writing the symbol it read). [`Undefined::Halt`] gives such a transition that exact
/// meaning as an explicit rule into a halting state, so every engine (run, the compiled
/// encodings, their step limits) sees one ordinary halting step. turingmachine.io and arsim's
/// own `.ron` files take no step there: a missing rule stays a `no-rule` stop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Undefined {
    /// The step into the undefined transition counts and halts (bbchallenge, Morphett).
    #[default]
    Halt,
    /// The run stops before it with `no-rule`, without a step (the count earlier versions of arsim gave).
    NoRule,
}

/// An example run listed in a machine file, already checked against the alphabet and states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Example {
    /// The input written at cells 0..n, and the head's start cell.
    pub input: Input,
    /// The input as written in the file.
    pub input_text: String,
    /// Expected number of steps.
    pub steps: u64,
    /// Expected reason for stopping.
    pub stop: Stop,
    /// Expected final state.
    pub state: Option<StateId>,
    /// Expected tape, leftmost to rightmost non-blank cell.
    pub tape: Option<String>,
    /// Expected number of non-blank cells.
    pub nonblank: Option<u64>,
    /// Step limit for this example (runs that do not halt).
    pub max_steps: Option<u64>,
    /// 1-based line of the example in its file, where known.
    pub line: Option<usize>,
}

/// A validated deterministic one-tape Turing machine.
///
/// Built only by [`validate()`](crate::machine::validate()); the fields are read-only to the rest of the crate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Machine {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) symbols: Vec<char>,
    pub(crate) blank: SymbolId,
    pub(crate) states: Vec<String>,
    pub(crate) start: StateId,
    pub(crate) halting: Vec<bool>,
    /// `table[state * symbols + symbol]`.
    pub(crate) table: Vec<Option<Transition>>,
    pub(crate) examples: Vec<Example>,
    pub(crate) inputs: Option<InputDistribution>,
    /// The file's own input (see [`Machine::default_input`]).
    pub(crate) input: Option<String>,
    /// Whether a space in an input word is the blank (Morphett's convention).
    pub(crate) space_is_blank: bool,
    /// The convention a rule was read under, for reports (see [`Machine::convention`]).
    pub(crate) convention: Option<String>,
}

impl Machine {
    /// The machine's name (the file stem when the file gives none).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// What the machine computes, from its file.
    pub fn description(&self) -> &str {
        &self.description
    }
    /// The tape alphabet Γ, blank included.
    pub fn symbols(&self) -> &[char] {
        &self.symbols
    }
    /// Number of symbols |Γ|.
    pub fn num_symbols(&self) -> usize {
        self.symbols.len()
    }
    /// The blank symbol.
    pub fn blank(&self) -> SymbolId {
        self.blank
    }
    /// State names, halting states included.
    pub fn states(&self) -> &[String] {
        &self.states
    }
    /// Number of states |Q|, halting states included.
    pub fn num_states(&self) -> usize {
        self.states.len()
    }
    /// The start state.
    pub fn start(&self) -> StateId {
        self.start
    }
    /// Whether `q` is a halting state.
    #[inline]
    pub fn is_halting(&self, q: StateId) -> bool {
        self.halting[q.index()]
    }
    /// The rule for (q, s), if any.
    #[inline]
    pub fn rule(&self, q: StateId, s: SymbolId) -> Option<Transition> {
        self.table[q.index() * self.symbols.len() + s.index()]
    }
    /// Whether a configuration in state `q` reading `s` is final (halting, or no rule).
    #[inline]
    pub fn is_final(&self, q: StateId, s: SymbolId) -> bool {
        self.is_halting(q) || self.rule(q, s).is_none()
    }
    /// The file's `inputs` field, validated.
    pub fn inputs_field(&self) -> Option<&InputDistribution> {
        self.inputs.as_ref()
    }
    /// The machine file's own input, if it names one: turingmachine.io's `input:`, Morphett's
    /// `$INITIAL_TAPE:` comment, a `.ron` file's `input`. Commands run it when given no input.
    pub fn default_input(&self) -> Option<&str> {
        self.input.as_deref()
    }
    /// The convention the machine's source gave a rule of, said in its reports: for a
    /// bbchallenge machine with `---` read as a halting step, that the step writes 1 (how
    /// bbchallenge counts Σ, the ones left on the tape).
    pub fn convention(&self) -> Option<&str> {
        self.convention.as_deref()
    }
    /// The examples listed in the machine's file.
    pub fn examples(&self) -> &[Example] {
        &self.examples
    }
    /// Every rule as (state, read, transition), in table order.
    pub fn rules(&self) -> impl Iterator<Item = (StateId, SymbolId, Transition)> + '_ {
        let k = self.symbols.len();
        self.table.iter().enumerate().filter_map(move |(i, t)| {
            t.map(|t| (StateId((i / k) as u16), SymbolId((i % k) as u8), t))
        })
    }
    /// A symbol's character.
    pub fn symbol_char(&self, s: SymbolId) -> char {
        self.symbols[s.index()]
    }
    /// A state's name.
    pub fn state_name(&self, q: StateId) -> &str {
        &self.states[q.index()]
    }
    /// Looks a symbol up by its character.
    pub fn symbol_id(&self, c: char) -> Option<SymbolId> {
        self.symbols
            .iter()
            .position(|&x| x == c)
            .map(|i| SymbolId(i as u8))
    }
    /// Looks a state up by name.
    pub fn state_id(&self, name: &str) -> Option<StateId> {
        self.states
            .iter()
            .position(|x| x == name)
            .map(|i| StateId(i as u16))
    }

    /// Turns an input word into symbol ids and the head's start cell, naming the first
    /// character outside the alphabet.
    ///
    /// When `*` is not one of the machine's symbols it marks the head's start, as in Morphett's
    /// simulator ([`HEAD_MARKER`]): the head starts on the cell of the first `*` (the number of
    /// characters before it), and every `*` is removed. A word without one starts the head on
    /// its first cell. For a machine with a `*` symbol, `*` is that symbol.
    ///
    /// For a machine read from Morphett's format a space is the blank, as in Morphett's
    /// simulator, whose own sample tapes separate numbers with spaces.
    ///
    /// ```
    /// use arsim::machine::load_machine;
    /// let bb2 = load_machine("1RB1LB_1LA1RZ").unwrap();
    /// let input = bb2.parse_input("10*1").unwrap();
    /// assert_eq!((bb2.render(&input), input.head), ("101".to_string(), 2));
    /// ```
    pub fn parse_input(&self, word: &str) -> Result<Input, InputError> {
        let (chars, head) = split_head_marker(word, self.symbol_id(HEAD_MARKER).is_some());
        let symbols = chars
            .into_iter()
            .map(|(i, c)| {
                let c = if c == ' ' && self.space_is_blank && self.symbol_id(' ').is_none() {
                    self.symbol_char(self.blank)
                } else {
                    c
                };
                self.symbol_id(c).ok_or_else(|| InputError {
                    position: i,
                    symbol: c,
                    alphabet: self.symbols.iter().collect(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Input { symbols, head })
    }

    /// Renders an input as it is typed: the word, with [`HEAD_MARKER`] before the head's start
    /// cell when that is not cell 0 (blanks written up to it when it lies beyond the word).
    /// [`Machine::parse_input`] reads it back, for a machine without a `*` symbol.
    pub fn render_input(&self, input: &Input) -> String {
        let mut word: Vec<char> = input.iter().map(|&s| self.symbol_char(s)).collect();
        if input.head > 0 {
            word.resize(word.len().max(input.head), self.symbol_char(self.blank));
            word.insert(input.head, HEAD_MARKER);
        }
        word.into_iter().collect()
    }

    /// Renders symbol ids as a string.
    pub fn render(&self, tape: &[SymbolId]) -> String {
        tape.iter().map(|&s| self.symbol_char(s)).collect()
    }
}

/// An input word with a character outside the machine's alphabet.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("input symbol '{symbol}' at position {position} is not in the alphabet {{{alphabet}}}")]
pub struct InputError {
    /// 0-based character position in the word.
    pub position: usize,
    /// The offending character.
    pub symbol: char,
    /// The machine's alphabet, as one string.
    pub alphabet: String,
}

/// The character that marks the head's start cell in an input word, for a machine whose
/// alphabet does not hold it: Morphett's simulator does the same (`Reset()`:
/// `nHeadPosition = sInitialTape.indexOf("*")`, then every `*` is removed), and its format can
/// never have `*` as a symbol, since `*` is its rule wildcard.
pub const HEAD_MARKER: char = '*';

/// The characters of `word` that are tape symbols, each with its position in `word`, and the
/// head's start cell: the count of symbols before the first [`HEAD_MARKER`], 0 without one.
/// When `marker_is_symbol` (the machine has a `*` symbol) the word is all symbols, head 0.
pub(crate) fn split_head_marker(word: &str, marker_is_symbol: bool) -> (Vec<(usize, char)>, usize) {
    let mut head = None;
    let mut chars = Vec::with_capacity(word.len());
    for (i, c) in word.chars().enumerate() {
        if c == HEAD_MARKER && !marker_is_symbol {
            head.get_or_insert(chars.len());
        } else {
            chars.push((i, c));
        }
    }
    (chars, head.unwrap_or(0))
}

/// An input word and the cell the head starts on: what a run is laid on a tape from.
///
/// The word is written at cells 0..n (cell 0 stays "where the input starts" in every report);
/// the head starts on cell `head`, which may lie beyond the word (on a blank). Built by
/// [`Machine::parse_input`] (a `*` marks the head's start) or, head on cell 0, from a
/// `Vec<SymbolId>`. It dereferences to the word, so reading the symbols needs no change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Input {
    /// The word, cells 0..n.
    pub symbols: Vec<SymbolId>,
    /// The head's start cell.
    pub head: usize,
}

impl Input {
    /// `symbols` with the head starting on cell `head`.
    pub fn new(symbols: Vec<SymbolId>, head: usize) -> Input {
        Input { symbols, head }
    }

    /// The cells a run starts on, the head's included: `max(n, head + 1)`.
    pub fn span(&self) -> usize {
        self.symbols.len().max(self.head + 1)
    }

    /// The word, for a use that starts every run on the input's first cell (learning from
    /// listed inputs); refused when the input starts the head elsewhere.
    pub fn into_word_from_first_cell(self) -> Result<Vec<SymbolId>, HeadStartError> {
        match self.head {
            0 => Ok(self.symbols),
            head => Err(HeadStartError { head }),
        }
    }
}

/// An input whose head starts off its first cell, given where every run starts on cell 0.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the input starts the head on cell {head} (its `*`), but runs here start on the input's first cell")]
pub struct HeadStartError {
    /// The head's start cell.
    pub head: usize,
}

impl From<Vec<SymbolId>> for Input {
    /// The word with the head on its first cell.
    fn from(symbols: Vec<SymbolId>) -> Input {
        Input { symbols, head: 0 }
    }
}

impl std::ops::Deref for Input {
    type Target = [SymbolId];
    fn deref(&self) -> &[SymbolId] {
        &self.symbols
    }
}

/// A validated input distribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputDistribution {
    pub(crate) parts: Vec<Vec<SymbolId>>,
    pub(crate) separator: Vec<SymbolId>,
}

impl InputDistribution {
    /// A distribution from symbol ids (`parts` must be non-empty, each part non-empty).
    pub fn new(parts: Vec<Vec<SymbolId>>, separator: Vec<SymbolId>) -> InputDistribution {
        InputDistribution { parts, separator }
    }

    /// The alphabets of the parts, in order.
    pub fn parts(&self) -> &[Vec<SymbolId>] {
        &self.parts
    }

    /// The symbols between two parts.
    pub fn separator(&self) -> &[SymbolId] {
        &self.separator
    }
}
