//! Threads that inherit the spawner's context.
//!
//! `std::thread::spawn` starts a thread in an empty context; [`spawn`] here starts it in
//! [`Context::inherited`] taken at the call, as Python's thread pools do with
//! `copy_context().run`.

use crate::sync::{self, JoinHandle};
use crate::Context;

/// Spawns an OS thread that runs `f` in a copy of the caller's context
/// (`task_private()` vars excepted).
///
/// The copy is taken at the call: later sets in the caller are not seen by the thread, and
/// the thread's sets never reach the caller.
///
/// # Examples
///
/// ```
/// use ctxrt_context::{thread, ContextVar};
///
/// static REQUEST_ID: ContextVar<u64> = ContextVar::new("request_id");
/// REQUEST_ID.set(17);
/// let seen = thread::spawn(|| {
///     let seen = REQUEST_ID.get();
///     REQUEST_ID.set(99); // stays in the thread
///     seen
/// });
/// assert_eq!(seen.join().unwrap(), Some(17));
/// assert_eq!(REQUEST_ID.get(), Some(17));
/// assert_eq!(std::thread::spawn(|| REQUEST_ID.get()).join().unwrap(), None);
/// ```
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let mut context = Context::inherited();
    sync::spawn_thread(move || context.run(f))
}
