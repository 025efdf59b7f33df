use super::javascript::JS_CONSTANT_KINDS;
use super::{Lang, LanguageInfo};

pub static TYPESCRIPT: LanguageInfo = LanguageInfo {
    lang: Lang::TypeScript,
    name: "typescript",
    extensions: &["ts", "mts", "cts"],
    grammar: || tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
    line_comment: "//",
    constant_kinds: JS_CONSTANT_KINDS,
};

pub static TSX: LanguageInfo = LanguageInfo {
    lang: Lang::Tsx,
    name: "tsx",
    extensions: &["tsx"],
    grammar: || tree_sitter_typescript::LANGUAGE_TSX.into(),
    line_comment: "//",
    constant_kinds: JS_CONSTANT_KINDS,
};
