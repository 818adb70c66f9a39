//! Morphett's rule format (the morphett.info Turing machine simulator), to and from a
//! [`MachineSpec`]: one of the machine formats that [`load`](super::load) reads and
//! [`convert`](super::convert) writes, next to `.ron` and the bbchallenge formats.
//!
//! One rule per line, `<state> <symbol> <new symbol> <direction> <new state>`:
//!
//! - `;` starts a comment; a trailing `!` (a breakpoint in Morphett's simulator) is ignored;
//! - `_` is the blank; `<direction>` is `l`, `r` or `*` (stay; arsim's `S`), any case;
//! - `*` in `<state>` or `<symbol>` is a wildcard. For a (state, symbol) pair the most specific
//!   rule wins: (state, symbol), then (state, `*`), then (`*`, symbol), then (`*`, `*`);
//! - `*` in `<new symbol>` or `<new state>` means "unchanged";
//! - states whose name starts with `halt` are halting states; the start state is `0`;
//! - a `*` in the initial tape (`$INITIAL_TAPE:`, or any input) marks the cell the head starts
//!   on, and is no symbol ([`Machine::parse_input`](super::Machine::parse_input)).
//!
//! Wildcards are expanded into explicit rules when loading, over a finite alphabet:
//! the blank, every symbol that a rule reads or writes, and the characters listed in an
//! optional `; arsim-symbols: …` comment. Morphett's simulator lets any character onto the
//! tape; arsim compiles a fixed alphabet, so an input character that no rule names must be
//! listed there to be read (a wildcard rule then applies to it too). The wildcard states are
//! every state the file names, halting states excepted.
//!
//! A state and symbol that no rule matches is, as in Morphett's simulator, one more step, into
//! `halt`, keeping the symbol (see [`Undefined`]); a machine written from a format where a
//! missing rule stops without a step carries `; arsim-undefined: no-rule`, which keeps that.
//!
//! Morphett's blank is always `_`. A machine whose blank is another character is written with
//! `_` for it and a `; arsim-blank: c` comment that turns `_` back into `c` when loading.
//! Written files also rename states where Morphett needs it: the start state becomes `0`, a
//! halting state gets a `halt-` prefix, and a name that Morphett cannot hold (whitespace,
//! `;`, `*`) or that would clash becomes `q<index>`.

use super::spec::{MachineSpec, RuleSpec};
use super::{Machine, Move, Undefined};
use std::collections::{HashMap, HashSet};

/// The comment key that lists extra alphabet symbols.
pub const SYMBOLS_DIRECTIVE: &str = "arsim-symbols:";
/// The comment key that names the character `_` stands for.
pub const BLANK_DIRECTIVE: &str = "arsim-blank:";
/// The comment key `; arsim-undefined: no-rule`: a state and symbol without a rule stop the
/// run there without a step (arsim's own meaning), instead of Morphett's step into `halt`.
/// Written for machines from formats where a missing rule means that.
pub const UNDEFINED_DIRECTIVE: &str = "arsim-undefined:";

/// A problem in a Morphett file, with its 1-based line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct MorphettError {
    /// 1-based line (0 for problems of the whole file).
    pub line: usize,
    /// What is wrong.
    pub kind: MorphettErrorKind,
}

/// The kinds of problem in a Morphett file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MorphettErrorKind {
    /// A rule line without exactly five fields.
    #[error(
        "expected 5 fields `<state> <symbol> <new symbol> <direction> <new state>`, found {0}"
    )]
    FieldCount(usize),
    /// A symbol field that is not one character.
    #[error("{field} \"{token}\" is not a single character")]
    NotSingleChar {
        /// Which field.
        field: &'static str,
        /// The text found.
        token: String,
    },
    /// A direction other than l, r, *.
    #[error("direction \"{0}\" is not l, r or *")]
    BadDirection(String),
    /// Two rules for the same (state, symbol) pattern.
    #[error("second rule for state \"{state}\" reading '{symbol}' (the first is on line {first})")]
    Duplicate {
        /// The state pattern.
        state: String,
        /// The symbol pattern.
        symbol: String,
        /// Line of the first rule.
        first: usize,
    },
    /// A rule out of a halting state.
    #[error("rule out of halting state \"{0}\": states starting with `halt` stop the machine")]
    FromHalting(String),
    /// A symbol that cannot be used (`;` or whitespace; `*` as a literal).
    #[error("'{0}' cannot be a tape symbol")]
    BadSymbol(char),
    /// A bad `arsim-` directive.
    #[error("{0}")]
    Directive(String),
    /// The start state has no rules: the machine would stop before its first step.
    #[error("the start state \"{0}\" has no rules (Morphett's machines start in state 0; choose another start state)")]
    StartWithoutRules(String),
    /// The file holds no rules.
    #[error("no rules: a Morphett file has one rule `<state> <symbol> <new symbol> <direction> <new state>` per line")]
    Empty,
}

/// A machine that Morphett's format cannot hold.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot write {0} in Morphett's format")]
pub struct MorphettExportError(pub String);

/// A symbol or state field: a name, or the wildcard.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Pat<T> {
    Any,
    Is(T),
}

/// One parsed rule line.
#[derive(Clone, Debug)]
struct Line {
    line: usize,
    state: Pat<String>,
    read: Pat<char>,
    write: Pat<char>,
    movement: Move,
    next: Pat<String>,
}

/// Whether a state halts: Morphett's simulator halts in any state whose name starts with
/// `halt`, in any case (`Halt`, `HALT-accept`).
pub fn is_halting_name(name: &str) -> bool {
    name.get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("halt"))
}

/// The key of Morphett's initial-tape comment: `; $INITIAL_TAPE: 110110 101011`.
pub const INITIAL_TAPE: &str = "$INITIAL_TAPE:";

/// How to read a Morphett file.
#[derive(Clone, Debug, Default)]
pub struct MorphettOptions<'a> {
    /// Do as Morphett's simulator does: skip a bad line (with a warning) instead of refusing
    /// the file, and let a later rule for the same state and symbol replace an earlier one.
    pub lenient: bool,
    /// What a state and symbol that no rule matches means ([`Undefined::Halt`]: Morphett's
    /// own step into `halt`).
    pub undefined: Undefined,
    /// The start state (Morphett's default is `0`).
    pub start: Option<&'a str>,
    /// The input the machine will run on, when it is not the file's own: its characters join
    /// the alphabet, as any character may be on Morphett's tape.
    pub input: Option<&'a str>,
}

/// A parsed Morphett file: the machine (wildcards expanded) and, in lenient mode, what was
/// skipped or replaced.
#[derive(Clone, Debug)]
pub struct MorphettMachine {
    /// The machine, not yet validated.
    pub spec: MachineSpec,
    /// Problems that lenient mode stepped over, each with its line.
    pub warnings: Vec<MorphettError>,
}

/// Parses Morphett text into a spec (not yet validated), strictly; wildcards come out
/// expanded and undefined transitions are steps into `halt`, as in Morphett's simulator.
pub fn parse(text: &str) -> Result<MachineSpec, MorphettError> {
    parse_with(text, &MorphettOptions::default()).map(|p| p.spec)
}

/// The value of a directive: one character, or one quoted (`' '`).
fn directive_char(value: &str) -> Option<char> {
    let v = value.trim();
    let mut it = v.chars();
    match (it.next(), it.next(), it.next(), it.next()) {
        (Some(c), None, _, _) => Some(c),
        (Some('\''), Some(c), Some('\''), None) => Some(c),
        _ => None,
    }
}

/// Parses Morphett text as `opts` says.
pub fn parse_with(text: &str, opts: &MorphettOptions) -> Result<MorphettMachine, MorphettError> {
    let err = |line: usize, kind| MorphettError { line, kind };
    let mut warnings: Vec<MorphettError> = Vec::new();
    // A problem on one line: an error, or in lenient mode a warning and the line skipped.
    macro_rules! line_problem {
        ($e:expr) => {{
            let e = $e;
            if opts.lenient {
                warnings.push(e);
                continue;
            } else {
                return Err(e);
            }
        }};
    }
    let mut lines: Vec<Line> = Vec::new();
    let mut extra: Vec<char> = Vec::new();
    let mut blank_as: Option<(char, usize)> = None;
    let mut initial_tape: Option<String> = None;
    let mut undefined = opts.undefined;
    // A file written by arsim from a machine whose start state may have no rule.
    let mut written_by_arsim = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let (code, comment) = match raw.find(';') {
            Some(p) => (&raw[..p], Some(&raw[p + 1..])),
            None => (raw, None),
        };
        if let Some(c) = comment {
            // Morphett's loader takes the rest of the line after `$INITIAL_TAPE:` and spaces.
            if let Some(p) = c.find(INITIAL_TAPE) {
                let tape = c[p + INITIAL_TAPE.len()..].trim_start_matches(' ');
                initial_tape = Some(tape.trim_end_matches(['\r', '\n']).to_string());
            }
        }
        if let Some(c) = comment.map(str::trim) {
            if let Some(rest) = c.strip_prefix(SYMBOLS_DIRECTIVE) {
                for ch in rest.trim().chars() {
                    if ch.is_whitespace() || ch == '*' {
                        line_problem!(err(n, MorphettErrorKind::BadSymbol(ch)));
                    }
                    extra.push(ch);
                }
            } else if let Some(rest) = c.strip_prefix(UNDEFINED_DIRECTIVE) {
                match rest.trim() {
                    "no-rule" => {
                        undefined = Undefined::NoRule;
                        written_by_arsim = true;
                    }
                    "halt" => undefined = Undefined::Halt,
                    other => line_problem!(err(
                        n,
                        MorphettErrorKind::Directive(format!(
                            "`{UNDEFINED_DIRECTIVE}` takes halt or no-rule, found \"{other}\""
                        )),
                    )),
                }
            } else if let Some(rest) = c.strip_prefix(BLANK_DIRECTIVE) {
                match directive_char(rest) {
                    Some(ch) if ch != '*' && ch != '_' => blank_as = Some((ch, n)),
                    _ => line_problem!(err(
                        n,
                        MorphettErrorKind::Directive(format!(
                            "`{BLANK_DIRECTIVE}` takes one character other than _ and * (quoted for a space: ' '), found \"{}\"",
                            rest.trim()
                        )),
                    )),
                }
            }
        }
        let mut fields: Vec<&str> = code.split_whitespace().collect();
        // A sixth field `!` is a breakpoint; a `!` among the five is a symbol or a state.
        if fields.len() == 6 && fields[5] == "!" {
            fields.pop();
        }
        if fields.is_empty() {
            continue;
        }
        if fields.len() != 5 {
            line_problem!(err(n, MorphettErrorKind::FieldCount(fields.len())));
        }
        let symbol = |field: &'static str, t: &str| -> Result<Pat<char>, MorphettError> {
            let mut it = t.chars();
            match (it.next(), it.next()) {
                (Some('*'), None) => Ok(Pat::Any),
                (Some(c), None) => Ok(Pat::Is(c)),
                _ => Err(err(
                    n,
                    MorphettErrorKind::NotSingleChar {
                        field,
                        token: t.to_string(),
                    },
                )),
            }
        };
        let state = |t: &str| {
            if t == "*" {
                Pat::Any
            } else {
                Pat::Is(t.to_string())
            }
        };
        let movement = match fields[3] {
            "l" | "L" => Move::L,
            "r" | "R" => Move::R,
            "*" => Move::S,
            d => line_problem!(err(n, MorphettErrorKind::BadDirection(d.to_string()))),
        };
        let (read, write) = match (symbol("symbol", fields[1]), symbol("new symbol", fields[2])) {
            (Ok(r), Ok(w)) => (r, w),
            (Err(e), _) | (_, Err(e)) => line_problem!(e),
        };
        let l = Line {
            line: n,
            state: state(fields[0]),
            read,
            write,
            movement,
            next: state(fields[4]),
        };
        if let Pat::Is(q) = &l.state {
            if is_halting_name(q) {
                // Morphett never looks a rule up in a halting state.
                line_problem!(err(n, MorphettErrorKind::FromHalting(q.clone())));
            }
        }
        lines.push(l);
    }
    if lines.is_empty() {
        return Err(err(0, MorphettErrorKind::Empty));
    }
    // `_` is the blank; with `arsim-blank: c` it stands for `c`, which then may not appear itself.
    let blank = blank_as.map_or('_', |(c, _)| c);
    if let Some((c, n)) = blank_as {
        let literal = lines.iter().find(|l| {
            matches!(l.read, Pat::Is(x) if x == c) || matches!(l.write, Pat::Is(x) if x == c)
        });
        if let Some(l) = literal {
            return Err(err(
                l.line,
                MorphettErrorKind::Directive(format!(
                    "'{c}' is used as a symbol, but line {n} says `_` stands for it"
                )),
            ));
        }
    }
    let map_sym = |c: char| if c == '_' { blank } else { c };
    // The alphabet: the directive's order if it lists the blank, else blank first; then every
    // symbol in order of first use; then the input's characters (a space, `_` and the head
    // marker `*` excepted), which Morphett's tape holds whether or not a rule names them.
    let mut symbols: Vec<char> = Vec::new();
    let push_sym = |symbols: &mut Vec<char>, c: char| {
        if !symbols.contains(&c) {
            symbols.push(c);
        }
    };
    if !extra.iter().any(|&c| map_sym(c) == blank) {
        push_sym(&mut symbols, blank);
    }
    for &c in &extra {
        push_sym(&mut symbols, map_sym(c));
    }
    for l in &lines {
        for p in [&l.read, &l.write] {
            if let Pat::Is(c) = p {
                push_sym(&mut symbols, map_sym(*c));
            }
        }
    }
    // The file's tape, with `_` for the blank where the blank is another character.
    // The file's tape in the machine's own symbols: `_` and a space are the blank.
    let file_input = initial_tape.map(|t| {
        t.chars()
            .map(|c| if c == ' ' { blank } else { map_sym(c) })
            .collect::<String>()
    });
    for c in opts
        .input
        .iter()
        .chain(file_input.as_deref().iter())
        .flat_map(|t| t.chars())
    {
        if c != ' ' && c != '*' {
            push_sym(&mut symbols, map_sym(c));
        }
    }
    // States: the start state, then every named state in order of first mention.
    let start = opts.start.unwrap_or("0").to_string();
    let mut states: Vec<String> = vec![start.clone()];
    let mut seen: HashSet<String> = states.iter().cloned().collect();
    for l in &lines {
        for p in [&l.state, &l.next] {
            if let Pat::Is(q) = p {
                if seen.insert(q.clone()) {
                    states.push(q.clone());
                }
            }
        }
    }
    // A start state that no rule leaves would stop before the first step: say so.
    let start_has_rules = lines
        .iter()
        .any(|l| matches!(&l.state, Pat::Is(q) if *q == start) || l.state == Pat::Any);
    if !start_has_rules && !is_halting_name(&start) && !written_by_arsim {
        let e = err(0, MorphettErrorKind::StartWithoutRules(start.clone()));
        if opts.lenient {
            warnings.push(e);
        } else {
            return Err(e);
        }
    }
    // Rules by pattern: strictly at most one each; leniently the last one wins, as in Morphett.
    let mut by_pattern: HashMap<(Pat<String>, Pat<char>), usize> = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        let read = match l.read {
            Pat::Is(c) => Pat::Is(map_sym(c)),
            Pat::Any => Pat::Any,
        };
        if let Some(&first) = by_pattern.get(&(l.state.clone(), read.clone())) {
            let show_state = match &l.state {
                Pat::Is(q) => q.clone(),
                Pat::Any => "*".into(),
            };
            let show_sym = match l.read {
                Pat::Is(c) => c.to_string(),
                Pat::Any => "*".into(),
            };
            let e = err(
                l.line,
                MorphettErrorKind::Duplicate {
                    state: show_state,
                    symbol: show_sym,
                    first: lines[first].line,
                },
            );
            if opts.lenient {
                warnings.push(e);
            } else {
                return Err(e);
            }
        }
        by_pattern.insert((l.state.clone(), read), i);
    }
    let mut rules = Vec::new();
    let mut halt_added = false;
    for q in states.iter().filter(|q| !is_halting_name(q)) {
        for &s in &symbols {
            let pick = [
                (Pat::Is(q.clone()), Pat::Is(s)),
                (Pat::Is(q.clone()), Pat::Any),
                (Pat::Any, Pat::Is(s)),
                (Pat::Any, Pat::Any),
            ]
            .into_iter()
            .find_map(|k| by_pattern.get(&k).copied());
            let Some(i) = pick else {
                // Morphett steps into `halt`, keeping the symbol, without moving.
                if undefined == Undefined::Halt {
                    halt_added = true;
                    rules.push(RuleSpec(
                        q.clone(),
                        s.to_string(),
                        s.to_string(),
                        Move::S,
                        UNDEFINED_HALT.into(),
                    ));
                }
                continue;
            };
            let l = &lines[i];
            let write = match l.write {
                Pat::Is(c) => map_sym(c),
                Pat::Any => s,
            };
            let next = match &l.next {
                Pat::Is(n) => n.clone(),
                Pat::Any => q.clone(),
            };
            rules.push(RuleSpec(
                q.clone(),
                s.to_string(),
                write.to_string(),
                l.movement,
                next,
            ));
        }
    }
    if halt_added && !states.iter().any(|q| q == UNDEFINED_HALT) {
        states.push(UNDEFINED_HALT.into());
    }
    let halting = states
        .iter()
        .filter(|q| is_halting_name(q))
        .cloned()
        .collect();
    Ok(MorphettMachine {
        spec: MachineSpec {
            name: String::new(),
            description: String::new(),
            symbols: symbols.iter().map(|c| c.to_string()).collect(),
            blank: blank.to_string(),
            states,
            start,
            halting,
            rules,
            input: file_input,
            inputs: None,
            examples: Vec::new(),
            convention: None,
        },
        warnings,
    })
}

/// The state Morphett's simulator goes to when no rule matches.
pub const UNDEFINED_HALT: &str = "halt";

/// Text for a comment line: control characters (line breaks among them) escaped.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Whether `name` can stand as a Morphett state as it is.
fn plain_state_name(name: &str) -> bool {
    !name.is_empty()
        && name != "*"
        && name != "!"
        && !name.contains(';')
        && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The Morphett names of a machine's states: start → `0`, halting → `halt…`, others kept
/// where Morphett can hold them, `q<index>` where not; all distinct.
fn morphett_names(m: &Machine) -> Vec<String> {
    let n = m.num_states();
    let mut names: Vec<Option<String>> = vec![None; n];
    let mut used: HashSet<String> = HashSet::new();
    names[m.start().index()] = Some("0".into());
    used.insert("0".into());
    let want = |name: String, used: &mut HashSet<String>| -> Option<String> {
        (plain_state_name(&name) && used.insert(name.clone())).then_some(name)
    };
    for (i, slot) in names.iter_mut().enumerate() {
        if slot.is_some() {
            continue;
        }
        let orig = m.states()[i].clone();
        let halting = m.halting[i];
        let candidate = if halting {
            if is_halting_name(&orig) {
                orig
            } else if m.halting.iter().filter(|&&h| h).count() == 1 && !used.contains("halt") {
                "halt".to_string()
            } else {
                format!("halt-{orig}")
            }
        } else if is_halting_name(&orig) {
            format!("q-{orig}")
        } else {
            orig
        };
        *slot = want(candidate, &mut used);
    }
    names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            name.unwrap_or_else(|| {
                let base = if m.halting[i] {
                    format!("halt-q{i}")
                } else {
                    format!("q{i}")
                };
                let mut name = base.clone();
                let mut k = 1;
                while !used.insert(name.clone()) {
                    name = format!("{base}-{k}");
                    k += 1;
                }
                name
            })
        })
        .collect()
}

/// Writes a machine in Morphett's format, every rule explicit.
///
/// The header comments carry the name, the description and the `arsim-` directives that
/// make loading the text give back the same machine (states renamed as the module says).
pub fn to_morphett(m: &Machine) -> Result<String, MorphettExportError> {
    let blank = m.symbol_char(m.blank());
    for &c in m.symbols() {
        // The blank is written `_` whatever it is, a space among them.
        if c == blank {
            continue;
        }
        if c == ';' || c == '*' || c.is_whitespace() || c.is_control() {
            return Err(MorphettExportError(format!("the symbol {c:?}")));
        }
        if c == '_' && blank != '_' {
            return Err(MorphettExportError(
                "'_' as a symbol that is not the blank".into(),
            ));
        }
    }
    if m.rules().next().is_none() {
        return Err(MorphettExportError("a machine without rules".into()));
    }
    // Morphett starts in state 0, which cannot also be a `halt*` state: a machine that starts
    // halted (0 steps) would read back as one whose start state has no rules.
    if m.is_halting(m.start()) {
        return Err(MorphettExportError(
            "a machine whose start state is a halting state".into(),
        ));
    }
    let names = morphett_names(m);
    let show = |c: char| if c == blank { '_' } else { c };
    let mut out = String::new();
    let title = if m.description().is_empty() {
        m.name().to_string()
    } else {
        format!("{}: {}", m.name(), m.description())
    };
    for l in title.lines().filter(|l| !l.trim().is_empty()) {
        // A title line must not read as a directive.
        let l = printable(l);
        if l.trim_start().starts_with("arsim-") || l.contains(INITIAL_TAPE) {
            out.push_str(&format!("; ({})\n", l.replace('$', "")));
        } else {
            out.push_str(&format!("; {l}\n"));
        }
    }
    out.push_str("; Morphett format, written by arsim; start state 0.\n");
    if blank != '_' {
        if blank.is_whitespace() || blank.is_control() || blank == ';' || blank == '*' {
            if blank != ' ' {
                return Err(MorphettExportError(format!("the blank {blank:?}")));
            }
            out.push_str(&format!("; {BLANK_DIRECTIVE} ' '\n"));
        } else {
            out.push_str(&format!("; {BLANK_DIRECTIVE} {blank}\n"));
        }
    }
    if let Some(input) = m.default_input() {
        let tape: String = input.chars().map(show).collect();
        if tape.contains(';') || tape.chars().any(|c| c.is_control()) {
            return Err(MorphettExportError(format!("the input {input:?}")));
        }
        out.push_str(&format!("; {INITIAL_TAPE} {tape}\n"));
    }
    // A missing rule stops an arsim run without a step; Morphett would take one into `halt`.
    let partial = m.rules().count()
        < (0..m.num_states())
            .filter(|&q| !m.is_halting(super::StateId(q as u16)))
            .count()
            * m.num_symbols();
    if partial {
        out.push_str(&format!("; {UNDEFINED_DIRECTIVE} no-rule\n"));
    }
    let alphabet: String = m.symbols().iter().map(|&c| show(c)).collect();
    out.push_str(&format!("; {SYMBOLS_DIRECTIVE} {alphabet}\n"));
    let renamed: Vec<String> = (0..m.num_states())
        .filter(|&i| names[i] != m.states()[i])
        .map(|i| format!("{} = {}", names[i], printable(&m.states()[i])))
        .collect();
    if !renamed.is_empty() {
        out.push_str(&format!("; states renamed: {}\n", renamed.join(", ")));
    }
    let mut last = None;
    for (q, s, t) in m.rules() {
        if last.is_some_and(|l| l != q) {
            out.push('\n');
        }
        last = Some(q);
        let d = match t.movement {
            Move::L => 'l',
            Move::R => 'r',
            Move::S => '*',
        };
        out.push_str(&format!(
            "{} {} {} {} {}\n",
            names[q.index()],
            show(m.symbol_char(s)),
            show(m.symbol_char(t.write)),
            d,
            names[t.next.index()]
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpreter;
    use crate::machine::{validate, Input, Stop};

    /// The palindrome detector from Morphett's own examples (wildcards and `*` moves).
    const PALINDROME: &str = "\
; This example program checks if the input string is a binary palindrome.
; Input: a string of 0's and 1's, eg '1001001'

; Machine starts in state 0.

; State 0: read the leftmost symbol
0 0 _ r 1o
0 1 _ r 1i
0 _ _ * accept     ; Empty input

; State 1o, 1i: find the rightmost symbol
1o _ _ l 2o
1o * * r 1o

1i _ _ l 2i
1i * * r 1i

; State 2o, 2i: check if the rightmost symbol matches the most recently read left-hand symbol
2o 0 _ l 3
2o _ _ * accept
2o * * * reject

2i 1 _ l 3
2i _ _ * accept
2i * * * reject

; State 3, 4: return to left end of remaining input
3 _ _ * accept
3 * * l 4
4 * * l 4
4 _ _ r 0  ; Back to the beginning

accept * : r accept2
accept2 * ) * halt-accept

reject _ : r reject2
reject * _ l reject
reject2 * ( * halt-reject
";

    fn load(text: &str) -> Machine {
        validate(&parse(text).unwrap(), None, None).unwrap()
    }

    #[test]
    fn palindrome_example_runs_as_on_morphett_info() {
        let m = load(PALINDROME);
        assert_eq!(m.start(), m.state_id("0").unwrap());
        let input = m.parse_input("1001001").unwrap();
        let run = interpreter::run(&m, &input, 10_000);
        // morphett.info: 38 steps, tape ":)", state halt-accept.
        assert_eq!(run.stop, Stop::Halted);
        assert_eq!(run.state, "halt-accept");
        assert_eq!(run.steps, 38);
        assert_eq!(run.tape, ":)");
        let run = interpreter::run(&m, &m.parse_input("10").unwrap(), 10_000);
        assert_eq!(run.state, "halt-reject");
        assert_eq!(run.tape, ":(");
    }

    #[test]
    fn precedence_is_exact_then_state_then_symbol_then_any() {
        let m = load("0 a x r 0\n0 * y r 0\n* a z r 0\n* * w r 0\n1 b b r 1\n");
        let rule = |q: &str, s: char| {
            let t = m
                .rule(m.state_id(q).unwrap(), m.symbol_id(s).unwrap())
                .unwrap();
            m.symbol_char(t.write)
        };
        assert_eq!(rule("0", 'a'), 'x');
        assert_eq!(rule("0", 'b'), 'y');
        assert_eq!(rule("1", 'a'), 'z');
        assert_eq!(rule("1", 'b'), 'b');
        assert_eq!(rule("1", '_'), 'w');
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("0 a b r 1\n\n0 a b\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(e.kind, MorphettErrorKind::FieldCount(3));
        let e = parse("0 a b x 1").unwrap_err();
        assert!(e.to_string().contains("line 1: direction \"x\""));
        let e = parse("0 a b r 1\n0 a c l 1").unwrap_err();
        assert!(matches!(
            e.kind,
            MorphettErrorKind::Duplicate { first: 1, .. }
        ));
        let e = parse("halt a b r 1").unwrap_err();
        assert!(matches!(e.kind, MorphettErrorKind::FromHalting(_)));
        let e = parse("0 ab b r 1").unwrap_err();
        assert!(matches!(e.kind, MorphettErrorKind::NotSingleChar { .. }));
        assert_eq!(
            parse("; only a comment\n").unwrap_err().kind,
            MorphettErrorKind::Empty
        );
    }

    #[test]
    fn breakpoints_and_directives() {
        let spec = parse("; arsim-symbols: xy\n0 a b r halt !\n").unwrap();
        assert_eq!(spec.symbols, ["_", "x", "y", "a", "b"]);
        assert_eq!(spec.halting, ["halt"]);
        let spec = parse("; arsim-blank: 0\n0 _ 1 r halt\n").unwrap();
        assert_eq!(spec.blank, "0");
        assert_eq!(spec.rules[0].1, "0");
        assert!(parse("; arsim-blank: 0\n0 0 1 r halt\n").is_err());
    }

    #[test]
    fn export_round_trips_bb2() {
        let m = crate::machine::load::from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let text = to_morphett(&m).unwrap();
        assert!(text.contains("; arsim-blank: 0"));
        assert!(text.contains("0 _ 1 r B"));
        let back = load(&text);
        assert_eq!(back.symbols(), m.symbols());
        assert_eq!(back.states(), ["0", "B", "halt"]);
        let run = interpreter::run(&back, &Input::default(), 100);
        assert_eq!((run.steps, run.nonblank), (6, 4));
    }

    #[test]
    fn halt_prefix_in_any_case_halts() {
        let m = load("0 _ 1 r Halt\n0 1 1 r HALT-accept\n* * * r 0\n");
        assert!(m.is_halting(m.state_id("Halt").unwrap()));
        assert!(m.is_halting(m.state_id("HALT-accept").unwrap()));
        let run = interpreter::run(&m, &Input::default(), 100);
        assert_eq!(
            (run.stop, run.steps, run.state.as_str()),
            (Stop::Halted, 1, "Halt")
        );
    }

    #[test]
    fn unmatched_rules_step_into_halt_as_in_morphett() {
        // Morphett: no rule for (0, 1) → one more step, into `halt`, the 1 kept.
        let m = load("0 _ 1 * 0\n");
        let run = interpreter::run(&m, &Input::default(), 100);
        assert_eq!(
            (run.stop, run.steps, run.state.as_str()),
            (Stop::Halted, 2, "halt")
        );
        assert_eq!(run.tape, "1");
        let opts = MorphettOptions {
            undefined: Undefined::NoRule,
            ..MorphettOptions::default()
        };
        let m = validate(&parse_with("0 _ 1 * 0\n", &opts).unwrap().spec, None, None).unwrap();
        let run = interpreter::run(&m, &Input::default(), 100);
        assert_eq!((run.stop, run.steps), (Stop::NoRule, 1));
    }

    #[test]
    fn lenient_mode_skips_bad_lines_and_lets_later_rules_win() {
        let text = "0 _ a r 0\n0 _ b r halt\n0 x\n0 _ c q 0\n";
        let e = parse(text).unwrap_err();
        assert_eq!((e.line, e.kind), (3, MorphettErrorKind::FieldCount(2)));
        let opts = MorphettOptions {
            lenient: true,
            ..MorphettOptions::default()
        };
        let p = parse_with(text, &opts).unwrap();
        let mut lines: Vec<usize> = p.warnings.iter().map(|w| w.line).collect();
        lines.sort_unstable();
        assert_eq!(lines, [2, 3, 4]);
        let m = validate(&p.spec, None, None).unwrap();
        let run = interpreter::run(&m, &Input::default(), 100);
        assert_eq!((run.tape.as_str(), run.state.as_str()), ("b", "halt"));
    }

    #[test]
    fn start_state_without_rules_is_named() {
        let e = parse("1 _ 1 r halt\n").unwrap_err();
        assert_eq!(e.kind, MorphettErrorKind::StartWithoutRules("0".into()));
        assert!(e.to_string().contains("choose another start state"), "{e}");
        let opts = MorphettOptions {
            start: Some("1"),
            ..MorphettOptions::default()
        };
        let m = validate(
            &parse_with("1 _ 1 r halt\n", &opts).unwrap().spec,
            None,
            None,
        )
        .unwrap();
        assert_eq!(interpreter::run(&m, &Input::default(), 10).steps, 1);
    }

    #[test]
    fn inputs_spaces_and_initial_tape() {
        let text = "; $INITIAL_TAPE: 1 2\n0 * * r 0\n0 _ _ * halt\n";
        let p = parse_with(text, &MorphettOptions::default()).unwrap();
        // `2` is named by no rule: it is a tape symbol all the same; the space is the blank.
        assert!(p.spec.symbols.contains(&"2".to_string()));
        assert_eq!(p.spec.input.as_deref(), Some("1_2"));
        let mut m = validate(&p.spec, None, None).unwrap();
        m.space_is_blank = true;
        assert_eq!(m.parse_input("1 2").unwrap(), m.parse_input("1_2").unwrap());
        let opts = MorphettOptions {
            input: Some("xy"),
            ..MorphettOptions::default()
        };
        let p = parse_with("0 * * r 0\n0 _ _ * halt\n", &opts).unwrap();
        assert!(p.spec.symbols.contains(&"x".to_string()));
    }

    #[test]
    fn writer_takes_bang_and_a_space_blank() {
        let m = load("0 ! ! r 0\n0 _ ! * halt !\n");
        assert!(m.symbol_id('!').is_some());
        let back = load(&to_morphett(&m).unwrap());
        assert_eq!(back.symbols(), m.symbols());
        let y = crate::machine::yaml::parse(
            "input: '1 1'\nblank: ' '\nstart state: a\ntable:\n  a:\n    '1': R\n    ' ': {L: b}\n  b:\n",
        )
        .unwrap();
        let m = validate(&y.spec, None, None).unwrap();
        let text = to_morphett(&m).unwrap();
        assert!(text.contains("; arsim-blank: ' '"), "{text}");
        assert!(text.contains("$INITIAL_TAPE: 1_1"), "{text}");
        let back = load(&text);
        assert_eq!(back.blank(), back.symbol_id(' ').unwrap());
        let run = |m: &Machine| interpreter::run(m, &m.parse_input("1 1").unwrap(), 100);
        assert_eq!(run(&back).steps, run(&m).steps);
    }
}
