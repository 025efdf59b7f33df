//! Latency of `backlint lsp`: time from sending `didChange` to receiving the
//! matching `publishDiagnostics`, on a 2,000-line Python file.
//!
//! A small timing harness rather than criterion: the quantity is a round
//! trip through a child process, so it reports the distribution of many
//! round trips directly. Run by hand: `cargo bench --bench lsp_latency`.
//! The debounce is set to 0 ms for the main measurement (the server's own
//! work plus the pipe round trip) and measured once more with the default
//! debounce, which adds its delay on top.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

const LINES: usize = 2000;
const ROUNDS: usize = 40;

/// A 2,000-line service module with a finding every ~50 lines.
fn python_file() -> String {
    let mut out = String::from("import requests\nimport yaml\nimport time\n\n");
    let mut i = 0;
    while out.lines().count() < LINES - 8 {
        out.push_str(&format!(
            "\ndef handler_{i}(request, url, payload):\n\
             \x20   \"\"\"Handle request {i}.\"\"\"\n\
             \x20   items = [x * {i} for x in range(10) if x % 2]\n\
             \x20   total = sum(items) + len(payload)\n\
             \x20   if total > 100:\n\
             \x20       return {{\"status\": \"big\", \"total\": total}}\n"
        ));
        if i % 8 == 0 {
            out.push_str("    resp = requests.get(url)\n");
        } else {
            out.push_str("    resp = requests.get(url, timeout=5)\n");
        }
        out.push_str("    return {\"status\": resp.status_code, \"total\": total}\n");
        i += 1;
    }
    while out.lines().count() < LINES {
        out.push_str("# padding\n");
    }
    out
}

struct Server {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
}

impl Server {
    fn start(debounce_ms: Option<u64>, root: &std::path::Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_backlint"))
            .arg("lsp")
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn backlint lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, incoming) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = 0;
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
                        length = n.parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                if let Ok(v) = serde_json::from_slice(&body) {
                    if tx.send(v).is_err() {
                        return;
                    }
                }
            }
        });
        let mut server = Server {
            child,
            stdin,
            incoming,
        };
        let options = match debounce_ms {
            Some(ms) => json!({"debounceMs": ms}),
            None => Value::Null,
        };
        server.send(
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "processId": null,
                "rootUri": url::Url::from_directory_path(root).expect("dir").to_string(),
                "capabilities": {},
                "initializationOptions": options,
            }}),
        );
        server.wait(|m| m["id"] == 1);
        server.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
        server
    }

    fn send(&mut self, v: Value) {
        let body = v.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn wait(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            let m = self
                .incoming
                .recv_timeout(Duration::from_secs(120))
                .expect("server answers");
            if pred(&m) {
                return m;
            }
        }
    }

    fn wait_published(&mut self, uri: &str, version: i64) -> usize {
        let m = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        });
        m["params"]["diagnostics"].as_array().map_or(0, Vec::len)
    }

    fn stop(mut self) {
        self.send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}));
        self.wait(|m| m["id"] == 2);
        self.send(json!({"jsonrpc": "2.0", "method": "exit"}));
        let _ = self.child.wait();
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn measure(debounce_ms: Option<u64>, rounds: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("service.py");
    let text = python_file();
    std::fs::write(&path, &text).expect("write");
    let uri = url::Url::from_file_path(&path).expect("path").to_string();
    let mut server = Server::start(debounce_ms, dir.path());

    let opened = Instant::now();
    server.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}}),
    );
    let first = server.wait_published(&uri, 1);
    let open_time = opened.elapsed();

    let mut times = Vec::new();
    for round in 0..rounds {
        let version = round as i64 + 2;
        // Alternate between the original and one extra finding.
        let changed = if round % 2 == 0 {
            text.replacen("requests.get(url, timeout=5)", "requests.get(url)", 1)
        } else {
            text.clone()
        };
        let sent = Instant::now();
        server.send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"text": changed}]}}),
        );
        let count = server.wait_published(&uri, version);
        times.push(sent.elapsed());
        let expected = if round % 2 == 0 { first + 1 } else { first };
        assert_eq!(count, expected, "round {round}");
    }
    server.stop();
    times.sort();
    let pick = |q: f64| millis(times[((times.len() - 1) as f64 * q).round() as usize]);
    let label = match debounce_ms {
        Some(ms) => format!("debounce {ms} ms"),
        None => "default debounce".into(),
    };
    println!(
        "lsp_latency ({label}): {} lines, {first} diagnostics; didOpen→publish (first lint, rules compiled) {:.1} ms; \
         didChange→publish over {rounds} rounds: min {:.2} ms, median {:.2} ms, p90 {:.2} ms, max {:.2} ms",
        text.lines().count(),
        millis(open_time),
        pick(0.0),
        pick(0.5),
        pick(0.9),
        pick(1.0),
    );
}

fn main() {
    // `cargo test --benches` runs this with `--bench` absent: keep it quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    measure(Some(0), if quick { 3 } else { ROUNDS });
    if !quick {
        measure(None, 10);
    }
}
