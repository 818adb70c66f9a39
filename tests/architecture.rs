//! The layer table of `ARCHITECTURE.md`, held by a test.
//!
//! Every `.rs` file of the library (`src/`, less `src/bin/`) and of the two shells
//! (`src/bin/arsim/`, `python/src/`) is parsed with `syn`. Every path it names, in a `use` tree,
//! in code or in a macro's tokens, that starts with `crate`, `super`, `self` (or `arsim`, in a
//! shell) is resolved to the file that defines the longest module prefix of the path: an edge
//! from file to file. Unit tests (`#[cfg(test)]` items) are left out, as dev-dependencies are
//! in Cargo: they may reach up to check a module against the ones above it.
//!
//! Then, with the layer of each module read from `ARCHITECTURE.md`'s own table (so the table and
//! the test cannot drift apart), the test fails on:
//! - an edge to a module of a higher layer;
//! - a circle of files (an edge through a `mod.rs` that re-exports counts: a child file that
//!   imports through its parent's façade, while the parent re-exports it, closes a circle);
//! - a library file that imports through the crate root (`crate::Machine`);
//! - a `match`, `matches!`, `if let` or `==` on `EncodingKind`, `AnyEncoding` or `AnyTrace`
//!   outside the encoding registry, and a wildcard arm in a `match` on them anywhere;
//! - a path in `python/src/` into the library other than through the front door, or into the
//!   command line (crate `arsim_cli`, `python/cli`) other than its entry `main_with_args`.
//!
//! The unit tests at the bottom feed each rule a small tree that breaks it, so that no rule can
//! pass vacuously.

use petgraph::graph::DiGraph;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// The file that lists the encodings: the one place that may match on their kinds.
const REGISTRY: &str = "src/encoding/registry.rs";
/// The front door: the only library module `python/src/` may name.
const FRONT_DOOR: &str = "api";
/// The command line as a crate (`python/cli`, whose root is `src/bin/arsim/main.rs`), and the
/// one item of it `python/src/` may name: the `arsim` console script runs the binary's own main.
const CLI_CRATE: &str = "arsim_cli";
const CLI_ENTRY: &str = "main_with_args";
/// Types whose variants are the list of encodings.
const ENCODING_ENUMS: [&str; 3] = ["EncodingKind", "AnyEncoding", "AnyTrace"];

/// One source file: where it is, its module path, and whether it is a shell.
#[derive(Clone, Debug)]
struct SourceFile {
    /// Relative to the repository root, with `/`.
    rel: String,
    /// Module path inside its crate (`encoding::cells`; the crate root is empty).
    module: Vec<String>,
    /// `Some(shell name)` for the binary's and the Python crate's files.
    shell: Option<&'static str>,
    text: String,
}

/// A path named by a file, as segments (after `crate`/`super`/`self` have been resolved to
/// absolute library segments), with the line it is on.
#[derive(Clone, Debug)]
struct Named {
    segments: Vec<String>,
    line: usize,
}

/// One broken rule.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Violation(String);

/// The layer table: module path → (layer index, layer name).
#[derive(Clone, Debug, Default)]
struct Layers {
    modules: BTreeMap<Vec<String>, (usize, String)>,
}

impl Layers {
    /// Reads the table under `## Layers` in ARCHITECTURE.md: rows `| n | name | modules | … |`
    /// whose third column lists backticked module paths.
    fn parse(markdown: &str) -> Layers {
        let mut layers = Layers::default();
        let mut inside = false;
        for line in markdown.lines() {
            if line.starts_with("## ") {
                inside = line.trim() == "## Layers";
                continue;
            }
            if !inside || !line.starts_with('|') {
                continue;
            }
            let cols: Vec<&str> = line.split('|').map(str::trim).collect();
            let Some(Ok(n)) = cols.get(1).map(|c| c.parse::<usize>()) else {
                continue;
            };
            let name = cols[2].to_string();
            for m in cols[3].split('`').skip(1).step_by(2) {
                let path: Vec<String> = m.split("::").map(str::to_string).collect();
                layers.modules.insert(path, (n, name.clone()));
            }
        }
        layers
    }

    /// The layer of a library module: its longest prefix in the table.
    fn of(&self, module: &[String]) -> Option<&(usize, String)> {
        (0..=module.len())
            .rev()
            .find_map(|k| self.modules.get(&module[..k]))
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Every file of the library and the shells under `root`.
fn source_files(root: &Path) -> Vec<SourceFile> {
    let mut files = Vec::new();
    for (base, shell) in [
        ("src", None),
        ("src/bin/arsim", Some("src/bin/arsim")),
        ("python/src", Some("python/src")),
    ] {
        let mut paths = Vec::new();
        walk(&root.join(base), &mut paths);
        for p in paths {
            let rel_base = p.strip_prefix(root.join(base)).unwrap();
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if shell.is_none() && rel.starts_with("src/bin/") {
                continue;
            }
            let mut module: Vec<String> = rel_base
                .with_extension("")
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect();
            let last = module.last().cloned().unwrap_or_default();
            if matches!(last.as_str(), "mod" | "lib" | "main") {
                module.pop();
            }
            let text = std::fs::read_to_string(&p).unwrap();
            files.push(SourceFile {
                rel,
                module,
                shell,
                text,
            });
        }
    }
    files
}

fn has_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && {
            let s = quote_string(&a.meta);
            s.contains("test") && !s.contains("not")
        }
    })
}

fn quote_string<T: quote::ToTokens>(t: &T) -> String {
    t.to_token_stream().to_string()
}

/// Collects the named paths of one file and its matches on the encoding enums.
struct Collector<'a> {
    file: &'a SourceFile,
    /// Every library module, to read a path that starts with a child module's name
    /// (`cells::Window` in `encoding/mod.rs`) as `self::cells::Window`.
    modules: &'a BTreeSet<Vec<String>>,
    /// The inline modules (`mod cleanup { … }`) the visitor is inside.
    inline: Vec<String>,
    /// Whether the `use` being read is a re-export of the file's own module.
    exporting: bool,
    /// Names the file's module re-exports → the absolute path they stand for.
    reexports: BTreeMap<String, Vec<String>>,
    /// Modules imported by name (`use crate::encoding::cells;`) → their absolute path, so that
    /// a later `cells::Dictionary` resolves to the file that defines it.
    aliases: BTreeMap<String, Vec<String>>,
    named: Vec<Named>,
    /// (line, what) of each decision on an encoding enum.
    decisions: Vec<(usize, String)>,
    /// (line, enum) of each wildcard arm in a match on an encoding enum.
    wildcards: Vec<(usize, String)>,
}

impl<'a> Collector<'a> {
    /// The module the visitor is in: the file's, then its inline modules.
    fn here(&self) -> Vec<String> {
        let mut m = self.file.module.clone();
        m.extend(self.inline.iter().cloned());
        m
    }

    /// Resolves a path's first segments (`crate`, `super`, `self`, or the library's crate name
    /// in a shell) to absolute library segments; `None` for paths that do not enter the library.
    fn absolute(&self, segs: &[String]) -> Option<Vec<String>> {
        let first = segs.first()?;
        let in_library = self.file.shell.is_none();
        if let Some(module) = self.aliases.get(first) {
            let mut m = module.clone();
            m.extend_from_slice(&segs[1..]);
            return Some(m);
        }
        match first.as_str() {
            "arsim" if !in_library => Some(segs[1..].to_vec()),
            // Kept whole, so that the front-door rule sees the crate's name.
            CLI_CRATE if self.file.shell == Some("python/src") => Some(segs.to_vec()),
            "crate" if in_library => Some(segs[1..].to_vec()),
            "self" if in_library => {
                let mut m = self.here();
                m.extend_from_slice(&segs[1..]);
                Some(m)
            }
            "super" if in_library => {
                // `super` of `a/b.rs` (module a::b) and of `a/b/mod.rs` (module a::b) is `a`.
                let mut m = self.here();
                let mut rest = segs;
                while rest.first().is_some_and(|s| s == "super") {
                    m.pop();
                    rest = &rest[1..];
                }
                m.extend_from_slice(rest);
                Some(m)
            }
            _ if in_library => {
                let mut m = self.here();
                m.push(first.clone());
                self.modules.contains(&m).then(|| {
                    m.extend_from_slice(&segs[1..]);
                    m
                })
            }
            _ => None,
        }
    }

    fn export(&mut self, name: String, segs: &[String]) {
        if self.exporting {
            if let Some(abs) = self.absolute(segs) {
                self.reexports.insert(name, abs);
            }
        }
    }

    /// A `use` of `segs` under `name`: a module imported by name is an alias, a dependency
    /// only through the items later named through it; anything else is an edge now.
    fn import(&mut self, name: String, segs: Vec<String>, line: usize) {
        match self.absolute(&segs) {
            Some(abs) if self.modules.contains(&abs) && self.inline.is_empty() => {
                self.aliases.insert(name, abs);
            }
            _ => self.push(segs, line),
        }
    }

    fn push(&mut self, segs: Vec<String>, line: usize) {
        if let Some(abs) = self.absolute(&segs) {
            self.named.push(Named {
                segments: abs,
                line,
            });
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree, line: usize) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree, line);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut s = prefix.clone();
                if n.ident != "self" {
                    s.push(n.ident.to_string());
                }
                let name = s.last().cloned().unwrap_or_default();
                self.export(name.clone(), &s);
                self.import(name, s, line);
            }
            syn::UseTree::Rename(r) => {
                let mut s = prefix.clone();
                if r.ident != "self" {
                    s.push(r.ident.to_string());
                }
                self.export(r.rename.to_string(), &s);
                self.import(r.rename.to_string(), s, line);
            }
            syn::UseTree::Glob(_) => self.push(prefix.clone(), line),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t, line);
                }
            }
        }
    }

    /// Paths inside a macro's tokens: runs of `ident :: ident …` that start with a keyword the
    /// resolver knows.
    fn tokens(&mut self, tokens: proc_macro2::TokenStream, line: usize) {
        let mut run: Vec<String> = Vec::new();
        let mut last_colon = false;
        let flush = |c: &mut Self, run: &mut Vec<String>| {
            if run.len() > 1 {
                c.push(std::mem::take(run), line);
            }
            run.clear();
        };
        let mut colons = 0;
        for tt in tokens {
            match tt {
                proc_macro2::TokenTree::Ident(i) => {
                    if run.is_empty() || last_colon {
                        run.push(i.to_string());
                    } else {
                        flush(self, &mut run);
                        run.push(i.to_string());
                    }
                    last_colon = false;
                    colons = 0;
                }
                proc_macro2::TokenTree::Punct(p) if p.as_char() == ':' => {
                    colons += 1;
                    last_colon = colons == 2;
                }
                proc_macro2::TokenTree::Group(g) => {
                    flush(self, &mut run);
                    self.tokens(g.stream(), line);
                    last_colon = false;
                    colons = 0;
                }
                _ => {
                    flush(self, &mut run);
                    last_colon = false;
                    colons = 0;
                }
            }
        }
        flush(self, &mut run);
    }
}

fn line_of<T: syn::spanned::Spanned>(t: &T) -> usize {
    t.span().start().line
}

fn names_encoding_enum(path: &syn::Path) -> Option<String> {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .find(|s| ENCODING_ENUMS.contains(&s.as_str()))
}

/// The encoding enum a pattern names, if any.
fn pattern_enum(pat: &syn::Pat) -> Option<String> {
    match pat {
        syn::Pat::Path(p) => names_encoding_enum(&p.path),
        syn::Pat::TupleStruct(p) => names_encoding_enum(&p.path),
        syn::Pat::Struct(p) => names_encoding_enum(&p.path),
        syn::Pat::Or(o) => o.cases.iter().find_map(pattern_enum),
        syn::Pat::Reference(r) => pattern_enum(&r.pat),
        syn::Pat::Ident(i) => i.subpat.as_ref().and_then(|(_, p)| pattern_enum(p)),
        _ => None,
    }
}

fn is_wildcard(pat: &syn::Pat) -> bool {
    match pat {
        syn::Pat::Wild(_) => true,
        syn::Pat::Ident(i) => i.subpat.is_none(),
        _ => false,
    }
}

fn expr_enum(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Path(p) => names_encoding_enum(&p.path),
        syn::Expr::Reference(r) => expr_enum(&r.expr),
        syn::Expr::Paren(p) => expr_enum(&p.expr),
        _ => None,
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item(&mut self, i: &'ast syn::Item) {
        let attrs = match i {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Impl(x) => &x.attrs,
            syn::Item::Struct(x) => &x.attrs,
            syn::Item::Enum(x) => &x.attrs,
            syn::Item::Const(x) => &x.attrs,
            syn::Item::Static(x) => &x.attrs,
            syn::Item::Trait(x) => &x.attrs,
            syn::Item::Macro(x) => &x.attrs,
            _ => return syn::visit::visit_item(self, i),
        };
        if has_cfg_test(attrs) {
            return;
        }
        syn::visit::visit_item(self, i);
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        self.inline.push(m.ident.to_string());
        syn::visit::visit_item_mod(self, m);
        self.inline.pop();
    }

    /// `pub(crate)` and `pub(super)` name no dependency.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut prefix = Vec::new();
        self.exporting = self.inline.is_empty() && !matches!(u.vis, syn::Visibility::Inherited);
        if u.leading_colon.is_none() {
            self.use_tree(&mut prefix, &u.tree, line_of(u));
        }
        self.exporting = false;
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        if p.leading_colon.is_none() {
            let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
            self.push(segs, line_of(p));
        }
        syn::visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        let line = line_of(&m.path);
        self.tokens(m.tokens.clone(), line);
        let name = m.path.segments.last().map(|s| s.ident.to_string());
        if name.as_deref() == Some("matches") {
            let s = m.tokens.to_string().replace(' ', "");
            if let Some(e) = ENCODING_ENUMS
                .iter()
                .find(|e| s.contains(&format!("{e}::")))
            {
                self.decisions.push((line, format!("matches! on {e}")));
            }
        }
        syn::visit::visit_macro(self, m);
    }

    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        if let Some(e) = m.arms.iter().find_map(|a| pattern_enum(&a.pat)) {
            self.decisions
                .push((line_of(&m.match_token), format!("match on {e}")));
            for arm in &m.arms {
                if is_wildcard(&arm.pat) {
                    self.wildcards.push((line_of(&arm.pat), e.clone()));
                }
            }
        }
        syn::visit::visit_expr_match(self, m);
    }

    fn visit_expr_let(&mut self, l: &'ast syn::ExprLet) {
        if let Some(e) = pattern_enum(&l.pat) {
            self.decisions
                .push((line_of(&l.let_token), format!("if let on {e}")));
        }
        syn::visit::visit_expr_let(self, l);
    }

    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
        if matches!(b.op, syn::BinOp::Eq(_) | syn::BinOp::Ne(_)) {
            if let Some(e) = expr_enum(&b.left).or_else(|| expr_enum(&b.right)) {
                self.decisions
                    .push((line_of(&b.left), format!("comparison with {e}")));
            }
        }
        syn::visit::visit_expr_binary(self, b);
    }
}

/// The library file that defines the longest module prefix of `segments`.
/// The library file that defines what `segments` names: the file of its longest module prefix,
/// or, where that module re-exports the next segment (a façade `mod.rs`), the file the
/// re-export leads to.
fn resolve<'f>(
    by_module: &BTreeMap<Vec<String>, &'f SourceFile>,
    reexports: &BTreeMap<&str, BTreeMap<String, Vec<String>>>,
    segments: &[String],
) -> Option<&'f SourceFile> {
    let mut segments = segments.to_vec();
    for _ in 0..16 {
        let k = (0..=segments.len())
            .rev()
            .find(|&k| by_module.contains_key(&segments[..k]))?;
        let file = by_module[&segments[..k]];
        let Some(next) = segments.get(k) else {
            return Some(file);
        };
        match reexports.get(file.rel.as_str()).and_then(|r| r.get(next)) {
            Some(target) if *target != segments[..=k] => {
                let mut s = target.clone();
                s.extend_from_slice(&segments[k + 1..]);
                segments = s;
            }
            _ => return Some(file),
        }
    }
    None
}

/// The shortest loop through the first file of a circle, each step as the line that makes it.
fn shortest_loop(graph: &DiGraph<&str, String>, scc: &[petgraph::graph::NodeIndex]) -> Vec<String> {
    use petgraph::visit::EdgeRef;
    let start = *scc.iter().min_by_key(|n| graph[**n]).unwrap();
    let inside: BTreeSet<_> = scc.iter().copied().collect();
    let mut parent = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        for e in graph.edges(n) {
            let t = e.target();
            if !inside.contains(&t) || parent.contains_key(&t) {
                continue;
            }
            parent.insert(t, e.id());
            if t == start {
                let mut steps = Vec::new();
                let mut at = start;
                loop {
                    let id = parent[&at];
                    steps.push(graph[id].clone());
                    at = graph.edge_endpoints(id).unwrap().0;
                    if at == start {
                        break;
                    }
                }
                steps.reverse();
                return steps;
            }
            queue.push_back(t);
        }
    }
    Vec::new()
}

/// The import graph as Graphviz DOT, drawn at the grain of the layer table (one node a module
/// of the table, one cluster a layer, the lowest layer at the bottom; an edge where any file of
/// one imports a file of the other): `ARSIM_IMPORT_GRAPH=imports.dot cargo test --test
/// architecture`, then `dot -Tsvg imports.dot > docs/imports.svg`.
fn import_graph_dot(
    graph: &DiGraph<&str, String>,
    library: &[&SourceFile],
    layers: &Layers,
) -> String {
    // The table entry each file belongs to (its longest prefix in the table).
    let entry_of = |module: &[String]| -> Option<String> {
        (0..=module.len())
            .rev()
            .find(|&k| layers.modules.contains_key(&module[..k]))
            .map(|k| module[..k].join("::"))
    };
    let file_entry: BTreeMap<&str, String> = library
        .iter()
        .filter_map(|f| Some((f.rel.as_str(), entry_of(&f.module)?)))
        .collect();
    let mut out = String::from(
        "digraph imports {\n  rankdir=BT;\n  newrank=true;\n  node [shape=box, style=rounded, fontsize=11, fontname=\"Helvetica\"];\n",
    );
    let mut by_layer: BTreeMap<(usize, String), BTreeSet<String>> = BTreeMap::new();
    for (path, (n, name)) in &layers.modules {
        if !path.iter().any(|s| s.contains('/')) {
            by_layer
                .entry((*n, name.clone()))
                .or_default()
                .insert(path.join("::"));
        }
    }
    for ((n, name), entries) in &by_layer {
        out.push_str(&format!(
            "  subgraph cluster_{n} {{\n    label=\"{n}  {name}\";\n    color=\"#999999\";\n"
        ));
        let names: Vec<String> = entries.iter().map(|e| format!("\"{e}\"")).collect();
        out.push_str(&format!(
            "    {{ rank=same; {}; }}\n  }}\n",
            names.join("; ")
        ));
    }
    // Invisible edges hold the layers in order, the lowest at the bottom.
    let firsts: Vec<&String> = by_layer.values().filter_map(|e| e.iter().next()).collect();
    for pair in firsts.windows(2) {
        out.push_str(&format!(
            "  \"{}\" -> \"{}\" [style=invis, weight=10];\n",
            pair[0], pair[1]
        ));
    }
    let mut edges = BTreeSet::new();
    for e in graph.raw_edges() {
        let (a, b) = (graph[e.source()], graph[e.target()]);
        if let (Some(x), Some(y)) = (file_entry.get(a), file_entry.get(b)) {
            if x != y {
                edges.insert((x.clone(), y.clone()));
            }
        }
    }
    for (x, y) in edges {
        out.push_str(&format!("  \"{x}\" -> \"{y}\" [color=\"#00000055\"];\n"));
    }
    out.push_str("}\n");
    out
}

/// Every rule of the module comment, checked over `files` with `layers`.
fn check(files: &[SourceFile], layers: &Layers) -> Vec<Violation> {
    let mut out = BTreeSet::new();
    let library: Vec<&SourceFile> = files.iter().filter(|f| f.shell.is_none()).collect();
    let by_module: BTreeMap<Vec<String>, &SourceFile> =
        library.iter().map(|f| (f.module.clone(), *f)).collect();
    let modules: BTreeSet<Vec<String>> = by_module.keys().cloned().collect();
    let mut graph = DiGraph::<&str, String>::new();
    let nodes: BTreeMap<&str, _> = library
        .iter()
        .map(|f| (f.rel.as_str(), graph.add_node(f.rel.as_str())))
        .collect();

    for f in library.iter() {
        if !f.module.is_empty() && layers.of(&f.module).is_none() {
            out.insert(Violation(format!(
                "{}: module `{}` is in no layer of ARCHITECTURE.md",
                f.rel,
                f.module.join("::")
            )));
        }
    }
    for m in layers.modules.keys() {
        if m.iter().any(|s| s.contains('/')) {
            continue; // a shell, a crate of its own
        }
        if !by_module.contains_key(m) {
            out.insert(Violation(format!(
                "ARCHITECTURE.md's layer table names `{}`, which is no module",
                m.join("::")
            )));
        }
    }

    let mut collected = Vec::new();
    for f in files {
        let Ok(ast) = syn::parse_file(&f.text) else {
            out.insert(Violation(format!("{}: does not parse", f.rel)));
            continue;
        };
        let mut c = Collector {
            file: f,
            modules: &modules,
            inline: Vec::new(),
            exporting: false,
            reexports: BTreeMap::new(),
            aliases: BTreeMap::new(),
            named: Vec::new(),
            decisions: Vec::new(),
            wildcards: Vec::new(),
        };
        c.visit_file(&ast);
        collected.push(c);
    }
    let reexports: BTreeMap<&str, BTreeMap<String, Vec<String>>> = collected
        .iter()
        .filter(|c| c.file.shell.is_none())
        .map(|c| (c.file.rel.as_str(), c.reexports.clone()))
        .collect();
    for c in &collected {
        let f = c.file;
        for (line, e) in &c.wildcards {
            out.insert(Violation(format!(
                "{}:{line}: a wildcard arm in a match on {e}: a new encoding would fall into it unseen",
                f.rel
            )));
        }
        if f.rel != REGISTRY {
            for (line, what) in &c.decisions {
                out.insert(Violation(format!(
                    "{}:{line}: {what}: only {REGISTRY} decides by an encoding's kind; ask the Encoding trait instead",
                    f.rel
                )));
            }
        }
        for n in &c.named {
            if n.segments.is_empty() {
                if f.shell.is_none() {
                    out.insert(Violation(format!(
                        "{}:{}: imports through the crate root; name the defining module",
                        f.rel, n.line
                    )));
                }
                continue;
            }
            let path = n.segments.join("::");
            let why = match n.segments[0].as_str() {
                _ if f.shell != Some("python/src") => None,
                FRONT_DOOR => None,
                CLI_CRATE if n.segments[1..] == [CLI_ENTRY] => None,
                CLI_CRATE => Some(format!("`{path}` is not the command line's entry")),
                _ => Some(format!("`arsim::{path}` is not the front door")),
            };
            if let Some(why) = why {
                out.insert(Violation(format!(
                    "{}:{}: {why}: python/src uses only `arsim::{FRONT_DOOR}` and `{CLI_CRATE}::{CLI_ENTRY}`",
                    f.rel, n.line
                )));
            }
            if f.shell.is_some() {
                continue;
            }
            let Some(target) = resolve(&by_module, &reexports, &n.segments) else {
                continue;
            };
            if target.rel == f.rel {
                continue;
            }
            if target.module.is_empty() {
                out.insert(Violation(format!(
                    "{}:{}: `crate::{}` goes through the crate root; name the defining module",
                    f.rel,
                    n.line,
                    n.segments.join("::")
                )));
                continue;
            }
            if f.module.is_empty() {
                continue; // lib.rs declares and re-exports; it is nobody's dependency
            }
            if let (Some((from, from_name)), Some((to, to_name))) =
                (layers.of(&f.module), layers.of(&target.module))
            {
                if to > from {
                    out.insert(Violation(format!(
                        "{}:{}: `{}` ({from_name}) imports `{}` ({to_name}): up a layer",
                        f.rel,
                        n.line,
                        f.module.join("::"),
                        n.segments.join("::")
                    )));
                }
            }
            let (a, b) = (nodes[f.rel.as_str()], nodes[target.rel.as_str()]);
            if graph.find_edge(a, b).is_none() {
                let why = format!("{}:{} `{}`", f.rel, n.line, n.segments.join("::"));
                graph.add_edge(a, b, why);
            }
        }
    }

    if let Some(path) = std::env::var_os("ARSIM_IMPORT_GRAPH") {
        std::fs::write(path, import_graph_dot(&graph, &library, layers)).unwrap();
    }
    for scc in petgraph::algo::tarjan_scc(&graph) {
        if scc.len() > 1 {
            let mut names: Vec<&str> = scc.iter().map(|&n| graph[n]).collect();
            names.sort();
            out.insert(Violation(format!(
                "a circle of {} files: {}; one loop: {}",
                names.len(),
                names.join(", "),
                shortest_loop(&graph, &scc).join(" → ")
            )));
        }
    }
    out.into_iter().collect()
}

#[test]
fn the_code_keeps_the_layer_table_of_architecture_md() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let layers = Layers::parse(&std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap());
    assert!(
        layers.modules.len() > 10,
        "ARCHITECTURE.md has no `## Layers` table this test can read"
    );
    let files = source_files(root);
    let violations = check(&files, &layers);
    let list: Vec<String> = violations.iter().map(|v| v.0.clone()).collect();
    assert!(
        violations.is_empty(),
        "{} violations of ARCHITECTURE.md's layers:\n{}",
        list.len(),
        list.join("\n")
    );
}

/// Each rule, broken on purpose in a small tree.
mod each_rule_can_fail {
    use super::*;

    const TABLE: &str = "## Layers\n\n| n | layer | modules |\n|---|---|---|\n\
        | 0 | base | `token` |\n| 1 | machine | `machine` |\n| 2 | encodings | `encoding` |\n\
        | 3 | front door | `api` |\n\n## Next\n| 9 | other | `nothing` |\n";

    fn file(rel: &str, text: &str) -> SourceFile {
        let (base, shell) = if rel.starts_with("python/src/") {
            ("python/src/", Some("python/src"))
        } else if rel.starts_with("src/bin/arsim/") {
            ("src/bin/arsim/", Some("src/bin/arsim"))
        } else {
            ("src/", None)
        };
        let mut module: Vec<String> = rel
            .strip_prefix(base)
            .unwrap()
            .trim_end_matches(".rs")
            .split('/')
            .map(str::to_string)
            .collect();
        if matches!(module.last().unwrap().as_str(), "mod" | "lib" | "main") {
            module.pop();
        }
        SourceFile {
            rel: rel.to_string(),
            module,
            shell,
            text: text.to_string(),
        }
    }

    fn tree(extra: &[SourceFile]) -> Vec<SourceFile> {
        let mut files = vec![
            file("src/lib.rs", "pub mod token; pub mod machine; pub mod encoding; pub mod api;"),
            file("src/token.rs", "pub struct TokenId;"),
            file("src/machine/mod.rs", "use crate::token::TokenId; pub mod load;"),
            file("src/machine/load.rs", "pub fn load() {}"),
            file(
                "src/encoding/mod.rs",
                "pub mod registry; pub enum EncodingKind { A, B }",
            ),
            file(
                "src/encoding/registry.rs",
                "use crate::encoding::EncodingKind; fn f(k: EncodingKind) { match k { EncodingKind::A => {}, EncodingKind::B => {} } }",
            ),
            file("src/api.rs", "pub use crate::machine::load::load;"),
            file("python/src/lib.rs", "use arsim::api::load;"),
        ];
        files.extend_from_slice(extra);
        files
    }

    /// The rules' messages for the files `t`, under the small table.
    fn run(t: &[SourceFile]) -> Vec<String> {
        check(t, &Layers::parse(TABLE))
            .into_iter()
            .map(|v| v.0)
            .collect()
    }

    /// The rules' messages for the clean tree with `extra` files added.
    fn violations(extra: &[SourceFile]) -> Vec<String> {
        run(&tree(extra))
    }

    #[test]
    fn the_table_is_read_from_its_section_only() {
        let layers = Layers::parse(TABLE);
        assert_eq!(layers.modules.len(), 4);
        assert_eq!(layers.of(&["machine".into(), "load".into()]).unwrap().0, 1);
        assert!(layers.of(&["nothing".into()]).is_none());
    }

    #[test]
    fn a_clean_tree_passes() {
        assert_eq!(violations(&[]), Vec::<String>::new());
    }

    #[test]
    fn an_import_up_a_layer_fails() {
        let v = violations(&[file("src/token2.rs", "")]);
        assert!(
            v.iter()
                .any(|v| v.contains("token2") && v.contains("no layer")),
            "{v:?}"
        );
        let mut t = tree(&[]);
        t[3].text = "pub fn load() { crate::encoding::registry::f; }".into();
        let v = run(&t);
        assert!(
            v.iter()
                .any(|v| v.contains("src/machine/load.rs:1") && v.contains("up a layer")),
            "{v:?}"
        );
    }

    #[test]
    fn a_circle_fails_even_inside_a_layer() {
        let mut t = tree(&[]);
        // machine/mod.rs → machine/load.rs (re-export), load.rs → machine/mod.rs (super).
        t[2].text = "pub mod load; pub use load::load; pub struct M;".into();
        t[3].text = "use super::M; pub fn load() {}".into();
        let v = run(&t);
        assert!(
            v.iter().any(|v| v.starts_with("a circle of 2 files")),
            "{v:?}"
        );
    }

    #[test]
    fn a_facade_is_followed_to_the_defining_file() {
        let mut t = tree(&[file("src/machine/model.rs", "pub struct M;")]);
        // machine/mod.rs only re-exports; load.rs names `crate::machine::M`, defined in model.rs.
        t[2].text = "pub mod load; pub mod model; pub use load::load; pub use model::M;".into();
        t[3].text = "use crate::machine::M; pub fn load() {}".into();
        assert!(run(&t).is_empty());
    }

    #[test]
    fn a_module_imported_by_name_is_followed_through_its_items() {
        let mut t = tree(&[file("src/machine/model.rs", "pub struct M;")]);
        t[2].text = "pub mod load; pub mod model; pub use load::load; pub use model::M;".into();
        // `use crate::machine;` alone is no edge to machine/mod.rs; `machine::M` is one to model.rs.
        t[3].text = "use crate::machine; pub fn load() -> machine::M { machine::M }".into();
        assert!(run(&t).is_empty());
        t[4].text = "pub mod registry; pub enum EncodingKind { A, B } use crate::machine; fn f(_: machine::M) {}".into();
        t[3].text =
            "use crate::encoding; pub fn load() -> encoding::EncodingKind { todo() }".into();
        let v = run(&t);
        assert!(
            v.iter()
                .any(|v| v.contains("src/machine/load.rs:1") && v.contains("up a layer")),
            "{v:?}"
        );
    }

    #[test]
    fn a_circle_through_a_macro_body_fails() {
        let mut t = tree(&[]);
        t[2].text = "pub mod load; pub use load::load; pub struct M;".into();
        t[3].text = "macro_rules! m { () => { crate::machine::M } } pub fn load() {}".into();
        let v = run(&t);
        assert!(v.iter().any(|v| v.starts_with("a circle")), "{v:?}");
    }

    #[test]
    fn unit_tests_may_reach_up() {
        let mut t = tree(&[]);
        t[3].text = "pub fn load() {} #[cfg(test)] mod tests { use crate::api::load; }".into();
        assert!(run(&t).is_empty());
    }

    #[test]
    fn the_crate_root_is_no_way_in() {
        let v = violations(&[file("src/machine/other.rs", "use crate::TokenId;")]);
        assert!(v.iter().any(|v| v.contains("crate root")), "{v:?}");
    }

    #[test]
    fn deciding_by_kind_outside_the_registry_fails() {
        for code in [
            "fn f(k: E) { match k { EncodingKind::A => 1, EncodingKind::B => 2 }; }",
            "fn f(k: E) -> bool { k == EncodingKind::A }",
            "fn f(k: E) -> bool { matches!(k, EncodingKind::A) }",
            "fn f(k: E) { if let AnyEncoding::A(x) = k {} }",
        ] {
            let v = violations(&[file("src/encoding/other.rs", code)]);
            assert!(
                v.iter()
                    .any(|v| v.contains("only src/encoding/registry.rs")),
                "{code}: {v:?}"
            );
        }
    }

    #[test]
    fn a_wildcard_arm_fails_even_in_the_registry() {
        let mut t = tree(&[]);
        t[5].text = "fn f(k: E) { match k { EncodingKind::A => {}, _ => {} } }".into();
        let v = run(&t);
        assert!(v.iter().any(|v| v.contains("wildcard arm")), "{v:?}");
        t[5].text = "fn f(k: E) { match k { EncodingKind::A => {}, other => {} } }".into();
        let v = run(&t);
        assert!(v.iter().any(|v| v.contains("wildcard arm")), "{v:?}");
    }

    #[test]
    fn python_past_the_front_door_fails() {
        let v = violations(&[file(
            "python/src/core.rs",
            "use arsim::machine::load::load;",
        )]);
        assert!(v.iter().any(|v| v.contains("not the front door")), "{v:?}");
        let v = violations(&[file("python/src/core.rs", "fn f() { arsim::api::load(); }")]);
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn python_past_the_command_line_entry_fails() {
        let v = violations(&[file(
            "python/src/lib.rs",
            "fn f() { arsim_cli::print_json(&1); }",
        )]);
        assert!(
            v.iter().any(|v| v.contains("not the command line's entry")),
            "{v:?}"
        );
        let v = violations(&[file("python/src/lib.rs", "use arsim_cli::flags::Cli;")]);
        assert!(
            v.iter().any(|v| v.contains("not the command line's entry")),
            "{v:?}"
        );
        let v = violations(&[file(
            "python/src/lib.rs",
            "fn f() { arsim_cli::main_with_args(vec![]); }",
        )]);
        assert!(v.is_empty(), "{v:?}");
    }
}
