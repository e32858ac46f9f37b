//! [`Builder`]: configure and start a runtime.

use std::fmt;
use std::io;
use std::sync::Arc as StdArc;
use std::time::Duration;

use super::{Config, Handle, Hook, Runtime};

mod tuning;
use crate::driver::DriverHandle;
use crate::scheduler::{worker, Flavor, SchedulerShared};
use crate::sync;
pub(crate) use tuning::Tuning;
pub use tuning::{TaskMeta, UnhandledPanic};

/// Configures a runtime; methods chain on `&mut Builder`, then [`Builder::build`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ctxrt::runtime::Builder;
///
/// let rt = Builder::new_multi_thread()
///     .worker_threads(2)
///     .thread_name("api")
///     .max_blocking_threads(16)
///     .thread_keep_alive(Duration::from_secs(1))
///     .on_thread_start(|| println!("started {:?}", std::thread::current().name()))
///     .build()
///     .unwrap();
/// assert_eq!(rt.block_on(async { 1 }), 1);
/// ```
pub struct Builder {
    flavor: Flavor,
    worker_threads: Option<usize>,
    thread_name: String,
    stack_size: Option<usize>,
    max_blocking_threads: usize,
    keep_alive: Duration,
    on_thread_start: Option<Hook>,
    on_thread_stop: Option<Hook>,
    /// Scheduler knobs and hooks (`builder/tuning.rs`).
    tuning: Tuning,
    enable_io: bool,
    enable_time: bool,
    start_paused: bool,
}

/// The environment variable that sets the default number of worker threads.
const WORKER_THREADS_ENV: &str = "CTXRT_WORKER_THREADS";

impl Builder {
    fn new(flavor: Flavor) -> Builder {
        Builder {
            flavor,
            worker_threads: None,
            thread_name: "ctxrt".to_string(),
            stack_size: None,
            max_blocking_threads: 512,
            keep_alive: Duration::from_secs(10),
            on_thread_start: None,
            on_thread_stop: None,
            tuning: Tuning::default(),
            enable_io: false,
            enable_time: false,
            start_paused: false,
        }
    }

    /// A multi-thread, work-stealing runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_multi_thread().build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn new_multi_thread() -> Builder {
        Builder::new(Flavor::MultiThread)
    }

    /// A runtime whose tasks run on the thread that calls `block_on`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_current_thread().build().unwrap();
    /// assert_eq!(rt.block_on(async { ctxrt::spawn(async { 3 }).await }).unwrap(), 3);
    /// ```
    pub fn new_current_thread() -> Builder {
        Builder::new(Flavor::CurrentThread)
    }

    /// The number of worker threads (multi-thread only). Default: the
    /// `CTXRT_WORKER_THREADS` environment variable if set, else the available parallelism.
    ///
    /// # Panics
    ///
    /// If `n` is 0: a runtime needs at least one worker to make progress.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    /// # drop(rt);
    /// ```
    #[track_caller]
    pub fn worker_threads(&mut self, n: usize) -> &mut Builder {
        assert!(
            n > 0,
            "worker_threads(0): a runtime needs at least one worker thread; pass 1 or more"
        );
        self.worker_threads = Some(n);
        self
    }

    /// The prefix of thread names: workers are `{prefix}-worker-{N}`, blocking-pool
    /// threads `{prefix}-blocking-{N}`. Default: `ctxrt`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_multi_thread().thread_name("db").build().unwrap();
    /// let name = rt.block_on(rt.spawn_blocking(|| std::thread::current().name().unwrap().to_string()));
    /// assert!(name.unwrap().starts_with("db-blocking-"));
    /// ```
    pub fn thread_name(&mut self, prefix: impl Into<String>) -> &mut Builder {
        self.thread_name = prefix.into();
        self
    }

    /// The stack size of every thread the runtime starts. Default: std's.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_multi_thread()
    ///     .thread_stack_size(4 << 20)
    ///     .build()
    ///     .unwrap();
    /// # drop(rt);
    /// ```
    pub fn thread_stack_size(&mut self, bytes: usize) -> &mut Builder {
        self.stack_size = Some(bytes);
        self
    }

    /// The most blocking-pool threads alive at once; more jobs wait in a queue.
    /// Default: 512.
    ///
    /// # Panics
    ///
    /// If `n` is 0: blocking jobs could never run.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_multi_thread().max_blocking_threads(1).build().unwrap();
    /// # drop(rt);
    /// ```
    #[track_caller]
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Builder {
        assert!(
            n > 0,
            "max_blocking_threads(0): spawn_blocking jobs could never run; pass 1 or more"
        );
        self.max_blocking_threads = n;
        self
    }

    /// How long an idle blocking-pool thread waits for work before exiting. Default: 10 s.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = ctxrt::runtime::Builder::new_multi_thread()
    ///     .thread_keep_alive(Duration::from_millis(100))
    ///     .build()
    ///     .unwrap();
    /// # drop(rt);
    /// ```
    pub fn thread_keep_alive(&mut self, duration: Duration) -> &mut Builder {
        self.keep_alive = duration;
        self
    }

    /// Runs `f` on every thread the runtime starts, before it does anything else.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// static STARTED: AtomicUsize = AtomicUsize::new(0);
    /// let rt = ctxrt::runtime::Builder::new_multi_thread()
    ///     .worker_threads(2)
    ///     .on_thread_start(|| { STARTED.fetch_add(1, Ordering::SeqCst); })
    ///     .build()
    ///     .unwrap();
    /// drop(rt);
    /// assert!(STARTED.load(Ordering::SeqCst) >= 2);
    /// ```
    pub fn on_thread_start(&mut self, f: impl Fn() + Send + Sync + 'static) -> &mut Builder {
        self.on_thread_start = Some(StdArc::new(f));
        self
    }

    /// Runs `f` on every thread the runtime started, just before it exits. For workers,
    /// this has happened when dropping the `Runtime` returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// static STOPPED: AtomicUsize = AtomicUsize::new(0);
    /// let rt = ctxrt::runtime::Builder::new_multi_thread()
    ///     .worker_threads(2)
    ///     .on_thread_stop(|| { STOPPED.fetch_add(1, Ordering::SeqCst); })
    ///     .build()
    ///     .unwrap();
    /// drop(rt);
    /// assert_eq!(STOPPED.load(Ordering::SeqCst), 2);
    /// ```
    pub fn on_thread_stop(&mut self, f: impl Fn() + Send + Sync + 'static) -> &mut Builder {
        self.on_thread_stop = Some(StdArc::new(f));
        self
    }

    /// Enables the I/O driver (the reactor behind `ctxrt::net`). Without it, using a
    /// socket on this runtime panics with a message naming this call.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_current_thread().enable_io().build().unwrap();
    /// rt.block_on(async {
    ///     let listener = ctxrt::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     assert!(listener.local_addr().unwrap().port() > 0);
    /// });
    /// ```
    pub fn enable_io(&mut self) -> &mut Builder {
        self.enable_io = true;
        self
    }

    /// Enables the timers behind `ctxrt::time`. Without them, a `sleep` or `timeout` on
    /// this runtime panics with a message naming this call.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = ctxrt::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// rt.block_on(async { ctxrt::time::sleep(Duration::from_millis(1)).await });
    /// ```
    pub fn enable_time(&mut self) -> &mut Builder {
        self.enable_time = true;
        self
    }

    /// Enables both the I/O driver and the timers (what `Runtime::new`, `#[ctxrt::main]`
    /// and `#[ctxrt::test]` do).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn enable_all(&mut self) -> &mut Builder {
        self.enable_io().enable_time()
    }

    /// Starts the runtime's clock paused (test time, as tokio's `start_paused`): it moves
    /// only by `ctxrt::time::advance`, or to the next timer when every task is idle.
    /// `current_thread` only; implies `enable_time`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = ctxrt::runtime::Builder::new_current_thread().start_paused(true).build().unwrap();
    /// let start = std::time::Instant::now();
    /// rt.block_on(async { ctxrt::time::sleep(Duration::from_secs(3600)).await });
    /// assert!(start.elapsed() < Duration::from_secs(60));
    /// ```
    pub fn start_paused(&mut self, paused: bool) -> &mut Builder {
        self.start_paused = paused;
        if paused {
            self.enable_time = true;
        }
        self
    }

    /// Starts the runtime.
    ///
    /// # Errors
    ///
    /// If `CTXRT_WORKER_THREADS` is set but not a whole number above 0
    /// (`InvalidInput`), or a worker thread cannot be started.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_current_thread().build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn build(&mut self) -> io::Result<Runtime> {
        let num_workers = match self.flavor {
            Flavor::CurrentThread => 1,
            Flavor::MultiThread => match self.worker_threads {
                Some(n) => n,
                None => workers_from_env()?.unwrap_or_else(sync::available_parallelism),
            },
        };
        let config = Config {
            thread_name: self.thread_name.clone(),
            stack_size: self.stack_size,
            max_blocking_threads: self.max_blocking_threads,
            keep_alive: self.keep_alive,
            on_thread_start: self.on_thread_start.clone(),
            on_thread_stop: self.on_thread_stop.clone(),
            tuning: self.tuning.clone(),
        };
        if self.start_paused && self.flavor != Flavor::CurrentThread {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "start_paused(true) needs a current_thread runtime (paused time on worker \
                 threads would race them): use Builder::new_current_thread()",
            ));
        }
        let driver = DriverHandle::new(self.enable_io, self.enable_time, self.start_paused)?;
        let (shared, cores) = SchedulerShared::new(self.flavor, num_workers, config, driver);
        let handle = Handle { shared };
        let mut workers = Vec::with_capacity(cores.len());
        for (index, core) in cores.into_iter().enumerate() {
            let thread_handle = handle.clone();
            let name = format!("{}-worker-{index}", self.thread_name);
            let spawned = sync::spawn_thread(name, self.stack_size, move || {
                worker_thread(thread_handle, core)
            });
            match spawned {
                Ok(thread) => workers.push(thread),
                Err(err) => {
                    // Stop the workers already started before reporting.
                    drop(Runtime::from_parts(handle, workers));
                    return Err(err);
                }
            }
        }
        Ok(Runtime::from_parts(handle, workers))
    }
}

fn worker_thread(handle: Handle, core: worker::Core) {
    let core = Box::new(core);
    let shared = handle.shared.clone();
    let _current = super::enter::set_current_handle(handle);
    let _driving = super::enter::enter_driving();
    if let Some(hook) = &shared.config.on_thread_start {
        hook();
    }
    worker::run(shared.clone(), core);
    if let Some(hook) = &shared.config.on_thread_stop {
        hook();
    }
}

/// `CTXRT_WORKER_THREADS`, validated: `Ok(None)` if unset.
fn workers_from_env() -> io::Result<Option<usize>> {
    let Ok(value) = std::env::var(WORKER_THREADS_ENV) else {
        return Ok(None);
    };
    match value.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{WORKER_THREADS_ENV}={value:?} is not a valid worker count: \
                 set it to a whole number greater than 0, or unset it"
            ),
        )),
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("flavor", &self.flavor)
            .field("worker_threads", &self.worker_threads)
            .field("thread_name", &self.thread_name)
            .field("thread_stack_size", &self.stack_size)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("thread_keep_alive", &self.keep_alive)
            .field("tuning", &self.tuning)
            .field("enable_io", &self.enable_io)
            .field("enable_time", &self.enable_time)
            .finish_non_exhaustive()
    }
}
