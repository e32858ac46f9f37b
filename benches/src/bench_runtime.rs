//! [`BenchRuntime`]: the runtime operations the scheduler workloads use, implemented for
//! ctxrt's and tokio's `Runtime`, so each workload is written once, generic over the
//! runtime, and both sides of a row run the very same code.
//!
//! Configuration rules (what "identical" means for the runtimes themselves):
//! 1. Both multi-thread runtimes get the same number of workers ([`WORKERS`] in the
//!    workloads) and default everything else.
//! 2. tokio is built *without* `enable_all()`: ctxrt has no I/O or timer driver, so the
//!    comparable tokio is the one whose idle workers park on a condvar, not on epoll.
//! 3. Every call is a thin, `#[inline]` forward to the runtime's own API; a JoinHandle is
//!    the runtime's own type, awaited as is.
//!
//! Called by `runtime_workloads.rs` and `task_memory.rs`.

use std::fmt;
use std::future::Future;

/// The operations a scheduler workload needs, for one runtime.
///
/// # Examples
///
/// ```
/// use ctxrt_benches::bench_runtime::BenchRuntime;
///
/// fn answer<R: BenchRuntime>() -> u32 {
///     let rt = R::multi_thread(2);
///     rt.block_on(async { R::spawn(async { 42 }).await.unwrap() })
/// }
/// assert_eq!(answer::<ctxrt::runtime::Runtime>(), 42);
/// assert_eq!(answer::<tokio::runtime::Runtime>(), 42);
/// ```
pub trait BenchRuntime: Sized + 'static {
    /// What a spawn returns; awaiting it gives the output or the runtime's join error.
    type JoinHandle<T: Send + 'static>: Future<Output = Result<T, Self::JoinError>>
        + Send
        + Unpin
        + 'static;
    /// The runtime's `JoinError`.
    type JoinError: fmt::Debug;
    /// `"ctxrt"` or `"tokio"`.
    const NAME: &'static str;

    /// A multi-thread runtime with `workers` worker threads (rule 1).
    fn multi_thread(workers: usize) -> Self;
    /// A current-thread runtime.
    fn current_thread() -> Self;
    /// `Runtime::block_on`.
    fn block_on<F: Future>(&self, future: F) -> F::Output;
    /// `Runtime::spawn`: spawns from outside the runtime (or from anywhere) onto this one.
    fn spawn_on<F>(&self, future: F) -> Self::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
    /// The free `spawn` function: spawns onto the current runtime.
    fn spawn<F>(future: F) -> Self::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
    /// The free `spawn_blocking` function.
    fn spawn_blocking<F, T>(f: F) -> Self::JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static;
    /// `task::yield_now()`.
    fn yield_now() -> impl Future<Output = ()> + Send;
}

impl BenchRuntime for ctxrt::runtime::Runtime {
    type JoinHandle<T: Send + 'static> = ctxrt::JoinHandle<T>;
    type JoinError = ctxrt::task::JoinError;
    const NAME: &'static str = "ctxrt";

    fn multi_thread(workers: usize) -> Self {
        ctxrt::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .build()
            .expect("a ctxrt multi-thread runtime")
    }

    fn current_thread() -> Self {
        ctxrt::runtime::Builder::new_current_thread()
            .build()
            .expect("a ctxrt current-thread runtime")
    }

    #[inline]
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        ctxrt::runtime::Runtime::block_on(self, future)
    }

    #[inline]
    fn spawn_on<F>(&self, future: F) -> Self::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        ctxrt::runtime::Runtime::spawn(self, future)
    }

    #[inline]
    fn spawn<F>(future: F) -> Self::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        ctxrt::spawn(future)
    }

    #[inline]
    fn spawn_blocking<F, T>(f: F) -> Self::JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        ctxrt::spawn_blocking(f)
    }

    #[inline]
    fn yield_now() -> impl Future<Output = ()> + Send {
        ctxrt::task::yield_now()
    }
}

impl BenchRuntime for tokio::runtime::Runtime {
    type JoinHandle<T: Send + 'static> = tokio::task::JoinHandle<T>;
    type JoinError = tokio::task::JoinError;
    const NAME: &'static str = "tokio";

    fn multi_thread(workers: usize) -> Self {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .build()
            .expect("a tokio multi-thread runtime")
    }

    fn current_thread() -> Self {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio current-thread runtime")
    }

    #[inline]
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        tokio::runtime::Runtime::block_on(self, future)
    }

    #[inline]
    fn spawn_on<F>(&self, future: F) -> Self::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        tokio::runtime::Runtime::spawn(self, future)
    }

    #[inline]
    fn spawn<F>(future: F) -> Self::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        tokio::spawn(future)
    }

    #[inline]
    fn spawn_blocking<F, T>(f: F) -> Self::JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        tokio::task::spawn_blocking(f)
    }

    #[inline]
    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }
}
