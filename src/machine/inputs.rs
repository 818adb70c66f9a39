//! Input distributions: what a "random input of length n" means for a machine.
//!
//! One distribution for every command that draws inputs (`arsim length --random`, `arsim
//! learn`): a [`Pattern`] of literal symbols and symbol classes, e.g. `[01]*+[01]*`. A machine
//! file may say `inputs: (parts: ["01", "01"], separator: "+")`: the parts are starred classes
//! joined by the separator ([`Pattern::for_machine`]). Without it, the pattern is inferred from
//! the file's example inputs (symbols that occur once in every example, in the same order, are
//! separators; `binary-add` gives `[01]*+[01]*`), or is `[Γ∖{blank}]*` with no examples.
//! [`Pattern::sample`] draws a word of length n (the runs share n evenly); the learner draws
//! distinct words of given run lengths (`learn::inputs`).

use super::model::{InputDistribution, Machine, SymbolId};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// The `inputs` field of a machine file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistributionSpec {
    /// The alphabet of each part, as a string of its characters.
    pub parts: Vec<String>,
    /// What stands between two parts.
    #[serde(default)]
    pub separator: String,
}

/// One item of a [`Pattern`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// This symbol.
    Literal(SymbolId),
    /// One symbol of the class, or (`run`) a run of them whose length comes from the lengths.
    Class {
        /// The symbols, sorted.
        symbols: Vec<SymbolId>,
        /// Whether the class repeats.
        run: bool,
    },
}

/// A sequence of literal symbols and symbol classes, e.g. `[01]*+[01]*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    /// The items, left to right.
    pub items: Vec<Item>,
}

/// A pattern that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// A character that is not a tape symbol.
    #[error("pattern character '{0}' at position {1} is not a symbol of the machine")]
    Symbol(char, usize),
    /// `[` without `]`.
    #[error("pattern has '[' at position {0} without a closing ']'")]
    Unclosed(usize),
    /// `[]`.
    #[error("pattern has an empty class at position {0}")]
    EmptyClass(usize),
}

impl Pattern {
    /// Parses `[abc]` classes (a following `*` makes a run), `\c` and other characters as
    /// literal symbols of `machine`.
    pub fn parse(machine: &Machine, text: &str) -> Result<Pattern, PatternError> {
        let chars: Vec<char> = text.chars().collect();
        let sym = |c: char, i: usize| machine.symbol_id(c).ok_or(PatternError::Symbol(c, i));
        let mut items = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '[' => {
                    let close = (i + 1..chars.len())
                        .find(|&j| chars[j] == ']')
                        .ok_or(PatternError::Unclosed(i))?;
                    let mut symbols = (i + 1..close)
                        .map(|j| sym(chars[j], j))
                        .collect::<Result<Vec<_>, _>>()?;
                    if symbols.is_empty() {
                        return Err(PatternError::EmptyClass(i));
                    }
                    symbols.sort_unstable();
                    symbols.dedup();
                    let run = chars.get(close + 1) == Some(&'*');
                    items.push(Item::Class { symbols, run });
                    i = close + 1 + usize::from(run);
                }
                '\\' if i + 1 < chars.len() => {
                    items.push(Item::Literal(sym(chars[i + 1], i + 1)?));
                    i += 2;
                }
                c => {
                    items.push(Item::Literal(sym(c, i)?));
                    i += 1;
                }
            }
        }
        Ok(Pattern { items })
    }

    /// `[symbols]*`: any word over `symbols`.
    pub fn words_over(symbols: &[SymbolId]) -> Pattern {
        let mut symbols = symbols.to_vec();
        symbols.sort_unstable();
        symbols.dedup();
        Pattern {
            items: vec![Item::Class { symbols, run: true }],
        }
    }

    /// The pattern of the machine file's example inputs (see the module docs).
    pub fn from_examples(machine: &Machine) -> Pattern {
        Pattern::inferred(machine)
    }

    /// The machine's own input distribution as a pattern: the file's `inputs:` field when it
    /// has one (each part a starred class, the separator literal between parts: the
    /// distribution `arsim length --random` draws from), else
    /// [`Pattern::from_examples`]. This is what `arsim learn` draws from by default.
    pub fn for_machine(machine: &Machine) -> Pattern {
        let Some(d) = &machine.inputs else {
            return Pattern::inferred(machine);
        };
        let mut items = Vec::new();
        for (i, part) in d.parts().iter().enumerate() {
            if i > 0 {
                items.extend(d.separator().iter().map(|&s| Item::Literal(s)));
            }
            let mut symbols = part.clone();
            symbols.sort_unstable();
            symbols.dedup();
            items.push(Item::Class { symbols, run: true });
        }
        Pattern { items }
    }

    /// The shape of the file's example inputs (see [`Pattern::from_examples`]).
    fn inferred(machine: &Machine) -> Pattern {
        let inputs: Vec<&[SymbolId]> = machine
            .examples()
            .iter()
            .map(|e| &e.input[..])
            .filter(|w| !w.is_empty())
            .collect();
        let used: Vec<SymbolId> = {
            let mut u: Vec<SymbolId> = inputs.iter().flat_map(|w| w.iter().copied()).collect();
            u.sort_unstable();
            u.dedup();
            u
        };
        if inputs.is_empty() {
            let non_blank: Vec<SymbolId> = (0..machine.num_symbols())
                .map(|i| SymbolId(i as u8))
                .filter(|&s| s != machine.blank())
                .collect();
            return Pattern::words_over(&non_blank);
        }
        let once_everywhere = |s: SymbolId| {
            inputs
                .iter()
                .all(|w| w.iter().filter(|&&x| x == s).count() == 1)
        };
        let separators_of = |w: &[SymbolId]| -> Vec<SymbolId> {
            w.iter().copied().filter(|&s| once_everywhere(s)).collect()
        };
        let separators = separators_of(inputs[0]);
        if separators.is_empty() || inputs.iter().any(|w| separators_of(w) != separators) {
            return Pattern::words_over(&used);
        }
        let rest: Vec<SymbolId> = used
            .iter()
            .copied()
            .filter(|s| !separators.contains(s))
            .collect();
        // The symbols seen in each run between separators.
        let mut runs: Vec<Vec<SymbolId>> = vec![Vec::new(); separators.len() + 1];
        for w in &inputs {
            let mut k = 0;
            for &s in w.iter() {
                if k < separators.len() && s == separators[k] {
                    k += 1;
                } else {
                    runs[k].push(s);
                }
            }
        }
        let mut items = Vec::new();
        for (k, mut run) in runs.into_iter().enumerate() {
            run.sort_unstable();
            run.dedup();
            let symbols = if run.is_empty() { rest.clone() } else { run };
            if !symbols.is_empty() {
                items.push(Item::Class { symbols, run: true });
            }
            if let Some(&s) = separators.get(k) {
                items.push(Item::Literal(s));
            }
        }
        Pattern { items }
    }

    /// A random word of `len` symbols (or the fewest the pattern allows, when `len` is smaller):
    /// literals and unstarred classes take their one symbol, the runs share the rest as evenly
    /// as possible (the earlier runs one longer), each at least one symbol; every symbol is drawn
    /// uniformly from its class. This is what "a random input of length n" means
    /// (`arsim length --random`).
    pub fn sample(&self, len: usize, rng: &mut impl Rng) -> Vec<SymbolId> {
        let runs = self.runs();
        let fixed = self.items.len() - runs;
        let free = len.saturating_sub(fixed).max(runs);
        let shape: Vec<usize> = (0..runs)
            .map(|i| free / runs.max(1) + usize::from(i < free % runs.max(1)))
            .collect();
        word_of(self, &shape, |k| rng.random_range(0..k))
    }

    /// The pattern as text, e.g. `[01]*+[01]*`.
    pub fn render(&self, machine: &Machine) -> String {
        let mut out = String::new();
        for item in &self.items {
            match item {
                Item::Literal(s) => {
                    let c = machine.symbol_char(*s);
                    if matches!(c, '[' | ']' | '*' | '\\') {
                        out.push('\\');
                    }
                    out.push(c);
                }
                Item::Class { symbols, run } => {
                    out.push('[');
                    out.extend(symbols.iter().map(|&s| machine.symbol_char(s)));
                    out.push(']');
                    if *run {
                        out.push('*');
                    }
                }
            }
        }
        out
    }

    pub(crate) fn runs(&self) -> usize {
        self.items
            .iter()
            .filter(|i| matches!(i, Item::Class { run: true, .. }))
            .count()
    }
}

/// The word of `pattern` with run lengths `shape`, each class symbol chosen by `choose(k)`.
pub(crate) fn word_of(
    pattern: &Pattern,
    shape: &[usize],
    mut choose: impl FnMut(usize) -> usize,
) -> Vec<SymbolId> {
    let mut runs = shape.iter();
    let mut w = Vec::new();
    for item in &pattern.items {
        match item {
            Item::Literal(s) => w.push(*s),
            Item::Class { symbols, run } => {
                let len = if *run { *runs.next().unwrap_or(&0) } else { 1 };
                for _ in 0..len {
                    w.push(symbols[choose(symbols.len())]);
                }
            }
        }
    }
    w
}

impl InputDistribution {
    /// The spec that describes this distribution.
    pub fn to_spec(&self, m: &Machine) -> DistributionSpec {
        DistributionSpec {
            parts: self.parts.iter().map(|p| m.render(p)).collect(),
            separator: m.render(&self.separator),
        }
    }
}

impl Machine {
    /// What a random input looks like: the file's `inputs`, else the shape of its examples
    /// ([`Pattern::for_machine`]); `length` and `learn` both draw from it.
    pub fn input_pattern(&self) -> Pattern {
        Pattern::for_machine(self)
    }
}

#[cfg(test)]
mod tests {
    use crate::machine::load::from_ron_text;
    use rand::SeedableRng;

    #[test]
    fn samples_have_the_shape_and_length() {
        let text = r#"(symbols: ["_", "0", "1", "+"], blank: "_", states: ["A"], start: "A", rules: [],
            inputs: (parts: ["01", "1"], separator: "+"))"#;
        let m = from_ron_text(text, "t.ron", "t").unwrap();
        let d = m.input_pattern();
        assert_eq!(d.render(&m), "[01]*+[1]*");
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for len in 3..12 {
            let w = m.render(&d.sample(len, &mut rng));
            assert_eq!(w.len(), len, "{w}");
            let (a, b) = w.split_once('+').unwrap();
            assert_eq!(a.len(), (len - 1).div_ceil(2));
            assert!(b.chars().all(|c| c == '1'));
        }
    }

    #[test]
    fn default_uses_example_inputs() {
        let text = r#"(symbols: ["_", "a", "b", "c"], blank: "_", states: ["A"], start: "A", rules: [],
            examples: [(input: "ab", steps: 0, stop: "no-rule"), (input: "bba", steps: 0, stop: "no-rule")])"#;
        let m = from_ron_text(text, "t.ron", "t").unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let w = m.render(&m.input_pattern().sample(50, &mut rng));
        assert_eq!(w.len(), 50);
        assert!(
            w.contains('a') && w.contains('b') && !w.contains('c'),
            "{w}"
        );
        // A separator the examples share is kept, as the learner infers it.
        let text = r#"(symbols: ["_", "0", "1", "+"], blank: "_", states: ["A"], start: "A", rules: [],
            examples: [(input: "0011+1", steps: 0, stop: "no-rule"), (input: "1+1001", steps: 0, stop: "no-rule")])"#;
        let m = from_ron_text(text, "t.ron", "t").unwrap();
        let w = m.render(&m.input_pattern().sample(9, &mut rng));
        assert_eq!((w.len(), w.matches('+').count()), (9, 1), "{w}");
    }
}
