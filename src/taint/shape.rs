//! The syntax the taint analysis needs to know per language: which nodes
//! bind variables, branch, loop, leave a block or start a function. Kept as
//! data so the analysis itself is one language-independent walk.

use crate::lang::kind_set::KindSet;
use crate::lang::Lang;
use tree_sitter::Node;

/// A node that binds the value of `value` to the names in `target`.
pub struct Binding {
    pub kind: &'static str,
    /// Field holding the target (a name or pattern); `""`: the first named child.
    pub target: &'static str,
    /// Field holding the value; `""`: the first named child.
    pub value: &'static str,
    /// `x += y`: the old value flows on.
    pub augmented: bool,
}

/// A loop: `binding` takes its values from `iterable` for each `body` run.
pub struct Loop {
    pub kind: &'static str,
    pub binding: &'static str,
    pub iterable: &'static str,
    pub body: &'static str,
}

pub struct Shape {
    /// Function-like nodes: a scope of their own (closures start from the
    /// enclosing state, parameters shadow it).
    pub functions: &'static [&'static str],
    /// Field of a function node holding its parameter list (or the single
    /// parameter of `x => …`).
    pub parameters: &'static [&'static str],
    pub bindings: &'static [Binding],
    /// `if` nodes with `condition`, `consequence` and `alternative` fields.
    pub ifs: &'static [&'static str],
    /// Alternatives that carry a condition of their own (`elif`).
    pub else_ifs: &'static [&'static str],
    pub loops: &'static [Loop],
    /// Arms of a `match`/`switch`/`try`: each may or may not run.
    pub arms: &'static [&'static str],
    /// Statements after which a block does not fall through.
    pub exits: &'static [&'static str],
    /// Calls that do not return (`abort(403)`), by callee text.
    pub exit_calls: &'static [&'static str],
    /// Block-like nodes whose last statement decides whether they exit.
    pub blocks: &'static [&'static str],
    /// Identifier kinds read as variables.
    pub variables: &'static [&'static str],
    /// Identifier kinds that only occur as names bound by a pattern.
    pub pattern_names: &'static [&'static str],
    /// Member access read as a whole first (`self.sql`, `params.q`).
    pub paths: &'static [&'static str],
    /// `(kind, field)`: children whose value does not flow into the
    /// node's value: names (`obj.name`), conditions of `?:` and `if`/`match`
    /// expressions (the result is one of the arms).
    pub name_fields: &'static [(&'static str, &'static str)],
    /// Python's `a if test else b`: the second named child is the test.
    pub conditional_tests: &'static [&'static str],
    /// Fields of a pattern or parameter that hold no bound name (types,
    /// default values).
    pub non_binding_fields: &'static [&'static str],
    /// Node kinds inside patterns/parameters that bind nothing.
    pub non_binding_kinds: &'static [&'static str],
    /// Kinds whose value never carries taint (comparisons, `not`).
    pub clean: &'static [&'static str],
    /// Binary kinds whose value is clean for these operators.
    pub binary: &'static [&'static str],
    pub clean_operators: &'static [&'static str],
    /// Sequences whose elements bind pairwise (`a, b = x, y`).
    pub sequences: &'static [&'static str],
    /// Rust: `format!("{name}")` reads `name` inside the string.
    pub inline_format_args: bool,
    /// Parameter types whose values cannot carry text (numbers, booleans,
    /// UUIDs): such parameters are known-safe values.
    pub safe_types: &'static [&'static str],
}

const PYTHON: Shape = Shape {
    functions: &["function_definition", "lambda"],
    parameters: &["parameters"],
    bindings: &[
        Binding {
            kind: "assignment",
            target: "left",
            value: "right",
            augmented: false,
        },
        Binding {
            kind: "augmented_assignment",
            target: "left",
            value: "right",
            augmented: true,
        },
        Binding {
            kind: "named_expression",
            target: "name",
            value: "value",
            augmented: false,
        },
        Binding {
            kind: "as_pattern",
            target: "alias",
            value: "",
            augmented: false,
        },
    ],
    ifs: &["if_statement", "elif_clause"],
    else_ifs: &["elif_clause"],
    loops: &[
        Loop {
            kind: "for_statement",
            binding: "left",
            iterable: "right",
            body: "body",
        },
        Loop {
            kind: "while_statement",
            binding: "",
            iterable: "",
            body: "body",
        },
    ],
    arms: &["case_clause", "except_clause", "except_group_clause"],
    exits: &[
        "return_statement",
        "raise_statement",
        "continue_statement",
        "break_statement",
    ],
    exit_calls: &["abort", "flask.abort", "sys.exit", "exit", "os._exit"],
    blocks: &["block", "expression_statement"],
    variables: &["identifier"],
    pattern_names: &[],
    paths: &["attribute"],
    name_fields: &[("attribute", "attribute"), ("keyword_argument", "name")],
    conditional_tests: &["conditional_expression"],
    non_binding_fields: &["type", "value"],
    non_binding_kinds: &["type", "decorator"],
    clean: &["comparison_operator", "not_operator"],
    binary: &[],
    clean_operators: &[],
    sequences: &[
        "pattern_list",
        "tuple_pattern",
        "list_pattern",
        "expression_list",
        "tuple",
        "list",
    ],
    inline_format_args: false,
    safe_types: &[
        "int",
        "float",
        "bool",
        "UUID",
        "uuid.UUID",
        "Decimal",
        "datetime",
        "date",
    ],
};

const JAVASCRIPT: Shape = Shape {
    functions: &[
        "function_declaration",
        "function_expression",
        "function",
        "arrow_function",
        "method_definition",
        "generator_function_declaration",
        "generator_function",
    ],
    parameters: &["parameters", "parameter"],
    bindings: &[
        Binding {
            kind: "variable_declarator",
            target: "name",
            value: "value",
            augmented: false,
        },
        Binding {
            kind: "assignment_expression",
            target: "left",
            value: "right",
            augmented: false,
        },
        Binding {
            kind: "augmented_assignment_expression",
            target: "left",
            value: "right",
            augmented: true,
        },
    ],
    ifs: &["if_statement"],
    else_ifs: &[],
    loops: &[
        Loop {
            kind: "for_in_statement",
            binding: "left",
            iterable: "right",
            body: "body",
        },
        Loop {
            kind: "for_statement",
            binding: "",
            iterable: "",
            body: "body",
        },
        Loop {
            kind: "while_statement",
            binding: "",
            iterable: "",
            body: "body",
        },
        Loop {
            kind: "do_statement",
            binding: "",
            iterable: "",
            body: "body",
        },
    ],
    arms: &["switch_case", "switch_default", "catch_clause"],
    exits: &[
        "return_statement",
        "throw_statement",
        "continue_statement",
        "break_statement",
    ],
    exit_calls: &["process.exit"],
    blocks: &["statement_block", "expression_statement", "else_clause"],
    variables: &["identifier", "shorthand_property_identifier"],
    pattern_names: &["shorthand_property_identifier_pattern"],
    paths: &["member_expression"],
    name_fields: &[
        ("member_expression", "property"),
        ("ternary_expression", "condition"),
    ],
    conditional_tests: &[],
    non_binding_fields: &["type", "right", "value", "key"],
    non_binding_kinds: &["type_annotation", "decorator", "accessibility_modifier"],
    clean: &[],
    binary: &["binary_expression"],
    clean_operators: &[
        "==",
        "===",
        "!=",
        "!==",
        "<",
        ">",
        "<=",
        ">=",
        "instanceof",
        "in",
    ],
    sequences: &["array_pattern", "array"],
    inline_format_args: false,
    safe_types: &["number", "boolean", "bigint"],
};

const RUST: Shape = Shape {
    functions: &["function_item", "closure_expression"],
    parameters: &["parameters"],
    bindings: &[
        Binding {
            kind: "let_declaration",
            target: "pattern",
            value: "value",
            augmented: false,
        },
        Binding {
            kind: "let_condition",
            target: "pattern",
            value: "value",
            augmented: false,
        },
        Binding {
            kind: "assignment_expression",
            target: "left",
            value: "right",
            augmented: false,
        },
        Binding {
            kind: "compound_assignment_expr",
            target: "left",
            value: "right",
            augmented: true,
        },
    ],
    ifs: &["if_expression"],
    else_ifs: &[],
    loops: &[
        Loop {
            kind: "for_expression",
            binding: "pattern",
            iterable: "value",
            body: "body",
        },
        Loop {
            kind: "while_expression",
            binding: "",
            iterable: "",
            body: "body",
        },
        Loop {
            kind: "loop_expression",
            binding: "",
            iterable: "",
            body: "body",
        },
    ],
    arms: &["match_arm"],
    exits: &[
        "return_expression",
        "continue_expression",
        "break_expression",
    ],
    exit_calls: &[
        "panic!",
        "bail!",
        "unreachable!",
        "std::process::exit",
        "process::exit",
    ],
    blocks: &["block", "expression_statement", "else_clause"],
    variables: &["identifier"],
    pattern_names: &["shorthand_field_identifier"],
    paths: &["field_expression"],
    name_fields: &[
        ("macro_invocation", "macro"),
        ("field_expression", "field"),
        ("if_expression", "condition"),
        ("match_expression", "value"),
    ],
    conditional_tests: &[],
    non_binding_fields: &["type"],
    non_binding_kinds: &["attribute_item", "mutable_specifier"],
    clean: &[],
    binary: &["binary_expression"],
    clean_operators: &["==", "!=", "<", ">", "<=", ">=", "&&", "||"],
    sequences: &[
        "tuple_pattern",
        "tuple_expression",
        "slice_pattern",
        "array_expression",
    ],
    inline_format_args: true,
    safe_types: &[
        "u8",
        "u16",
        "u32",
        "u64",
        "u128",
        "usize",
        "i8",
        "i16",
        "i32",
        "i64",
        "i128",
        "isize",
        "f32",
        "f64",
        "bool",
        "Uuid",
        "uuid::Uuid",
    ],
};

/// The shape of a language's syntax.
pub fn shape(lang: Lang) -> &'static Shape {
    match lang {
        Lang::Python => &PYTHON,
        Lang::JavaScript | Lang::TypeScript | Lang::Tsx => &JAVASCRIPT,
        Lang::Rust => &RUST,
    }
}

/// The kinds the analysis asks about at nearly every node, by kind id for
/// one grammar ([`KindSet`]: no name lookup per node).
pub struct ShapeKinds {
    shape: &'static Shape,
    pub functions: KindSet,
    pub ifs: KindSet,
    pub arms: KindSet,
    pub clean: KindSet,
    pub binary: KindSet,
    pub variables: KindSet,
    pub paths: KindSet,
    pub conditional_tests: KindSet,
    /// Per binding and loop of the shape, in order: its kind.
    bindings: Vec<KindSet>,
    loops: Vec<KindSet>,
    /// [`Shape::name_fields`] as (kind, field id) pairs.
    name_fields: Vec<(KindSet, u16)>,
    /// The grammar's field ids by name: tree-sitter finds a field by name
    /// comparing it with each field's, a thousand instructions a call.
    field_ids: rustc_hash::FxHashMap<String, u16>,
}

impl ShapeKinds {
    fn new(shape: &'static Shape, grammar: &tree_sitter::Language) -> ShapeKinds {
        let set = |names: &[&str]| KindSet::new(grammar, names);
        ShapeKinds {
            shape,
            functions: set(shape.functions),
            ifs: set(shape.ifs),
            arms: set(shape.arms),
            clean: set(shape.clean),
            binary: set(shape.binary),
            variables: set(shape.variables),
            paths: set(shape.paths),
            conditional_tests: set(shape.conditional_tests),
            bindings: shape.bindings.iter().map(|b| set(&[b.kind])).collect(),
            loops: shape.loops.iter().map(|l| set(&[l.kind])).collect(),
            name_fields: shape
                .name_fields
                .iter()
                .filter_map(|(kind, field)| {
                    Some((set(&[kind]), grammar.field_id_for_name(field)?.get()))
                })
                .collect(),
            field_ids: (1..=grammar.field_count() as u16)
                .filter_map(|id| Some((grammar.field_name_for_id(id)?.to_string(), id)))
                .collect(),
        }
    }

    /// `node`'s child in the field `name`.
    pub fn field<'t>(&self, node: Node<'t>, name: &str) -> Option<Node<'t>> {
        node.child_by_field_id(*self.field_ids.get(name)?)
    }

    /// The named kinds the pass acts on by what they are, whatever the
    /// rules: functions, bindings, branches and loops.
    pub fn acted_on(&self, grammar: &tree_sitter::Language) -> Vec<u16> {
        (0..grammar.node_kind_count() as u16)
            .filter(|&k| grammar.node_kind_is_named(k))
            .filter(|&k| {
                self.functions.contains(k)
                    || self.ifs.contains(k)
                    || self.binding(k).is_some()
                    || self.loop_of(k).is_some()
            })
            .collect()
    }

    /// The binding a node of kind `id` is.
    pub fn binding(&self, id: u16) -> Option<&'static Binding> {
        let i = self.bindings.iter().position(|k| k.contains(id))?;
        self.shape.bindings.get(i)
    }

    /// The loop a node of kind `id` is.
    pub fn loop_of(&self, id: u16) -> Option<&'static Loop> {
        let i = self.loops.iter().position(|k| k.contains(id))?;
        self.shape.loops.get(i)
    }

    /// Whether the child in `field` of a node of kind `id` is a name, not
    /// a value.
    pub fn is_name_field(&self, id: u16, field: Option<std::num::NonZeroU16>) -> bool {
        field.is_some_and(|f| {
            self.name_fields
                .iter()
                .any(|(kind, name)| *name == f.get() && kind.contains(id))
        })
    }
}

/// The [`ShapeKinds`] of a language, built on first use.
pub fn shape_kinds(lang: Lang) -> &'static ShapeKinds {
    static KINDS: [std::sync::OnceLock<ShapeKinds>; 5] = [const { std::sync::OnceLock::new() }; 5];
    let slot = match lang {
        Lang::Python => 0,
        Lang::JavaScript => 1,
        Lang::TypeScript => 2,
        Lang::Tsx => 3,
        Lang::Rust => 4,
    };
    KINDS[slot].get_or_init(|| ShapeKinds::new(shape(lang), &(lang.info().grammar)()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_found_by_name_as_tree_sitter_finds_them() {
        for (lang, source) in [
            (Lang::Python, "def f(a):\n    x = a[0]\n    return g(x)\n"),
            (
                Lang::JavaScript,
                "function f(a) { const x = a[0]; return g(x); }",
            ),
            (Lang::Rust, "fn f(a: &[u8]) -> u8 { let x = a[0]; g(x) }"),
        ] {
            let grammar = (lang.info().grammar)();
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&grammar).expect("grammar");
            let tree = parser.parse(source, None).expect("tree");
            let kinds = shape_kinds(lang);
            let mut checked = 0;
            for node in crate::lang::all_nodes(tree.root_node()) {
                for id in 1..=grammar.field_count() as u16 {
                    let name = grammar.field_name_for_id(id).expect("field name");
                    let expected = node.child_by_field_name(name);
                    assert_eq!(kinds.field(node, name), expected, "{lang:?} {name}");
                    checked += usize::from(expected.is_some());
                }
                assert_eq!(kinds.field(node, "no-such-field"), None);
            }
            assert!(checked > 5, "{lang:?}: only {checked} fields found");
        }
    }
}
