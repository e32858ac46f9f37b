//! Integration tests for ctxrt live in `tests/`, one behaviour per file. This library holds
//! what many of them share: the two runtimes every flavour-sensitive behaviour is checked
//! on ([`multi_thread`], [`current_thread`], [`builder`]) and [`on_both_flavors!`], which
//! runs a test function on each; bounded waiting ([`within`], [`wait_until`],
//! [`wait_until_blocking`]); small probes ([`DropCounter`], [`panic_message`], the log
//! buffer [`Captured`], [`runtime_logging_to`], [`event_message_and_scope`], [`EventScopes`]); and [`http`], the suite both HTTP example servers are run through.
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

/// A runtime builder of the flavour a `flag:` test of [`on_both_flavors!`] is given:
/// `current_thread`, or multi-thread with 2 workers; no drivers enabled, for the test to
/// configure further.
///
/// # Examples
///
/// ```
/// let rt = ctxrt_tests::builder(false).max_blocking_threads(1).build().unwrap();
/// assert_eq!(rt.block_on(async { 5 }), 5);
/// ```
pub fn builder(current_thread: bool) -> Builder {
    if current_thread {
        Builder::new_current_thread()
    } else {
        let mut builder = Builder::new_multi_thread();
        builder.worker_threads(2);
        builder
    }
}

/// The message of a caught panic, whether it was raised with a literal or a format string.
///
/// # Panics
///
/// If the payload is neither a `&str` nor a `String`.
///
/// # Examples
///
/// ```
/// let payload = std::panic::catch_unwind(|| panic!("boom {}", 1)).unwrap_err();
/// assert_eq!(ctxrt_tests::panic_message(&*payload), "boom 1");
/// ```
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        panic!("panic payload is neither &str nor String")
    }
}

/// Adds one to its counter when dropped: tests count how often a future, an output or a
/// context binding was dropped.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let drops = Arc::new(AtomicUsize::new(0));
/// drop(ctxrt_tests::DropCounter(drops.clone()));
/// assert_eq!(drops.load(Ordering::SeqCst), 1);
/// ```
pub struct DropCounter(pub std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Yields (inside a task or `block_on`) until `cond` holds.
///
/// # Panics
///
/// After 10 s, naming `what`, so a condition that never comes fails instead of hanging.
///
/// # Examples
///
/// ```
/// let rt = ctxrt_tests::multi_thread();
/// let task = rt.spawn(async {});
/// rt.block_on(ctxrt_tests::wait_until("the task finishes", || task.is_finished()));
/// ```
pub async fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        ctxrt::task::yield_now().await;
    }
}

/// Sleeps (on a plain thread) in 1 ms steps until `cond` holds.
///
/// # Panics
///
/// After 10 s, naming `what`, so a condition that never comes fails instead of hanging.
///
/// # Examples
///
/// ```
/// let rt = ctxrt_tests::multi_thread();
/// let task = rt.spawn(async {});
/// ctxrt_tests::wait_until_blocking("the task finishes", || task.is_finished());
/// ```
pub fn wait_until_blocking(what: &str, cond: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// A `tracing_subscriber` writer (`MakeWriter`) appending every line to a shared buffer,
/// for tests that check what a subscriber printed.
///
/// # Examples
///
/// ```
/// let out = ctxrt_tests::Captured::default();
/// let subscriber = tracing_subscriber::fmt().with_writer(out.clone()).without_time().finish();
/// tracing::subscriber::with_default(subscriber, || tracing::info!("hello"));
/// assert!(out.lines()[0].ends_with("hello"));
/// ```
#[derive(Clone, Default)]
pub struct Captured(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    /// What was written so far, line by line.
    ///
    /// # Panics
    ///
    /// If the output is not UTF-8.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// let mut out = ctxrt_tests::Captured::default();
    /// out.write_all(b"a\nb\n").unwrap();
    /// assert_eq!(out.lines(), ["a", "b"]);
    /// ```
    pub fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().unwrap();
        String::from_utf8(bytes.clone())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// A runtime of the [`builder`] flavour whose every thread (workers, blocking pool)
/// reports `tracing` events to `dispatch`: the guard is kept for the thread's life.
///
/// # Panics
///
/// If the runtime cannot be built.
///
/// # Examples
///
/// ```
/// let out = ctxrt_tests::Captured::default();
/// let dispatch = tracing::Dispatch::new(
///     tracing_subscriber::fmt().with_writer(out.clone()).without_time().finish(),
/// );
/// let rt = ctxrt_tests::runtime_logging_to(false, dispatch);
/// rt.block_on(async { ctxrt::spawn(async { tracing::info!("from a worker") }).await.unwrap() });
/// assert!(out.lines()[0].ends_with("from a worker"));
/// ```
pub fn runtime_logging_to(current_thread: bool, dispatch: tracing::Dispatch) -> Runtime {
    builder(current_thread)
        .on_thread_start(move || {
            // The guard lives as long as the thread: the thread logs here until it exits.
            std::mem::forget(tracing::dispatcher::set_default(&dispatch));
        })
        .build()
        .expect("runtime")
}

/// The message of `event` and the names of the spans around it, from the root: what a
/// capturing `tracing_subscriber` layer records in its `on_event`.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
///
/// #[derive(Clone, Default)]
/// struct Capture(Arc<Mutex<Vec<(String, Vec<String>)>>>);
///
/// impl<S> Layer<S> for Capture
/// where
///     S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
/// {
///     fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
///         let seen = ctxrt_tests::event_message_and_scope(event, &ctx);
///         self.0.lock().unwrap().push(seen);
///     }
/// }
///
/// let capture = Capture::default();
/// let subscriber = tracing_subscriber::registry().with(capture.clone());
/// tracing::subscriber::with_default(subscriber, || {
///     tracing::info_span!("outer").in_scope(|| tracing::info!("hi"));
/// });
/// assert_eq!(capture.0.lock().unwrap()[0], ("hi".to_string(), vec!["outer".to_string()]));
/// ```
pub fn event_message_and_scope<S>(
    event: &tracing::Event<'_>,
    ctx: &tracing_subscriber::layer::Context<'_, S>,
) -> (String, Vec<String>)
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    struct Message(String);
    impl tracing::field::Visit for Message {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            if field.name() == "message" {
                self.0 = format!("{value:?}");
            }
        }
    }
    let scope = ctx
        .event_scope(event)
        .map(|scope| scope.from_root().map(|s| s.name().to_string()).collect())
        .unwrap_or_default();
    let mut message = Message(String::new());
    event.record(&mut message);
    (message.0, scope)
}

/// One event as [`EventScopes`] records it: its message and the names of the spans around
/// it, from the root.
pub type EventScope = (String, Vec<String>);

/// A `tracing_subscriber` layer that records every event's message and span scope
/// ([`event_message_and_scope`]), for the span-inheritance tests.
///
/// # Examples
///
/// ```
/// let events = ctxrt_tests::EventScopes::default();
/// tracing::dispatcher::with_default(&events.dispatch(), || {
///     tracing::info_span!("outer").in_scope(|| tracing::info!("hi"));
///     tracing::info!("bare");
/// });
/// assert_eq!(events.scope_of("hi"), vec!["outer".to_string()]);
/// assert_eq!(events.scopes_of("bare"), vec![Vec::<String>::new()]);
/// ```
#[derive(Clone, Default)]
pub struct EventScopes(pub std::sync::Arc<std::sync::Mutex<Vec<EventScope>>>);

impl<S> tracing_subscriber::Layer<S> for EventScopes
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_event(&self, event: &tracing::Event<'_>, ctx: tracing_subscriber::layer::Context<'_, S>) {
        let seen = event_message_and_scope(event, &ctx);
        self.0.lock().unwrap().push(seen);
    }
}

impl EventScopes {
    /// A dispatch of a registry with this layer on it.
    pub fn dispatch(&self) -> tracing::Dispatch {
        use tracing_subscriber::layer::SubscriberExt;
        tracing::Dispatch::new(tracing_subscriber::registry().with(self.clone()))
    }

    /// The scopes of every event with `message`, in the order they were seen.
    pub fn scopes_of(&self, message: &str) -> Vec<Vec<String>> {
        let seen = self.0.lock().unwrap();
        seen.iter()
            .filter(|e| e.0 == message)
            .map(|e| e.1.clone())
            .collect()
    }

    /// The scope of the one event with `message`; panics unless there is exactly one.
    pub fn scope_of(&self, message: &str) -> Vec<String> {
        let seen = self.0.lock().unwrap();
        let scopes: Vec<_> = seen.iter().filter(|e| e.0 == message).collect();
        assert_eq!(scopes.len(), 1, "one event {message:?} in {seen:#?}");
        scopes[0].1.clone()
    }
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

/// Through an echo peer: streams `bytes` of a fixed pattern out of `write` in one task
/// (dropping `write` afterwards, which half-closes so the echo ends) while another task
/// reads everything back from `read`, and asserts that exactly the pattern came back.
/// The halves' two-tasks-at-once test of each stream type.
///
/// # Examples
///
/// ```
/// ctxrt_tests::multi_thread().block_on(async {
///     let (client, server) = ctxrt::net::UnixStream::pair().unwrap();
///     let echo = ctxrt::spawn(async move {
///         let (mut read, mut write) = server.into_split();
///         futures::io::copy(&mut read, &mut write).await.unwrap()
///     });
///     let (read, write) = client.into_split();
///     ctxrt_tests::pattern_through_echo(read, write, 4096).await;
///     assert_eq!(echo.await.unwrap(), 4096);
/// });
/// ```
pub async fn pattern_through_echo<R, W>(mut read: R, mut write: W, bytes: usize)
where
    R: futures::io::AsyncRead + Unpin + Send + 'static,
    W: futures::io::AsyncWrite + Unpin + Send + 'static,
{
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    let writer = ctxrt::spawn(async move {
        let data: Vec<u8> = (0..bytes).map(|i| (i % 251) as u8).collect();
        write.write_all(&data).await.unwrap();
        drop(write); // half-close: the echo's copy ends
    });
    let reader = ctxrt::spawn(async move {
        let mut got = Vec::with_capacity(bytes);
        read.read_to_end(&mut got).await.unwrap();
        got
    });
    writer.await.unwrap();
    let got = reader.await.unwrap();
    assert_eq!(got.len(), bytes);
    assert!(got.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
}
