//! Misuse of `#[ctxrt::main]` and `#[ctxrt::test]` is a compile error that says what is
//! wrong and what is accepted.
//!
//! Each file in `tests/ui/` holds one misuse; its `.stderr` pins the exact message and the
//! token it points at. Regenerate them with `TRYBUILD=overwrite` after a deliberate
//! message change, and read the diff.
//!
//! The ui files use the attributes through the path users write, `#[ctxrt::main]` and
//! `#[ctxrt::test]` (re-exported by `ctxrt` from `ctxrt-macros`).
//!
//! `traced_*.rs` are misuses of `#[ctxrt::traced]` (arguments, a non-fn item, a `const fn`).
//!
//! Only compile-fail cases live here: what a passing case expands to is tested by running
//! it, in `macros_expansion.rs`.

#[test]
fn macros_ui() {
    trybuild::TestCases::new().compile_fail("ui/*.rs");
}
