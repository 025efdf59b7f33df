//! The progress bar of long runs. It is drawn on stderr only when stderr
//! is a terminal, outside CI, without `--quiet`, and only once a run has
//! taken longer than [`DELAY`]: short runs (pre-commit, editors) and
//! anything piped or logged never see it.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How long a run goes before its progress is shown.
pub const DELAY: Duration = Duration::from_secs(1);

/// Enough for a person to see it move, few enough to cost nothing.
const REDRAWS_PER_SECOND: u8 = 8;

/// Progress over the files of one run; does nothing when not wanted.
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
}

impl Progress {
    /// Progress over `total` files, drawn later if `wanted`.
    pub fn new(total: usize, wanted: bool) -> Progress {
        let bar = wanted.then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
            if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} files {elapsed}")
            {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
        }
    }

    /// One more file linted.
    pub fn file_done(&self) {
        let Some(bar) = &self.bar else { return };
        bar.inc(1);
        if bar.is_hidden() && self.started.elapsed() >= DELAY {
            bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(REDRAWS_PER_SECOND));
        }
    }

    /// Removes the bar before the report is written.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Whether this process should show progress (see the module comment).
pub fn wanted(quiet: bool) -> bool {
    shown(
        quiet,
        std::io::stderr().is_terminal(),
        std::env::var_os("CI").is_some(),
    )
}

fn shown(quiet: bool, stderr_is_terminal: bool, in_ci: bool) -> bool {
    !quiet && stderr_is_terminal && !in_ci
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_only_for_a_person_at_a_terminal() {
        assert!(shown(false, true, false));
        assert!(!shown(true, true, false), "--quiet");
        assert!(!shown(false, false, false), "stderr piped or logged");
        assert!(!shown(false, true, true), "CI");
    }

    #[test]
    fn an_unwanted_bar_counts_nothing_and_a_wanted_one_stays_hidden_at_first() {
        let quiet = Progress::new(3, false);
        quiet.file_done();
        assert!(quiet.bar.is_none());
        let bar = Progress::new(3, true);
        bar.file_done();
        let inner = bar.bar.as_ref().expect("bar");
        assert_eq!(inner.position(), 1);
        assert!(inner.is_hidden(), "not drawn before {DELAY:?}");
        bar.finish();
    }
}
