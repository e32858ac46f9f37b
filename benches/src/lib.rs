//! Shared helpers for the ctxrt-vs-tokio benchmarks.
