//! Loom models of ctxrt live in `tests/`; build them with `--cfg loom`.
