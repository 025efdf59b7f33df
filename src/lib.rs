//! backlint: a static linter for backend code.
//!
//! The data flow is visible in the modules: [`walk`] discovers files,
//! [`source`] reads them, [`engine`] parses and matches them against the
//! [`rule`] set (through [`matcher`] and [`query`]), [`run`] collects the findings in a
//! deterministic order, and [`render`] prints them.

pub mod app;
pub mod baseline;
pub mod cache;
pub mod changed;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod engine;
pub mod fix;
pub mod fixture;
pub mod fuzzing;
pub mod heap;
pub mod lang;
pub mod lsp;
pub mod matcher;
pub mod memo;
pub mod progress;
pub mod query;
pub mod render;
pub mod rule;
pub mod run;
pub mod sarif_merge;
pub mod secrets;
pub mod shard;
pub mod source;
pub mod suppress;
pub mod taint;
pub mod walk;
