//! The bbchallenge standard text format, e.g. `1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA`.
//!
//! One `_`-separated group per state (A, B, C, …), one 3-character triple per read symbol
//! (0, 1, 2, …; 0 is the blank): the symbol written, the move `L`/`R`, the next state letter.
//! A letter past the last state (conventionally `Z`) is a halting state: that transition counts
//! as a step and writes its symbol. `---` is an undefined transition; bbchallenge counts the
//! step into it and halts there, and its Σ (the ones left on the tape) counts that step as
//! writing a 1, as a `1RZ` halt does (see [`Undefined`]). By default it is read as that rule,
//! "write 1, stay, go to the halting state" (the halting state is the letter the machine's
//! `1RZ`-style halts use, else `Z`), so that BB(5)'s `---0LA` leaves Σ = 4098 ones as its
//! `1RZ0LA` form does, and written back as `---`; the machine says the convention
//! ([`Machine::convention`](super::Machine::convention)). With [`Undefined::NoRule`] it is a
//! missing rule: the run stops with `no-rule`, one step earlier, writing nothing.

use super::spec::{MachineSpec, RuleSpec};
use super::{Machine, Move, Undefined};

/// A string that is not in the standard format.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StandardError {
    /// The string has no states.
    #[error("empty standard-format string")]
    Empty,
    /// Groups of different lengths, or a length that is not a multiple of 3.
    #[error("state {state}: group \"{group}\" has {len} characters; every group must have 3 per symbol and all groups the same length")]
    GroupLength {
        /// The state's letter.
        state: char,
        /// Its group of triples.
        group: String,
        /// The group's length in characters.
        len: usize,
    },
    /// A triple that is neither `---` nor digit, move, letter.
    #[error("state {state} reading {symbol}: \"{triple}\" is not a transition (expected e.g. 1RB, or ---)")]
    BadTriple {
        /// The state's letter.
        state: char,
        /// The symbol read.
        symbol: usize,
        /// The three characters.
        triple: String,
    },
    /// More than 26 states or 10 symbols.
    #[error("the standard format holds at most 26 states and 10 symbols")]
    TooLarge,
    /// A machine the standard format cannot express, with the reason.
    #[error("cannot write {0} in the standard format")]
    Inexpressible(String),
}

/// Whether `text` looks like a standard-format string (and not like a path).
pub(crate) fn looks_standard(text: &str) -> bool {
    let t = text.trim();
    let triple = |b: &[u8]| {
        b == b"---"
            || (b[0].is_ascii_digit() && b"LRSN".contains(&b[1]) && b[2].is_ascii_uppercase())
    };
    !t.is_empty()
        && t.is_ascii()
        && t.split('_')
            .all(|g| !g.is_empty() && g.len() % 3 == 0 && g.as_bytes().chunks(3).all(triple))
}

/// Whether `text`, not a standard-format string, was meant as one: letters, digits, `-` and
/// `_` only (no path's `/` or `.`), in `_`-separated groups or one group of whole triples, so
/// that `1XB1LB_1LA1RZ` is told where it goes wrong instead of only that no such file exists.
pub(crate) fn looks_attempted(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && t.bytes().any(|b| b.is_ascii_digit() || b == b'-')
        && (t.contains('_') || (t.len() % 3 == 0 && t.as_bytes()[0].is_ascii_digit()))
}

/// Parses a standard-format string into a spec (not yet validated), `---` read as
/// bbchallenge reads it ([`Undefined::Halt`]).
pub fn parse(text: &str) -> Result<MachineSpec, StandardError> {
    parse_with(text, Undefined::Halt)
}

/// Parses a standard-format string, `---` read as `undefined` says.
pub fn parse_with(text: &str, undefined: Undefined) -> Result<MachineSpec, StandardError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(StandardError::Empty);
    }
    let groups: Vec<&str> = text.split('_').collect();
    if groups.len() > 26 {
        return Err(StandardError::TooLarge);
    }
    let len = groups[0].len();
    let k = len / 3;
    if k > 10 {
        return Err(StandardError::TooLarge);
    }
    let letter = |i: usize| (b'A' + i as u8) as char;
    for (qi, g) in groups.iter().enumerate() {
        if g.len() != len || len % 3 != 0 || len == 0 || !g.is_ascii() {
            return Err(StandardError::GroupLength {
                state: letter(qi),
                group: g.to_string(),
                len: g.len(),
            });
        }
    }
    let mut halting: Vec<char> = Vec::new();
    let mut rules = Vec::new();
    // (state, symbol) of each `---`, given a rule once the halting letter is known.
    let mut undefined_at: Vec<(char, usize)> = Vec::new();
    for (qi, g) in groups.iter().enumerate() {
        let q = letter(qi);
        for s in 0..k {
            let t = &g[3 * s..3 * s + 3];
            if t == "---" {
                undefined_at.push((q, s));
                continue;
            }
            let b: Vec<char> = t.chars().collect();
            let bad = || StandardError::BadTriple {
                state: q,
                symbol: s,
                triple: t.to_string(),
            };
            let w = b[0]
                .to_digit(10)
                .filter(|&d| (d as usize) < k)
                .ok_or_else(bad)?;
            let m = match b[1] {
                'L' => Move::L,
                'R' => Move::R,
                'S' | 'N' => Move::S,
                _ => return Err(bad()),
            };
            let next = b[2];
            if !next.is_ascii_uppercase() {
                return Err(bad());
            }
            if (next as u8 - b'A') as usize >= groups.len() && !halting.contains(&next) {
                halting.push(next);
            }
            rules.push(RuleSpec(
                q.to_string(),
                s.to_string(),
                w.to_string(),
                m,
                next.to_string(),
            ));
        }
    }
    halting.sort_unstable();
    if undefined == Undefined::Halt && !undefined_at.is_empty() {
        // The halting state of `---`: the one the machine's own halts use, else Z (or, for a
        // machine of 26 states, which uses every letter, `halt`).
        let stop = match halting.first() {
            Some(&c) => c.to_string(),
            None if groups.len() < 26 => {
                halting.push('Z');
                "Z".to_string()
            }
            None => "halt".to_string(),
        };
        // bbchallenge's Σ counts the halting step as writing a 1 (a one-symbol machine has
        // only the blank to write).
        let one = if k > 1 { "1" } else { "0" };
        for (q, s) in undefined_at {
            rules.push(RuleSpec(
                q.to_string(),
                s.to_string(),
                one.to_string(),
                Move::S,
                stop.clone(),
            ));
        }
    }
    let convention = (undefined == Undefined::Halt && text.contains("---"))
        .then(|| UNDEFINED_WRITES_ONE.to_string());
    let mut states: Vec<String> = (0..groups.len()).map(|i| letter(i).to_string()).collect();
    states.extend(halting.iter().map(|c| c.to_string()));
    let mut halting: Vec<String> = halting.iter().map(|c| c.to_string()).collect();
    if rules.iter().any(|r| r.4 == "halt") {
        states.push("halt".into());
        halting.push("halt".into());
    }
    Ok(MachineSpec {
        name: text.to_string(),
        description: format!("bbchallenge standard format {text}"),
        symbols: (0..k).map(|s| s.to_string()).collect(),
        blank: "0".into(),
        states,
        start: "A".into(),
        halting,
        rules,
        convention,
        ..MachineSpec::default()
    })
}

/// The convention a bbchallenge machine's `---` is read under ([`Undefined::Halt`]).
pub const UNDEFINED_WRITES_ONE: &str =
    "bbchallenge's: an undefined transition (---) is a halting step that writes 1";

/// Writes a machine in the standard format, or says why it cannot be written.
///
/// The machine must have digit symbols `0..k` in that order with `0` blank, the start state
/// first, at most 26 states, at most one halting state (written `Z`), and no stay moves but
/// the undefined transition's: a missing rule, and a rule that keeps the symbol, stays and
/// halts (what [`parse`] reads `---` as), are both written `---`. bbchallenge, and [`parse`],
/// read `---` back as a halting step; a machine whose missing rules stop without one reads
/// back the same with [`parse_with`] and [`Undefined::NoRule`] (`--undefined no-rule`).
pub(crate) fn to_standard(m: &Machine) -> Result<String, StandardError> {
    let k = m.num_symbols();
    for (i, &c) in m.symbols().iter().enumerate() {
        if c.to_digit(10) != Some(i as u32) {
            return Err(StandardError::Inexpressible(format!(
                "symbol '{c}' (symbols must be 0, 1, 2, … in order)"
            )));
        }
    }
    if m.blank().index() != 0 {
        return Err(StandardError::Inexpressible("a blank other than 0".into()));
    }
    let working: Vec<usize> = (0..m.num_states()).filter(|&q| !m.halting[q]).collect();
    if working.len() > 25 {
        return Err(StandardError::TooLarge);
    }
    if m.is_halting(m.start()) {
        return Err(StandardError::Inexpressible("a halting start state".into()));
    }
    // Start state first, the other working states in file order.
    let mut order: Vec<usize> = vec![m.start().index()];
    order.extend(working.iter().copied().filter(|&q| q != m.start().index()));
    let mut out = String::new();
    for (gi, &q) in order.iter().enumerate() {
        if gi > 0 {
            out.push('_');
        }
        for s in 0..k {
            match m.table[q * k + s] {
                None => out.push_str("---"),
                // What `parse` reads `---` as (write 1, stay, halt), or the symbol read kept
                // (how arsim read it before it counted Σ as bbchallenge does).
                Some(t)
                    if t.movement == Move::S
                        && (t.write.index() == 1.min(k - 1) || t.write.index() == s)
                        && m.is_halting(t.next) =>
                {
                    out.push_str("---")
                }
                Some(t) => {
                    if t.movement == Move::S {
                        return Err(StandardError::Inexpressible(format!(
                            "a stay move (state \"{}\" reading {s})",
                            m.states[q]
                        )));
                    }
                    out.push(m.symbols[t.write.index()]);
                    out.push(t.movement.letter());
                    if m.is_halting(t.next) {
                        out.push('Z');
                    } else {
                        let pos = order.iter().position(|&x| x == t.next.index()).unwrap_or(0);
                        out.push((b'A' + pos as u8) as char);
                    }
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::{validate, Input};

    #[test]
    fn bb5_round_trips() {
        let s = "1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA";
        let spec = parse(s).unwrap();
        assert_eq!(spec.states, ["A", "B", "C", "D", "E", "Z"]);
        assert_eq!(spec.halting, ["Z"]);
        assert_eq!(spec.rules.len(), 10);
        let m = validate(&spec, None, None).unwrap();
        assert_eq!(to_standard(&m).unwrap(), s);
    }

    #[test]
    fn undefined_transitions_halt_with_a_step_or_are_missing_rules() {
        // bbchallenge's reading: `---` is a halting step that writes 1 and stays.
        let spec = parse("1RB---_1LA1RZ").unwrap();
        assert_eq!(spec.convention.as_deref(), Some(UNDEFINED_WRITES_ONE));
        assert_eq!(spec.rules.len(), 4);
        assert!(spec.rules.contains(&RuleSpec(
            "A".into(),
            "1".into(),
            "1".into(),
            Move::S,
            "Z".into()
        )));
        let m = validate(&spec, None, None).unwrap();
        assert_eq!(to_standard(&m).unwrap(), "1RB---_1LA1RZ");
        // Without a halt of its own, `---` goes to Z, added for it.
        let spec = parse("1RB---_1LA0LB").unwrap();
        assert_eq!(spec.halting, ["Z"]);
        let m = validate(&spec, None, None).unwrap();
        assert_eq!(to_standard(&m).unwrap(), "1RB---_1LA0LB");
        // The old reading: a missing rule.
        let spec = parse_with("1RB---_1LA1RZ", Undefined::NoRule).unwrap();
        assert_eq!(spec.rules.len(), 3);
        let m = validate(&spec, None, None).unwrap();
        assert_eq!(to_standard(&m).unwrap(), "1RB---_1LA1RZ");
    }

    #[test]
    fn bb5_with_undefined_halt_takes_bbchallenges_step_count() {
        // bbchallenge: 47,176,870 steps and Σ = 4098: the halting step writes 1 on the 0 it
        // reads, as the `1RZ0LA` form's does.
        let m = validate(
            &parse("1RB1LC_1RC1RB_1RD0LE_1LA1LD_---0LA").unwrap(),
            None,
            None,
        )
        .unwrap();
        let r = crate::interpreter::run(&m, &Input::default(), 50_000_000);
        assert_eq!(
            (r.steps, r.stop, r.nonblank),
            (47_176_870, crate::machine::Stop::Halted, 4098)
        );
        let r = crate::interpreter::run(&m, &Input::default(), 47_176_869);
        assert_eq!(r.stop, crate::machine::Stop::StepLimit);
        // Read as a missing rule, the run stops a step earlier, on the 4097 ones before it.
        let m = validate(
            &parse_with("1RB1LC_1RC1RB_1RD0LE_1LA1LD_---0LA", Undefined::NoRule).unwrap(),
            None,
            None,
        )
        .unwrap();
        assert_eq!(m.convention(), None);
        let r = crate::interpreter::run(&m, &Input::default(), 50_000_000);
        assert_eq!(
            (r.steps, r.stop, r.nonblank),
            (47_176_869, crate::machine::Stop::NoRule, 4097)
        );
    }

    #[test]
    fn bad_strings_are_errors() {
        assert!(matches!(
            parse("1RB1L"),
            Err(StandardError::GroupLength { .. })
        ));
        assert!(matches!(
            parse("1XB1LA"),
            Err(StandardError::BadTriple { .. })
        ));
        assert!(matches!(
            parse("1RB_1RA1LA"),
            Err(StandardError::GroupLength { .. })
        ));
        assert!(matches!(
            parse("2RB1LA"),
            Err(StandardError::BadTriple { .. })
        ));
        assert!(matches!(
            parse("1RбA1L"),
            Err(StandardError::GroupLength { .. })
        ));
    }

    #[test]
    fn looks_standard_tells_strings_from_paths() {
        assert!(looks_standard("1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA"));
        assert!(!looks_standard("machines/bb5.ron"));
    }
}
