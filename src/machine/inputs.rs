//! Input distributions: what a "random input of length n" means for a machine.
//!
//! A machine file may say `inputs: (parts: ["01", "01"], separator: "+")`: an input is the
//! parts joined by the separator, each part a uniformly random word over its alphabet, the
//! length n split as evenly as possible between the parts (each part gets at least one
//! character). Without it, an input is one word over the characters of the file's example
//! inputs (or, with no examples, over every non-blank symbol). `arsim length --random`
//! and the learner draw from here, seeded.

use super::{Machine, SymbolId};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// The `inputs` field of a machine file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// The alphabet of each part, as a string of its characters.
    pub parts: Vec<String>,
    /// What stands between two parts.
    #[serde(default)]
    pub separator: String,
}

/// A validated input distribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputDistribution {
    parts: Vec<Vec<SymbolId>>,
    separator: Vec<SymbolId>,
}

impl InputDistribution {
    /// A distribution from symbol ids (`parts` must be non-empty, each part non-empty).
    pub fn new(parts: Vec<Vec<SymbolId>>, separator: Vec<SymbolId>) -> InputDistribution {
        InputDistribution { parts, separator }
    }

    /// The default for `m`: one part over the characters of its example inputs, or over every
    /// non-blank symbol when the examples have no input characters.
    pub fn default_for(m: &Machine) -> InputDistribution {
        let mut used: Vec<SymbolId> = m
            .examples()
            .iter()
            .flat_map(|e| e.input.iter().copied())
            .collect();
        used.sort_unstable();
        used.dedup();
        if used.is_empty() {
            used = (0..m.num_symbols() as u8)
                .map(SymbolId)
                .filter(|&s| s != m.blank())
                .collect();
        }
        InputDistribution {
            parts: vec![used],
            separator: Vec::new(),
        }
    }

    /// The spec that describes this distribution.
    pub fn to_spec(&self, m: &Machine) -> InputSpec {
        InputSpec {
            parts: self.parts.iter().map(|p| m.render(p)).collect(),
            separator: m.render(&self.separator),
        }
    }

    /// The alphabets of the parts, in order.
    pub fn parts(&self) -> &[Vec<SymbolId>] {
        &self.parts
    }

    /// The symbols between two parts.
    pub fn separator(&self) -> &[SymbolId] {
        &self.separator
    }

    /// The shortest length with one character in every part.
    pub fn min_len(&self) -> usize {
        self.parts.len() + self.separator.len() * self.parts.len().saturating_sub(1)
    }

    /// A random input of (about) `len` characters: exactly `len` when `len >= min_len()`.
    pub fn sample(&self, len: usize, rng: &mut impl Rng) -> Vec<SymbolId> {
        let k = self.parts.len().max(1);
        let free = len.saturating_sub(self.separator.len() * (k - 1)).max(k);
        let mut out = Vec::with_capacity(len);
        for (i, alphabet) in self.parts.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(&self.separator);
            }
            let n = free / k + usize::from(i < free % k);
            for _ in 0..n {
                if !alphabet.is_empty() {
                    out.push(alphabet[rng.random_range(0..alphabet.len())]);
                }
            }
        }
        out
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
        let d = m.input_distribution();
        assert_eq!(d.min_len(), 3);
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
            examples: [(input: "ab", steps: 0, stop: "no-rule")])"#;
        let m = from_ron_text(text, "t.ron", "t").unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let w = m.render(&m.input_distribution().sample(50, &mut rng));
        assert!(
            w.contains('a') && w.contains('b') && !w.contains('c'),
            "{w}"
        );
    }
}
