//! The `--json` contract: `docs/json.md` and the program cannot drift apart.
//!
//! The doc has one section per command (`### \`id\``), each with the example command it was
//! generated from (a line `` `arsim … --json` ``) and a table of keys. This test runs every
//! section's command exactly as the doc writes it and checks that the output carries
//! `schema_version` 2, that its top-level keys are exactly the table's, and that each nested
//! object the table describes (rows `a.b`, `a.b.c`, `a[].b`) has exactly the listed keys.

mod common;
use common::arsim;
use std::collections::{BTreeMap, BTreeSet};

/// The version `docs/json.md` documents.
const SCHEMA_VERSION: u64 = 2;

/// One section of the doc: its id, the example command's arguments, and its key rows.
struct Section {
    id: String,
    args: Vec<String>,
    keys: Vec<String>,
}

/// Reads the sections of `docs/json.md` (everything under "## Commands" up to the next `## `).
fn sections() -> Vec<Section> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json.md");
    let doc = std::fs::read_to_string(path).expect("docs/json.md exists");
    let body = doc
        .split_once("## Commands")
        .expect("docs/json.md has a '## Commands' section")
        .1;
    let body = body.split("\n## ").next().unwrap_or(body);
    let mut out: Vec<Section> = Vec::new();
    for line in body.lines() {
        if let Some(id) = line.strip_prefix("### ") {
            out.push(Section {
                id: id.trim_matches('`').to_string(),
                args: Vec::new(),
                keys: Vec::new(),
            });
        } else if let Some(cmd) = line.strip_prefix("`arsim ") {
            let s = out.last_mut().expect("a command line belongs to a section");
            s.args = cmd
                .trim_end_matches('`')
                .split_whitespace()
                .map(String::from)
                .collect();
        } else if let Some(row) = line.strip_prefix("| `") {
            let s = out.last_mut().expect("a table row belongs to a section");
            s.keys
                .push(row.split('`').next().unwrap_or_default().to_string());
        }
    }
    out
}

/// The values at a documented path: `""` is the top level, `a.b` walks objects, `a[]` stands
/// for every element of the array `a` (none when a value on the way is null or empty).
fn values_at(v: &serde_json::Value, path: &str) -> Vec<serde_json::Value> {
    let mut here = vec![v.clone()];
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let (name, each) = match segment.strip_suffix("[]") {
            Some(name) => (name, true),
            None => (segment, false),
        };
        here = here
            .iter()
            .filter_map(|x| x.get(name).cloned())
            .flat_map(|x| {
                if each {
                    x.as_array().cloned().unwrap_or_default()
                } else {
                    vec![x]
                }
            })
            .collect();
    }
    here
}

/// The keys of `v` (an object), sorted.
fn keys_of(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn every_json_output_matches_docs_json_md() {
    let dir = tempfile::tempdir().unwrap();
    // `task text` reads a corpus: the doc's examples name `stories.txt`.
    let corpus = common::write_stories(dir.path());
    let corpus = corpus.to_str().unwrap();
    // Pictures the examples write go to the temporary directory too.
    let svg = dir.path().join("trace.svg");
    let svg = svg.to_str().unwrap();
    let html = dir.path().join("trace.html");
    let html = html.to_str().unwrap();
    let hf_dir = dir.path().join("hf-dir");
    let hf_dir = hf_dir.to_str().unwrap();
    let hf_trained = dir.path().join("hf-trained");
    let hf_trained = hf_trained.to_str().unwrap();
    let trained = dir.path().join("trained.safetensors");
    let trained = trained.to_str().unwrap();
    // `task frontier` reads `task multiply` reports: one short run writes one.
    let report = dir.path().join("multiply.json");
    let out = arsim(&[
        "task", "multiply", "--cot", "none", "--model", "linear", "--d", "4", "--train", "64",
        "--batch", "32", "--eval", "5", "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    std::fs::write(&report, &out.stdout).unwrap();
    let report = report.to_str().unwrap();

    let sections = sections();
    let ids: BTreeSet<&str> = sections.iter().map(|s| s.id.as_str()).collect();
    // Every command that takes --json has a section (variants may add more).
    for command in [
        "run",
        "emulate",
        "compile",
        "certify",
        "trace",
        "length",
        "convert",
        "dot",
        "learn",
        "task parity",
        "task multiply",
        "task frontier",
        "task text",
        "error",
    ] {
        assert!(
            ids.contains(command),
            "docs/json.md has no section `{command}`"
        );
    }

    let mut failures = Vec::new();
    for s in &sections {
        assert!(
            !s.args.is_empty(),
            "section `{}` has no example command",
            s.id
        );
        assert!(!s.keys.is_empty(), "section `{}` has no key table", s.id);
        let args: Vec<&str> = s
            .args
            .iter()
            .map(|a| match a.as_str() {
                "stories.txt" => corpus,
                "trace.svg" => svg,
                "trace.html" => html,
                "hf-dir" => hf_dir,
                "hf-trained" => hf_trained,
                "trained.safetensors" => trained,
                "multiply.json" => report,
                a => a,
            })
            .collect();
        let out = arsim(&args);
        let want_code = if s.id == "error" { 2 } else { 0 };
        assert_eq!(
            out.status.code(),
            Some(want_code),
            "`arsim {}`: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("`arsim {}` printed no JSON: {e}", args.join(" ")));
        assert_eq!(v["schema_version"], SCHEMA_VERSION, "section `{}`", s.id);

        // Every documented object (the top level, `a`, `a.b`, `a[]`): its keys are exactly the
        // rows directly under it.
        let mut objects: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for k in &s.keys {
            let (parent, child) = match k.rsplit_once('.') {
                Some((parent, child)) => (parent.to_string(), child.to_string()),
                None => (String::new(), k.clone()),
            };
            objects.entry(parent).or_default().insert(child);
        }
        for (path, want) in objects {
            let found = values_at(&v, &path);
            assert!(!found.is_empty(), "`{}`: nothing at `{path}`", s.id);
            for e in found.iter().filter(|e| e.is_object()) {
                if keys_of(e) != want {
                    failures.push(format!(
                        "`{}` {}: program {:?}, doc {:?}",
                        s.id,
                        if path.is_empty() { "top level" } else { &path },
                        keys_of(e),
                        want
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "docs/json.md and the program differ:\n{}",
        failures.join("\n")
    );
}
