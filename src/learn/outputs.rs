//! Output features: how a learner parametrises the rows of a linear AR predictor.
//!
//! Part of the learners' stage of `learn`. The score of output token d is a sum of weights of
//! its output features ψ(d) ⊆ {0, …, F−1}:
//!
//! ```text
//! W_o[d, x] = Σ_(f ∈ ψ(d)) U_o[f, x]
//! ```
//!
//! so every learned predictor is still a [`crate::predictor::LinearAr`] of the same form; the
//! features only restrict which matrices the learner can reach, and so decide how it
//! generalises to contexts that it never saw.
//! - [`OutputKind::Tokens`]: ψ(d) = {d}, one row per token, no restriction;
//! - [`OutputKind::Parts`]: a `cells` token ⟨η, σ⟩ is its symbol part σ plus its head part η
//!   (a state or "no head"), and SEP is a part of its own: ψ(⟨η, σ⟩) = {sym σ, head η},
//!   ψ(SEP) = {sep}. The compiled weights have exactly this form (a symbol part 4 and a head
//!   part 1 or 2: proofs/cells.md#weights), so the training data stay separable, and what is
//!   learned about a head moving is shared by every symbol it can land on.
//!
//! The learner is told the dictionary's structure, never which offsets matter.

use crate::window::CellToken;

use crate::encoding::Encoding;
use crate::predictor::TokenId;
use nalgebra::DMatrix;
use serde::Serialize;

/// Which output features a learner uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum OutputKind {
    /// One weight row per token.
    Tokens,
    /// A cell token is its symbol part plus its head part; SEP is its own part.
    Parts,
}

impl OutputKind {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            OutputKind::Tokens => "tokens",
            OutputKind::Parts => "parts",
        }
    }
}

/// ψ for every token of a dictionary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFeatures {
    kind: OutputKind,
    /// ψ(d), sorted.
    psi: Vec<Vec<u32>>,
    features: usize,
}

impl OutputFeatures {
    /// The features of `kind` over the tokens of `enc`: symbol and head parts where its tokens
    /// are cells ([`Encoding::cell_of`]) and `kind` asks for parts, one feature a token otherwise.
    pub fn for_encoding<E: Encoding>(enc: &E, kind: OutputKind) -> OutputFeatures {
        let v = enc.vocab();
        if kind == OutputKind::Tokens || !enc.tokens_are_cells() {
            return OutputFeatures::tokens(v);
        }
        // Features: 0 = sep, 1..=|Γ| = symbols, then "no head" and one per state.
        let cells: Vec<Option<CellToken>> =
            (0..v).map(|d| enc.cell_of(TokenId(d as u32))).collect();
        let k = cells
            .iter()
            .filter_map(|c| match c {
                Some(CellToken::Cell { symbol, .. }) => Some(symbol.0 as u32 + 1),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let psi = cells
            .iter()
            .map(|c| match c {
                Some(CellToken::Cell { symbol, head }) => vec![
                    1 + symbol.0 as u32,
                    1 + k + head.map_or(0, |q| 1 + q.0 as u32),
                ],
                _ => vec![0],
            })
            .collect();
        OutputFeatures::from_psi(kind, psi)
    }

    /// One feature per token of a `vocab`-token dictionary (ψ(d) = {d}).
    pub fn tokens(vocab: usize) -> OutputFeatures {
        OutputFeatures::from_psi(
            OutputKind::Tokens,
            (0..vocab as u32).map(|d| vec![d]).collect(),
        )
    }

    /// Features given as ψ(d) for each token (for tests and other dictionaries).
    pub fn from_psi(kind: OutputKind, mut psi: Vec<Vec<u32>>) -> OutputFeatures {
        for p in &mut psi {
            p.sort_unstable();
            p.dedup();
        }
        let features = psi
            .iter()
            .flatten()
            .map(|&f| f as usize + 1)
            .max()
            .unwrap_or(0);
        OutputFeatures {
            kind,
            psi,
            features,
        }
    }

    /// Which kind these are.
    pub fn kind(&self) -> OutputKind {
        self.kind
    }

    /// Number of tokens.
    pub fn vocab(&self) -> usize {
        self.psi.len()
    }

    /// Number of features F.
    pub fn len(&self) -> usize {
        self.features
    }

    /// Whether there is no feature.
    pub fn is_empty(&self) -> bool {
        self.features == 0
    }

    /// ψ(d).
    #[inline]
    pub fn of(&self, d: usize) -> &[u32] {
        &self.psi[d]
    }

    /// Whether ψ(d) = {d} for every d (scores are a plain column).
    pub fn is_identity(&self) -> bool {
        self.features == self.psi.len()
            && self
                .psi
                .iter()
                .enumerate()
                .all(|(d, p)| p[..] == [d as u32])
    }

    /// Sets `scores[d] = Σ_(f ∈ ψ(d)) feature_scores[f]` for every d.
    #[inline]
    pub fn token_scores<T: Copy + Default + std::ops::AddAssign>(
        &self,
        feature_scores: &[T],
        scores: &mut [T],
    ) {
        if self.kind == OutputKind::Tokens {
            scores.copy_from_slice(&feature_scores[..scores.len()]);
            return;
        }
        for (s, p) in scores.iter_mut().zip(&self.psi) {
            let mut sum = T::default();
            for &f in p {
                sum += feature_scores[f as usize];
            }
            *s = sum;
        }
    }

    /// Sets `feature_grad[f] = Σ_(d : f ∈ ψ(d)) grad[d]`: the transpose of [`Self::token_scores`].
    #[inline]
    pub fn feature_grad(&self, grad: &[f32], feature_grad: &mut [f32]) {
        feature_grad.fill(0.0);
        for (g, p) in grad.iter().zip(&self.psi) {
            for &f in p {
                feature_grad[f as usize] += g;
            }
        }
    }

    /// max over d ≠ d' of |ψ(d) Δ ψ(d')|: the factor by which ‖φ(x)‖² enters R² in the
    /// mistake bound.
    pub fn separation(&self) -> usize {
        let mut best = 0;
        for (a, pa) in self.psi.iter().enumerate() {
            for pb in &self.psi[a + 1..] {
                let common = pa.iter().filter(|f| pb.contains(f)).count();
                best = best.max(pa.len() + pb.len() - 2 * common);
            }
        }
        best
    }

    /// The matrix `W[d, x] = Σ_(f ∈ ψ(d)) U[f, x]` of a feature matrix `U` (F × vocab).
    pub fn expand<T: nalgebra::Scalar + Copy + Default + std::ops::AddAssign>(
        &self,
        u: impl Fn(usize, usize) -> T,
    ) -> DMatrix<T> {
        let v = self.psi.len();
        DMatrix::from_fn(v, v, |d, x| {
            let mut s = T::default();
            for &f in &self.psi[d] {
                s += u(f as usize, x);
            }
            s
        })
    }

    /// A feature matrix U of smallest Frobenius norm with `expand(U) = W`, or `None` if `W` is
    /// not of that form. For [`OutputKind::Parts`] each input column is a symbol part a_σ plus
    /// a head part b_η, defined up to moving a constant between the two; the constant is chosen
    /// to minimise the norm.
    pub fn factor(&self, w: &DMatrix<i32>) -> Option<DMatrix<f64>> {
        let v = self.psi.len();
        let f = self.features;
        let mut u = DMatrix::<f64>::zeros(f, w.ncols());
        if self.is_identity() {
            return Some(w.map(f64::from));
        }
        // Tokens with a single feature fix it; tokens with two features (a, b) give a_f + b_g.
        for x in 0..w.ncols() {
            let mut known = vec![None::<f64>; f];
            let pairs: Vec<(usize, usize, f64)> = (0..v)
                .filter_map(|d| match self.psi[d][..] {
                    [a] => {
                        known[a as usize] = Some(w[(d, x)] as f64);
                        None
                    }
                    [a, b] => Some((a as usize, b as usize, w[(d, x)] as f64)),
                    _ => None,
                })
                .collect();
            if self.psi.iter().any(|p| p.len() > 2 || p.is_empty()) {
                return None;
            }
            // The pair features form a bipartite graph (symbols × heads); solve with the first
            // left feature of each connected component at 0, then shift by the best constant.
            let mut value = vec![None::<f64>; f];
            let mut components: Vec<Vec<usize>> = Vec::new();
            for &(a, _, _) in &pairs {
                if value[a].is_some() {
                    continue;
                }
                value[a] = Some(0.0);
                let mut comp = vec![a];
                let mut changed = true;
                while changed {
                    changed = false;
                    for &(p, q, s) in &pairs {
                        match (value[p], value[q]) {
                            (Some(vp), None) => {
                                value[q] = Some(s - vp);
                                comp.push(q);
                                changed = true;
                            }
                            (None, Some(vq)) => {
                                value[p] = Some(s - vq);
                                comp.push(p);
                                changed = true;
                            }
                            _ => {}
                        }
                    }
                }
                components.push(comp);
            }
            for &(p, q, s) in &pairs {
                if (value[p]? + value[q]? - s).abs() > 1e-9 {
                    return None;
                }
            }
            let lefts: Vec<bool> = {
                let mut l = vec![false; f];
                for &(a, _, _) in &pairs {
                    l[a] = true;
                }
                l
            };
            for comp in components {
                // Left features get +c, right ones −c: minimise Σ (v_l + c)² + Σ (v_r − c)².
                let n = comp.len() as f64;
                let c = -comp
                    .iter()
                    .map(|&g| {
                        if lefts[g] {
                            value[g].unwrap_or(0.0)
                        } else {
                            -value[g].unwrap_or(0.0)
                        }
                    })
                    .sum::<f64>()
                    / n;
                for &g in &comp {
                    let shift = if lefts[g] { c } else { -c };
                    u[(g, x)] = value[g].unwrap_or(0.0) + shift;
                }
            }
            for (g, k) in known.iter().enumerate() {
                if let Some(k) = k {
                    u[(g, x)] = *k;
                }
            }
        }
        // Check: expand(U) == W.
        let back = self.expand(|g, x| u[(g, x)]);
        let exact = back
            .iter()
            .zip(w.iter())
            .all(|(a, &b)| (a - b as f64).abs() < 1e-6);
        exact.then_some(u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::cells::compile::machine_to_cells_predictor;
    use crate::encoding::cells::Cells;
    use crate::machine::load::from_standard;
    use crate::window::Window;

    /// A one-cell window: output features do not depend on the window.
    fn w1() -> Window {
        Window { size: 1, origin: 0 }
    }

    #[test]
    fn parts_are_symbol_plus_head_and_sep_alone() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let f = OutputFeatures::for_encoding(&Cells::new(&m, w1()), OutputKind::Parts);
        // sep, 2 symbols, none + 3 states.
        assert_eq!(f.len(), 1 + 2 + 1 + 3);
        assert_eq!(f.of(0), [0]);
        assert_eq!(f.of(1), [1, 3], "⟨0⟩ = symbol 0 + no head");
        assert_eq!(f.separation(), 4);
        assert!(!f.is_identity());
        let t = OutputFeatures::for_encoding(&Cells::new(&m, w1()), OutputKind::Tokens);
        assert!(t.is_identity());
        assert_eq!(t.separation(), 2);
    }

    #[test]
    fn compiled_weights_factor_into_parts_with_the_smallest_norm() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let p = machine_to_cells_predictor(&m, Window { size: 4, origin: 2 });
        let f = OutputFeatures::for_encoding(&Cells::new(&m, w1()), OutputKind::Parts);
        for w in p.weights() {
            let u = f
                .factor(w)
                .expect("compiled weights are symbol + head parts");
            let back = f.expand(|g, x| u[(g, x)]);
            for (a, &b) in back.iter().zip(w.iter()) {
                assert!((a - b as f64).abs() < 1e-9);
            }
            // Shifting any column's constant does not lower the norm (tolerance 1e-9).
            let norm = u.norm_squared();
            for x in 0..u.ncols() {
                for c in [-0.5, 0.5] {
                    let mut v = u.clone();
                    for g in 1..3 {
                        v[(g, x)] += c;
                    }
                    for g in 3..7 {
                        v[(g, x)] -= c;
                    }
                    assert!(v.norm_squared() >= norm - 1e-9);
                }
            }
        }
        // A weight that is not symbol + head does not factor.
        let mut w = p.weights()[1].clone();
        w[(1, 1)] += 1;
        assert!(f.factor(&w).is_none());
    }
}
