//! The bbchallenge binary seed format: 2-symbol machines, 6 bytes per state, as in the
//! bbchallenge seed database. One of the machine formats [`load`](super::load) reads and
//! [`convert`](super::convert) writes.
//!
//! A machine of n states is 6·n bytes: for each state A, B, … and each read symbol 0, 1, three
//! bytes `write` (0 or 1), `move` (0 = R, 1 = L) and `goto` (1 = A, 2 = B, …; 0 = undefined,
//! written as `---` in the standard format: the run stops there with `no-rule`, without a
//! step, and the write and move bytes of such a transition are ignored).
//!
//! A database file is a 30-byte header — three big-endian u32 counts (undecided machines that
//! exceed the time limit, the space limit, and in all), a sorted flag byte, zero padding —
//! followed by 30-byte records of 5-state machines; [`parse`] takes the index of the record.
//! The seed format has no halting state and no stay move: a machine with a transition into a
//! halting state (standard `1RZ`) cannot be written; it gets a clear error.

use super::spec::MachineSpec;
use super::standard::{self, StandardError};
use super::Machine;

/// Length of a database header, and of one 5-state record.
pub const HEADER_LEN: usize = 30;

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
    /// Undecided machines that exceed the time limit.
    pub time_limit: u32,
    /// Undecided machines that exceed the space limit.
    pub space_limit: u32,
    /// All machines in the file.
    pub total: u32,
    /// Whether the records are sorted.
    pub sorted: bool,
}

/// The header of `bytes`, if they look like a database: a header of the documented shape
/// (zero padding, a 0/1 sorted flag, and the two undecided counts adding up to the total, as
/// in bbchallenge's files) and at least one whole 30-byte record after it.
pub fn header(bytes: &[u8]) -> Option<Header> {
    let h = bytes.get(..HEADER_LEN)?;
    let records = bytes.len() - HEADER_LEN;
    let be = |i: usize| u32::from_be_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
    let shape = records > 0
        && records % HEADER_LEN == 0
        && h[12] <= 1
        && h[13..].iter().all(|&b| b == 0)
        && be(0) as u64 + be(4) as u64 == be(8) as u64;
    shape.then(|| Header {
        time_limit: be(0),
        space_limit: be(4),
        total: be(8),
        sorted: h[12] == 1,
    })
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
            if g as usize > n {
                return Err(bad(2, "goto", g));
            }
            out.push((b'0' + w) as char);
            out.push(if m == 0 { 'R' } else { 'L' });
            out.push((b'A' + g - 1) as char);
        }
    }
    Ok(out)
}

/// The standard-format string of machine `index` in `bytes` (a bare machine is index 0).
pub fn to_standard_string(bytes: &[u8], index: usize) -> Result<String, SeedError> {
    let (rec, base) = if header(bytes).is_some() {
        let count = count(bytes);
        if index >= count {
            return Err(SeedError::NoSuchMachine { index, count });
        }
        let base = HEADER_LEN * (index + 1);
        match record_to_standard(&bytes[base..base + HEADER_LEN], index, base) {
            Ok(text) => return Ok(text),
            // Not a database after all, if the whole file is a valid bare machine.
            Err(e) => match (index, record_to_standard(bytes, 0, 0)) {
                (0, Ok(text)) if bytes.len() / 6 <= 26 => return Ok(text),
                _ => return Err(e),
            },
        }
    } else {
        if bytes.is_empty() || bytes.len() % 6 != 0 {
            return Err(SeedError::Length(bytes.len()));
        }
        if index > 0 {
            return Err(SeedError::NoSuchMachine { index, count: 1 });
        }
        (bytes, 0)
    };
    record_to_standard(rec, index, base)
}

/// Parses machine `index` of a seed file into a spec (not yet validated).
pub fn parse(bytes: &[u8], index: usize) -> Result<MachineSpec, SeedError> {
    let text = to_standard_string(bytes, index)?;
    let mut spec = standard::parse(&text).map_err(|e| SeedError::Inexpressible(e.to_string()))?;
    spec.description = format!("bbchallenge seed machine {index}: {text}");
    Ok(spec)
}

/// Writes a 2-symbol machine as one seed record of 6 bytes per state.
pub fn to_seed(m: &Machine) -> Result<Vec<u8>, SeedError> {
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
            let goto = t[2].wrapping_sub(b'A') as usize;
            if goto >= n {
                return Err(SeedError::Inexpressible(format!(
                    "a transition into halting state {} (state {} of {text}): its machines stop only at undefined transitions (---)",
                    t[2] as char,
                    (b'A' + q as u8) as char
                )));
            }
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
        assert_eq!(to_standard_string(&bytes, 0).unwrap(), s);
        let m = validate(&parse(&bytes, 0).unwrap(), None, None).unwrap();
        assert_eq!(to_seed(&m).unwrap(), bytes);
    }

    #[test]
    fn database_records_are_indexed() {
        let mut db = vec![0u8; HEADER_LEN];
        db[4..8].copy_from_slice(&2u32.to_be_bytes());
        db[8..12].copy_from_slice(&2u32.to_be_bytes());
        db.extend(from_standard_string("1RB---_1LC0RB_1LD1LA_0RE1RC_1RA0LE").unwrap());
        db.extend(from_standard_string("1RB1LC_0LA1RD_1LA0LE_1RC0RB_---1RE").unwrap());
        let h = header(&db).unwrap();
        assert_eq!((h.total, h.sorted), (2, false));
        assert_eq!(count(&db), 2);
        assert_eq!(
            to_standard_string(&db, 1).unwrap(),
            "1RB1LC_0LA1RD_1LA0LE_1RC0RB_---1RE"
        );
        assert_eq!(
            to_standard_string(&db, 2),
            Err(SeedError::NoSuchMachine { index: 2, count: 2 })
        );
    }

    #[test]
    fn bare_machines_that_look_like_databases() {
        // Ten states, A to E without rules: the first 30 bytes are all zero, a header.
        let text = "------_------_------_------_------_1RF---_1RG---_1RH---_1RI---_1RJ---";
        let bytes = from_standard_string(text).unwrap();
        assert!(header(&bytes).is_some());
        // F..J read as a 5-state record has gotos past E: the file is read as one machine.
        assert_eq!(to_standard_string(&bytes, 0).unwrap(), text);
        let m = validate(&parse(&bytes, 0).unwrap(), None, None).unwrap();
        assert!(matches!(to_seed(&m), Err(SeedError::Inexpressible(_))));
    }

    #[test]
    fn bad_bytes_and_inexpressible_machines() {
        assert_eq!(
            to_standard_string(&[1, 0, 2, 0], 0),
            Err(SeedError::Length(4))
        );
        assert!(matches!(
            to_standard_string(&[1, 2, 1, 0, 0, 0], 0),
            Err(SeedError::BadByte {
                what: "move",
                offset: 1,
                ..
            })
        ));
        assert!(matches!(
            to_standard_string(&[1, 0, 9, 0, 0, 0], 0),
            Err(SeedError::BadByte { what: "goto", .. })
        ));
        let bb2 = crate::machine::load::from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let e = to_seed(&bb2).unwrap_err();
        assert!(e.to_string().contains("halting state Z"), "{e}");
    }
}
