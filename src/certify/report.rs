//! The certificate of any encoding ([`CertifyReport`]) and why one cannot be made
//! ([`CertifyError`]), with the shape checks every dense certificate starts with.

use crate::certify::local::Certificate;
use crate::encoding::gates::certify::{GatesCertificate, GatesCertifyError};
use crate::encoding::sweep::fold::StayLoops;
use crate::predictor::{LinearAr, Weight};

/// A certificate of any encoding.
#[derive(Clone, Debug, PartialEq)]
pub enum CertifyReport {
    /// `cells` or `sweep`: every local context.
    Local(Certificate),
    /// `gates`: every gate of a row, and the predictor against the unrolled circuit.
    Gates(GatesCertificate),
}

impl CertifyReport {
    /// Whether the predictor is certified.
    pub fn certified(&self) -> bool {
        match self {
            CertifyReport::Local(c) => c.certified,
            CertifyReport::Gates(c) => c.certified,
        }
    }
}

/// Why a predictor cannot be certified this way.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CertifyError {
    /// The predictor's dictionary is not the machine's dictionary for the encoding: the labels
    /// are compared, not only their number (swapping two labels is a different predictor).
    #[error(
        "the predictor's tokens {got:?} are not the machine's {encoding} dictionary {expected:?}"
    )]
    Dictionary {
        /// The encoding.
        encoding: &'static str,
        /// The predictor's labels.
        got: Vec<String>,
        /// The dictionary's labels.
        expected: Vec<String>,
    },
    /// A window of no cells, or a predictor reading offset 0 (the position it predicts).
    #[error("window size S = {s} and offsets {offsets:?}: the certificate needs S ≥ 1 and every offset ≥ 1 (offset 0 reads the position being predicted)")]
    Degenerate {
        /// The window size.
        s: usize,
        /// The predictor's offsets.
        offsets: Vec<usize>,
    },
    /// The machine has stay moves that never end, so it has no `sweep` local rule.
    #[error(transparent)]
    StayLoops(#[from] StayLoops),
    /// The `gates` certificate does not apply.
    #[error("machine {machine}: {source}")]
    Gates {
        /// The machine's name.
        machine: String,
        /// Why.
        source: GatesCertifyError,
    },
    /// Weights of the other kind (dense for an encoding whose weights are sparse, or back).
    #[error("the {encoding} encoding certifies {wants} weights; these are {found}")]
    WeightsKind {
        /// The encoding.
        encoding: &'static str,
        /// What it certifies.
        wants: &'static str,
        /// What it was given.
        found: &'static str,
    },
}

/// The dense weights an encoding with offset matrices certifies, or why these are not.
pub(crate) fn dense_weights<'w>(
    weights: &'w crate::weights::Weights,
    encoding: &'static str,
) -> Result<&'w crate::weights::DenseWeights, CertifyError> {
    match weights {
        crate::weights::Weights::Dense(d) => Ok(d),
        crate::weights::Weights::Sparse(_) => Err(CertifyError::WeightsKind {
            encoding,
            wants: "dense",
            found: "sparse",
        }),
    }
}

/// Refuses S = 0, offset 0, and a dictionary whose labels differ from the machine's.
pub(crate) fn check_shape<T: Weight>(
    predictor: &LinearAr<T>,
    s: usize,
    encoding: &'static str,
    expected: Vec<String>,
) -> Result<(), CertifyError> {
    let offsets = &predictor.layout().offsets;
    if s < 1 || offsets.iter().any(|&j| j < 1) {
        return Err(CertifyError::Degenerate {
            s,
            offsets: offsets.clone(),
        });
    }
    if predictor.layout().tokens != expected {
        return Err(CertifyError::Dictionary {
            encoding,
            got: predictor.layout().tokens.clone(),
            expected,
        });
    }
    Ok(())
}
