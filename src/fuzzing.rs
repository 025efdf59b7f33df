//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the smoke
//! test that runs them briefly in CI. They must never panic, whatever the
//! bytes.

use crate::engine::lint_source;
use crate::lang::Lang;
use crate::rule::compile::Compiler;
use crate::rule::compile::{is_library_text, Libraries};
use crate::rule::index::{RuleSet, Selection};
use crate::rule::load::{builtin_sources, compile_all, libraries_of};
use crate::source::text_from_bytes;
use std::sync::OnceLock;

fn builtin_rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| {
        let loaded = compile_all(&builtin_sources()).unwrap_or_default();
        RuleSet::build(loaded, &Selection::default()).unwrap_or_else(|_| {
            RuleSet::build(Vec::new(), &Selection::default()).expect("empty rule set")
        })
    })
}

/// Lints arbitrary bytes as `lang` with every built-in rule.
pub fn lint_bytes(lang: Lang, data: &[u8]) -> usize {
    match text_from_bytes(data.to_vec()) {
        Some(text) => {
            let outcome = lint_source(builtin_rules(), lang, "fuzz", &text);
            outcome.findings.len() + outcome.notices.len()
        }
        None => 0,
    }
}

/// Compiles arbitrary bytes as a rule file; errors are fine, panics are not.
pub fn load_rule_bytes(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    static LIBRARIES: OnceLock<Libraries> = OnceLock::new();
    let compiler = Compiler {
        origin: "fuzz.yaml",
        text,
        only: None,
        libraries: Some(LIBRARIES.get_or_init(|| libraries_of(&builtin_sources()))),
        defer: None,
        trusted: false,
    };
    if is_library_text(text) {
        compiler.compile_library_text().is_ok()
    } else {
        compiler.compile_text().is_ok()
    }
}

/// Feeds arbitrary bytes to the LSP message reader (framing, headers,
/// JSON) and converts arbitrary positions against arbitrary text.
pub fn lsp_bytes(data: &[u8]) -> usize {
    let mut input = std::io::Cursor::new(data);
    let mut frames = 0;
    while let Ok(Some(_)) = crate::lsp::transport::read_frame(&mut input) {
        frames += 1;
        if frames > 10_000 {
            break;
        }
    }
    let text = String::from_utf8_lossy(data);
    for encoding in [
        crate::lsp::position::Encoding::Utf8,
        crate::lsp::position::Encoding::Utf16,
    ] {
        let table = crate::lsp::position::LineTable::new(&text, encoding);
        for pair in data.chunks(2) {
            let line = u32::from(pair[0]);
            let character = u32::from(*pair.get(1).unwrap_or(&0)).wrapping_mul(7);
            let offset = table.offset(lsp_types::Position { line, character });
            frames += table.position(offset).line as usize;
        }
    }
    frames
}
