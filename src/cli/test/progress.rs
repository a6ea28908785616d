//! A progress bar over the bundles being judged, for people watching a
//! terminal. Never drawn when stderr is not a terminal or in CI (`CI` set), so
//! it can never end up in logs, captured output or snapshots.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress(ProgressBar);

impl Progress {
    pub fn over_bundles(count: usize) -> Progress {
        let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
        if count == 0 || in_ci || !std::io::stderr().is_terminal() {
            return Progress(ProgressBar::hidden());
        }
        let style = ProgressStyle::with_template("judging bundles {pos}/{len} [{bar:30}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(Some(count as u64), ProgressDrawTarget::stderr())
            .with_style(style);
        Progress(bar)
    }

    pub fn tick(&self) {
        self.0.inc(1);
    }

    /// Remove the bar, so the report starts on a clean screen.
    pub fn finish(self) {
        self.0.finish_and_clear();
    }
}
