//! JSON-RPC framing over byte streams (`Content-Length` headers).
//!
//! `lsp-server` has its own stdio transport, but its reader thread stops at
//! the first malformed message, which would take the server down with it.
//! This one reports a malformed frame or body as [`Incoming::Malformed`] and
//! keeps reading, so the server can answer with a JSON-RPC error and go on.

use lsp_server::Message;
use serde_json::Value;
use std::io::{self, BufRead, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender};

/// Bodies larger than this are skipped (and reported), not buffered.
pub const MAX_BODY: usize = 256 * 1024 * 1024;

/// What the reader thread hands to the server.
#[derive(Debug)]
pub enum Incoming {
    /// A well-formed request, response or notification.
    Message(Message),
    /// A frame that could not be understood. `id` is the request id when the
    /// body was JSON carrying one, so the error reply can name it.
    Malformed {
        code: i32,
        reason: String,
        id: Option<Value>,
    },
}

/// JSON-RPC `Parse error`.
pub const PARSE_ERROR: i32 = -32700;
/// JSON-RPC `Invalid Request`.
pub const INVALID_REQUEST: i32 = -32600;

/// Reads one frame. `Ok(None)` at end of input.
pub fn read_frame(input: &mut impl BufRead) -> io::Result<Option<Incoming>> {
    let mut length: Option<usize> = None;
    let mut bad_header = None;
    let mut saw_header = false;
    let mut raw = Vec::new();
    loop {
        raw.clear();
        if input.read_until(b'\n', &mut raw)? == 0 {
            return Ok(None);
        }
        let line = String::from_utf8_lossy(&raw);
        let trimmed = line.trim_end_matches(['\r', '\n']);
        if trimmed.is_empty() {
            if saw_header {
                break;
            }
            continue;
        }
        saw_header = true;
        match trimmed.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(n) => length = Some(n),
                    Err(_) => bad_header = Some(format!("bad Content-Length `{}`", value.trim())),
                }
            }
            Some(_) => {}
            None => bad_header = Some("header line without `:`".to_string()),
        }
    }
    let Some(length) = length else {
        let reason = bad_header.unwrap_or_else(|| "missing Content-Length header".into());
        return Ok(Some(malformed(PARSE_ERROR, reason, None)));
    };
    if length > MAX_BODY {
        io::copy(&mut input.take(length as u64), &mut io::sink())?;
        return Ok(Some(malformed(
            PARSE_ERROR,
            format!("message of {length} bytes is above the {MAX_BODY}-byte limit"),
            None,
        )));
    }
    let mut body = vec![0; length];
    match input.read_exact(&mut body) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    Ok(Some(decode(&body)))
}

/// Decodes a body into a message or says why it is not one.
fn decode(body: &[u8]) -> Incoming {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return malformed(PARSE_ERROR, format!("invalid JSON: {e}"), None),
    };
    let id = value
        .get("id")
        .filter(|id| id.is_number() || id.is_string())
        .cloned();
    match serde_json::from_value::<Message>(value) {
        Ok(message) => Incoming::Message(message),
        Err(e) => malformed(INVALID_REQUEST, format!("not a JSON-RPC message: {e}"), id),
    }
}

fn malformed(code: i32, reason: String, id: Option<Value>) -> Incoming {
    Incoming::Malformed { code, reason, id }
}

/// Reads frames from `input` on a thread of its own until end of input or
/// until the receiver is gone.
pub fn spawn_reader(
    mut input: impl BufRead + Send + 'static,
    capacity: usize,
) -> io::Result<Receiver<Incoming>> {
    let (tx, rx): (SyncSender<Incoming>, Receiver<Incoming>) =
        std::sync::mpsc::sync_channel(capacity);
    std::thread::Builder::new()
        .name("backlint-lsp-reader".into())
        .spawn(move || {
            while let Ok(Some(incoming)) = read_frame(&mut input) {
                if tx.send(incoming).is_err() {
                    break;
                }
            }
        })?;
    Ok(rx)
}

/// Writes one JSON value as a frame and flushes.
pub fn write_frame(out: &mut impl Write, value: &impl serde::Serialize) -> io::Result<()> {
    let body = serde_json::to_vec(value)?;
    write!(out, "Content-Length: {}\r\n\r\n", body.len())?;
    out.write_all(&body)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &str) -> Vec<Incoming> {
        let mut reader = io::BufReader::new(input.as_bytes());
        let mut out = Vec::new();
        while let Ok(Some(f)) = read_frame(&mut reader) {
            out.push(f);
        }
        out
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn malformed_frames_do_not_stop_reading() {
        let good = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = [
            frame("{not json"),
            frame(r#"{"jsonrpc":"2.0","id":7,"method":5}"#),
            "Content-Length: nope\r\n\r\n".to_string(),
            frame(good),
        ]
        .concat();
        let got = frames(&input);
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(matches!(
            got[0],
            Incoming::Malformed {
                code: PARSE_ERROR,
                ..
            }
        ));
        match &got[1] {
            Incoming::Malformed { code, id, .. } => {
                assert_eq!(*code, INVALID_REQUEST);
                assert_eq!(id.as_ref(), Some(&Value::from(7)));
            }
            other => panic!("expected malformed, got {other:?}"),
        }
        assert!(matches!(
            got[2],
            Incoming::Malformed {
                code: PARSE_ERROR,
                ..
            }
        ));
        assert!(matches!(
            got[3],
            Incoming::Message(Message::Notification(_))
        ));
    }

    #[test]
    fn truncated_body_is_end_of_input() {
        assert!(frames("Content-Length: 50\r\n\r\n{}").is_empty());
    }
}
