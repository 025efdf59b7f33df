use super::{Lang, LanguageInfo};

pub static RUST: LanguageInfo = LanguageInfo {
    lang: Lang::Rust,
    name: "rust",
    extensions: &["rs"],
    grammar: || tree_sitter_rust::LANGUAGE.into(),
    line_comment: "//",
    constant_kinds: &[
        "string_literal",
        "raw_string_literal",
        "string_content",
        "escape_sequence",
        "char_literal",
        "integer_literal",
        "float_literal",
        "boolean_literal",
        "binary_expression",
        "parenthesized_expression",
        "unary_expression",
    ],
    node_types: tree_sitter_rust::NODE_TYPES,
    extra_kinds: &[],
};
