//! Progress on stderr (indicatif): bars, spinners and the training bar; hidden with --json.

use arsim::learn::Progress;
use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar on stderr, hidden with --json or when stderr is not a terminal.
pub fn progress_bar(json: bool, total: u64, unit: &str) -> ProgressBar {
    if json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{human_pos}}/{{human_len}} {unit} ({{per_sec}}, eta {{eta}})"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// The bar of a training run: steps with the running loss and tokens per second, then the
/// evaluation's units.
pub struct TrainingBar {
    pub bar: ProgressBar,
    pub json: bool,
    pub unit: &'static str,
    pub evaluating: bool,
}

impl TrainingBar {
    pub fn new(json: bool, unit: &'static str) -> TrainingBar {
        let bar = if json {
            ProgressBar::hidden()
        } else {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} step {human_pos}/{human_len} (eta {eta}) {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        };
        TrainingBar {
            bar,
            json,
            unit,
            evaluating: false,
        }
    }

    pub fn update(&mut self, p: arsim::nn::Progress) {
        match p {
            arsim::nn::Progress::Step {
                step,
                steps,
                loss,
                tokens_per_second,
            } => {
                self.bar.set_length(steps as u64);
                self.bar.set_position(step as u64);
                self.bar
                    .set_message(format!("loss {loss:.4} · {tokens_per_second:.0} tokens/s"));
            }
            arsim::nn::Progress::Evaluate { done, total } => {
                if !self.evaluating {
                    self.evaluating = true;
                    self.bar.finish_and_clear();
                    self.bar = progress_bar(self.json, total as u64, self.unit);
                }
                self.bar.set_position(done as u64);
            }
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

pub fn spinner(json: bool, unit: &str) -> ProgressBar {
    if json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} [{{elapsed_precise}}] {{human_pos}} {unit} ({{per_sec}})"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar
}

/// A progress callback that shows each phase as a bar (nothing with --json).
pub fn phase_bars(json: bool) -> impl FnMut(Progress) {
    let mut bar: Option<ProgressBar> = None;
    move |p| match p {
        Progress::Phase { name, total } => {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            bar = Some(progress_bar(json, total, name));
        }
        Progress::Done(n) => {
            if let Some(b) = &bar {
                b.set_position(n);
                if b.length() == Some(n) {
                    b.finish_and_clear();
                }
            }
        }
    }
}
