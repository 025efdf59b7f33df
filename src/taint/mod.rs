//! Taint tracking: which request data reaches which dangerous call, and
//! by which path. [`spec`] holds the compiled sources, sanitizers,
//! propagators and sinks; [`shape`] the per-language syntax the analysis
//! needs; [`analyze`] the intraprocedural walk itself.

pub mod analyze;
pub mod shape;
pub mod spec;
