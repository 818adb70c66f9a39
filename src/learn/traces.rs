//! The trace format a learner reads: an encoding of the machine on the learner's window.
//!
//! A learner needs from an encoding exactly what [`Encoding`](crate::encoding::Encoding) says: the reference stream of an
//! input (the interpreter's trace, produced row by row), the prompt (one row), the stop rule,
//! the decoding of a row for the answer, the dictionary's names, the offsets of
//! `--window all|local`, and the compiled predictor that the learned one is compared with. So
//! the format is any encoding behind one type ([`DynEncoding`](crate::encoding::DynEncoding)): arsim's
//! own, or one defined elsewhere ([`crate::learn::learn_encoding`]). Every encoding can be learned:
//! - `cells`: rows `SEP enc(C)` of S+1 tokens; the compiled predictor is time-invariant at
//!   offsets S, S+1, S+2 (proofs/cells.md);
//! - `sweep`: rows of S+1 tokens, one per run of right moves; time-invariant at 1, S, S+1
//!   (proofs/sweep.md);
//! - `gates`: rows of R = S·B one-hot bits over {0, 1}; the compiled predictor is
//!   time-dependent, its gate k of a row reading bits of the previous row's three cells at
//!   offsets R − 2B + 1 … R + 2B − 1, and its threshold as a bias at offset 1
//!   (proofs/gates.md).

pub use crate::encoding::DynEncoding as TraceFormat;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::WindowKind;
    use crate::encoding::{Encoding, EncodingKind};
    use crate::machine::load::from_standard;
    use crate::predictor::{Predictor, TokenId};
    use crate::weights::Weights;
    use crate::window::Window;

    #[test]
    fn both_formats_stream_the_same_run() {
        let m = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let w = Window { size: 4, origin: 2 };
        let cells = TraceFormat::of_kind(EncodingKind::Cells, &m, w).unwrap();
        let gates = TraceFormat::of_kind(EncodingKind::Gates, &m, w).unwrap();
        let c: Vec<TokenId> = cells
            .trace(&m, &crate::machine::Input::default(), 100)
            .unwrap()
            .collect();
        let g: Vec<TokenId> = gates
            .trace(&m, &crate::machine::Input::default(), 100)
            .unwrap()
            .collect();
        assert_eq!(c.len(), 7 * cells.row_len());
        assert_eq!(g.len(), 7 * gates.row_len());
        // Row by row, both decode to the same configuration.
        for (rc, rg) in c.chunks(cells.row_len()).zip(g.chunks(gates.row_len())) {
            assert_eq!(cells.decode_row(rc), gates.decode_row(rg));
            assert!(cells.decode_row(rc).is_some());
        }
        assert_eq!(gates.vocab(), 2);
        // The local gates window is the compiled predictor's span.
        let Weights::Sparse(p) = gates.compile(&m).unwrap() else {
            panic!("gates compile to a time-dependent predictor")
        };
        let local = gates.learner_offsets(WindowKind::Local);
        assert!(p
            .csr()
            .1
            .iter()
            .all(|e| local.contains(&(e.offset as usize))));
        assert!(p.max_offset() <= *local.last().unwrap());
        // Sweep rows decode to the configuration at the end of their path, the last one final.
        let sweep = TraceFormat::of_kind(EncodingKind::Sweep, &m, w).unwrap();
        let sw: Vec<TokenId> = sweep
            .trace(&m, &crate::machine::Input::default(), 100)
            .unwrap()
            .collect();
        let last = sweep.decode_row(&sw[sw.len() - sweep.row_len()..]).unwrap();
        assert_eq!(
            Some(last),
            cells.decode_row(&c[c.len() - cells.row_len()..])
        );
    }
}
