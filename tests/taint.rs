//! Taint tracking end to end: a rule pack of its own (a tiny source, sink
//! and sanitizer library) so the tests pin the analysis, not the built-in
//! rules, plus the outputs that carry a path.

mod common;

use common::*;
use std::fs;
use std::path::Path;

const LIBRARY: &str = r#"library: test-sources
sources:
  python:
    - query: |
        (call function: (identifier) @f)
      where:
        f: { regex: "^user_input$" }
sanitizers:
  python:
    - query: |
        (call function: (identifier) @f)
      where:
        f: { regex: "^clean$" }
    - query: |
        (comparison_operator (identifier) @safe_if_true "in" (_))
"#;

const RULE: &str = r#"id: test-run-flow
summary: User input reaches run().
severity: warning
category: security
message: "run() of built text `{{arg}}`"
docs: |
  Test rule.
match:
  python:
    query: |
      (call function: (identifier) @f arguments: (argument_list (binary_operator) @arg)) @match
    where:
      f: { regex: "^run$" }
taint:
  message: "`{{source}}` reaches run() as `{{sink}}`"
  use: [test-sources]
  sinks:
    python:
      - query: |
          (call function: (identifier) @f arguments: (argument_list . (_) @sink))
        anchors: ["run"]
        where:
          f: { regex: "^run$" }
"#;

fn pack(code: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(dir.path().join("rules")).expect("mkdir");
    fs::write(dir.path().join("rules/lib.yaml"), LIBRARY).expect("write");
    fs::write(dir.path().join("rules/rule.yaml"), RULE).expect("write");
    fs::write(dir.path().join("app.py"), code).expect("write");
    dir
}

fn concise(dir: &Path) -> String {
    let out = backlint(
        &[
            "check",
            "--no-builtin",
            "--rules",
            "rules",
            "--no-cache",
            "--format",
            "concise",
            "app.py",
        ],
        dir,
    );
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn flows_are_errors_at_the_sink_and_replace_the_pattern_warning() {
    let dir =
        pack("def f():\n    a = user_input()\n    b = \"x\" + a\n    run(b)\n    run(\"y\" + a)\n");
    let out = concise(dir.path());
    assert_eq!(
        out,
        "app.py:4:5: error[test-run-flow] `user_input()` reaches run() as `b`\n\
         app.py:5:5: error[test-run-flow] `user_input()` reaches run() as `\"y\" + a`\n",
    );
}

#[test]
fn sanitizers_constants_overwrites_and_guards_stop_taint() {
    let code = "def f():\n\
                \x20   a = clean(user_input())\n\
                \x20   run(a)\n\
                \x20   b = user_input()\n\
                \x20   b = \"const\"\n\
                \x20   run(b)\n\
                \x20   c = user_input()\n\
                \x20   if c in ALLOWED:\n\
                \x20       run(c)\n\
                \x20   d = user_input()\n\
                \x20   if not (d in ALLOWED):\n\
                \x20       return\n\
                \x20   run(d)\n";
    assert_eq!(concise(pack(code).path()), "");
}

#[test]
fn a_negated_guard_does_not_clean_its_own_branch() {
    let code = "def f():\n\
                \x20   d = user_input()\n\
                \x20   if not (d in ALLOWED):\n\
                \x20       run(d)\n";
    let out = concise(pack(code).path());
    assert!(out.contains("app.py:4:9: error[test-run-flow]"), "{out}");
}

#[test]
fn guards_combined_with_and_or_clean_only_where_the_logic_allows() {
    let code = "def f(flag):\n\
                \x20   a = user_input()\n\
                \x20   if flag and not (a in ALLOWED):\n\
                \x20       return\n\
                \x20   run(a)\n\
                \x20   b = user_input()\n\
                \x20   if b in ALLOWED and flag:\n\
                \x20       run(b)\n\
                \x20   c = user_input()\n\
                \x20   if c in ALLOWED or flag:\n\
                \x20       run(c)\n";
    let out = concise(pack(code).path());
    // `flag and not ok`: false when flag is false, so `a` is unchecked.
    assert!(out.contains("app.py:5:5: error[test-run-flow]"), "{out}");
    assert!(!out.contains("app.py:8:"), "{out}");
    assert!(out.contains("app.py:11:9: error[test-run-flow]"), "{out}");
}

#[test]
fn branches_and_loops_keep_taint_from_any_path() {
    let code = "def f(flag):\n\
                \x20   if flag:\n\
                \x20       a = user_input()\n\
                \x20   else:\n\
                \x20       a = \"safe\"\n\
                \x20   run(a)\n\
                \x20   b = \"\"\n\
                \x20   for i in range(3):\n\
                \x20       run(b)\n\
                \x20       b = user_input()\n";
    let out = concise(pack(code).path());
    assert!(out.contains("app.py:6:5: error[test-run-flow]"), "{out}");
    // Tainted late in one iteration, used early in the next.
    assert!(out.contains("app.py:9:9: error[test-run-flow]"), "{out}");
}

#[test]
fn taint_does_not_cross_functions_and_unknown_input_keeps_the_pattern_warning() {
    let code = "def source():\n\
                \x20   a = user_input()\n\
                \n\
                def sink(a):\n\
                \x20   run(\"x\" + a)\n";
    assert_eq!(
        concise(pack(code).path()),
        "app.py:5:5: warning[test-run-flow] run() of built text `\"x\" + a`\n"
    );
}

#[test]
fn json_and_pretty_outputs_show_the_path() {
    let dir = pack("def f():\n    a = user_input()\n    run(a)\n");
    let out = backlint(
        &[
            "check",
            "--no-builtin",
            "--rules",
            "rules",
            "--no-cache",
            "--format",
            "json",
            "app.py",
        ],
        dir.path(),
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let flow = json["findings"][0]["flow"].as_array().expect("flow array");
    let steps: Vec<(i64, &str)> = flow
        .iter()
        .map(|s| {
            (
                s["start"]["line"].as_i64().unwrap_or(0),
                s["label"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(steps.len(), 3, "{steps:?}");
    assert_eq!(steps[0].0, 2);
    assert!(steps[0].1.contains("user_input()"), "{steps:?}");
    assert_eq!(steps[1], (2, "flows into `a`"));
    assert_eq!(steps[2].0, 3);

    let out = backlint(
        &[
            "check",
            "--no-builtin",
            "--rules",
            "rules",
            "--no-cache",
            "app.py",
        ],
        dir.path(),
    );
    let text = stdout(&out);
    assert!(text.contains("1. request data: `user_input()`"), "{text}");
    assert!(text.contains("2. flows into `a`"), "{text}");
    assert!(text.contains("sink"), "{text}");
}

#[test]
fn taint_sections_are_checked_when_rules_load() {
    let dir = pack("run(1)\n");
    let broken = RULE.replace("@sink))", "@arg))");
    fs::write(dir.path().join("rules/rule.yaml"), broken).expect("write");
    let out = backlint(
        &["check", "--no-builtin", "--rules", "rules", "app.py"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("a taint sink query must capture `@sink`"),
        "{err}"
    );
    assert!(err.contains("rules/rule.yaml:"), "{err}");

    let unknown = RULE.replace("use: [test-sources]", "use: [no-such-library]");
    fs::write(dir.path().join("rules/rule.yaml"), unknown).expect("write");
    let out = backlint(
        &["check", "--no-builtin", "--rules", "rules", "app.py"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("unknown taint library `no-such-library`"),
        "{err}"
    );
}

/// A value source found by an anchor, and handler parameters of functions
/// decorated with `@….route(…)`.
const PARAM_LIBRARY: &str = r#"library: test-sources
sources:
  python:
    - query: |
        (call function: (identifier) @f)
      anchors: ["user_input"]
      where:
        f: { regex: "^user_input$" }
    - query: |
        (identifier) @param
      anchors: [".route("]
      inside:
        kind: decorated_definition
        has:
          kind: decorator
          regex: '^@[\w.]+\.route\('
          stop-by: { kind: block }
        stop-by: { kind: block }
"#;

#[test]
fn without_value_sources_a_file_without_handlers_is_skipped_and_others_run_whole() {
    // No `user_input` and no pattern finding (`run` of a plain name): the
    // pass looks for a function with a request-data parameter first. With
    // one, it runs over the whole file, so what is known at a handler's
    // definition (`LIMIT`) still counts, and a lambda in a default value is
    // still not run.
    let code = "x = compute()\n\
                run(x)\n\
                def helper(p):\n\
                \x20   run(p)\n\
                @app.route('/a/<name>')\n\
                def view(name):\n\
                \x20   def inner():\n\
                \x20       run(name)\n\
                \x20   run(name)\n\
                \x20   @app.route('/b/<other>')\n\
                \x20   def nested(other):\n\
                \x20       run(other)\n\
                def outer():\n\
                \x20   y = compute()\n\
                \x20   @bp.route('/c/<key>')\n\
                \x20   def handler(key, n: int):\n\
                \x20       run(y)\n\
                \x20       run(key)\n\
                \x20   run(y)\n\
                LIMIT = 10\n\
                @app.route('/d/<req>')\n\
                def limited(req):\n\
                \x20   req.limit = LIMIT\n\
                \x20   run(req.limit)\n\
                @app.route('/e')\n\
                def defaults(cb=lambda other: run(other)):\n\
                \x20   pass\n";
    let dir = pack(code);
    fs::write(dir.path().join("rules/lib.yaml"), PARAM_LIBRARY).expect("write");
    let expected = "app.py:8:9: error[test-run-flow] `name` reaches run() as `name`\n\
                    app.py:9:5: error[test-run-flow] `name` reaches run() as `name`\n\
                    app.py:12:9: error[test-run-flow] `other` reaches run() as `other`\n\
                    app.py:18:9: error[test-run-flow] `key` reaches run() as `key`\n";
    assert_eq!(concise(dir.path()), expected);
    // A value source's anchor in the file (here in a comment): the same.
    fs::write(dir.path().join("app.py"), format!("{code}# user_input\n")).expect("write");
    assert_eq!(concise(dir.path()), expected);
    // A route without parameters and a plain function: no handler, so
    // the pass stops after looking at the functions, finding nothing.
    fs::write(
        dir.path().join("app.py"),
        "@app.route('/f')\ndef listing():\n    run(x)\ndef plain(req):\n    run(req)\n",
    )
    .expect("write");
    assert_eq!(concise(dir.path()), "");
}
