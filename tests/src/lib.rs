//! Integration tests for ctxrt live in `tests/`, one behaviour per file.
