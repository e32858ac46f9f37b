//! `#[ctxrt::main]` and `#[ctxrt::test]`: run an `async fn` on a ctxrt runtime.
//!
//! Use these through the `ctxrt` crate, which re-exports them as `ctxrt::main` and
//! `ctxrt::test`; this crate is its proc-macro half and has no API of its own.
//!
//! Both attributes turn `async fn name() -> R { body }` into a plain `fn name() -> R` that
//! builds a runtime with `::ctxrt::runtime::Builder` and `block_on`s the body on it. They
//! differ only in the default flavor (`main` builds a multi-thread runtime, `test` a
//! current-thread one) and in `test` adding `#[test]`. Attributes, visibility and the
//! return type are kept, so a test may return `Result<(), E>`.
//!
//! Both accept the same arguments, each at most once:
//!
//! | argument | values | default |
//! | --- | --- | --- |
//! | `flavor` | `"multi_thread"` or `"current_thread"` | `main`: `"multi_thread"`; `test`: `"current_thread"` |
//! | `worker_threads` | an integer literal greater than 0; multi-thread flavor only | the builder's default |
//! | `crate` | a string holding the path ctxrt is reachable at, e.g. `"my_lib::ctxrt"` | `"::ctxrt"` |
//!
//! Methods are accepted: a `self` receiver (`self`, `&self`, `&mut self`, `self: Box<Self>`)
//! is not a parameter, and the body's `async move` captures it. The attributes also work
//! when a `macro_rules!` writes them and its caller supplies the body.
//!
//! Misuse (a missing `async`, parameters, generic parameters, an unknown or repeated
//! argument, a bad value) is a compile error pointing at the offending token that says
//! what is accepted; the function itself is then not emitted (a rejected `main` leaves an
//! empty `fn main() {}` behind so rustc does not add "`main` function not found").
//!
//! Layout: `config` parses the arguments into a `Config`; `entry` validates the function
//! and generates the expansion. This file only holds the two entry points and their docs.
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

mod config;
mod entry;

use config::EntryKind;

/// Runs `async fn main` on a ctxrt runtime (multi-thread by default).
///
/// The function must be `async` and take no parameters and no generic parameters. Its
/// attributes, visibility and return type are kept.
///
/// # Arguments
///
/// - `flavor = "multi_thread"` (default) or `flavor = "current_thread"`.
/// - `worker_threads = N`, `N > 0`: the size of the worker pool. Only with the
///   multi-thread flavor.
/// - `crate = "path"`: where ctxrt is reachable, for code that uses it through a
///   re-export (default `::ctxrt`).
///
/// A method with a `self` receiver is accepted (only typed parameters are rejected).
///
/// # Examples
///
/// ```
/// #[ctxrt::main]
/// async fn main() {
///     let answer = ctxrt::spawn(async { 6 * 7 }).await.unwrap();
///     println!("hello from the ctxrt runtime: {answer}");
/// }
/// ```
///
/// With arguments and a `Result` return type:
///
/// ```
/// #[ctxrt::main(flavor = "multi_thread", worker_threads = 4)]
/// async fn main() -> std::io::Result<()> {
///     let name = ctxrt::spawn(async { std::thread::current().name().map(String::from) }).await?;
///     assert!(name.unwrap().starts_with("ctxrt-worker-"));
///     Ok(())
/// }
/// ```
///
/// expands to
///
/// ```text
/// fn main() -> std::io::Result<()> {
///     let body = async move { Ok(()) };
///     #[allow(clippy::expect_used, clippy::unwrap_in_result)]
///     {
///         ::ctxrt::runtime::Builder::new_multi_thread()
///             .worker_threads(4)
///             .enable_all()
///             .build()
///             .expect("failed to build the ctxrt runtime")
///             .block_on(body)
///     }
/// }
/// ```
///
/// (the `allow` keeps restriction lints the caller may enable quiet about code the caller
/// did not write).
///
/// On a method, and through a re-export of ctxrt:
///
/// ```
/// mod my_lib {
///     pub use ctxrt as rt;
/// }
///
/// struct App {
///     name: &'static str,
/// }
///
/// impl App {
///     #[ctxrt::main(crate = "my_lib::rt", flavor = "current_thread")]
///     async fn run(&self) -> usize {
///         let name = self.name;
///         my_lib::rt::spawn(async move { name.len() }).await.unwrap()
///     }
/// }
///
/// fn main() {
///     assert_eq!(App { name: "demo" }.run(), 4);
/// }
/// ```
///
/// A single-threaded program, whose tasks run on the thread that calls `main`:
///
/// ```
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let main_thread = std::thread::current().id();
///     let task_thread = ctxrt::spawn(async { std::thread::current().id() }).await.unwrap();
///     assert_eq!(task_thread, main_thread);
/// }
/// ```
///
/// # Panics
///
/// The generated `main` panics with "failed to build the ctxrt runtime" if the runtime
/// cannot be built (for example the OS refuses to spawn its threads).
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(args.into(), item.into(), EntryKind::Main).into()
}

/// Runs an `async fn` test on a fresh ctxrt runtime (current-thread by default).
///
/// Adds `#[test]` to the generated function, so do not write `#[test]` yourself. Each test
/// builds its own runtime. The function must be `async` and take no parameters and no
/// generic parameters; its other attributes (`#[should_panic]`, `#[ignore]`, ...),
/// visibility and return type are kept, so a test may return `Result<(), E>`.
///
/// # Arguments
///
/// - `flavor = "current_thread"` (default) or `flavor = "multi_thread"`.
/// - `worker_threads = N`, `N > 0`: the size of the worker pool. Only together with
///   `flavor = "multi_thread"`.
/// - `crate = "path"`: where ctxrt is reachable, for code that uses it through a
///   re-export (default `::ctxrt`).
///
/// # Examples
///
/// (A doctest is not built with `--test`, so the generated `#[test]` functions below are
/// compiled out and only the attributes' arguments are checked here; the expansion itself
/// is run by `ctxrt-tests`' `macros_expansion.rs`.)
///
/// ```
/// #[ctxrt::test]
/// async fn adds() {
///     let sum = ctxrt::spawn(async { 1 + 1 }).await.unwrap();
///     assert_eq!(sum, 2);
/// }
///
/// #[ctxrt::test(flavor = "multi_thread", worker_threads = 2)]
/// async fn on_two_workers() -> Result<(), std::io::Error> {
///     let sum = ctxrt::spawn(async { 1 + 1 }).await?;
///     assert_eq!(sum, 2);
///     Ok(())
/// }
/// # fn main() {}
/// ```
///
/// The first one expands to
///
/// ```text
/// #[::core::prelude::v1::test]
/// fn adds() {
///     let body = async move { assert_eq!(1 + 1, 2); };
///     #[allow(clippy::expect_used, clippy::unwrap_in_result)]
///     {
///         ::ctxrt::runtime::Builder::new_current_thread()
///             .enable_all()
///             .build()
///             .expect("failed to build the ctxrt runtime")
///             .block_on(body)
///     }
/// }
/// ```
///
/// # Panics
///
/// The generated test panics with "failed to build the ctxrt runtime" if the runtime
/// cannot be built.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(args.into(), item.into(), EntryKind::Test).into()
}
