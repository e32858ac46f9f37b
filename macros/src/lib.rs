//! `#[ctxrt::main]` and `#[ctxrt::test]`.
#![forbid(unsafe_code)]
