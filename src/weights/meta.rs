//! The typed metadata of an arsim weight file: what machine, encoding and window the weights
//! are for, how to read their rows and columns, and the rule that turns them into a token.
//!
//! safetensors metadata is a flat map of strings; [`Metadata::to_map`] and
//! [`Metadata::from_map`] are the one place that spells its keys. Files of format version 1
//! written before the machine fields existed still read: those fields are then `None`.

use crate::machine::Machine;
use crate::window::Window;
use std::collections::{BTreeMap, HashMap};

/// Metadata of a weight file, dense or sparse.
#[derive(Clone, Debug, PartialEq)]
pub struct Metadata {
    /// The format name (`arsim-linear-ar` or `arsim-time-dependent-ar`).
    pub format: String,
    /// The format version (the `/N` of the format key).
    pub version: u32,
    /// The machine's name.
    pub machine: Option<String>,
    /// [`fingerprint`] of the machine's rule table.
    pub fingerprint: Option<String>,
    /// The name of the encoding the weights emulate (as the encoding's `EncodingInfo::name`
    /// spells it: this layer knows encodings by name only).
    pub encoding: Option<String>,
    /// The tape window S and origin.
    pub window: Option<Window>,
    /// Token labels, by token id.
    pub tokens: Vec<String>,
    /// The same labels in ASCII (`⟨A,0⟩` → `<A,0>`).
    pub token_aliases: Vec<String>,
    /// Dense files: the offsets read, in the order of the tensors.
    pub offsets: Vec<usize>,
    /// Dense files: each offset's name (tensor `W.<name>`).
    pub offset_names: Vec<String>,
    /// The machine's blank symbol.
    pub blank: Option<String>,
    /// The machine's start state.
    pub start_state: Option<String>,
    /// The machine's halting states.
    pub halting: Vec<String>,
    /// The input the weights were compiled for (its window), if any, as typed (`*` marks a head start).
    pub input: Option<String>,
    /// The scoring rule in words.
    pub rule: String,
    /// The tensors' dtype as safetensors spells it (`I32`, `F32`, …).
    pub dtype: String,
    /// Every other key (e.g. `bits_per_cell`, `schedule`), kept as written.
    pub extra: BTreeMap<String, String>,
}

/// The keys [`Metadata`] reads into typed fields.
const TYPED_KEYS: [&str; 17] = [
    "format",
    "machine",
    "fingerprint",
    "encoding",
    "window_size",
    "origin",
    "tokens",
    "token_aliases",
    "offsets",
    "offset_names",
    "blank",
    "start_state",
    "halting",
    "input",
    "rule",
    "dtype",
    "format_version",
];

impl Metadata {
    /// Metadata for `format` with the machine's fields filled in.
    pub fn for_machine(
        format: &str,
        machine: &Machine,
        encoding: &str,
        window: Window,
        tokens: Vec<String>,
    ) -> Metadata {
        Metadata {
            format: format.to_string(),
            version: 1,
            machine: Some(machine.name().to_string()),
            fingerprint: Some(fingerprint(machine)),
            encoding: Some(encoding.to_string()),
            window: Some(window),
            token_aliases: tokens.iter().map(|t| ascii_alias(t)).collect(),
            tokens,
            offsets: Vec::new(),
            offset_names: Vec::new(),
            blank: Some(machine.symbol_char(machine.blank()).to_string()),
            start_state: Some(machine.state_name(machine.start()).to_string()),
            halting: (0..machine.num_states())
                .map(|q| crate::machine::StateId(q as u16))
                .filter(|&q| machine.is_halting(q))
                .map(|q| machine.state_name(q).to_string())
                .collect(),
            input: None,
            rule: String::new(),
            dtype: String::new(),
            extra: BTreeMap::new(),
        }
    }

    /// The flat string map written into the file.
    pub fn to_map(&self) -> HashMap<String, String> {
        let json = |v: &dyn erased::Json| v.json();
        let mut m: HashMap<String, String> = self.extra.clone().into_iter().collect();
        m.insert("format".into(), format!("{}/{}", self.format, self.version));
        m.insert("tokens".into(), json(&self.tokens));
        m.insert("token_aliases".into(), json(&self.token_aliases));
        if !self.offsets.is_empty() || !self.offset_names.is_empty() {
            m.insert("offsets".into(), json(&self.offsets));
            m.insert("offset_names".into(), json(&self.offset_names));
        }
        m.insert("rule".into(), self.rule.clone());
        m.insert("dtype".into(), self.dtype.clone());
        let mut opt = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                m.insert(k.into(), v.clone());
            }
        };
        opt("machine", &self.machine);
        opt("fingerprint", &self.fingerprint);
        opt("blank", &self.blank);
        opt("start_state", &self.start_state);
        opt("input", &self.input);
        opt("encoding", &self.encoding);
        if let Some(w) = self.window {
            m.insert("window_size".into(), w.size.to_string());
            m.insert("origin".into(), w.origin.to_string());
        }
        if self.machine.is_some() {
            m.insert("halting".into(), json(&self.halting));
        }
        m
    }

    /// Reads the typed fields of a file's metadata; `expected` is the format name.
    pub fn from_map(map: &HashMap<String, String>, expected: &str) -> Result<Metadata, String> {
        let format = map.get("format").map(String::as_str).unwrap_or("");
        let version = format
            .strip_prefix(expected)
            .and_then(|v| v.strip_prefix('/'))
            .and_then(|v| v.parse::<u32>().ok())
            .ok_or_else(|| format!("not an arsim weight file of this kind (metadata format is `{format}`, expected {expected}/1)"))?;
        if version != 1 {
            return Err(format!(
                "format version {version} is newer than this arsim reads (1)"
            ));
        }
        // Names a file gives are printed (reports, pictures, messages): their control
        // characters escaped, as a machine's are when it is validated, so the two still match.
        let shown = |v: &String| crate::printable::printable(v).into_owned();
        let get = |k: &str| map.get(k).map(shown);
        let list = |k: &str| -> Result<Vec<String>, String> {
            match map.get(k) {
                None => Ok(Vec::new()),
                Some(v) => serde_json::from_str::<Vec<String>>(v)
                    .map(|l| l.iter().map(shown).collect())
                    .map_err(|e| format!("metadata `{k}`: {e}")),
            }
        };
        let number = |k: &str| -> Result<Option<usize>, String> {
            map.get(k)
                .map(|v| {
                    v.parse::<usize>()
                        .map_err(|e| format!("metadata `{k}`: {e}"))
                })
                .transpose()
        };
        let tokens: Vec<String> = match map.get("tokens") {
            Some(_) => list("tokens")?,
            None => return Err("metadata has no `tokens`".into()),
        };
        let offsets: Vec<usize> = match map.get("offsets") {
            None => Vec::new(),
            Some(v) => serde_json::from_str(v).map_err(|e| format!("metadata `offsets`: {e}"))?,
        };
        let offset_names = list("offset_names")?;
        if offsets.len() != offset_names.len() {
            return Err("offsets and offset_names differ in length".into());
        }
        let encoding = get("encoding");
        let window = match (number("window_size")?, number("origin")?) {
            (Some(size), Some(origin)) => Some(Window { size, origin }),
            _ => None,
        };
        let mut token_aliases = list("token_aliases")?;
        if token_aliases.is_empty() {
            token_aliases = tokens.iter().map(|t| ascii_alias(t)).collect();
        }
        if token_aliases.len() != tokens.len() {
            return Err(format!(
                "{} token aliases for {} tokens",
                token_aliases.len(),
                tokens.len()
            ));
        }
        Ok(Metadata {
            format: expected.to_string(),
            version,
            machine: get("machine"),
            fingerprint: get("fingerprint"),
            encoding,
            window,
            tokens,
            token_aliases,
            offsets,
            offset_names,
            blank: get("blank"),
            start_state: get("start_state"),
            halting: list("halting")?,
            input: get("input"),
            rule: get("rule").unwrap_or_default(),
            dtype: get("dtype").unwrap_or_default(),
            extra: map
                .iter()
                .filter(|(k, _)| !TYPED_KEYS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
    }
}

/// JSON of the few types the metadata holds (serde_json never fails on them).
mod erased {
    pub trait Json {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            serde_json::to_string(self).unwrap_or_default()
        }
    }
}

/// A token label in ASCII: `⟨` and `⟩` become `<` and `>`, any other non-ASCII character its
/// code point written `U+` and four or more hex digits (`→` becomes `U+2192`).
pub fn ascii_alias(label: &str) -> String {
    label
        .chars()
        .map(|c| match c {
            '⟨' => "<".to_string(),
            '⟩' => ">".to_string(),
            c if c.is_ascii() => c.to_string(),
            c => format!("U+{:04X}", c as u32),
        })
        .collect()
}

/// A stable fingerprint of a machine's rule table (symbols, states, blank, start, halting
/// states and every transition): FNV-1a 64 over a canonical text, as 16 hex digits. Two files
/// with the same fingerprint were made for the same machine up to its name.
pub fn fingerprint(m: &Machine) -> String {
    let mut text = String::new();
    text.push_str(&m.symbols().iter().collect::<String>());
    text.push('|');
    text.push_str(&m.states().join(","));
    text.push_str(&format!("|{}|{}|", m.blank().index(), m.start().index()));
    for q in 0..m.num_states() {
        text.push(if m.is_halting(crate::machine::StateId(q as u16)) {
            'H'
        } else {
            '-'
        });
    }
    for (q, s, t) in m.rules() {
        text.push_str(&format!(
            "|{},{}:{},{},{}",
            q.index(),
            s.index(),
            t.write.index(),
            t.movement.letter(),
            t.next.index()
        ));
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::load::from_standard;

    #[test]
    fn metadata_round_trips_through_the_string_map() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let mut meta = Metadata::for_machine(
            "arsim-linear-ar",
            &m,
            "cells",
            Window { size: 4, origin: 2 },
            vec!["SEP".into(), "⟨0⟩".into(), "⟨A,0⟩".into()],
        );
        meta.offsets = vec![4, 5, 6];
        meta.offset_names = vec!["S".into(), "S+1".into(), "S+2".into()];
        meta.rule = "r".into();
        meta.dtype = "I32".into();
        meta.extra.insert("note".into(), "kept".into());
        let back = Metadata::from_map(&meta.to_map(), "arsim-linear-ar").unwrap();
        assert_eq!(back, meta);
        assert_eq!(back.token_aliases[2], "<A,0>");
        assert_eq!(back.start_state.as_deref(), Some("A"));
        assert_eq!(back.blank.as_deref(), Some("0"));
        assert!(!back.halting.is_empty());
    }

    #[test]
    fn fingerprints_tell_machines_apart_and_ignore_names() {
        let a = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let b = from_standard("1RB1LB_1LA1RZ", "other").unwrap();
        let c = from_standard("1RB0LB_1LA1RZ", "bb2").unwrap();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }

    #[test]
    fn a_foreign_format_is_named() {
        let mut map = HashMap::new();
        map.insert("format".to_string(), "something/1".to_string());
        let err = Metadata::from_map(&map, "arsim-linear-ar").unwrap_err();
        assert!(err.contains("something/1"), "{err}");
    }
}
