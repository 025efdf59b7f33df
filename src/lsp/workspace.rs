//! What governs a file in the editor: its configuration (`backlint.toml` or
//! `[tool.backlint]`, the nearest one above the file) and the rules that
//! configuration asks for (built-in plus its `rules-dirs`).
//!
//! Loading rules is the expensive part, so compiled rule sets are cached
//! per distinct set of rule directories and only dropped when a rule file
//! in one of them changes ([`Workspace::invalidate`]); a configuration
//! change only re-reads configurations. A broken configuration or rule file must not leave the
//! editor without diagnostics: the file is linted with the built-in rules
//! and the problem is reported once as a message.

use crate::config::{ConfigResolver, CONFIG_FILES};
use crate::diagnostic::{Finding, Notice, NoticeKind};
use crate::engine::lint_source;
use crate::lang::Lang;
use crate::rule::index::{RuleSet, Selection};
use crate::rule::load::{builtin_sources, compile_all, dir_sources};
use crate::rule::schema::Category;
use crate::run::Policy;
use crate::source::DEFAULT_MAX_FILE_SIZE;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The rules and policy that apply to one file.
#[derive(Clone)]
pub struct Settings {
    pub rules: Arc<RuleSet>,
    pub policy: Policy,
    /// `false` when the configuration's include/exclude globs leave the
    /// file out.
    pub admitted: bool,
    pub max_file_size: u64,
}

/// What linting one document produced.
#[derive(Debug, Default)]
pub struct Linted {
    pub findings: Vec<Finding>,
    pub notices: Vec<Notice>,
}

/// What a changed file means for the cached settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Not a configuration or rule file in use.
    Unrelated,
    /// A configuration file: re-resolve configurations, keep compiled rules.
    Config,
    /// A rule file in a rule directory in use: recompile that set.
    Rules,
}

/// Configurations and compiled rule sets.
///
/// Rule sets are keyed by their extra rule directories only and hold every
/// rule, opt-in ones included; `select`, `ignore` and severities are
/// applied to the findings ([`Policy`]), so editing a configuration never
/// recompiles rules.
#[derive(Default)]
pub struct Workspace {
    resolver: ConfigResolver,
    rule_sets: HashMap<Vec<PathBuf>, Arc<RuleSet>>,
    /// Whether each configuration (by resolver index) names only known
    /// rules and categories.
    valid: HashMap<usize, bool>,
    /// Problems found since the last reload, not yet shown.
    pending: Vec<String>,
    /// Problems already shown since the last reload (shown once each).
    shown: BTreeSet<String>,
}

impl Workspace {
    /// What a change to `path` invalidates.
    pub fn classify(&self, path: &Path) -> Change {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if CONFIG_FILES.contains(&name) {
            return Change::Config;
        }
        let is_yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        let in_rule_dir = self
            .rule_sets
            .keys()
            .flatten()
            .any(|dir| path.starts_with(dir));
        if is_yaml && in_rule_dir {
            Change::Rules
        } else {
            Change::Unrelated
        }
    }

    /// Drops what `change` invalidates; `path` is the changed file.
    pub fn invalidate(&mut self, change: Change, path: &Path) {
        match change {
            Change::Unrelated => return,
            Change::Config => {
                self.resolver = ConfigResolver::default();
                self.valid.clear();
            }
            Change::Rules => self
                .rule_sets
                .retain(|dirs, _| !dirs.iter().any(|d| path.starts_with(d))),
        }
        self.shown.clear();
    }

    /// Configuration or rule problems not yet reported to the user.
    pub fn take_problems(&mut self) -> Vec<String> {
        std::mem::take(&mut self.pending)
    }

    fn problem(&mut self, message: String) {
        if self.shown.insert(message.clone()) {
            self.pending.push(message);
        }
    }

    /// The settings for a file at `path` (`None` for unsaved buffers, which
    /// get the built-in rules and no configuration). A configuration or
    /// rule directory that does not load is reported and the built-in
    /// rules are used instead. `None` only when not even those load.
    pub fn settings(&mut self, path: Option<&Path>) -> Option<Settings> {
        let index = match path.map(|p| self.resolver.resolve(p)) {
            Some(Ok(found)) => found,
            Some(Err(e)) => {
                self.problem(describe(e.as_ref()));
                None
            }
            None => None,
        };
        let Some(config) = index.and_then(|i| self.resolver.configs.get(i)) else {
            return self.defaults();
        };
        let dirs = config.rules_dirs();
        let mut policy = Policy {
            select: config.select(),
            ignore: config.ignore(),
            severity: config.severity_overrides().into_iter().collect(),
            secret_allow: config.secret_allow(),
        };
        let admitted = path.is_none_or(|p| config.admits(p));
        if let Some(p) = path {
            policy.ignore.extend(config.ignored_for(p));
        }
        let max_file_size = config.max_file_size().unwrap_or(DEFAULT_MAX_FILE_SIZE);
        let Some(rules) = self.rule_set(dirs) else {
            return self.defaults();
        };
        let index = index.unwrap_or_default();
        let valid = match self.valid.get(&index) {
            Some(valid) => *valid,
            None => {
                let known = |name: &str| Category::parse(name).is_some() || rules.has(name);
                let checked = self.resolver.configs.get(index).map(|c| c.validate(&known));
                let valid = match checked {
                    Some(Err(e)) => {
                        self.problem(describe(e.as_ref()));
                        false
                    }
                    _ => true,
                };
                self.valid.insert(index, valid);
                valid
            }
        };
        if !valid {
            return self.defaults();
        }
        Some(Settings {
            rules,
            policy,
            admitted,
            max_file_size,
        })
    }

    /// Built-in rules, default policy.
    fn defaults(&mut self) -> Option<Settings> {
        Some(Settings {
            rules: self.rule_set(Vec::new())?,
            policy: Policy::default(),
            admitted: true,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        })
    }

    /// The compiled rules of built-ins plus `dirs`, from the cache or built.
    fn rule_set(&mut self, dirs: Vec<PathBuf>) -> Option<Arc<RuleSet>> {
        if let Some(rules) = self.rule_sets.get(&dirs) {
            return Some(rules.clone());
        }
        match build(&dirs) {
            Ok(rules) => {
                let rules = Arc::new(rules);
                self.rule_sets.insert(dirs, rules.clone());
                Some(rules)
            }
            Err(problems) => {
                for p in problems {
                    self.problem(p);
                }
                None
            }
        }
    }
}

/// Lints a document's text under `settings`.
pub fn lint(settings: &Settings, lang: Lang, display: &str, text: &str) -> Linted {
    if !settings.admitted {
        return Linted::default();
    }
    if text.len() as u64 > settings.max_file_size {
        return Linted {
            findings: Vec::new(),
            notices: vec![Notice {
                path: display.to_string(),
                kind: NoticeKind::TooLarge,
                message: format!(
                    "not linted: {} bytes is above the {}-byte limit",
                    text.len(),
                    settings.max_file_size
                ),
            }],
        };
    }
    let rules = &settings.rules;
    let mut outcome = lint_source(rules, lang, display, text);
    // Opt-in rules are compiled in but only reported when selected by id.
    outcome.findings.retain(|f| {
        rules
            .rule(&f.rule_id)
            .is_none_or(|r| !r.opt_in || settings.policy.select.contains(&r.id))
    });
    settings
        .policy
        .apply_to_text(rules, &mut outcome.findings, text);
    Linted {
        findings: outcome.findings,
        notices: outcome.notices,
    }
}

/// Compiles built-in rules plus those in `dirs`, opt-in rules included
/// (whether their findings show is up to the policy).
fn build(dirs: &[PathBuf]) -> Result<RuleSet, Vec<String>> {
    let mut sources = builtin_sources();
    for dir in dirs {
        sources.extend(dir_sources(dir).map_err(|e| vec![describe(&e)])?);
    }
    let mut loaded = compile_all(&sources)
        .map_err(|errors| errors.iter().map(|e| describe(e)).collect::<Vec<_>>())?;
    loaded.extend(crate::rule::meta::suppression_rules());
    let selection = Selection {
        enable: loaded
            .iter()
            .filter(|r| r.rule.opt_in)
            .map(|r| r.rule.id.clone())
            .collect(),
        ..Selection::default()
    };
    RuleSet::build(loaded, &selection).map_err(|e| vec![e])
}

/// One line for a miette diagnostic: `file:line: message`.
pub fn describe(e: &dyn miette::Diagnostic) -> String {
    let place = e.source_code().and_then(|source| {
        let label = e.labels()?.next()?;
        let contents = source.read_span(label.inner(), 0, 0).ok()?;
        Some(format!(
            "{}:{}: ",
            contents.name().unwrap_or("configuration"),
            contents.line() + 1
        ))
    });
    format!("{}{e}", place.unwrap_or_default())
}
