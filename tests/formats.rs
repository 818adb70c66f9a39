//! Machine formats and pictures: round-trips of the corpus through every format that can
//! express each machine, the Morphett palindrome example with its wildcards, picture sizes,
//! DOT graphs that parse back, and parsers that never panic on random or mutated input.

use arsim::draw::spacetime::{self, SpaceTimeOptions};
use arsim::interpreter;
use arsim::machine::convert::{write_machine, ConvertError};
use arsim::machine::load::from_bytes;
use arsim::machine::{load_machine, seed, Input, Machine, MachineFormat, StateId};
use arsim::window::window_of_run;
use proptest::prelude::*;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Command;

const ALL: [MachineFormat; 5] = [
    MachineFormat::Ron,
    MachineFormat::Standard,
    MachineFormat::Seed,
    MachineFormat::Morphett,
    MachineFormat::Yaml,
];

fn manifest(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn corpus() -> Vec<(String, Machine)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(manifest("machines"))
        .expect("machines/ exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let m = load_machine(p.to_str().unwrap()).unwrap_or_else(|e| panic!("{e}"));
            (name, m)
        })
        .collect()
}

/// Checks that `b` is `a` up to the names of states: a bijection from `a`'s states reached
/// from the start onto `b`'s, matching symbols by character, that maps every rule to a rule.
fn same_machine(a: &Machine, b: &Machine) -> Result<(), String> {
    if a.symbol_char(a.blank()) != b.symbol_char(b.blank()) {
        return Err("different blanks".into());
    }
    let symbols: BTreeSet<char> = a.symbols().iter().chain(b.symbols()).copied().collect();
    let mut map: HashMap<StateId, StateId> = HashMap::new();
    let mut queue = VecDeque::from([(a.start(), b.start())]);
    map.insert(a.start(), b.start());
    while let Some((qa, qb)) = queue.pop_front() {
        if a.is_halting(qa) != b.is_halting(qb) {
            return Err(format!("state {} halting differs", a.state_name(qa)));
        }
        for &c in &symbols {
            let ta = a.symbol_id(c).and_then(|s| a.rule(qa, s));
            let tb = b.symbol_id(c).and_then(|s| b.rule(qb, s));
            match (ta, tb) {
                (None, None) => {}
                (Some(ta), Some(tb)) => {
                    if a.symbol_char(ta.write) != b.symbol_char(tb.write)
                        || ta.movement != tb.movement
                    {
                        return Err(format!("rule ({}, {c}) differs", a.state_name(qa)));
                    }
                    match map.get(&ta.next) {
                        Some(&n) if n != tb.next => {
                            return Err(format!("rule ({}, {c}) goes elsewhere", a.state_name(qa)))
                        }
                        Some(_) => {}
                        None => {
                            map.insert(ta.next, tb.next);
                            queue.push_back((ta.next, tb.next));
                        }
                    }
                }
                _ => return Err(format!("rule ({}, {c}) only on one side", a.state_name(qa))),
            }
        }
    }
    Ok(())
}

/// Runs the corpus examples (those up to 5M steps) on the converted machine too.
fn same_runs(a: &Machine, b: &Machine) {
    for e in a.examples().iter().filter(|e| e.steps <= 5_000_000) {
        let limit = e.max_steps.unwrap_or(e.steps);
        let ra = interpreter::run(a, &e.input, limit);
        let input = b.parse_input(&e.input_text).expect("same alphabet");
        let rb = interpreter::run(b, &input, limit);
        assert_eq!(
            (ra.steps, ra.stop, &ra.tape),
            (rb.steps, rb.stop, &rb.tape),
            "{} on {:?}",
            a.name(),
            e.input_text
        );
    }
}

#[test]
fn corpus_round_trips_through_every_format_that_can_express_it() {
    let mut written: HashMap<MachineFormat, Vec<String>> = HashMap::new();
    for (name, m) in corpus() {
        for format in ALL {
            let bytes = match write_machine(&m, format) {
                Ok(b) => b,
                Err(e) => {
                    // What a format cannot express is a clear error, never a panic.
                    let msg = e.to_string();
                    assert!(
                        msg.contains("cannot") || msg.contains("at most"),
                        "{name} → {format:?}: {msg}"
                    );
                    continue;
                }
            };
            assert_eq!(MachineFormat::detect(&bytes), format, "{name} {format:?}");
            let back = from_bytes(&bytes, format, &name, &name, 0)
                .unwrap_or_else(|e| panic!("{name} → {format:?} → back: {e}"));
            if format == MachineFormat::Ron {
                assert_eq!(back.to_spec(), m.to_spec(), "{name}: .ron → .ron is exact");
            }
            same_machine(&m, &back).unwrap_or_else(|e| panic!("{name} via {format:?}: {e}"));
            same_runs(&m, &back);
            written.entry(format).or_default().push(name.clone());
        }
    }
    let count = |f| written.get(&f).map_or(0, Vec::len);
    assert_eq!(count(MachineFormat::Ron), 16);
    assert_eq!(count(MachineFormat::Yaml), 16);
    // Every busy beaver (digit symbols, no stay moves) goes through the standard format.
    for bb in ["bb2", "bb3", "bb4", "bb5", "bb2x3", "bb2x4"] {
        assert!(
            written[&MachineFormat::Standard].contains(&bb.to_string()),
            "{bb}"
        );
    }
    // Morphett cannot hold '*' as a symbol (unary-multiply, binary-multiply).
    assert!(count(MachineFormat::Morphett) >= 14, "{written:?}");
    assert!(count(MachineFormat::Seed) >= 1, "{written:?}");
}

#[test]
fn standard_round_trip_keeps_busy_beaver_names() {
    for (name, m) in corpus().into_iter().filter(|(n, _)| n.starts_with("bb")) {
        let text = String::from_utf8(write_machine(&m, MachineFormat::Standard).unwrap()).unwrap();
        let back = load_machine(text.trim()).unwrap();
        assert_eq!(back.states(), m.states(), "{name}");
        assert_eq!(
            back.rules().collect::<Vec<_>>(),
            m.rules().collect::<Vec<_>>()
        );
    }
    let bb5 = load_machine(manifest("machines/bb5.ron").to_str().unwrap()).unwrap();
    assert_eq!(
        write_machine(&bb5, MachineFormat::Standard).unwrap(),
        b"1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA\n"
    );
}

#[test]
fn inexpressible_machines_get_clear_errors() {
    let pal = load_machine(manifest("machines/palindrome.ron").to_str().unwrap()).unwrap();
    let e = write_machine(&pal, MachineFormat::Standard).unwrap_err();
    assert!(matches!(e, ConvertError::Standard(_)));
    assert!(e.to_string().contains("cannot write symbol '_'"), "{e}");
    let e = write_machine(&pal, MachineFormat::Seed).unwrap_err();
    assert!(e.to_string().contains("3 symbols"), "{e}");
    let um = load_machine(manifest("machines/unary-multiply.ron").to_str().unwrap()).unwrap();
    let e = write_machine(&um, MachineFormat::Morphett).unwrap_err();
    assert!(e.to_string().contains("the symbol '*'"), "{e}");
}

#[test]
fn seed_round_trips_machines_with_undefined_transitions() {
    for s in [
        "1RB---_1LA0RB",
        "1RB1LC_1RC1RB_1RD0LE_1LA1LD_---0LA",
        "0RA---",
    ] {
        let m = load_machine(s).unwrap();
        let bytes = write_machine(&m, MachineFormat::Seed).unwrap();
        assert_eq!(bytes.len(), 6 * (s.len() + 1) / 7);
        assert_eq!(seed::to_standard_string(&bytes, None).unwrap(), s);
        let back = from_bytes(&bytes, MachineFormat::Seed, "s", "s", 0).unwrap();
        same_machine(&m, &back).unwrap();
    }
}

fn palindrome() -> Machine {
    arsim::machine::load::load_file(&manifest("tests/data/morphett-palindrome.tm")).unwrap()
}

#[test]
fn morphett_palindrome_example_decides_palindromes() {
    let m = palindrome();
    assert_eq!(m.name(), "morphett-palindrome");
    for n in 0..=8u32 {
        for bits in 0..(1u32 << n) {
            let word: String = (0..n)
                .map(|i| if bits >> i & 1 == 1 { '1' } else { '0' })
                .collect();
            let is_pal = word.chars().eq(word.chars().rev());
            let run = interpreter::run(&m, &m.parse_input(&word).unwrap(), 100_000);
            let (state, tape) = if is_pal {
                ("halt-accept", ":)")
            } else {
                ("halt-reject", ":(")
            };
            assert_eq!(
                (run.state.as_str(), run.tape.as_str()),
                (state, tape),
                "{word}"
            );
        }
    }
    // morphett.info's own count for its example input.
    let run = interpreter::run(&m, &m.parse_input("1001001").unwrap(), 100_000);
    assert_eq!(run.steps, 38);
}

#[test]
fn morphett_file_runs_from_the_command_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_arsim"))
        .args([
            "run",
            "tests/data/morphett-palindrome.tm",
            "--input",
            "1001001",
            "--json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["steps"], 38);
    assert_eq!(v["state"], "halt-accept");
    // Forced format, and errors that name the file and line.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "0 a b r 1\n0 a b x 1\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_arsim"))
        .args(["run", bad.to_str().unwrap(), "--format", "morphett"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.txt:2: direction \"x\""), "{err}");
}

#[test]
fn yaml_example_loads_by_extension() {
    let m = arsim::machine::load::load_file(&manifest("tests/data/binary-increment.yaml")).unwrap();
    let run = interpreter::run(&m, &m.parse_input("1011").unwrap(), 1_000);
    assert_eq!(run.tape, "1100");
    assert_eq!(run.state, "done");
}

#[test]
fn space_time_png_has_the_expected_size() {
    let m = load_machine("1RB1LB_1LA1RZ").unwrap();
    let w = window_of_run(&m, &Input::default(), 100);
    assert_eq!(w.size, 4);
    let plain = SpaceTimeOptions {
        plain: true,
        ..SpaceTimeOptions::default()
    };
    let d = spacetime::reference(&m, &Input::default(), w, 100, &plain).unwrap();
    let png = d.to_png().unwrap();
    // 4 cells × 7 rows (C0..C6), scaled 16×: 64 × 112 pixels.
    assert_eq!(png_size(&png), (64, 112));
    // With labels and legend the grid is the same and the picture larger.
    let d =
        spacetime::reference(&m, &Input::default(), w, 100, &SpaceTimeOptions::default()).unwrap();
    let l = d.layout();
    assert_eq!(
        png_size(&d.to_png().unwrap()),
        (l.width as u32, l.height as u32)
    );
    assert!(l.width > 64 && l.height > 112);
    // bb4 with --width 7: two cells per column, 108 rows.
    let bb4 = load_machine(manifest("machines/bb4.ron").to_str().unwrap()).unwrap();
    let w = window_of_run(&bb4, &Input::default(), 1_000);
    let narrow = SpaceTimeOptions {
        max_width: 7,
        plain: true,
        ..SpaceTimeOptions::default()
    };
    let d = spacetime::reference(&bb4, &Input::default(), w, 1_000, &narrow).unwrap();
    assert_eq!(png_size(&d.to_png().unwrap()), (7, 108));
}

fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

/// A small DOT reader: node statements `ID [..];` and edge statements `ID -> ID [..];`.
fn parse_dot(text: &str) -> (BTreeSet<String>, Vec<(String, String)>) {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' {
            let mut s = String::new();
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                s.push(chars[i]);
                i += 1;
            }
            i += 1;
            tokens.push(format!("\"{s}"));
        } else if c == '-' && chars.get(i + 1) == Some(&'>') {
            tokens.push("->".into());
            i += 2;
        } else if c.is_alphanumeric() || c == '_' || c == '#' || c == '.' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || "_#.".contains(chars[i])) {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else {
            tokens.push(c.to_string());
            i += 1;
        }
    }
    assert_eq!(tokens[0], "digraph");
    let body_start = tokens.iter().position(|t| t == "{").unwrap() + 1;
    let mut nodes = BTreeSet::new();
    let mut edges = Vec::new();
    let mut stmt: Vec<String> = Vec::new();
    let mut attribute = false;
    let mut depth = 0;
    for t in &tokens[body_start..] {
        match t.as_str() {
            "[" => depth += 1,
            "]" => depth -= 1,
            ";" | "}" if depth == 0 => {
                let s = std::mem::take(&mut stmt);
                if std::mem::take(&mut attribute) {
                    continue;
                }
                match s.as_slice() {
                    [a, arrow, b] if arrow == "->" => edges.push((a.clone(), b.clone())),
                    [id] if !["node", "edge", "graph"].contains(&id.as_str()) => {
                        nodes.insert(id.clone());
                    }
                    _ => {}
                }
            }
            "=" if depth == 0 => attribute = true,
            _ if depth == 0 => stmt.push(t.clone()),
            _ => {}
        }
    }
    (nodes, edges)
}

#[test]
fn dot_parses_back_with_the_right_nodes_and_edges() {
    for (name, m) in corpus() {
        let dot = arsim::graph::to_dot(&m);
        let (nodes, edges) = parse_dot(&dot);
        // One node per state plus the invisible start point.
        assert_eq!(nodes.len(), m.num_states() + 1, "{name}: {nodes:?}");
        // One edge per (from, to) pair of rules, plus the start arrow.
        let pairs: BTreeSet<(StateId, StateId)> = m.rules().map(|(q, _, t)| (q, t.next)).collect();
        assert_eq!(edges.len(), pairs.len() + 1, "{name}");
        for (a, b) in &edges {
            assert!(nodes.contains(a) && nodes.contains(b), "{name}: {a} -> {b}");
        }
        let g = arsim::graph::state_graph(&m);
        let labels: usize = g.edge_weights().map(Vec::len).sum();
        assert_eq!(labels, m.rules().count());
    }
}

/// Seed inputs for mutation: every corpus machine in every format it can be written in.
fn seeds() -> &'static [(MachineFormat, Vec<u8>)] {
    static SEEDS: std::sync::OnceLock<Vec<(MachineFormat, Vec<u8>)>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut v = Vec::new();
        for (_, m) in corpus() {
            for f in ALL {
                if let Ok(b) = write_machine(&m, f) {
                    v.push((f, b));
                }
            }
        }
        v.push((
            MachineFormat::Morphett,
            std::fs::read(manifest("tests/data/morphett-palindrome.tm")).unwrap(),
        ));
        v.push((
            MachineFormat::Yaml,
            std::fs::read(manifest("tests/data/binary-increment.yaml")).unwrap(),
        ));
        v.push((
            MachineFormat::Seed,
            seed::from_standard_string("1RB1LC_1RC1RB_1RD0LE_1LA1LD_---0LA").unwrap(),
        ));
        v
    })
}

/// One mutation of a byte string.
#[derive(Clone, Debug)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Duplicate(usize, usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let tokens: Vec<Vec<u8>> = [
        "*", "_", ";", "!", "\n", "[", "]", "{", "}", ":", ",", "'", "\"", "(", ")", "#", "halt",
        "write:", "L", "R", "N", "---", "\u{0}", "\u{27e8}", "~", "&a", "*a", "<<:", "- ", "0",
        "Z", "\\", "é",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Flip(p, b)),
        (any::<usize>(), prop::sample::select(tokens)).prop_map(|(p, t)| Edit::Insert(p, t)),
        (any::<usize>(), any::<Vec<u8>>()).prop_map(|(p, t)| Edit::Insert(p, t)),
        (any::<usize>(), 0usize..64).prop_map(|(p, n)| Edit::Delete(p, n)),
        (any::<usize>(), 0usize..64, any::<usize>()).prop_map(|(a, n, b)| Edit::Duplicate(a, n, b)),
    ]
}

fn apply(mut b: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = b.len();
        match e {
            Edit::Flip(p, x) if len > 0 => b[p % len] = *x,
            Edit::Insert(p, t) => {
                let p = p % (len + 1);
                b.splice(p..p, t.iter().copied());
            }
            Edit::Delete(p, n) if len > 0 => {
                let p = p % len;
                b.drain(p..(p + n).min(len));
            }
            Edit::Duplicate(a, n, to) if len > 0 => {
                let a = a % len;
                let part: Vec<u8> = b[a..(a + n).min(len)].to_vec();
                let to = to % (len + 1);
                b.splice(to..to, part);
            }
            _ => {}
        }
    }
    b
}

/// Random bytes, or a corpus file in `format` (or any format) with a few edits.
fn input_for(format: MachineFormat) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds().len();
    prop_oneof![
        1 => any::<Vec<u8>>(),
        4 => (0..n, prop::collection::vec(edit(), 0..6), any::<bool>()).prop_map(
            move |(i, edits, own)| {
                let pool: Vec<&(MachineFormat, Vec<u8>)> =
                    seeds().iter().filter(|(f, _)| !own || *f == format).collect();
                let (_, b) = pool[i % pool.len()];
                apply(b.clone(), &edits)
            }
        ),
    ]
}

/// Whatever arsim writes, in any format, it reads back.
fn writes_load_back(m: &Machine) {
    for to in ALL {
        if let Ok(bytes) = write_machine(m, to) {
            if let Err(e) = from_bytes(&bytes, to, "back", "back", 0) {
                panic!("{to:?} output of {} does not load back: {e}", m.name());
            }
        }
    }
}

/// Inputs the fuzz targets found (each file is named `<format>-<hash>`): a machine whose
/// Morphett form was an empty file (no rules), and YAML quoting of DEL and C1 controls.
#[test]
fn regression_fuzz_findings_write_and_load_back() {
    let mut n = 0;
    for entry in std::fs::read_dir(manifest("tests/data/fuzz")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let format = ALL
            .into_iter()
            .find(|f| name.starts_with(&format!("{}-", f.name())))
            .unwrap_or_else(|| panic!("{name}: named for its format"));
        let bytes = std::fs::read(&path).unwrap();
        load_and_run(format, &bytes);
        n += 1;
    }
    assert!(n >= 5);
}

/// Parses and validates in `format` and, when that works, runs the machine a little.
fn load_and_run(format: MachineFormat, bytes: &[u8]) {
    for index in [0, 1] {
        if let Ok(m) = from_bytes(bytes, format, "fuzz", "fuzz", index) {
            let _ = interpreter::run(&m, &Input::default(), 200);
            let _ = arsim::graph::to_dot(&m);
            writes_load_back(&m);
        }
    }
    let _ = MachineFormat::detect(bytes);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn ron_parser_never_panics(b in input_for(MachineFormat::Ron)) {
        load_and_run(MachineFormat::Ron, &b);
    }

    #[test]
    fn standard_parser_never_panics(b in input_for(MachineFormat::Standard)) {
        load_and_run(MachineFormat::Standard, &b);
        let _ = load_machine(&String::from_utf8_lossy(&b));
    }

    #[test]
    fn seed_parser_never_panics(b in input_for(MachineFormat::Seed)) {
        load_and_run(MachineFormat::Seed, &b);
    }

    #[test]
    fn morphett_parser_never_panics(b in input_for(MachineFormat::Morphett)) {
        load_and_run(MachineFormat::Morphett, &b);
    }

    #[test]
    fn yaml_parser_never_panics(b in input_for(MachineFormat::Yaml)) {
        load_and_run(MachineFormat::Yaml, &b);
    }
}

fn arsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_arsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

#[test]
fn cli_convert_trace_compile_and_dot() {
    let out = arsim(&["convert", "machines/bb5.ron", "--to", "standard"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, b"1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA\n");
    // Inexpressible: exit 2 with the reason.
    let out = arsim(&["convert", "machines/palindrome.ron", "--to", "standard"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write symbol '_'"));

    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    // A converted file loads again by its extension and runs the same.
    let tm = path("bb4.tm");
    let out = arsim(&[
        "convert",
        "machines/bb4.ron",
        "--to",
        "morphett",
        "--out",
        &tm,
    ]);
    assert_eq!(out.status.code(), Some(0));
    let out = arsim(&["run", &tm, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["steps"], 107);

    let png = path("bb4.png");
    let out = arsim(&[
        "trace",
        "machines/bb4.ron",
        "--png",
        &png,
        "--plain",
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows"], 108);
    let bytes = std::fs::read(&png).unwrap();
    let cols = v["columns"].as_u64().unwrap() as u32;
    let scale = v["scale"].as_u64().unwrap() as u32;
    assert_eq!(png_size(&bytes), (cols * scale, 108 * scale));

    let svg = path("bb4.svg");
    let out = arsim(&[
        "trace",
        "machines/bb4.ron",
        "--svg",
        &svg,
        "--emulate",
        "--steps",
        "10..20",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));

    let w = path("w.png");
    let out = arsim(&["compile", "machines/bb3.ron", "--png", &w]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(&std::fs::read(&w).unwrap()[1..4], b"PNG");

    let out = arsim(&["dot", "machines/bb2.ron", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["states"].as_u64(), v["edges"].as_u64()),
        (Some(3), Some(3))
    );
    let out = arsim(&[
        "trace",
        "machines/bb4.ron",
        "--png",
        &png,
        "--steps",
        "5..3",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

/// Regression (found by `yaml_parser_never_panics`' round trip): a machine that starts in a
/// halting state has no Morphett form (Morphett starts in state 0, which is not a `halt*`
/// state), so the writer says so instead of writing a file that does not load back.
#[test]
fn morphett_writer_refuses_a_machine_that_starts_halted() {
    let ron = r#"(name: "starts-halted", symbols: ["0", "1"], blank: "0", states: ["A", "Z"],
        start: "Z", halting: ["Z"], rules: [("A", "0", "1", R, "A"), ("A", "1", "1", R, "A")])"#;
    let m = from_bytes(ron.as_bytes(), MachineFormat::Ron, "t", "t", 0).unwrap();
    let e = write_machine(&m, MachineFormat::Morphett)
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot") && e.contains("halting"), "{e}");
    writes_load_back(&m);
}

#[test]
fn a_head_start_survives_conversion_where_the_format_can_say_it() {
    // A machine without a `*` symbol: in its input and its examples `*` marks the head's start.
    let text = r##"(
    name: "left",
    symbols: ["0", "1", "#"],
    blank: "0",
    states: ["walk", "halt"],
    start: "walk",
    halting: ["halt"],
    rules: [("walk", "1", "1", L, "walk"), ("walk", "0", "#", S, "halt")],
    input: "11*1",
    examples: [(input: "1*1", steps: 3, tape: "#11", nonblank: 3)],
)"##;
    let m = arsim::machine::load::from_ron_text(text, "left.ron", "left").unwrap();
    let want = m.parse_input("11*1").unwrap();
    assert_eq!((want.symbols.len(), want.head), (3, 2));
    // The example starts on cell 1 and walks left over both 1s to the blank on cell -1.
    let e = &m.examples()[0];
    assert_eq!(e.input, m.parse_input("1*1").unwrap());
    let r = interpreter::run(&m, &e.input, 100);
    assert_eq!(
        (r.steps, Some(r.tape), r.tape_start),
        (e.steps, e.tape.clone(), -1)
    );
    assert_eq!(interpreter::run(&m, &want, 100).tape_start, -1);
    // .ron keeps the input and the examples as written; Morphett's `$INITIAL_TAPE:` keeps the
    // `*` (its own head marker).
    for format in [MachineFormat::Ron, MachineFormat::Morphett] {
        let bytes = write_machine(&m, format).unwrap();
        let back = from_bytes(&bytes, format, "t", "t", 0).unwrap();
        let input = back.parse_input(back.default_input().unwrap()).unwrap();
        assert_eq!(back.render_input(&input), "11*1", "{format:?}");
        assert_eq!(
            interpreter::run(&back, &input, 100),
            interpreter::run(&m, &want, 100),
            "{format:?}"
        );
    }
    let back = from_bytes(
        &write_machine(&m, MachineFormat::Ron).unwrap(),
        MachineFormat::Ron,
        "t",
        "t",
        0,
    )
    .unwrap();
    assert_eq!(back.examples()[0].input, m.examples()[0].input);
    assert_eq!(back.examples()[0].input_text, "1*1");
    // turingmachine.io has no head marker (a `*` there is a tape symbol): refused, unless the
    // head starts on the input's first cell anyway.
    let e = write_machine(&m, MachineFormat::Yaml).unwrap_err();
    assert!(matches!(e, ConvertError::Yaml(_)), "{e}");
    assert!(e.to_string().contains("starts the head on cell 2"), "{e}");
    let first =
        arsim::machine::load::from_ron_text(&text.replace("11*1", "*111"), "f.ron", "f").unwrap();
    let yaml = String::from_utf8(write_machine(&first, MachineFormat::Yaml).unwrap()).unwrap();
    assert!(yaml.contains("input: \"111\""), "{yaml}");
}

/// Messages that blamed the wrong thing (issue 25.8): a start state given beside a file is not
/// blamed on the file's `start:` line; a byte-order mark is no part of a `.ron` or `.tm` file; a
/// RON struct of another name is named as such, not as a Rust type of arsim's.
#[test]
fn loading_messages_blame_the_right_thing() {
    use arsim::machine::{load_machine_with, LoadOptions};
    let opts = LoadOptions {
        start: Some("Q".into()),
        ..LoadOptions::default()
    };
    let e = load_machine_with("machines/bb2.ron", &opts)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown state \"Q\" in start") && !e.contains("bb2.ron:1"),
        "{e}"
    );
    let dir = tempfile::tempdir().unwrap();
    let bom = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, [&b"\xef\xbb\xbf"[..], text.as_bytes()].concat()).unwrap();
        p.to_str().unwrap().to_string()
    };
    let ron = bom(
        "bb2.ron",
        &std::fs::read_to_string("machines/bb2.ron").unwrap(),
    );
    assert_eq!(
        interpreter::run(&load_machine(&ron).unwrap(), &Input::default(), 100).steps,
        6
    );
    let tm = bom("one.tm", "0 _ 1 r halt\n");
    assert_eq!(
        interpreter::run(&load_machine(&tm).unwrap(), &Input::default(), 100).steps,
        1
    );
    let p = dir.path().join("other.ron");
    std::fs::write(&p, "Machine(name: \"x\")").unwrap();
    let e = load_machine(p.to_str().unwrap()).unwrap_err().to_string();
    assert!(
        e.contains("expected a machine") && !e.contains("MachineSpec"),
        "{e}"
    );
}
