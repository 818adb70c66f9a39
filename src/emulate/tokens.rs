//! The token driver: any [`Predictor`] under any [`Encoding`] on the token-serial [`Executor`],
//! every generated token compared with the encoding's streaming [`Trace`] of the interpreter's
//! run ([`emulate_with`]); [`emulate`] compiles first, and `emulate_{cells,sweep,gates}[_with]`
//! are shorthands for one encoding.

use crate::emulate::report::{
    check_predictor, EmulateError, EmulateOptions, EmulationReport, Outcome,
};
use crate::encoding::cells::Cells;
use crate::encoding::gates::Gates;
use crate::encoding::sweep::Sweep;
use crate::encoding::{AnyEncoding, Encoding, EncodingKind, Trace};
use crate::executor::Executor;
use crate::machine::Machine;
use crate::predictor::time_dependent::TimeDependentAr;
use crate::predictor::{LinearAr, Predictor, Weight};
use crate::verify::{overrun, run_verified, Divergence, Verification};
use crate::weights::{with_dense, Weights};
use crate::window::TraceEnd;

/// Emulates `machine` under `encoding` with its compiled predictor, every token verified.
pub fn emulate(
    encoding: EncodingKind,
    machine: &Machine,
    opts: &EmulateOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    let enc = AnyEncoding::new(encoding, machine, opts.window_for(machine))?;
    emulate_compiled(&enc, machine, opts, progress)
}

/// Emulates `machine` under any encoding with the encoding's compiled predictor, every token
/// verified (the window is the encoding's).
pub fn emulate_compiled<E: Encoding>(
    enc: &E,
    machine: &Machine,
    opts: &EmulateOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    let weights = enc.compile(machine)?;
    match weights {
        Weights::Dense(d) => with_dense!(d, p => emulate_with(enc, machine, p, opts, progress)),
        Weights::Sparse(p) => emulate_with(enc, machine, p, opts, progress),
    }
}

/// Runs any predictor under any encoding from the prompt of `opts.input` and checks every token
/// against the interpreter's trace: the one emulation every encoding and predictor goes through
/// (the row executor of [`crate::rows`] aside). The window is the encoding's (`opts.window` is
/// not read).
///
/// The predictor's labels, where it carries them, must be the encoding's dictionary, and its
/// size must be the encoding's; its offsets must fit the executor's ring.
pub fn emulate_with<E: Encoding, P: Predictor>(
    enc: &E,
    machine: &Machine,
    predictor: P,
    opts: &EmulateOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    check_predictor(enc, machine, &predictor)?;
    let mut reference = enc.trace(machine, &opts.input, opts.max_steps)?;
    let offsets = predictor.offsets();
    let mut exec = Executor::new(predictor);
    let mut halt = enc.halt(machine);
    let v = run_verified(
        &mut exec,
        &mut halt,
        &mut reference,
        enc.row_len(),
        progress,
    );
    let end = reference.end().cloned();
    let divergence = divergence_or_overrun(&v, &end, &mut exec);
    let run = Outcome::of(enc, machine, &reference, offsets, divergence);
    Ok(run.report(machine, enc.info().name, "tokens", opts, &v))
}

/// Emulates `machine` with its compiled `cells` predictor and verifies every token.
pub fn emulate_cells(
    machine: &Machine,
    opts: &EmulateOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    emulate(EncodingKind::Cells, machine, opts, progress)
}

/// Emulates `machine` with any `cells` predictor (compiled, learned, or loaded from a weight
/// file) and verifies every token against the interpreter ([`emulate_with`] on [`Cells`]).
pub fn emulate_cells_with<T: Weight>(
    machine: &Machine,
    predictor: LinearAr<T>,
    opts: &EmulateOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    let enc = Cells::new(machine, opts.window_for(machine));
    emulate_with(&enc, machine, predictor, opts, progress)
}

/// Emulates `machine` with its compiled `sweep` predictor and verifies every token against the
/// interpreter's run, row by row (proofs/sweep.md#theorem).
pub fn emulate_sweep(
    machine: &Machine,
    opts: &EmulateOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    emulate(EncodingKind::Sweep, machine, opts, progress)
}

/// Emulates `machine` with any `sweep` predictor (compiled, or loaded from a weight file) and
/// verifies every token against the interpreter's run ([`emulate_with`] on [`Sweep`]).
///
/// The report's `steps` are those the complete rows cover, `expected_tokens` is
/// `(left moves + [final])·(S+1)` (proofs/sweep.md#length), and `step` in a divergence is the row.
pub fn emulate_sweep_with<T: Weight>(
    machine: &Machine,
    predictor: LinearAr<T>,
    opts: &EmulateOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    let enc = Sweep::new(machine, opts.window_for(machine))?;
    emulate_with(&enc, machine, predictor, opts, progress)
}

/// Emulates `machine` with its `gates` predictor (one threshold gate per bit, time-dependent
/// weights) and verifies every bit against the interpreter.
///
/// ```
/// use arsim::{emulate::{emulate_gates, EmulateOptions}, machine::load_machine};
/// let bb2 = load_machine("1RB1LB_1LA1RZ").unwrap();
/// let opts = EmulateOptions { input: Default::default(), window: None, max_steps: 1_000 };
/// let report = emulate_gates(&bb2, &opts, &mut |_| {}).unwrap();
/// assert!(report.agree);
/// // T·S·|Γ|(|Q|+1) = 6 · 4 · 2 · 4 bits.
/// assert_eq!(report.generated_tokens, 6 * 4 * 2 * 4);
/// assert_eq!(report.extras.gates, Some(report.generated_tokens));
/// ```
pub fn emulate_gates(
    machine: &Machine,
    opts: &EmulateOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    emulate(EncodingKind::Gates, machine, opts, progress)
}

/// Emulates `machine` with any `gates` predictor (compiled, or loaded from a weight file) and
/// verifies every bit against the interpreter ([`emulate_with`] on [`Gates`]).
pub fn emulate_gates_with(
    machine: &Machine,
    predictor: &TimeDependentAr,
    opts: &EmulateOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    let enc = Gates::new(machine, opts.window_for(machine));
    emulate_with(&enc, machine, predictor, opts, progress)
}

/// The verifier's divergence or, when the reference ended in a final row that the predictor's
/// stop rule did not recognise, the token it generates past the end.
fn divergence_or_overrun<P: Predictor>(
    v: &Verification,
    end: &Option<TraceEnd>,
    exec: &mut Executor<P>,
) -> Option<Divergence> {
    match &v.divergence {
        None if matches!(end, Some(TraceEnd::Final(_))) && !v.predictor_stopped => {
            Some(overrun(exec))
        }
        d => d.clone(),
    }
}
