//! The server loop: reads messages, keeps document state, lints, publishes.
//!
//! Everything runs on one thread except reading stdin: linting is
//! CPU-bound and fast enough per file that a synchronous loop answers
//! sooner than a task system would. Edits are debounced: a `didChange`
//! schedules a lint a short delay later, and each further change moves it,
//! so typing does not queue a lint per keystroke. Open, save and close act
//! at once. A failure in one message (bad parameters, even a bug that
//! panics) produces an error reply or a log line, never the end of the
//! server.

use super::actions;
use super::convert::{self, SOURCE};
use super::documents::{file_path, Documents};
use super::position::{Encoding, LineTable};
use super::transport::{self, write_frame, Incoming};
use super::workspace::{lint, Change, Linted, Settings, Workspace};
use crate::config::CONFIG_FILES;
use crate::diagnostic::{Finding, NoticeKind};
use crate::source::read_source;
use crate::walk::discover_with;
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionOptions, CodeActionParams, CodeActionProviderCapability, CodeActionResponse,
    DidChangeTextDocumentParams, DidChangeWatchedFilesParams,
    DidChangeWatchedFilesRegistrationOptions, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, ExecuteCommandOptions,
    ExecuteCommandParams, FileSystemWatcher, GlobPattern, InitializeParams, InitializeResult,
    LogMessageParams, MessageType, PositionEncodingKind, PublishDiagnosticsParams, Registration,
    RegistrationParams, SaveOptions, ServerCapabilities, ServerInfo, ShowMessageParams,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Url,
};
use rayon::prelude::*;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The command that lints every file of the workspace.
pub const LINT_WORKSPACE: &str = "backlint.lintWorkspace";

/// Delay between the last edit and the lint, unless the client sets
/// `initializationOptions.debounceMs`.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(150);

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Uninitialized,
    Running,
    ShutDown,
}

/// The findings last computed for a document, for code actions.
struct Cached {
    version: i32,
    findings: Vec<Finding>,
    rules: Arc<crate::rule::index::RuleSet>,
}

/// Server state; one per connection.
pub struct Server<W: Write> {
    out: W,
    state: State,
    encoding: Encoding,
    debounce: Duration,
    roots: Vec<PathBuf>,
    watch_dynamically: bool,
    docs: Documents,
    workspace: Workspace,
    cache: HashMap<Url, Cached>,
    /// Files not open in the editor that the last workspace lint published
    /// diagnostics for, so the next one can clear those that became clean.
    published_from_disk: HashSet<Url>,
    /// Set when the output is gone: nobody is listening any more.
    broken: bool,
}

/// Serves one client reading `input` and writing `out`; returns the exit
/// code (0 after `shutdown` then `exit`, 1 otherwise).
pub fn serve(input: impl BufRead + Send + 'static, out: impl Write) -> i32 {
    let incoming = match transport::spawn_reader(input, 64) {
        Ok(rx) => rx,
        Err(e) => {
            eprintln!("backlint lsp: cannot start the reader thread: {e}");
            return 1;
        }
    };
    let mut server = Server::new(out);
    loop {
        let next = match server.docs.next_due() {
            Some(due) => incoming.recv_timeout(due.saturating_duration_since(Instant::now())),
            None => incoming.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match next {
            Ok(Incoming::Message(message)) => {
                if let Some(code) = server.handle_guarded(message) {
                    return code;
                }
            }
            Ok(Incoming::Malformed { code, reason, id }) => {
                server.send_raw(json!({
                    "jsonrpc": "2.0",
                    "id": id.unwrap_or(Value::Null),
                    "error": { "code": code, "message": reason },
                }));
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return server.exit_code(),
        }
        server.lint_due();
        if server.broken {
            return server.exit_code();
        }
    }
}

impl<W: Write> Server<W> {
    fn new(out: W) -> Self {
        Server {
            out,
            state: State::Uninitialized,
            encoding: Encoding::Utf16,
            debounce: DEFAULT_DEBOUNCE,
            roots: Vec::new(),
            watch_dynamically: false,
            docs: Documents::default(),
            workspace: Workspace::default(),
            cache: HashMap::new(),
            published_from_disk: HashSet::new(),
            broken: false,
        }
    }

    fn exit_code(&self) -> i32 {
        if self.state == State::ShutDown {
            0
        } else {
            1
        }
    }

    /// Handles a message; a panic becomes an internal-error reply (for a
    /// request) or a log line. `Some(code)` means exit.
    fn handle_guarded(&mut self, message: Message) -> Option<i32> {
        let id = match &message {
            Message::Request(r) => Some(r.id.clone()),
            _ => None,
        };
        let method = match &message {
            Message::Request(r) => r.method.clone(),
            Message::Notification(n) => n.method.clone(),
            Message::Response(_) => String::new(),
        };
        match catch_unwind(AssertUnwindSafe(|| self.handle(message))) {
            Ok(flow) => flow,
            Err(_) => {
                let text = format!("internal error while handling `{method}`");
                match id {
                    Some(id) => self.reply_err(id, ErrorCode::InternalError, text),
                    None => self.log(MessageType::ERROR, text),
                }
                None
            }
        }
    }

    fn handle(&mut self, message: Message) -> Option<i32> {
        match message {
            Message::Request(request) => {
                self.handle_request(request);
                None
            }
            Message::Notification(n) if n.method == note::Exit::METHOD => Some(self.exit_code()),
            Message::Notification(n) => {
                if self.state == State::Running {
                    self.handle_notification(n);
                }
                None
            }
            // Replies to our own requests (registerCapability): nothing to do.
            Message::Response(_) => None,
        }
    }

    fn handle_request(&mut self, request: Request) {
        let id = request.id.clone();
        match (self.state, request.method.as_str()) {
            (State::Uninitialized, req::Initialize::METHOD) => self.initialize(request),
            (State::Uninitialized, _) => self.reply_err(
                id,
                ErrorCode::ServerNotInitialized,
                "the server is not initialized yet".into(),
            ),
            (State::ShutDown, _) => self.reply_err(
                id,
                ErrorCode::InvalidRequest,
                "the server is shutting down".into(),
            ),
            (State::Running, req::Initialize::METHOD) => self.reply_err(
                id,
                ErrorCode::InvalidRequest,
                "the server is already initialized".into(),
            ),
            (State::Running, req::Shutdown::METHOD) => {
                self.state = State::ShutDown;
                self.reply_ok(id, Value::Null);
            }
            (State::Running, req::CodeActionRequest::METHOD) => {
                match params::<CodeActionParams>(request.params) {
                    Ok(p) => {
                        let actions = self.code_actions(p);
                        self.reply_ok(id, actions);
                    }
                    Err(e) => self.reply_err(id, ErrorCode::InvalidParams, e),
                }
            }
            (State::Running, req::ExecuteCommand::METHOD) => {
                match params::<ExecuteCommandParams>(request.params) {
                    Ok(p) if p.command == LINT_WORKSPACE => {
                        let result = self.lint_workspace();
                        self.reply_ok(id, result);
                    }
                    Ok(p) => self.reply_err(
                        id,
                        ErrorCode::InvalidParams,
                        format!("unknown command `{}`", p.command),
                    ),
                    Err(e) => self.reply_err(id, ErrorCode::InvalidParams, e),
                }
            }
            (State::Running, method) => {
                let text = format!("method `{method}` is not supported");
                self.reply_err(id, ErrorCode::MethodNotFound, text)
            }
        }
    }

    fn handle_notification(&mut self, n: Notification) {
        let method = n.method.clone();
        let outcome = match method.as_str() {
            note::Initialized::METHOD => {
                self.register_watchers();
                Ok(())
            }
            note::DidOpenTextDocument::METHOD => params(n.params).map(|p| self.did_open(p)),
            note::DidChangeTextDocument::METHOD => params(n.params).map(|p| self.did_change(p)),
            note::DidSaveTextDocument::METHOD => params(n.params).map(|p| self.did_save(p)),
            note::DidCloseTextDocument::METHOD => params(n.params).map(|p| self.did_close(p)),
            note::DidChangeWatchedFiles::METHOD => {
                params(n.params).map(|p| self.did_change_watched_files(p))
            }
            // `$/cancelRequest`, `$/setTrace`, configuration changes, …:
            // requests are answered in order, nothing to cancel or track.
            _ => Ok(()),
        };
        if let Err(e) = outcome {
            self.log(MessageType::WARNING, format!("ignored `{method}`: {e}"));
        }
    }

    fn initialize(&mut self, request: Request) {
        let p = match params::<InitializeParams>(request.params) {
            Ok(p) => p,
            Err(e) => return self.reply_err(request.id, ErrorCode::InvalidParams, e),
        };
        let offered = p
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref());
        let (encoding, kind) = match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => {
                (Encoding::Utf8, PositionEncodingKind::UTF8)
            }
            _ => (Encoding::Utf16, PositionEncodingKind::UTF16),
        };
        self.encoding = encoding;
        if let Some(ms) = p
            .initialization_options
            .as_ref()
            .and_then(|o| o.get("debounceMs"))
            .and_then(Value::as_u64)
        {
            self.debounce = Duration::from_millis(ms.min(10_000));
        }
        self.watch_dynamically = p
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|w| w.dynamic_registration)
            .unwrap_or(false);
        self.roots = workspace_roots(&p);
        let capabilities = ServerCapabilities {
            position_encoding: Some(kind),
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::FULL),
                    save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                        include_text: Some(false),
                    })),
                    ..TextDocumentSyncOptions::default()
                },
            )),
            code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![lsp_types::CodeActionKind::QUICKFIX]),
                ..CodeActionOptions::default()
            })),
            execute_command_provider: Some(ExecuteCommandOptions {
                commands: vec![LINT_WORKSPACE.to_string()],
                ..ExecuteCommandOptions::default()
            }),
            ..ServerCapabilities::default()
        };
        let result = InitializeResult {
            capabilities,
            server_info: Some(ServerInfo {
                name: SOURCE.to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
        };
        self.state = State::Running;
        self.reply_ok(request.id, result);
    }

    /// Asks the client to tell us about configuration and rule files, when
    /// it can register watchers at run time (otherwise the editor's own
    /// set-up decides what it sends).
    fn register_watchers(&mut self) {
        if !self.watch_dynamically {
            return;
        }
        let mut globs: Vec<String> = CONFIG_FILES.iter().map(|f| format!("**/{f}")).collect();
        globs.push("**/*.{yaml,yml}".into());
        let options = DidChangeWatchedFilesRegistrationOptions {
            watchers: globs
                .into_iter()
                .map(|g| FileSystemWatcher {
                    glob_pattern: GlobPattern::String(g),
                    kind: None,
                })
                .collect(),
        };
        let registration = RegistrationParams {
            registrations: vec![Registration {
                id: "backlint-watch-config".into(),
                method: note::DidChangeWatchedFiles::METHOD.into(),
                register_options: serde_json::to_value(options).ok(),
            }],
        };
        let request = Request {
            id: RequestId::from("backlint-register-watchers".to_string()),
            method: req::RegisterCapability::METHOD.into(),
            params: serde_json::to_value(registration).unwrap_or(Value::Null),
        };
        self.send(Message::Request(request));
    }

    fn did_open(&mut self, p: DidOpenTextDocumentParams) {
        let doc = p.text_document;
        let uri = doc.uri.clone();
        self.docs
            .open(doc.uri, &doc.language_id, doc.version, doc.text);
        self.lint_and_publish(&uri);
    }

    fn did_change(&mut self, p: DidChangeTextDocumentParams) {
        let uri = p.text_document.uri;
        if self.docs.change(
            &uri,
            p.text_document.version,
            p.content_changes,
            self.encoding,
        ) {
            let due = Instant::now() + self.debounce;
            if let Some(doc) = self.docs.get_mut(&uri) {
                doc.due = Some(due);
            }
        }
    }

    fn did_save(&mut self, p: DidSaveTextDocumentParams) {
        let uri = p.text_document.uri;
        if let Some(doc) = self.docs.get_mut(&uri) {
            doc.due = None;
            self.lint_and_publish(&uri);
        }
    }

    fn did_close(&mut self, p: DidCloseTextDocumentParams) {
        let uri = p.text_document.uri;
        self.docs.close(&uri);
        self.cache.remove(&uri);
        self.publish(uri, Vec::new(), None);
    }

    fn did_change_watched_files(&mut self, p: DidChangeWatchedFilesParams) {
        let mut changed = false;
        for change in p.changes {
            let Some(path) = file_path(&change.uri) else {
                continue;
            };
            let kind = self.workspace.classify(&path);
            if kind != Change::Unrelated {
                self.workspace.invalidate(kind, &path);
                changed = true;
            }
        }
        if changed {
            self.cache.clear();
            for uri in self.docs.uris() {
                self.lint_and_publish(&uri);
            }
            self.log(
                MessageType::INFO,
                "configuration or rules changed: reloaded".into(),
            );
        }
    }

    fn lint_due(&mut self) {
        for uri in self.docs.take_due(Instant::now()) {
            self.lint_and_publish(&uri);
        }
    }

    /// Lints an open document, caches the findings and publishes them.
    fn lint_and_publish(&mut self, uri: &Url) {
        let Some(doc) = self.docs.get(uri) else {
            return;
        };
        let Some(lang) = doc.lang else {
            return;
        };
        let version = doc.version;
        let path = doc.path.clone();
        let Some(settings) = self.workspace.settings(path.as_deref()) else {
            self.show_problems();
            return;
        };
        let Some(doc) = self.docs.get(uri) else {
            return;
        };
        let display = self.display(path.as_deref(), uri);
        let linted = lint(&settings, lang, &display, &doc.text);
        let lines = LineTable::new(&doc.text, self.encoding);
        let diagnostics = linted
            .findings
            .iter()
            .map(|f| convert::diagnostic(f, &settings.rules, &lines, uri))
            .collect();
        self.report_notices(&linted);
        self.cache.insert(
            uri.clone(),
            Cached {
                version,
                findings: linted.findings,
                rules: settings.rules.clone(),
            },
        );
        self.publish(uri.clone(), diagnostics, Some(version));
        self.show_problems();
    }

    fn code_actions(&mut self, p: CodeActionParams) -> CodeActionResponse {
        let uri = p.text_document.uri;
        let fresh = match (self.docs.get(&uri), self.cache.get(&uri)) {
            (Some(doc), Some(c)) => c.version == doc.version && doc.due.is_none(),
            _ => false,
        };
        if !fresh {
            if let Some(doc) = self.docs.get_mut(&uri) {
                doc.due = None;
            }
            self.lint_and_publish(&uri);
        }
        let (Some(doc), Some(cached)) = (self.docs.get(&uri), self.cache.get(&uri)) else {
            return Vec::new();
        };
        let Some(lang) = doc.lang else {
            return Vec::new();
        };
        let lines = LineTable::new(&doc.text, self.encoding);
        let wanted = lines.byte_range(p.range);
        let token = lang.info().line_comment;
        let mut out = Vec::new();
        for finding in &cached.findings {
            let (start, end) = (finding.span.start.offset, finding.span.end.offset);
            // Overlap, counting touching ranges and empty (cursor) ranges.
            if start > wanted.end || end < wanted.start {
                continue;
            }
            let diagnostic = convert::diagnostic(finding, &cached.rules, &lines, &uri);
            let actions = actions::for_finding(&uri, &doc.text, token, finding, diagnostic, &lines);
            out.extend(actions.into_iter().map(Into::into));
        }
        out
    }

    /// Lints every file under the workspace roots and publishes diagnostics
    /// for each file with findings (open documents use the editor's text).
    fn lint_workspace(&mut self) -> Value {
        let started = Instant::now();
        // One walker: the server works on one thread.
        let (files, _) = discover_with(&self.roots, 1);
        let mut on_disk: Vec<(PathBuf, crate::lang::Lang, Settings)> = Vec::new();
        for file in files {
            if let Some(uri) = self.docs.uri_of_path(&file.path).cloned() {
                self.lint_and_publish(&uri);
                continue;
            }
            let Some(lang) = file.lang() else { continue };
            if let Some(settings) = self.workspace.settings(Some(&file.path)) {
                on_disk.push((file.path, lang, settings));
            }
        }
        self.show_problems();
        let scanned = on_disk.len() + self.docs.uris().len();
        let linted: Vec<(PathBuf, String, Linted, Arc<_>)> = on_disk
            .par_iter()
            .filter_map(|(path, lang, settings)| {
                let display = path.display().to_string();
                let text = read_source(path, &display, settings.max_file_size).ok()?;
                let linted = lint(settings, *lang, &display, &text);
                Some((path.clone(), text, linted, settings.rules.clone()))
            })
            .collect();
        let mut published = HashSet::new();
        let mut findings = 0;
        for (path, text, result, rules) in linted {
            if result.findings.is_empty() {
                continue;
            }
            let Ok(uri) = Url::from_file_path(&path) else {
                continue;
            };
            let lines = LineTable::new(&text, self.encoding);
            let diagnostics = result
                .findings
                .iter()
                .map(|f| convert::diagnostic(f, &rules, &lines, &uri))
                .collect();
            findings += result.findings.len();
            published.insert(uri.clone());
            self.publish(uri, diagnostics, None);
        }
        for stale in std::mem::take(&mut self.published_from_disk) {
            if !published.contains(&stale) && self.docs.get(&stale).is_none() {
                self.publish(stale, Vec::new(), None);
            }
        }
        let files_with_findings = published.len();
        self.published_from_disk = published;
        json!({
            "filesScanned": scanned,
            "filesWithFindings": files_with_findings,
            "findings": findings,
            "elapsedMs": started.elapsed().as_millis() as u64,
        })
    }

    /// The path shown in notices: relative to the first root containing it.
    fn display(&self, path: Option<&Path>, uri: &Url) -> String {
        match path {
            Some(p) => self
                .roots
                .iter()
                .find_map(|r| p.strip_prefix(r).ok())
                .unwrap_or(p)
                .display()
                .to_string(),
            None => uri.to_string(),
        }
    }

    fn report_notices(&mut self, linted: &Linted) {
        for notice in &linted.notices {
            if matches!(notice.kind, NoticeKind::TooLarge | NoticeKind::Timeout) {
                let text = format!("{}: {}", notice.path, notice.message);
                self.log(MessageType::WARNING, text);
            }
        }
    }

    fn show_problems(&mut self) {
        for problem in self.workspace.take_problems() {
            let params = ShowMessageParams {
                typ: MessageType::ERROR,
                message: format!("backlint: {problem}"),
            };
            self.notify(note::ShowMessage::METHOD, params);
        }
    }

    fn publish(&mut self, uri: Url, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.notify(note::PublishDiagnostics::METHOD, params);
    }

    fn log(&mut self, typ: MessageType, message: String) {
        self.notify(note::LogMessage::METHOD, LogMessageParams { typ, message });
    }

    fn notify(&mut self, method: &str, params: impl serde::Serialize) {
        let params = serde_json::to_value(params).unwrap_or(Value::Null);
        self.send(Message::Notification(Notification {
            method: method.to_string(),
            params,
        }));
    }

    fn reply_ok(&mut self, id: RequestId, result: impl serde::Serialize) {
        let result = serde_json::to_value(result).unwrap_or(Value::Null);
        self.send(Message::Response(Response::new_ok(id, result)));
    }

    fn reply_err(&mut self, id: RequestId, code: ErrorCode, message: String) {
        self.send(Message::Response(Response::new_err(
            id,
            code as i32,
            message,
        )));
    }

    fn send(&mut self, message: Message) {
        match serde_json::to_value(&message) {
            Ok(Value::Object(mut map)) => {
                map.insert("jsonrpc".into(), Value::from("2.0"));
                self.send_raw(Value::Object(map));
            }
            _ => self.log(MessageType::ERROR, "cannot serialize a message".into()),
        }
    }

    fn send_raw(&mut self, value: Value) {
        if write_frame(&mut self.out, &value).is_err() {
            self.broken = true;
        }
    }
}

/// Parameters of a message, or why they do not fit.
fn params<P: serde::de::DeserializeOwned>(value: Value) -> Result<P, String> {
    serde_json::from_value(value).map_err(|e| format!("invalid parameters: {e}"))
}

/// Workspace folders, else the root URI, else the root path, else the
/// current directory.
#[allow(deprecated)]
fn workspace_roots(p: &InitializeParams) -> Vec<PathBuf> {
    let folders: Vec<PathBuf> = p
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|f| file_path(&f.uri))
        .collect();
    if !folders.is_empty() {
        return folders;
    }
    if let Some(root) = p.root_uri.as_ref().and_then(file_path) {
        return vec![root];
    }
    if let Some(root) = &p.root_path {
        return vec![PathBuf::from(root)];
    }
    std::env::current_dir().into_iter().collect()
}
