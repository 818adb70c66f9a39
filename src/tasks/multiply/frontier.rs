//! The frontier of the paper's trade-off: for each chain of thought, the smallest model that
//! multiplies exactly, read from the reports of runs already made.
//!
//! Input: `arsim task multiply --json` reports (one file each): a network on the `none`,
//! `carry` or `paper` chain, or the Turing machine's predictor on its trace (`--cot tm`). Runs
//! of one model on one chain (same architecture and parameter count) differing only in seed
//! are one [`Config`]; it *reaches* the threshold when the mean of its seeds' exact rates does,
//! and the report also says whether every seed did. For each chain the frontier is the
//! reaching config with the fewest parameters; a chain where none reaches it reports its best
//! config instead, and the budget is whatever the reports say they spent
//! (`training_flops`). Only reports scored on the validation pairs count: the test half is
//! scored once, for a row already chosen, so it must not choose one.
//!
//! [`plot_frontier`] draws chain tokens against parameters, both on log axes.

use crate::draw::plot::{chart_with_legend, draw_series, render, Frame, LegendEntry, Series};
pub use crate::draw::plot::{check_path, PlotError};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One report, as the frontier reads it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportedRun {
    /// The report file.
    pub file: PathBuf,
    /// The chain of thought: `none`, `carry`, `paper`, or `tm`.
    pub chain: String,
    /// Tokens per chain (prompt included; the mean over the scored pairs for `tm`).
    pub chain_tokens: f64,
    /// `mlp`, `linear`, `transformer`, `compiled` or `learned`.
    pub architecture: String,
    /// Embedding width d (networks).
    pub d: Option<usize>,
    /// Parameters (networks), or non-zero weights (the Turing machine's predictors).
    pub parameters: u64,
    /// The training seed (networks).
    pub seed: Option<u64>,
    /// Pairs scored.
    pub pairs: usize,
    /// Fraction of pairs with all 8 answer digits right.
    pub exact_rate: f64,
    /// Fraction of answer digits right (networks).
    pub per_digit_accuracy: Option<f64>,
    /// Training FLOPs spent (networks).
    pub training_flops: Option<f64>,
    /// How it was trained, besides the seed.
    pub training: TrainingConfig,
}

/// How a run was trained, besides its seed: runs of one model that differ here are different
/// configs (a model trained with another recipe or budget is another point of the frontier).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingConfig {
    /// `arsim` or `paper` (`--paper-config`); absent for the machine's predictors.
    pub recipe: Option<String>,
    /// Training sequences (networks) or traces (the learned predictor).
    pub train_seqs: Option<u64>,
    /// Batch size.
    pub batch: Option<usize>,
    /// Peak learning rate.
    pub lr: Option<f64>,
}

/// The fields of a `task multiply --json` report that the frontier needs.
#[derive(Deserialize)]
struct ReportFile {
    cot: Option<String>,
    model: ModelField,
    parameters: u64,
    chain_tokens: Option<f64>,
    chain_tokens_mean: Option<f64>,
    seed: Option<u64>,
    training_flops: Option<f64>,
    eval_split: Option<String>,
    split: Option<String>,
    validation: Scores,
    #[serde(flatten)]
    training: TrainingConfig,
    /// Where the run's training stood when it was scored (networks).
    #[serde(rename = "training")]
    progress: Option<Progress>,
}

/// The part of a report's `training` object that says how far it went.
#[derive(Deserialize)]
struct Progress {
    started_at_step: u64,
    steps: u64,
}

/// `model` is the network's configuration, or the name of the Turing machine's predictor.
#[derive(Deserialize)]
#[serde(untagged)]
enum ModelField {
    Network { architecture: String, d: usize },
    Machine(String),
}

#[derive(Deserialize)]
struct Scores {
    pairs: usize,
    exact_rate: f64,
    per_digit_accuracy: Option<f64>,
}

/// Why a report cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum FrontierError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not the JSON report of one multiplication row.
    #[error("{path}: not the report of a multiplication run: {message}")]
    Report {
        /// The file.
        path: String,
        /// What serde said.
        message: String,
    },
    /// A report scored on the test half.
    #[error("{path}: scored on the {split} pairs; the frontier is chosen on validation reports only (the test half is scored once, for a chosen row)")]
    Split {
        /// The file.
        path: String,
        /// Its split.
        split: String,
    },
    /// A report of a run stopped before the end of its schedule (`stop_at`).
    #[error("{path}: training stopped at step {step} of {of} (stopped early); the frontier compares finished runs (resume it to the end)")]
    Unfinished {
        /// The file.
        path: String,
        /// The step it stopped at.
        step: u64,
        /// The schedule's steps.
        of: u64,
    },
    /// The threshold is not a rate.
    #[error("the threshold {0} is not in (0, 1]")]
    Threshold(f64),
    /// Nothing to read.
    #[error("no reports given")]
    Empty,
}

/// Reads one report.
pub fn read_run(path: &Path) -> Result<ReportedRun, FrontierError> {
    let shown = path.display().to_string();
    let text = crate::fs::read_text_bounded(path, crate::limits::MAX_FILE).map_err(|source| {
        FrontierError::Io {
            path: shown.clone(),
            source,
        }
    })?;
    let r: ReportFile = serde_json::from_str(&text).map_err(|e| FrontierError::Report {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let split = r
        .eval_split
        .or(r.split)
        .unwrap_or_else(|| "validation".into());
    if split != "validation" {
        return Err(FrontierError::Split { path: shown, split });
    }
    if let (Some(p), Some(seqs), Some(batch)) =
        (&r.progress, r.training.train_seqs, r.training.batch)
    {
        let (step, of) = (
            p.started_at_step + p.steps,
            seqs.div_ceil(batch.max(1) as u64),
        );
        if step < of {
            return Err(FrontierError::Unfinished {
                path: shown,
                step,
                of,
            });
        }
    }
    let (chain, architecture, d) = match r.model {
        ModelField::Network { architecture, d } => (r.cot, architecture, Some(d)),
        ModelField::Machine(name) => (Some("tm".to_string()), name, None),
    };
    let chain_tokens = r.chain_tokens.or(r.chain_tokens_mean);
    let (Some(chain), Some(chain_tokens)) = (chain, chain_tokens) else {
        return Err(FrontierError::Report {
            path: shown,
            message: "it names no chain of thought or no chain length".into(),
        });
    };
    Ok(ReportedRun {
        file: path.to_path_buf(),
        chain,
        chain_tokens,
        architecture,
        d,
        parameters: r.parameters,
        seed: r.seed,
        pairs: r.validation.pairs,
        exact_rate: r.validation.exact_rate,
        per_digit_accuracy: r.validation.per_digit_accuracy,
        training_flops: r.training_flops,
        training: r.training,
    })
}

/// The runs of one model on one chain, over seeds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Config {
    /// The chain of thought.
    pub chain: String,
    /// The architecture.
    pub architecture: String,
    /// Embedding width d (networks).
    pub d: Option<usize>,
    /// Parameters (networks) or non-zero weights (the machine's predictors).
    pub parameters: u64,
    /// The runs' seeds (networks), in the order read.
    pub seeds: Vec<u64>,
    /// Mean exact rate over the runs.
    pub exact_rate_mean: f64,
    /// Sample standard deviation of the exact rate (0 for one run).
    pub exact_rate_std: f64,
    /// Lowest exact rate of a run.
    pub exact_rate_min: f64,
    /// Mean per-digit accuracy (networks).
    pub per_digit_accuracy_mean: Option<f64>,
    /// Mean training FLOPs of a run (networks).
    pub training_flops: Option<f64>,
    /// How its runs were trained (the same for each).
    pub training: TrainingConfig,
    /// The mean exact rate is at least the threshold.
    pub reaches: bool,
    /// Every run's exact rate is.
    pub every_run_reaches: bool,
    /// The report files.
    pub files: Vec<PathBuf>,
}

/// One chain's frontier point.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChainFrontier {
    /// The chain of thought.
    pub chain: String,
    /// Tokens per chain (mean over its runs).
    pub chain_tokens: f64,
    /// The config with the fewest parameters that reaches the threshold.
    pub smallest: Option<Config>,
    /// The config with the fewest parameters whose every run reaches it.
    pub smallest_every_run: Option<Config>,
    /// Where none reaches it: the config with the best mean exact rate (ties: per digit).
    pub best: Option<Config>,
    /// Every config of the chain, by parameters.
    pub configs: Vec<Config>,
}

/// The frontier over every chain, by chain length.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FrontierReport {
    /// The exact rate a model must reach.
    pub threshold: f64,
    /// Reports read.
    pub runs: usize,
    /// One entry per chain, shortest first.
    pub chains: Vec<ChainFrontier>,
}

/// Groups `runs` into configs and finds each chain's smallest model reaching `threshold`.
pub fn frontier(runs: &[ReportedRun], threshold: f64) -> Result<FrontierReport, FrontierError> {
    if !(threshold > 0.0 && threshold <= 1.0) {
        return Err(FrontierError::Threshold(threshold));
    }
    if runs.is_empty() {
        return Err(FrontierError::Empty);
    }
    let mut chains: Vec<String> = runs.iter().map(|r| r.chain.clone()).collect();
    chains.sort();
    chains.dedup();
    let mut out: Vec<ChainFrontier> = chains
        .into_iter()
        .map(|chain| chain_frontier(runs, &chain, threshold))
        .collect();
    out.sort_by(|a, b| a.chain_tokens.total_cmp(&b.chain_tokens));
    Ok(FrontierReport {
        threshold,
        runs: runs.len(),
        chains: out,
    })
}

fn chain_frontier(runs: &[ReportedRun], chain: &str, threshold: f64) -> ChainFrontier {
    let of_chain: Vec<&ReportedRun> = runs.iter().filter(|r| r.chain == chain).collect();
    let chain_tokens = of_chain.iter().map(|r| r.chain_tokens).sum::<f64>() / of_chain.len() as f64;
    // A config is a model and how it was trained; its runs differ in the seed only.
    let same = |a: &ReportedRun, b: &ReportedRun| {
        (a.parameters, &a.architecture, a.d, &a.training)
            == (b.parameters, &b.architecture, b.d, &b.training)
    };
    let mut groups: Vec<Vec<&ReportedRun>> = Vec::new();
    for &r in &of_chain {
        match groups.iter_mut().find(|g| same(g[0], r)) {
            Some(g) => g.push(r),
            None => groups.push(vec![r]),
        }
    }
    groups.sort_by_key(|g| (g[0].parameters, g[0].architecture.clone(), g[0].d));
    let configs: Vec<Config> = groups
        .iter()
        .map(|group| config(chain, group, threshold))
        .collect();
    let smallest = configs.iter().find(|c| c.reaches).cloned();
    let smallest_every_run = configs.iter().find(|c| c.every_run_reaches).cloned();
    let best = match smallest {
        Some(_) => None,
        None => configs
            .iter()
            .max_by(|a, b| {
                a.exact_rate_mean.total_cmp(&b.exact_rate_mean).then(
                    a.per_digit_accuracy_mean
                        .unwrap_or(0.0)
                        .total_cmp(&b.per_digit_accuracy_mean.unwrap_or(0.0)),
                )
            })
            .cloned(),
    };
    ChainFrontier {
        chain: chain.to_string(),
        chain_tokens,
        smallest,
        smallest_every_run,
        best,
        configs,
    }
}

fn config(chain: &str, group: &[&ReportedRun], threshold: f64) -> Config {
    let n = group.len() as f64;
    let rates: Vec<f64> = group.iter().map(|r| r.exact_rate).collect();
    let mean = rates.iter().sum::<f64>() / n;
    let std = if group.len() > 1 {
        (rates.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    let mean_of = |f: fn(&ReportedRun) -> Option<f64>| {
        let v: Vec<f64> = group.iter().filter_map(|r| f(r)).collect();
        (v.len() == group.len()).then(|| v.iter().sum::<f64>() / n)
    };
    Config {
        chain: chain.to_string(),
        architecture: group[0].architecture.clone(),
        d: group[0].d,
        parameters: group[0].parameters,
        seeds: group.iter().filter_map(|r| r.seed).collect(),
        exact_rate_mean: mean,
        exact_rate_std: std,
        exact_rate_min: rates.iter().copied().fold(f64::INFINITY, f64::min),
        per_digit_accuracy_mean: mean_of(|r| r.per_digit_accuracy),
        training_flops: mean_of(|r| r.training_flops),
        training: group[0].training.clone(),
        reaches: mean >= threshold,
        every_run_reaches: rates.iter().all(|&x| x >= threshold),
        files: group.iter().map(|r| r.file.clone()).collect(),
    }
}

/// Figure size in pixels.
const SIZE: (u32, u32) = (860, 540);

/// Writes the frontier figure to `path` (`.svg` or `.png`), whole or not at all: chain tokens
/// against parameters (both log10), every config a dot (filled colour: it reaches the
/// threshold; grey: it does not), and the frontier line through each chain's smallest
/// reaching config.
pub fn plot_frontier(report: &FrontierReport, path: &Path) -> Result<(), PlotError> {
    render(path, SIZE, &|root| draw(root, report), &|root| {
        draw(root, report)
    })
}

/// Okabe-Ito colours (colour-blind safe), one per architecture, grey for what falls short.
fn colour(architecture: &str) -> RGBColor {
    match architecture {
        "mlp" => RGBColor(0, 114, 178),
        "linear" => RGBColor(213, 94, 0),
        "transformer" => RGBColor(0, 158, 115),
        "compiled" => RGBColor(204, 121, 167),
        "learned" => RGBColor(230, 159, 0),
        _ => RGBColor(86, 180, 233),
    }
}
const SHORT: RGBColor = RGBColor(153, 153, 153);

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &FrontierReport,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    // Configs of one chain share an x; each architecture is nudged sideways so that two of
    // the same size (`mlp` and `linear` at one d) do not hide each other.
    let nudge = |architecture: &str| match architecture {
        "mlp" => -0.035,
        "transformer" => 0.035,
        _ => 0.0,
    };
    let at = |c: &ChainFrontier, k: &Config| {
        (
            c.chain_tokens.log10() + nudge(&k.architecture),
            (k.parameters.max(1) as f64).log10(),
        )
    };
    let all: Vec<(f64, f64)> = report
        .chains
        .iter()
        .flat_map(|c| c.configs.iter().map(move |k| at(c, k)))
        .collect();
    let span = |f: fn(&(f64, f64)) -> f64| {
        let lo = all.iter().map(f).fold(f64::INFINITY, f64::min);
        let hi = all.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
        (lo.floor() - 0.3)..(hi.ceil() + 0.3)
    };
    let (xr, yr) = (span(|p| p.0), span(|p| p.1));
    let percent = report.threshold * 100.0;
    let mut architectures: Vec<&str> = report
        .chains
        .iter()
        .flat_map(|c| c.configs.iter().filter(|k| k.reaches))
        .map(|k| k.architecture.as_str())
        .collect();
    architectures.sort();
    architectures.dedup();
    let mut series: Vec<Series> = architectures
        .iter()
        .map(|&a| {
            let dots: Vec<(f64, f64)> = report
                .chains
                .iter()
                .flat_map(|c| {
                    c.configs
                        .iter()
                        .filter(|k| k.reaches && k.architecture == a)
                        .map(move |k| at(c, k))
                })
                .collect();
            Series {
                entry: LegendEntry {
                    label: format!("{a}: >= {percent:.0}% exact"),
                    color: colour(a),
                    stroke: 2,
                },
                line: Vec::new(),
                dots,
                dot_radius: 6,
            }
        })
        .collect();
    let short: Vec<(f64, f64)> = report
        .chains
        .iter()
        .flat_map(|c| {
            c.configs
                .iter()
                .filter(|k| !k.reaches)
                .map(move |k| at(c, k))
        })
        .collect();
    if !short.is_empty() {
        series.push(Series {
            entry: LegendEntry {
                label: format!("any model: < {percent:.0}% exact"),
                color: SHORT,
                stroke: 2,
            },
            line: Vec::new(),
            dots: short,
            dot_radius: 4,
        });
    }
    let line: Vec<(f64, f64)> = report
        .chains
        .iter()
        .filter_map(|c| c.smallest.as_ref().map(|k| at(c, k)))
        .collect();
    if !line.is_empty() {
        series.push(Series {
            entry: LegendEntry {
                label: "frontier: fewest parameters reaching it".into(),
                color: BLACK,
                stroke: 2,
            },
            line,
            dots: Vec::new(),
            dot_radius: 0,
        });
    }
    let frame = Frame::new(
        format!("Smallest model >= {percent:.0}% exact, per chain of thought"),
        xr.clone(),
        yr,
    );
    let (mut chart, legend) = chart_with_legend(root, &frame, &series, 14)?;
    chart
        .configure_mesh()
        .x_desc("chain-of-thought tokens (log scale)")
        .y_desc("parameters or non-zero weights (log scale)")
        .x_labels(((xr.end - xr.start).ceil() as usize * 2).clamp(2, 16))
        .y_labels(16)
        .x_label_formatter(&|x| crate::draw::plot::log_tick(*x, 10.0))
        .y_label_formatter(&|y| crate::draw::plot::log_tick(*y, 10.0))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    draw_series(&mut chart, &series)?;
    // Name each chain under its column of dots.
    let bottom = chart.y_range().start;
    for c in &report.chains {
        let name = format!("{} ({:.0})", c.chain, c.chain_tokens);
        chart
            .draw_series(std::iter::once(Text::new(
                name,
                (c.chain_tokens.log10(), bottom + 0.08),
                ("sans-serif", 13).into_font().color(&BLACK),
            )))
            .map_err(err)?;
    }
    legend.draw(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        chain: &str,
        tokens: f64,
        arch: &str,
        d: usize,
        params: u64,
        seed: u64,
        exact: f64,
    ) -> ReportedRun {
        ReportedRun {
            file: PathBuf::from(format!("{chain}-{arch}-d{d}-s{seed}.json")),
            chain: chain.into(),
            chain_tokens: tokens,
            architecture: arch.into(),
            d: Some(d),
            parameters: params,
            seed: Some(seed),
            pairs: 2000,
            exact_rate: exact,
            per_digit_accuracy: Some(exact),
            training_flops: Some(1e12),
            training: TrainingConfig::default(),
        }
    }

    #[test]
    fn runs_trained_another_way_are_another_config() {
        let mut paper = run("paper", 307.0, "mlp", 16, 12_033_605, 0, 0.0);
        paper.training.recipe = Some("paper".into());
        paper.training.batch = Some(2048);
        let runs = vec![
            run("paper", 307.0, "mlp", 16, 12_033_605, 0, 0.0),
            run("paper", 307.0, "mlp", 16, 12_033_605, 1, 0.0),
            paper,
        ];
        let f = frontier(&runs, 0.99).unwrap();
        let configs = &f.chains[0].configs;
        assert_eq!(configs.len(), 2, "one config per way of training");
        assert_eq!(configs[0].seeds, vec![0, 1]);
        assert_eq!(configs[1].training.recipe.as_deref(), Some("paper"));
        assert_eq!(configs[1].seeds, vec![0]);
    }

    #[test]
    fn the_smallest_config_whose_seed_mean_reaches_the_threshold_is_the_frontier() {
        let runs = vec![
            run("carry", 75.0, "mlp", 4, 45_769, 0, 0.0),
            run("carry", 75.0, "mlp", 8, 180_253, 0, 0.9605),
            run("carry", 75.0, "mlp", 8, 180_253, 1, 0.992),
            run("carry", 75.0, "mlp", 8, 180_253, 2, 0.974),
            run("carry", 75.0, "mlp", 32, 2_852_629, 0, 0.987),
            run("carry", 75.0, "mlp", 32, 2_852_629, 1, 0.995),
            run("carry", 75.0, "mlp", 32, 2_852_629, 2, 0.9995),
            run("carry", 75.0, "linear", 32, 2_851_573, 0, 0.996),
            run("carry", 75.0, "linear", 32, 2_851_573, 1, 0.999),
            run("none", 19.0, "mlp", 64, 720_821, 0, 0.0),
            run("none", 19.0, "mlp", 128, 2_850_000, 0, 0.001),
        ];
        let f = frontier(&runs, 0.99).unwrap();
        assert_eq!(f.chains.len(), 2);
        assert_eq!(f.chains[0].chain, "none", "shortest chain first");
        let none = &f.chains[0];
        assert!(none.smallest.is_none());
        assert_eq!(none.best.as_ref().unwrap().d, Some(128));
        let carry = &f.chains[1];
        assert_eq!(carry.configs.len(), 4);
        // d = 8: mean 97.55%, short; d = 32 (mlp) 99.38% mean but one seed at 98.7%; linear
        // d = 32 has fewer parameters than the mlp and every seed above 99%.
        let smallest = carry.smallest.as_ref().unwrap();
        assert_eq!(
            (smallest.architecture.as_str(), smallest.parameters),
            ("linear", 2_851_573)
        );
        assert_eq!(
            carry.smallest_every_run.as_ref().unwrap().architecture,
            "linear"
        );
        let d8 = carry.configs.iter().find(|c| c.d == Some(8)).unwrap();
        assert_eq!(d8.seeds, vec![0, 1, 2]);
        assert!((d8.exact_rate_mean - 0.9755).abs() < 1e-9);
        assert!((d8.exact_rate_std - 0.015_803).abs() < 1e-5);
        assert!(!d8.reaches && !d8.every_run_reaches);
        assert!(carry.best.is_none());
        assert!(matches!(
            frontier(&runs, 1.5),
            Err(FrontierError::Threshold(_))
        ));
        assert!(matches!(frontier(&[], 0.99), Err(FrontierError::Empty)));
    }

    #[test]
    fn reports_are_read_and_test_split_ones_refused() {
        let dir = tempfile::tempdir().unwrap();
        let network = r#"{"schema_version":2,"cot":"carry","model":{"architecture":"mlp","vocab":117,"context":74,"d":8},
            "parameters":180253,"training_flops":1.5e12,"chain_tokens":75,"seed":1,"eval_split":"validation",
            "recipe":"arsim","train_seqs":1000064,"batch":128,"lr":0.005,"training":{"started_at_step":0,"steps":7813},
            "validation":{"pairs":2000,"exact":1984,"exact_rate":0.992,"per_digit_accuracy":0.998}}"#;
        let machine = r#"{"schema_version":2,"model":"compiled","machine":"binary-multiply","split":"validation",
            "validation":{"pairs":5,"exact":5,"exact_rate":1.0},"chain_tokens_mean":229814.6,"parameters":9445}"#;
        let test = network.replace("\"validation\",", "\"test\",");
        let unfinished = network.replace("\"steps\":7813", "\"steps\":4000");
        let paths: Vec<PathBuf> = [
            ("a.json", network),
            ("b.json", machine),
            ("c.json", &test),
            ("d.json", &unfinished),
        ]
        .iter()
        .map(|(name, text)| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        })
        .collect();
        let a = read_run(&paths[0]).unwrap();
        assert_eq!((a.chain.as_str(), a.d, a.seed), ("carry", Some(8), Some(1)));
        assert_eq!(a.training.recipe.as_deref(), Some("arsim"));
        assert_eq!((a.training.batch, a.training.lr), (Some(128), Some(0.005)));
        let b = read_run(&paths[1]).unwrap();
        assert_eq!(
            (b.chain.as_str(), b.architecture.as_str()),
            ("tm", "compiled")
        );
        assert_eq!((b.parameters, b.chain_tokens), (9445, 229814.6));
        assert!(matches!(
            read_run(&paths[2]),
            Err(FrontierError::Split { .. })
        ));
        assert!(matches!(
            read_run(&paths[3]),
            Err(FrontierError::Unfinished {
                step: 4000,
                of: 7813,
                ..
            })
        ));
        let f = frontier(&[a, b], 0.99).unwrap();
        let svg = dir.path().join("f.svg");
        plot_frontier(&f, &svg).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.contains("<svg") && text.contains("tm (229815)"));
        let png = dir.path().join("f.png");
        plot_frontier(&f, &png).unwrap();
        assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    }
}
