//! arsim: auto-regressive next-token predictors, even linear ones, emulate Turing machines
//! when given chain-of-thought tokens (Malach, ICML 2024), made executable.
//!
//! The pipeline, stage by stage (see `ARCHITECTURE.md`):
//!
//! 1. [`machine`]: load (`.ron`, bbchallenge standard format) and validate a [`Machine`];
//! 2. [`interpreter`]: the reference run;
//! 3. [`encoding`]: runs as token traces (`cells`, `sweep`; `gates`, the one-hot bits of the
//!    `cells` rows);
//! 4. [`compiler`]: machine → [`predictor::LinearAr`] weights; for `gates`, machine →
//!    [`circuit::ThresholdCircuit`] → [`time_dependent::TimeDependentAr`] (one sparse map per
//!    position), and [`tasks::parity`]'s circuits the same way;
//! 5. [`certify`]: the exhaustive local check of those weights;
//! 6. [`executor`] + [`verify`]: generate token by token, streaming, and compare every token;
//! 7. [`emulate`]: stages 2-6 in order, as `arsim emulate` runs them; [`export`] writes weights;
//! 8. [`learn`]: predictors learned from traces (perceptron, softmax regression, one
//!    perceptron per position), compared with the compiled ones on held-out inputs.
//!
//! Beside the pipeline, [`draw`] pictures runs (space-time diagrams) and weights (heatmaps),
//! and [`graph`] writes a machine's state graph as Graphviz DOT; [`tasks`] holds the paper's
//! experiments: 4-digit multiplication's vocabulary, split and chains of thought; TinyStories'
//! corpus, BPE and n-gram baselines. [`limits`] checks every size a user can give (a window,
//! a dictionary, a YAML document's depth) before it is allocated.
//!
//! ```
//! use arsim::{emulate::{emulate_cells, EmulateOptions}, machine::load_machine};
//! let bb2 = load_machine("1RB1LB_1LA1RZ").unwrap();
//! let opts = EmulateOptions { input: Default::default(), window: None, max_steps: 1_000 };
//! let report = emulate_cells(&bb2, &opts, &mut |_| {}).unwrap();
//! assert!(report.agree);
//! assert_eq!(report.steps, 6);
//! assert_eq!(report.generated_tokens, 6 * (report.tape_cells as u64 + 1));
//! ```

pub mod api;
pub mod certify;
pub mod circuit;
pub mod draw;
pub mod emulate;
pub mod encoding;
pub mod executor;
pub mod fs;
pub mod graph;
pub mod interpreter;
pub mod kernel;
pub mod learn;
pub mod length;
pub mod limits;
pub mod machine;
pub mod nn;
pub mod predictor;
pub mod rows;
pub mod tasks;
pub mod token;
pub mod verify;
pub mod weights;
pub mod window;

pub use machine::Machine;
