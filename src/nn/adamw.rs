//! [`AdamW`], the optimizer every neural task trains with: decoupled weight decay, its moments
//! kept (so that a checkpoint resumes exactly), the decay groups, frozen parameters and
//! gradient clipping of a [`Recipe`], and the in-place update of `fused` where it applies.

use super::model::ArModel;
use super::recipe::Recipe;
use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};

/// AdamW (Loshchilov & Hutter) with decoupled weight decay, its moments exposed so that
/// checkpoints carry them.
#[derive(Debug)]
pub struct AdamW {
    /// Peak learning rate.
    pub lr: f64,
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Added to the root of the second moment.
    pub eps: f64,
    /// Decoupled weight decay.
    pub weight_decay: f64,
    /// Updates taken.
    pub step: usize,
    /// `(parameter, first moment, second moment)`, in the model's [`ArModel::named_vars`] order.
    pub state: Vec<(Var, Var, Var)>,
    /// Per parameter of `state`: whether weight decay applies.
    pub decay: Vec<bool>,
    /// Per parameter of `state`: whether it is updated at all.
    pub trained: Vec<bool>,
    /// Clip the global gradient norm (over the trained parameters) to this, PyTorch's way:
    /// every gradient times `min(1, max / (norm + 1e-6))`.
    pub clip_norm: Option<f64>,
    /// The global gradient norm of the last update, before clipping (0 before the first).
    pub last_grad_norm: f64,
    /// The recipe its groups and clipping came from (recorded in checkpoints).
    pub recipe: Recipe,
}

impl AdamW {
    /// AdamW over `vars`, moments zero.
    pub fn new(vars: &[Var], lr: f64, weight_decay: f64) -> candle_core::Result<AdamW> {
        let state = vars
            .iter()
            .map(|v| {
                Ok((
                    v.clone(),
                    Var::zeros(v.shape(), v.dtype(), v.device())?,
                    Var::zeros(v.shape(), v.dtype(), v.device())?,
                ))
            })
            .collect::<candle_core::Result<_>>()?;
        let n = vars.len();
        Ok(AdamW {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay,
            step: 0,
            state,
            decay: vec![true; n],
            trained: vec![true; n],
            clip_norm: None,
            last_grad_norm: 0.0,
            recipe: Recipe::Arsim,
        })
    }

    /// AdamW over every parameter of `model`, with `recipe`'s decay groups, frozen parameters
    /// and clipping.
    pub fn for_model(
        model: &ArModel,
        lr: f64,
        weight_decay: f64,
        recipe: Recipe,
    ) -> candle_core::Result<AdamW> {
        let named = model.named_vars();
        let vars: Vec<Var> = named.iter().map(|(_, v)| v.clone()).collect();
        let mut opt = AdamW::new(&vars, lr, weight_decay)?;
        opt.decay = named.iter().map(|(n, _)| recipe.decays(n)).collect();
        opt.trained = named.iter().map(|(n, _)| recipe.trains(n)).collect();
        opt.clip_norm = recipe.clip_norm();
        opt.recipe = recipe;
        Ok(opt)
    }

    /// One update at learning rate `lr` from the gradients of `loss`.
    pub fn backward_step(&mut self, loss: &Tensor, lr: f64) -> candle_core::Result<()> {
        self.update(&loss.backward()?, lr)
    }

    /// One update at learning rate `lr` from `grads` (by parameter; a parameter without one
    /// is left as it is), whether candle's autograd or the hand-written training step
    /// (`nn::step`) computed them.
    pub fn update(&mut self, grads: &GradStore, lr: f64) -> candle_core::Result<()> {
        self.step += 1;
        let t = self.step as i32;
        let c1 = 1.0 - self.beta1.powi(t);
        let c2 = 1.0 - self.beta2.powi(t);
        // The global norm over the trained parameters' gradients (what PyTorch's
        // clip_grad_norm_ sees: the paper's unused bias has no gradient there).
        let mut squares = 0f64;
        for ((p, _, _), &trained) in self.state.iter().zip(&self.trained) {
            if let (true, Some(g)) = (trained, grads.get(p.as_tensor())) {
                squares += super::fused::sum_of_squares(g)?;
            }
        }
        self.last_grad_norm = squares.sqrt();
        let scale = match self.clip_norm {
            Some(max) => (max / (self.last_grad_norm + 1e-6)).min(1.0),
            None => 1.0,
        };
        for (k, (p, m, v)) in self.state.iter().enumerate() {
            if !self.trained[k] {
                continue;
            }
            let Some(g) = grads.get(p.as_tensor()) else {
                continue;
            };
            let decay = if self.decay[k] {
                self.weight_decay
            } else {
                0.0
            };
            // In place, one pass with the clipping folded in (src/nn/fused.rs); the general
            // path below otherwise.
            let hyper = (self.beta1, self.beta2, self.eps);
            if super::fused::adamw_update(p, m, v, g, scale, hyper, (lr, decay), (c1, c2))? {
                continue;
            }
            let g = if scale < 1.0 { (g * scale)? } else { g.clone() };
            let g = &g;
            let m_new = ((m.as_tensor() * self.beta1)? + (g * (1.0 - self.beta1))?)?;
            let v_new = ((v.as_tensor() * self.beta2)? + (g.sqr()? * (1.0 - self.beta2))?)?;
            let update = ((&m_new / c1)? / ((&v_new / c2)?.sqrt()? + self.eps)?)?;
            let decayed = (p.as_tensor() * (1.0 - lr * decay))?;
            p.set(&(decayed - (update * lr)?)?)?;
            m.set(&m_new)?;
            v.set(&v_new)?;
        }
        Ok(())
    }
}
