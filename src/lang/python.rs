use super::{Lang, LanguageInfo};

pub static PYTHON: LanguageInfo = LanguageInfo {
    lang: Lang::Python,
    name: "python",
    extensions: &["py", "pyi"],
    grammar: || tree_sitter_python::LANGUAGE.into(),
    line_comment: "#",
    constant_kinds: &[
        "string",
        "string_start",
        "string_content",
        "string_end",
        "escape_sequence",
        "concatenated_string",
        "integer",
        "float",
        "true",
        "false",
        "none",
        "binary_operator",
        "parenthesized_expression",
        "unary_operator",
    ],
    node_types: tree_sitter_python::NODE_TYPES,
    extra_kinds: &[],
};
