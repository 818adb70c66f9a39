//! An encoding defined outside arsim goes through every generic entry point unchanged.
//!
//! `Permuted` is `cells` with its dictionary permuted: the same rows, every token id sent
//! through a fixed permutation (so no id means what `cells` means by it, and the separator is
//! no longer token 0). It is written here against the public [`Encoding`] and [`Trace`]
//! traits only, and run, with no change to the library, through:
//! trace, compile, certify, emulate on the token executor and on the row executor, `length`,
//! and `learn`. Each check compares with what `cells` itself gives, mapped through the
//! permutation, so a generic pass that secretly assumed `cells`' ids would fail here.
//!
//! ARCHITECTURE.md's "Adding an encoding" lists what this file had to write.

use arsim::api::{ExecutorOptions, Input, LinearAr, Machine, RowIsa, Window};
use arsim::certify::{CertifyError, CertifyReport};
use arsim::emulate::{emulate_compiled, emulate_on, emulate_rows, emulate_with, EmulateOptions};
use arsim::encoding::cells::{self, Cells};
use arsim::encoding::halt::RowHalt;
use arsim::encoding::{Encoding, EncodingInfo, Trace, TraceExtras, WindowKind};
use arsim::length::{measure_with, Plan};
use arsim::machine::load_machine;
use arsim::predictor::{Layout, TokenId};
use arsim::verify::Divergence;
use arsim::weights::{DenseWeights, Weights};
use arsim::window::{CellToken, TraceEnd, WindowConfig, WindowError};
use nalgebra::DMatrix;

/// What `cells-permuted` is.
static INFO: EncodingInfo = EncodingInfo {
    name: "cells-permuted",
    token_unit: "tokens",
    offsets_text: "S, S+1, S+2",
    proof: "proofs/cells.md (a bijection of the dictionary changes no argument)",
    context_names: "S+2, S+1, S",
    length_formula: "T·(S+1)",
    time_invariant: true,
    sparse_weights: false,
    colour: (148, 103, 189),
};

/// `cells` with token `i` of its dictionary renamed `perm[i]`.
#[derive(Clone, Debug)]
struct Permuted {
    inner: Cells,
    /// `cells` id → this encoding's id.
    perm: Vec<u32>,
    /// This encoding's id → `cells` id.
    inv: Vec<u32>,
}

impl Permuted {
    /// The permutation i ↦ (7·i + 3) mod |D| (a bijection whenever 7 ∤ |D|), or the reversal.
    fn new(machine: &Machine, window: Window) -> Permuted {
        let inner = Cells::new(machine, window);
        let v = inner.vocab() as u32;
        let perm: Vec<u32> = if v % 7 != 0 {
            (0..v).map(|i| (7 * i + 3) % v).collect()
        } else {
            (0..v).rev().collect()
        };
        let mut inv = vec![0; v as usize];
        for (i, &p) in perm.iter().enumerate() {
            inv[p as usize] = i as u32;
        }
        Permuted { inner, perm, inv }
    }

    fn out(&self, t: TokenId) -> TokenId {
        TokenId(self.perm[t.index()])
    }

    fn back(&self, t: TokenId) -> TokenId {
        // The padding token (id = vocab) is its own image.
        self.inv.get(t.index()).map_or(t, |&i| TokenId(i))
    }

    /// Offset matrices moved between dictionaries: `W'[map(d), map(x)] = W[d, x]`.
    fn remap<T: nalgebra::Scalar + Copy + Default>(
        &self,
        ws: &[DMatrix<T>],
        map: &[u32],
    ) -> Vec<DMatrix<T>> {
        ws.iter()
            .map(|w| {
                let mut o = DMatrix::from_element(w.nrows(), w.ncols(), T::default());
                for d in 0..w.nrows() {
                    for x in 0..w.ncols() {
                        o[(map[d] as usize, map[x] as usize)] = w[(d, x)];
                    }
                }
                o
            })
            .collect()
    }

    fn layout(&self, machine: &Machine, inner: &Layout) -> Layout {
        Layout {
            tokens: self.token_names(machine),
            ..inner.clone()
        }
    }
}

/// The `cells` trace, every token renamed.
struct PermutedTrace<'m> {
    inner: cells::ReferenceTrace<'m>,
    perm: Vec<u32>,
}

impl Iterator for PermutedTrace<'_> {
    type Item = TokenId;
    fn next(&mut self) -> Option<TokenId> {
        self.inner.next().map(|t| TokenId(self.perm[t.index()]))
    }
}

impl Trace for PermutedTrace<'_> {
    fn end(&self) -> Option<&TraceEnd> {
        Trace::end(&self.inner)
    }
    fn steps(&self) -> u64 {
        Trace::steps(&self.inner)
    }
    fn expected_tokens(&self) -> u64 {
        self.inner.expected_tokens()
    }
    fn formula(&self) -> String {
        self.inner.formula()
    }
    fn extras(&self) -> TraceExtras {
        self.inner.extras()
    }
}

impl Encoding for Permuted {
    type Trace<'m> = PermutedTrace<'m>;

    fn info(&self) -> &'static EncodingInfo {
        &INFO
    }
    fn on_window(&self, machine: &Machine, window: Window) -> Permuted {
        Permuted {
            inner: self.inner.on_window(machine, window),
            ..self.clone()
        }
    }
    fn window(&self) -> Window {
        self.inner.window()
    }
    fn vocab(&self) -> usize {
        self.inner.vocab()
    }
    fn token_names(&self, machine: &Machine) -> Vec<String> {
        (0..self.vocab())
            .map(|t| self.token_name(machine, TokenId(t as u32)))
            .collect()
    }
    fn token_name(&self, machine: &Machine, t: TokenId) -> String {
        self.inner.token_name(machine, self.back(t))
    }
    fn row_len(&self) -> usize {
        self.inner.row_len()
    }
    fn trace<'m>(
        &self,
        machine: &'m Machine,
        input: &Input,
        max_steps: u64,
    ) -> Result<PermutedTrace<'m>, WindowError> {
        Ok(PermutedTrace {
            inner: self.inner.trace(machine, input, max_steps)?,
            perm: self.perm.clone(),
        })
    }
    fn halt(&self, machine: &Machine) -> RowHalt {
        let is_final = (0..self.vocab())
            .map(|t| match self.cell_of(TokenId(t as u32)) {
                Some(CellToken::Cell {
                    symbol,
                    head: Some(q),
                }) => machine.is_final(q, symbol),
                _ => false,
            })
            .collect();
        RowHalt::new(self.row_len(), 1, is_final)
    }
    fn compile(&self, machine: &Machine) -> Result<Weights, WindowError> {
        let Weights::Dense(DenseWeights::Int(p)) = self.inner.compile(machine)? else {
            unreachable!("cells compiles to integer offset matrices")
        };
        let layout = self.layout(machine, p.layout());
        Ok(Weights::Dense(DenseWeights::Int(LinearAr::new(
            layout,
            self.remap(p.weights(), &self.perm),
        ))))
    }
    /// The weights renamed back into `cells`' dictionary are certified by `cells`: a bijection
    /// of token ids changes no score, no margin and no argmax.
    fn certify(
        &self,
        machine: &Machine,
        weights: &Weights,
        input: &Input,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<CertifyReport, CertifyError> {
        let cells_names = self.inner.token_names(machine);
        let back = |layout: &Layout| Layout {
            tokens: cells_names.clone(),
            ..layout.clone()
        };
        if let Weights::Dense(d) = weights {
            let names = d.layout().tokens.clone();
            if names != self.token_names(machine) {
                return Err(CertifyError::Dictionary {
                    encoding: INFO.name,
                    got: names,
                    expected: self.token_names(machine),
                });
            }
        }
        let renamed = match weights {
            Weights::Dense(DenseWeights::Int(p)) => Weights::Dense(DenseWeights::Int(
                LinearAr::new(back(p.layout()), self.remap(p.weights(), &self.inv)),
            )),
            Weights::Dense(DenseWeights::F32(p)) => Weights::Dense(DenseWeights::F32(
                LinearAr::from_weights(back(p.layout()), self.remap(p.weights(), &self.inv)),
            )),
            other => other.clone(),
        };
        self.inner.certify(machine, &renamed, input, progress)
    }
    fn locate(&self, machine: &Machine, position: u64) -> (u64, Option<usize>, Option<String>) {
        self.inner.locate(machine, position)
    }
    fn decode_row(&self, row: &[TokenId]) -> Option<WindowConfig> {
        let back: Vec<TokenId> = row.iter().map(|&t| self.back(t)).collect();
        self.inner.decode_row(&back)
    }
    fn learner_offsets(&self, kind: WindowKind) -> Vec<usize> {
        self.inner.learner_offsets(kind)
    }
    fn offset_name(&self, offset: usize) -> String {
        self.inner.offset_name(offset)
    }
    fn move_offset(&self, offset: usize, to: Window) -> Option<usize> {
        self.inner.move_offset(offset, to)
    }
    fn cell_of(&self, t: TokenId) -> Option<CellToken> {
        self.inner.cell_of(self.back(t))
    }
    fn divergence(
        &self,
        machine: &Machine,
        d: Divergence,
        offsets: &[usize],
    ) -> arsim::encoding::DivergenceReport {
        arsim::encoding::divergence::token_divergence(d, self.window(), offsets, |t| {
            self.token_name(machine, t)
        })
    }
}

fn bb3() -> Machine {
    load_machine("1RB1RZ_1LB0RC_1LC1LA").unwrap()
}

fn opts(m: &Machine) -> (EmulateOptions, Window) {
    let o = EmulateOptions {
        input: Input::default(),
        window: None,
        max_steps: 1_000,
    };
    let w = o.window_for(m);
    (o, w)
}

fn int_weights(w: Weights) -> LinearAr {
    match w {
        Weights::Dense(DenseWeights::Int(p)) => p,
        _ => panic!("integer offset matrices expected"),
    }
}

#[test]
fn its_trace_is_the_cells_trace_renamed() {
    let m = bb3();
    let (o, w) = opts(&m);
    let enc = Permuted::new(&m, w);
    assert_ne!(enc.perm, (0..enc.vocab() as u32).collect::<Vec<_>>());
    let ours: Vec<TokenId> = enc.trace(&m, &o.input, 1_000).unwrap().collect();
    let theirs: Vec<TokenId> = Cells::new(&m, w)
        .trace(&m, &o.input, 1_000)
        .unwrap()
        .map(|t| enc.out(t))
        .collect();
    assert_eq!(ours, theirs);
    assert_eq!(ours.len() as u64, 22 * (w.size as u64 + 1));
}

#[test]
fn it_compiles_certifies_and_a_broken_weight_fails_its_certificate() {
    let m = bb3();
    let (_, w) = opts(&m);
    let enc = Permuted::new(&m, w);
    let weights = enc.compile(&m).unwrap();
    let report = enc
        .certify(&m, &weights, &Input::default(), &mut |_, _| {})
        .unwrap();
    assert!(report.certified());
    // A SEP one back in the row above now votes for the first cell token over SEP.
    let mut p = int_weights(weights);
    let mut ws = p.weights().to_vec();
    let (sep, sym) = (enc.out(TokenId(0)).index(), enc.out(TokenId(1)).index());
    ws[1][(sym, sep)] = 40;
    p = LinearAr::new(p.layout().clone(), ws);
    let broken = Weights::Dense(DenseWeights::Int(p));
    let report = enc
        .certify(&m, &broken, &Input::default(), &mut |_, _| {})
        .unwrap();
    assert!(!report.certified());
}

#[test]
fn it_emulates_on_both_executors_and_they_report_the_same() {
    let m = bb3();
    let (o, w) = opts(&m);
    let enc = Permuted::new(&m, w);
    let p = int_weights(enc.compile(&m).unwrap());
    let tokens = emulate_with(&enc, &m, p.clone(), &o, &mut |_| {}).unwrap();
    let rows = emulate_rows(&enc, &m, p.clone(), &o, 2, RowIsa::Auto, &mut |_| {}).unwrap();
    assert!(tokens.agree && rows.agree, "{tokens:?}\n{rows:?}");
    assert_eq!((tokens.executor, rows.executor), ("tokens", "rows"));
    assert_eq!(tokens.encoding, "cells-permuted");
    for r in [&tokens, &rows] {
        assert_eq!((r.steps, &r.stop[..]), (21, "halted"));
        assert_eq!(r.generated_tokens, r.expected_tokens);
        assert_eq!(r.length_formula, format!("T·(S+1) = 21·{}", w.size + 1));
    }
    let one = ExecutorOptions {
        threads: Some(1),
        ..Default::default()
    };
    let auto = emulate_on(&enc, &m, p, &o, one, &mut |_| {}).unwrap();
    assert_eq!(auto.executor, "rows");
    assert_eq!(
        emulate_compiled(&enc, &m, &o, &mut |_| {})
            .unwrap()
            .generated_tokens,
        tokens.generated_tokens
    );
}

#[test]
fn a_wrong_weight_diverges_at_the_same_token_on_both_executors() {
    let m = bb3();
    let (o, w) = opts(&m);
    let enc = Permuted::new(&m, w);
    let p = int_weights(enc.compile(&m).unwrap());
    let mut ws = p.weights().to_vec();
    let (sep, sym) = (enc.out(TokenId(0)).index(), enc.out(TokenId(1)).index());
    ws[1][(sym, sep)] = 40;
    let bad = LinearAr::new(p.layout().clone(), ws);
    let tokens = emulate_with(&enc, &m, bad.clone(), &o, &mut |_| {}).unwrap();
    let rows = emulate_rows(&enc, &m, bad, &o, 1, RowIsa::Auto, &mut |_| {}).unwrap();
    assert!(!tokens.agree);
    assert_eq!(tokens.first_divergence, rows.first_divergence);
    assert_eq!(tokens.generated_tokens, rows.generated_tokens);
}

#[test]
fn length_measures_it_as_it_measures_cells() {
    let m = bb3();
    let plan = Plan::Tapes {
        input: Input::default(),
        tapes: vec![6, 8, 12],
    };
    let make = |w: Window| Ok(Permuted::new(&m, w));
    let r = measure_with(&m, &make, &plan, 1_000, &mut |_, _| {}).unwrap();
    assert!(r.all_match, "{r:?}");
    assert_eq!(r.rows.len(), 3);
    assert!(r.rows.iter().all(|row| row.encoding == "cells-permuted"));
    let cells = arsim::length::measure(
        &m,
        &[arsim::encoding::EncodingKind::Cells],
        &plan,
        1_000,
        &mut |_, _| {},
    )
    .unwrap();
    let tokens = |r: &arsim::length::LengthReport| {
        r.rows
            .iter()
            .map(|x| x.generated_tokens)
            .collect::<Vec<_>>()
    };
    assert_eq!(tokens(&r), tokens(&cells));
    assert_eq!(r.colours, vec![("cells-permuted", INFO.colour)]);
}

#[test]
fn it_is_learned_held_out_and_certified_as_cells_is() {
    use arsim::learn::{learn, learn_encoding, LearnOptions};
    let m = load_machine("machines/binary-add.ron").unwrap();
    let mut opts = LearnOptions::for_machine(&m);
    opts.train = 30;
    opts.test = 60;
    opts.window = WindowKind::Local;
    opts.outputs = arsim::learn::outputs::OutputKind::Parts;
    let w = Window { size: 1, origin: 0 };
    let ours = learn_encoding(&m, Permuted::new(&m, w), &opts, &mut |_| {}).unwrap();
    let cells = learn(&m, &opts, &mut |_| {}).unwrap();
    let (a, b) = (&ours.report, &cells.report);
    assert_eq!(a.encoding, "cells-permuted");
    // The same inputs, the same offsets (named as cells names them), the same held-out outcome:
    // a bijection of the dictionary changes what the learner sees only in its names.
    assert_eq!(
        (&a.offsets, a.tape_cells, a.outputs),
        (&b.offsets, b.tape_cells, b.outputs)
    );
    assert_eq!(a.test.trace_errors, b.test.trace_errors);
    assert_eq!(a.test.traces, b.test.traces);
    let (ca, cb) = (
        a.certificate.as_ref().unwrap(),
        b.certificate.as_ref().unwrap(),
    );
    assert_eq!((ca.certified, ca.contexts), (cb.certified, cb.contexts));
}
