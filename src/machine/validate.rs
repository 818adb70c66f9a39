//! Validation: [`MachineSpec`] → [`Machine`], reporting every problem at once.
//!
//! "Validate first, then trust the type": everything downstream takes a [`Machine`] and
//! never re-checks. Each [`ValidationError`] names the state, symbol or rule at fault and,
//! when the spec came from a file, the line (found by [`SourceMap`]).

use super::ron_format::SourceMap;
use super::spec::{ExampleSpec, MachineSpec, RuleSpec};
use super::{
    split_head_marker, Example, Input, InputDistribution, Machine, StateId, Stop, SymbolId,
    Transition, HEAD_MARKER,
};
use std::collections::HashMap;
use std::fmt;

/// Largest number of states a machine may have (ids are `u16`).
pub(crate) const MAX_STATES: usize = u16::MAX as usize;
/// Largest number of symbols a machine may have (ids are `u8`).
pub(crate) const MAX_SYMBOLS: usize = u8::MAX as usize;

/// One problem found in a machine spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    /// 1-based line in the source file, where known.
    pub line: Option<usize>,
    /// What is wrong.
    pub kind: ValidationErrorKind,
}

/// The kinds of problem validation finds.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValidationErrorKind {
    /// The machine has no states or no symbols.
    #[error("empty machine: {0}")]
    Empty(&'static str),
    /// A symbol is not exactly one character.
    #[error("symbol \"{symbol}\" in {place} is not a single character")]
    NotSingleChar {
        /// The symbol as written.
        symbol: String,
        /// Where it was used.
        place: String,
    },
    /// The same symbol is listed twice.
    #[error("symbol '{0}' is listed twice in symbols")]
    DuplicateSymbol(char),
    /// The same state is listed twice.
    #[error("state \"{0}\" is listed twice in states")]
    DuplicateState(String),
    /// A symbol is used that is not in `symbols`.
    #[error("symbol '{symbol}' in {place} is not in the alphabet {{{alphabet}}}")]
    UnknownSymbol {
        /// The symbol.
        symbol: char,
        /// Where it was used.
        place: String,
        /// The machine's alphabet, as one string.
        alphabet: String,
    },
    /// The blank is not in `symbols`.
    #[error("blank '{0}' is not in the alphabet")]
    BlankNotInAlphabet(char),
    /// A state is used that is not in `states`.
    #[error("unknown state \"{state}\" in {place}")]
    UnknownState {
        /// The state's name.
        state: String,
        /// Where it was used.
        place: String,
    },
    /// Two rules for the same (state, read).
    #[error("duplicate rule for state \"{state}\" reading '{symbol}' (first given {first})")]
    DuplicateRule {
        /// The state.
        state: String,
        /// The symbol read.
        symbol: char,
        /// Where the first rule was given.
        first: String,
    },
    /// A rule leaves a halting state.
    #[error("rule out of halting state \"{0}\": halting states have no rules")]
    RuleFromHalting(String),
    /// More states or symbols than the ids can hold.
    #[error("too many {what}: {count} (at most {max})")]
    TooMany {
        /// `states` or `symbols`.
        what: &'static str,
        /// How many the spec has.
        count: usize,
        /// How many fit.
        max: usize,
    },
    /// An example's `stop` is not a known reason.
    #[error("unknown stop \"{0}\" in example (expected halted, no-rule or step-limit)")]
    UnknownStop(String),
    /// An `inputs` distribution with no parts or an empty part.
    #[error("inputs: every part needs at least one character")]
    EmptyInputPart,
    /// An example that stops at the step limit but gives no `max_steps`.
    #[error("example stops at the step limit but gives no max_steps")]
    MissingMaxSteps,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

/// Every problem found in one machine spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationErrors {
    /// The file the spec came from, if any.
    pub source: Option<String>,
    /// The problems, in the order found (file order).
    pub errors: Vec<ValidationError>,
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(
            f,
            "{} problem{} in machine",
            n,
            if n == 1 { "" } else { "s" }
        )?;
        if let Some(s) = &self.source {
            write!(f, " {s}")?;
        }
        for e in &self.errors {
            write!(f, "\n  ")?;
            if let Some(s) = &self.source {
                match e.line {
                    Some(l) => write!(f, "{s}:{l}: ")?,
                    None => write!(f, "{s}: ")?,
                }
                write!(f, "{}", e.kind)?;
            } else {
                write!(f, "{e}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

/// Checks a spec and builds the [`Machine`], or returns every problem found.
///
/// `map` gives line numbers (pass `None` for specs that did not come from RON text);
/// `source` names the file in messages.
pub fn validate(
    spec: &MachineSpec,
    map: Option<&SourceMap>,
    source: Option<&str>,
) -> Result<Machine, ValidationErrors> {
    let mut v = Validator {
        errors: Vec::new(),
        map,
    };
    let spec = &printable_spec(spec);
    let machine = v.run(spec);
    match machine {
        Some(m) if v.errors.is_empty() => Ok(m),
        _ => Err(ValidationErrors {
            source: source.map(str::to_string),
            errors: v.errors,
        }),
    }
}

/// `spec` with every name and symbol it holds escaped ([`printable`]): a machine file's
/// control characters reach no terminal, page or picture, and no error message either. A
/// symbol that is a control character becomes several characters, which validation then
/// refuses as not a single character, naming it escaped.
fn printable_spec(spec: &MachineSpec) -> MachineSpec {
    let p = |s: &String| crate::printable::printable(s).into_owned();
    let po = |s: &Option<String>| s.as_ref().map(p);
    MachineSpec {
        name: p(&spec.name),
        description: p(&spec.description),
        symbols: spec.symbols.iter().map(p).collect(),
        blank: p(&spec.blank),
        states: spec.states.iter().map(p).collect(),
        start: p(&spec.start),
        halting: spec.halting.iter().map(p).collect(),
        rules: spec
            .rules
            .iter()
            .map(|r| RuleSpec(p(&r.0), p(&r.1), p(&r.2), r.3, p(&r.4)))
            .collect(),
        input: po(&spec.input),
        inputs: spec.inputs.clone(),
        examples: spec
            .examples
            .iter()
            .map(|e| ExampleSpec {
                input: p(&e.input),
                state: po(&e.state),
                tape: po(&e.tape),
                stop: po(&e.stop),
                ..e.clone()
            })
            .collect(),
        convention: spec.convention.clone(),
    }
}

struct Validator<'a> {
    errors: Vec<ValidationError>,
    map: Option<&'a SourceMap>,
}

impl Validator<'_> {
    fn key_line(&self, key: &str) -> Option<usize> {
        self.map.and_then(|m| m.key(key))
    }

    fn item_line(&self, key: &str, i: usize) -> Option<usize> {
        self.map.and_then(|m| m.item(key, i))
    }

    fn push(&mut self, line: Option<usize>, kind: ValidationErrorKind) {
        self.errors.push(ValidationError { line, kind });
    }

    /// A one-character symbol, or an error naming where it was used.
    fn single_char(&mut self, s: &str, place: &str, line: Option<usize>) -> Option<char> {
        let mut it = s.chars();
        match (it.next(), it.next()) {
            (Some(c), None) => Some(c),
            _ => {
                self.push(
                    line,
                    ValidationErrorKind::NotSingleChar {
                        symbol: s.to_string(),
                        place: place.into(),
                    },
                );
                None
            }
        }
    }

    fn symbol(
        &mut self,
        s: &str,
        ids: &HashMap<char, SymbolId>,
        alphabet: &str,
        place: &str,
        line: Option<usize>,
    ) -> Option<SymbolId> {
        let c = self.single_char(s, place, line)?;
        match ids.get(&c) {
            Some(&id) => Some(id),
            None => {
                self.push(
                    line,
                    ValidationErrorKind::UnknownSymbol {
                        symbol: c,
                        place: place.into(),
                        alphabet: alphabet.into(),
                    },
                );
                None
            }
        }
    }

    fn state(
        &mut self,
        s: &str,
        ids: &HashMap<&str, StateId>,
        place: &str,
        line: Option<usize>,
    ) -> Option<StateId> {
        match ids.get(s) {
            Some(&id) => Some(id),
            None => {
                self.push(
                    line,
                    ValidationErrorKind::UnknownState {
                        state: s.to_string(),
                        place: place.into(),
                    },
                );
                None
            }
        }
    }

    fn run(&mut self, spec: &MachineSpec) -> Option<Machine> {
        // Alphabet.
        if spec.symbols.is_empty() {
            self.push(
                self.key_line("symbols"),
                ValidationErrorKind::Empty("no symbols"),
            );
        }
        if spec.states.is_empty() {
            self.push(
                self.key_line("states"),
                ValidationErrorKind::Empty("no states"),
            );
        }
        if spec.symbols.len() > MAX_SYMBOLS {
            let (count, line) = (spec.symbols.len(), self.key_line("symbols"));
            self.push(
                line,
                ValidationErrorKind::TooMany {
                    what: "symbols",
                    count,
                    max: MAX_SYMBOLS,
                },
            );
            return None;
        }
        if spec.states.len() > MAX_STATES {
            let (count, line) = (spec.states.len(), self.key_line("states"));
            self.push(
                line,
                ValidationErrorKind::TooMany {
                    what: "states",
                    count,
                    max: MAX_STATES,
                },
            );
            return None;
        }
        let mut symbols = Vec::new();
        let mut sym_ids = HashMap::new();
        for (i, s) in spec.symbols.iter().enumerate() {
            let line = self.item_line("symbols", i);
            if let Some(c) = self.single_char(s, "symbols", line) {
                match sym_ids.entry(c) {
                    std::collections::hash_map::Entry::Occupied(_) => {
                        self.push(line, ValidationErrorKind::DuplicateSymbol(c));
                    }
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(SymbolId(symbols.len() as u8));
                        symbols.push(c);
                    }
                }
            }
        }
        let alphabet: String = symbols.iter().collect();
        let blank_line = self.key_line("blank");
        let blank = self
            .single_char(&spec.blank, "blank", blank_line)
            .and_then(|c| {
                let id = sym_ids.get(&c).copied();
                if id.is_none() {
                    self.push(blank_line, ValidationErrorKind::BlankNotInAlphabet(c));
                }
                id
            });

        // States.
        let mut state_ids: HashMap<&str, StateId> = HashMap::new();
        for (i, q) in spec.states.iter().enumerate() {
            if state_ids.contains_key(q.as_str()) {
                let line = self.item_line("states", i);
                self.push(line, ValidationErrorKind::DuplicateState(q.clone()));
            } else {
                state_ids.insert(q, StateId(i as u16));
            }
        }
        let start = self.state(&spec.start, &state_ids, "start", self.key_line("start"));
        let mut halting = vec![false; spec.states.len()];
        for (i, q) in spec.halting.iter().enumerate() {
            let line = self.item_line("halting", i);
            if let Some(id) = self.state(q, &state_ids, "halting", line) {
                halting[id.index()] = true;
            }
        }

        // Rules.
        let k = symbols.len().max(1);
        let mut table: Vec<Option<Transition>> = vec![None; spec.states.len() * k];
        let mut first_line: Vec<Option<Option<usize>>> = vec![None; table.len()];
        for (i, r) in spec.rules.iter().enumerate() {
            let line = self.item_line("rules", i);
            let place = format!("rule {} ({}, {})", i + 1, r.0, r.1);
            let q = self.state(&r.0, &state_ids, &place, line);
            let s = self.symbol(&r.1, &sym_ids, &alphabet, &place, line);
            let w = self.symbol(&r.2, &sym_ids, &alphabet, &place, line);
            let next = self.state(&r.4, &state_ids, &place, line);
            if let Some(q) = q {
                if halting[q.index()] {
                    self.push(line, ValidationErrorKind::RuleFromHalting(r.0.clone()));
                }
            }
            if let (Some(q), Some(s), Some(write), Some(next)) = (q, s, w, next) {
                let slot = q.index() * k + s.index();
                if let Some(first) = first_line[slot] {
                    let first = match first {
                        Some(l) => format!("on line {l}"),
                        None => "earlier".to_string(),
                    };
                    self.push(
                        line,
                        ValidationErrorKind::DuplicateRule {
                            state: r.0.clone(),
                            symbol: symbols[s.index()],
                            first,
                        },
                    );
                } else {
                    first_line[slot] = Some(line);
                    table[slot] = Some(Transition {
                        write,
                        movement: r.3,
                        next,
                    });
                }
            }
        }

        // Examples.
        let mut examples = Vec::new();
        for (i, e) in spec.examples.iter().enumerate() {
            let line = self.item_line("examples", i);
            let place = format!("example {} input", i + 1);
            let mut input = Vec::new();
            let mut ok = true;
            // A `*` that is not a symbol marks the head's start, as in an input word.
            let (chars, head) = split_head_marker(&e.input, sym_ids.contains_key(&HEAD_MARKER));
            for (_, c) in chars {
                match sym_ids.get(&c) {
                    Some(&id) => input.push(id),
                    None => {
                        ok = false;
                        self.push(
                            line,
                            ValidationErrorKind::UnknownSymbol {
                                symbol: c,
                                place: place.clone(),
                                alphabet: alphabet.clone(),
                            },
                        );
                    }
                }
            }
            let stop = match e.stop.as_deref() {
                None => Some(Stop::Halted),
                Some(name) => {
                    let stop = Stop::from_name(name);
                    if stop.is_none() {
                        self.push(line, ValidationErrorKind::UnknownStop(name.to_string()));
                    }
                    stop
                }
            };
            if stop == Some(Stop::StepLimit) && e.max_steps.is_none() {
                self.push(line, ValidationErrorKind::MissingMaxSteps);
            }
            let state = match &e.state {
                Some(q) => {
                    let place = format!("example {} state", i + 1);
                    let id = self.state(q, &state_ids, &place, line);
                    ok &= id.is_some();
                    id
                }
                None => None,
            };
            if let Some(tape) = &e.tape {
                for c in tape.chars() {
                    if !sym_ids.contains_key(&c) {
                        ok = false;
                        self.push(
                            line,
                            ValidationErrorKind::UnknownSymbol {
                                symbol: c,
                                place: format!("example {} tape", i + 1),
                                alphabet: alphabet.clone(),
                            },
                        );
                    }
                }
            }
            if let (true, Some(stop)) = (ok, stop) {
                examples.push(Example {
                    input: Input::new(input, head),
                    input_text: e.input.clone(),
                    steps: e.steps,
                    stop,
                    state,
                    tape: e.tape.clone(),
                    nonblank: e.nonblank,
                    max_steps: e.max_steps,
                    line,
                });
            }
        }

        let inputs = spec.inputs.as_ref().and_then(|d| {
            let line = self.key_line("inputs");
            if d.parts.is_empty() || d.parts.iter().any(String::is_empty) {
                self.push(line, ValidationErrorKind::EmptyInputPart);
                return None;
            }
            let mut word = |w: &str, place: &str| -> Option<Vec<SymbolId>> {
                w.chars()
                    .map(|c| {
                        let id = sym_ids.get(&c).copied();
                        if id.is_none() {
                            self.push(
                                line,
                                ValidationErrorKind::UnknownSymbol {
                                    symbol: c,
                                    place: place.into(),
                                    alphabet: alphabet.clone(),
                                },
                            );
                        }
                        id
                    })
                    .collect()
            };
            let parts: Option<Vec<_>> = d.parts.iter().map(|p| word(p, "inputs parts")).collect();
            let separator = word(&d.separator, "inputs separator");
            Some(InputDistribution::new(parts?, separator?))
        });
        let (blank, start) = (blank?, start?);
        if symbols.is_empty() || spec.states.is_empty() {
            return None;
        }
        Some(Machine {
            name: spec.name.clone(),
            description: spec.description.clone(),
            symbols,
            blank,
            states: spec.states.clone(),
            start,
            halting,
            table,
            examples,
            inputs,
            input: spec.input.clone(),
            space_is_blank: false,
            convention: spec.convention.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::ron_format;

    fn check(text: &str) -> Result<Machine, ValidationErrors> {
        let spec = ron_format::parse(text).expect("parses");
        let map = SourceMap::scan(text);
        validate(&spec, Some(&map), Some("t.ron"))
    }

    const GOOD: &str = r#"(
    symbols: ["0", "1"],
    blank: "0",
    states: ["A", "Z"],
    start: "A",
    halting: ["Z"],
    rules: [
        ("A", "0", "1", R, "Z"),
    ],
)"#;

    #[test]
    fn accepts_good_machine() {
        let m = check(GOOD).unwrap();
        assert_eq!(m.num_states(), 2);
        assert!(m.is_halting(StateId(1)));
        assert!(m.rule(StateId(0), SymbolId(1)).is_none());
    }

    #[test]
    fn reports_every_problem_with_lines() {
        let text = r#"(
    symbols: ["0", "1", "22"],
    blank: "x",
    states: ["A", "Z", "A"],
    start: "B",
    halting: ["Z"],
    rules: [
        ("A", "0", "1", R, "Q"),
        ("A", "0", "1", R, "Z"),
        ("A", "0", "0", L, "Z"),
        ("Z", "0", "1", R, "A"),
    ],
    examples: [(input: "012", steps: 1)],
)"#;
        let errs = check(text).unwrap_err();
        let msg = errs.to_string();
        let kinds: Vec<_> = errs
            .errors
            .iter()
            .map(|e| (e.line, e.kind.clone()))
            .collect();
        assert!(
            msg.contains("t.ron:2: symbol \"22\" in symbols is not a single character"),
            "{msg}"
        );
        assert!(
            msg.contains("t.ron:3: blank 'x' is not in the alphabet"),
            "{msg}"
        );
        assert!(
            msg.contains("t.ron:4: state \"A\" is listed twice"),
            "{msg}"
        );
        assert!(
            msg.contains("t.ron:5: unknown state \"B\" in start"),
            "{msg}"
        );
        assert!(
            msg.contains("t.ron:8: unknown state \"Q\" in rule 1 (A, 0)"),
            "{msg}"
        );
        assert!(
            msg.contains(
                "t.ron:10: duplicate rule for state \"A\" reading '0' (first given on line 9)"
            ),
            "{msg}"
        );
        assert!(
            msg.contains("t.ron:11: rule out of halting state \"Z\""),
            "{msg}"
        );
        assert!(
            msg.contains("t.ron:13: symbol '2' in example 1 input"),
            "{msg}"
        );
        assert!(kinds.len() >= 8, "{kinds:?}");
    }

    #[test]
    fn empty_machine_is_an_error() {
        let text = "(symbols: [], blank: \"0\", states: [], start: \"A\", rules: [])";
        let msg = check(text).unwrap_err().to_string();
        assert!(msg.contains("empty machine: no symbols"), "{msg}");
        assert!(msg.contains("empty machine: no states"), "{msg}");
    }
}
