//! Progress on stderr (indicatif): bars, spinners and the training bar; hidden with --json.

use arsim::learn::LearnProgress;
use indicatif::{ProgressBar, ProgressStyle};

/// A rate with three significant digits and an SI prefix: `19.6 M` for 19,554,188.15 (the
/// unit and "/s" follow in the template). indicatif's own `{per_sec}` prints every digit and
/// four decimals.
pub fn human_rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        return "0".into();
    }
    let (value, prefix) = [(1e12, " T"), (1e9, " G"), (1e6, " M"), (1e3, " k")]
        .into_iter()
        .find(|&(scale, _)| per_sec >= scale)
        .map(|(scale, p)| (per_sec / scale, p))
        .unwrap_or((per_sec, ""));
    let digits = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.digits$}{prefix}")
}

/// A style from `template`, whose `{rate}` key is [`human_rate`] of the bar's speed.
fn style(template: &str, fallback: ProgressStyle) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .map(|s| {
            s.with_key(
                "rate",
                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{}", human_rate(state.per_sec()));
                },
            )
        })
        .unwrap_or(fallback)
}

/// A progress bar on stderr, hidden with --json or when stderr is not a terminal.
pub fn progress_bar(json: bool, total: u64, unit: &str) -> ProgressBar {
    if json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(style(
        &format!(
            "{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{human_pos}}/{{human_len}} {unit} ({{rate}} {unit}/s, eta {{eta}})"
        ),
        ProgressStyle::default_bar(),
    ));
    bar
}

/// A spinner that names a phase whose length is unknown (reading, tokenizing, counting).
pub fn phase_spinner(json: bool, phase: &str) -> ProgressBar {
    if json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(style(
        "{spinner} [{elapsed_precise}] {msg}",
        ProgressStyle::default_spinner(),
    ));
    bar.set_message(phase.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
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
            training_bar()
        };
        TrainingBar {
            bar,
            json,
            unit,
            evaluating: false,
        }
    }

    pub fn update(&mut self, p: arsim::nn::TrainProgress) {
        match p {
            arsim::nn::TrainProgress::Phase(name) => {
                self.bar.finish_and_clear();
                self.bar = phase_spinner(self.json, name);
            }
            arsim::nn::TrainProgress::Step {
                step,
                steps,
                loss,
                tokens_per_second,
            } => {
                if self.bar.length().is_none() && !self.json {
                    // The previous event was a phase spinner: back to the training bar.
                    self.bar.finish_and_clear();
                    self.bar = training_bar();
                }
                self.bar.set_length(steps as u64);
                self.bar.set_position(step as u64);
                self.bar
                    .set_message(format!("loss {loss:.4} · {tokens_per_second:.0} tokens/s"));
            }
            arsim::nn::TrainProgress::Evaluate { done, total } => {
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

/// The bar of training steps (its total is set by the first step).
fn training_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(style(
        "{spinner} [{elapsed_precise}] {wide_bar} step {human_pos}/{human_len} (eta {eta}) {msg}",
        ProgressStyle::default_bar(),
    ));
    bar
}

/// A counter without a known total (a run's steps up to a limit it may never reach).
pub fn spinner(json: bool, unit: &str) -> ProgressBar {
    if json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(style(
        &format!("{{spinner}} [{{elapsed_precise}}] {{human_pos}} {unit} ({{rate}} {unit}/s)"),
        ProgressStyle::default_spinner(),
    ));
    bar
}

/// A progress callback that shows each phase as a bar (nothing with --json).
pub fn phase_bars(json: bool) -> impl FnMut(LearnProgress) {
    let mut bar: Option<ProgressBar> = None;
    move |p| match p {
        LearnProgress::Phase { name, total } => {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            bar = Some(progress_bar(json, total, name));
        }
        LearnProgress::Done(n) => {
            if let Some(b) = &bar {
                b.set_position(n);
                if b.length() == Some(n) {
                    b.finish_and_clear();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::human_rate;

    #[test]
    fn rates_are_three_digits_and_a_prefix() {
        assert_eq!(human_rate(19_554_188.1518), "19.6 M");
        assert_eq!(human_rate(950.0), "950");
        assert_eq!(human_rate(1_234.0), "1.23 k");
        assert_eq!(human_rate(6.78e9), "6.78 G");
        assert_eq!(human_rate(0.0), "0");
        assert_eq!(human_rate(f64::NAN), "0");
    }
}
