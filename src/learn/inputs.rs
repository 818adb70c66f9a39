//! The input distribution of a learning run: which words the machine is run on, split into
//! training and held-out inputs that never overlap.
//!
//! This is the first stage of `learn` (inputs → traces → examples → learner → evaluation).
//! Two distributions:
//! - [`InputSpec::Random`]: words of a [`Pattern`], a sequence of literal symbols and symbol
//!   classes such as `[01]*+[01]*` (two binary numbers around a `+`). Each starred class is a
//!   run whose length is drawn from a list of lengths, an unstarred class is one symbol. A draw
//!   picks the run lengths uniformly, then a word of those lengths uniformly, without
//!   replacement (every input is distinct). The default pattern is inferred from the machine
//!   file's example inputs ([`Pattern::from_examples`]): symbols that occur exactly once in
//!   every example, in the same order, are separators, and the runs between them are over the
//!   symbols that the examples use there (`binary-add` gives `[01]*+[01]*`, `palindrome`
//!   `[ab]*`); a machine without non-empty examples gets `[Γ∖{blank}]*`;
//! - [`InputSpec::Listed`]: a given set of words, shuffled.
//!
//! The first `train` draws are the training inputs, the next `test` the held-out ones, so the
//! two are disjoint, and the training inputs of a smaller run are a prefix of a larger one's
//! (the sample-complexity sweep relies on that).

use crate::machine::inputs::word_of;
pub use crate::machine::inputs::{Item, Pattern, PatternError};
use crate::machine::SymbolId;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::HashSet;

/// Where the inputs come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputSpec {
    /// Words of `pattern`, each run's length drawn from `lengths`, all distinct.
    Random {
        /// The shape of the words.
        pattern: Pattern,
        /// The run lengths; `None`: the smallest `1..=L` that has at least twice as many
        /// distinct words as the run needs ([`auto_lengths`]).
        lengths: Option<Vec<usize>>,
        /// The held-out words' run lengths, when they differ from the training words' (length
        /// extrapolation: train on short runs, test on longer ones); `None`: as `lengths`.
        eval_lengths: Option<Vec<usize>>,
    },
    /// These words, shuffled (duplicates are dropped).
    Listed(Vec<Vec<SymbolId>>),
    /// The caller's own split (a task's train/validation pairs), used as given: the first
    /// `train` training words and the first `test` held-out words, in order.
    Given {
        /// Training words.
        train: Vec<Vec<SymbolId>>,
        /// Held-out words (must not be among the training words).
        test: Vec<Vec<SymbolId>>,
    },
}

/// The inputs of a learning run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputSplit {
    /// Training inputs, in draw order.
    pub train: Vec<Vec<SymbolId>>,
    /// Held-out inputs, disjoint from `train`.
    pub test: Vec<Vec<SymbolId>>,
    /// The run lengths used (random inputs).
    pub lengths: Option<Vec<usize>>,
    /// The held-out run lengths, when they differ from `lengths` (length extrapolation).
    pub eval_lengths: Option<Vec<usize>>,
}

/// Why the inputs cannot be drawn.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum InputsError {
    /// Fewer distinct words exist than the run needs.
    #[error("the input distribution has only {available} distinct words; {needed} are needed ({train} training + {test} held-out): allow more run lengths, or draw fewer training or held-out words")]
    TooFew {
        /// Distinct words available.
        available: u64,
        /// Words needed.
        needed: u64,
        /// Training inputs asked for.
        train: usize,
        /// Held-out inputs asked for.
        test: usize,
    },
    /// No lengths were given.
    #[error("no input lengths were given")]
    NoLengths,
    /// Too many combinations of run lengths to draw from.
    #[error("the pattern has {runs} runs and {lengths} lengths each: too many shapes of words")]
    TooManyShapes {
        /// Starred classes in the pattern.
        runs: usize,
        /// Lengths per run.
        lengths: usize,
    },
}

/// Most combinations of run lengths a pattern may have.
const MAX_SHAPES: u64 = 1 << 16;

/// Number of distinct words of `pattern` with run lengths from `lengths`, saturating.
pub(crate) fn count_words(pattern: &Pattern, lengths: &[usize]) -> u64 {
    let mut total = 1u64;
    for item in &pattern.items {
        if let Item::Class { symbols, run } = item {
            let k = symbols.len() as u64;
            let options = if *run {
                lengths.iter().fold(0u64, |acc, &l| {
                    acc.saturating_add(k.saturating_pow(l as u32))
                })
            } else {
                k
            };
            total = total.saturating_mul(options);
        }
    }
    total
}

/// The smallest `1..=L` (L ≤ 64) with at least `2·needed` distinct words (or 64 if none has).
pub fn auto_lengths(pattern: &Pattern, needed: usize) -> Vec<usize> {
    let mut l = 1;
    while l < 64 && count_words(pattern, &(1..=l).collect::<Vec<_>>()) < 2 * needed as u64 {
        l += 1;
    }
    (1..=l).collect()
}

/// Draws `train` training and `test` held-out inputs, all distinct, from `spec` with `seed`.
pub fn split(
    spec: &InputSpec,
    train: usize,
    test: usize,
    seed: u64,
) -> Result<InputSplit, InputsError> {
    let needed = train + test;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let too_few = |available: u64| InputsError::TooFew {
        available,
        needed: needed as u64,
        train,
        test,
    };
    match spec {
        InputSpec::Given {
            train: given_train,
            test: given_test,
        } => {
            let seen: HashSet<&Vec<SymbolId>> = given_train.iter().collect();
            let test_words: Vec<_> = given_test
                .iter()
                .filter(|w| !seen.contains(w))
                .take(test)
                .cloned()
                .collect();
            if given_train.len() < train || test_words.len() < test {
                return Err(too_few(
                    (given_train.len().min(train) + test_words.len()) as u64,
                ));
            }
            Ok(InputSplit {
                train: given_train[..train].to_vec(),
                test: test_words,
                lengths: None,
                eval_lengths: None,
            })
        }
        InputSpec::Listed(words) => {
            let mut seen = HashSet::new();
            let mut distinct: Vec<Vec<SymbolId>> = words
                .iter()
                .filter(|w| seen.insert(w.to_vec()))
                .cloned()
                .collect();
            if distinct.len() < needed {
                return Err(too_few(distinct.len() as u64));
            }
            distinct.shuffle(&mut rng);
            distinct.truncate(needed);
            Ok(split_drawn(distinct, train, None))
        }
        InputSpec::Random {
            pattern,
            lengths,
            eval_lengths,
        } => {
            let lengths = match lengths {
                Some(l) => sorted(l),
                // Extrapolating, only the training words come from these lengths.
                None if eval_lengths.is_some() => auto_lengths(pattern, train),
                None => auto_lengths(pattern, needed),
            };
            if lengths.is_empty() {
                return Err(InputsError::NoLengths);
            }
            let Some(eval_lengths) = eval_lengths.as_ref().map(|l| sorted(l)) else {
                let available = count_words(pattern, &lengths);
                if available < needed as u64 {
                    return Err(too_few(available));
                }
                let words = draw(pattern, &lengths, needed, &mut rng)?;
                return Ok(split_drawn(words, train, Some(lengths)));
            };
            if eval_lengths.is_empty() {
                return Err(InputsError::NoLengths);
            }
            // Each part is short of words on its own lengths: say which.
            let short = |available: u64, train: usize, test: usize| InputsError::TooFew {
                available,
                needed: (train + test) as u64,
                train,
                test,
            };
            let available = count_words(pattern, &lengths);
            if available < train as u64 {
                return Err(short(available, train, 0));
            }
            let train_words = draw(pattern, &lengths, train, &mut rng)?;
            // Held-out words come from the other lengths; where the two sets of lengths
            // overlap, a drawn word may be a training word, so draw enough to skip them all.
            let available = count_words(pattern, &eval_lengths);
            let pool = (test as u64 + train as u64).min(available) as usize;
            let seen: HashSet<&Vec<SymbolId>> = train_words.iter().collect();
            let test_words: Vec<Vec<SymbolId>> = draw(pattern, &eval_lengths, pool, &mut rng)?
                .into_iter()
                .filter(|w| !seen.contains(w))
                .take(test)
                .collect();
            if test_words.len() < test {
                return Err(short(test_words.len() as u64, 0, test));
            }
            Ok(InputSplit {
                train: train_words,
                test: test_words,
                lengths: Some(lengths),
                eval_lengths: Some(eval_lengths),
            })
        }
    }
}

/// The first `train` of `words` for training, the rest held out.
fn split_drawn(
    mut words: Vec<Vec<SymbolId>>,
    train: usize,
    lengths: Option<Vec<usize>>,
) -> InputSplit {
    let test = words.split_off(train);
    InputSplit {
        train: words,
        test,
        lengths,
        eval_lengths: None,
    }
}

/// `lengths` sorted, without duplicates.
fn sorted(lengths: &[usize]) -> Vec<usize> {
    let mut l = lengths.to_vec();
    l.sort_unstable();
    l.dedup();
    l
}

/// `needed` distinct words: each draw picks a shape (one length per run) uniformly among those
/// with unused words left, then an unused word of that shape uniformly (by rejection while at
/// most half of the shape's words are used, else from the list of the remaining ones).
fn draw(
    pattern: &Pattern,
    lengths: &[usize],
    needed: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<Vec<SymbolId>>, InputsError> {
    let runs = pattern.runs();
    let n_shapes = (lengths.len() as u64).saturating_pow(runs as u32);
    if n_shapes > MAX_SHAPES {
        return Err(InputsError::TooManyShapes {
            runs,
            lengths: lengths.len(),
        });
    }
    let shapes: Vec<Vec<usize>> = (0..n_shapes)
        .map(|mut n| {
            (0..runs)
                .map(|_| {
                    let l = lengths[(n % lengths.len() as u64) as usize];
                    n /= lengths.len() as u64;
                    l
                })
                .collect()
        })
        .collect();
    let counts: Vec<u64> = shapes
        .iter()
        .map(|shape| {
            let mut runs = shape.iter();
            pattern.items.iter().fold(1u64, |acc, item| match item {
                Item::Literal(_) => acc,
                Item::Class { symbols, run } => {
                    let len = if *run { *runs.next().unwrap_or(&0) } else { 1 };
                    acc.saturating_mul((symbols.len() as u64).saturating_pow(len as u32))
                }
            })
        })
        .collect();
    let mut used: Vec<HashSet<Vec<SymbolId>>> = vec![HashSet::new(); shapes.len()];
    let mut open: Vec<usize> = (0..shapes.len()).filter(|&i| counts[i] > 0).collect();
    let mut out = Vec::with_capacity(needed);
    while out.len() < needed {
        let pick = rng.random_range(0..open.len());
        let i = open[pick];
        let word = if (used[i].len() as u64) * 2 < counts[i] {
            loop {
                let w = word_of(pattern, &shapes[i], |k| rng.random_range(0..k));
                if !used[i].contains(&w) {
                    break w;
                }
            }
        } else {
            // At most 2·needed words of this shape exist: list the unused ones.
            let remaining: Vec<Vec<SymbolId>> = (0..counts[i])
                .map(|n| {
                    let mut n = n;
                    word_of(pattern, &shapes[i], |k| {
                        let d = (n % k as u64) as usize;
                        n /= k as u64;
                        d
                    })
                })
                .filter(|w| !used[i].contains(w))
                .collect();
            remaining[rng.random_range(0..remaining.len())].clone()
        };
        used[i].insert(word.clone());
        if used[i].len() as u64 == counts[i] {
            open.swap_remove(pick);
        }
        out.push(word);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::load::load_machine;
    use crate::machine::Machine;

    fn machine(name: &str) -> Machine {
        load_machine(&format!(
            "{}/machines/{name}.ron",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn the_machine_files_inputs_field_comes_first() {
        // Examples suggest one word over {a, b}; the file says two runs split by `b`.
        let text = r#"(symbols: ["_", "a", "b"], blank: "_", states: ["A", "H"], start: "A",
            halting: ["H"], rules: [], inputs: (parts: ["a", "a"], separator: "b"),
            examples: [(input: "ab", steps: 0, stop: "no-rule"), (input: "aa", steps: 0, stop: "no-rule")])"#;
        let m = crate::machine::load::from_ron_text(text, "m.ron", "m").unwrap();
        assert_eq!(Pattern::from_examples(&m).render(&m), "[ab]*");
        assert_eq!(Pattern::for_machine(&m).render(&m), "[a]*b[a]*");
        let add = machine("binary-add");
        assert_eq!(Pattern::for_machine(&add).render(&add), "[01]*+[01]*");
    }

    #[test]
    fn the_default_pattern_follows_the_examples() {
        let add = machine("binary-add");
        assert_eq!(Pattern::from_examples(&add).render(&add), "[01]*+[01]*");
        let pal = machine("palindrome");
        assert_eq!(Pattern::from_examples(&pal).render(&pal), "[ab]*");
        let bb2 = load_machine("1RB1LB_1LA1RZ").unwrap();
        assert_eq!(Pattern::from_examples(&bb2).render(&bb2), "[1]*");
    }

    #[test]
    fn patterns_parse_and_render_back() {
        let add = machine("binary-add");
        let p = Pattern::parse(&add, "[10]*+[01]x").unwrap();
        assert_eq!(p.render(&add), "[01]*+[01]x");
        assert_eq!(count_words(&p, &[1, 2]), (2 + 4) * 2);
        assert_eq!(Pattern::parse(&add, "[01"), Err(PatternError::Unclosed(0)));
        assert_eq!(
            Pattern::parse(&add, "0z"),
            Err(PatternError::Symbol('z', 1))
        );
        assert_eq!(Pattern::parse(&add, "[]"), Err(PatternError::EmptyClass(0)));
    }

    #[test]
    fn train_and_test_are_distinct_disjoint_and_seeded() {
        let add = machine("binary-add");
        let spec = InputSpec::Random {
            pattern: Pattern::parse(&add, "[01]*+[01]*").unwrap(),
            lengths: Some(vec![1, 2]),
            eval_lengths: None,
        };
        // (2 + 4)² = 36 words; take them all.
        let s = split(&spec, 10, 26, 7).unwrap();
        let all: HashSet<_> = s.train.iter().chain(&s.test).cloned().collect();
        assert_eq!(all.len(), 36);
        let plus = add.symbol_id('+').unwrap();
        assert!(all
            .iter()
            .all(|w| w.iter().filter(|&&x| x == plus).count() == 1));
        assert_eq!(split(&spec, 10, 26, 7).unwrap(), s);
        assert_ne!(split(&spec, 10, 26, 8).unwrap(), s);
        // A smaller run's training inputs are a prefix of a larger one's.
        let small = split(&spec, 3, 5, 7).unwrap();
        assert_eq!(small.train[..], s.train[..3]);
        assert!(matches!(
            split(&spec, 10, 27, 7),
            Err(InputsError::TooFew {
                available: 36,
                needed: 37,
                ..
            })
        ));
    }

    #[test]
    fn extrapolation_draws_held_out_words_of_the_other_lengths() {
        let add = machine("binary-add");
        let pattern = Pattern::parse(&add, "[01]*+[01]*").unwrap();
        let spec = InputSpec::Random {
            pattern: pattern.clone(),
            lengths: Some(vec![1, 2]),
            eval_lengths: Some(vec![4, 3, 4]),
        };
        let s = split(&spec, 20, 50, 3).unwrap();
        let plus = add.symbol_id('+').unwrap();
        let runs = |w: &Vec<SymbolId>| {
            let i = w.iter().position(|&x| x == plus).unwrap();
            (i, w.len() - i - 1)
        };
        assert!(s.train.iter().map(runs).all(|(a, b)| a <= 2 && b <= 2));
        assert!(s
            .test
            .iter()
            .map(runs)
            .all(|(a, b)| (3..=4).contains(&a) && (3..=4).contains(&b)));
        assert_eq!((s.train.len(), s.test.len()), (20, 50));
        assert_eq!(s.eval_lengths, Some(vec![3, 4]));
        assert_eq!(split(&spec, 20, 50, 3).unwrap(), s);
        // Overlapping lengths: held-out words still avoid every training word.
        let overlap = InputSpec::Random {
            pattern,
            lengths: Some(vec![1, 2]),
            eval_lengths: Some(vec![2]),
        };
        let o = split(&overlap, 10, 6, 1).unwrap();
        assert!(o.test.iter().all(|w| !o.train.contains(w)));
        // 16 words of lengths (2, 2): asking for more held-out words than remain is refused.
        assert!(matches!(
            split(&overlap, 10, 17, 1),
            Err(InputsError::TooFew { .. })
        ));
    }

    #[test]
    fn automatic_lengths_give_twice_the_words_needed() {
        let pal = machine("palindrome");
        let p = Pattern::from_examples(&pal);
        // 2 + 4 + … + 2^L ≥ 2·550 first at L = 10 (2046 words).
        assert_eq!(auto_lengths(&p, 550), (1..=10).collect::<Vec<_>>());
        let spec = InputSpec::Random {
            pattern: p,
            lengths: None,
            eval_lengths: None,
        };
        assert_eq!(
            split(&spec, 5, 5, 1).unwrap().lengths,
            Some(vec![1, 2, 3, 4])
        );
    }

    #[test]
    fn listed_inputs_are_shuffled_without_duplicates() {
        let ids = |v: &[u8]| v.iter().map(|&s| SymbolId(s)).collect::<Vec<_>>();
        let words = vec![ids(&[1]), ids(&[2]), ids(&[1]), ids(&[1, 1])];
        let s = split(&InputSpec::Listed(words), 1, 2, 3).unwrap();
        let all: HashSet<_> = s.train.iter().chain(&s.test).cloned().collect();
        assert_eq!(all.len(), 3);
        assert!(split(&InputSpec::Listed(vec![]), 1, 0, 3).is_err());
    }
}
