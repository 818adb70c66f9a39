//! arsim: auto-regressive next-token predictors, even linear ones, emulate Turing machines
//! when given chain-of-thought tokens (Malach, ICML 2024), made executable.
//!
//! The crate is in layers (`ARCHITECTURE.md`, held by `tests/architecture.rs`), bottom to top:
//!
//! 1. base: [`token`], [`limits`] (every size checked before it is allocated), [`fs`];
//! 2. machine: [`machine`] (load and validate a [`machine::Machine`]), [`interpreter`] (the
//!    reference run), [`graph`], [`window`] (a tape window and a configuration on it);
//! 3. engines, which know token ids only: [`predictor`], [`kernel`], [`executor`], [`rows`]
//!    (the row-parallel executor), [`verify`];
//! 4. [`weights`]: weight files;
//! 5. encodings: [`encoding`] (the [`encoding::Encoding`] trait, the registry, `cells`,
//!    `sweep`, `gates`: trace, compile, certify), [`certify`], [`circuit`];
//! 6. runs, written once over the trait: [`emulate`] (every generated token checked against
//!    the interpreter), [`length`], [`learn`], [`draw`];
//! 7. models and tasks: [`nn`], [`tasks`] (the paper's experiments);
//! 8. the front door, [`api`]: typed requests and reports, every check a shell must not hold on
//!    its own. The command line and the Python package call it.
//!
//! ```
//! use arsim::api::{load_run, prepare, EncodingKind, ExecutorOptions, MachineRequest};
//! let req = MachineRequest { machine: "1RB1LB_1LA1RZ".into(), ..Default::default() };
//! let run = load_run(&req).unwrap();
//! let p = prepare(&run.machine, &run.input, EncodingKind::Cells, None, None, 1_000).unwrap();
//! let r = p.emulate(&run.machine, run.input, 1_000, ExecutorOptions::default(), &mut |_| {});
//! let report = r.unwrap();
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
pub mod hf;
pub mod interpreter;
pub mod kernel;
pub mod learn;
pub mod length;
pub mod limits;
pub mod machine;
pub mod nn;
pub mod predictor;
pub mod printable;
pub mod rows;
pub mod tasks;
pub mod token;
pub mod verify;
pub mod weights;
pub mod window;
