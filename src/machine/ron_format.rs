//! arsim's own machine format: a RON file holding a [`MachineSpec`].
//!
//! RON reports syntax and type errors with a line and column; validation errors come later
//! and carry no position of their own, so [`SourceMap`] finds, by a small scan of the text,
//! the line of each top-level key and of each element of the `rules`, `examples`, `symbols`,
//! `states` and `halting` lists. The scan skips strings and comments and never fails: a
//! line it cannot find is simply `None`.

use super::spec::MachineSpec;
use ron::extensions::Extensions;
use std::collections::HashMap;

/// A RON syntax or type error with its 1-based position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RonError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// RON's message.
    pub message: String,
}

/// Parses RON text into a spec; `implicit_some` is on so optional fields need no `Some(..)`.
pub fn parse(text: &str) -> Result<MachineSpec, RonError> {
    ron::Options::default()
        .with_default_extension(Extensions::IMPLICIT_SOME)
        .from_str::<MachineSpec>(text)
        .map_err(|e| RonError {
            line: e.span.start.line,
            col: e.span.start.col,
            // serde names the Rust type; a file names none, or any.
            message: e
                .code
                .to_string()
                .replace(
                    "Expected struct `MachineSpec` but found",
                    "expected a machine `( name: …, symbols: …, states: …, rules: … )`, found the struct",
                )
                .replace(
                    "for struct `MachineSpec`",
                    "for a machine `( name: …, symbols: …, states: …, rules: … )`",
                ),
        })
}

/// Writes a spec as pretty RON, in the same shape the corpus uses.
pub fn to_ron(spec: &MachineSpec) -> String {
    let config = ron::ser::PrettyConfig::new()
        .depth_limit(2)
        .separate_tuple_members(false)
        .indentor("    ".to_string());
    // Serialising plain strings, vectors and unit enums cannot fail.
    ron::ser::to_string_pretty(spec, config).unwrap_or_default() + "\n"
}

/// Lines of the keys and list elements of a machine file.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    keys: HashMap<String, usize>,
    items: HashMap<String, Vec<usize>>,
}

impl SourceMap {
    /// Scans the text of a machine file.
    pub fn scan(text: &str) -> SourceMap {
        let mut map = SourceMap::default();
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        let mut line = 1;
        // Depth of (), [] and {} nesting.
        let mut depth = 0usize;
        // The top-level key whose value is being read, and the depth of its list.
        let mut current_key: Option<String> = None;
        let mut list_depth: Option<usize> = None;
        let mut expect_item = false;
        let mut ident = String::new();
        let mut ident_line = 0;
        while i < chars.len() {
            let c = chars[i];
            // Comments.
            if c == '/' && chars.get(i + 1) == Some(&'/') {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            if c == '/' && chars.get(i + 1) == Some(&'*') {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
                i += 2;
                continue;
            }
            if c == '\n' {
                line += 1;
                i += 1;
                continue;
            }
            if c.is_whitespace() {
                i += 1;
                continue;
            }
            if expect_item && c != ']' {
                if let Some(k) = &current_key {
                    map.items.entry(k.clone()).or_default().push(line);
                }
                expect_item = false;
            }
            match c {
                '"' => {
                    i += 1;
                    while i < chars.len() && chars[i] != '"' {
                        if chars[i] == '\\' {
                            i += 1;
                        }
                        if chars.get(i) == Some(&'\n') {
                            line += 1;
                        }
                        i += 1;
                    }
                    ident.clear();
                }
                '\'' => {
                    // A char literal: skip to the closing quote.
                    i += 1;
                    while i < chars.len() && chars[i] != '\'' && chars[i] != '\n' {
                        if chars[i] == '\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                    ident.clear();
                }
                '(' | '[' | '{' => {
                    depth += 1;
                    if c == '[' && depth == 2 && current_key.is_some() {
                        list_depth = Some(depth);
                        expect_item = true;
                    }
                    ident.clear();
                }
                ')' | ']' | '}' => {
                    if list_depth == Some(depth) {
                        list_depth = None;
                    }
                    depth = depth.saturating_sub(1);
                    ident.clear();
                }
                ',' => {
                    if list_depth == Some(depth) {
                        expect_item = true;
                    }
                    if depth == 1 {
                        current_key = None;
                    }
                    ident.clear();
                }
                ':' => {
                    if depth == 1 && !ident.is_empty() {
                        map.keys.entry(ident.clone()).or_insert(ident_line);
                        current_key = Some(ident.clone());
                    }
                    ident.clear();
                }
                c if c.is_alphanumeric() || c == '_' => {
                    if ident.is_empty() {
                        ident_line = line;
                    }
                    ident.push(c);
                }
                _ => ident.clear(),
            }
            i += 1;
        }
        map
    }

    /// Forgets the line of a top-level key whose value came from elsewhere (a start state given
    /// beside the file), so that no problem with it is blamed on the file.
    pub fn forget(&mut self, key: &str) {
        self.keys.remove(key);
    }

    /// The line of a top-level key such as `start`.
    pub fn key(&self, key: &str) -> Option<usize> {
        self.keys.get(key).copied()
    }

    /// The line of element `index` of the list under `key` (e.g. the third rule).
    pub fn item(&self, key: &str, index: usize) -> Option<usize> {
        self.items
            .get(key)
            .and_then(|v| v.get(index).copied())
            .or_else(|| self.key(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"// comment with ( and [ and "
(
    name: "x",
    symbols: ["0", "1"],
    blank: "0",
    states: [
        "A",
        "Z",
    ],
    start: "A",
    halting: ["Z"],
    rules: [
        // (state, read, write, move, next)
        ("A", "0", "1", R, "Z"),
        /* block ( */ ("A", "1", "1", L, "Z"),
    ],
    examples: [(input: "", steps: 1)],
)
"#;

    #[test]
    fn scan_finds_keys_and_items() {
        let map = SourceMap::scan(TEXT);
        assert_eq!(map.key("name"), Some(3));
        assert_eq!(map.key("start"), Some(10));
        assert_eq!(map.item("states", 1), Some(8));
        assert_eq!(map.item("rules", 0), Some(14));
        assert_eq!(map.item("rules", 1), Some(15));
        assert_eq!(map.item("examples", 0), Some(17));
        // Past the end of a list: the key's line.
        assert_eq!(map.item("rules", 9), Some(12));
    }

    #[test]
    fn parse_reports_position() {
        let err = parse("(\n  name: \"x\",\n  symbols: [\"0\" \"1\"],\n)").unwrap_err();
        assert_eq!(err.line, 3);
    }

    #[test]
    fn round_trip_through_text() {
        let spec = parse(TEXT).unwrap();
        let again = parse(&to_ron(&spec)).unwrap();
        assert_eq!(spec, again);
    }
}
