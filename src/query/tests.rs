//! The interpreter against tree-sitter's own query cursor: every built-in
//! query, at every node of every fixture file, must give the same matches
//! with the same captures in the same order.

use super::{ChildLists, CompiledQuery, Program};
use crate::lang::{fixture_files, Lang};
use crate::matcher::Captures;
use crate::rule::load::{builtin_sources, compile_all};
use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, Parser, Query, QueryCursor};

type Found = Vec<(usize, Vec<(u32, usize)>)>;

fn normalise(found: Vec<(usize, Captures<'_>)>) -> Found {
    let mut out: Found = found
        .into_iter()
        .map(|(p, caps)| (p, caps.iter().map(|(i, n)| (*i, n.id())).collect()))
        .collect();
    out.sort();
    out
}

fn by_tree_sitter<'t>(
    query: &Query,
    node: Node<'t>,
    source: &[u8],
    cursor: &mut QueryCursor,
) -> Found {
    cursor.set_max_start_depth(Some(0));
    let mut found = Vec::new();
    let mut it = cursor.matches(query, node, source);
    while let Some(m) = it.next() {
        found.push((
            m.pattern_index,
            m.captures()
                .iter()
                .map(|c| (c.index, c.node))
                .collect::<Vec<_>>(),
        ));
    }
    normalise(found)
}

#[test]
fn interpreter_matches_like_tree_sitter_on_every_fixture() {
    let mut sources = builtin_sources();
    sources.iter_mut().for_each(|s| s.lazy = false);
    compile_all(&sources).unwrap_or_else(|_| panic!("built-in rules compile"));
    let texts = crate::rule::compile::compiled_query_texts();
    assert!(texts.len() > 200, "only {} queries compiled", texts.len());
    let mut compared = 0usize;
    for lang in Lang::all() {
        let grammar = (lang.info().grammar)();
        let queries: Vec<(String, Program, Query)> = texts
            .iter()
            .filter(|(l, _)| *l == lang)
            .map(|(_, text)| {
                let program = Program::new(text, &grammar).unwrap_or_else(|_| {
                    panic!("the interpreter reads every built-in {lang:?} query:\n{text}")
                });
                let query = Query::new(&grammar, text).expect("tree-sitter compiles it");
                assert_eq!(
                    program.capture_names,
                    query
                        .capture_names()
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                );
                assert_eq!(program.patterns.len(), query.pattern_count());
                (text.clone(), program, query)
            })
            .collect();
        let mut parser = Parser::new();
        parser.set_language(&grammar).expect("grammar");
        let mut cursor = QueryCursor::new();
        for (path, source) in fixture_files(lang) {
            let tree = parser.parse(&source, None).expect("parse");
            let nodes = crate::lang::all_nodes(tree.root_node());
            // One per file, as the engine keeps them: lists built for one
            // query serve the others.
            let kids = ChildLists::default();
            for (text, program, query) in &queries {
                for node in &nodes {
                    let expected = by_tree_sitter(query, *node, source.as_bytes(), &mut cursor);
                    let mut found = Vec::new();
                    assert!(program.matches_at(*node, source.as_bytes(), &kids, &mut found));
                    let found = normalise(found);
                    assert_eq!(
                        found,
                        expected,
                        "{path}: {} at {:?}\n{text}",
                        node.kind(),
                        node.start_position()
                    );
                    compared += expected.len();
                }
            }
        }
    }
    assert!(compared > 1000, "only {compared} matches compared");
}

/// Every node of `source` gives the same matches through
/// [`CompiledQuery::matches_at`] (interpreted) as through tree-sitter.
fn same_as_tree_sitter(grammar: &tree_sitter::Language, query: &str, source: &str) -> usize {
    let compiled = CompiledQuery::new(grammar, query).expect("query compiles");
    assert!(compiled.is_interpreted(), "{query}");
    let reference = Query::new(grammar, query).expect("query compiles");
    let mut parser = Parser::new();
    parser.set_language(grammar).expect("grammar");
    let tree = parser.parse(source, None).expect("parse");
    let mut cursor = QueryCursor::new();
    let mut stack = vec![tree.root_node()];
    let kids = ChildLists::default();
    let mut matched = 0;
    while let Some(node) = stack.pop() {
        let expected = by_tree_sitter(&reference, node, source.as_bytes(), &mut cursor);
        let mut found = Vec::new();
        compiled.matches_at(node, source.as_bytes(), &mut cursor, &kids, &mut found);
        assert_eq!(
            normalise(found),
            expected,
            "{query} at {} {:?}",
            node.kind(),
            node.start_position()
        );
        matched += expected.len();
        let mut walk = node.walk();
        stack.extend(node.children(&mut walk));
    }
    matched
}

#[test]
fn query_forms_beyond_the_built_in_rules_match_like_tree_sitter() {
    let python: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
    let source = "f(# first\n  a, b, # mid\n  c=1, *d)\n\
                  g(x)\n\
                  def h(p, q=2):\n    return p\n\
                  class K(Base):\n    pass\n\
                  x = [1, 2, 3]\n\
                  y = {'a': 1}\n\
                  if a == a: pass\n";
    let queries = [
        // anchors around comments (extras are named nodes)
        "(argument_list . (_) @first)",
        "(argument_list (_) @last .)",
        "(argument_list (identifier) @a . (identifier) @b)",
        // optional children
        "(argument_list (identifier) @id (keyword_argument)? @kw)",
        "(argument_list (keyword_argument)? @kw (list_splat) @splat)",
        "(function_definition name: (identifier) @n return_type: (_)? @r)",
        // groups, alternations of groups, wildcards
        "(argument_list ((identifier) @a . (identifier) @b))",
        "(argument_list [((identifier) @a (comment)) (keyword_argument) @kw])",
        "(call function: _ @f arguments: (_))",
        "(call (_) @any)",
        // negated fields, supertypes, fields
        "(function_definition !return_type name: (identifier) @name)",
        "(parameters (default_parameter) @d)",
        "(expression_statement (expression) @e)",
        "(return_statement (primary_expression/identifier) @id)",
        "(class_definition superclasses: (argument_list (identifier) @base))",
        // text predicates
        "(comparison_operator (identifier) @l (identifier) @r (#eq? @l @r))",
        "(comparison_operator (identifier) @l (identifier) @r (#not-eq? @l @r))",
        "(call function: (identifier) @f (#any-of? @f \"f\" \"g\"))",
        "(call function: (identifier) @f (#not-any-of? @f \"f\"))",
        "((identifier) @x (#eq? @x \"a\"))",
        "[(list) (dictionary)] @collection",
        "(ERROR) @e",
    ];
    let mut matched = 0;
    for q in queries {
        matched += same_as_tree_sitter(&python, q, source);
    }
    assert!(matched > 30, "{matched}");
}

#[test]
fn a_pattern_with_too_many_ways_to_match_is_left_to_tree_sitter() {
    // Four unanchored, uncaptured children over 300 statements: the
    // interpreter would try millions of combinations; tree-sitter merges
    // them. The answer must be the same, and come back.
    let python: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
    let source: String = (0..300).map(|i| format!("x{i} = {i}\n")).collect();
    let query = "(module (expression_statement) (expression_statement) (expression_statement) (expression_statement (assignment left: (identifier) @last)))";
    assert!(same_as_tree_sitter(&python, query, &source) > 0);
    // Thousands of distinct matches: tree-sitter answers too.
    let query = "(module (expression_statement) @a (expression_statement) @b)";
    let source: String = (0..100).map(|i| format!("x{i} = {i}\n")).collect();
    assert_eq!(same_as_tree_sitter(&python, query, &source), 100 * 99 / 2);
}

#[test]
fn unsupported_text_falls_back_to_tree_sitter() {
    let grammar: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
    for text in [
        "(call) @c (#set! kind \"x\")",
        "(argument_list (identifier)* @ids)",
        "(list (integer)+ @n)",
        "(call (MISSING) @m)",
        "(call) @c (#any-eq? @c \"x\")",
    ] {
        let q = CompiledQuery::new(&grammar, text).expect("compiles");
        assert!(!q.is_interpreted(), "{text}");
    }
    let q = CompiledQuery::new(&grammar, "(call function: (identifier) @f)").expect("compiles");
    assert!(q.is_interpreted());
    assert!(CompiledQuery::new(&grammar, "(no_such_kind)").is_err());
}
