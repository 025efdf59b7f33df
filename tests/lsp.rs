//! `backlint lsp` at the protocol level: a scripted client talks JSON-RPC
//! to the real binary over stdio.

mod common;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Generous: a debug build compiles the rules slowly, and tests run in parallel.
const WAIT: Duration = Duration::from_secs(120);

/// A minimal LSP client around a spawned `backlint lsp`.
struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Messages read while waiting for something else.
    backlog: Vec<Value>,
}

impl Client {
    fn start(cwd: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_backlint"))
            .arg("lsp")
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn backlint lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, incoming) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("Content-Length from server")];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let value: Value = serde_json::from_slice(&body).expect("server sends JSON");
                assert_eq!(value["jsonrpc"], "2.0", "{value}");
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming,
            next_id: 0,
            backlog: Vec::new(),
        }
    }

    fn send_raw(&mut self, body: &[u8]) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).expect("write header");
        self.stdin.write_all(body).expect("write body");
        self.stdin.flush().expect("flush");
    }

    fn send(&mut self, value: Value) {
        self.send_raw(value.to_string().as_bytes());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait_for(&format!("response to {method}"), |m| {
            m["id"] == json!(id) && m.get("method").is_none()
        })
    }

    /// The first message (backlog first) satisfying `pred`.
    fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(i);
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(m) if pred(&m) => return m,
                Ok(m) => self.backlog.push(m),
                Err(RecvTimeoutError::Timeout) => {
                    panic!("timed out waiting for {what}; got {:#?}", self.backlog)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("server closed its output waiting for {what}")
                }
            }
        }
    }

    /// The next diagnostics published for `uri` at `version`.
    fn diagnostics(&mut self, uri: &str, version: Option<i64>) -> Vec<Value> {
        let msg = self.wait_for(&format!("diagnostics for {uri} v{version:?}"), |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && version.is_none_or(|v| m["params"]["version"] == v)
        });
        msg["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn initialize(&mut self, root: &Path, capabilities: Value) -> Value {
        let root_uri = file_uri(root);
        let reply = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": root_uri,
                "capabilities": capabilities,
                "initializationOptions": {"debounceMs": 20},
            }),
        );
        self.notify("initialized", json!({}));
        reply
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}),
        );
    }

    fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    /// `shutdown` then `exit`; returns the exit code.
    fn shutdown(mut self) -> i32 {
        let reply = self.request("shutdown", Value::Null);
        assert_eq!(reply["result"], Value::Null, "{reply}");
        assert!(reply.get("error").is_none(), "{reply}");
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "server did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn file_uri(path: &Path) -> String {
    url::Url::from_file_path(path)
        .expect("absolute path")
        .to_string()
}

/// A workspace whose `backlint.toml` adds the test rule with a fix.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("lsp-rules");
    std::fs::create_dir(&rules).expect("mkdir");
    std::fs::copy(
        common::repo().join("tests/data/rules-lsp/test-yaml-load.yaml"),
        rules.join("test-yaml-load.yaml"),
    )
    .expect("copy rule");
    std::fs::write(
        dir.path().join("backlint.toml"),
        "rules-dirs = [\"lsp-rules\"]\n",
    )
    .expect("write config");
    dir
}

/// LSP position (UTF-16 columns) of the first `needle` in `text`.
fn utf16_position(text: &str, needle: &str) -> (u64, u64) {
    let offset = text.find(needle).expect("needle in text");
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        line as u64,
        before[line_start..].encode_utf16().count() as u64,
    )
}

fn start_of(d: &Value) -> (u64, u64) {
    let s = &d["range"]["start"];
    (
        s["line"].as_u64().expect("line"),
        s["character"].as_u64().expect("character"),
    )
}

fn with_code<'a>(diags: &'a [Value], code: &str) -> Vec<&'a Value> {
    diags.iter().filter(|d| d["code"] == code).collect()
}

/// Applies LSP text edits (UTF-16 positions) to `text`.
fn apply_edits(text: &str, edits: &[Value]) -> String {
    let offset = |pos: &Value| -> usize {
        let line = pos["line"].as_u64().expect("line") as usize;
        let character = pos["character"].as_u64().expect("character") as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if units >= character {
                return start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().expect("newText").to_string(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (start, end, new) in spans {
        out.replace_range(start..end, &new);
    }
    out
}

fn edits_of(action: &Value, uri: &str) -> Vec<Value> {
    action["edit"]["changes"][uri]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

const APP: &str = concat!(
    "import requests, yaml\n",
    "\n",
    "def handler(url, data):\n",
    "    label = \"café 😀\"; r = requests.get(url)\n",
    "    return yaml.load(data)\n",
);

#[test]
fn open_change_code_action_fix_and_shutdown() {
    let dir = workspace();
    let path = dir.path().join("app.py");
    std::fs::write(&path, APP).expect("write app.py");
    let uri = file_uri(&path);
    let mut client = Client::start(dir.path());

    let init = client.initialize(dir.path(), json!({}));
    let caps = &init["result"]["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16", "{init}");
    assert_eq!(caps["textDocumentSync"]["change"], 1, "full sync: {init}");
    assert_eq!(
        caps["executeCommandProvider"]["commands"],
        json!(["backlint.lintWorkspace"])
    );

    // didOpen → diagnostics with UTF-16 ranges.
    client.open(&uri, APP);
    let diags = client.diagnostics(&uri, Some(1));
    let timeout = with_code(&diags, "missing-timeout");
    assert_eq!(timeout.len(), 1, "{diags:#?}");
    // The emoji is two UTF-16 code units: a byte or char count would differ.
    assert_eq!(
        start_of(timeout[0]),
        utf16_position(APP, "requests.get(url)")
    );
    let yaml = with_code(&diags, "test-yaml-load");
    assert_eq!(yaml.len(), 1, "{diags:#?}");
    let (line, col) = utf16_position(APP, "yaml.load");
    assert_eq!(
        yaml[0]["range"],
        json!({"start": {"line": line, "character": col},
               "end": {"line": line, "character": col + "yaml.load".len() as u64}})
    );
    assert_eq!(yaml[0]["source"], "backlint");
    assert_eq!(yaml[0]["severity"], 2, "warning");
    assert_eq!(
        yaml[0]["codeDescription"]["href"],
        "https://cwe.mitre.org/data/definitions/502.html"
    );
    assert!(
        !yaml[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("data"),
        "no source text in messages beyond the rule's own"
    );

    // didChange: the request line goes away; only the yaml finding stays.
    let v2 = APP.replace("label = \"café 😀\"; r = requests.get(url)", "pass");
    client.change(&uri, 2, &v2);
    let diags = client.diagnostics(&uri, Some(2));
    assert!(
        with_code(&diags, "missing-timeout").is_empty(),
        "{diags:#?}"
    );
    assert_eq!(with_code(&diags, "test-yaml-load").len(), 1, "{diags:#?}");
    let (line, col) = utf16_position(&v2, "yaml.load");
    assert_eq!(
        start_of(with_code(&diags, "test-yaml-load")[0]),
        (line, col)
    );

    // codeAction at the finding: a fix and an ignore comment.
    let reply = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri},
            "range": {"start": {"line": line, "character": col + 2}, "end": {"line": line, "character": col + 2}},
            "context": {"diagnostics": []},
        }),
    );
    let actions = reply["result"].as_array().cloned().unwrap_or_default();
    let fix = actions
        .iter()
        .find(|a| a["title"] == "Fix `test-yaml-load`")
        .unwrap_or_else(|| panic!("no fix action in {actions:#?}"));
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], true);
    assert_eq!(fix["diagnostics"][0]["code"], "test-yaml-load");
    let ignore = actions
        .iter()
        .find(|a| a["title"] == "Ignore `test-yaml-load` on this line")
        .unwrap_or_else(|| panic!("no ignore action in {actions:#?}"));
    assert_eq!(
        edits_of(ignore, &uri),
        vec![
            json!({"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}},
                    "newText": "    # backlint: ignore[test-yaml-load]\n"})
        ]
    );

    // Apply the fix: the finding is gone.
    let v3 = apply_edits(&v2, &edits_of(fix, &uri));
    assert!(v3.contains("return yaml.safe_load(data)"), "{v3}");
    client.change(&uri, 3, &v3);
    let diags = client.diagnostics(&uri, Some(3));
    assert!(with_code(&diags, "test-yaml-load").is_empty(), "{diags:#?}");

    // Apply the ignore comment on the original text: suppressed.
    let v4 = apply_edits(&v2, &edits_of(ignore, &uri));
    client.change(&uri, 4, &v4);
    let diags = client.diagnostics(&uri, Some(4));
    assert!(
        with_code(&diags, "test-yaml-load").is_empty(),
        "{v4}\n{diags:#?}"
    );

    // didClose clears the file's diagnostics.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    assert!(client.diagnostics(&uri, None).is_empty());

    assert_eq!(client.shutdown(), 0);
}

#[test]
fn survives_malformed_messages_unknown_methods_and_bad_positions() {
    let dir = workspace();
    let mut client = Client::start(dir.path());

    // Before initialize: requests are refused, not crashed on.
    client.send(
        json!({"jsonrpc": "2.0", "id": "early", "method": "textDocument/codeAction", "params": {}}),
    );
    let early = client.wait_for("early reply", |m| m["id"] == "early");
    assert_eq!(early["error"]["code"], -32002, "{early}");

    let init = client.initialize(
        dir.path(),
        json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}}),
    );
    assert_eq!(init["result"]["capabilities"]["positionEncoding"], "utf-8");

    // Malformed frames: bad JSON, JSON that is not a message, no length.
    client.send_raw(b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\"");
    let parse = client.wait_for("parse error", |m| m["error"]["code"] == -32700);
    assert_eq!(parse["id"], Value::Null);
    client.send_raw(br#"{"jsonrpc":"2.0","id":77,"method":42}"#);
    let invalid = client.wait_for("invalid request", |m| m["id"] == 77);
    assert_eq!(invalid["error"]["code"], -32600, "{invalid}");
    client
        .stdin
        .write_all(b"Content-Type: nonsense\r\n\r\n")
        .expect("write");
    // Unknown methods: an error for a request, silence for a notification.
    let unknown = client.request("backlint/noSuchThing", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    client.notify("$/noSuchNotification", json!({"x": 1}));
    // Parameters of the wrong shape.
    let bad = client.request("textDocument/codeAction", json!({"textDocument": 5}));
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    client.notify("textDocument/didOpen", json!({"textDocument": null}));

    // A document, then positions that do not exist in it.
    let path = dir.path().join("bad.py");
    let text = "x = '😀'\nrequests.get(u, verify=False)\n";
    let uri = file_uri(&path);
    client.open(&uri, text);
    let diags = client.diagnostics(&uri, Some(1));
    let tls = with_code(&diags, "tls-verification-disabled");
    assert_eq!(tls.len(), 1, "{diags:#?}");
    // UTF-8 columns were negotiated: count bytes.
    let col = "requests.get(u, ".len() as u64;
    let tls_start = start_of(tls[0]);
    assert_eq!(tls_start.0, 1);
    assert!(tls_start.1 >= col, "{tls_start:?}");
    for range in [
        json!({"start": {"line": 9999, "character": 0}, "end": {"line": 99999, "character": 5}}),
        json!({"start": {"line": 0, "character": 6}, "end": {"line": 0, "character": 4000000000u64}}),
        json!({"start": {"line": 1, "character": 30}, "end": {"line": 0, "character": 0}}),
    ] {
        let reply = client.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": range, "context": {"diagnostics": []}}),
        );
        assert!(reply["result"].is_array(), "{reply}");
    }
    // A ranged change (not what we negotiated) at impossible positions.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2},
               "contentChanges": [{"range": {"start": {"line": 0, "character": 5}, "end": {"line": 70, "character": 3}},
                                   "text": "\nrequests.get(u, verify=False)\n"}]}),
    );
    let diags = client.diagnostics(&uri, Some(2));
    assert_eq!(
        with_code(&diags, "tls-verification-disabled").len(),
        1,
        "{diags:#?}"
    );

    // Still serving: a well-formed request gets its answer.
    let reply = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 40}}, "context": {"diagnostics": []}}),
    );
    let titles: Vec<&str> = reply["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["title"].as_str())
        .collect();
    assert!(
        titles.contains(&"Ignore `tls-verification-disabled` on this line"),
        "{reply}"
    );
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn lint_workspace_command_and_config_reload() {
    let dir = workspace();
    let root = dir.path();
    std::fs::create_dir(root.join("pkg")).expect("mkdir");
    std::fs::write(root.join("pkg/a.py"), "import yaml\nyaml.load(s)\n").expect("write");
    std::fs::write(root.join("pkg/b.py"), "import requests\nrequests.get(u)\n").expect("write");
    std::fs::write(root.join("pkg/clean.py"), "x = 1\n").expect("write");
    let mut client = Client::start(root);
    client.initialize(root, json!({}));

    let reply = client.request(
        "workspace/executeCommand",
        json!({"command": "backlint.lintWorkspace", "arguments": []}),
    );
    assert_eq!(reply["result"]["filesWithFindings"], 2, "{reply}");
    let a = client.diagnostics(&file_uri(&root.join("pkg/a.py")), None);
    assert_eq!(with_code(&a, "test-yaml-load").len(), 1, "{a:#?}");
    let b_uri = file_uri(&root.join("pkg/b.py"));
    let b = client.diagnostics(&b_uri, None);
    assert_eq!(with_code(&b, "missing-timeout").len(), 1, "{b:#?}");

    // Open b.py, then ignore missing-timeout in the configuration.
    client.open(&b_uri, "import requests\nrequests.get(u)\n");
    let b = client.diagnostics(&b_uri, Some(1));
    assert_eq!(with_code(&b, "missing-timeout").len(), 1, "{b:#?}");
    let config = root.join("backlint.toml");
    std::fs::write(
        &config,
        "rules-dirs = [\"lsp-rules\"]\nignore = [\"missing-timeout\"]\n",
    )
    .expect("write config");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&config), "type": 2}]}),
    );
    let b = client.diagnostics(&b_uri, Some(1));
    assert!(with_code(&b, "missing-timeout").is_empty(), "{b:#?}");

    // A broken configuration is reported, and linting goes on.
    std::fs::write(&config, "no-such-key = 1\n").expect("write config");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&config), "type": 2}]}),
    );
    let shown = client.wait_for("showMessage", |m| m["method"] == "window/showMessage");
    let text = shown["params"]["message"].as_str().unwrap_or_default();
    assert!(text.contains("backlint.toml"), "{text}");
    let b = client.diagnostics(&b_uri, Some(1));
    assert_eq!(with_code(&b, "missing-timeout").len(), 1, "{b:#?}");
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn exit_without_shutdown_is_an_error_exit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut client = Client::start(dir.path());
    client.initialize(dir.path(), json!({}));
    client.notify("exit", Value::Null);
    let status = client.child.wait().expect("wait");
    assert_eq!(status.code(), Some(1));
}
