//! Orchestrates a `check`: discover → read → lint (in parallel) → collect
//! into a deterministic [`Report`]. Owns the thread pool; the engine does not.

use crate::cache::{Cache, Entry, FileIndex, Stamp};
use crate::diagnostic::{Finding, Notice, NoticeKind, Severity};
use crate::engine::{lint_source, lint_text};
use crate::lang::Lang;
use crate::rule::index::RuleSet;
use crate::source::read_source_sized;
use crate::walk::{discover_with, FileKind, SourceFile};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Inputs of a check besides the rules.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub paths: Vec<PathBuf>,
    /// Worker threads; `None` uses every core.
    pub jobs: Option<usize>,
    pub max_file_size: u64,
}

/// Text given on stdin, linted as if it were the file `name`.
#[derive(Debug, Clone)]
pub struct StdinSource {
    pub name: String,
    pub text: String,
}

/// Findings of one file, with its text for renderers that show snippets.
#[derive(Debug)]
pub struct FileReport {
    pub path: String,
    pub kind: FileKind,
    /// The text linted, or empty when the run did not keep texts (see
    /// [`LintSettings::keep_sources`]).
    pub source: String,
    pub findings: Vec<Finding>,
}

/// Everything a run found, ordered by path, then position, then rule.
#[derive(Debug, Default)]
pub struct Report {
    /// Files with at least one finding.
    pub files: Vec<FileReport>,
    pub notices: Vec<Notice>,
    pub files_scanned: usize,
    pub elapsed_ms: u128,
}

impl Report {
    pub fn findings(&self) -> impl Iterator<Item = (&FileReport, &Finding)> {
        self.files
            .iter()
            .flat_map(|f| f.findings.iter().map(move |x| (f, x)))
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings()
            .filter(|(_, f)| f.severity == severity)
            .count()
    }

    pub fn total(&self) -> usize {
        self.files.iter().map(|f| f.findings.len()).sum()
    }

    /// Exit code: 2 when work was lost (unreadable files), else 1 when a
    /// finding is at or above `fail_on`, else 0.
    pub fn exit_code(&self, fail_on: Severity) -> i32 {
        if self.notices.iter().any(|n| n.kind.is_failure()) {
            2
        } else if self.findings().any(|(_, f)| f.severity >= fail_on) {
            1
        } else {
            0
        }
    }
}

/// Lints the files under `options.paths` with one policy for all.
pub fn check(rules: &RuleSet, options: &CheckOptions) -> Report {
    let started = Instant::now();
    let (files, notices) = discover_with(&options.paths, options.jobs.unwrap_or(0));
    let targets = Target::all_with(files, Policy::default());
    let settings = LintSettings {
        jobs: options.jobs,
        max_file_size: options.max_file_size,
        keep_sources: true,
        progress: false,
    };
    lint_targets(rules, &targets, settings, notices, started)
}

/// Which findings a file keeps and at what severity, from configuration.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Rule ids or categories to keep (empty: all).
    pub select: Vec<String>,
    /// Rule ids or categories to drop.
    pub ignore: Vec<String>,
    /// Severity overrides by rule id.
    pub severity: BTreeMap<String, Severity>,
    /// Secret findings allowed by configuration.
    pub secret_allow: Option<Arc<SecretAllow>>,
}

/// The `[secrets]` allow-list: known-harmless values (test keys, public
/// sandbox tokens) matched by fingerprint or by a regex on the value.
#[derive(Debug, Default)]
pub struct SecretAllow {
    pub fingerprints: Vec<String>,
    pub regexes: Vec<regex::Regex>,
}

impl PartialEq for SecretAllow {
    fn eq(&self, other: &Self) -> bool {
        self.fingerprints == other.fingerprints
            && self
                .regexes
                .iter()
                .map(regex::Regex::as_str)
                .eq(other.regexes.iter().map(regex::Regex::as_str))
    }
}

impl Eq for SecretAllow {}

impl Policy {
    /// Drops findings the policy does not select and applies overrides.
    pub fn apply(&self, rules: &RuleSet, findings: &mut Vec<Finding>) {
        self.apply_to_text(rules, findings, "");
    }

    /// [`Policy::apply`], also checking secret values in `text` (the
    /// linted file) against the allow-list's regexes.
    pub fn apply_to_text(&self, rules: &RuleSet, findings: &mut Vec<Finding>, text: &str) {
        if let Some(allow) = &self.secret_allow {
            findings.retain(|f| {
                if !is_secret(rules, f) {
                    return true;
                }
                let value = text
                    .get(f.span.start.offset..f.span.end.offset)
                    .unwrap_or("");
                let value = crate::matcher::string_content(value);
                !(allow.fingerprints.contains(&f.fingerprint)
                    || allow.regexes.iter().any(|r| r.is_match(value)))
            });
        }
        findings.retain(|f| {
            let Some(rule) = rules.rule(&f.rule_id) else {
                return true;
            };
            let named = |names: &[String]| {
                names
                    .iter()
                    .any(|n| *n == rule.id || n == rule.category.as_str())
            };
            (self.select.is_empty() || named(&self.select)) && !named(&self.ignore)
        });
        for f in findings.iter_mut() {
            if let Some(severity) = self.severity.get(&f.rule_id) {
                f.severity = *severity;
            }
        }
    }
}

/// Whether `finding` is a secret, which the `[secrets]` allow-list governs.
fn is_secret(rules: &RuleSet, finding: &Finding) -> bool {
    rules
        .rule(&finding.rule_id)
        .is_some_and(|r| r.category == crate::rule::Category::Secrets)
}

/// What linting one file gives: its report if it has findings, and notices.
type Linted = (Option<FileReport>, Vec<Notice>);

/// A file to lint and the policy that governs it.
#[derive(Debug, Clone)]
pub struct Target {
    pub file: SourceFile,
    pub policy: Arc<Policy>,
}

impl Target {
    /// `files`, all governed by one `policy`.
    pub fn all_with(files: Vec<SourceFile>, policy: Policy) -> Vec<Target> {
        let policy = Arc::new(policy);
        files
            .into_iter()
            .map(|file| Target {
                file,
                policy: policy.clone(),
            })
            .collect()
    }
}

/// How a run lints its targets.
#[derive(Debug, Clone, Copy)]
pub struct LintSettings {
    /// Worker threads; `None` uses every core.
    pub jobs: Option<usize>,
    pub max_file_size: u64,
    /// Keep each reported file's text in its [`FileReport`], for snippets
    /// and fixes. Without it memory stays flat however many files have
    /// findings: a file's text is dropped once it is linted.
    pub keep_sources: bool,
    /// Show a progress bar on stderr if the run is long
    /// ([`crate::progress`]).
    pub progress: bool,
}

/// Lints `targets` in parallel and assembles the report, adding `notices`
/// from earlier stages.
pub fn lint_targets(
    rules: &RuleSet,
    targets: &[Target],
    settings: LintSettings,
    notices: Vec<Notice>,
    started: Instant,
) -> Report {
    lint_targets_cached(rules, targets, settings, notices, started, None)
}

/// [`lint_targets`] with a content cache.
pub fn lint_targets_cached(
    rules: &RuleSet,
    targets: &[Target],
    settings: LintSettings,
    mut notices: Vec<Notice>,
    started: Instant,
    cache: Option<&Cache>,
) -> Report {
    // Only files with findings or notices are kept (in order): a slot per
    // target would grow with the number of files, not with what they hold.
    let progress = crate::progress::Progress::new(targets.len(), settings.progress);
    let run_started = std::time::SystemTime::now();
    let lint_all = || -> Vec<Linted> {
        // The index is read while the files are stat'ed.
        let (order, index) = rayon::join(
            || schedule(targets),
            || {
                cache
                    .filter(|_| targets.len() >= INDEXED_RUN_FILES)
                    .map(|c| c.file_index(run_started))
            },
        );
        let mut linted: Vec<(usize, Linted)> = order
            .par_iter()
            // One file per task: rayon otherwise hands a worker long runs
            // of files that no idle worker can take over, and a run ended
            // with one core busy for seconds (2.2 s of 4.9 s on the Rust
            // corpus).
            .with_max_len(1)
            .map(|scheduled| {
                let store = Store {
                    cache,
                    index: index.as_ref(),
                };
                let linted =
                    lint_file(rules, &targets[scheduled.index], scheduled, settings, store);
                progress.file_done();
                (scheduled.index, linted)
            })
            .filter(|(_, (file, notices))| file.is_some() || !notices.is_empty())
            .collect();
        if let Some(index) = index {
            index.store();
        }
        // Back to discovery order, which the report keeps.
        linted.sort_unstable_by_key(|(i, _)| *i);
        linted.into_iter().map(|(_, l)| l).collect()
    };
    let results = match rayon::ThreadPoolBuilder::new()
        .num_threads(settings.jobs.unwrap_or(0))
        .build()
    {
        Ok(pool) => pool.install(lint_all),
        Err(_) => lint_all(),
    };
    progress.finish();
    let mut report = Report {
        files_scanned: targets.len(),
        ..Report::default()
    };
    for (file, file_notices) in results {
        report.files.extend(file);
        notices.extend(file_notices);
    }
    notices.sort();
    report.notices = notices;
    report.elapsed_ms = started.elapsed().as_millis();
    report
}

/// Runs of at least this many files keep a [`FileIndex`]. Reading and
/// writing it costs about a microsecond per file of the whole index, which
/// a handful of files (a pre-commit run) would not win back.
const INDEXED_RUN_FILES: usize = 200;

/// A target's place in the run and what a `stat` said about it.
#[derive(Debug, Clone, Copy)]
struct Scheduled {
    /// Index into the targets.
    index: usize,
    /// The file's length, if it is a regular file.
    size: Option<u64>,
    /// Its stamp, where the platform gives one.
    stamp: Option<Stamp>,
}

/// Where a file's outcome is looked up and kept.
#[derive(Debug, Clone, Copy)]
struct Store<'a> {
    cache: Option<&'a Cache>,
    index: Option<&'a FileIndex>,
}

/// The order in which `targets` are linted, each with what a `stat` said
/// of the file: large files first, largest first, then the rest in
/// discovery order.
///
/// Large files decide a run's peak memory (their trees take tens of times
/// their size). rayon's first worker runs the list from its start while
/// the others steal work from the middle and the end, so large files put
/// first are linted one after another by one worker while the others lint
/// small files: one large tree in memory at a time, with nobody waiting
/// (Rust corpus: its 58 large files never two at once; peak 76–79 MiB in
/// path order, 59 MiB this way, same speed). [`LARGE_FILES`] still bounds
/// them when several workers reach them. The sizes cost one `stat` per
/// file, in parallel (the walk does not know them), which the reads then
/// do not repeat.
fn schedule(targets: &[Target]) -> Vec<Scheduled> {
    let stats: Vec<Scheduled> = targets
        .par_iter()
        .enumerate()
        .map(|(index, t)| {
            let meta = std::fs::metadata(&t.file.path)
                .ok()
                .filter(std::fs::Metadata::is_file);
            Scheduled {
                index,
                size: meta.as_ref().map(std::fs::Metadata::len),
                stamp: meta.as_ref().and_then(Stamp::of),
            }
        })
        .collect();
    let mut large: Vec<(std::cmp::Reverse<u64>, usize)> = stats
        .iter()
        .filter_map(|s| {
            let bytes = s.size.unwrap_or(0);
            (bytes > LARGE_FILE_BYTES as u64).then_some((std::cmp::Reverse(bytes), s.index))
        })
        .collect();
    large.sort_unstable();
    let mut order: Vec<usize> = large.iter().map(|&(_, i)| i).collect();
    let mut is_large = vec![false; targets.len()];
    for &i in &order {
        is_large[i] = true;
    }
    order.extend((0..targets.len()).filter(|&i| !is_large[i]));
    order.into_iter().map(|i| stats[i]).collect()
}

/// Lints text that did not come from disk (stdin, editors).
pub fn check_text(rules: &RuleSet, stdin: StdinSource, policy: &Policy) -> Report {
    let started = Instant::now();
    let mut report = Report::default();
    if let Some(lang) = Lang::from_path(std::path::Path::new(&stdin.name)) {
        report.files_scanned = 1;
        let mut outcome = lint_source(rules, lang, &stdin.name, &stdin.text);
        policy.apply_to_text(rules, &mut outcome.findings, &stdin.text);
        report.notices = outcome.notices;
        if !outcome.findings.is_empty() {
            report.files.push(FileReport {
                path: stdin.name,
                kind: FileKind::Code(lang),
                source: stdin.text,
                findings: outcome.findings,
            });
        }
    }
    report.elapsed_ms = started.elapsed().as_millis();
    report
}

/// Files larger than this count against [`LARGE_FILES`] (see [`lint_file`]).
const LARGE_FILE_BYTES: usize = 128 * 1024;
/// How many bytes of large files may be linted at once: two files of a few
/// hundred KiB run side by side, a bigger one runs alone.
const LARGE_FILES_IN_FLIGHT: usize = 512 * 1024;
static LARGE_FILES: ByteBudget = ByteBudget::new(LARGE_FILES_IN_FLIGHT);

/// Bytes of input in flight, bounded: `take(n)` waits until `n` more bytes
/// fit, except that anything may start when nothing is in flight (so a
/// file larger than the budget runs alone instead of never).
struct ByteBudget {
    limit: usize,
    in_flight: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
}

impl ByteBudget {
    const fn new(limit: usize) -> ByteBudget {
        ByteBudget {
            limit,
            in_flight: std::sync::Mutex::new(0),
            freed: std::sync::Condvar::new(),
        }
    }

    fn take(&self, bytes: usize) -> BudgetShare<'_> {
        let guard = self
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut in_flight = self
            .freed
            .wait_while(guard, |n| *n > 0 && *n + bytes > self.limit)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *in_flight += bytes;
        BudgetShare {
            budget: self,
            bytes,
        }
    }
}

/// Bytes taken from a [`ByteBudget`], given back on drop.
struct BudgetShare<'a> {
    budget: &'a ByteBudget,
    bytes: usize,
}

impl Drop for BudgetShare<'_> {
    fn drop(&mut self) {
        let mut in_flight = self
            .budget
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *in_flight = in_flight.saturating_sub(self.bytes);
        self.budget.freed.notify_all();
    }
}

/// Lints one target, as [`schedule`] found it.
fn lint_file(
    rules: &RuleSet,
    target: &Target,
    scheduled: &Scheduled,
    settings: LintSettings,
    store: Store<'_>,
) -> Linted {
    let file = &target.file;
    let display = file.path.to_string_lossy().replace('\\', "/");
    if let Some(linted) = recall(rules, target, &display, scheduled, settings, store) {
        return linted;
    }
    let text = match read_source_sized(&file.path, &display, settings.max_file_size, scheduled.size)
    {
        Ok(text) => text,
        Err(notice) => return (None, vec![notice]),
    };
    // The cache is asked first: a hit needs neither the minified-code scan
    // (a pass over every line, 12 % of a warm run on the JS corpus) nor
    // the lint, and the scan's verdict is stored like any other outcome.
    let cache = store.cache;
    let key = cache.map(|c| c.key(&display, &text));
    let cached = cache.zip(key.as_deref()).and_then(|(c, k)| c.get(k));
    let stored = cached.is_some();
    let entry = cached.unwrap_or_else(|| lint_uncached(rules, target, &display, &text));
    if let (Some(cache), Some(key)) = (cache, key) {
        if !stored {
            cache.put(&key, &entry);
        }
        if let (Some(index), Some(stamp)) = (store.index, scheduled.stamp) {
            if entry.is_cacheable() {
                index.record(&display, stamp, (!entry.is_empty()).then_some(key));
            }
        }
    }
    let (mut findings, notices) = (entry.findings, entry.notices);
    target.policy.apply_to_text(rules, &mut findings, &text);
    (
        file_report(target, display, findings, text, settings),
        notices,
    )
}

/// A target's outcome from the file index, without reading the file when
/// it gave nothing or its text is not needed; `None` when the index does
/// not know the file as it is now, or its entry is gone.
fn recall(
    rules: &RuleSet,
    target: &Target,
    display: &str,
    scheduled: &Scheduled,
    settings: LintSettings,
    store: Store<'_>,
) -> Option<Linted> {
    let (cache, index, stamp) = (store.cache?, store.index?, scheduled.stamp?);
    // The limit may have been lowered since.
    if stamp.len > settings.max_file_size {
        return None;
    }
    let memo = index.recall(display, &stamp)?;
    let Some(key) = &memo.key else {
        index.record(display, stamp, None);
        return Some((None, Vec::new()));
    };
    let entry = cache.get(key)?;
    let mut findings = entry.findings;
    // Snippets, fixes and the secrets allow-list's regexes need the text:
    // it is read, and must still be the text the entry is for.
    let needs_text = !findings.is_empty()
        && (settings.keep_sources
            || (target.policy.secret_allow.is_some()
                && findings.iter().any(|f| is_secret(rules, f))));
    let text = if needs_text {
        let text = read_source_sized(
            &target.file.path,
            display,
            settings.max_file_size,
            Some(stamp.len),
        )
        .ok()?;
        (cache.key(display, &text) == *key).then_some(text)?
    } else {
        String::new()
    };
    index.record(display, stamp, Some(key.clone()));
    target.policy.apply_to_text(rules, &mut findings, &text);
    let report = file_report(target, display.to_string(), findings, text, settings);
    Some((report, entry.notices))
}

/// The report of a file with `findings`, if it has any.
fn file_report(
    target: &Target,
    path: String,
    findings: Vec<Finding>,
    text: String,
    settings: LintSettings,
) -> Option<FileReport> {
    (!findings.is_empty()).then(|| FileReport {
        path,
        kind: target.file.kind,
        source: if settings.keep_sources {
            text
        } else {
            String::new()
        },
        findings,
    })
}

/// What linting a file's text produces, without the cache: a file of
/// minified code yields only the notice that it was skipped.
fn lint_uncached(rules: &RuleSet, target: &Target, display: &str, text: &str) -> Entry {
    let file = &target.file;
    if crate::source::is_minified_code(file.lang(), &file.path, text) {
        let notice = Notice {
            path: display.to_string(),
            kind: NoticeKind::Minified,
            message: "skipped: minified or bundled code".into(),
        };
        return Entry {
            findings: Vec::new(),
            notices: vec![notice],
        };
    }
    // Parsing takes tens of times a file's size: bounding the bytes of
    // large files in flight keeps peak memory flat whatever the thread
    // count, at the cost of a rare wait.
    let _share = (text.len() > LARGE_FILE_BYTES).then(|| LARGE_FILES.take(text.len()));
    let outcome = lint_text(rules, file.kind, display, text);
    crate::heap::linted(text.len());
    Entry {
        findings: outcome.findings,
        notices: outcome.notices,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::index::Selection;
    use crate::rule::load::{builtin_sources, compile_all};
    use crate::walk::discover;

    fn built_in() -> RuleSet {
        let loaded = compile_all(&builtin_sources()).unwrap_or_else(|_| panic!("built-ins"));
        RuleSet::build(loaded, &Selection::default()).expect("rule set")
    }

    #[test]
    fn texts_are_kept_only_when_asked() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("app.py");
        std::fs::write(&path, "import yaml\ndata = yaml.load(body)\n").expect("write");
        let rules = built_in();
        let (files, _) = discover(&[path]);
        let targets = Target::all_with(files, Policy::default());
        let run = |keep_sources| {
            let settings = LintSettings {
                jobs: Some(1),
                max_file_size: crate::source::DEFAULT_MAX_FILE_SIZE,
                keep_sources,
                progress: false,
            };
            lint_targets(&rules, &targets, settings, Vec::new(), Instant::now())
        };
        let (kept, dropped) = (run(true), run(false));
        assert!(kept.files[0].source.contains("yaml.load"));
        assert!(dropped.files[0].source.is_empty());
        let ids = |r: &Report| {
            r.findings()
                .map(|(_, f)| f.rule_id.clone())
                .collect::<Vec<_>>()
        };
        assert!(!ids(&kept).is_empty());
        assert_eq!(ids(&kept), ids(&dropped));
    }

    #[test]
    fn large_files_go_first_largest_first_and_the_report_keeps_path_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let finding = "import yaml\ndata = yaml.load(body)\n";
        let padded = |kib: usize| format!("{finding}{}", "value = 1\n".repeat(kib * 1024 / 10));
        for (name, text) in [
            ("a.py", finding.to_string()),
            ("b.py", padded(200)),
            ("c.py", finding.to_string()),
            ("d.py", padded(300)),
            ("e.py", padded(100)),
        ] {
            std::fs::write(dir.path().join(name), text).expect("write");
        }
        let (files, _) = discover(&[dir.path().to_path_buf()]);
        let targets = Target::all_with(files, Policy::default());
        let name = |t: &Target| {
            t.file
                .path
                .file_name()
                .map_or(String::new(), |n| n.to_string_lossy().into_owned())
        };
        let scheduled: Vec<String> = schedule(&targets)
            .into_iter()
            .map(|s| name(&targets[s.index]))
            .collect();
        // d and b are over LARGE_FILE_BYTES; e (100 KiB) is not.
        assert_eq!(scheduled, ["d.py", "b.py", "a.py", "c.py", "e.py"]);

        let settings = LintSettings {
            jobs: Some(2),
            max_file_size: crate::source::DEFAULT_MAX_FILE_SIZE,
            keep_sources: false,
            progress: false,
        };
        let report = lint_targets(&built_in(), &targets, settings, Vec::new(), Instant::now());
        let reported: Vec<&str> = report
            .files
            .iter()
            .map(|f| f.path.rsplit('/').next().unwrap_or(""))
            .collect();
        assert_eq!(reported, ["a.py", "b.py", "c.py", "d.py", "e.py"]);
    }

    #[test]
    fn large_files_share_the_byte_budget_and_an_oversized_one_runs_alone() {
        use std::sync::mpsc;
        use std::time::Duration;
        let budget = ByteBudget::new(512);
        // Two that fit together are both granted at once.
        let first = budget.take(300);
        let second = budget.take(200);
        std::thread::scope(|s| {
            let (sent, got) = mpsc::channel();
            let budget = &budget;
            s.spawn(move || {
                let _third = budget.take(100);
                let _ = sent.send(());
            });
            // 600 bytes would be in flight: the third waits…
            assert!(got.recv_timeout(Duration::from_millis(100)).is_err());
            // …until enough is given back.
            drop(first);
            assert!(got.recv_timeout(Duration::from_secs(10)).is_ok());
        });
        drop(second);
        // Larger than the whole budget: runs once nothing else is in flight.
        let _alone = budget.take(4096);
        assert_eq!(*budget.in_flight.lock().expect("lock"), 4096);
    }

    fn compiled(rules: &RuleSet) -> usize {
        let index = rules.for_lang(Lang::Python).expect("python rules");
        let matchers = index
            .entries
            .iter()
            .filter(|e| e.matcher.is_compiled())
            .count();
        matchers + index.taint.iter().filter(|t| t.spec.is_compiled()).count()
    }

    #[test]
    fn a_fully_cached_run_compiles_no_rule() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("app.py");
        std::fs::write(
            &file,
            "import os\nfrom flask import request\n\ndef f():\n    os.system('ls ' + request.args['d'])\n",
        )
        .expect("write");
        let targets = vec![Target {
            file: SourceFile {
                path: file,
                kind: FileKind::Code(Lang::Python),
            },
            policy: Arc::new(Policy::default()),
        }];
        let cache = Cache::open(&dir.path().join("cache"), "test").expect("cache");
        let run = |rules: &RuleSet| {
            let settings = LintSettings {
                jobs: Some(1),
                max_file_size: u64::MAX,
                keep_sources: true,
                progress: false,
            };
            lint_targets_cached(
                rules,
                &targets,
                settings,
                Vec::new(),
                Instant::now(),
                Some(&cache),
            )
        };
        let cold_rules = built_in();
        assert_eq!(compiled(&cold_rules), 0, "nothing compiled before linting");
        let cold = run(&cold_rules);
        assert!(cold.total() > 0);
        assert!(compiled(&cold_rules) > 0);
        let warm_rules = built_in();
        let warm = run(&warm_rules);
        assert_eq!(warm.total(), cold.total());
        assert_eq!(compiled(&warm_rules), 0, "a warm run compiles nothing");
    }

    #[test]
    fn minified_code_is_skipped_from_the_cache_as_on_a_cold_run() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("bundle.js");
        // A statement-per-line minifier's output, with a finding in it.
        let line = "const cp=require('child_process');function h(req,res){cp.exec('ls '+req.query.dir);}var b=1,c=2,d=3;\n";
        std::fs::write(&file, line.repeat(100)).expect("write");
        let targets = vec![Target {
            file: SourceFile {
                path: file,
                kind: FileKind::Code(Lang::JavaScript),
            },
            policy: Arc::new(Policy::default()),
        }];
        let cache_dir = dir.path().join("cache");
        let cache = Cache::open(&cache_dir, "test").expect("cache");
        let rules = built_in();
        let run = || {
            let settings = LintSettings {
                jobs: Some(1),
                max_file_size: u64::MAX,
                keep_sources: false,
                progress: false,
            };
            let report = lint_targets_cached(
                &rules,
                &targets,
                settings,
                Vec::new(),
                Instant::now(),
                Some(&cache),
            );
            let kinds: Vec<NoticeKind> = report.notices.iter().map(|n| n.kind).collect();
            (report.total(), kinds)
        };
        let cold = run();
        assert_eq!(cold, (0, vec![NoticeKind::Minified]));
        let entries = walkdir_count(&cache_dir.join("v1"));
        assert_eq!(entries, 1, "the verdict is cached");
        assert_eq!(run(), cold);
    }

    /// A folder of `INDEXED_RUN_FILES` Python files, some with findings.
    fn indexed_corpus(dir: &std::path::Path) -> Vec<Target> {
        for n in 0..INDEXED_RUN_FILES {
            let text = if n % 50 == 0 {
                format!("import yaml\ndata_{n:03} = yaml.load(body)\n")
            } else {
                format!("value_{n:03} = {n}\n")
            };
            std::fs::write(dir.join(format!("m{n:03}.py")), text).expect("write");
        }
        let (files, _) = discover(&[dir.to_path_buf()]);
        Target::all_with(files, Policy::default())
    }

    /// [`indexed_corpus`] under `dir`/src, and a cache under `dir`/cache
    /// whose index counts those files as settled.
    fn indexed_setup(dir: &std::path::Path) -> (Vec<Target>, std::path::PathBuf, Cache) {
        let src = dir.join("src");
        std::fs::create_dir(&src).expect("mkdir");
        let cache_dir = dir.join("cache");
        let cache = Cache::open(&cache_dir, "test")
            .expect("cache")
            .with_index_started(an_hour_ahead());
        (indexed_corpus(&src), cache_dir, cache)
    }

    fn an_hour_ahead() -> std::time::SystemTime {
        std::time::SystemTime::now() + std::time::Duration::from_secs(3600)
    }

    /// Everything a report says, texts included.
    fn replay(report: &Report) -> Vec<(String, String, Vec<String>)> {
        let mut seen: Vec<(String, String, Vec<String>)> = report
            .files
            .iter()
            .map(|f| {
                let ids = f.findings.iter().map(|x| format!("{x:?}")).collect();
                (f.path.clone(), f.source.clone(), ids)
            })
            .collect();
        seen.extend(report.notices.iter().map(|n| {
            let kind = format!("{:?}", n.kind);
            (n.path.clone(), kind, vec![n.message.clone()])
        }));
        seen
    }

    fn run_indexed(
        rules: &RuleSet,
        targets: &[Target],
        cache: &Cache,
        keep_sources: bool,
        max_file_size: u64,
    ) -> Report {
        let settings = LintSettings {
            jobs: Some(2),
            max_file_size,
            keep_sources,
            progress: false,
        };
        lint_targets_cached(
            rules,
            targets,
            settings,
            Vec::new(),
            Instant::now(),
            Some(cache),
        )
    }

    fn run_uncached(rules: &RuleSet, targets: &[Target], keep_sources: bool) -> Report {
        let settings = LintSettings {
            jobs: Some(2),
            max_file_size: u64::MAX,
            keep_sources,
            progress: false,
        };
        lint_targets(rules, targets, settings, Vec::new(), Instant::now())
    }

    /// The one index file under the cache directory `dir`.
    fn index_file(dir: &std::path::Path) -> std::path::PathBuf {
        let mut files: Vec<_> = std::fs::read_dir(dir.join("v1/index"))
            .expect("index folder")
            .map(|e| e.expect("entry").path())
            .collect();
        assert_eq!(files.len(), 1);
        files.remove(0)
    }

    #[test]
    fn an_indexed_run_replays_the_cold_run_and_trusts_the_index_for_unchanged_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (targets, cache_dir, cache) = indexed_setup(dir.path());
        let rules = built_in();
        let uncached = run_uncached(&rules, &targets, true);
        assert_eq!(uncached.files.len(), INDEXED_RUN_FILES / 50);
        for keep_sources in [true, false, true] {
            let report = run_indexed(&rules, &targets, &cache, keep_sources, u64::MAX);
            let mut expected = replay(&uncached);
            if !keep_sources {
                expected.iter_mut().for_each(|(_, text, _)| text.clear());
            }
            assert_eq!(replay(&report), expected, "keep_sources: {keep_sources}");
        }
        // The index is what answers: told that a file with a finding gave
        // nothing, a run believes it…
        let index = index_file(&cache_dir);
        let stored = std::fs::read_to_string(&index).expect("index");
        let shown = targets[0].file.path.to_string_lossy().replace('\\', "/");
        let mut json: serde_json::Value = serde_json::from_str(&stored).expect("json");
        let memo = &mut json["files"][shown.as_str()];
        assert!(memo["k"].is_string(), "{memo}");
        memo.as_object_mut().expect("memo").remove("k");
        std::fs::write(&index, json.to_string()).expect("write");
        let fooled = run_indexed(&rules, &targets, &cache, false, u64::MAX);
        assert_eq!(fooled.files.len(), uncached.files.len() - 1);
        // …until the file changes: then it is read again.
        std::fs::write(
            &targets[0].file.path,
            "import yaml\ndata_000 = yaml.load(text)\n",
        )
        .expect("write");
        let changed = run_indexed(&rules, &targets, &cache, false, u64::MAX);
        assert_eq!(changed.files.len(), uncached.files.len());
    }

    #[test]
    fn an_indexed_run_checks_the_size_limit_and_survives_lost_entries() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (targets, cache_dir, cache) = indexed_setup(dir.path());
        let rules = built_in();
        let cold = run_indexed(&rules, &targets, &cache, true, u64::MAX);
        // A lower limit since the last run still skips the larger files:
        // those with a finding (the others have at most 16 bytes).
        let limited = run_indexed(&rules, &targets, &cache, false, 20);
        let too_large = limited
            .notices
            .iter()
            .filter(|n| n.kind == NoticeKind::TooLarge)
            .count();
        assert_eq!(limited.total(), 0);
        assert_eq!(too_large, INDEXED_RUN_FILES / 50);
        // Entries removed behind the index's back are made again.
        for entry in std::fs::read_dir(cache_dir.join("v1")).expect("v1") {
            let path = entry.expect("entry").path();
            if path.file_name().is_some_and(|n| n.len() == 2) {
                std::fs::remove_dir_all(path).expect("remove");
            }
        }
        let rebuilt = run_indexed(&rules, &targets, &cache, true, u64::MAX);
        assert_eq!(replay(&rebuilt), replay(&cold));
    }

    #[test]
    fn small_runs_and_files_changed_just_before_the_run_leave_no_index() {
        let dir = tempfile::tempdir().expect("temp dir");
        let src = dir.path().join("src");
        std::fs::create_dir(&src).expect("mkdir");
        let targets = indexed_corpus(&src);
        // However long the tests take, the run starts a moment after the
        // files were written.
        let written = std::time::SystemTime::now();
        let rules = built_in();
        let small_dir = dir.path().join("small");
        let small = Cache::open(&small_dir, "test")
            .expect("cache")
            .with_index_started(an_hour_ahead());
        run_indexed(&rules, &targets[..10], &small, false, u64::MAX);
        assert!(!small_dir.join("v1/index").exists());
        let fresh_dir = dir.path().join("fresh");
        let fresh = Cache::open(&fresh_dir, "test")
            .expect("cache")
            .with_index_started(written);
        run_indexed(&rules, &targets, &fresh, false, u64::MAX);
        assert!(!fresh_dir.join("v1/index").exists());
        // The same files, settled, are indexed.
        let settled = Cache::open(&fresh_dir, "test")
            .expect("cache")
            .with_index_started(an_hour_ahead());
        run_indexed(&rules, &targets, &settled, false, u64::MAX);
        assert!(fresh_dir.join("v1/index").exists());
    }

    #[test]
    fn an_indexed_run_applies_each_files_policy_as_a_cold_run_does() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (targets, _, cache) = indexed_setup(dir.path());
        let secret = "password = \"2B5kRP0r6UV1cZB3urJ1\"\ntoken = \"mKpWx-KA7EvZtxr9Pko2JjCKlpXFB7BSv0hD9Oi2\"\n";
        let secret_file = targets[0].file.path.with_file_name("settings.py");
        std::fs::write(&secret_file, secret).expect("write");
        let (files, _) = discover(&[secret_file.parent().expect("src").to_path_buf()]);
        let policy = Policy {
            severity: [("insecure-deserialization".to_string(), Severity::Note)].into(),
            secret_allow: Some(Arc::new(SecretAllow {
                fingerprints: Vec::new(),
                regexes: vec![regex::Regex::new("^2B5k").expect("regex")],
            })),
            ..Policy::default()
        };
        let targets = Target::all_with(files, policy);
        let rules = built_in();
        let uncached = run_uncached(&rules, &targets, false);
        let secrets = uncached
            .findings()
            .filter(|(_, f)| f.rule_id == "hardcoded-secret");
        assert_eq!(secrets.count(), 1, "the allow-list keeps one of two");
        assert!(uncached
            .findings()
            .any(|(_, f)| f.severity == Severity::Note));
        // Cold, then warm through the index, without texts kept: the
        // allow-list's regex still sees the value.
        for _ in 0..2 {
            let report = run_indexed(&rules, &targets, &cache, false, u64::MAX);
            assert_eq!(replay(&report), replay(&uncached));
        }
    }

    #[test]
    fn a_text_read_for_the_output_must_be_the_one_its_entry_is_for() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (targets, cache_dir, cache) = indexed_setup(dir.path());
        let rules = built_in();
        let cold = run_indexed(&rules, &targets, &cache, true, u64::MAX);
        // Two files with findings swap keys in the index: each then has
        // another file's entry, which its text does not hash to.
        let index = index_file(&cache_dir);
        let stored = std::fs::read_to_string(&index).expect("index");
        let mut json: serde_json::Value = serde_json::from_str(&stored).expect("json");
        let shown = |n: usize| targets[n].file.path.to_string_lossy().replace('\\', "/");
        let (a, b) = (shown(0), shown(50));
        let key_a = json["files"][a.as_str()]["k"].take();
        let key_b = json["files"][b.as_str()]["k"].take();
        assert!(key_a.is_string() && key_b.is_string() && key_a != key_b);
        json["files"][a.as_str()]["k"] = key_b;
        json["files"][b.as_str()]["k"] = key_a;
        std::fs::write(&index, json.to_string()).expect("write");
        let warm = run_indexed(&rules, &targets, &cache, true, u64::MAX);
        assert_eq!(replay(&warm), replay(&cold));
        // A key that names no entry is a miss, not a crash.
        json["files"][a.as_str()]["k"] = serde_json::Value::from("x");
        std::fs::write(&index, json.to_string()).expect("write");
        let odd = run_indexed(&rules, &targets, &cache, true, u64::MAX);
        assert_eq!(replay(&odd), replay(&cold));
    }

    /// Regular files under `dir`, recursively.
    fn walkdir_count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .expect("read dir")
            .map(|e| e.expect("entry").path())
            .map(|p| if p.is_dir() { walkdir_count(&p) } else { 1 })
            .sum()
    }

    #[test]
    fn a_rule_compiles_only_once_a_node_holds_its_required_literals() {
        let rules = built_in();
        let index = rules.for_lang(Lang::Python).expect("python rules");
        let is_compiled = |id: &str| {
            let rule = rules.rule_index(id).expect("rule");
            index
                .entries
                .iter()
                .filter(|e| e.rule == rule)
                .any(|e| e.matcher.is_compiled())
        };
        // command-injection's anchors (`sh`, `system`) are in the file, but
        // no call names a shell function or passes `shell=`/`-c`.
        let quiet = "import shlex\nprint('bash', shlex.split(x))\nplatform.system\n";
        let outcome = crate::engine::lint_source(&rules, Lang::Python, "a.py", quiet);
        assert!(outcome.parsed);
        assert!(!is_compiled("command-injection"));
        let loud = "import os\nos.system(cmd)\n";
        let outcome = crate::engine::lint_source(&rules, Lang::Python, "b.py", loud);
        assert!(is_compiled("command-injection"));
        assert!(outcome
            .findings
            .iter()
            .any(|f| f.rule_id == "command-injection"));
    }

    /// The built-in rule `id`'s taint specification for Python.
    fn python_taint_slot<'r>(rules: &'r RuleSet, id: &str) -> &'r crate::taint::spec::TaintSlot {
        let index = rules.for_lang(Lang::Python).expect("python rules");
        let rule = rules.rule_index(id).expect("rule");
        &index
            .taint
            .iter()
            .find(|t| t.rule == rule)
            .expect("taint")
            .spec
    }

    #[test]
    fn taint_queries_compile_only_when_a_node_can_use_them() {
        let rules = built_in();
        let slot = python_taint_slot(&rules, "sql-injection");
        // Sink and source anchors occur, so the taint pass runs…
        let text = "from flask import request\n\ndef f():\n    # execute(sql) later\n    q = request.args['q']\n    return q\n";
        crate::engine::lint_source(&rules, Lang::Python, "a.py", text);
        assert!(slot.is_compiled());
        let spec = slot.get().expect("compiled slot");
        // …but no call is a SQL sink, so no sink query was compiled.
        assert!(spec.roles.sinks.iter().all(|m| !m.is_compiled()));
        assert!(spec.roles.sources.iter().any(|m| m.is_compiled()));
    }

    #[test]
    fn functions_that_cannot_start_a_flow_are_not_analysed() {
        let rules = built_in();
        let slot = python_taint_slot(&rules, "sql-injection");
        // `.get(` anchors the handler-parameter sources, so the pass runs on
        // the file; but `f` reads no request data, has no parameter that
        // is request data and no function inside it, so its body is
        // skipped: no sink query is even compiled.
        let text = "def f(db, d):\n    k = d.get('k')\n    db.execute(k)\n";
        crate::engine::lint_source(&rules, Lang::Python, "a.py", text);
        let spec = slot.get().expect("compiled slot");
        assert!(spec.roles.sinks.iter().all(|m| !m.is_compiled()));
    }

    #[test]
    fn a_handler_nested_in_a_function_is_analysed() {
        let rules = built_in();
        // `create_app` reads no request data itself, but the handler defined
        // in it has a path parameter that is.
        let text = "from flask import Flask\n\n\ndef create_app(cursor):\n    app = Flask(__name__)\n\n    @app.route('/u/<name>')\n    def show(name):\n        cursor.execute(name)\n\n    return app\n";
        let outcome = crate::engine::lint_source(&rules, Lang::Python, "app.py", text);
        let flow = outcome
            .findings
            .iter()
            .find(|f| f.rule_id == "sql-injection")
            .expect("a sql-injection finding");
        assert_eq!(flow.span.start.line, 9);
        assert!(
            flow.trace
                .iter()
                .any(|s| s.label.contains("handler parameter `name`")),
            "{:?}",
            flow.trace
        );
    }
}
