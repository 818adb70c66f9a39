//! Parity as threshold circuits, and the parity task: chains of thought of different lengths for
//! the same function (see `proofs/parity.md`).
//!
//! Every chain here is built from one block: the bits of a count. For operands `u_1..u_a`,
//! the bits of `c = Σ u_i`, most significant first, are each one threshold gate over the
//! operands and the bits already emitted ([`add_count_bits`]); the last bit is the operands'
//! parity. The chains differ in how many operands a block takes:
//!
//! - [`ParityCot::Popcount`]: one block of all n inputs, ⌈log2(n+1)⌉ tokens (the paper's
//!   O(log n) chain of thought);
//! - [`ParityCot::RunningXor`]: blocks (running parity, next input), 2 tokens per input;
//! - [`ParityCot::Kbounded`]: the largest blocks whose gates read at most k bits each, so
//!   Θ(n/k) blocks, against the lower bound ⌈(n−1)/(k−1)⌉ for any chain of tokens that each
//!   read at most k bits.
//!
//! Pipeline: [`parity_circuit`] → [`circuit_to_predictor`] → [`Executor`] + [`run_verified`]
//! against the circuit's own values; [`parity_task`] reports accuracy against the true parity.

use crate::circuit::ThresholdCircuit;
use crate::circuit::{certify_circuit, circuit_to_predictor, CircuitCompileError, NodeId};
use crate::executor::{Executor, NeverStop};
use crate::predictor::TokenId;
use crate::verify::run_verified;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// Largest n a parity circuit is built for (a popcount gate has n wires; at n = 2^20 the task
/// takes about 15 s and 1.3 GB).
pub const MAX_N: usize = 1 << 20;

/// Largest n tested on every input instead of random samples.
pub const EXHAUSTIVE_MAX_N: usize = 20;

/// The chains of thought for parity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum ParityCot {
    /// The bits of the popcount, most significant first: ⌈log2(n+1)⌉ tokens.
    Popcount,
    /// Running parity: (carry, xor) for each input after the first.
    RunningXor,
    /// Every token reads at most k bits: Θ(n/k) blocks.
    Kbounded,
}

impl ParityCot {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            ParityCot::Popcount => "popcount",
            ParityCot::RunningXor => "running-xor",
            ParityCot::Kbounded => "kbounded",
        }
    }
}

/// Why a parity circuit cannot be built or run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum ParityError {
    /// n is 0.
    #[error("parity needs at least one input bit (n ≥ 1)")]
    NoInputs,
    /// n is too large.
    #[error("n = {n} is too large (at most {max})")]
    TooLarge {
        /// The n asked for.
        n: usize,
        /// [`MAX_N`].
        max: usize,
    },
    /// `kbounded` without k.
    #[error("the kbounded chain needs k (the most bits a token may read)")]
    MissingK,
    /// k below 2.
    #[error("k = {0} is too small: a token that reads one bit cannot combine two (k ≥ 2)")]
    KTooSmall(usize),
    /// Random sampling asked for no samples.
    #[error("the number of samples must be at least 1 for n > {EXHAUSTIVE_MAX_N} (smaller n try every input)")]
    NoSamples,
    /// The circuit did not compile.
    #[error(transparent)]
    Compile(#[from] CircuitCompileError),
    /// More chains than fit in memory.
    #[error(transparent)]
    Size(#[from] crate::limits::SizeError),
}

/// Number of bits of the largest count of `a` operands: ⌈log2(a+1)⌉.
pub fn count_bits(a: usize) -> usize {
    (usize::BITS - a.leading_zeros()) as usize
}

/// Appends the bits of `Σ operands`, most significant first, and returns them
/// (proofs/parity.md#count-bit). Bit i (value 2^i) of the count is the gate
/// `1[Σ_u u − Σ_{i' > i} 2^{i'}·bit_{i'} ≥ 2^i]`: weight 1 on every operand, −2^{i'} on every bit
/// already emitted, threshold 2^i. Its fan-in is a + (bits above it); the last bit is the parity.
pub fn add_count_bits(c: &mut ThresholdCircuit, operands: &[NodeId], prefix: &str) -> Vec<NodeId> {
    let m = count_bits(operands.len());
    let mut emitted: Vec<(NodeId, i32)> = Vec::with_capacity(m);
    for i in (0..m).rev() {
        let inputs: Vec<(NodeId, i32)> = operands
            .iter()
            .map(|&u| (u, 1))
            .chain(emitted.iter().copied())
            .collect();
        let g = c
            .add_gate(format!("{prefix}b{i}"), &inputs, 1 << i)
            .expect("operands exist and names are unique by construction");
        emitted.push((g, -(1 << i)));
    }
    emitted.into_iter().map(|(g, _)| g).collect()
}

/// The two-bit xor from gates that read two bits each (for k = 2): `or = 1[a + b ≥ 1]`,
/// `nand = 1[−a − b ≥ −1]`, `xor = 1[or + nand ≥ 2]` (proofs/parity.md#xor-2).
fn add_xor2(c: &mut ThresholdCircuit, a: NodeId, b: NodeId, prefix: &str) -> NodeId {
    let or = c.add_gate(format!("{prefix}or"), &[(a, 1), (b, 1)], 1);
    let nand = c.add_gate(format!("{prefix}nand"), &[(a, -1), (b, -1)], -1);
    let (or, nand) = (
        or.expect("unique by construction"),
        nand.expect("unique by construction"),
    );
    c.add_gate(format!("{prefix}xor"), &[(or, 1), (nand, 1)], 2)
        .expect("unique by construction")
}

/// Most operands a count block may take when its gates read at most `k` bits: the largest `a`
/// with `a + count_bits(a) − 1 ≤ k` (the last bit reads every operand and every other bit;
/// proofs/parity.md#kbounded). `None` for k < 3.
pub fn block_operands(k: usize) -> Option<usize> {
    (2..=k).rev().find(|&a| a + count_bits(a) - 1 <= k)
}

/// The popcount chain: ⌈log2(n+1)⌉ gates, the last one the parity (proofs/parity.md#popcount).
pub fn popcount_circuit(n: usize) -> Result<ThresholdCircuit, ParityError> {
    chain(n, n.max(2), &format!("parity-{n}-popcount"))
}

/// The running-xor chain: for each input after the first, 2 gates (carry, then xor;
/// proofs/parity.md#running-xor).
pub fn running_xor_circuit(n: usize) -> Result<ThresholdCircuit, ParityError> {
    chain(n, 2, &format!("parity-{n}-running-xor"))
}

/// The chain whose every gate reads at most `k` bits: blocks of [`block_operands`]`(k)`
/// operands (the running parity and fresh inputs), or for k = 2 the three-gate xor per input.
pub fn kbounded_circuit(n: usize, k: usize) -> Result<ThresholdCircuit, ParityError> {
    if k < 2 {
        return Err(ParityError::KTooSmall(k));
    }
    let name = format!("parity-{n}-k{k}");
    match block_operands(k) {
        Some(a) => chain(n, a, &name),
        None => {
            let (mut c, xs) = inputs(n, &name)?;
            let mut r = xs[0];
            if n == 1 {
                r = c.add_gate("copy", &[(r, 1)], 1).expect("unique");
            }
            for (i, &x) in xs.iter().enumerate().skip(1) {
                r = add_xor2(&mut c, r, x, &format!("s{i}."));
            }
            c.add_output(r);
            Ok(c)
        }
    }
}

/// The circuit of a chain; `k` is needed for [`ParityCot::Kbounded`] only.
pub fn parity_circuit(
    n: usize,
    cot: ParityCot,
    k: Option<usize>,
) -> Result<ThresholdCircuit, ParityError> {
    match cot {
        ParityCot::Popcount => popcount_circuit(n),
        ParityCot::RunningXor => running_xor_circuit(n),
        ParityCot::Kbounded => kbounded_circuit(n, k.ok_or(ParityError::MissingK)?),
    }
}

fn inputs(n: usize, name: &str) -> Result<(ThresholdCircuit, Vec<NodeId>), ParityError> {
    if n == 0 {
        return Err(ParityError::NoInputs);
    }
    if n > MAX_N {
        return Err(ParityError::TooLarge { n, max: MAX_N });
    }
    let mut c = ThresholdCircuit::new(name);
    let xs = (0..n)
        .map(|i| c.add_input(format!("x{i}")).expect("unique"))
        .collect();
    Ok((c, xs))
}

/// Count blocks of at most `a ≥ 2` operands: the first takes `a` inputs, each later one the
/// running parity and `a − 1` fresh inputs.
fn chain(n: usize, a: usize, name: &str) -> Result<ThresholdCircuit, ParityError> {
    let (mut c, xs) = inputs(n, name)?;
    let first = a.min(n);
    let mut bits = add_count_bits(&mut c, &xs[..first], "s0.");
    let mut next = first;
    let mut block = 1;
    while next < n {
        let take = (a - 1).min(n - next);
        let mut operands = vec![*bits.last().expect("a block has at least one bit")];
        operands.extend_from_slice(&xs[next..next + take]);
        bits = add_count_bits(&mut c, &operands, &format!("s{block}."));
        next += take;
        block += 1;
    }
    c.add_output(*bits.last().expect("a block has at least one bit"));
    Ok(c)
}

/// A sample the predictor got wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParityFailure {
    /// The input bits, x0 first.
    pub input: String,
    /// The true parity.
    pub parity: u8,
    /// Trace position of the first token that differs from the circuit (if one does).
    pub position: Option<u64>,
}

/// The outcome of `arsim task parity`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParityReport {
    /// Always `parity`.
    pub task: &'static str,
    /// Input bits.
    pub n: usize,
    /// The chain of thought.
    pub cot: &'static str,
    /// The bound on the bits a token may read: `--k` for `kbounded`, else the chain's own
    /// largest fan-in.
    pub k: usize,
    /// The most bits any token of this chain reads (its largest fan-in, ≤ k).
    pub max_fan_in: usize,
    /// Chain-of-thought tokens generated per input (gates): the length complexity.
    #[serde(rename = "chain_tokens")]
    pub tokens: usize,
    /// Count blocks in the chain (Θ(n/k) for `kbounded`).
    pub blocks: usize,
    /// ⌈(n−1)/(k−1)⌉: no chain whose tokens read at most k bits each is shorter
    /// (`proofs/parity.md#lower-bound`).
    pub lower_bound: usize,
    /// Longest input-to-answer path, in gates.
    pub depth: usize,
    /// Largest |weight| in the circuit.
    pub max_abs_weight: i64,
    /// Whether the certificate proves the predictor computes the circuit.
    pub certified: bool,
    /// Gates certified by enumerating their inputs.
    pub enumerated: u64,
    /// Gates certified by a proof from the weights.
    pub proved: u64,
    /// Inputs tried.
    pub samples: u64,
    /// Whether every one of the 2^n inputs was tried.
    pub exhaustive: bool,
    /// The seed of the random inputs.
    pub seed: u64,
    /// Inputs whose whole chain matched the circuit and whose last token is the parity.
    pub correct: u64,
    /// correct / samples.
    pub accuracy: f64,
    /// Inputs on which some token differed from the circuit's gate value.
    pub token_errors: u64,
    /// The first wrong sample, if any.
    pub first_failure: Option<ParityFailure>,
    /// Generated (chain-of-thought) tokens per second, the time of feeding prompts included.
    pub tokens_per_second: f64,
    /// Seconds generating and comparing.
    pub seconds: f64,
}

/// Builds the chain, compiles it, certifies it, and runs the predictor on `samples` random
/// inputs (seeded), or on all 2^n inputs when n ≤ [`EXHAUSTIVE_MAX_N`], checking every token
/// against the circuit and the last one against the true parity.
///
/// ```
/// use arsim::tasks::parity::{parity_task, ParityCot};
/// let r = parity_task(1000, ParityCot::Popcount, None, 50, 7).unwrap();
/// assert_eq!(r.tokens, 10);
/// assert_eq!(r.accuracy, 1.0);
/// ```
pub fn parity_task(
    n: usize,
    cot: ParityCot,
    k: Option<usize>,
    samples: u64,
    seed: u64,
) -> Result<ParityReport, ParityError> {
    if n > EXHAUSTIVE_MAX_N && samples == 0 {
        return Err(ParityError::NoSamples);
    }
    let circuit = parity_circuit(n, cot, k)?;
    let predictor = circuit_to_predictor(&circuit)?;
    let cert = certify_circuit(&circuit, &predictor);
    let stats = circuit.stats();
    let bound = match cot {
        ParityCot::Kbounded => k.unwrap_or(stats.max_fan_in),
        _ => stats.max_fan_in,
    };
    let exhaustive = n <= EXHAUSTIVE_MAX_N;
    let total = if exhaustive { 1u64 << n } else { samples };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut x = vec![false; n];
    let mut report = ParityReport {
        task: "parity",
        n,
        cot: cot.name(),
        k: bound,
        max_fan_in: stats.max_fan_in,
        tokens: stats.gates,
        blocks: circuit
            .gates()
            .iter()
            .filter_map(|&g| circuit.node(g).name.split('.').next())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        lower_bound: (n - 1).div_ceil(bound.max(2) - 1),
        depth: stats.depth,
        max_abs_weight: stats.max_abs_weight,
        certified: cert.certified,
        enumerated: cert.enumerated,
        proved: cert.proved,
        samples: total,
        exhaustive,
        seed,
        correct: 0,
        accuracy: 0.0,
        token_errors: 0,
        first_failure: None,
        tokens_per_second: 0.0,
        seconds: 0.0,
    };
    let mut generated = 0u64;
    for s in 0..total {
        if exhaustive {
            for (i, b) in x.iter_mut().enumerate() {
                *b = s >> i & 1 == 1;
            }
        } else {
            for b in x.iter_mut() {
                *b = rng.random();
            }
        }
        let values = circuit
            .evaluate(&x)
            .expect("the input has the circuit's length");
        let parity = x.iter().filter(|&&b| b).count() % 2 == 1;
        let mut reference = x.iter().chain(&values).map(|&b| TokenId(b as u32));
        let mut exec = Executor::new(&predictor);
        let v = run_verified(&mut exec, &mut NeverStop, &mut reference, n, &mut |_| {});
        generated += v.generated;
        report.seconds += v.seconds;
        let right = v.divergence.is_none() && values.last() == Some(&parity);
        if v.divergence.is_some() {
            report.token_errors += 1;
        }
        if right {
            report.correct += 1;
        } else if report.first_failure.is_none() {
            report.first_failure = Some(ParityFailure {
                input: x.iter().map(|&b| if b { '1' } else { '0' }).collect(),
                parity: parity as u8,
                position: v.divergence.map(|d| d.position),
            });
        }
    }
    report.accuracy = report.correct as f64 / total as f64;
    report.tokens_per_second = if report.seconds > 0.0 {
        generated as f64 / report.seconds
    } else {
        0.0
    };
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_bits_and_block_sizes() {
        assert_eq!(
            (1..=8).map(count_bits).collect::<Vec<_>>(),
            [1, 2, 2, 3, 3, 3, 3, 4]
        );
        assert_eq!(count_bits(1000), 10);
        assert_eq!(block_operands(2), None);
        assert_eq!(block_operands(3), Some(2));
        assert_eq!(block_operands(4), Some(3));
        assert_eq!(block_operands(5), Some(3));
        assert_eq!(block_operands(6), Some(4));
    }

    #[test]
    fn popcount_bits_are_the_count() {
        let c = popcount_circuit(6).unwrap();
        assert_eq!(c.gates().len(), 3);
        for bits in 0..64u32 {
            let x: Vec<bool> = (0..6).map(|i| bits >> i & 1 == 1).collect();
            let v = c.evaluate(&x).unwrap();
            let count = bits.count_ones();
            assert_eq!(
                v,
                [count >> 2 & 1 == 1, count >> 1 & 1 == 1, count & 1 == 1]
            );
        }
    }

    #[test]
    fn chains_have_their_stated_lengths_and_fan_in() {
        assert_eq!(running_xor_circuit(10).unwrap().gates().len(), 18);
        assert_eq!(running_xor_circuit(1).unwrap().gates().len(), 1);
        assert_eq!(kbounded_circuit(10, 2).unwrap().gates().len(), 27);
        assert_eq!(kbounded_circuit(10, 2).unwrap().stats().max_fan_in, 2);
        for k in 3..12 {
            let s = kbounded_circuit(40, k).unwrap().stats();
            assert!(s.max_fan_in <= k, "k = {k}: {s:?}");
        }
        assert_eq!(
            kbounded_circuit(5, 1).unwrap_err(),
            ParityError::KTooSmall(1)
        );
        assert_eq!(
            parity_circuit(5, ParityCot::Kbounded, None).unwrap_err(),
            ParityError::MissingK
        );
        assert_eq!(popcount_circuit(0).unwrap_err(), ParityError::NoInputs);
        assert_eq!(
            parity_task(21, ParityCot::Popcount, None, 0, 0).unwrap_err(),
            ParityError::NoSamples
        );
    }

    #[test]
    fn small_tasks_are_exhaustive_and_right() {
        for cot in [ParityCot::Popcount, ParityCot::RunningXor] {
            let r = parity_task(7, cot, None, 0, 1).unwrap();
            assert!(r.exhaustive);
            assert_eq!(r.samples, 128);
            assert_eq!(r.accuracy, 1.0, "{r:?}");
            assert!(r.certified);
        }
        let r = parity_task(9, ParityCot::Kbounded, Some(4), 0, 1).unwrap();
        // Blocks of 3 operands: 3 inputs, then 3 × (parity + 2 inputs); 2 bits each.
        assert_eq!((r.blocks, r.tokens, r.k, r.max_fan_in), (4, 8, 4, 4));
        assert_eq!(r.lower_bound, 3);
        assert_eq!(r.accuracy, 1.0);
    }
}
