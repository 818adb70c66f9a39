//! The certificates: exhaustive checks of a predictor on every local context of its encoding.
//!
//! This module holds what the certificates share (the report, [`Margin`], the shape checks and
//! the `ContextChecker` that scores a context through the executor's own code); each encoding's
//! certificate lives in its folder. For `cells`: for every (left, centre, right) triple of row-t tokens with at most one head, and every
//! separator context, the predictor's exact integer scores must put the token of the local rule
//! ([`next_cell`](crate::encoding::cells::next_cell)) first with a margin of at least 1, and the executor's own argmax (the SIMD
//! kernel of [`LinearAr::argmax_of`](crate::predictor::LinearAr::argmax_of)) must pick it, and so must the row executor's scoring
//! ([`crate::rows::RowScorer`], for `cells`, on every path the CPU has: AVX-512 VBMI, AVX2, portable). With the induction in `proofs/cells.md`
//! this proves the emulation right for every input that stays inside the window.
//! [`certify_sweep`](crate::encoding::sweep::certify::certify_sweep) does the same for the `sweep` encoding (proofs/sweep.md#certificate).
//!
//! [`certify_gates`](crate::encoding::gates::certify::certify_gates) is the certificate of the `gates` encoding (`proofs/gates.md#theorem`):
//! every gate of a row computes the local rule on every valid three-cell context, and the
//! time-dependent predictor computes the unrolled circuit gate by gate (by enumeration where a
//! gate reads few enough tokens, by a proof from the weights otherwise).

pub mod local;
pub mod report;

pub(crate) use local::{local_view, not_certified, ContextChecker, Local, KEEP_FAILURES};
pub use local::{Certificate, ContextFailure, LocalCertifyReport, Margin};
pub(crate) use report::{check_shape, dense_weights};
pub use report::{CertifyError, CertifyReport};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::cells::certify::certify_cells;
    use crate::encoding::cells::compile::machine_to_cells_predictor;
    use crate::encoding::cells::compile::CENTRE;
    use crate::encoding::gates::certify::*;
    use crate::encoding::sweep::certify::certify_sweep;
    use crate::encoding::sweep::{self, FoldedMachine, SweepToken};
    use crate::machine::load::from_standard;
    use crate::predictor::time_dependent::Entry;
    use crate::predictor::LinearAr;
    use crate::window::Window;
    use nalgebra::DMatrix;

    #[test]
    fn compiled_bb3_is_certified() {
        let m = from_standard("1RB1RZ_1LB0RC_1LC1LA", "bb3").unwrap();
        let w = Window { size: 8, origin: 4 };
        let cert = certify_cells(&m, &machine_to_cells_predictor(&m, w), w).unwrap();
        assert!(cert.certified, "{cert:?}");
        assert_eq!(cert.min_margin, Margin::Exact(1));
        // 1 + 2·4 = 9 tokens: 8 cells (2 with no head, 6 with one). Triples with ≤ 1 head over
        // 9 left/right choices (3 headless) and the SEP contexts.
        assert!(cert.contexts > 8 * 9);
    }

    #[test]
    fn a_broken_weight_is_caught() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 4, origin: 2 };
        let p = machine_to_cells_predictor(&m, w);
        let mut weights: Vec<DMatrix<i32>> = p.weights().to_vec();
        // Make the centre ⟨A,0⟩ vote for keeping symbol 0 instead of writing 1.
        weights[CENTRE][(1, 3)] += 8;
        let broken = LinearAr::new(p.layout().clone(), weights);
        let cert = certify_cells(&m, &broken, w).unwrap();
        assert!(!cert.certified);
        assert!(cert.failed > 0);
        assert_eq!(cert.failures[0].context[1], "⟨A,0⟩");
    }

    #[test]
    fn swapped_labels_a_zero_window_and_float_weights() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 4, origin: 2 };
        let p = machine_to_cells_predictor(&m, w);
        // Swapping two labels is another predictor: refused, not certified.
        let mut layout = p.layout().clone();
        layout.tokens.swap(1, 2);
        let swapped = LinearAr::new(layout, p.weights().to_vec());
        assert!(matches!(
            certify_cells(&m, &swapped, w),
            Err(CertifyError::Dictionary { .. })
        ));
        // S = 0 reads the position it predicts.
        let z = Window { size: 0, origin: 0 };
        let mut layout = p.layout().clone();
        layout.offsets = vec![0, 1, 2];
        let zero = LinearAr::new(layout, p.weights().to_vec());
        assert!(matches!(
            certify_cells(&m, &zero, z),
            Err(CertifyError::Degenerate { s: 0, .. })
        ));
        // The same weights as floats certify through the float executor, margin 1.0.
        let float = LinearAr::from_weights(
            p.layout().clone(),
            p.weights()
                .iter()
                .map(|w| w.map(|x| x as f32 * 0.5))
                .collect(),
        );
        let cert = certify_cells(&m, &float, w).unwrap();
        assert!(cert.certified, "{cert:?}");
        assert_eq!(cert.min_margin, Margin::Float(0.5));
        assert_eq!(
            serde_json::to_value(cert.min_margin).unwrap(),
            serde_json::json!(0.5)
        );
        assert_eq!(
            serde_json::to_value(certify_cells(&m, &p, w).unwrap().min_margin).unwrap(),
            serde_json::json!(1)
        );
        // Reading more offsets: zero weights there are certified as the local predictor,
        // non-zero ones are not certified, with the reason.
        let mut layout = p.layout().clone();
        layout.offsets.insert(0, 1);
        layout.offset_names.insert(0, "1".into());
        let mut weights = p.weights().to_vec();
        let v = p.layout().tokens.len();
        weights.insert(0, DMatrix::zeros(v, v));
        let wide = LinearAr::new(layout.clone(), weights.clone());
        assert!(certify_cells(&m, &wide, w).unwrap().certified);
        weights[0][(0, 0)] = 1;
        let stray = certify_cells(&m, &LinearAr::new(layout, weights), w).unwrap();
        assert!(!stray.certified);
        assert!(stray.reason.unwrap().contains("[1]"));
    }

    #[test]
    fn compiled_sweep_is_certified_and_a_broken_weight_is_caught() {
        use crate::encoding::sweep::compile::machine_to_sweep_predictor;
        let m = from_standard("1RB1RZ_1LB0RC_1LC1LA", "bb3").unwrap();
        let w = Window { size: 8, origin: 4 };
        let p = machine_to_sweep_predictor(&m, w).unwrap();
        let cert = certify_sweep(&m, &p, w).unwrap();
        assert!(cert.certified, "{cert:?}");
        assert_eq!(cert.min_margin, Margin::Exact(1));
        // Make the marker above start state B instead of A.
        let dict = sweep::Dictionary::new(&m);
        let start0 = dict.encode(SweepToken::Start(crate::machine::SymbolId(0)));
        let b0 = dict.encode(SweepToken::Cell {
            symbol: crate::machine::SymbolId(0),
            head: Some(crate::machine::StateId(1)),
        });
        let mut weights: Vec<DMatrix<i32>> = p.weights().to_vec();
        weights[sweep::ABOVE][(b0.index(), start0.index())] += 3;
        let broken = LinearAr::new(p.layout().clone(), weights);
        let cert = certify_sweep(&m, &broken, w).unwrap();
        assert!(!cert.certified);
        assert_eq!(cert.failures[0].context[1], "⟨▸0⟩");
        assert_eq!(cert.failures[0].got, "⟨B,0⟩");
        // A cells predictor is refused: its labels are not the sweep dictionary.
        assert!(matches!(
            certify_sweep(&m, &machine_to_cells_predictor(&m, w), w),
            Err(CertifyError::Dictionary { .. })
        ));
    }

    #[test]
    fn sweep_context_count_matches_the_formula() {
        use crate::encoding::sweep::compile::machine_to_sweep_predictor;
        use crate::encoding::sweep::Fold;
        use crate::machine::Move;
        // Stays, a missing rule, a halting state, moves both ways.
        let m = from_standard("1RA1SB0LA_2SC---1RB", "mixed").unwrap();
        let w = Window { size: 3, origin: 0 };
        let cert = certify_sweep(&m, &machine_to_sweep_predictor(&m, w).unwrap(), w).unwrap();
        assert!(cert.certified, "{cert:?}");
        let f = FoldedMachine::new(&m).unwrap();
        // proofs/sweep.md#certificate: n0 plain tokens (= markers), n1 heads, f_R / f_L heads
        // that move R / L.
        let (n0, n1) = (
            m.num_symbols() as u64,
            (m.num_symbols() * m.num_states()) as u64,
        );
        let dict = sweep::Dictionary::new(&m);
        let moving = |way| {
            dict.cells()
                .filter(|&t| match t {
                    SweepToken::Cell {
                        symbol,
                        head: Some(q),
                    } => matches!(
                        f.fold(q, symbol), Fold::Move { movement, .. } if movement == way
                    ),
                    _ => false,
                })
                .count() as u64
        };
        let (fr, fl) = (moving(Move::R), moving(Move::L));
        let with_markers = (n0 + 1) * ((2 * n0 + 1) * 2 * n0 - (n0 + 1) * n0);
        let plain = (n0 + 1) * (n0 + 1) * n0;
        let one_head = n1 * (n0 + 1) * (n0 + 1) + 2 * n1 * n0 * (n0 + 1);
        let two_heads = (fr + fl) * n0 * (n0 + 1);
        let sep = (n0 + n1 + n0) * (n0 + n1 + n0);
        assert_eq!(
            cert.contexts,
            with_markers + plain + one_head + two_heads + sep
        );
    }

    #[test]
    fn gates_of_bb2_are_certified() {
        let m = crate::machine::load::from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 5, origin: 2 };
        let cert = certify_gates(&m, w, 6).unwrap();
        assert!(cert.certified, "{:?}", cert.failures);
        assert_eq!(cert.gates, 6 * 5 * 8);
        assert_eq!(cert.gate_checks.len(), 40);
        assert_eq!(cert.enumerated + cert.proved, 40);
        assert_eq!(cert.min_margin, 1);
        assert!(cert.contexts > 40 * 8);
        assert!(cert.circuit.certified);
        assert_eq!(cert.circuit.gates, 6 * 40);
    }
    #[test]
    fn a_gates_map_that_reads_its_own_row_is_a_stray_read() {
        use crate::predictor::time_dependent::TimeDependentAr;
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 4, origin: 2 };
        let p = crate::encoding::gates::machine_to_gates_predictor(&m, w).unwrap();
        // Map 5 also weighs the bit one back (bit 4 of the row being generated) by token.
        let maps = (0..p.num_maps())
            .map(|k| {
                let mut map = p.map(k).to_vec();
                if k == 5 {
                    map.push(Entry {
                        offset: 1,
                        input: 1,
                        output: 1,
                        weight: 1,
                    });
                }
                (p.map_name(k).to_string(), map)
            })
            .collect();
        let broken = TimeDependentAr::new(maps, p.schedule()).unwrap();
        let cert = certify_gates_with(&m, &broken, w, 6).unwrap();
        assert!(!cert.certified);
        assert_eq!(cert.stray_reads.len(), 1, "{:?}", cert.stray_reads);
        assert!(cert.stray_reads[0].starts_with("c0=⟨B,1⟩ reads offset 1"));
    }
}
