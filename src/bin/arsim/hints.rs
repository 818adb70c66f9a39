//! The library's errors in the command line's words. The library says each option in words
//! ("the learning rate 0 must be positive"), for every shell; the command line names the flag
//! that sets it ("--lr 0 must be positive"), matching on the errors' typed fields.
//!
//! [`flag_words`] takes one error of a chain and, when it is or holds (transparently, or in its
//! own message) a library error whose message has a flag to name, gives that message and the
//! command line's; `main::message` puts the second in place of the first, so that an outer
//! message that repeats the inner one (`machine M: {source}`) says the flag too.

use arsim::api::ApiError;
use arsim::draw::{DrawError, ExtensionError};
use arsim::learn::chain_length::ChainLengthError;
use arsim::learn::inputs::InputsError;
use arsim::learn::LearnError;
use arsim::limits::SizeError;
use arsim::machine::morphett::MorphettErrorKind;
use arsim::machine::LoadError;
use arsim::nn::{Difference, NnError, ResumeNote, TrainSetting};
use arsim::rows::{IsaError, RowIsa, RowsError};
use arsim::tasks::multiply::frontier::FrontierError;
use arsim::tasks::multiply::RowError;
use arsim::tasks::parity::{ParityError, EXHAUSTIVE_MAX_N};
use std::error::Error;
use std::fmt::Display;

/// The library's message and the command line's, for one error of a chain; `None` when the
/// error names no option the command line spells as a flag.
pub fn flag_words(e: &(dyn Error + 'static)) -> Option<(String, String)> {
    if let Some(e) = e.downcast_ref::<ApiError>() {
        return api(e);
    }
    if let Some(e) = e.downcast_ref::<LoadError>() {
        return load(e);
    }
    if let Some(e) = e.downcast_ref::<SizeError>() {
        return size(e);
    }
    if let Some(arsim::emulate::EmulateError::Size(e)) = e.downcast_ref() {
        return size(e);
    }
    if let Some(arsim::emulate::EmulateError::Rows(RowsError::Isa(e))) = e.downcast_ref() {
        return Some(isa_flag(e));
    }
    if let Some(e) = e.downcast_ref::<DrawError>() {
        return draw(e);
    }
    if let Some(e) = e.downcast_ref::<ExtensionError>() {
        return Some(said(e, extension(e)));
    }
    if let Some(e) = e.downcast_ref::<NnError>() {
        return nn(e);
    }
    if let Some(e) = e.downcast_ref::<RowError>() {
        return row(e);
    }
    if let Some(e) = e.downcast_ref::<FrontierError>() {
        return frontier(e);
    }
    if let Some(e) = e.downcast_ref::<ParityError>() {
        return parity(e);
    }
    if let Some(e) = e.downcast_ref::<ChainLengthError>() {
        return chain_length(e);
    }
    if let Some(e) = e.downcast_ref::<LearnError>() {
        return learn(e);
    }
    if let Some(e) = e.downcast_ref::<InputsError>() {
        return inputs(e);
    }
    None
}

/// A row scorer path the CPU lacks, with the `--isa` values it has.
fn isa_flag(e: &IsaError) -> (String, String) {
    let have: Vec<&str> = RowIsa::available().iter().map(|i| i.name()).collect();
    let have = have.join(", ");
    said(
        e,
        format!(
            "{e} (--isa {}); give --isa auto, or one of the paths it has: {have}",
            e.isa
        ),
    )
}

/// `(library, command line)`.
fn said(e: &impl Display, flags: String) -> (String, String) {
    (e.to_string(), flags)
}

/// The front door's errors that show a library error's message as their own.
fn api(e: &ApiError) -> Option<(String, String)> {
    match e {
        ApiError::Load(e) => load(e),
        ApiError::Size(e) => size(e),
        ApiError::Draw { source, .. } => draw(source),
        ApiError::Model(e) => nn(e),
        ApiError::Learn { source, .. } => learn(source),
        ApiError::Encoding { path, found } => Some(said(
            e,
            format!("{path} holds {found} weights; give --encoding {found}"),
        )),
        ApiError::Hf(h @ arsim::hf::HfError::TooLarge { .. }) => Some(said(
            e,
            h.to_string()
                .replace("give a smaller context", "give a smaller --context"),
        )),
        _ => None,
    }
}

fn load(e: &LoadError) -> Option<(String, String)> {
    match e {
        LoadError::Morphett { error, .. } => match &error.kind {
            MorphettErrorKind::StartWithoutRules(state) => Some(said(
                &error.kind,
                format!(
                    "the start state \"{state}\" has no rules (Morphett's machines start in \
                     state 0; give another with --start)"
                ),
            )),
            _ => None,
        },
        _ => None,
    }
}

fn size(e: &SizeError) -> Option<(String, String)> {
    let what = match e {
        SizeError::EmptyWindow => {
            return Some(said(
                e,
                "a tape window of 0 cells holds no cell to run on: give --tape 1 or more".into(),
            ))
        }
        SizeError::TooMany { what, .. } | SizeError::OverBound { what, .. } => *what,
        SizeError::EachTooLarge { what, .. } => match *what {
            "training and held-out traces" => "inputs of the longest length",
            other => other,
        },
        SizeError::TooLarge { what, .. } => *what,
        _ => return None,
    };
    let flag = match what {
        "threads" => "--threads",
        "sequences per batch" => "--batch",
        "evaluation pairs" => "--eval",
        "training traces" => "--train",
        "training and test chains" => "--train and --eval",
        "training and held-out traces" => "--train and --eval",
        "cells of an input" => "--lengths",
        "cells of a random input" => "--lengths",
        "random inputs (the lengths times the inputs per length)" => "--lengths × --per-length",
        "a gates window" => "--tape",
        "inputs of the longest length" => "--lengths",
        _ => return None,
    };
    Some(said(e, format!("{e} ({flag})")))
}

/// The library's advice for a picture too large to draw (its message's end).
const DRAW_FEWER: &str = "; draw fewer cells or steps";

fn draw(e: &DrawError) -> Option<(String, String)> {
    match e {
        DrawError::Size(text) if text.contains("has no pixel to draw in") => {
            Some(said(e, format!("{text} (--width, --height)")))
        }
        DrawError::Size(text) => {
            let head = text.strip_suffix(DRAW_FEWER)?;
            Some(said(e, format!("{head}; use --width/--steps")))
        }
        _ => None,
    }
}

/// `x.svg would get PNG bytes: name it .png (or use --svg for .svg)`.
pub fn extension(e: &ExtensionError) -> String {
    format!(
        "{} would get {} bytes: name it .{} (or use --{} for .{})",
        e.path,
        e.format.extension().to_uppercase(),
        e.format.extension(),
        e.other.extension(),
        e.other.extension()
    )
}

/// The flag that sets a model's setting, if one flag does.
fn setting_flag(setting: TrainSetting) -> Option<&'static str> {
    match setting {
        TrainSetting::Architecture => Some("--model"),
        TrainSetting::Width => Some("--d"),
        TrainSetting::Context => Some("--context"),
        TrainSetting::Chunk => Some("--chunk"),
        TrainSetting::Layers => Some("--layers"),
        TrainSetting::Heads => Some("--heads"),
        TrainSetting::LearningRate => Some("--lr"),
        TrainSetting::WeightDecay => Some("--weight-decay"),
        // The model's vocabulary is the tokenizer's (or the task's), not --vocab itself.
        TrainSetting::Vocabulary => None,
        // Set by --paper-config, named after the difference.
        TrainSetting::Recipe => None,
    }
}

/// `--d is 8 here but 4 in the checkpoint`.
fn difference(d: &Difference) -> String {
    match (d.setting, setting_flag(d.setting)) {
        (TrainSetting::Recipe, _) => format!("{d} (--paper-config)"),
        (_, Some(flag)) => format!(
            "{flag} is {} here but {} in the checkpoint",
            d.here, d.saved
        ),
        (_, None) => d.to_string(),
    }
}

/// A resumed run's note, its setting named by its flag: `--lr 0.01 differs from …`.
pub fn note(n: &ResumeNote) -> String {
    match n {
        ResumeNote::Changed {
            setting,
            saved,
            now,
        } => match setting_flag(*setting) {
            Some(flag) => format!(
                "{flag} {now} differs from the checkpoint's {saved}: the run continues with {now}"
            ),
            None => n.to_string(),
        },
        ResumeNote::Schedule { .. } => n.to_string(),
    }
}

fn nn(e: &NnError) -> Option<(String, String)> {
    let flags = match e {
        NnError::TooLarge {
            architecture,
            layers,
            d,
            context,
            vocab,
            needed_gib,
            limit_gib,
        } => format!(
            "a {architecture} model with d = {d}, context = {context}, vocabulary = {vocab}{} \
             needs about {needed_gib:.3e} GiB to train (parameters, gradients and AdamW's two \
             moments in f32), over the limit of {limit_gib} GiB: choose a smaller {}",
            arsim::nn::layers_said(*layers),
            arsim::nn::smaller(*layers, "--d", "--context", "--vocab", "--layers")
        ),
        NnError::NoValidationTokens {
            corpus,
            stories,
            share,
            seed,
        } => format!(
            "{corpus} has no validation tokens: none of its {stories} stories fell in the \
             --validation {share} share (seed {seed}); use a larger share or more stories"
        ),
        NnError::NoTrainingWindow {
            corpus,
            tokens,
            context,
            windowing,
        } => format!(
            "the training stories of {corpus} have {tokens} tokens, not one window of \
             --context {context} + 1 ({windowing} windowing)"
        ),
        NnError::Mismatch {
            path,
            task,
            differences,
        } => format!(
            "cannot resume {path}: {}a different architecture: {}",
            arsim::nn::task_said(task),
            differences
                .iter()
                .map(difference)
                .collect::<Vec<_>>()
                .join("; ")
        ),
        NnError::Setting {
            setting,
            value,
            range,
        } => format!("{} {value} must be {range}", setting_flag(*setting)?),
        NnError::Diverged { step, loss } => {
            format!("training diverged at step {step}: loss {loss} (try a smaller --lr)")
        }
        _ => return None,
    };
    Some(said(e, flags))
}

fn row(e: &RowError) -> Option<(String, String)> {
    let flags = match e {
        RowError::TokenChainWithMachine => {
            "--model compiled and learned are the Turing-machine route: use them with --cot tm"
                .to_string()
        }
        RowError::MachineWithNetwork => {
            "--cot tm runs the machine's own predictor: use --model compiled or learned".to_string()
        }
        RowError::NotPositive => "--d, --batch, --train and --eval must be positive".to_string(),
        RowError::LearningRate(lr) => format!("--lr {lr} must be positive"),
        RowError::Load(e) => return load(e),
        RowError::Train(e) => return nn(e),
        RowError::Learn(e) => return learn(e),
        RowError::Size(e) => return size(e),
    };
    Some(said(e, flags))
}

fn frontier(e: &FrontierError) -> Option<(String, String)> {
    let flags = match e {
        FrontierError::Report { path, message } => {
            format!("{path}: not a `task multiply --json` report: {message}")
        }
        FrontierError::Unfinished { path, step, of } => format!(
            "{path}: training stopped at step {step} of {of} (--stop-at); the frontier compares \
             finished runs (resume it to the end)"
        ),
        _ => return None,
    };
    Some(said(e, flags))
}

fn parity(e: &ParityError) -> Option<(String, String)> {
    let flags = match e {
        ParityError::MissingK => {
            "--cot kbounded needs --k (the most bits a token may read)".to_string()
        }
        ParityError::NoSamples => format!(
            "--eval must be at least 1 for n > {EXHAUSTIVE_MAX_N} (smaller n try every input)"
        ),
        ParityError::Size(e) => return size(e),
        _ => return None,
    };
    Some(said(e, flags))
}

fn learn(e: &LearnError) -> Option<(String, String)> {
    let flags = match e {
        LearnError::Inputs(e) => return inputs(e),
        LearnError::TimeDependentSoftmax => "the time-dependent learner is one perceptron per \
             position; --algo softmax is for the time-invariant learner"
            .to_string(),
        LearnError::TimeInvariantGates => "gates traces are learned time-dependent (--learner \
             time-dependent): each bit of a row is a different gate"
            .to_string(),
        LearnError::Extrapolation => "--eval-lengths moves the learned weights to the held-out \
             inputs' wider window offset for offset: it needs an encoding whose offsets read \
             the same cells on any window (cells), the local window and the time-invariant \
             learner"
            .to_string(),
        LearnError::Size(e) => return size(e),
        _ => return None,
    };
    Some(said(e, flags))
}

fn chain_length(e: &ChainLengthError) -> Option<(String, String)> {
    let flags = match e {
        ChainLengthError::Learn(e) => return learn(e),
        ChainLengthError::NotRandom => "--chain-length draws random words of a pattern with \
             runs of each length in turn; listed inputs (--inputs) have no length to grow"
            .to_string(),
        ChainLengthError::Epsilon(epsilon) => {
            format!("--epsilon must be at least 0 and below 1 (got {epsilon})")
        }
        ChainLengthError::Budget => "--budget must be at least 1 training trace".to_string(),
        ChainLengthError::Nothing => {
            "--chain-length needs at least one input length and one seed".to_string()
        }
        ChainLengthError::TooFewWords {
            length,
            pattern,
            available,
            test,
        } => format!(
            "input length {length}: the pattern {pattern} has {available} distinct words with \
             runs of that length, and {test} are held out: none is left to train on (use \
             longer inputs or fewer --eval)"
        ),
    };
    Some(said(e, flags))
}

fn inputs(e: &InputsError) -> Option<(String, String)> {
    match e {
        InputsError::TooFew {
            available,
            needed,
            train,
            test,
        } => Some(said(
            e,
            format!(
                "the input distribution has only {available} distinct words; {needed} are \
                 needed ({train} training + {test} held-out): give more --lengths or fewer \
                 --train/--eval"
            ),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The library's message names no flag; the command line's does.
    fn check(e: &(dyn Error + 'static), flag: &str) -> String {
        let (library, flags) = flag_words(e).expect("a message with a flag to name");
        assert_eq!(library, e.to_string());
        assert!(!library.contains("--"), "{library}");
        assert!(flags.contains(flag), "{flags}");
        flags
    }

    #[test]
    fn every_class_names_its_flag() {
        check(&SizeError::EmptyWindow, "--tape");
        check(&ParityError::MissingK, "--k");
        check(&ParityError::NoSamples, "--eval");
        check(&RowError::LearningRate(0.0), "--lr 0 must be positive");
        check(&RowError::NotPositive, "--batch");
        check(&RowError::TokenChainWithMachine, "--cot tm");
        check(&RowError::MachineWithNetwork, "--model compiled");
        check(&LearnError::TimeDependentSoftmax, "--algo softmax");
        check(&LearnError::TimeInvariantGates, "--learner time-dependent");
        check(&LearnError::Extrapolation, "--eval-lengths");
        check(&ChainLengthError::Epsilon(1.5), "--epsilon");
        check(&ChainLengthError::Budget, "--budget");
        check(&ChainLengthError::Nothing, "--chain-length");
        check(&ChainLengthError::NotRandom, "--inputs");
        check(
            &ChainLengthError::Learn(LearnError::TimeDependentSoftmax),
            "--algo",
        );
        check(
            &NnError::Diverged {
                step: 3,
                loss: f64::NAN,
            },
            "--lr",
        );
        check(
            &NnError::NoTrainingWindow {
                corpus: "c.txt".into(),
                tokens: 5,
                context: 64,
                windowing: "random".into(),
            },
            "--context 64",
        );
        check(
            &FrontierError::Unfinished {
                path: "r.json".into(),
                step: 1,
                of: 2,
            },
            "--stop-at",
        );
        let mismatch = NnError::Mismatch {
            path: "ck".into(),
            task: String::new(),
            differences: vec![
                Difference {
                    setting: TrainSetting::Architecture,
                    here: "linear".into(),
                    saved: "mlp".into(),
                },
                Difference {
                    setting: TrainSetting::Recipe,
                    here: "paper".into(),
                    saved: "arsim".into(),
                },
            ],
        };
        assert_eq!(
            check(&mismatch, "--model"),
            "cannot resume ck: a different architecture: --model is linear here but mlp in the \
             checkpoint; the recipe is paper here but arsim in the checkpoint (--paper-config)"
        );
        let e = arsim::draw::check_extension(
            std::path::Path::new("x.svg"),
            arsim::draw::ImageFormat::Png,
        )
        .unwrap_err();
        assert_eq!(
            check(&e, "--svg"),
            "x.svg would get PNG bytes: name it .png (or use --svg for .svg)"
        );
    }

    #[test]
    fn a_picture_too_large_names_the_flags_that_shrink_it() {
        let e = DrawError::Size(format!("a 30000×20000 picture is too large{DRAW_FEWER}"));
        assert_eq!(
            flag_words(&e).unwrap().1,
            "a 30000×20000 picture is too large; use --width/--steps"
        );
        assert_eq!(flag_words(&DrawError::Size("empty diagram".into())), None);
    }

    #[test]
    fn notes_name_the_flag() {
        let n = ResumeNote::Changed {
            setting: TrainSetting::LearningRate,
            saved: 0.03,
            now: 0.01,
        };
        assert!(!n.to_string().contains("--"), "{n}");
        assert_eq!(
            note(&n),
            "--lr 0.01 differs from the checkpoint's 0.03: the run continues with 0.01"
        );
    }
}
