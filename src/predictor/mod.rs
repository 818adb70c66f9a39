//! The one interface every next-token model serves, and the linear AR predictor.
//!
//! A [`Predictor`] maps the tokens before position `p` (seen through a [`Context`], the
//! executor's ring buffer) to the token at `p`. [`LinearAr`] is Malach's time-invariant
//! linear auto-regressive predictor over offsets `j`:
//!
//! ```text
//! next = argmax_d  Σ_j  W_j[d, x_(p-j)]
//! ```
//!
//! Every predictor type lives here: [`LinearAr`] (time-invariant, generic over its scalar:
//! exact `i32` for compiled and perceptron weights, `f32`/`f64` for softmax-learned ones),
//! [`TimeDependentAr`] (one sparse map per position, the `gates` encoding), and the learner's
//! one-perceptron-per-position type ([`crate::learn::time_dependent`]). Weights are labelled by
//! a [`Layout`] (token names and offsets), so every weight can be printed and exported.

pub mod contract;
pub mod linear;
pub mod time_dependent;

pub use contract::{Context, Layout, Predictor};

pub use crate::token::TokenId;
pub use linear::{argmax, LinearAr, LinearArF32, Weight};
pub use time_dependent::TimeDependentAr;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_reads_back_through_the_ring() {
        let ring: Vec<TokenId> = (0..8).map(TokenId).collect();
        let ctx = Context::new(&ring, 2);
        assert_eq!(ctx.back(1), TokenId(1));
        assert_eq!(ctx.back(3), TokenId(7));
    }
}
