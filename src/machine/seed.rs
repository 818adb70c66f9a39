//! The bbchallenge binary seed format: 2-symbol machines, 6 bytes per state, as in the
//! bbchallenge seed database. One of the machine formats [`load`](super::load) reads and
//! [`convert`](super::convert) writes.
//!
//! A machine of n states is 6·n bytes: for each state A, B, … and each read symbol 0, 1, three
//! bytes `write` (0 or 1), `move` (0 = R, 1 = L) and `goto` (1 = A, 2 = B, …). `goto` n + 1
//! is the halting state (bbchallenge-seed's own BB(5) test vector ends `1, R, 6`), read and
//! written as the standard format's `Z`; `goto` 0 is an undefined transition, the standard
//! format's `---` (its write and move bytes are ignored, and written as 0).
//!
//! A database file is a 30-byte header — three big-endian u32 counts (undecided machines that
//! exceed the space limit, the time limit, and in all, in that order as bbchallenge-seed's
//! README gives them), a sorted flag byte, zero padding — followed by 30-byte records of
//! 5-state machines; [`parse`] takes the index of the record, which a database must be given
//! (`FILE#N`). The seed format has no stay move, and one halting state.

use super::spec::MachineSpec;
use super::standard::{self, StandardError};
use super::{Machine, Undefined};

/// Length of a database header, and of one 5-state record.
pub(crate) const HEADER_LEN: usize = 30;

/// A byte string that is not a seed machine, or an index outside the file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SeedError {
    /// Not a whole number of 6-byte states (and not a database).
    #[error("{0} bytes is not a seed machine (6 bytes per state) nor a database (30-byte header, 30-byte records)")]
    Length(usize),
    /// More states than the standard letters can name.
    #[error("{0} states: the seed format here holds at most 26")]
    TooManyStates(usize),
    /// A byte out of range.
    #[error("machine {machine}, byte {offset} (state {state} reading {symbol}): {what} {value} is out of range")]
    BadByte {
        /// Index of the machine in the file.
        machine: usize,
        /// Offset of the byte in the file.
        offset: usize,
        /// State letter.
        state: char,
        /// Read symbol.
        symbol: usize,
        /// `write`, `move` or `goto`.
        what: &'static str,
        /// The byte.
        value: u8,
    },
    /// A database read without saying which of its machines.
    #[error("this is a seed database of {count} machines: name one as FILE#N (0-based)")]
    NoIndex {
        /// Machines in the file.
        count: usize,
    },
    /// A database header whose two undecided counts do not add up to its total.
    #[error("database header: {space_limit} (space limit) + {time_limit} (time limit) undecided machines is not the total {total}")]
    HeaderSum {
        /// The header's first count.
        space_limit: u32,
        /// The header's second count.
        time_limit: u32,
        /// The header's third count.
        total: u32,
    },
    /// An index past the last machine of a database.
    #[error("machine {index} is past the end of the database ({count} machines)")]
    NoSuchMachine {
        /// The index asked for.
        index: usize,
        /// Machines in the file.
        count: usize,
    },
    /// A machine the seed format cannot express.
    #[error("the seed format cannot express {0}")]
    Inexpressible(String),
}

/// The header of a seed database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Undecided machines that exceed the space limit (the first count).
    pub space_limit: u32,
    /// Undecided machines that exceed the time limit (the second count).
    pub time_limit: u32,
    /// All machines in the file.
    pub total: u32,
    /// Whether the records are sorted.
    pub sorted: bool,
}

/// The header of `bytes`, if they look like a database: a header of the documented shape
/// (non-zero counts, a 0/1 sorted flag, zero padding) and at least one whole 30-byte record
/// after it. The counts are not checked here: [`check_header`] does.
pub fn header(bytes: &[u8]) -> Option<Header> {
    let h = bytes.get(..HEADER_LEN)?;
    let records = bytes.len() - HEADER_LEN;
    let be = |i: usize| u32::from_be_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
    // An all-zero count field is a bare machine whose first states have no rules.
    let shape = records > 0
        && records % HEADER_LEN == 0
        && h[..12].iter().any(|&b| b != 0)
        && h[12] <= 1
        && h[13..].iter().all(|&b| b == 0);
    shape.then(|| Header {
        space_limit: be(0),
        time_limit: be(4),
        total: be(8),
        sorted: h[12] == 1,
    })
}

/// A database header's counts must add up, as in bbchallenge's files.
pub fn check_header(h: &Header) -> Result<(), SeedError> {
    if h.space_limit as u64 + h.time_limit as u64 == h.total as u64 {
        Ok(())
    } else {
        Err(SeedError::HeaderSum {
            space_limit: h.space_limit,
            time_limit: h.time_limit,
            total: h.total,
        })
    }
}

/// Number of machines in `bytes`: a database's records, or 1 for a bare machine.
pub fn count(bytes: &[u8]) -> usize {
    match header(bytes) {
        Some(_) => (bytes.len() - HEADER_LEN) / HEADER_LEN,
        None => 1,
    }
}

/// Converts one record (6·n bytes) to a standard-format string; `base` is its file offset.
fn record_to_standard(rec: &[u8], machine: usize, base: usize) -> Result<String, SeedError> {
    let n = rec.len() / 6;
    if n > 26 {
        return Err(SeedError::TooManyStates(n));
    }
    let mut out = String::with_capacity(7 * n);
    for (q, state) in rec.chunks_exact(6).enumerate() {
        if q > 0 {
            out.push('_');
        }
        for (s, t) in state.chunks_exact(3).enumerate() {
            let bad = |k: usize, what, value| SeedError::BadByte {
                machine,
                offset: base + 6 * q + 3 * s + k,
                state: (b'A' + q as u8) as char,
                symbol: s,
                what,
                value,
            };
            let (w, m, g) = (t[0], t[1], t[2]);
            if g == 0 {
                out.push_str("---");
                continue;
            }
            if w > 1 {
                return Err(bad(0, "write", w));
            }
            if m > 1 {
                return Err(bad(1, "move", m));
            }
            // goto n + 1 is the halting state, Z (no letter is left for it past 25 states).
            if g as usize > n + 1 || (g as usize == n + 1 && n >= 26) {
                return Err(bad(2, "goto", g));
            }
            out.push((b'0' + w) as char);
            out.push(if m == 0 { 'R' } else { 'L' });
            out.push(if g as usize == n + 1 {
                'Z'
            } else {
                (b'A' + g - 1) as char
            });
        }
    }
    Ok(out)
}

/// The standard-format string of machine `index` in `bytes` (a bare machine is index 0, and
/// the only index; a database needs one).
pub fn to_standard_string(bytes: &[u8], index: Option<usize>) -> Result<String, SeedError> {
    let (rec, base) = if let Some(h) = header(bytes) {
        let count = count(bytes);
        check_header(&h)?;
        let Some(index) = index else {
            return Err(SeedError::NoIndex { count });
        };
        if index >= count {
            return Err(SeedError::NoSuchMachine { index, count });
        }
        let base = HEADER_LEN * (index + 1);
        return record_to_standard(&bytes[base..base + HEADER_LEN], index, base);
    } else {
        if bytes.is_empty() || bytes.len() % 6 != 0 {
            return Err(SeedError::Length(bytes.len()));
        }
        if let Some(index @ 1..) = index {
            return Err(SeedError::NoSuchMachine { index, count: 1 });
        }
        (bytes, 0)
    };
    record_to_standard(rec, index.unwrap_or(0), base)
}

/// Parses machine `index` of a seed file into a spec (not yet validated), undefined
/// transitions read as `undefined` says.
pub fn parse(
    bytes: &[u8],
    index: Option<usize>,
    undefined: Undefined,
) -> Result<MachineSpec, SeedError> {
    let text = to_standard_string(bytes, index)?;
    let mut spec = standard::parse_with(&text, undefined)
        .map_err(|e| SeedError::Inexpressible(e.to_string()))?;
    spec.description = match index {
        Some(i) => format!("bbchallenge seed machine {i}: {text}"),
        None => format!("bbchallenge seed machine: {text}"),
    };
    Ok(spec)
}

/// Writes a 2-symbol machine as one seed record of 6 bytes per state.
pub(crate) fn to_seed(m: &Machine) -> Result<Vec<u8>, SeedError> {
    if m.num_symbols() != 2 {
        return Err(SeedError::Inexpressible(format!(
            "a machine with {} symbols (the seed format has 2)",
            m.num_symbols()
        )));
    }
    let text = standard::to_standard(m).map_err(|e| match e {
        StandardError::Inexpressible(what) => SeedError::Inexpressible(what),
        other => SeedError::Inexpressible(other.to_string()),
    })?;
    let bytes = from_standard_string(&text)?;
    if header(&bytes).is_some() {
        return Err(SeedError::Inexpressible(format!(
            "{text}: its first 30 bytes would read as a seed database header"
        )));
    }
    Ok(bytes)
}

/// Turns a 2-symbol standard-format string into a seed record.
pub fn from_standard_string(text: &str) -> Result<Vec<u8>, SeedError> {
    let groups: Vec<&str> = text.split('_').collect();
    let n = groups.len();
    if n > 26 {
        return Err(SeedError::TooManyStates(n));
    }
    let mut out = Vec::with_capacity(6 * n);
    for (q, g) in groups.iter().enumerate() {
        let b = g.as_bytes();
        if b.len() != 6 {
            return Err(SeedError::Inexpressible(format!(
                "state {} with {} characters (2 symbols are 6)",
                (b'A' + q as u8) as char,
                b.len()
            )));
        }
        for t in b.chunks_exact(3) {
            if t == b"---" {
                out.extend_from_slice(&[0, 0, 0]);
                continue;
            }
            // A letter past the last state is the halting state, goto n + 1.
            let goto = (t[2].wrapping_sub(b'A') as usize).min(n);
            let mv = match t[1] {
                b'R' => 0,
                b'L' => 1,
                _ => {
                    return Err(SeedError::Inexpressible(format!(
                        "the move '{}'",
                        t[1] as char
                    )))
                }
            };
            out.extend_from_slice(&[t[0].wrapping_sub(b'0'), mv, goto as u8 + 1]);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::validate;

    #[test]
    fn record_round_trips_through_standard() {
        let s = "1RB1LC_1RC1RB_1RD0LE_1LA1LD_---0LA";
        let bytes = from_standard_string(s).unwrap();
        assert_eq!(bytes.len(), 30);
        assert_eq!(&bytes[..6], &[1, 0, 2, 1, 1, 3]);
        assert_eq!(&bytes[24..27], &[0, 0, 0]);
        assert_eq!(to_standard_string(&bytes, None).unwrap(), s);
        let m = validate(&parse(&bytes, None, Undefined::Halt).unwrap(), None, None).unwrap();
        assert_eq!(to_seed(&m).unwrap(), bytes);
    }

    #[test]
    fn goto_past_the_last_state_is_the_halt() {
        // bbchallenge-seed's simulate_test.go: the BB(5) champion with its halt as goto 6.
        let bytes = [
            1, 0, 2, 1, 1, 3, 1, 0, 3, 1, 0, 2, 1, 0, 4, 0, 1, 5, 1, 1, 1, 1, 1, 4, 1, 0, 6, 0, 1,
            1,
        ];
        let text = "1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA";
        assert_eq!(to_standard_string(&bytes, None).unwrap(), text);
        let m = validate(&parse(&bytes, None, Undefined::Halt).unwrap(), None, None).unwrap();
        assert_eq!(to_seed(&m).unwrap(), bytes);
        assert_eq!(from_standard_string(text).unwrap(), bytes);
    }

    fn database(counts: [u32; 3], machines: &[&str]) -> Vec<u8> {
        let mut db = vec![0u8; HEADER_LEN];
        for (i, c) in counts.iter().enumerate() {
            db[4 * i..4 * i + 4].copy_from_slice(&c.to_be_bytes());
        }
        for m in machines {
            db.extend(from_standard_string(m).unwrap());
        }
        db
    }

    #[test]
    fn database_records_are_indexed() {
        let db = database(
            [2, 0, 2],
            &[
                "1RB---_1LC0RB_1LD1LA_0RE1RC_1RA0LE",
                "1RB1LC_0LA1RD_1LA0LE_1RC0RB_---1RE",
            ],
        );
        let h = header(&db).unwrap();
        assert_eq!(
            (h.space_limit, h.time_limit, h.total, h.sorted),
            (2, 0, 2, false)
        );
        assert_eq!(count(&db), 2);
        assert_eq!(
            to_standard_string(&db, Some(1)).unwrap(),
            "1RB1LC_0LA1RD_1LA0LE_1RC0RB_---1RE"
        );
        assert_eq!(
            to_standard_string(&db, Some(2)),
            Err(SeedError::NoSuchMachine { index: 2, count: 2 })
        );
        // A database is never silently its machine 0.
        assert_eq!(
            to_standard_string(&db, None),
            Err(SeedError::NoIndex { count: 2 })
        );
    }

    #[test]
    fn header_counts_must_add_up() {
        let db = database([1, 1, 7], &["1RB---_1LC0RB_1LD1LA_0RE1RC_1RA0LE"]);
        let e = to_standard_string(&db, Some(0)).unwrap_err();
        assert_eq!(
            e,
            SeedError::HeaderSum {
                space_limit: 1,
                time_limit: 1,
                total: 7
            }
        );
        assert!(
            e.to_string().contains("1 (space limit) + 1 (time limit)"),
            "{e}"
        );
        assert!(matches!(
            to_standard_string(&db, None),
            Err(SeedError::HeaderSum { .. })
        ));
    }

    #[test]
    fn bare_machines_whose_first_bytes_are_zero() {
        // Ten states, A to E without rules: the first 30 bytes are all zero, no header.
        let text = "------_------_------_------_------_1RF---_1RG---_1RH---_1RI---_1RJ---";
        let bytes = from_standard_string(text).unwrap();
        assert!(header(&bytes).is_none());
        assert_eq!(to_standard_string(&bytes, None).unwrap(), text);
        let m = validate(&parse(&bytes, None, Undefined::NoRule).unwrap(), None, None).unwrap();
        assert_eq!(to_seed(&m).unwrap(), bytes);
    }

    #[test]
    fn bad_bytes_and_inexpressible_machines() {
        assert_eq!(
            to_standard_string(&[1, 0, 2, 0], None),
            Err(SeedError::Length(4))
        );
        assert!(matches!(
            to_standard_string(&[1, 2, 1, 0, 0, 0], None),
            Err(SeedError::BadByte {
                what: "move",
                offset: 1,
                ..
            })
        ));
        assert!(matches!(
            to_standard_string(&[1, 0, 9, 0, 0, 0], None),
            Err(SeedError::BadByte { what: "goto", .. })
        ));
        // 1RZ halts are written as goto n + 1.
        let bb2 = crate::machine::load::from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        assert_eq!(to_seed(&bb2).unwrap(), [1, 0, 2, 1, 1, 2, 1, 1, 1, 1, 0, 3]);
        let stay = crate::machine::load::from_standard("1SB1LB_1LA1RZ", "s").unwrap();
        assert!(matches!(to_seed(&stay), Err(SeedError::Inexpressible(_))));
    }
}
