//! The certificate of the `gates` encoding (`proofs/gates.md#theorem`): every gate of a row
//! computes the local rule on every valid three-cell context, and the time-dependent predictor
//! computes the unrolled circuit gate by gate (by enumeration where a gate reads few enough
//! tokens, by a proof from the weights otherwise).

use crate::certify::KEEP_FAILURES;
use crate::circuit::certify::Method;
use crate::encoding::cells::{next_cell, Dictionary};
use crate::machine::Machine;
use crate::predictor::time_dependent::{Entry, TimeDependentAr};
use crate::window::{CellToken, Window};
use serde::Serialize;
use std::collections::HashMap;

/// Steps the `certify` pipeline runs the interpreter for, to size the `gates` circuit it
/// unrolls (a row's certificate holds for every T).
pub const CERTIFY_MAX_STEPS: u64 = 100_000;

/// Rows of the `gates` circuit materialised by [`certify_gates`] at most (in gates, about).
pub const UNROLL_LIMIT_GATES: u64 = 30_000;

/// Why a `gates` predictor cannot be certified.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GatesCertifyError {
    /// The window is empty.
    #[error(transparent)]
    Window(#[from] crate::window::WindowError),
    /// The predictor is not one map per bit of a row, repeated row after row.
    #[error("a gates predictor for rows of {row_bits} bits is periodic with {row_bits} maps from position {row_bits}; this one is {schedule} with {maps} maps from position {start}")]
    NotPeriodic {
        /// R.
        row_bits: usize,
        /// The predictor's schedule.
        schedule: &'static str,
        /// Its start.
        start: u64,
        /// Its number of maps.
        maps: usize,
    },
}

/// The check of one gate of a `gates` row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GatesGateCheck {
    /// The bit it computes, e.g. `c2=⟨B,1⟩`.
    pub gate: String,
    /// Wires into the gate.
    pub fan_in: usize,
    /// θ.
    pub threshold: i32,
    /// How the predictor's map was shown to compute the gate: enumerated or proved.
    pub method: Method,
    /// Token assignments tried for that (0 when proved).
    pub assignments: u64,
    /// Valid three-cell contexts on which the gate was checked against the local rule.
    pub contexts: u64,
    /// Smallest margin of the predictor over those contexts.
    pub min_margin: i64,
    /// Whether both checks passed.
    pub ok: bool,
}

/// A valid context on which a `gates` bit is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocalFailure {
    /// The bit, e.g. `c2=⟨B,1⟩`.
    pub gate: String,
    /// Cells i−1, i, i+1 of the row before (`SEP` at a window edge).
    pub context: [String; 3],
    /// The local rule's bit.
    pub expected: u8,
    /// The predictor's bit.
    pub got: u8,
    /// Score of the right bit minus the other's.
    pub margin: i64,
}

/// The outcome of certifying a machine's `gates` predictor.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GatesCertificate {
    /// Whether every check passed.
    pub certified: bool,
    /// The machine's name.
    pub machine: String,
    /// Always `gates`.
    pub encoding: &'static str,
    /// Window size S.
    pub tape_cells: usize,
    /// Bits per cell B = |Γ|(|Q|+1).
    pub bits_per_cell: usize,
    /// Bits (gates) per row R = S·B.
    pub row_bits: usize,
    /// The step budget T the circuit is built for.
    pub steps: u64,
    /// Gates of the circuit for T steps: T·R, the length complexity.
    pub gates: u64,
    /// Rows of the circuit materialised and checked against the predictor gate by gate.
    pub rows_unrolled: u64,
    /// Gates of a row whose map was checked by enumeration.
    pub enumerated: u64,
    /// Gates of a row whose margin was proved from the weights.
    pub proved: u64,
    /// Local contexts checked (over the gates of a row).
    pub contexts: u64,
    /// Smallest margin over the local contexts.
    pub min_margin: i64,
    /// The predictor against the unrolled circuit (per-gate checks are in `gate_checks`).
    pub circuit: crate::circuit::CircuitCertificate,
    /// Number of local contexts that failed.
    pub failed: u64,
    /// The first few of them.
    pub failures: Vec<LocalFailure>,
    /// Maps that read a token outside their gate's three cells in a way that matters.
    pub stray_reads: Vec<String>,
    /// One check per gate of a row (every row has the same gates).
    pub gate_checks: Vec<GatesGateCheck>,
}

/// Certifies the `gates` predictor of `machine` on `window` for a run of `steps` steps.
///
/// Two checks, which with the induction of `proofs/gates.md#theorem` prove every generated
/// bit right for every input that stays in the window: (1) for each gate of a row and each
/// valid context of its three cells (one-hot cells, at most one head; `SEP` past an edge), the
/// predictor's map gives the bit of [`next_cell`] with margin ≥ 1, reading nothing else that
/// matters; (2) the unrolled circuit (up to [`UNROLL_LIMIT_GATES`] gates) is what the periodic
/// predictor computes, gate by gate ([`certify_circuit`](crate::circuit::certify_circuit)).
pub fn certify_gates(
    machine: &Machine,
    window: Window,
    steps: u64,
) -> Result<GatesCertificate, GatesCertifyError> {
    let predictor = crate::encoding::gates::machine_to_gates_predictor(machine, window)?;
    certify_gates_with(machine, &predictor, window, steps)
}

/// Certifies any `gates` predictor (compiled, or loaded from a weight file) as
/// [`certify_gates`] does the compiled one.
pub fn certify_gates_with(
    machine: &Machine,
    predictor: &TimeDependentAr,
    window: Window,
    steps: u64,
) -> Result<GatesCertificate, GatesCertifyError> {
    use crate::encoding::gates::{machine_to_circuit, row_template};
    use crate::predictor::time_dependent::Schedule;
    if window.size == 0 {
        return Err(crate::window::WindowError::Empty.into());
    }
    let template = row_template(machine, window);
    let layout = &template.layout;
    let (r, b) = (layout.row_bits(), layout.bits_per_cell());
    if predictor.schedule() != (Schedule::Periodic { start: r as u64 }) || predictor.num_maps() != r
    {
        return Err(GatesCertifyError::NotPeriodic {
            row_bits: r,
            schedule: predictor.schedule().name(),
            start: predictor.schedule().start(),
            maps: predictor.num_maps(),
        });
    }
    let rows_unrolled = steps.max(1).min((UNROLL_LIMIT_GATES / r as u64).max(1));
    let circuit = machine_to_circuit(machine, window, rows_unrolled);
    let (mut circuit_cert, index) =
        crate::circuit::certify::certify_circuit_indexed(&circuit, predictor);
    let row_checks = std::mem::take(&mut circuit_cert.checks);
    let dict = Dictionary::new(machine);
    let cells: Vec<CellToken> = dict.cells().collect();
    let mut cert = GatesCertificate {
        certified: circuit_cert.certified,
        machine: machine.name().to_string(),
        encoding: "gates",
        tape_cells: window.size,
        bits_per_cell: b,
        row_bits: r,
        steps,
        gates: layout.length(steps),
        rows_unrolled,
        enumerated: 0,
        proved: 0,
        contexts: 0,
        min_margin: i64::MAX,
        circuit: circuit_cert,
        failed: 0,
        failures: Vec::new(),
        stray_reads: Vec::new(),
        gate_checks: Vec::with_capacity(r),
    };
    // Interior cells have the same maps at the same relative offsets: check each kind once.
    let mut seen: HashMap<(Vec<Entry>, usize, bool, bool), LocalCheck> = HashMap::new();
    for (k, g) in template.gates.iter().enumerate() {
        let name = layout.cell_bit_name(machine, g.cell, g.bit);
        // Gate k of the circuit's first row is template gate k.
        let row_check = index.get(k).copied().flatten().map(|i| &row_checks[i]);
        let (has_left, has_right) = (g.cell > 0, g.cell + 1 < window.size);
        let map = predictor.map(k);
        let key = (map.to_vec(), g.bit, has_left, has_right);
        let local = seen.entry(key).or_insert_with(|| {
            local_check(machine, layout, &cells, map, g.bit, has_left, has_right)
        });
        let check = GatesGateCheck {
            gate: name.clone(),
            fan_in: g.inputs.len(),
            threshold: g.threshold,
            method: row_check.map_or(Method::Enumerated, |c| c.method),
            assignments: row_check.map_or(0, |c| c.assignments),
            contexts: local.contexts,
            min_margin: local.min_margin,
            ok: row_check.is_some_and(|c| c.ok) && local.failed == 0 && local.stray.is_empty(),
        };
        cert.failed += local.failed;
        for f in &local.failures {
            if cert.failures.len() < KEEP_FAILURES {
                cert.failures.push(LocalFailure {
                    gate: name.clone(),
                    ..f.clone()
                });
            }
        }
        for j in &local.stray {
            cert.stray_reads.push(format!(
                "{name} reads offset {j}, outside its three cells, through weights that depend on the token (or before the trace)"
            ));
        }
        match check.method {
            Method::Enumerated => cert.enumerated += 1,
            Method::ProvedFromWeights => cert.proved += 1,
        }
        cert.contexts += check.contexts;
        cert.min_margin = cert.min_margin.min(check.min_margin);
        cert.certified &= check.ok;
        cert.gate_checks.push(check);
    }
    if cert.min_margin == i64::MAX {
        cert.min_margin = 0;
    }
    Ok(cert)
}

/// The result of checking one map against the local rule on every valid context.
#[derive(Clone, Debug)]
struct LocalCheck {
    contexts: u64,
    min_margin: i64,
    failed: u64,
    failures: Vec<LocalFailure>,
    /// Offsets outside the three cells read through token-dependent weights.
    stray: Vec<u32>,
}

/// Checks the map of bit `bit` of a cell (with or without neighbours) on every valid context
/// of the cell and its neighbours: one-hot cells, at most one head, `SEP` past an edge.
///
/// Offsets are read relative to the cell: offset `j` of the map of bit `b` reads bit
/// `R + B + b − j` counted from the first bit of the left neighbour in the row before, so the
/// check depends on the map, `b` and the edges only, never on which interior cell it is.
fn local_check(
    machine: &Machine,
    layout: &crate::encoding::gates::BitLayout,
    cells: &[CellToken],
    map: &[Entry],
    bit: usize,
    has_left: bool,
    has_right: bool,
) -> LocalCheck {
    let (r, b) = (layout.row_bits() as i64, layout.bits_per_cell() as i64);
    // Which of the three cells (0 = left) and which of its bits offset `j` reads, if any.
    let read_at = |j: u32| -> Option<(usize, usize)> {
        let rel = r + b + bit as i64 - j as i64;
        let c = rel.div_euclid(b);
        let present = match c {
            0 => has_left,
            1 => true,
            2 => has_right,
            _ => false,
        };
        (rel >= 0 && present).then_some((c as usize, rel.rem_euclid(b) as usize))
    };
    let entries: Vec<(Option<(usize, usize)>, Entry)> =
        map.iter().map(|e| (read_at(e.offset), *e)).collect();
    let mut out = LocalCheck {
        contexts: 0,
        min_margin: i64::MAX,
        failed: 0,
        failures: Vec::new(),
        stray: Vec::new(),
    };
    // Outside its three cells the map may read only through token-independent weights, and
    // only offsets ≤ R, which never reach before the trace from a generated position (≥ R):
    // a token there is a bit, so those weights add the same constant in every row.
    let mut outside: Vec<u32> = entries
        .iter()
        .filter(|(at, _)| at.is_none())
        .map(|(_, e)| e.offset)
        .collect();
    outside.dedup();
    for j in outside {
        let w = |d: u8, x: u8| {
            map.iter()
                .filter(|e| e.offset == j && e.output == d && e.input == x)
                .map(|e| e.weight as i64)
                .sum::<i64>()
        };
        if w(0, 0) != w(0, 1) || w(1, 0) != w(1, 1) || j as i64 > r {
            out.stray.push(j);
        }
    }
    // The scores are a constant plus one term per cell that depends only on which bit of the
    // cell is set: base[c] + f[c][k] is cell c's term when its bit k is set (tokens outside the
    // three cells read as 0: they only reach token-independent weights, checked above).
    let bits = layout.bits_per_cell();
    let mut constant = [0i64; 2];
    let mut f = vec![vec![[0i64; 2]; bits]; 3];
    let mut base = [[0i64; 2]; 3];
    for &(at, e) in &entries {
        let w = e.weight as i64;
        let d = e.output as usize;
        match at {
            None => {
                if e.input == 0 {
                    constant[d] += w;
                }
            }
            // Every bit of a cell but one is 0: the input-0 entries fire except at the set bit.
            Some((c, k)) => {
                if e.input == 0 {
                    base[c][d] += w;
                    f[c][k][d] -= w;
                } else {
                    f[c][k][d] += w;
                }
            }
        }
    }
    let dict = Dictionary::new(machine);
    let want = layout.token_of(bit);
    // The valid contexts: one-hot cells with at most one head among the three, SEP past an edge.
    let (headed, headless): (Vec<CellToken>, Vec<CellToken>) = cells
        .iter()
        .partition(|t| matches!(t, CellToken::Cell { head: Some(_), .. }));
    let sep = [CellToken::Sep];
    let present = [has_left, true, has_right];
    let choices = |c: usize, head_at: Option<usize>| -> &[CellToken] {
        if !present[c] {
            &sep
        } else if head_at == Some(c) {
            &headed
        } else {
            &headless
        }
    };
    let placements = [None, Some(0), Some(1), Some(2)]
        .into_iter()
        .filter(|h| h.map_or(true, |c| present[c]));
    for head_at in placements {
        for &left in choices(0, head_at) {
            for &centre in choices(1, head_at) {
                for &right in choices(2, head_at) {
                    let ctx = [left, centre, right];
                    let mut s = constant;
                    for (c, &t) in ctx.iter().enumerate() {
                        // A SEP (past an edge) has no bits, and no offset reads it.
                        if let Some(k) = layout.bit_of(t) {
                            for (sd, (bd, fd)) in s.iter_mut().zip(base[c].iter().zip(f[c][k])) {
                                *sd += bd + fd;
                            }
                        }
                    }
                    let expected = (next_cell(machine, left, centre, right) == want) as usize;
                    let margin = s[expected] - s[1 - expected];
                    out.contexts += 1;
                    out.min_margin = out.min_margin.min(margin);
                    if margin < 1 {
                        out.failed += 1;
                        if out.failures.len() < KEEP_FAILURES {
                            out.failures.push(LocalFailure {
                                gate: String::new(),
                                context: ctx.map(|t| dict.name(machine, dict.encode(t))),
                                expected: expected as u8,
                                got: (s[1] > s[0]) as u8,
                                margin,
                            });
                        }
                    }
                }
            }
        }
    }
    out
}
