//! Learning a predictor from traces, as `arsim learn` and Python's `arsim.learn` ask for it: the
//! command line's defaults, the run (its errors named with the machine), and the learned
//! time-invariant weights with the metadata `arsim learn --out` writes, as a [`HeldPredictor`].
//! The inputs come from [`crate::api::input_spec`].

use crate::api::error::ApiError;
use crate::api::predictors::HeldPredictor;
use crate::machine::Machine;
use crate::weights::Weights;

pub use crate::learn::inputs::InputSpec;
pub use crate::learn::outputs::OutputKind;
pub use crate::learn::softmax::SoftmaxOptions;
pub use crate::learn::{
    Algo, LearnOptions, LearnProgress, LearnReport, Learned, LearnedPredictor, LearnerKind,
};

/// The options of `arsim learn` for `machine` when no flag is given: the library's defaults
/// ([`LearnOptions::for_machine`]), which the command line's flags take as theirs.
pub fn learn_defaults(machine: &Machine) -> LearnOptions {
    LearnOptions::for_machine(machine)
}

/// Learns a predictor of `machine` as `opts` say (`arsim learn`); `progress` as it goes.
pub fn learn(
    machine: &Machine,
    opts: &LearnOptions,
    progress: &mut dyn FnMut(LearnProgress),
) -> Result<Learned, ApiError> {
    crate::learn::learn(machine, opts, progress).map_err(|source| ApiError::Learn {
        machine: machine.name().to_string(),
        source,
    })
}

/// The learned weights with the metadata `arsim learn --out` writes ([`Learned::save`]);
/// `None` for the time-dependent learner, which has no such file.
pub fn learned_predictor(machine: &Machine, learned: &Learned) -> Option<HeldPredictor> {
    let weights = match &learned.predictor {
        LearnedPredictor::Integer(w) => {
            Weights::Dense(crate::weights::DenseWeights::Int(w.clone()))
        }
        LearnedPredictor::Float(w) => Weights::Dense(crate::weights::DenseWeights::F32(w.clone())),
        LearnedPredictor::TimeDependent(_) => return None,
    };
    Some(HeldPredictor {
        weights,
        meta: learned.metadata(machine),
        origin: format!("the predictor learned for {}", machine.name()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::files::read_weights;

    #[test]
    fn learned_weights_save_as_learn_out_writes_them() {
        let m = crate::machine::load_machine("machines/binary-increment.ron").unwrap();
        let mut opts = learn_defaults(&m);
        opts.train = 10;
        opts.test = 10;
        let learned = learn(&m, &opts, &mut |_| {}).unwrap();
        let held = learned_predictor(&m, &learned).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        learned.save(&m, &a).unwrap();
        held.save(&b).unwrap();
        let (wa, ma) = read_weights(&a).unwrap();
        let (wb, mb) = read_weights(&b).unwrap();
        assert_eq!((wa, ma), (wb, mb));
    }
}
