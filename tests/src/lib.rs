//! Integration tests for ctxrt live in `tests/`, one behaviour per file. This library holds
//! what many of them share: the two runtimes every flavour-sensitive behaviour is checked
//! on, and [`on_both_flavors!`], which runs a test function on each.
//!
//! # Examples
//!
//! ```
//! use ctxrt::runtime::Runtime;
//!
//! fn spawned_tasks_run(rt: Runtime) {
//!     assert_eq!(rt.block_on(async { ctxrt::spawn(async { 1 }).await.unwrap() }), 1);
//! }
//!
//! spawned_tasks_run(ctxrt_tests::multi_thread());
//! spawned_tasks_run(ctxrt_tests::current_thread());
//! ```

use ctxrt::runtime::{Builder, Runtime};

pub mod http;

/// A multi-thread runtime with 2 workers and the I/O and time drivers (the benchmarks' and the issue's configuration).
///
/// # Panics
///
/// If the runtime cannot be built.
///
/// # Examples
///
/// ```
/// let rt = ctxrt_tests::multi_thread();
/// assert_eq!(rt.block_on(async { 2 }), 2);
/// ```
pub fn multi_thread() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("multi-thread runtime")
}

/// A `current_thread` runtime with the I/O and time drivers.
///
/// # Panics
///
/// If the runtime cannot be built.
///
/// # Examples
///
/// ```
/// let rt = ctxrt_tests::current_thread();
/// assert_eq!(rt.block_on(async { 3 }), 3);
/// ```
pub fn current_thread() -> Runtime {
    Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("current-thread runtime")
}

/// Declares, for each named `fn(Runtime)`, a `#[test]` in module `multi_thread` and one in
/// module `current_thread` that call it with a fresh runtime of that flavour. With a
/// leading `flag:`, each named `fn(bool)` builds its own runtime and is passed whether it
/// should be `current_thread`.
///
/// # Examples
///
/// ```
/// use ctxrt::runtime::Runtime;
///
/// fn block_on_returns_the_output(rt: Runtime) {
///     assert_eq!(rt.block_on(async { 4 }), 4);
/// }
///
/// ctxrt_tests::on_both_flavors!(block_on_returns_the_output);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! on_both_flavors {
    // For tests that build their own runtime: each `fn(current_thread: bool)` is called
    // with `false` in module `multi_thread` and `true` in module `current_thread`.
    (flag: $($name:ident),* $(,)?) => {
        mod multi_thread {
            $( #[test] fn $name() { super::$name(false); } )*
        }
        mod current_thread {
            $( #[test] fn $name() { super::$name(true); } )*
        }
    };
    ($($name:ident),* $(,)?) => {
        mod multi_thread {
            $( #[test] fn $name() { super::$name($crate::multi_thread()); } )*
        }
        mod current_thread {
            $( #[test] fn $name() { super::$name($crate::current_thread()); } )*
        }
    };
}

/// Runs `future` for at most `limit`, panicking with `what` if it takes longer, so a
/// test that would hang fails instead. Needs a runtime with time enabled.
///
/// # Panics
///
/// If `future` has not finished after `limit`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let rt = ctxrt_tests::current_thread();
/// let n = rt.block_on(ctxrt_tests::within(Duration::from_secs(5), "a ready future", async { 1 }));
/// assert_eq!(n, 1);
/// ```
pub async fn within<F: std::future::Future>(
    limit: std::time::Duration,
    what: &str,
    future: F,
) -> F::Output {
    match ctxrt::time::timeout(limit, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what} did not finish within {limit:?}"),
    }
}
