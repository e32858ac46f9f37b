//! [`RuntimeMetrics`]: what operators read about a running runtime.

use std::time::Duration;

use super::Handle;

/// A view of a runtime's counters, from [`Handle::metrics`]. Every reading is a relaxed
/// load: cheap, never blocking the runtime (except the blocking-pool readings, which take
/// the pool's lock briefly), and possibly a few updates behind.
///
/// Workers are numbered `0..num_workers()`; a `current_thread` runtime has one worker,
/// whose counters are advanced by whichever thread's `block_on` drives it.
///
/// # Examples
///
/// ```
/// let rt = ctxrt::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
/// rt.block_on(rt.spawn(async {})).unwrap();
/// let metrics = rt.handle().metrics();
/// assert_eq!(metrics.num_workers(), 2);
/// assert_eq!(metrics.spawned_tasks_count(), 1);
/// let polls: u64 = (0..metrics.num_workers()).map(|i| metrics.worker_poll_count(i)).sum();
/// assert!(polls >= 1);
/// ```
#[derive(Clone, Debug)]
pub struct RuntimeMetrics {
    handle: Handle,
}

impl Handle {
    /// This runtime's metrics.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_current_thread().build().unwrap();
    /// assert_eq!(rt.handle().metrics().num_workers(), 1);
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics {
            handle: self.clone(),
        }
    }
}

impl RuntimeMetrics {
    /// The number of workers (1 for `current_thread`).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_multi_thread().worker_threads(3).build().unwrap();
    /// assert_eq!(rt.handle().metrics().num_workers(), 3);
    /// ```
    pub fn num_workers(&self) -> usize {
        self.handle.shared.remotes.len()
    }

    /// Async tasks spawned and not yet finished (blocking jobs are not counted).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let task = rt.spawn(std::future::pending::<()>());
    /// assert_eq!(rt.handle().metrics().num_alive_tasks(), 1);
    /// task.abort();
    /// ```
    pub fn num_alive_tasks(&self) -> usize {
        self.handle.shared.owned.len()
    }

    /// Tasks and blocking jobs spawned since the runtime was built.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// rt.block_on(rt.spawn_blocking(|| ())).unwrap();
    /// assert_eq!(rt.handle().metrics().spawned_tasks_count(), 1);
    /// ```
    pub fn spawned_tasks_count(&self) -> u64 {
        self.handle.shared.spawned_tasks_count()
    }

    /// Tasks waiting in the global (injection) queue.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_current_thread().build().unwrap();
    /// let task = rt.spawn(async {}); // queued from outside: nobody drives it yet
    /// assert_eq!(rt.handle().metrics().global_queue_depth(), 1);
    /// rt.block_on(task).unwrap();
    /// assert_eq!(rt.handle().metrics().global_queue_depth(), 0);
    /// ```
    pub fn global_queue_depth(&self) -> usize {
        self.handle.shared.injector.len()
    }

    /// Tasks waiting in worker `worker`'s local queue (its LIFO slot not included).
    ///
    /// # Panics
    ///
    /// If `worker >= num_workers()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let metrics = rt.handle().metrics();
    /// let queued: usize = (0..metrics.num_workers()).map(|i| metrics.worker_local_queue_depth(i)).sum();
    /// assert_eq!(queued, 0);
    /// ```
    #[track_caller]
    pub fn worker_local_queue_depth(&self, worker: usize) -> usize {
        self.remote(worker).stealer.len()
    }

    /// How many times worker `worker` has parked for lack of work.
    ///
    /// # Panics
    ///
    /// If `worker >= num_workers()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap();
    /// rt.block_on(rt.spawn_blocking(|| std::thread::sleep(std::time::Duration::from_millis(20)))).unwrap();
    /// assert!(rt.handle().metrics().worker_park_count(0) >= 1);
    /// ```
    #[track_caller]
    pub fn worker_park_count(&self, worker: usize) -> u64 {
        self.remote(worker).metrics.park_count()
    }

    /// How many task polls worker `worker` has run.
    ///
    /// # Panics
    ///
    /// If `worker >= num_workers()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_current_thread().build().unwrap();
    /// rt.block_on(rt.spawn(async {})).unwrap();
    /// assert_eq!(rt.handle().metrics().worker_poll_count(0), 1);
    /// ```
    #[track_caller]
    pub fn worker_poll_count(&self, worker: usize) -> u64 {
        self.remote(worker).metrics.poll_count()
    }

    /// How many tasks worker `worker` has stolen from other workers' queues.
    ///
    /// # Panics
    ///
    /// If `worker >= num_workers()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_current_thread().build().unwrap();
    /// assert_eq!(rt.handle().metrics().worker_steal_count(0), 0); // nobody to steal from
    /// ```
    #[track_caller]
    pub fn worker_steal_count(&self, worker: usize) -> u64 {
        self.remote(worker).metrics.steal_count()
    }

    /// The total time worker `worker` has been awake (running or looking for tasks),
    /// updated each time it parks.
    ///
    /// # Panics
    ///
    /// If `worker >= num_workers()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap();
    /// rt.block_on(rt.spawn(async { std::thread::sleep(std::time::Duration::from_millis(5)) })).unwrap();
    /// std::thread::sleep(std::time::Duration::from_millis(20)); // let it park
    /// assert!(rt.handle().metrics().worker_total_busy_duration(0) > std::time::Duration::ZERO);
    /// ```
    #[track_caller]
    pub fn worker_total_busy_duration(&self, worker: usize) -> Duration {
        self.remote(worker).metrics.busy_duration()
    }

    /// Live blocking-pool threads.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// rt.block_on(rt.spawn_blocking(|| ())).unwrap();
    /// assert!(rt.handle().metrics().num_blocking_threads() >= 1);
    /// ```
    pub fn num_blocking_threads(&self) -> usize {
        self.handle.shared.blocking.num_threads()
    }

    /// Blocking jobs waiting for a pool thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// assert_eq!(rt.handle().metrics().blocking_queue_depth(), 0);
    /// ```
    pub fn blocking_queue_depth(&self) -> usize {
        self.handle.shared.blocking.queue_depth()
    }

    #[track_caller]
    fn remote(&self, worker: usize) -> &crate::scheduler::Remote {
        let remotes = &self.handle.shared.remotes;
        match remotes.get(worker) {
            Some(remote) => remote,
            None => panic!(
                "RuntimeMetrics: worker index {worker} is out of range: this runtime has {} \
                 worker(s), numbered from 0 (see num_workers())",
                remotes.len()
            ),
        }
    }
}
