//! Turns a parsed [`RuleFile`] into a [`LoadedRule`], checking everything
//! that can be checked before linting: languages, queries, node kinds,
//! regexes, capture names. Each error points at the YAML that caused it.

use super::error::{line_span, offset_of, RuleFileError};
use super::literals::TextLiterals;
use super::rule_regex::RuleRegex;
use super::schema::{
    CaptureSpec, MatcherSpec, OneOrMany, Precision, RuleFile, TaintLibraryFile, TaintMatchers,
    TaintSpec, WrittenAs,
};
use super::{CompiledMatcher, LanguageMatcher, LoadedRule, Rule};
use crate::cache::QueryChecks;
use crate::diagnostic::Severity;
use crate::lang::kind_set::KindSet;
use crate::lang::Lang;
use crate::matcher::{CaptureConstraint, Matcher, QueryMatcher, Relation, RelationKind, TextRegex};
use crate::query::CompiledQuery;
use crate::taint::spec::{LanguageTaint, TaintLibrary, TaintMatcher, TaintRoles, TaintSlot};
use miette::{NamedSource, SourceSpan};
use regex::Regex;
use serde_saphyr::{Location, Spanned};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use tree_sitter::{Query, QueryPredicateArg};

/// Compiled taint libraries by name.
pub type Libraries = HashMap<String, Arc<TaintLibrary>>;

/// Compiles rule files, holding the file's name and text for error spans.
pub struct Compiler<'a> {
    pub origin: &'a str,
    pub text: &'a str,
    /// Compile matchers only for these languages (`None`: all). Query
    /// compilation dominates start-up, so a run compiles what its files need.
    pub only: Option<&'a [Lang]>,
    /// Taint libraries that `taint: { use: [...] }` may name.
    pub libraries: Option<&'a Libraries>,
    /// Defer compiling taint matchers to their first use (built-in rules,
    /// whose queries CI compiles): the rule's origin and text, shared.
    pub defer: Option<&'a (Arc<str>, Arc<str>)>,
    /// The queries are known to compile with tree-sitter (built-in rules,
    /// compiled lazily; CI compiles them eagerly): those the interpreter
    /// reads are not also given to tree-sitter to check.
    pub trusted: bool,
}

/// Whether a rule-directory file is a taint library rather than a rule.
pub fn is_library_text(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("library:"))
}

/// `{{name}}` placeholders in messages and fixes.
pub fn placeholder_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}\}").expect("static regex")
    })
}

fn id_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^[a-z0-9]+(-[a-z0-9]+)*$").expect("static regex"))
}

impl<'a> Compiler<'a> {
    /// Parses and compiles one rule file.
    pub fn compile_text(&self) -> Result<LoadedRule, Box<RuleFileError>> {
        self.compile(self.parse()?, false)
    }

    /// Parses one rule file and checks its metadata; its matchers compile
    /// on first use ([`LanguageMatcher::compiled`]). For rule files known to
    /// compile (the built-in ones, tested in CI): errors in queries, regexes
    /// and node kinds would only be reported when the matcher is used.
    pub fn compile_text_lazy(&self) -> Result<LoadedRule, Box<RuleFileError>> {
        self.compile(self.parse()?, true)
    }

    fn parse(&self) -> Result<RuleFile, Box<RuleFileError>> {
        serde_saphyr::from_str(self.text).map_err(|e| {
            let offset = e
                .location()
                .map_or(0, |l| offset_of(self.text, l.line(), l.column()));
            self.error_at_line(offset, yaml_message(&e), "here", None)
        })
    }

    /// Parses and compiles one taint library file.
    pub fn compile_library_text(&self) -> Result<TaintLibrary, Box<RuleFileError>> {
        let file: TaintLibraryFile = serde_saphyr::from_str(self.text).map_err(|e| {
            let offset = e
                .location()
                .map_or(0, |l| offset_of(self.text, l.line(), l.column()));
            self.error_at_line(offset, yaml_message(&e), "here", None)
        })?;
        if !id_regex().is_match(&file.library.value) {
            return Err(self.error(
                &file.library.referenced,
                file.library.value.len(),
                format!("library name `{}` is not kebab-case", file.library.value),
                "invalid name",
                None,
            ));
        }
        let library = TaintLibrary {
            name: file.library.value.clone(),
            origin: self.origin.to_string(),
            text: Arc::from(self.text),
            file: Arc::new(file),
            compiled: std::sync::Mutex::new(HashMap::new()),
        };
        // Eager for the languages asked for (rules from directories report
        // errors when loaded); `only: Some(&[])` defers everything.
        for lang in Lang::all() {
            if self.only.is_none_or(|only| only.contains(&lang)) {
                library.roles_for(lang, false)?;
            }
        }
        Ok(library)
    }

    /// Compiles one role's matchers into `roles`, per language.
    fn taint_role(
        &self,
        role: Role,
        matchers: &TaintMatchers,
        roles: &mut HashMap<Lang, TaintRoles>,
    ) -> Result<(), Box<RuleFileError>> {
        for (key, list) in matchers {
            for lang in self.langs_of_key(key, list.first().map(|m| &m.referenced))? {
                if !self.only.is_none_or(|only| only.contains(&lang)) {
                    continue;
                }
                let target = roles.entry(lang).or_default();
                for spec in list {
                    let compiled = Arc::new(self.taint_matcher(spec, lang, role)?);
                    match role {
                        Role::Source => target.sources.push(compiled),
                        Role::Sanitizer => target.sanitizers.push(compiled),
                        Role::Propagator => target.propagators.push(compiled),
                        Role::Sink => target.sinks.push(compiled),
                    }
                }
            }
        }
        Ok(())
    }

    /// The languages a `match`-style key names (`javascript,typescript`).
    fn langs_of_key(
        &self,
        key: &str,
        at: Option<&Location>,
    ) -> Result<Vec<Lang>, Box<RuleFileError>> {
        let mut out = Vec::new();
        for part in key.split(',').map(str::trim) {
            let Some(langs) = Lang::from_rule_key(part) else {
                let offset =
                    at.map_or_else(|| self.text.find(part).unwrap_or(0), |l| self.loc_offset(l));
                return Err(self.error_at_line(
                    offset,
                    format!("unknown language `{part}`"),
                    "under this language key",
                    Some("languages: python, javascript, typescript, tsx, rust".into()),
                ));
            };
            out.extend(langs.iter().copied());
        }
        Ok(out)
    }

    fn taint_matcher(
        &self,
        spec: &Spanned<MatcherSpec>,
        lang: Lang,
        role: Role,
    ) -> Result<TaintMatcher, Box<RuleFileError>> {
        let here = self.loc_offset(&spec.referenced);
        if spec.value.query.is_none() {
            return Err(self.error_at_line(
                here,
                format!("a taint {} needs a `query`", role.name()),
                "matcher without query",
                None,
            ));
        }
        if spec.value.fix.is_some() {
            return Err(self.error_at_line(
                here,
                "`fix` is not allowed in a taint section".into(),
                "here",
                None,
            ));
        }

        let anchors = spec.value.anchors.clone().unwrap_or_default();
        let query_text = spec.value.query.as_ref().map_or("", |q| q.value.as_str());
        let text_captures = crate::taint::spec::text_captures(query_text);
        let built = match (&self.defer, &text_captures) {
            (Some((origin, text)), Some(captures)) => {
                let grammar = (lang.info().grammar)();
                let root_kinds = super::index::text_root_kinds(query_text, &grammar);
                let required = super::literals::required_literals(
                    query_text,
                    |name| where_texts(&spec.value.where_, name),
                    |name| super::index::kind_ids(&grammar, name),
                );
                let (origin, text, owned) = (origin.clone(), text.clone(), spec.clone());
                let compile = Box::new(move || {
                    let compiler = Compiler {
                        origin: &origin,
                        text: &text,
                        only: None,
                        libraries: None,
                        defer: None,
                        trusted: true,
                    };
                    compiler
                        .matcher(&owned, lang, Context::TopLevel)
                        .map_err(|e| eprintln!("backlint: {origin} ({lang}): {e}"))
                        .ok()
                });
                TaintMatcher::lazy(anchors, root_kinds, captures.clone(), required, compile)
            }
            _ => TaintMatcher::ready(
                self.matcher(spec, lang, Context::TopLevel)?,
                query_text,
                anchors,
            ),
        }
        .written_as(WrittenAs::new(lang, &spec.value));
        for required in role.required_captures() {
            if !built.captures(required) {
                return Err(self.error_at_line(
                    here,
                    format!("a taint {} query must capture `@{required}`", role.name()),
                    "missing capture",
                    Some(role.capture_help().into()),
                ));
            }
        }
        Ok(built)
    }

    /// Compiles a rule's `taint:` section for each language its sinks name.
    fn taint(
        &self,
        spec: &Spanned<TaintSpec>,
        file: &RuleFile,
        languages: &mut Vec<Lang>,
        taint_languages: &mut Vec<Lang>,
    ) -> Result<Vec<LanguageTaint>, Box<RuleFileError>> {
        let t = &spec.value;
        if t.sinks.is_empty() {
            return Err(self.error_at_line(
                self.loc_offset(&spec.referenced),
                "a `taint` section needs `sinks`".into(),
                "taint without sinks",
                Some("sinks are queries capturing the dangerous argument as `@sink`".into()),
            ));
        }
        let mut own: HashMap<Lang, TaintRoles> = HashMap::new();
        for (role, matchers) in [
            (Role::Source, &t.sources),
            (Role::Sanitizer, &t.sanitizers),
            (Role::Propagator, &t.propagators),
            (Role::Sink, &t.sinks),
        ] {
            self.taint_role(role, matchers, &mut own)?;
        }
        let mut libraries = Vec::new();
        for name in &t.uses {
            match self.libraries.and_then(|l| l.get(&name.value)) {
                Some(lib) => libraries.push(lib.clone()),
                None => {
                    return Err(self.error(
                        &name.referenced,
                        name.value.len(),
                        format!("unknown taint library `{}`", name.value),
                        "not defined",
                        Some("libraries are YAML files with a top-level `library:` name in a rules directory".into()),
                    ))
                }
            }
        }
        let message = match &t.message {
            Some(m) => {
                for cap in placeholder_regex().captures_iter(&m.value) {
                    if !matches!(&cap[1], "source" | "sink") {
                        return Err(self.error(
                            &m.referenced,
                            m.value.len().min(80),
                            format!("`{{{{{}}}}}` is not a taint placeholder", &cap[1]),
                            "used here",
                            Some("taint messages may use `{{source}}` and `{{sink}}`".into()),
                        ));
                    }
                }
                m.value.clone()
            }
            None => format!(
                "{}: request data from `{{{{source}}}}` reaches `{{{{sink}}}}`",
                file.summary
            ),
        };
        let mut out = Vec::new();
        let mut sink_langs = Vec::new();
        for (key, list) in &t.sinks {
            sink_langs.extend(self.langs_of_key(key, list.first().map(|m| &m.referenced))?);
        }
        sink_langs.sort();
        sink_langs.dedup();
        for lang in sink_langs {
            if !languages.contains(&lang) {
                languages.push(lang);
            }
            taint_languages.push(lang);
            if !self.only.is_none_or(|only| only.contains(&lang)) {
                continue;
            }
            let mut roles = TaintRoles::default();
            for lib in &libraries {
                roles.extend(lib.roles_for(lang, self.defer.is_some())?.as_ref());
            }
            if let Some(r) = own.get(&lang) {
                roles.extend(r);
            }
            out.push(LanguageTaint {
                lang,
                roles,
                message: message.clone(),
                severity: t.severity.unwrap_or(Severity::Error),
            });
        }
        Ok(out)
    }

    /// Taint slots compiled on first use, one per language of the run.
    fn lazy_taint(
        &self,
        spec: &Spanned<TaintSpec>,
        file: &Arc<RuleFile>,
        langs: &[Lang],
    ) -> Vec<TaintSlot> {
        let t = &spec.value;
        let libraries: Libraries = t
            .uses
            .iter()
            .filter_map(|u| {
                let lib = self.libraries?.get(&u.value)?;
                Some((u.value.clone(), lib.clone()))
            })
            .collect();
        let (origin, text): (Arc<str>, Arc<str>) = (Arc::from(self.origin), Arc::from(self.text));
        langs
            .iter()
            .filter(|lang| self.only.is_none_or(|only| only.contains(lang)))
            .map(|&lang| {
                let lists = |own: &TaintMatchers,
                             of_lib: fn(&TaintLibraryFile) -> &TaintMatchers,
                             values_only: bool| {
                    let mut all = vec![yaml_anchors(own, lang, values_only)];
                    all.extend(
                        libraries
                            .values()
                            .map(|l| yaml_anchors(of_lib(&l.file), lang, values_only)),
                    );
                    all.into_iter().try_fold(Vec::new(), |mut acc, a| {
                        acc.extend(a?);
                        Some(acc)
                    })
                };
                let sinks = lists(&t.sinks, |f| &f.sinks, false);
                let sources = lists(&t.sources, |f| &f.sources, false);
                let value_sources = lists(&t.sources, |f| &f.sources, true);
                let (origin, text, file, libraries) = (
                    origin.clone(),
                    text.clone(),
                    file.clone(),
                    libraries.clone(),
                );
                TaintSlot::lazy(
                    lang,
                    [sinks, sources, value_sources],
                    Box::new(move || {
                        let spec = file.taint.as_ref()?;
                        let only = [lang];
                        let shared = (origin.clone(), text.clone());
                        let compiler = Compiler {
                            origin: &origin,
                            text: &text,
                            only: Some(&only),
                            libraries: Some(&libraries),
                            defer: Some(&shared),
                            trusted: true,
                        };
                        compiler
                            .taint(spec, &file, &mut Vec::new(), &mut Vec::new())
                            .ok()?
                            .pop()
                    }),
                )
            })
            .collect()
    }

    fn compile(&self, file: RuleFile, lazy: bool) -> Result<LoadedRule, Box<RuleFileError>> {
        let file = Arc::new(file);
        let shared: OnceLock<(Arc<str>, Arc<str>)> = OnceLock::new();
        if !id_regex().is_match(&file.id.value) {
            return Err(self.error(
                &file.id.referenced,
                file.id.value.len(),
                format!("rule id `{}` is not kebab-case", file.id.value),
                "invalid id",
                Some("use lowercase words joined by `-`, e.g. `sql-injection`".into()),
            ));
        }
        let mut matchers = Vec::new();
        let mut languages = Vec::new();
        for (key, spec) in &file.matchers {
            for part in key.split(',').map(str::trim) {
                let Some(langs) = Lang::from_rule_key(part) else {
                    return Err(self.error_at_line(
                        self.loc_offset(&spec.referenced),
                        format!("unknown language `{part}` in `match`"),
                        "the matcher under this language key",
                        Some("languages: python, javascript, typescript, tsx, rust".into()),
                    ));
                };
                for &lang in langs {
                    if languages.contains(&lang) {
                        return Err(self.error_at_line(
                            self.loc_offset(&spec.referenced),
                            format!("language `{lang}` has two matchers in `match`"),
                            "second matcher",
                            None,
                        ));
                    }
                    languages.push(lang);
                    if self.only.is_none_or(|only| only.contains(&lang)) {
                        let anchors = spec.value.anchors.clone().unwrap_or_default();
                        let same = WrittenAs::new(lang, &spec.value);
                        matchers.push(if lazy {
                            let (origin, text) = shared
                                .get_or_init(|| (Arc::from(self.origin), Arc::from(self.text)));
                            let root_kinds = spec.value.query.as_ref().and_then(|q| {
                                super::index::text_root_kinds(&q.value, &(lang.info().grammar)())
                            });
                            let pending = Pending {
                                origin: origin.clone(),
                                text: text.clone(),
                                file: file.clone(),
                                key: key.clone(),
                            };
                            LanguageMatcher::lazy(lang, anchors, root_kinds, pending).same_as(same)
                        } else {
                            let compiled = self.top_level(spec, lang, &file)?;
                            let root_kinds = compiled
                                .matcher
                                .query
                                .as_ref()
                                .and_then(|q| q.root_kinds.clone());
                            LanguageMatcher::ready(lang, anchors, root_kinds, compiled)
                                .same_as(same)
                        });
                    }
                }
            }
        }
        let mut taint_languages = Vec::new();
        let taint = match &file.taint {
            Some(spec) if lazy => {
                // Check the section's shape now, compile per language later.
                let check = Compiler {
                    only: Some(&[]),
                    ..*self
                };
                check.taint(spec, &file, &mut languages, &mut taint_languages)?;
                self.lazy_taint(spec, &file, &taint_languages)
            }
            Some(spec) => self
                .taint(spec, &file, &mut languages, &mut taint_languages)?
                .into_iter()
                .map(TaintSlot::ready)
                .collect(),
            None => Vec::new(),
        };
        if languages.is_empty() {
            return Err(self.error(
                &file.id.referenced,
                file.id.value.len(),
                "the rule has neither `match` languages nor taint sinks".into(),
                "this rule matches nothing",
                None,
            ));
        }
        languages.sort();
        matchers.sort_by_key(|m| m.lang);
        let has_fix = file.fix.is_some()
            || file.matchers.values().any(|spec| {
                spec.value
                    .fix
                    .as_ref()
                    .is_some_and(|f| !f.value.to_vec().is_empty())
            });
        if has_fix && file.fix_safety.is_none() {
            return Err(self.error(
                &file.id.referenced,
                file.id.value.len(),
                "a rule with a `fix` must declare `fix-safety: safe` or `fix-safety: unsafe`"
                    .into(),
                "this rule",
                Some("safe fixes are applied by `--fix`; unsafe ones need `--unsafe-fixes`".into()),
            ));
        }
        let precision = file.precision.unwrap_or(match file.severity {
            Severity::Error => Precision::High,
            _ => Precision::Medium,
        });
        Ok(LoadedRule {
            rule: Rule {
                id: file.id.value.clone(),
                summary: file.summary.clone(),
                severity: file.severity,
                category: file.category,
                message: match &file.message {
                    Some(m) => m.value.clone(),
                    None => file
                        .taint
                        .as_ref()
                        .and_then(|t| t.value.message.as_ref())
                        .map_or_else(|| file.summary.clone(), |m| m.value.clone()),
                },
                docs: file.docs.clone(),
                references: file.references.clone(),
                precision,
                fix: file.fix.as_ref().map(|f| f.value.clone()),
                fix_safety: file.fix_safety.unwrap_or(super::FixSafety::Unsafe),
                opt_in: false,
                languages,
                origin: self.origin.to_string(),
                taint_severity: file
                    .taint
                    .as_ref()
                    .map(|t| t.value.severity.unwrap_or(Severity::Error)),
                taint_languages,
            },
            matchers,
            taint,
        })
    }

    fn top_level(
        &self,
        spec: &Spanned<MatcherSpec>,
        lang: Lang,
        file: &RuleFile,
    ) -> Result<CompiledMatcher, Box<RuleFileError>> {
        if spec.value.query.is_none() {
            return Err(self.error_at_line(
                self.loc_offset(&spec.referenced),
                "a top-level matcher needs a `query`".into(),
                "matcher without query",
                Some("the query decides which nodes the rule is tried on".into()),
            ));
        }
        let matcher = self.matcher(spec, lang, Context::TopLevel)?;
        let capture_names = matcher.capture_names();
        let matcher_fixes: Vec<Spanned<String>> = spec
            .value
            .fix
            .iter()
            .flat_map(|f| {
                f.value
                    .to_vec()
                    .into_iter()
                    .map(|value| Spanned::new(value, f.referenced, f.defined))
            })
            .collect();
        let Some(message) = &file.message else {
            return Err(self.error(
                &file.id.referenced,
                file.id.value.len(),
                "a rule with `match` needs a `message`".into(),
                "this rule",
                Some("`{{name}}` in the message inserts the text of capture `@name`".into()),
            ));
        };
        let templates = std::iter::once(message)
            .chain(file.fix.as_ref())
            .chain(matcher_fixes.iter());
        for template in templates {
            for cap in placeholder_regex().captures_iter(&template.value) {
                let name = &cap[1];
                if !capture_names.iter().any(|c| c == name) {
                    return Err(self.error(
                        &template.referenced,
                        template.value.len().min(80),
                        format!("`{{{{{name}}}}}` names a capture that the {lang} query does not define"),
                        "used here",
                        Some(format!("define `@{name}` in the query, or remove the placeholder")),
                    ));
                }
            }
        }
        Ok(CompiledMatcher {
            matcher,
            capture_names,
            fix: matcher_fixes.into_iter().map(|f| f.value).collect(),
        })
    }

    fn matcher(
        &self,
        spec: &Spanned<MatcherSpec>,
        lang: Lang,
        context: Context,
    ) -> Result<Matcher, Box<RuleFileError>> {
        let s = &spec.value;
        let here = self.loc_offset(&spec.referenced);
        if s.anchors.is_some() && context != Context::TopLevel {
            return Err(self.error_at_line(
                here,
                "`anchors` is only allowed on a top-level matcher".into(),
                "nested matcher",
                None,
            ));
        }
        if s.stop_by.is_some() && context != Context::Relation {
            return Err(self.error_at_line(
                here,
                "`stop-by` is only allowed inside `inside`/`not-inside`/`has`/`not-has`".into(),
                "not a relation",
                None,
            ));
        }
        let grammar = (lang.info().grammar)();
        let kinds = self.kinds(s.kind.as_ref(), &grammar, lang, here)?;
        let query = match &s.query {
            Some(q) => Some(self.query(q, lang, &grammar, s)?),
            None => {
                if let Some((name, c)) = s.where_.iter().next() {
                    return Err(self.error_at_line(
                        self.loc_offset(&c.referenced),
                        format!(
                            "`where` constrains capture `{name}` but this matcher has no `query`"
                        ),
                        "constraint without query",
                        None,
                    ));
                }
                None
            }
        };
        let mut relations = Vec::new();
        for (kind, rel) in [
            (RelationKind::Inside, &s.inside),
            (RelationKind::NotInside, &s.not_inside),
            (RelationKind::Has, &s.has),
            (RelationKind::NotHas, &s.not_has),
        ] {
            if let Some(rel) = rel {
                let stop_by = match &rel.value.stop_by {
                    Some(stop) => Some(self.matcher(stop, lang, Context::Nested)?),
                    None => None,
                };
                let target = self.matcher(rel, lang, Context::Relation)?;
                let target_literals = match kind {
                    RelationKind::Has | RelationKind::NotHas => TextLiterals::of(&target),
                    RelationKind::Inside | RelationKind::NotInside => None,
                };
                relations.push(Relation {
                    kind,
                    target,
                    stop_by,
                    target_literals,
                });
            }
        }
        let list = |items: &Option<Vec<Spanned<MatcherSpec>>>| -> Result<Vec<Matcher>, Box<RuleFileError>> {
            items
                .iter()
                .flatten()
                .map(|m| self.matcher(m, lang, Context::Nested))
                .collect()
        };
        Ok(Matcher {
            kinds,
            regex: self.regex(s.regex.as_ref())?,
            not_regex: self.regex(s.not_regex.as_ref())?,
            query,
            relations,
            all: list(&s.all)?,
            any: list(&s.any)?,
            not: match &s.not {
                Some(m) => Some(Box::new(self.matcher(m, lang, Context::Nested)?)),
                None => None,
            },
        })
    }

    fn kinds(
        &self,
        kind: Option<&OneOrMany>,
        grammar: &tree_sitter::Language,
        lang: Lang,
        here: usize,
    ) -> Result<KindSet, Box<RuleFileError>> {
        let kinds = kind.map(OneOrMany::to_vec).unwrap_or_default();
        for k in &kinds {
            if grammar.id_for_node_kind(k, true) == 0 {
                let at = self.text[here..]
                    .find(k.as_str())
                    .map_or(here, |i| here + i);
                return Err(self
                    .error(
                        &Location::UNKNOWN,
                        0,
                        format!("`{k}` is not a node kind of the {lang} grammar"),
                        "unknown kind",
                        None,
                    )
                    .with_span((at, k.len()).into()));
            }
        }
        Ok(KindSet::new(grammar, &kinds))
    }

    fn query(
        &self,
        q: &Spanned<String>,
        lang: Lang,
        grammar: &tree_sitter::Language,
        spec: &MatcherSpec,
    ) -> Result<QueryMatcher, Box<RuleFileError>> {
        let where_ = &spec.where_;
        let start = self.loc_offset(&q.referenced);
        if captures_empty_group(&q.value) {
            return Err(self.error_at_line(
                start,
                format!("the {lang} query does not compile: a capture or quantifier follows a group with no node in it"),
                "in this query",
                Some("captures and quantifiers apply to nodes; a group holding only predicates has none".into()),
            ));
        }
        let compiled_text = own_match_predicates(&q.value);
        let query = shared_query(lang, grammar, &compiled_text, self.trusted).map_err(|e| {
            let line = q.value.lines().nth(e.row).unwrap_or("").trim();
            let at = if line.is_empty() { None } else { self.text[start..].find(line).map(|i| start + i) };
            let span = match at {
                Some(at) => SourceSpan::from((at, line.len())),
                None => line_span(self.text, start),
            };
            let message = e.message.lines().next().unwrap_or("").to_string();
            Box::new(RuleFileError {
                message: format!("the {lang} query does not compile: {:?} error{}", e.kind, if message.is_empty() { String::new() } else { format!(" at `{message}`") }),
                source_code: self.source(),
                span,
                label: "in this line of the query".into(),
                help: Some("check node and field names with `tree-sitter parse` or the grammar's node-types.json".into()),
            })
        })?;
        let mut text_regexes = Vec::with_capacity(query.pattern_count());
        for pattern in 0..query.pattern_count() {
            let mut own = Vec::new();
            for p in query.general_predicates(pattern) {
                let Some(op) = p.operator.strip_prefix(OWN_PREDICATE) else {
                    continue;
                };
                let name = format!("#{op}");
                let at = self.text[start..].find(&name).map_or(start, |i| start + i);
                let (capture, pattern) = match &p.args[..] {
                    [QueryPredicateArg::Capture(c), QueryPredicateArg::String(re)] => (*c, re),
                    _ => {
                        return Err(self
                            .error(
                                &Location::UNKNOWN,
                                0,
                                format!("`{name}` takes a capture and a regex"),
                                "here",
                                None,
                            )
                            .with_span((at, name.len()).into()))
                    }
                };
                let regex = super::rule_regex::shared(pattern).map_err(|e| {
                    let last = e.to_string().lines().last().unwrap_or("").to_string();
                    self.error(
                        &Location::UNKNOWN,
                        0,
                        format!("invalid regex in `{name}`: {last}"),
                        "this predicate",
                        None,
                    )
                    .with_span((at, name.len()).into())
                })?;
                own.push(TextRegex {
                    capture,
                    regex,
                    negated: op.starts_with("not-"),
                });
            }
            text_regexes.push(own);
            let foreign = query
                .general_predicates(pattern)
                .iter()
                .find(|p| !p.operator.starts_with(OWN_PREDICATE));
            if let Some(p) = foreign {
                let name = format!("#{}", p.operator);
                let at = self.text[start..].find(&name).map_or(start, |i| start + i);
                return Err(self.error(&Location::UNKNOWN, 0, format!("unknown query predicate `{name}`"), "not supported", Some("supported: #eq?, #not-eq?, #match?, #not-match?, #any-of?, #not-any-of?; use `where:` for more".into())).with_span((at, name.len()).into()));
            }
        }
        let mut constraints = Vec::new();
        for (name, c) in where_ {
            let Some(index) = query.capture_index_for_name(name) else {
                let at = self.loc_offset(&c.referenced);
                let key_at = self.text[..at].rfind(name.as_str()).unwrap_or(at);
                return Err(self.error(&Location::UNKNOWN, 0, format!("`where` names capture `{name}`, which the {lang} query does not define"), "unknown capture", Some(format!("captures are written `@{name}` in the query"))).with_span((key_at, name.len()).into()));
            };
            let spec = &c.value;
            constraints.push((
                index,
                CaptureConstraint {
                    regex: self.regex(spec.regex.as_ref())?,
                    not_regex: self.regex(spec.not_regex.as_ref())?,
                    kinds: self.kinds(
                        spec.kind.as_ref(),
                        grammar,
                        lang,
                        self.loc_offset(&c.referenced),
                    )?,
                    not_kinds: self.kinds(
                        spec.not_kind.as_ref(),
                        grammar,
                        lang,
                        self.loc_offset(&c.referenced),
                    )?,
                    literal: spec.literal,
                    secret: match (&spec.secret_key, spec.secret) {
                        (Some(key), _) => match query.capture_index_for_name(&key.value) {
                            Some(k) => Some(Some(k)),
                            None => {
                                return Err(self.error_at_line(
                                    self.loc_offset(&key.referenced),
                                    format!("`secret-key` names capture `{}`, which the {lang} query does not define", key.value),
                                    "unknown capture",
                                    None,
                                ))
                            }
                        },
                        (None, Some(true)) => Some(None),
                        (None, _) => None,
                    },
                },
            ));
        }
        let root_kinds = super::index::pattern_root_kinds(&query, &compiled_text, grammar);
        let required = super::literals::required_literals_beside(
            &q.value,
            |name| where_texts(where_, name),
            |name| super::index::kind_ids(grammar, name),
            |kind| super::literals::beside_query(spec, kind),
        );
        Ok(QueryMatcher {
            query,
            source: compiled_text.into_owned(),
            root_kinds,
            constraints,
            text_regexes,
            required,
        })
    }

    fn regex(
        &self,
        r: Option<&Spanned<String>>,
    ) -> Result<Option<Arc<RuleRegex>>, Box<RuleFileError>> {
        let Some(r) = r else { return Ok(None) };
        super::rule_regex::shared(&r.value).map(Some).map_err(|e| {
            let last = e.to_string().lines().last().unwrap_or("").to_string();
            self.error_at_line(
                self.loc_offset(&r.referenced),
                format!("invalid regex: {last}"),
                "this regex",
                None,
            )
        })
    }

    fn loc_offset(&self, loc: &Location) -> usize {
        offset_of(self.text, loc.line(), loc.column())
    }

    fn source(&self) -> NamedSource<String> {
        NamedSource::new(self.origin, self.text.to_string()).with_language("yaml")
    }

    fn error(
        &self,
        loc: &Location,
        len: usize,
        message: String,
        label: &str,
        help: Option<String>,
    ) -> Box<RuleFileError> {
        let offset = self.loc_offset(loc);
        Box::new(RuleFileError {
            message,
            source_code: self.source(),
            span: (offset, len.min(self.text.len() - offset)).into(),
            label: label.into(),
            help,
        })
    }

    fn error_at_line(
        &self,
        offset: usize,
        message: String,
        label: &str,
        help: Option<String>,
    ) -> Box<RuleFileError> {
        Box::new(RuleFileError {
            message,
            source_code: self.source(),
            span: line_span(self.text, offset),
            label: label.into(),
            help,
        })
    }
}

/// The `where:` regex of capture `name`, if it has one.
/// What the `where:` entry of capture `name` asks of its text, for the
/// literal requirements (see [`super::literals`]).
fn where_texts(
    where_: &std::collections::BTreeMap<String, Spanned<CaptureSpec>>,
    name: &str,
) -> Vec<super::literals::WhereText> {
    use super::literals::WhereText;
    let Some(spec) = where_.get(name).map(|c| &c.value) else {
        return Vec::new();
    };
    let mut texts: Vec<WhereText> = spec
        .regex
        .iter()
        .map(|r| WhereText::Regex(r.value.clone()))
        .collect();
    match (&spec.secret_key, spec.secret) {
        (Some(key), _) => texts.push(WhereText::Secret {
            key: Some(key.value.clone()),
        }),
        (None, Some(true)) => texts.push(WhereText::Secret { key: None }),
        (None, _) => {}
    }
    texts
}

/// What a lazily compiled matcher is compiled from: its rule file.
pub struct Pending {
    pub origin: Arc<str>,
    text: Arc<str>,
    file: Arc<RuleFile>,
    /// The `match` key (`python`, `javascript, typescript`, …).
    key: String,
}

impl Pending {
    /// The literals the top-level query needs at a node (see
    /// [`super::literals`]), read from the rule's text without compiling.
    pub(crate) fn required_literals(
        &self,
        lang: Lang,
    ) -> Option<super::literals::RequiredLiterals> {
        let spec = &self.file.matchers.get(&self.key)?.value;
        let query = spec.query.as_ref()?;
        let grammar = (lang.info().grammar)();
        super::literals::required_literals_beside(
            &query.value,
            |name| where_texts(&spec.where_, name),
            |name| super::index::kind_ids(&grammar, name),
            |kind| super::literals::beside_query(spec, kind),
        )
    }

    /// Compiles the matcher for `lang`, with the same checks as an eager
    /// compile.
    pub(crate) fn compile(&self, lang: Lang) -> Result<CompiledMatcher, Box<RuleFileError>> {
        let compiler = Compiler {
            origin: &self.origin,
            text: &self.text,
            only: None,
            libraries: None,
            defer: None,
            trusted: true,
        };
        match self.file.matchers.get(&self.key) {
            Some(spec) => compiler.top_level(spec, lang, &self.file),
            None => Err(compiler.error_at_line(0, format!("no matcher `{}`", self.key), "", None)),
        }
    }
}

/// Whether `text` captures or quantifies a group or alternation that holds
/// no node (only predicates), e.g. `(x) @a ((#eq? @a "v")) @b`: tree-sitter
/// 0.27's query parser then fails an assertion and aborts the process
/// instead of returning an error, so such a query is rejected first.
fn captures_empty_group(text: &str) -> bool {
    struct Scan<'a> {
        b: &'a [u8],
        i: usize,
        bad: bool,
    }
    impl Scan<'_> {
        fn peek(&mut self) -> Option<u8> {
            loop {
                match self.b.get(self.i)? {
                    c if c.is_ascii_whitespace() => self.i += 1,
                    b';' => {
                        while self.b.get(self.i).is_some_and(|c| *c != b'\n') {
                            self.i += 1;
                        }
                    }
                    c => return Some(*c),
                }
            }
        }
        fn skip_string(&mut self) {
            self.i += 1;
            while let Some(c) = self.b.get(self.i) {
                self.i += if *c == b'\\' { 2 } else { 1 };
                if *c == b'"' {
                    return;
                }
            }
        }
        fn skip_word(&mut self) {
            while self
                .b
                .get(self.i)
                .is_some_and(|c| !c.is_ascii_whitespace() && !b"()[]\"@;:".contains(c))
            {
                self.i += 1;
            }
        }
        /// Elements up to `close`; whether any of them holds a node.
        fn list(&mut self, close: u8) -> bool {
            let mut nodes = false;
            while let Some(c) = self.peek() {
                if c == close {
                    self.i += 1;
                    return nodes;
                }
                if c == b')' || c == b']' {
                    self.i += 1; // unbalanced: tree-sitter reports it
                    return nodes;
                }
                nodes |= self.element();
            }
            nodes
        }
        /// One element and its suffixes; whether it holds a node.
        fn element(&mut self) -> bool {
            let Some(c) = self.peek() else { return false };
            let nodes = match c {
                b'(' => {
                    self.i += 1;
                    match self.peek() {
                        Some(b'#') => {
                            self.list(b')');
                            false
                        }
                        Some(b'(' | b'[' | b'"' | b'.' | b')') => self.list(b')'),
                        _ => {
                            self.skip_word();
                            self.list(b')');
                            true
                        }
                    }
                }
                b'[' => {
                    self.i += 1;
                    self.list(b']')
                }
                b'"' => {
                    self.skip_string();
                    true
                }
                b'.' => {
                    self.i += 1;
                    false
                }
                b'@' | b'*' | b'+' | b'?' | b')' | b']' => {
                    self.i += 1;
                    return false;
                }
                _ => {
                    self.skip_word();
                    if self.peek() == Some(b':') {
                        self.i += 1;
                        return self.element();
                    }
                    true
                }
            };
            while let Some(c @ (b'@' | b'*' | b'+' | b'?')) = self.peek() {
                if !nodes {
                    self.bad = true;
                }
                self.i += 1;
                if c == b'@' {
                    self.skip_word();
                }
            }
            nodes
        }
    }
    let mut scan = Scan {
        b: text.as_bytes(),
        i: 0,
        bad: false,
    };
    while scan.peek().is_some() && !scan.bad {
        let before = scan.i;
        scan.element();
        if scan.i == before {
            scan.i += 1;
        }
    }
    scan.bad
}

/// One query text of one language: its compiled form, and whether
/// tree-sitter's compiler accepts it (asked once, for untrusted rules).
#[derive(Default)]
struct QuerySlot {
    compiled: OnceLock<Option<Arc<CompiledQuery>>>,
    checked: OnceLock<bool>,
}

type QueryMap = HashMap<(Lang, String), Arc<QuerySlot>>;
static QUERIES: OnceLock<Mutex<QueryMap>> = OnceLock::new();

/// Every (language, query text) compiled so far (for tests).
#[cfg(test)]
pub(crate) fn compiled_query_texts() -> Vec<(Lang, String)> {
    let map = QUERIES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    map.keys().cloned().collect()
}

/// One compiled query per (language, query text), shared by every rule
/// that uses the same text. Reading a query for the interpreter is cheap;
/// `Query::new` (the fallback, and the check of untrusted rule files, once
/// per text) is the dominant cost of loading rules. Failed compiles are not
/// kept (the error is recomputed).
fn shared_query(
    lang: Lang,
    grammar: &tree_sitter::Language,
    text: &str,
    trusted: bool,
) -> Result<Arc<CompiledQuery>, tree_sitter::QueryError> {
    let slot = {
        let mut map = QUERIES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry((lang, text.to_string())).or_default().clone()
    };
    // tree-sitter's checks (structure, impossible patterns) stand for rule
    // files CI has not compiled.
    if !trusted
        && !*slot
            .checked
            .get_or_init(|| tree_sitter_accepts(lang, grammar, text))
    {
        Query::new(grammar, text)?;
    }
    // Compiled outside the map's lock: other queries compile in parallel;
    // a second thread wanting this one waits for it instead of compiling it
    // again.
    match slot
        .compiled
        .get_or_init(|| CompiledQuery::new(grammar, text).ok().map(Arc::new))
    {
        Some(query) => Ok(query.clone()),
        None => CompiledQuery::new(grammar, text).map(Arc::new),
    }
}

/// Where tree-sitter's acceptance of untrusted query texts is remembered
/// between runs; unset, every untrusted text is checked in every run.
static QUERY_CHECKS: OnceLock<QueryChecks> = OnceLock::new();

/// From now on, remember in `checks` which untrusted query texts
/// tree-sitter accepts (a no-op once set: one store per process).
pub fn remember_query_checks(checks: QueryChecks) {
    let _ = QUERY_CHECKS.set(checks);
}

/// Whether tree-sitter's query compiler accepts `text`, as remembered or
/// by compiling it.
fn tree_sitter_accepts(lang: Lang, grammar: &tree_sitter::Language, text: &str) -> bool {
    let store = QUERY_CHECKS.get();
    // The grammar's identity beyond its name: a grammar update changes
    // what its queries may name.
    let grammar_id = format!(
        "{}/{}/{}/{}",
        lang.name(),
        grammar.abi_version(),
        grammar.node_kind_count(),
        grammar.field_count()
    );
    if store.is_some_and(|s| s.accepted(&grammar_id, text)) {
        return true;
    }
    let accepted = Query::new(grammar, text).is_ok();
    if let (true, Some(store)) = (accepted, store) {
        store.record_accepted(&grammar_id, text);
    }
    accepted
}

/// Prefix of the predicate names backlint evaluates itself.
const OWN_PREDICATE: &str = "backlint-";

/// `query` with its `#match?` and `#not-match?` predicates renamed
/// `#backlint-match?` and `#backlint-not-match?`, so that tree-sitter
/// leaves them to backlint (see [`text_regexes`]). Strings and comments
/// are left as they are.
fn own_match_predicates(query: &str) -> std::borrow::Cow<'_, str> {
    let bytes = query.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                at += 1;
                while at < bytes.len() && bytes[at] != b'"' {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
            }
            b';' => {
                while at < bytes.len() && bytes[at] != b'\n' {
                    at += 1;
                }
            }
            b'#' => {
                let name = &query[at + 1..];
                if name.starts_with("match?") || name.starts_with("not-match?") {
                    out.push_str(&query[copied..=at]);
                    out.push_str(OWN_PREDICATE);
                    copied = at + 1;
                }
            }
            _ => {}
        }
        at += 1;
    }
    if copied == 0 {
        return std::borrow::Cow::Borrowed(query);
    }
    out.push_str(&query[copied..]);
    std::borrow::Cow::Owned(out)
}

impl RuleFileError {
    fn with_span(mut self: Box<Self>, span: SourceSpan) -> Box<Self> {
        self.span = span;
        self
    }
}

/// The role of a matcher in a taint specification.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Source,
    Sanitizer,
    Propagator,
    Sink,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Source => "source",
            Role::Sanitizer => "sanitizer",
            Role::Propagator => "propagator",
            Role::Sink => "sink",
        }
    }

    fn required_captures(self) -> &'static [&'static str] {
        match self {
            Role::Sink => &["sink"],
            Role::Propagator => &["from", "to"],
            Role::Source | Role::Sanitizer => &[],
        }
    }

    fn capture_help(self) -> &'static str {
        match self {
            Role::Sink => "capture the argument that must not carry request data, e.g. `arguments: (argument_list . (_) @sink)`",
            _ => "capture the value taint comes from as `@from` and the variable it flows into as `@to`",
        }
    }
}

/// Where a matcher sits in the rule, which decides the keys it may use.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    TopLevel,
    Relation,
    Nested,
}

/// serde-saphyr's message without its own location suffix (we show a span).
fn yaml_message(e: &serde_saphyr::Error) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or("invalid YAML");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    // Drop serde-saphyr's own "line N column M: " prefix; the span shows it.
    let first = match first.find(": ") {
        Some(i) if first.starts_with("line ") => &first[i + 2..],
        _ => first,
    };
    match first.find(" at line ") {
        Some(i) => first[..i].to_string(),
        None => first.to_string(),
    }
}

/// Anchors of the matchers of one role for `lang`: `None` when one has
/// none (it can match in any file). With `values_only`, matchers whose
/// query captures `@param` (handler parameters) are left out.
fn yaml_anchors(matchers: &TaintMatchers, lang: Lang, values_only: bool) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for (key, list) in matchers {
        let covers = key
            .split(',')
            .map(str::trim)
            .any(|part| Lang::from_rule_key(part).is_some_and(|langs| langs.contains(&lang)));
        if !covers {
            continue;
        }
        for m in list {
            let query = m.value.query.as_ref().map_or("", |q| q.value.as_str());
            let captures_param = || {
                crate::taint::spec::text_captures(query)
                    .is_some_and(|c| c.iter().any(|n| n == "param"))
            };
            if values_only && captures_param() {
                continue;
            }
            out.extend(m.value.anchors.clone()?);
        }
    }
    Some(out)
}

impl TaintLibrary {
    /// The library's matchers for `lang`, compiled on first use.
    /// The library's roles for `lang`, compiled on the first call; with
    /// `defer`, each matcher's query compiles on its first use.
    pub fn roles_for(
        &self,
        lang: Lang,
        defer: bool,
    ) -> Result<Arc<TaintRoles>, Box<RuleFileError>> {
        let mut compiled = self
            .compiled
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(roles) = compiled.get(&lang) {
            return Ok(roles.clone());
        }
        let only = [lang];
        let shared = (Arc::from(self.origin.as_str()), self.text.clone());
        let compiler = Compiler {
            origin: &self.origin,
            text: &self.text,
            only: Some(&only),
            libraries: None,
            defer: defer.then_some(&shared),
            trusted: defer,
        };
        let mut roles: HashMap<Lang, TaintRoles> = HashMap::new();
        for (role, matchers) in [
            (Role::Source, &self.file.sources),
            (Role::Sanitizer, &self.file.sanitizers),
            (Role::Propagator, &self.file.propagators),
            (Role::Sink, &self.file.sinks),
        ] {
            compiler.taint_role(role, matchers, &mut roles)?;
        }
        let roles = Arc::new(roles.remove(&lang).unwrap_or_default());
        compiled.insert(lang, roles.clone());
        Ok(roles)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn captured_groups_without_nodes_are_found() {
        use super::captures_empty_group as empty;
        assert!(empty(r#"(identifier) @a ((#eq? @a "x")) @b"#));
        assert!(empty(r#"(call (identifier) @a (((#eq? @a "x"))) @b)"#));
        assert!(empty(r#"(call (identifier) @a [(#eq? @a "x")]* )"#));
        assert!(!empty(r#"(call (identifier) @a ((#eq? @a "x")))"#));
        assert!(!empty(r#"((identifier) @a (#eq? @a "x")) @b"#));
        assert!(!empty(
            r#"(call function: [(attribute) (identifier)] @f) @c"#
        ));
        assert!(!empty(r#"(call . (string) @s . "(" @p)+ ; (#x) @y"#));
        assert!(!empty(r#"(_ (_)? @x "a\"b" @y)"#));
    }

    #[test]
    fn match_predicates_are_renamed_outside_strings_and_comments() {
        use super::own_match_predicates as own;
        let query = r##"((identifier) @f (#match? @f "^md5$") (#not-match? @f "x") (#eq? @f "#match?")) ; #match?"##;
        assert_eq!(
            own(query),
            r##"((identifier) @f (#backlint-match? @f "^md5$") (#backlint-not-match? @f "x") (#eq? @f "#match?")) ; #match?"##
        );
        assert!(matches!(own("(call) @c"), std::borrow::Cow::Borrowed(_)));
    }

    /// Findings of a one-query Python rule on `source`: the text of each
    /// `@match`.
    fn matches(query: &str, source: &str) -> Vec<String> {
        let body = format!(
            "query: |\n{}",
            query
                .lines()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        rule_matches(&body, source)
    }

    /// A Python rule whose matcher is `body` (YAML, indented as at the
    /// top level).
    fn python_rule(body: &str) -> crate::rule::index::RuleSet {
        let text = format!(
            "id: sample\nsummary: s\nseverity: warning\ncategory: security\nmessage: m\ndocs: d\nmatch:\n  python:\n{}\n",
            body.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
        );
        let sources = [crate::rule::load::RuleSource {
            origin: "sample.yaml".into(),
            text,
            lazy: false,
        }];
        let loaded = crate::rule::load::compile_all(&sources).unwrap_or_else(|e| panic!("{e:?}"));
        crate::rule::index::RuleSet::build(loaded, &Default::default()).expect("set")
    }

    /// Findings of the Python rule [`python_rule`] makes of `body` on
    /// `source`: the text of each `@match`.
    fn rule_matches(body: &str, source: &str) -> Vec<String> {
        let rules = python_rule(body);
        let outcome = crate::engine::lint_source(&rules, crate::lang::Lang::Python, "a.py", source);
        outcome
            .findings
            .iter()
            .map(|f| {
                let lines: Vec<&str> = source.lines().collect();
                let line = lines[f.span.start.line - 1];
                line.chars()
                    .skip(f.span.start.column - 1)
                    .take(f.span.end.column - f.span.start.column)
                    .collect()
            })
            .collect()
    }

    #[test]
    fn match_predicates_run_in_ascii_mode_per_pattern() {
        // `\w` is ASCII: `café` is not a word.
        let ascii = r#"((identifier) @match (#match? @match "^\\w+$"))"#;
        assert_eq!(matches(ascii, "café = naive\n"), ["naive"]);
        let negated = r#"((identifier) @match (#not-match? @match "^na"))"#;
        assert_eq!(matches(negated, "café = naive\n"), ["café"]);
        // Predicates belong to their pattern.
        let two = "((identifier) @match (#match? @match \"^a\"))\n((integer) @match)";
        assert_eq!(matches(two, "a = b + 7\n"), ["a", "7"]);
    }

    #[test]
    fn has_targets_written_as_queries_need_their_predicates_literals() {
        let body = r#"query: (call) @match
not-has:
  query: |
    (argument_list (identifier) @v (#match? @v "^secret_"))
    (argument_list (attribute attribute: (identifier) @a) (#any-of? @a "token_of" "key_of"))
has:
  kind: argument_list"#;
        // The relation knows what its target's text holds: a call whose
        // text has none of these is not searched.
        let rules = python_rule(body);
        let index = rules.for_lang(crate::lang::Lang::Python).expect("python");
        let compiled = index.entries[0].matcher.compiled().expect("compiled");
        let not_has = compiled
            .matcher
            .relations
            .iter()
            .find(|r| r.kind == crate::matcher::RelationKind::NotHas)
            .expect("not-has");
        let literals = not_has.target_literals.as_ref().expect("target literals");
        assert!(literals.occur_in(b"f(secret_a)") && literals.occur_in(b"f(u.key_of)"));
        assert!(!literals.occur_in(b"f(secret, token, key)"));
        // And finds the same: calls holding a matching descendant are out,
        // nested or not; the words alone do not count.
        let source = "f(x)\ng(secret_a)\nh(k(secret_b))\nm(u.token_of)\nn(secret, u.token)\n";
        assert_eq!(rule_matches(body, source), ["f(x)", "n(secret, u.token)"]);
    }
}
