use super::javascript::JS_CONSTANT_KINDS;
use super::{Lang, LanguageInfo};

/// The extras TypeScript inherits from JavaScript's grammar, which its
/// `node-types.json` (0.23) does not mark.
const TS_EXTRAS: &[&str] = &["comment", "html_comment"];

pub static TYPESCRIPT: LanguageInfo = LanguageInfo {
    lang: Lang::TypeScript,
    name: "typescript",
    extensions: &["ts", "mts", "cts"],
    grammar: || tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
    line_comment: "//",
    constant_kinds: JS_CONSTANT_KINDS,
    node_types: tree_sitter_typescript::TYPESCRIPT_NODE_TYPES,
    extra_kinds: TS_EXTRAS,
};

pub static TSX: LanguageInfo = LanguageInfo {
    lang: Lang::Tsx,
    name: "tsx",
    extensions: &["tsx"],
    grammar: || tree_sitter_typescript::LANGUAGE_TSX.into(),
    line_comment: "//",
    constant_kinds: JS_CONSTANT_KINDS,
    node_types: tree_sitter_typescript::TSX_NODE_TYPES,
    extra_kinds: TS_EXTRAS,
};
