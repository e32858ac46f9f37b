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
//! The pass cases in `tests/ui/pass/` are uses that must compile (and whose `main` is run):
//! the attributes on methods with a `self` receiver, written by a `macro_rules!` whose
//! caller supplies the body, and with `crate = "path"`. What a passing `#[ctxrt::test]`
//! expands to is tested by running it, in the tests crate's `macros_expansion.rs`.
//!
//! `traced_*.rs` are misuses of `#[ctxrt::traced]` (arguments, a non-fn item, a `const fn`).

#[test]
fn macros_ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
