//! One row of RESULTS.md's multiplication table, chosen once: a [`Route`] (a token chain of
//! thought, or the Turing machine's own trace) and a [`Model`] (a trained network, or the
//! machine's compiled or learned predictor), run by [`run_row`] into a typed [`MultiplyRow`].
//!
//! This is where the command line's `--cot` and `--model` meet: the neural route
//! ([`super::neural::run_neural`]) takes a token format and a network, the Turing-machine route
//! ([`super::tm::run_compiled`], [`super::tm::run_learned`]) takes `--cot tm` and `compiled` or
//! `learned`; any other pairing is a [`RowError`]. The binary parses flags into
//! [`MultiplyOptions`], shows progress from [`RowProgress`] and prints the row.
//!
//! ```
//! use arsim::tasks::multiply::row::{Model, Route, RowError};
//! assert!(matches!(
//!     RowError::check(Route::Paper, Model::Compiled),
//!     Err(RowError::TokenChainWithMachine)
//! ));
//! assert!(RowError::check(Route::Tm, Model::Learned).is_ok());
//! ```

use super::cot::CotFormat;
use super::data::Split;
use super::neural::{run_neural, NeuralOptions, NeuralReport};
use super::tm::{run_compiled, run_learned, TmReport};
use crate::encoding::WindowKind;
use crate::learn::{self, LearnError};
use crate::machine::LoadError;
use crate::nn::{self, Architecture, NnError, RunOptions};
use serde::Serialize;
use thiserror::Error;

/// The chain of thought of a row: one of the token formats, or the Turing machine's trace.
///
/// The variants' docs are `arsim task multiply --cot`'s help.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Route {
    /// The paper's chain, 307 tokens.
    Paper,
    /// Prompt and answer only, 19 tokens.
    None,
    /// Schoolbook rows with running sums and carries, 75 tokens.
    Carry,
    /// The binary-multiplication Turing machine's `cells` trace.
    Tm,
}

impl Route {
    /// The token format, or `None` for the Turing-machine route.
    pub fn format(self) -> Option<CotFormat> {
        match self {
            Route::Paper => Some(CotFormat::Paper),
            Route::None => Some(CotFormat::None),
            Route::Carry => Some(CotFormat::Carry),
            Route::Tm => None,
        }
    }
}

/// The predictor of a row.
///
/// The variants' docs are `arsim task multiply --model`'s help (in this order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Model {
    /// The paper's MLP.
    Mlp,
    /// The paper's linear model.
    Linear,
    /// The compiled `cells` predictor of the machine.
    Compiled,
    /// The perceptron learned from the machine's traces.
    Learned,
    /// A small causal transformer (--layers, --heads).
    Transformer,
}

impl Model {
    /// The network trained on a token chain, or `None` for the machine's own predictors.
    pub fn architecture(self) -> Option<Architecture> {
        match self {
            Model::Mlp => Some(Architecture::Mlp),
            Model::Linear => Some(Architecture::Linear),
            Model::Transformer => Some(Architecture::Transformer),
            Model::Compiled | Model::Learned => None,
        }
    }
}

/// Everything one row needs; the fields a route does not read are ignored by it.
#[derive(Clone, Debug)]
pub struct MultiplyOptions {
    /// The chain of thought.
    pub route: Route,
    /// The predictor.
    pub model: Model,
    /// Embedding width (networks).
    pub d: usize,
    /// Transformer blocks (`transformer` only).
    pub layers: usize,
    /// Attention heads per block (`transformer` only).
    pub heads: usize,
    /// Training sequences: chains drawn with replacement (networks), or traces of distinct
    /// training pairs (`learned`).
    pub train_seqs: usize,
    /// Sequences per batch (networks).
    pub batch: usize,
    /// Seed of the initialisation and the training pairs.
    pub seed: u64,
    /// Held-out pairs scored (the fixed sample of `eval_split`).
    pub eval_pairs: usize,
    /// Which held-out half is scored: validation while tuning, test once for a reported row.
    pub eval_split: Split,
    /// candle's CPU threads for training (0: all cores; networks only).
    pub threads: usize,
    /// Optimizer, checkpoints, resumption (networks).
    pub run: RunOptions,
    /// The multiplication machine of [`Route::Tm`], as `load_machine` takes it.
    pub machine: String,
    /// Offsets the learned predictor reads (`learned`).
    pub window: WindowKind,
}

/// What [`run_row`] reports as it goes, one variant per route.
#[derive(Clone, Copy, Debug)]
pub enum RowProgress {
    /// A network's training steps, then its decoded pairs.
    Neural(nn::TrainProgress),
    /// Pairs run so far by the compiled predictor.
    Compiled {
        /// Pairs done.
        done: usize,
        /// Pairs in all.
        total: usize,
    },
    /// The learner's phases (traces, passes, held-out pairs).
    Learned(learn::LearnProgress),
}

/// One row of the table: the report of the route that ran.
///
/// Untagged, so its JSON is the report's own (the keys of `docs/json.md`'s `task multiply`
/// and `task multiply --cot tm` sections).
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum MultiplyRow {
    /// A network trained on a token chain, scored by greedy decoding.
    Neural(Box<NeuralReport>),
    /// The machine's compiled predictor, every token verified.
    Compiled(TmReport),
    /// The perceptron learned from the machine's traces, run free.
    Learned(TmReport),
}

/// Why a row did not run.
#[derive(Debug, Error)]
pub enum RowError {
    /// `compiled` or `learned` with a token chain.
    #[error("the compiled and learned models are the Turing-machine route: use them with the `tm` chain")]
    TokenChainWithMachine,
    /// The `tm` chain with a network.
    #[error("the `tm` chain runs the machine's own predictor: use the compiled or learned model")]
    MachineWithNetwork,
    /// A network asked to train on nothing, or score nothing.
    #[error("the width d, the batch size, the training sequences and the evaluation pairs must be positive")]
    NotPositive,
    /// A learning rate that is not a positive number.
    #[error("the learning rate {0} must be positive")]
    LearningRate(f64),
    /// The machine of the Turing-machine route did not load.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Training or scoring a network failed. Not chained as a source: every `NnError` message
    /// already spells its cause, so a `{:#}` chain would print it twice.
    #[error("{0}")]
    Train(NnError),
    /// Learning the machine's predictor failed.
    #[error(transparent)]
    Learn(#[from] LearnError),
    /// A count beyond what exists or fits: more evaluation pairs than the split has, a batch
    /// or a thread count too large.
    #[error(transparent)]
    Size(#[from] crate::limits::SizeError),
}

impl RowError {
    /// Whether `route` and `model` make a row: a token chain takes a network, `tm` takes the
    /// machine's compiled or learned predictor.
    pub fn check(route: Route, model: Model) -> Result<(), RowError> {
        match (route.format(), model.architecture()) {
            (Some(_), Some(_)) | (None, None) => Ok(()),
            (Some(_), None) => Err(RowError::TokenChainWithMachine),
            (None, Some(_)) => Err(RowError::MachineWithNetwork),
        }
    }
}

/// Runs one row: checks the route against the model, then trains and scores the network, or
/// loads the machine and runs its compiled or learned predictor.
pub fn run_row(
    o: &MultiplyOptions,
    progress: &mut dyn FnMut(RowProgress),
) -> Result<MultiplyRow, RowError> {
    RowError::check(o.route, o.model)?;
    crate::limits::check_at_most(
        "evaluation pairs",
        o.eval_pairs as u64,
        o.eval_split.len(),
        "pairs the split holds",
    )?;
    match (o.route.format(), o.model.architecture()) {
        (Some(format), Some(architecture)) => {
            if o.d == 0 || o.batch == 0 || o.train_seqs == 0 || o.eval_pairs == 0 {
                return Err(RowError::NotPositive);
            }
            if !(o.run.lr > 0.0 && o.run.lr.is_finite()) {
                return Err(RowError::LearningRate(o.run.lr));
            }
            // A sequence of a batch holds its tokens' activations: about 4 bytes of each
            // token's d-wide vectors (eight of them) and its logits. (The model itself, its
            // blocks included, is checked on its own before training.)
            crate::limits::check_count(
                "sequences per batch",
                o.batch as u64,
                (format.len() as u64).saturating_mul(4 * (8 * o.d as u64 + 2 * 117)),
            )?;
            nn::set_threads(o.threads)?;
            let neural = NeuralOptions {
                format,
                architecture,
                d: o.d,
                layers: o.layers,
                heads: o.heads,
                train_seqs: o.train_seqs,
                batch: o.batch,
                seed: o.seed,
                eval_pairs: o.eval_pairs,
                eval_split: o.eval_split,
                run: o.run.clone(),
            };
            let r = run_neural(&neural, &mut |p| progress(RowProgress::Neural(p)))
                .map_err(RowError::Train)?;
            Ok(MultiplyRow::Neural(Box::new(r)))
        }
        _ => {
            let machine = crate::machine::load_machine(&o.machine)?;
            if o.model == Model::Compiled {
                let total = o.eval_pairs;
                let r = run_compiled(&machine, total, o.eval_split, &mut |done| {
                    progress(RowProgress::Compiled { done, total })
                });
                Ok(MultiplyRow::Compiled(r))
            } else {
                crate::limits::check_at_most(
                    "training traces",
                    o.train_seqs as u64,
                    Split::Train.len(),
                    "distinct training pairs the split holds",
                )?;
                let r = run_learned(
                    &machine,
                    o.train_seqs,
                    o.eval_pairs,
                    o.eval_split,
                    o.seed,
                    o.window,
                    &mut |p| progress(RowProgress::Learned(p)),
                )?;
                Ok(MultiplyRow::Learned(r))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(route: Route, model: Model) -> MultiplyOptions {
        MultiplyOptions {
            route,
            model,
            d: 4,
            layers: 2,
            heads: 4,
            train_seqs: 64,
            batch: 32,
            seed: 0,
            eval_pairs: 1,
            eval_split: Split::Validation,
            threads: 0,
            run: RunOptions {
                lr: 3e-3,
                weight_decay: 0.01,
                chunk: 0,
                checkpoint: None,
                resume: None,
                stop_at: None,
                recipe: nn::Recipe::Arsim,
            },
            machine: "machines/binary-multiply.ron".to_string(),
            window: WindowKind::All,
        }
    }

    #[test]
    fn mismatched_routes_are_refused_with_the_models_named() {
        let refused = |route, model| {
            run_row(&options(route, model), &mut |_| {})
                .err()
                .map(|e| e.to_string())
        };
        let machine_with_tokens =
            "the compiled and learned models are the Turing-machine route: use them with the `tm` chain";
        let network_with_tm =
            "the `tm` chain runs the machine's own predictor: use the compiled or learned model";
        for route in [Route::Paper, Route::None, Route::Carry] {
            for model in [Model::Compiled, Model::Learned] {
                assert_eq!(refused(route, model).as_deref(), Some(machine_with_tokens));
            }
        }
        for model in [Model::Mlp, Model::Linear, Model::Transformer] {
            assert_eq!(refused(Route::Tm, model).as_deref(), Some(network_with_tm));
        }
    }

    #[test]
    fn networks_refuse_empty_runs_before_training() {
        let mut o = options(Route::None, Model::Linear);
        o.eval_pairs = 0;
        assert!(matches!(
            run_row(&o, &mut |_| {}),
            Err(RowError::NotPositive)
        ));
        let mut o = options(Route::None, Model::Linear);
        o.run.lr = f64::NAN;
        assert_eq!(
            run_row(&o, &mut |_| {}).unwrap_err().to_string(),
            "the learning rate NaN must be positive"
        );
    }

    #[test]
    fn the_compiled_row_serialises_as_the_tm_report() {
        let mut seen = 0;
        let row = run_row(&options(Route::Tm, Model::Compiled), &mut |p| {
            if let RowProgress::Compiled { done, total } = p {
                assert_eq!(total, 1);
                seen = done;
            }
        })
        .unwrap();
        assert_eq!(seen, 1);
        let MultiplyRow::Compiled(report) = &row else {
            panic!("--cot tm --model compiled ran {row:?}");
        };
        assert_eq!(report.validation.exact, 1);
        let v = serde_json::to_value(&row).unwrap();
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        // docs/json.md, `task multiply --cot tm` (schema_version is the printer's).
        assert_eq!(
            keys,
            [
                "chain_tokens_max",
                "chain_tokens_mean",
                "conversion",
                "learner",
                "machine",
                "model",
                "parameters",
                "seconds",
                "split",
                "tokens_per_second",
                "train_seqs",
                "training_seconds",
                "validation",
            ]
        );
        assert_eq!(v["model"], "compiled");
        let mut score: Vec<&str> = v["validation"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        score.sort_unstable();
        assert_eq!(score, ["exact", "exact_rate", "pairs"]);
    }
}
