//! Misuse of `#[ctxrt::main]` and `#[ctxrt::test]` is a compile error that says what is
//! wrong and what is accepted.
//!
//! Each file in `tests/ui/` holds one misuse; its `.stderr` pins the exact message and the
//! token it points at. Regenerate them with `TRYBUILD=overwrite` after a deliberate
//! message change, and read the diff.
//!
//! The ui files name the attributes `#[ctxrt_macros::main]` / `#[ctxrt_macros::test]`
//! (a direct dev-dependency of this package) rather than `#[ctxrt::main]`, because the
//! `ctxrt` crate does not re-export them yet. Once it does, switch the paths to `ctxrt::`
//! so these cases exercise the path users write.
//!
//! Only compile-fail cases live here: a passing case expands to a call into
//! `ctxrt::runtime`, which is tested where the runtime is.

#[test]
fn macros_ui() {
    trybuild::TestCases::new().compile_fail("ui/*.rs");
}
