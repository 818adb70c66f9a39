//! The machine model: a deterministic one-tape Turing machine after validation.
//!
//! This is the first stage of the pipeline (`machines/*.ron` → [`Machine`] → run, compile).
//! A [`Machine`] can only be built by [`validate`](validate::validate), so every
//! later stage trusts it: states and symbols are dense ids, the transition table is total
//! (a missing rule is an explicit `None`), halting states have no rules.
//!
//! Loading lives in the submodules: [`ron_format`] for arsim's own `.ron` files,
//! [`standard`] for the bbchallenge standard text format, [`seed`] for its binary seed
//! format, [`morphett`] and [`yaml`] for the Morphett and turingmachine.io formats, [`load`]
//! to pick one; [`convert`] writes a machine in any of them.

pub mod convert;
pub mod inputs;
pub mod load;
pub mod model;
pub mod morphett;
pub mod ron_format;
pub mod seed;
pub mod spec;
pub mod standard;
pub mod validate;
pub mod yaml;

pub(crate) use model::split_head_marker;
pub use model::{
    Example, HeadStartError, Input, InputDistribution, InputError, Machine, Move, StateId, Stop,
    SymbolId, Transition, Undefined, HEAD_MARKER,
};

pub use inputs::{DistributionSpec, Pattern};
pub use load::{
    load_machine, load_machine_as, load_machine_with, LoadError, LoadOptions, Loaded, MachineFormat,
};
pub use spec::{ExampleSpec, MachineSpec, RuleSpec};
pub use validate::{validate, ValidationError, ValidationErrors};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::load::{from_ron_text, from_standard};

    #[test]
    fn a_star_marks_the_head_start_unless_it_is_a_symbol() {
        let bb2 = from_standard("1RB1LB_1LA1RZ", "bb2").unwrap();
        let word = |w: &str| bb2.parse_input(w).map(|i| (bb2.render(&i), i.head));
        assert_eq!(word("101"), Ok(("101".into(), 0)));
        assert_eq!(word("10*1"), Ok(("101".into(), 2)));
        assert_eq!(word("11*"), Ok(("11".into(), 2)));
        // The first `*` marks the start; every `*` is removed (Morphett's replace(/\*/g, "")).
        assert_eq!(word("*1*0*"), Ok(("10".into(), 0)));
        assert_eq!(word("1*0*1"), Ok(("101".into(), 1)));
        // A bad character is named at its position in the word as typed.
        let e = bb2.parse_input("1*x").unwrap_err();
        assert_eq!((e.position, e.symbol), (2, 'x'));
        for w in ["10*1", "11*", "101"] {
            assert_eq!(bb2.render_input(&bb2.parse_input(w).unwrap()), w);
        }
        assert_eq!(bb2.render_input(&Input::new(vec![SymbolId(1)], 3)), "100*");
        // A machine whose alphabet holds `*` reads it as that symbol.
        let star = from_ron_text(
            r#"(symbols: ["0", "1", "*"], blank: "0", states: ["A", "Z"], start: "A",
                halting: ["Z"], rules: [("A", "*", "1", R, "Z")],
                examples: [(input: "1*", steps: 0, stop: "no-rule")])"#,
            "star.ron",
            "star",
        )
        .unwrap();
        let i = star.parse_input("1*1").unwrap();
        assert_eq!((star.render(&i), i.head), ("1*1".into(), 0));
        assert_eq!(star.examples()[0].input, star.parse_input("1*").unwrap());
        assert_eq!(star.examples()[0].input.len(), 2);
        // Where every run starts on cell 0 (learn's listed inputs), a head start is refused.
        assert_eq!(
            Input::new(vec![SymbolId(1)], 1).into_word_from_first_cell(),
            Err(HeadStartError { head: 1 })
        );
    }
}
