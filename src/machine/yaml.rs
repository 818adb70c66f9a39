//! turingmachine.io's YAML format, to and from a [`MachineSpec`]: one of the machine formats
//! that [`load`](super::load) reads and [`convert`](super::convert) writes.
//!
//! ```yaml
//! input: '1011'          # optional: the default input; its characters join the alphabet
//! blank: ' '
//! start state: right
//! table:
//!   right:
//!     [1,0]: R           # a list key, or '1,0', gives several symbols one instruction
//!     ' '  : {L: carry}
//!   carry:
//!     1      : {write: 0, L}        # no state: stay in this one
//!     [0,' ']: {write: 1, L: done}
//!   done:                # an empty state halts
//! ```
//!
//! An instruction is a move (`L`, `R`, or `N` for stay; arsim's `S`), a synonym defined under
//! `synonyms:`, or a mapping with one move key (whose value, if any, is the next state) and an
//! optional `write`. A state whose entry is empty is a halting state; a (state, symbol) pair
//! without an instruction stops the run with `no-rule`, as in turingmachine.io. A document
//! saved by the site (`source code: |` plus `positions:`) is read through its source code.
//! The alphabet is the blank, every symbol the table reads or writes, and the characters of
//! `input`, in that order of first appearance.

use super::spec::{MachineSpec, RuleSpec};
use super::{split_head_marker, Machine, Move, HEAD_MARKER};
use serde_yaml_ng::{Mapping, Value};

/// A problem in a YAML machine, with the line where it can be found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct YamlError {
    /// 1-based line, where known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// A machine that turingmachine.io's format cannot hold.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("turingmachine.io's format cannot hold {0}")]
pub struct YamlExportError(pub String);

/// A parsed turingmachine.io document: the machine and its optional input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlMachine {
    /// The machine, not yet validated.
    pub spec: MachineSpec,
    /// The document's `input`, if any.
    pub input: Option<String>,
    /// What arsim reads that turingmachine.io would not (its first `N` move), with its line.
    pub warnings: Vec<YamlError>,
}

/// A scalar as the site reads it (JavaScript's `String(x)`); `None` for null and collections.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar(&t.value),
        _ => None,
    }
}

fn one_char(s: &str) -> Option<char> {
    let mut it = s.chars();
    match (it.next(), it.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

/// Finds the line of a mapping key in the text (best effort: the first line that starts,
/// after indentation, with the key, plain or quoted, followed by a colon).
fn find_key_line(text: &str, key: &str) -> Option<usize> {
    let forms = [
        format!("{key}:"),
        format!("'{}':", key.replace('\'', "''")),
        format!("{}:", serde_json::to_string(key).unwrap_or_default()),
        format!("{key} :"),
    ];
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            forms.iter().any(|f| t.starts_with(f.as_str()))
        })
        .map(|i| i + 1)
}

/// One instruction: optional symbol to write, the move, optional next state.
#[derive(Clone, Debug)]
struct Instr {
    write: Option<char>,
    movement: Move,
    next: Option<String>,
}

fn parse_instr(v: &Value, synonyms: &[(String, Instr)]) -> Result<Instr, String> {
    let mv = |s: &str| match s {
        "L" => Some(Move::L),
        "R" => Some(Move::R),
        "N" => Some(Move::S),
        _ => None,
    };
    match v {
        Value::String(s) => {
            if let Some(m) = mv(s) {
                return Ok(Instr {
                    write: None,
                    movement: m,
                    next: None,
                });
            }
            synonyms
                .iter()
                .find(|(k, _)| k == s)
                .map(|(_, i)| i.clone())
                .ok_or_else(|| format!("\"{s}\" is neither a move (L, R, N) nor a synonym"))
        }
        Value::Mapping(map) => {
            let mut write = None;
            let mut movement: Option<(Move, Option<String>)> = None;
            for (k, val) in map {
                let key = scalar(k).unwrap_or_default();
                if key == "write" {
                    let w = scalar(val).ok_or("write needs a symbol")?;
                    write = Some(
                        one_char(&w)
                            .ok_or_else(|| format!("write \"{w}\" is not a single character"))?,
                    );
                } else if let Some(m) = mv(&key) {
                    if movement.is_some() {
                        return Err("two moves in one instruction".into());
                    }
                    let next = match val {
                        Value::Null => None,
                        other => Some(scalar(other).ok_or("a next state must be a name")?),
                    };
                    movement = Some((m, next));
                } else {
                    return Err(format!(
                        "unknown key \"{key}\" in an instruction (expected L, R, N or write)"
                    ));
                }
            }
            let (movement, next) = movement.ok_or("an instruction needs a move L, R or N")?;
            Ok(Instr {
                write,
                movement,
                next,
            })
        }
        Value::Tagged(t) => parse_instr(&t.value, synonyms),
        _ => Err("an instruction is a move (L, R, N), a synonym, or a mapping such as {write: 1, L: next}".into()),
    }
}

/// The symbols a table key lists, as turingmachine.io reads them: a key is split at commas
/// (a YAML list `[1,0]` reaches its JavaScript as the string `1,0`), two commas in a row
/// standing for the symbol `,` (`StateGraph.js`). A one-character key is that character.
fn split_symbols(key: &str) -> Vec<String> {
    if key.chars().count() <= 1 {
        return vec![key.to_string()];
    }
    let mut out: Vec<String> = Vec::new();
    for part in key.split(',') {
        match out.last_mut() {
            Some(last) if part.is_empty() && last.is_empty() => *last = ",".into(),
            _ => out.push(part.to_string()),
        }
    }
    out
}

/// The error for a document written for a multi-tape simulator.
fn multi_tape(line: Option<usize>) -> YamlError {
    YamlError {
        line,
        message: "multi-tape machines are not supported: arsim runs one-tape machines".into(),
    }
}

/// Parses a turingmachine.io document into a spec (not yet validated) and its input.
pub fn parse(text: &str) -> Result<YamlMachine, YamlError> {
    // Bounded before parsing: the parser's time grows with a hostile document's depth.
    crate::limits::check_yaml_depth(text).map_err(|e| YamlError {
        line: None,
        message: e.to_string(),
    })?;
    let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| YamlError {
        line: e.location().map(|l| l.line()),
        message: e.to_string(),
    })?;
    let fail = |line: Option<usize>, message: String| YamlError { line, message };
    let Value::Mapping(top) = doc else {
        return Err(fail(
            None,
            "a machine is a mapping with blank, start state and table".into(),
        ));
    };
    // A document saved by the site wraps the machine's own text.
    if let Some(src) = top.get("source code").and_then(Value::as_str) {
        if !top.contains_key("table") {
            let offset = find_key_line(text, "source code").unwrap_or(0);
            return parse(src).map_err(|e| YamlError {
                line: e.line.map(|l| l + offset),
                message: e.message,
            });
        }
    }
    let get = |k: &str| top.get(k).filter(|v| !v.is_null());
    // Multi-tape dialects list one input, blank or move per tape.
    for k in ["tapes", "tape count", "number of tapes"] {
        if top.contains_key(k) {
            return Err(multi_tape(find_key_line(text, k)));
        }
    }
    for k in ["input", "blank"] {
        if get(k).is_some_and(Value::is_sequence) {
            return Err(multi_tape(find_key_line(text, k)));
        }
    }
    // Another simulator's dialect names its tape count: `type: 3tape`.
    if let Some(kind) = get("type").and_then(scalar) {
        let k = kind.to_ascii_lowercase();
        if k.contains("tape") && !matches!(k.trim(), "1tape" | "1-tape" | "1 tape" | "onetape") {
            return Err(multi_tape(find_key_line(text, "type")));
        }
    }
    let blank_text = get("blank")
        .and_then(scalar)
        .ok_or_else(|| fail(None, "no blank symbol (e.g. blank: ' ')".into()))?;
    let blank = one_char(&blank_text).ok_or_else(|| {
        fail(
            find_key_line(text, "blank"),
            format!("blank \"{blank_text}\" is not a single character"),
        )
    })?;
    let start = get("start state")
        .and_then(scalar)
        .ok_or_else(|| fail(None, "no start state (e.g. start state: A)".into()))?;
    let input = get("input").and_then(scalar);
    let table: &Mapping = match get("table") {
        Some(Value::Mapping(t)) => t,
        Some(_) => {
            return Err(fail(
                find_key_line(text, "table"),
                "the table must map states to symbols to instructions".into(),
            ))
        }
        None => return Err(fail(None, "no transition table (table:)".into())),
    };
    let mut synonyms: Vec<(String, Instr)> = Vec::new();
    match get("synonyms") {
        None => {}
        Some(Value::Mapping(syn)) => {
            for (k, v) in syn {
                let name = scalar(k).unwrap_or_default();
                let i = parse_instr(v, &[]).map_err(|m| {
                    fail(
                        find_key_line(text, &name),
                        format!("synonym \"{name}\": {m}"),
                    )
                })?;
                synonyms.push((name, i));
            }
        }
        Some(_) => {
            return Err(fail(
                find_key_line(text, "synonyms"),
                "synonyms must map names to instructions".into(),
            ))
        }
    }
    let mut states: Vec<String> = Vec::new();
    for k in table.keys() {
        let name = scalar(k).ok_or_else(|| fail(None, "a state name must be a scalar".into()))?;
        if states.contains(&name) {
            return Err(fail(
                find_key_line(text, &name),
                format!("state \"{name}\" is listed twice"),
            ));
        }
        states.push(name);
    }
    if !states.contains(&start) {
        return Err(fail(
            find_key_line(text, "start state"),
            format!("the start state \"{start}\" is not in the table"),
        ));
    }
    let mut symbols: Vec<char> = vec![blank];
    let mut add_symbol = |c: char| {
        if !symbols.contains(&c) {
            symbols.push(c);
        }
    };
    let mut halting = Vec::new();
    let mut rules = Vec::new();
    let mut warnings = Vec::new();
    for (k, entry) in table {
        let q = scalar(k).unwrap_or_default();
        let line = find_key_line(text, &q);
        let row = match entry {
            Value::Null => {
                halting.push(q.clone());
                continue;
            }
            Value::Mapping(row) => row,
            _ => {
                return Err(fail(
                    line,
                    format!("state \"{q}\": expected a mapping from symbols to instructions, or nothing for a halting state"),
                ))
            }
        };
        for (key, v) in row {
            if matches!(key, Value::Sequence(items) if items.iter().any(Value::is_sequence)) {
                return Err(multi_tape(line));
            }
            let keys: Vec<&Value> = match key {
                Value::Sequence(items) => items.iter().collect(),
                one => vec![one],
            };
            let instr =
                parse_instr(v, &synonyms).map_err(|m| fail(line, format!("state \"{q}\": {m}")))?;
            if instr.movement == Move::S && warnings.is_empty() {
                warnings.push(fail(
                    line,
                    format!(
                        "state \"{q}\": N (stay) is read as a move that stays, but \
                         turingmachine.io has only L and R and refuses this document"
                    ),
                ));
            }
            if let Some(n) = &instr.next {
                if !states.contains(n) {
                    return Err(fail(
                        line,
                        format!("state \"{q}\": next state \"{n}\" is not in the table"),
                    ));
                }
            }
            let mut syms: Vec<char> = Vec::new();
            for sym in keys {
                let text_sym = scalar(sym).ok_or_else(|| {
                    fail(
                        line,
                        format!("state \"{q}\": a symbol must be a single character"),
                    )
                })?;
                for part in split_symbols(&text_sym) {
                    syms.push(one_char(&part).ok_or_else(|| {
                        fail(
                            line,
                            format!("state \"{q}\": symbol \"{part}\" is not a single character"),
                        )
                    })?);
                }
            }
            for s in syms {
                add_symbol(s);
                let w = instr.write.unwrap_or(s);
                add_symbol(w);
                if rules
                    .iter()
                    .any(|r: &RuleSpec| r.0 == q && r.1 == s.to_string())
                {
                    return Err(fail(
                        line,
                        format!("state \"{q}\": two instructions for symbol '{s}'"),
                    ));
                }
                rules.push(RuleSpec(
                    q.clone(),
                    s.to_string(),
                    w.to_string(),
                    instr.movement,
                    instr.next.clone().unwrap_or_else(|| q.clone()),
                ));
            }
        }
    }
    if let Some(i) = &input {
        i.chars().for_each(&mut add_symbol);
    }
    let description = match &input {
        Some(i) => format!("turingmachine.io machine; its input: '{i}'"),
        None => "turingmachine.io machine".to_string(),
    };
    Ok(YamlMachine {
        spec: MachineSpec {
            name: get("name").and_then(scalar).unwrap_or_default(),
            description,
            symbols: symbols.iter().map(|c| c.to_string()).collect(),
            blank: blank.to_string(),
            states,
            start,
            halting,
            rules,
            input: input.clone(),
            inputs: None,
            examples: Vec::new(),
            convention: None,
        },
        input,
        warnings,
    })
}

/// Whether YAML lets `c` stand as itself in a double-quoted scalar or a comment: printable,
/// and not one of YAML 1.1's extra line breaks.
fn plain_char(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// A YAML double-quoted scalar; everything YAML does not print raw is escaped.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if plain_char(c) => out.push(c),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// One mapping entry `key:value` (`value` empty for null, else starting with a space). YAML
/// limits simple keys to 1024 characters; longer ones are written as explicit `? key` entries.
fn key(indent: &str, k: &str, value: &str) -> String {
    if k.len() <= 512 {
        format!("{indent}{k}:{value}\n")
    } else {
        format!("{indent}? {k}\n{indent}:{value}\n")
    }
}

/// Writes a machine as a turingmachine.io document: stay moves become `N`, halting states
/// empty entries; symbols sharing one instruction share a list key.
///
/// Every machine can be written; its input only when the head starts on the input's first
/// cell: turingmachine.io has no head marker (a `*` in its input is a tape symbol), so an
/// input whose `*` starts the head elsewhere is refused.
pub(crate) fn to_yaml(m: &Machine) -> Result<String, YamlExportError> {
    let mut out = String::new();
    for l in [m.name(), m.description()]
        .iter()
        .flat_map(|t| t.lines())
        .filter(|l| !l.trim().is_empty())
    {
        let l: String = l
            .chars()
            .map(|c| if plain_char(c) { c } else { ' ' })
            .collect();
        out.push_str(&format!("# {l}\n"));
    }
    out.push_str(&format!("name: {}\n", quote(m.name())));
    if let Some(input) = m.default_input() {
        // The symbols of the input: a head marker on its first cell is dropped, as it says
        // what turingmachine.io does anyway.
        let (chars, head) = split_head_marker(input, m.symbol_id(HEAD_MARKER).is_some());
        if head > 0 {
            return Err(YamlExportError(format!(
                "the input {input:?}, whose `*` starts the head on cell {head}: the site starts the head on the input's first cell"
            )));
        }
        let word: String = chars.into_iter().map(|(_, c)| c).collect();
        out.push_str(&format!("input: {}\n", quote(&word)));
    }
    out.push_str(&format!(
        "blank: {}\n",
        quote(&m.symbol_char(m.blank()).to_string())
    ));
    out.push_str(&format!(
        "start state: {}\n",
        quote(m.state_name(m.start()))
    ));
    out.push_str("table:\n");
    for (qi, q) in m.states().iter().enumerate() {
        let qid = super::StateId(qi as u16);
        if m.is_halting(qid) {
            out.push_str(&key("  ", &quote(q), ""));
            continue;
        }
        // Group symbols by the text of their instruction (relative: unchanged parts omitted).
        let mut groups: Vec<(String, Vec<char>)> = Vec::new();
        for (si, &c) in m.symbols().iter().enumerate() {
            let Some(t) = m.rule(qid, super::SymbolId(si as u8)) else {
                continue;
            };
            let mv = match t.movement {
                Move::L => "L",
                Move::R => "R",
                Move::S => "N",
            };
            let same_state = t.next == qid;
            let w = m.symbol_char(t.write);
            let instr = match (w == c, same_state) {
                (true, true) => mv.to_string(),
                (true, false) => format!("{{{mv}: {}}}", quote(m.state_name(t.next))),
                (false, true) => format!("{{write: {}, {mv}}}", quote(&w.to_string())),
                (false, false) => format!(
                    "{{write: {}, {mv}: {}}}",
                    quote(&w.to_string()),
                    quote(m.state_name(t.next))
                ),
            };
            match groups.iter_mut().find(|(i, _)| *i == instr) {
                Some((_, cs)) => cs.push(c),
                None => groups.push((instr, vec![c])),
            }
        }
        if groups.is_empty() {
            out.push_str(&key("  ", &quote(q), " {}"));
            continue;
        }
        out.push_str(&key("  ", &quote(q), ""));
        for (instr, cs) in groups {
            let k = if cs.len() == 1 {
                quote(&cs[0].to_string())
            } else {
                let items: Vec<String> = cs.iter().map(|c| quote(&c.to_string())).collect();
                format!("[{}]", items.join(", "))
            };
            out.push_str(&key("    ", &k, &format!(" {instr}")));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpreter;
    use crate::machine::{validate, Stop};

    const INCREMENT: &str = "\
# Adds 1 to a binary number.
input: '1011'
blank: ' '
start state: right
table:
  # scan to the rightmost digit
  right:
    [1,0]: R
    ' '  : {L: carry}
  # then carry the 1
  carry:
    1      : {write: 0, L}
    [0,' ']: {write: 1, L: done}
  done:
";

    #[test]
    fn binary_increment_example_runs() {
        let y = parse(INCREMENT).unwrap();
        assert_eq!(y.input.as_deref(), Some("1011"));
        assert_eq!(y.spec.halting, ["done"]);
        let m = validate(&y.spec, None, None).unwrap();
        let run = interpreter::run(&m, &m.parse_input("1011").unwrap(), 1000);
        assert_eq!(run.stop, Stop::Halted);
        assert_eq!(run.tape, "1100");
    }

    #[test]
    fn saved_documents_and_synonyms() {
        let doc = "name: x\nsource code: |\n  blank: '0'\n  start state: A\n  synonyms:\n    go: {write: 1, R: B}\n  table:\n    A:\n      0: go\n    B:\n";
        let y = parse(doc).unwrap();
        assert_eq!(y.spec.rules.len(), 1);
        assert_eq!(y.spec.rules[0].4, "B");
    }

    #[test]
    fn errors_are_specific() {
        let e = parse("blank: ' '\nstart state: A\ntable:\n  A:\n    a: {R: B}\n").unwrap_err();
        assert!(e.message.contains("next state \"B\""), "{e}");
        assert_eq!(e.line, Some(4));
        let e = parse("blank: '  '\nstart state: A\ntable:\n  A:\n").unwrap_err();
        assert!(e.message.contains("blank"));
        let e = parse("blank: a\nstart state: A\ntable: [").unwrap_err();
        assert!(e.line.is_some());
        assert!(parse("blank: a\nstart state: A\ntable:\n  A:\n    b: {L: A, R: A}\n").is_err());
        assert!(parse("blank: a\nstart state: A\ntable:\n  A:\n    b: U\n").is_err());
        assert!(parse("- 1\n- 2\n").is_err());
    }

    #[test]
    fn quoting_escapes_what_yaml_does_not_print() {
        assert_eq!(quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quote("\u{7f}\u{85}\n"), r#""\u007f\u0085\u000a""#);
        let v: Value = serde_yaml_ng::from_str(&quote("x\u{7f}\u{2028}\u{1f600}")).unwrap();
        assert_eq!(v.as_str(), Some("x\u{7f}\u{2028}\u{1f600}"));
    }

    #[test]
    fn long_keys_are_explicit() {
        let long = "q".repeat(2000);
        let spec = MachineSpec {
            symbols: vec!["0".into(), "1".into()],
            blank: "0".into(),
            states: vec![long.clone(), "Z".into()],
            start: long.clone(),
            halting: vec!["Z".into()],
            rules: vec![RuleSpec(
                long.clone(),
                "0".into(),
                "1".into(),
                Move::R,
                "Z".into(),
            )],
            ..MachineSpec::default()
        };
        let m = validate(&spec, None, None).unwrap();
        let text = to_yaml(&m).unwrap();
        assert!(text.contains(&format!("  ? \"{long}\"\n  :\n")));
        let back = validate(&parse(&text).unwrap().spec, None, None).unwrap();
        assert_eq!(back.states(), m.states());
    }

    #[test]
    fn export_round_trips() {
        let spec = crate::machine::standard::parse("1RB2LB1RZ_2LA2RB1LB").unwrap();
        let m = validate(&spec, None, None).unwrap();
        let text = to_yaml(&m).unwrap();
        let back = validate(&parse(&text).unwrap().spec, None, None).unwrap();
        assert_eq!(back.states(), m.states());
        assert_eq!(back.symbols(), m.symbols());
        assert_eq!(
            back.rules().collect::<Vec<_>>(),
            m.rules().collect::<Vec<_>>()
        );
        assert!(back.is_halting(back.state_id("Z").unwrap()));
    }

    #[test]
    fn comma_keys_list_symbols_as_the_site_reads_them() {
        assert_eq!(split_symbols("1,0"), ["1", "0"]);
        assert_eq!(split_symbols(","), [","]);
        assert_eq!(split_symbols("a,,,b"), ["a", ",", "b"]);
        let y = parse("input: '10'\nblank: ' '\nstart state: r\ntable:\n  r:\n    '1,0': R\n    ' ': {L: d}\n  d:\n").unwrap();
        assert_eq!(y.spec.rules.len(), 3);
        assert_eq!(y.spec.input.as_deref(), Some("10"));
        let m = validate(&y.spec, None, None).unwrap();
        assert_eq!(m.default_input(), Some("10"));
    }

    #[test]
    fn multi_tape_documents_are_refused_by_name() {
        for doc in [
            "input: ['1', '0']\nblank: ' '\nstart state: a\ntable:\n  a:\n",
            "tapes: 2\nblank: ' '\nstart state: a\ntable:\n  a:\n",
            "blank: ' '\nstart state: a\ntable:\n  a:\n    [[1, 0], [0, 1]]: R\n",
            "type: 3tape\nblank: ' '\nstart state: a\ntable:\n  a:\n    '0': {write: ' 0 ', R}\n",
        ] {
            let e = parse(doc).unwrap_err();
            assert!(
                e.message.contains("multi-tape machines are not supported"),
                "{e}"
            );
        }
    }

    #[test]
    fn n_moves_are_read_as_stays_and_said_to_be_arsims_own() {
        let doc = "blank: ' '\nstart state: a\ntable:\n  a:\n    '1': {write: 0, N: b}\n  b:\n";
        let y = parse(doc).unwrap();
        assert_eq!(y.spec.rules[0].3, Move::S);
        assert_eq!(y.warnings.len(), 1);
        assert_eq!(y.warnings[0].line, Some(4));
        assert!(
            y.warnings[0].message.contains("only L and R"),
            "{:?}",
            y.warnings
        );
        let plain = "blank: ' '\nstart state: a\ntable:\n  a:\n    '1': {write: 0, R: b}\n  b:\n";
        assert!(parse(plain).unwrap().warnings.is_empty());
    }
}
