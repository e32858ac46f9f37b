//! [`Builder`]: spawns a task with options (a name), tokio's `task::Builder`.

use std::future::Future;
use std::io;

use super::raw::TaskName;
use super::JoinHandle;
use crate::runtime::Handle;
use crate::scheduler::SchedulerShared;

/// Spawns a task with options: for now, a name, shown by the task's
/// [`JoinHandle::name`], and in its `JoinHandle`'s and `AbortHandle`'s `Debug`.
///
/// (tokio shows task names only to `tracing` and tokio-console, which ctxrt does not
/// have; these are the places a ctxrt name shows.) The spawn methods return
/// `io::Result` as tokio's do; today they never fail, but a future option might.
///
/// # Examples
///
/// ```
/// use ctxrt::task::Builder;
///
/// #[ctxrt::main]
/// async fn main() -> std::io::Result<()> {
///     let handle = Builder::new().name("cache-warmer").spawn(async { 42 })?;
///     assert_eq!(handle.name(), Some("cache-warmer"));
///     assert_eq!(handle.await.unwrap(), 42);
///     Ok(())
/// }
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct Builder<'a> {
    name: Option<&'a str>,
}

impl<'a> Builder<'a> {
    /// A builder with no options set.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = ctxrt::task::Builder::new();
    /// # let _ = builder;
    /// ```
    pub fn new() -> Builder<'a> {
        Builder { name: None }
    }

    /// Names the task.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let handle = ctxrt::task::Builder::new()
    ///     .name("reaper")
    ///     .spawn_on(async {}, rt.handle())
    ///     .unwrap();
    /// assert!(format!("{handle:?}").contains("reaper"));
    /// ```
    pub fn name(self, name: &'a str) -> Builder<'a> {
        Builder { name: Some(name) }
    }

    fn task_name(&self) -> Option<Box<TaskName>> {
        self.name.map(|name| Box::new(TaskName(name.into())))
    }

    /// Spawns `future` on the current runtime, as [`crate::spawn`] does.
    ///
    /// # Errors
    ///
    /// None today (tokio's signature).
    ///
    /// # Panics
    ///
    /// Outside a runtime, like [`crate::spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let out = rt.block_on(async {
    ///     ctxrt::task::Builder::new().name("adder").spawn(async { 1 + 1 }).unwrap().await
    /// });
    /// assert_eq!(out.unwrap(), 2);
    /// ```
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Ok(crate::spawn_named(future, self.task_name()))
    }

    /// Spawns `future` on the runtime of `handle`, as [`Handle::spawn`] does.
    ///
    /// # Errors
    ///
    /// None today (tokio's signature).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let handle = ctxrt::task::Builder::new().name("x").spawn_on(async { 3 }, rt.handle());
    /// assert_eq!(rt.block_on(handle.unwrap()).unwrap(), 3);
    /// ```
    pub fn spawn_on<F>(self, future: F, handle: &Handle) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Ok(SchedulerShared::spawn_named(
            &handle.shared,
            future,
            ctxrt_context::Context::inherited(),
            self.task_name(),
        ))
    }

    /// Runs `f` on the current runtime's blocking pool, as [`crate::spawn_blocking`] does.
    ///
    /// # Errors
    ///
    /// None today (tokio's signature).
    ///
    /// # Panics
    ///
    /// Outside a runtime, like [`crate::spawn_blocking`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let out = rt.block_on(async {
    ///     ctxrt::task::Builder::new().name("hasher").spawn_blocking(|| 7).unwrap().await
    /// });
    /// assert_eq!(out.unwrap(), 7);
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(self, f: F) -> io::Result<JoinHandle<R>>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        match Handle::try_current() {
            Ok(handle) => self.spawn_blocking_on(f, &handle),
            Err(_) => panic!(
                "ctxrt::task::Builder::spawn_blocking was called outside a ctxrt runtime: \
                 call it from a task, from inside block_on, from a blocking job, or under \
                 Runtime::enter() (or use Builder::spawn_blocking_on with a runtime's handle)"
            ),
        }
    }

    /// Runs `f` on the blocking pool of `handle`'s runtime.
    ///
    /// # Errors
    ///
    /// None today (tokio's signature).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let job = ctxrt::task::Builder::new().spawn_blocking_on(|| 5, rt.handle()).unwrap();
    /// assert_eq!(rt.block_on(job).unwrap(), 5);
    /// ```
    pub fn spawn_blocking_on<F, R>(self, f: F, handle: &Handle) -> io::Result<JoinHandle<R>>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        Ok(handle.spawn_blocking_named(f, self.task_name()))
    }

    /// Spawns a `!Send` task on the [`LocalSet`](super::LocalSet) this thread runs, as
    /// [`spawn_local`](super::spawn_local) does.
    ///
    /// # Errors
    ///
    /// None today (tokio's signature).
    ///
    /// # Panics
    ///
    /// Outside a `LocalSet`, like [`spawn_local`](super::spawn_local).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_current_thread().build().unwrap();
    /// let out = ctxrt::task::LocalSet::new().block_on(&rt, async {
    ///     let task = ctxrt::task::Builder::new().name("local").spawn_local(async {
    ///         std::rc::Rc::new(2)
    ///     });
    ///     let task = task.unwrap();
    ///     assert_eq!(task.name(), Some("local"));
    ///     task.await.unwrap()
    /// });
    /// assert_eq!(*out, 2);
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(self, future: F) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        Ok(super::local::spawn_local_named(future, self.task_name()))
    }

    /// Spawns a `!Send` task onto `local_set`, as
    /// [`LocalSet::spawn_local`](super::LocalSet::spawn_local) does.
    ///
    /// # Errors
    ///
    /// None today (tokio's signature).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_current_thread().build().unwrap();
    /// let local = ctxrt::task::LocalSet::new();
    /// let task = ctxrt::task::Builder::new()
    ///     .name("on-set")
    ///     .spawn_local_on(async { 6 }, &local)
    ///     .unwrap();
    /// assert_eq!(local.block_on(&rt, task).unwrap(), 6);
    /// ```
    pub fn spawn_local_on<F>(
        self,
        future: F,
        local_set: &super::LocalSet,
    ) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        Ok(super::local::spawn_on_set(
            local_set,
            future,
            self.task_name(),
        ))
    }
}
