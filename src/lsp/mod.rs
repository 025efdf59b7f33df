//! `backlint lsp`: a Language Server over stdio.
//!
//! Editors get the same findings as `backlint check` (same engine, same
//! configuration and rule directories, same redacted messages) as they
//! type, plus quick fixes: apply a rule's fix, or add a
//! `backlint: ignore[rule]` comment.
//!
//! Built on `lsp-types` (protocol types) and `lsp-server`'s message types,
//! the synchronous pair rust-analyzer uses, rather than the async
//! `tower-lsp` (unmaintained since 0.20; its fork is `tower-lsp-server`):
//! linting is CPU-bound and takes milliseconds, so a plain loop on one
//! thread is simpler and answers sooner than an async runtime would. The
//! framing is our own ([`transport`]) so a malformed message is answered
//! with an error instead of ending the connection.
//!
//! One module per job: [`transport`] frames JSON-RPC, [`position`] converts
//! byte offsets to LSP positions, [`documents`] holds open files,
//! [`workspace`] resolves configuration and rules, [`convert`] turns
//! findings into diagnostics, [`actions`] builds quick fixes and [`server`]
//! runs the loop.

pub mod actions;
pub mod convert;
pub mod documents;
pub mod position;
pub mod server;
pub mod transport;
pub mod workspace;

/// Serves the client on stdin/stdout until it says `exit` or goes away.
pub fn run() -> i32 {
    let stdin = std::io::BufReader::new(std::io::stdin());
    let stdout = std::io::stdout().lock();
    server::serve(stdin, stdout)
}
