//! Languages backlint understands: one descriptor per language, one table.
//!
//! Adding a language means adding one module here with a [`LanguageInfo`],
//! one entry in [`LANGUAGES`], and the grammar dependency in `Cargo.toml`.

pub mod arena;
pub mod containment;
pub mod flatten;
mod javascript;
pub mod kind_set;
pub mod preorder;
mod python;
mod rust;
mod typescript;

use std::fmt;
use std::path::Path;

/// A source language (one tree-sitter grammar each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Rust,
}

/// Everything the engine needs to know about one language.
pub struct LanguageInfo {
    pub lang: Lang,
    /// Name used in rule files and output (`python`, `typescript`, …).
    pub name: &'static str,
    /// File extensions, without the dot.
    pub extensions: &'static [&'static str],
    /// The tree-sitter grammar.
    pub grammar: fn() -> tree_sitter::Language,
    /// Line-comment token, used for suppressions and fixture annotations.
    pub line_comment: &'static str,
    /// Named node kinds a compile-time constant may consist of. A capture
    /// constrained with `literal: true` must contain only these kinds.
    pub constant_kinds: &'static [&'static str],
    /// The grammar's `node-types.json`: which kinds hold which.
    pub node_types: &'static str,
    /// Kinds that may appear anywhere (comments), for a `node-types.json`
    /// that does not mark its extras (older grammars).
    pub extra_kinds: &'static [&'static str],
}

/// The one table of languages.
pub const LANGUAGES: &[&LanguageInfo] = &[
    &python::PYTHON,
    &javascript::JAVASCRIPT,
    &typescript::TYPESCRIPT,
    &typescript::TSX,
    &rust::RUST,
];

impl Lang {
    /// All languages, in table order.
    pub fn all() -> impl Iterator<Item = Lang> {
        LANGUAGES.iter().map(|l| l.lang)
    }

    /// The descriptor of this language.
    pub fn info(self) -> &'static LanguageInfo {
        LANGUAGES
            .iter()
            .find(|l| l.lang == self)
            .copied()
            .unwrap_or(&python::PYTHON)
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Which kinds this language's nodes can hold, read once per run
    /// (`None` when the grammar's description cannot be read).
    pub fn containment(self) -> Option<&'static containment::Containment> {
        use std::sync::OnceLock;
        static READ: [OnceLock<Option<containment::Containment>>; LANGUAGES.len()] =
            [const { OnceLock::new() }; LANGUAGES.len()];
        let at = LANGUAGES.iter().position(|l| l.lang == self)?;
        READ[at]
            .get_or_init(|| {
                let info = self.info();
                containment::Containment::new(&(info.grammar)(), info.node_types, info.extra_kinds)
            })
            .as_ref()
    }

    /// Languages a rule-file key stands for. `typescript` covers `.tsx` too,
    /// because TSX is TypeScript with JSX and rules rarely care.
    pub fn from_rule_key(key: &str) -> Option<&'static [Lang]> {
        match key {
            "python" => Some(&[Lang::Python]),
            "javascript" => Some(&[Lang::JavaScript]),
            "typescript" => Some(&[Lang::TypeScript, Lang::Tsx]),
            "tsx" => Some(&[Lang::Tsx]),
            "rust" => Some(&[Lang::Rust]),
            _ => None,
        }
    }

    /// The language of a path, decided by its extension.
    pub fn from_path(path: &Path) -> Option<Lang> {
        let ext = path.extension()?.to_str()?;
        LANGUAGES
            .iter()
            .find(|l| l.extensions.contains(&ext))
            .map(|l| l.lang)
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every node under `root` (itself included), in document order: for tests
/// that check a property at each node of a sample.
#[cfg(test)]
pub fn all_nodes(root: tree_sitter::Node<'_>) -> Vec<tree_sitter::Node<'_>> {
    let (mut nodes, mut walk) = (Vec::new(), preorder::Preorder::new(root));
    loop {
        nodes.push(walk.node());
        if !walk.next(true) {
            return nodes;
        }
    }
}

/// The fixture files of `lang` (path, text), sorted by path: samples for
/// tests that check a property over real code.
#[cfg(test)]
pub fn fixture_files(lang: Lang) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("fixtures dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if Lang::from_path(&path) == Some(lang) {
                let text = std::fs::read_to_string(&path).expect("fixture text");
                out.push((path.display().to_string(), text));
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_map_to_languages() {
        let cases = [
            ("a.py", Some(Lang::Python)),
            ("a.pyi", Some(Lang::Python)),
            ("a.ts", Some(Lang::TypeScript)),
            ("a.mts", Some(Lang::TypeScript)),
            ("a.cts", Some(Lang::TypeScript)),
            ("a.tsx", Some(Lang::Tsx)),
            ("a.js", Some(Lang::JavaScript)),
            ("a.jsx", Some(Lang::JavaScript)),
            ("a.mjs", Some(Lang::JavaScript)),
            ("a.cjs", Some(Lang::JavaScript)),
            ("a.rs", Some(Lang::Rust)),
            ("a.go", None),
            ("Makefile", None),
        ];
        for (path, want) in cases {
            assert_eq!(Lang::from_path(Path::new(path)), want, "{path}");
        }
    }

    #[test]
    fn every_grammar_loads_and_parses() {
        for info in LANGUAGES {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&(info.grammar)()).expect("grammar ABI");
            assert!(parser.parse("x", None).is_some(), "{}", info.name);
        }
    }
}
