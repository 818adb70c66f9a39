//! The verifier: runs an executor against a reference token stream and reports the first
//! divergence as data.
//!
//! Every generated token is compared with the reference; the loop stops at the first
//! difference, at the end of the reference, or when the predictor's own stop rule ends its
//! trace early. Nothing is stored but counters: both streams are produced on the fly.

use crate::executor::{Executor, StopRule};
use crate::predictor::{Context, Predictor, TokenId};
use serde::Serialize;
use std::time::Instant;

/// Where a generated stream first differs from the reference.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Divergence {
    /// 0-based trace position.
    pub position: u64,
    /// The reference token there (`None`: the reference had ended).
    pub expected: Option<TokenId>,
    /// The generated token (`None`: the predictor had stopped).
    pub got: Option<TokenId>,
    /// The two best tokens and their scores at that position.
    pub top: Vec<(TokenId, f64)>,
    /// The tokens at the predictor's largest offset back … 1 back, oldest first.
    pub context: Vec<TokenId>,
}

/// The result of a verified run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verification {
    /// Tokens fed as the prompt.
    pub prompt_tokens: u64,
    /// Tokens the predictor generated.
    pub generated: u64,
    /// Whether the predictor's own stop rule ended the trace.
    pub predictor_stopped: bool,
    /// The first divergence, if any.
    pub divergence: Option<Divergence>,
    /// Wall-clock seconds of the generate-and-compare loop.
    pub seconds: f64,
}

impl Verification {
    /// Generated tokens per second of the loop (0 when it took no measurable time).
    pub fn tokens_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.generated as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Feeds the first `prompt_len` reference tokens as the prompt, then generates and compares
/// until the reference ends or the streams differ. `progress` is called every 2^20 tokens with
/// the number generated so far.
pub fn run_verified<P: Predictor, S: StopRule>(
    exec: &mut Executor<P>,
    stop: &mut S,
    reference: &mut impl Iterator<Item = TokenId>,
    prompt_len: usize,
    progress: &mut dyn FnMut(u64),
) -> Verification {
    let start = Instant::now();
    let mut stopped = false;
    let mut prompt_tokens = 0;
    for t in reference.by_ref().take(prompt_len) {
        exec.feed(t);
        prompt_tokens += 1;
        stopped = stop.after(t);
    }
    let mut generated = 0u64;
    let mut divergence = None;
    for expected in reference.by_ref() {
        if stopped {
            divergence = Some(describe(exec, Some(expected), None));
            break;
        }
        let got = exec.step();
        generated += 1;
        if got != expected {
            divergence = Some(describe(exec, Some(expected), Some(got)));
            break;
        }
        stopped = stop.after(got);
        if generated & 0xF_FFFF == 0 {
            progress(generated);
        }
    }
    Verification {
        prompt_tokens,
        generated,
        predictor_stopped: stopped,
        divergence,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// The predictor's two best tokens at `position` and their scores, best first (ties to the
/// lower id, as its argmax breaks them): what a divergence report shows.
pub fn top_two<P: Predictor + ?Sized>(p: &P, ctx: &Context, position: u64) -> Vec<(TokenId, f64)> {
    let mut ranked: Vec<(TokenId, f64)> = p
        .scores(ctx, position)
        .into_iter()
        .enumerate()
        .map(|(i, s)| (TokenId(i as u32), s))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.truncate(2);
    ranked
}

/// A divergence at the executor's last position (or its next one, if nothing was generated).
fn describe<P: Predictor>(
    exec: &Executor<P>,
    expected: Option<TokenId>,
    got: Option<TokenId>,
) -> Divergence {
    let (ctx, position) = match got {
        Some(_) => (exec.last_context(), exec.position() - 1),
        None => (exec.context(), exec.position()),
    };
    let p = exec.predictor();
    let k = p.max_offset();
    Divergence {
        position,
        expected,
        got,
        top: top_two(p, &ctx, position),
        context: (1..=k).rev().map(|j| ctx.back(j)).collect(),
    }
}

/// The divergence when the reference ended in a final configuration but the predictor's stop
/// rule did not fire: the token it generates past the end.
pub(crate) fn overrun<P: Predictor>(exec: &mut Executor<P>) -> Divergence {
    let got = exec.step();
    describe(exec, None, Some(got))
}
