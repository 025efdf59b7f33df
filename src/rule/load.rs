//! Where rules come from: the built-in set embedded at build time and any
//! extra directories given with `--rules`.

use super::compile::{is_library_text, Compiler, Libraries};
use super::error::{RuleFileError, RuleLoadError};
use super::LoadedRule;
use miette::NamedSource;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// One rule file's name and text.
pub struct RuleSource {
    pub origin: String,
    pub text: String,
    /// Compile the matchers on first use instead of when loading: for the
    /// built-in rules, which CI compiles and tests, so start-up pays only
    /// for the rules a run's files can trigger. Rules from directories are
    /// compiled when loaded so their errors are reported before linting.
    pub lazy: bool,
}

/// The built-in rule files.
pub fn builtin_sources() -> Vec<RuleSource> {
    BUILTIN_RULES
        .iter()
        .map(|(origin, text)| RuleSource {
            origin: origin.to_string(),
            text: text.to_string(),
            lazy: true,
        })
        .collect()
}

/// Every `*.yaml`/`*.yml` file below `dir`, sorted by path.
pub fn dir_sources(dir: &Path) -> Result<Vec<RuleSource>, RuleLoadError> {
    if !dir.is_dir() {
        return Err(RuleLoadError::MissingDir(dir.display().to_string()));
    }
    let mut paths: Vec<PathBuf> = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .build()
        .filter_map(Result::ok)
        .map(ignore::DirEntry::into_path)
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|source| RuleLoadError::Io {
                path: path.display().to_string(),
                source,
            })?;
            Ok(RuleSource {
                origin: path.display().to_string(),
                text,
                lazy: false,
            })
        })
        .collect()
}

/// Compiles every source; all errors are returned, not just the first.
/// A rule id defined twice is an error at the second definition.
pub fn compile_all(sources: &[RuleSource]) -> Result<Vec<LoadedRule>, Vec<RuleLoadError>> {
    compile_for(sources, None)
}

/// [`compile_all`], compiling matchers only for the languages in `only`.
/// Files compile in parallel: query compilation dominates start-up. Sources
/// marked `lazy` only have their metadata checked here.
pub fn compile_for(
    sources: &[RuleSource],
    only: Option<&[crate::lang::Lang]>,
) -> Result<Vec<LoadedRule>, Vec<RuleLoadError>> {
    use rayon::prelude::*;
    let (library_sources, rule_sources): (Vec<&RuleSource>, Vec<&RuleSource>) =
        sources.iter().partition(|s| is_library_text(&s.text));
    let mut errors = Vec::new();
    let libraries = compile_libraries(&library_sources, only, &mut errors);
    let compiled: Vec<_> = rule_sources
        .par_iter()
        .map(|source| {
            let compiler = Compiler {
                origin: &source.origin,
                text: &source.text,
                only,
                libraries: Some(&libraries),
                defer: None,
                trusted: false,
            };
            if source.lazy {
                compiler.compile_text_lazy()
            } else {
                compiler.compile_text()
            }
        })
        .collect();
    let mut rules: Vec<LoadedRule> = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for (source, result) in rule_sources.iter().zip(compiled) {
        match result {
            Ok(rule) => {
                if let Some(first) = seen.get(&rule.rule.id) {
                    let at = source.text.find(&rule.rule.id).unwrap_or(0);
                    errors.push(RuleLoadError::File(Box::new(RuleFileError {
                        message: format!(
                            "rule id `{}` is already defined in {first}",
                            rule.rule.id
                        ),
                        source_code: NamedSource::new(&source.origin, source.text.clone()),
                        span: (at, rule.rule.id.len()).into(),
                        label: "duplicate id".into(),
                        help: Some("rule ids must be unique across all rule directories".into()),
                    })));
                    continue;
                }
                seen.insert(rule.rule.id.clone(), source.origin.clone());
                rules.push(rule);
            }
            Err(e) => errors.push(RuleLoadError::File(e)),
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

/// The taint libraries among `sources`, compiled (bad ones left out).
pub fn libraries_of(sources: &[RuleSource]) -> Libraries {
    let libraries: Vec<&RuleSource> = sources
        .iter()
        .filter(|s| is_library_text(&s.text))
        .collect();
    compile_libraries(&libraries, None, &mut Vec::new())
}

/// Compiles the taint libraries; a name defined twice is an error.
fn compile_libraries(
    sources: &[&RuleSource],
    only: Option<&[crate::lang::Lang]>,
    errors: &mut Vec<RuleLoadError>,
) -> Libraries {
    use rayon::prelude::*;
    let compiled: Vec<_> = sources
        .par_iter()
        .map(|source| {
            Compiler {
                origin: &source.origin,
                text: &source.text,
                // Built-in libraries compile per language on first use.
                only: if source.lazy { Some(&[]) } else { only },
                libraries: None,
                defer: None,
                trusted: false,
            }
            .compile_library_text()
        })
        .collect();
    let mut libraries = Libraries::new();
    for (source, result) in sources.iter().zip(compiled) {
        match result {
            Ok(library) => {
                if let Some(first) = libraries.get(&library.name) {
                    let at = source.text.find(&library.name).unwrap_or(0);
                    errors.push(RuleLoadError::File(Box::new(RuleFileError {
                        message: format!(
                            "taint library `{}` is already defined in {}",
                            library.name, first.origin
                        ),
                        source_code: NamedSource::new(&source.origin, source.text.clone()),
                        span: (at, library.name.len()).into(),
                        label: "duplicate name".into(),
                        help: None,
                    })));
                    continue;
                }
                libraries.insert(library.name.clone(), std::sync::Arc::new(library));
            }
            Err(e) => errors.push(RuleLoadError::File(e)),
        }
    }
    libraries
}
