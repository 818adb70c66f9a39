//! The row driver: an encoding's emulation on the row-parallel executor ([`RowExecutor`]), each
//! generated row compared with the next reference row of the encoding's [`Trace`]
//! ([`Trace::next_row`]: for `cells`, two cells re-encoded a step), the first differing token
//! reported as [`Divergence`] data; and [`emulate_on`], which picks rows or tokens.
//!
//! The row executor applies to time-invariant integer predictors whose offsets are all at
//! least the row length minus one ([`RowExecutor::qualifies`]); it generates until the
//! reference ends. On rows equal to the reference, the encoding's stop rule reads the
//! reference's own rows, which by the [`Encoding::halt`] contract stop exactly at its last row;
//! the driver checks that the last row, when it is final, makes the stop rule fire.

use crate::emulate::report::{
    check_predictor, EmulateError, EmulateOptions, EmulationReport, Outcome,
};
use crate::emulate::tokens::emulate_with;
use crate::encoding::{Encoding, Trace};
use crate::executor::StopRule;
use crate::machine::Machine;
use crate::predictor::{Context, LinearAr, Predictor, TokenId};
use crate::rows::{Checked, ExecutorChoice, RowExecutor, RowIsa, RowsError};
use crate::verify::{top_two, Divergence, Verification};
use crate::weights::{with_dense, DenseWeights, Weights};
use crate::window::TraceEnd;
use std::time::Instant;

/// How an emulation runs its predictor: which executor, on how many threads, with which row
/// scorer path. What `emulate --executor/--threads/--isa` give; the default picks each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExecutorOptions {
    /// Rows, tokens, or rows where the predictor qualifies.
    pub executor: ExecutorChoice,
    /// Threads of the row executor (1 or 2; `None`: both, where the machine has two).
    pub threads: Option<usize>,
    /// The row scorer's compiled path ([`RowIsa::Auto`]: the best the CPU has).
    pub isa: RowIsa,
}

/// Emulates `machine` under `enc` with `predictor` on the row executor, every row compared with
/// the reference's; the report is the token driver's, with `executor: "rows"` and the row
/// scorer's path as `row_scorer`.
///
/// `threads` (1 or 2) splits long rows over cores; `isa` picks the row scorer's path (an error
/// when the CPU lacks it). `progress` is called about every 2^20 tokens with the number
/// generated so far.
///
/// ```
/// use arsim::{emulate::{emulate_rows, EmulateOptions}, encoding::{cells::Cells, Encoding}};
/// use arsim::{machine::load_machine, weights::{DenseWeights, Weights}};
/// let bb3 = load_machine("1RB1RZ_1LB0RC_1LC1LA").unwrap();
/// let opts = EmulateOptions { input: Default::default(), window: None, max_steps: 1_000 };
/// let cells = Cells::new(&bb3, opts.window_for(&bb3));
/// let Ok(Weights::Dense(DenseWeights::Int(p))) = cells.compile(&bb3) else { unreachable!() };
/// let report = emulate_rows(&cells, &bb3, p, &opts, 1, Default::default(), &mut |_| {}).unwrap();
/// assert!(report.agree);
/// assert_eq!((report.executor, report.steps), ("rows", 21));
/// assert_eq!(report.generated_tokens, 21 * (report.tape_cells as u64 + 1));
/// ```
pub fn emulate_rows<E: Encoding>(
    enc: &E,
    machine: &Machine,
    predictor: LinearAr,
    opts: &EmulateOptions,
    threads: usize,
    isa: RowIsa,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    check_predictor(enc, machine, &predictor)?;
    let row_len = enc.row_len();
    let offsets = predictor.layout().offsets.clone();
    let mut trace = enc.trace(machine, &opts.input, opts.max_steps)?;
    let mut exec = RowExecutor::with_isa(predictor, row_len, threads, isa)?;
    let start = Instant::now();
    let mut reference = vec![0u8; row_len];
    let mut prompt_tokens = 0;
    if trace.next_row(&mut reference) {
        for &t in &reference {
            exec.feed(TokenId(t as u32));
        }
        prompt_tokens = row_len;
    }
    // A second copy of the reference for the executor's second thread, where it runs one:
    // each thread compares its own side of a row with its own copy
    // (`RowExecutor::run_checked`).
    let mut skip = vec![0u8; row_len];
    let mut twin = if exec.two_threads() {
        Some(enc.trace(machine, &opts.input, opts.max_steps)?)
    } else {
        None
    };
    if let Some(twin) = &mut twin {
        twin.next_row(&mut skip);
    }
    let mut generated = 0u64;
    let mut next_report = 1u64 << 20;
    let checked = if prompt_tokens > 0 {
        exec.run_checked(
            u64::MAX,
            &mut |row| {
                let more = trace.next_row(row);
                if more && generated >= next_report {
                    progress(generated);
                    next_report = generated + (1 << 20);
                }
                generated += row_len as u64 * u64::from(more);
                more
            },
            &mut |row| twin.as_mut().is_some_and(|t| t.next_row(row)),
        )?
    } else {
        Checked {
            rows: 0,
            divergence: None,
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    generated = checked.rows * row_len as u64;
    // On a divergence the reference may have run a row or two past it (the rows are compared
    // on two threads): the report reads a reference replayed to the diverging row.
    if checked.divergence.is_some() {
        trace = enc.trace(machine, &opts.input, opts.max_steps)?;
        for _ in 0..=checked.rows {
            trace.next_row(&mut skip);
        }
    }
    let end = trace.end().cloned();
    let divergence = match checked.divergence {
        Some((col, expected)) => {
            generated -= (row_len - col - 1) as u64;
            let position = exec.position() - row_len as u64 + col as u64;
            Some(row_divergence(
                &exec,
                position,
                Some(TokenId(expected as u32)),
            ))
        }
        // Every row agreed. The stop rule must fire on the last row when the run ended in a
        // final configuration; where it does not, the predictor would run on: the first token
        // of the row it generates next is the divergence, as the token driver's overrun.
        None if matches!(end, Some(TraceEnd::Final(_))) && prompt_tokens > 0 => {
            let mut halt = enc.halt(machine);
            let last = exec.tokens_before(exec.position(), row_len);
            let fires = last.iter().fold(false, |_, &t| halt.after(t));
            if fires {
                None
            } else {
                let position = exec.position();
                exec.run(1, &mut |_| false)?;
                generated += 1;
                Some(row_divergence(&exec, position, None))
            }
        }
        None => None,
    };
    let v = Verification {
        prompt_tokens: prompt_tokens as u64,
        generated,
        predictor_stopped: checked.divergence.is_none(),
        divergence: None,
        seconds,
    };
    let run = Outcome::of(enc, machine, &trace, offsets, divergence);
    let mut report = run.report(machine, enc.info().name, "rows", opts, &v);
    report.row_scorer = Some(exec.kind());
    Ok(report)
}

/// The divergence at `position` of the row executor's history: its context, what it generated
/// there (`None` past its end), and its two best tokens by the predictor's own scores.
fn row_divergence(exec: &RowExecutor, position: u64, expected: Option<TokenId>) -> Divergence {
    let k = exec.predictor().max_offset();
    let context = exec.tokens_before(position, k);
    let got = (position < exec.position()).then(|| exec.tokens_before(position + 1, 1)[0]);
    let ring_len = (k + 1).next_power_of_two();
    let pad = TokenId(exec.predictor().vocab() as u32);
    let mut ring = vec![pad; ring_len];
    ring[ring_len - k..].copy_from_slice(&context);
    Divergence {
        position,
        expected,
        got,
        top: top_two(exec.predictor(), &Context::new(&ring, 0), position),
        context,
    }
}

/// Emulates `machine` under `enc` with `weights` of any kind: integer offset matrices on the
/// executor `run` picks ([`emulate_on`]), float ones and sparse maps token by token
/// ([`emulate_with`]). `run` may not ask for rows for weights the row executor cannot run, nor
/// for a row scorer path the CPU lacks.
pub fn emulate_weights<E: Encoding>(
    enc: &E,
    machine: &Machine,
    weights: Weights,
    opts: &EmulateOptions,
    run: ExecutorOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    run.isa.check().map_err(RowsError::from)?;
    match weights {
        Weights::Dense(DenseWeights::Int(p)) => emulate_on(enc, machine, p, opts, run, progress),
        _ if run.executor == ExecutorChoice::Rows => Err(EmulateError::RowsNeedIntegers),
        Weights::Dense(d) => with_dense!(d, p => emulate_with(enc, machine, p, opts, progress)),
        Weights::Sparse(p) => emulate_with(enc, machine, p, opts, progress),
    }
}

/// Emulates `machine` under `enc` with an integer predictor on the executor `run.executor`
/// picks: `auto` runs rows ([`emulate_rows`], on up to two cores) when the predictor qualifies
/// for rows of this encoding ([`RowExecutor::qualifies`]), else tokens ([`emulate_with`]). Rows
/// use `run.threads` cores (1 or 2; `None`: both, where the machine has two) and the row scorer
/// path `run.isa`, which is checked against the CPU even when the tokens run.
pub fn emulate_on<E: Encoding>(
    enc: &E,
    machine: &Machine,
    predictor: LinearAr,
    opts: &EmulateOptions,
    run: ExecutorOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<EmulationReport, EmulateError> {
    run.isa.check().map_err(RowsError::from)?;
    let rows = match run.executor {
        ExecutorChoice::Tokens => false,
        ExecutorChoice::Rows => true,
        ExecutorChoice::Auto => RowExecutor::qualifies(&predictor, enc.row_len()).is_ok(),
    };
    if rows {
        let threads = run
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(2)));
        emulate_rows(enc, machine, predictor, opts, threads, run.isa, progress)
    } else {
        emulate_with(enc, machine, predictor, opts, progress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::cells::compile::machine_to_cells_predictor;
    use crate::encoding::cells::Cells;
    use crate::machine::load::from_standard;
    use crate::machine::Input;
    use crate::window::Window;

    #[test]
    fn a_wrong_weight_is_reported_at_its_token() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 4, origin: 2 };
        let good = machine_to_cells_predictor(&m, w);
        let opts = EmulateOptions {
            input: Input::default(),
            window: Some(w),
            max_steps: 100,
        };
        let want =
            crate::emulate::emulate_cells_with(&m, good.clone(), &opts, &mut |_| {}).unwrap();
        let got = emulate_rows(
            &Cells::new(&m, w),
            &m,
            good.clone(),
            &opts,
            1,
            RowIsa::Auto,
            &mut |_| {},
        )
        .unwrap();
        assert!(got.agree);
        assert_eq!(
            (got.steps, got.generated_tokens, &got.stop),
            (want.steps, want.generated_tokens, &want.stop)
        );
        // A wrong weight: a SEP one back in the row above now votes for ⟨0⟩ over SEP.
        let mut weights = good.weights().to_vec();
        weights[1][(1, 0)] = 20;
        let bad = LinearAr::new(good.layout().clone(), weights);
        let want = crate::emulate::emulate_cells_with(&m, bad.clone(), &opts, &mut |_| {}).unwrap();
        let got = emulate_rows(
            &Cells::new(&m, w),
            &m,
            bad,
            &opts,
            1,
            RowIsa::Auto,
            &mut |_| {},
        );
        let got = got.unwrap();
        assert!(!got.agree);
        assert_eq!(got.first_divergence, want.first_divergence);
        assert_eq!(got.generated_tokens, want.generated_tokens);
    }
}
