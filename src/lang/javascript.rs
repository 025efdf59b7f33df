use super::{Lang, LanguageInfo};

/// Constant node kinds shared by JavaScript, TypeScript and TSX grammars.
pub(super) const JS_CONSTANT_KINDS: &[&str] = &[
    "string",
    "string_fragment",
    "escape_sequence",
    "template_string",
    "number",
    "true",
    "false",
    "null",
    "undefined",
    "binary_expression",
    "parenthesized_expression",
    "unary_expression",
];

pub static JAVASCRIPT: LanguageInfo = LanguageInfo {
    lang: Lang::JavaScript,
    name: "javascript",
    extensions: &["js", "jsx", "mjs", "cjs"],
    grammar: || tree_sitter_javascript::LANGUAGE.into(),
    line_comment: "//",
    constant_kinds: JS_CONSTANT_KINDS,
    node_types: tree_sitter_javascript::NODE_TYPES,
    extra_kinds: &[],
};
