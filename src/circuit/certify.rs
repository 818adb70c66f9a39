//! The circuit certificate: a gate-by-gate check that a time-dependent predictor computes a
//! circuit (`proofs/gates.md#certificate`).
//!
//! For gate `g` at position `p` the predictor's map `W^(p)` must put the gate's value first,
//! with margin ≥ 1, whatever the tokens it reads. Where the map and the gate together read at
//! most [`ENUMERATE_MAX_SUPPORT`] offsets, every one of the `2^k` assignments of those tokens is
//! tried (`enumerated`); otherwise the margin is proved from the weights (`proved`): the map's
//! score difference is computed symbolically as `Σ_j (a_j + c_j·x_j)` and must equal
//! `2·(Σ w·x − θ) + 1`, an odd integer, so its sign is the gate's value and |margin| ≥ 1.
//! Gates whose maps and inputs (read as offsets) are the same are checked once: the rows of a
//! periodic predictor, and the interior cells of a Turing machine's row, share their checks.

use super::ThresholdCircuit;
use crate::predictor::time_dependent::{Entry, TimeDependentAr, VOCAB};
use serde::Serialize;
use std::collections::HashMap;

/// Largest number of offsets read (map and gate together) for which every assignment is tried.
pub const ENUMERATE_MAX_SUPPORT: usize = 20;

/// How many failures a certificate keeps.
use crate::certify::KEEP_FAILURES;

/// How a gate's margin was established.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Every assignment of the tokens read was tried.
    Enumerated,
    /// The margin was proved from the weights (too many tokens read to enumerate).
    ProvedFromWeights,
}

/// The check of one gate (or of several gates sharing a map and offsets).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GateCheck {
    /// The first gate with this check.
    pub gate: String,
    /// Its trace position.
    pub position: u64,
    /// Wires into the gate.
    pub fan_in: usize,
    /// Offsets read by the map and the gate together.
    pub support: usize,
    /// Enumerated or proved.
    pub method: Method,
    /// Assignments tried (0 when proved).
    pub assignments: u64,
    /// Smallest margin over the assignments (the proved bound, 1, when proved).
    pub min_margin: i64,
    /// Whether the gate is certified.
    pub ok: bool,
    /// How many gates share this check.
    pub gates: u64,
}

/// A gate the predictor does not compute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GateFailure {
    /// The gate.
    pub gate: String,
    /// Its trace position.
    pub position: u64,
    /// What is wrong.
    pub reason: String,
}

/// The outcome of certifying a predictor against a circuit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CircuitCertificate {
    /// Whether every gate is computed with margin ≥ 1 for every input.
    pub certified: bool,
    /// Gates in the circuit.
    pub gates: u64,
    /// Gates whose check enumerated assignments.
    pub enumerated: u64,
    /// Gates whose margin was proved from the weights.
    pub proved: u64,
    /// Assignments tried in all.
    pub assignments: u64,
    /// Smallest margin over every check.
    pub min_margin: i64,
    /// Number of gates that failed.
    pub failed: u64,
    /// The first few failures.
    pub failures: Vec<GateFailure>,
    /// One entry per distinct check, in gate order.
    pub checks: Vec<GateCheck>,
}

/// What a gate's check depends on: the map's entries, the gate's inputs as (offset, weight)
/// sorted, its threshold, and the position where some entry reads before the trace (or
/// `u64::MAX` when none does).
type CheckKey = (Vec<Entry>, Vec<(u32, i32)>, i32, u64);

/// Checks, gate by gate, that `predictor` generates `circuit`'s gate values from its inputs.
pub fn certify_circuit(
    circuit: &ThresholdCircuit,
    predictor: &TimeDependentAr,
) -> CircuitCertificate {
    certify_circuit_indexed(circuit, predictor).0
}

/// [`certify_circuit`], with the index in `checks` of every gate's check (`None` where no map
/// serves the gate's position).
pub(crate) fn certify_circuit_indexed(
    circuit: &ThresholdCircuit,
    predictor: &TimeDependentAr,
) -> (CircuitCertificate, Vec<Option<usize>>) {
    let mut index = Vec::with_capacity(circuit.gates().len());
    let mut cert = CircuitCertificate {
        certified: true,
        gates: circuit.gates().len() as u64,
        enumerated: 0,
        proved: 0,
        assignments: 0,
        min_margin: i64::MAX,
        failed: 0,
        failures: Vec::new(),
        checks: Vec::new(),
    };
    let mut seen: HashMap<CheckKey, usize> = HashMap::new();
    let mut reasons: Vec<Option<String>> = Vec::new();
    for &g in circuit.gates() {
        let p = circuit.position(g);
        let name = &circuit.node(g).name;
        let threshold = circuit.threshold(g).unwrap_or(0);
        let mut ins: Vec<(u32, i32)> = circuit
            .gate_inputs(g)
            .into_iter()
            .map(|(u, w)| ((p - circuit.position(u)) as u32, w))
            .collect();
        ins.sort_unstable();
        let Some(m) = predictor.map_at(p) else {
            fail(&mut cert, name, p, "no map serves this position".into());
            index.push(None);
            continue;
        };
        let map = predictor.map(m);
        let reads_before = map.iter().any(|e| e.offset as u64 > p);
        let key = (
            map.to_vec(),
            ins,
            threshold,
            if reads_before { p } else { u64::MAX },
        );
        let i = match seen.get(&key) {
            Some(&i) => {
                cert.checks[i].gates += 1;
                i
            }
            None => {
                let (check, reason) = check_gate(map, &key.1, threshold, p, name);
                cert.assignments += check.assignments;
                cert.checks.push(check);
                reasons.push(reason);
                seen.insert(key, cert.checks.len() - 1);
                cert.checks.len() - 1
            }
        };
        index.push(Some(i));
        let check = &cert.checks[i];
        match check.method {
            Method::Enumerated => cert.enumerated += 1,
            Method::ProvedFromWeights => cert.proved += 1,
        }
        cert.min_margin = cert.min_margin.min(check.min_margin);
        if let Some(reason) = &reasons[i] {
            let reason = reason.clone();
            fail(&mut cert, name, p, reason);
        }
    }
    if cert.min_margin == i64::MAX {
        cert.min_margin = 0;
    }
    (cert, index)
}

fn fail(cert: &mut CircuitCertificate, gate: &str, position: u64, reason: String) {
    cert.certified = false;
    cert.failed += 1;
    if cert.failures.len() < KEEP_FAILURES {
        cert.failures.push(GateFailure {
            gate: gate.to_string(),
            position,
            reason,
        });
    }
}

/// Checks one gate `1[Σ w·x_(p−j) ≥ θ]` (inputs as (offset j, weight w)) against one map at
/// position `p`; returns the check and, if it fails, why.
pub(crate) fn check_gate(
    map: &[Entry],
    inputs: &[(u32, i32)],
    threshold: i32,
    p: u64,
    name: &str,
) -> (GateCheck, Option<String>) {
    // Offsets past the start of the trace read padding, which no entry matches.
    let real = |j: u32| (j as u64) <= p;
    let mut support: Vec<u32> = map
        .iter()
        .map(|e| e.offset)
        .chain(inputs.iter().map(|&(j, _)| j))
        .filter(|&j| real(j))
        .collect();
    support.sort_unstable();
    support.dedup();
    let mut check = GateCheck {
        gate: name.to_string(),
        position: p,
        fan_in: inputs.len(),
        support: support.len(),
        method: Method::Enumerated,
        assignments: 0,
        min_margin: i64::MAX,
        ok: true,
        gates: 1,
    };
    if let Some(&(j, _)) = inputs.iter().find(|&&(j, _)| !real(j) || j == 0) {
        check.ok = false;
        check.min_margin = 0;
        return (
            check,
            Some(format!(
                "the gate reads offset {j}, not an earlier position"
            )),
        );
    }
    let reason = if support.len() <= ENUMERATE_MAX_SUPPORT {
        enumerate(map, inputs, threshold, &support, &mut check)
    } else {
        check.method = Method::ProvedFromWeights;
        check.min_margin = 1;
        prove(map, inputs, threshold, p)
    };
    if reason.is_some() {
        check.ok = false;
    }
    (check, reason)
}

/// Tries every assignment of the supported offsets, in Gray-code order so that each step
/// flips one token and updates the scores and the gate's sum in O(1); the first wrong
/// assignment is the reason.
fn enumerate(
    map: &[Entry],
    inputs: &[(u32, i32)],
    threshold: i32,
    support: &[u32],
    check: &mut GateCheck,
) -> Option<String> {
    let index = |j: u32| support.binary_search(&j).ok();
    // What turning token i from 0 to 1 adds to each score and to the gate's sum.
    let mut flip = vec![([0i64; VOCAB], 0i64); support.len()];
    let mut s = [0i64; VOCAB];
    for e in map {
        if let Some(i) = index(e.offset) {
            let w = e.weight as i64;
            if e.input == 0 {
                s[e.output as usize] += w;
                flip[i].0[e.output as usize] -= w;
            } else {
                flip[i].0[e.output as usize] += w;
            }
        }
    }
    for &(j, w) in inputs {
        if let Some(i) = index(j) {
            flip[i].1 += w as i64;
        }
    }
    let mut sum = 0i64;
    let mut mask = 0u64;
    let mut first_wrong = None;
    let total = 1u64 << support.len();
    for g in 0..total {
        if g > 0 {
            let i = g.trailing_zeros() as usize;
            let sign = if mask >> i & 1 == 0 { 1 } else { -1 };
            mask ^= 1 << i;
            for (sd, fd) in s.iter_mut().zip(flip[i].0) {
                *sd += sign * fd;
            }
            sum += sign * flip[i].1;
        }
        let value = (sum >= threshold as i64) as usize;
        let margin = s[value] - s[1 - value];
        check.min_margin = check.min_margin.min(margin);
        if margin < 1 && first_wrong.is_none() {
            let tokens: Vec<String> = support
                .iter()
                .enumerate()
                .map(|(i, j)| format!("x[p-{j}]={}", mask >> i & 1))
                .collect();
            first_wrong = Some(format!(
                "with {} the gate is {value} but the scores are {s:?} (margin {margin})",
                tokens.join(" ")
            ));
        }
    }
    check.assignments = total;
    first_wrong
}

/// Proves the margin from the weights: writing the map's score difference as
/// `Σ_j (a_j + c_j·x_j)` with `a_j = W_j[1,0] − W_j[0,0]` and `c_j = W_j[1,1] − W_j[0,1] − a_j`,
/// it must have `c_j = 2·w_j` on the gate's inputs, `c_j = 0` elsewhere and `Σ a_j = 1 − 2θ`.
fn prove(map: &[Entry], inputs: &[(u32, i32)], threshold: i32, p: u64) -> Option<String> {
    // offset → W[d][x]
    let mut blocks: Vec<(u32, [[i64; 2]; 2])> = Vec::new();
    for e in map.iter().filter(|e| (e.offset as u64) <= p) {
        let block = match blocks.last_mut() {
            Some((j, b)) if *j == e.offset => b,
            _ => {
                blocks.push((e.offset, [[0; 2]; 2]));
                &mut blocks.last_mut().expect("just pushed").1
            }
        };
        block[e.output as usize][e.input as usize] += e.weight as i64;
    }
    let mut sorted = inputs.to_vec();
    sorted.sort_unstable();
    let weight_at = |j: u32| {
        sorted
            .binary_search_by_key(&j, |&(k, _)| k)
            .map_or(0, |i| sorted[i].1 as i64)
    };
    let mut bias = 0i64;
    for &(j, b) in &blocks {
        let a = b[1][0] - b[0][0];
        let c = b[1][1] - b[0][1] - a;
        bias += a;
        let want = 2 * weight_at(j);
        if c != want {
            return Some(format!(
                "at offset {j} the map weighs token 1 by {c} against token 0; the proof needs 2·w = {want}"
            ));
        }
    }
    for &(j, w) in inputs {
        if w != 0 && blocks.binary_search_by_key(&j, |&(k, _)| k).is_err() {
            return Some(format!(
                "the gate reads offset {j} with weight {w} but the map does not"
            ));
        }
    }
    let want = 1 - 2 * threshold as i64;
    if bias != want {
        return Some(format!(
            "the map's constant term is {bias}; the proof needs 1 − 2·θ = {want}"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::circuit_to_predictor;
    use crate::predictor::time_dependent::Schedule;

    fn wide_or(n: usize) -> ThresholdCircuit {
        let mut c = ThresholdCircuit::new("or");
        let xs: Vec<_> = (0..n)
            .map(|i| (c.add_input(format!("x{i}")).unwrap(), 1))
            .collect();
        c.add_gate("or", &xs, 1).unwrap();
        c
    }

    #[test]
    fn small_gates_are_enumerated_and_wide_ones_proved() {
        let small = wide_or(5);
        let cert = certify_circuit(&small, &circuit_to_predictor(&small).unwrap());
        assert!(cert.certified, "{cert:?}");
        assert_eq!((cert.enumerated, cert.proved), (1, 0));
        assert_eq!(cert.assignments, 32);
        assert_eq!(cert.min_margin, 1);
        let wide = wide_or(40);
        let cert = certify_circuit(&wide, &circuit_to_predictor(&wide).unwrap());
        assert!(cert.certified, "{cert:?}");
        assert_eq!((cert.enumerated, cert.proved), (0, 1));
        assert_eq!(cert.checks[0].method, Method::ProvedFromWeights);
    }

    #[test]
    fn a_wrong_map_is_caught_both_ways() {
        for n in [5, 40] {
            let c = wide_or(n);
            let p = circuit_to_predictor(&c).unwrap();
            // Drop the weight of the first input: the OR now ignores x0.
            let mut map = p.map(0).to_vec();
            map.retain(|e| !(e.output == 1 && e.offset == n as u32));
            let broken = TimeDependentAr::new(
                vec![("or".into(), map)],
                Schedule::Sequential { start: n as u64 },
            )
            .unwrap();
            let cert = certify_circuit(&c, &broken);
            assert!(!cert.certified);
            assert_eq!(cert.failed, 1);
            assert!(!cert.failures[0].reason.is_empty());
        }
    }
}
