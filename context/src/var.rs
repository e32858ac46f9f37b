//! [`ContextVar`], its [`Token`], [`ResetError`] and the [`BindingGuard`] of `scoped`.
//!
//! A var is a key: its value lives in the current context's bindings, never in the var.
//! Every operation here borrows the thread's current-context slot for a lookup or one map
//! update and releases it before any user code runs (invariant 3 in `context.rs`).
//! Reads (`get`, `get_or`, `is_set`) first ask the thread's read view (`view.rs`), which
//! answers without touching the slot when it remembers the var; on a miss they look the
//! var up in the slot and remember the answer. `with` lends the remembered value to its
//! callback without a refcount (rule 7 in `view.rs`). `set` and `reset` invalidate the
//! view before changing anything, and while a `with` callback runs they keep every value
//! in place and alive (no in-place rebinding; displaced values go to the thread slot's
//! deferred list). Their common cases, rebinding an inheritable var's value only this
//! context holds and putting the old one back (`bind_fast`, `restore_fast`), and binding
//! an unbound one into a detached map without a base and unbinding it
//! (`bind_unbound_fast`, `unbind_fast`), are inline at the call site; everything else goes
//! out of line (`bind_general`, `restore_general`). That write side is in `var/change.rs`;
//! this file holds the API, the reads, and the tokens and guards.

use std::error::Error;
use std::fmt;

use crate::bindings::OldValue;
use crate::context::{downcast, drop_deferred, ThreadSlot};
use crate::log::LogFn;
use crate::sync::{self, ErasedValue, VarIdCell};
use crate::view::{self, Cached, Lent};

mod change;

/// A context variable: Python's `contextvars.ContextVar`.
///
/// Its value is looked up in the current context, so every thread, task or
/// [`Context::run`](crate::Context::run) sees its own binding. Vars are usually statics,
/// but need not be: a `Vec<ContextVar<T>>` built at run time works.
///
/// The binding belongs to the thread or task, not to a future: futures run concurrently
/// inside one task (`join!`, `select!`) share it. Give each its own with
/// [`ContextVar::scope_future`] or [`ContextFutureExt::isolated`](crate::ContextFutureExt::isolated)
/// (see the crate docs).
///
/// # Examples
///
/// ```
/// use ctxrt_context::ContextVar;
///
/// static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id");
/// static TENANT: ContextVar<String> = ContextVar::with_default("tenant", || "anonymous".into());
///
/// assert_eq!(REQUEST_ID.get(), None);
/// assert_eq!(TENANT.get().as_deref(), Some("anonymous"));
/// let token = REQUEST_ID.set("r-1".to_string());
/// assert_eq!(REQUEST_ID.get().as_deref(), Some("r-1"));
/// REQUEST_ID.reset(token).unwrap();
/// assert_eq!(REQUEST_ID.get(), None);
/// ```
pub struct ContextVar<T> {
    name: &'static str,
    default: Option<fn() -> T>,
    task_private: bool,
    id: VarIdCell,
}

impl<T: Send + Sync + 'static> ContextVar<T> {
    /// A var with no default: `get` gives `None` until it is set.
    ///
    /// # Examples
    ///
    /// ```
    /// static DEPTH: ctxrt_context::ContextVar<u32> = ctxrt_context::ContextVar::new("depth");
    /// assert_eq!(DEPTH.name(), "depth");
    /// ```
    pub const fn new(name: &'static str) -> Self {
        ContextVar {
            name,
            default: None,
            task_private: false,
            id: VarIdCell::new(),
        }
    }

    /// A var whose `get` gives `default()` while it is not bound.
    ///
    /// The default is not a binding: it is not inherited, counted or iterated, and
    /// [`Token::old_value`] of a first `set` is `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::ContextVar;
    /// static LIMIT: ContextVar<usize> = ContextVar::with_default("limit", || 100);
    /// assert_eq!(LIMIT.get(), Some(100));
    /// assert!(!LIMIT.is_set());
    /// ```
    pub const fn with_default(name: &'static str, default: fn() -> T) -> Self {
        ContextVar {
            name,
            default: Some(default),
            task_private: false,
            id: VarIdCell::new(),
        }
    }

    /// Makes this var task-private: its bindings are seen in the context that made them
    /// (and in explicit snapshots of it), but are never inherited by a spawned thread,
    /// task or blocking job.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{thread, ContextVar};
    /// static TX_HOOKS: ContextVar<u32> = ContextVar::new("tx_hooks").task_private();
    /// TX_HOOKS.set(3);
    /// assert_eq!(thread::spawn(|| TX_HOOKS.get()).join().unwrap(), None);
    /// assert_eq!(TX_HOOKS.get(), Some(3));
    /// ```
    pub const fn task_private(mut self) -> Self {
        self.task_private = true;
        self
    }

    /// The name given at construction.
    ///
    /// # Examples
    ///
    /// ```
    /// let var = ctxrt_context::ContextVar::<u8>::new("color");
    /// assert_eq!(var.name(), "color");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether this var is task-private (see [`ContextVar::task_private`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let var = ctxrt_context::ContextVar::<u8>::new("p").task_private();
    /// assert!(var.is_task_private());
    /// ```
    pub fn is_task_private(&self) -> bool {
        self.task_private
    }

    /// The value bound in the current context, else the default, else `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::ContextVar;
    /// static MODE: ContextVar<&'static str> = ContextVar::with_default("mode", || "fast");
    /// assert_eq!(MODE.get(), Some("fast"));
    /// MODE.set("safe");
    /// assert_eq!(MODE.get(), Some("safe"));
    /// ```
    #[inline]
    pub fn get(&self) -> Option<T>
    where
        T: Clone,
    {
        match view::read::<T, _>(self.id.peek(), |value| value.cloned()) {
            Cached::Hit(Some(value)) => Some(value),
            Cached::Hit(None) => self.default.map(|default| default()),
            Cached::Miss => self.get_slow(),
        }
    }

    /// [`get`](Self::get) when the read view missed: looks the var up and remembers it.
    #[inline(never)]
    fn get_slow(&self) -> Option<T>
    where
        T: Clone,
    {
        match self.lookup_filling(T::clone) {
            Some(value) => Some(value),
            None => self.default.map(|default| default()),
        }
    }

    /// The value bound in the current context, else `fallback`; the var's default is
    /// ignored.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::ContextVar;
    /// static RETRIES: ContextVar<u32> = ContextVar::with_default("retries", || 3);
    /// assert_eq!(RETRIES.get_or(0), 0);
    /// RETRIES.set(5);
    /// assert_eq!(RETRIES.get_or(0), 5);
    /// ```
    #[inline]
    pub fn get_or(&self, fallback: T) -> T
    where
        T: Clone,
    {
        match view::read::<T, _>(self.id.peek(), |value| value.cloned()) {
            Cached::Hit(value) => value.unwrap_or(fallback),
            Cached::Miss => self.lookup_filling(T::clone).unwrap_or(fallback),
        }
    }

    /// Calls `f` with what [`get`](Self::get) would return, borrowed instead of cloned.
    ///
    /// `f` may itself read and set context variables.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::ContextVar;
    /// static PATH: ContextVar<String> = ContextVar::new("path");
    /// PATH.set("/a/b".to_string());
    /// assert_eq!(PATH.with(|p| p.map(|p| p.len())), Some(4));
    /// ```
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        // A remembered value is lent without a refcount (rule 7 in `view.rs`).
        match view::lend::<T, _, _>(self.id.peek(), f, drop_deferred) {
            Lent::Ran(result) => result,
            Lent::Unbound(f) => self.with_unbound(f),
            Lent::Miss(f) => self.with_slow(f),
        }
    }

    /// [`with`](Self::with) when the read view missed: looks the var up and remembers it,
    /// then lends it.
    #[inline(never)]
    fn with_slow<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        if self.lookup_filling(|_| ()).is_none() {
            return self.with_unbound(f);
        }
        match view::lend::<T, _, _>(self.id.peek(), f, drop_deferred) {
            Lent::Ran(result) => result,
            Lent::Unbound(f) | Lent::Miss(f) => self.with_shared(f),
        }
    }

    /// [`with`](Self::with) of an unbound var: its default, or `None`.
    fn with_unbound<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        match self.default {
            Some(default) => f(Some(&default())),
            None => f(None),
        }
    }

    /// [`with`](Self::with) when the view cannot remember the var (no thread slot):
    /// through a reference of its own.
    fn with_shared<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        // Hold our own reference so the slot is released before `f` runs (invariant 3).
        match self.lookup(|value, _| ErasedValue::clone(value)) {
            Some(value) => f(Some(downcast::<T>(&value, self.name))),
            None => match self.default {
                Some(default) => f(Some(&default())),
                None => f(None),
            },
        }
    }

    /// Whether the var is bound in the current context (a default does not count).
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::ContextVar;
    /// static SEEN: ContextVar<bool> = ContextVar::with_default("seen", || false);
    /// assert!(!SEEN.is_set());
    /// SEEN.set(true);
    /// assert!(SEEN.is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        match view::read::<T, _>(self.id.peek(), |value| value.is_some()) {
            Cached::Hit(bound) => bound,
            Cached::Miss => self.lookup_filling(|_| ()).is_some(),
        }
    }

    /// Binds `value` in the current context and returns a [`Token`] that can undo it.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::ContextVar;
    /// static LANG: ContextVar<&'static str> = ContextVar::new("lang");
    /// let first = LANG.set("en");
    /// assert_eq!(first.old_value(), None);
    /// let second = LANG.set("fr");
    /// assert_eq!(second.old_value(), Some(&"en"));
    /// ```
    #[inline]
    pub fn set(&self, value: T) -> Token<T> {
        let Undo { context_id, old } = self.bind(value);
        Token {
            var_id: self.id.get(),
            var_name: self.name,
            context_id,
            old,
        }
    }

    /// Restores the binding `token` recorded: the old value, or no binding at all.
    ///
    /// Resets need not be in LIFO order. A failed reset changes nothing.
    ///
    /// # Errors
    ///
    /// [`ResetError::DifferentVar`] if `token` came from another var's `set`;
    /// [`ResetError::DifferentContext`] if it was made in another context object (another
    /// task, thread, `Context`, or a copy of the context it was made in).
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{ContextVar, ResetError};
    /// static A: ContextVar<u8> = ContextVar::new("a");
    /// static B: ContextVar<u8> = ContextVar::new("b");
    /// let token = A.set(1);
    /// let wrong = B.set(2);
    /// assert_eq!(A.reset(wrong), Err(ResetError::DifferentVar));
    /// assert_eq!(A.reset(token), Ok(()));
    /// assert!(!A.is_set());
    /// ```
    #[inline]
    pub fn reset(&self, token: Token<T>) -> Result<(), ResetError> {
        if token.var_id != self.id.get() {
            return Err(ResetError::DifferentVar);
        }
        let mut old = token.old;
        self.restore(token.context_id, &mut old)
    }

    /// Binds `value` until the returned guard drops, then restores the prior binding.
    ///
    /// Dropping the guard in a context other than the one it was made in is misuse and
    /// panics (unless the thread is already panicking).
    ///
    /// Held across an `.await`, the guard guards the *task's* binding: futures joined with
    /// this one in the same task see `value` too, and their own guards restore over each
    /// other's. Run such futures [`isolated`](crate::ContextFutureExt::isolated) (or bind
    /// with [`ContextVar::scope_future`]) so each guard restores its own future's binding.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::ContextVar;
    /// static USER: ContextVar<&'static str> = ContextVar::new("user");
    /// {
    ///     let _guard = USER.scoped("root");
    ///     assert_eq!(USER.get(), Some("root"));
    /// }
    /// assert_eq!(USER.get(), None);
    /// ```
    #[inline]
    pub fn scoped(&self, value: T) -> BindingGuard<'_, T> {
        let Undo { context_id, old } = self.bind(value);
        BindingGuard {
            var: self,
            context_id,
            old,
        }
    }

    /// Runs `f` with `value` bound, restoring the prior binding afterwards, panics
    /// included.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::ContextVar;
    /// static DEPTH: ContextVar<u32> = ContextVar::with_default("depth", || 0);
    /// let inner = DEPTH.scope(1, || DEPTH.scope(2, || DEPTH.get()));
    /// assert_eq!(inner, Some(2));
    /// assert_eq!(DEPTH.get(), Some(0));
    /// ```
    #[inline]
    pub fn scope<R>(&self, value: T, f: impl FnOnce() -> R) -> R {
        let _guard = self.scoped(value);
        f()
    }

    /// This var's unique id (crate-internal: keys the binding maps).
    #[inline]
    pub(crate) fn id(&self) -> u64 {
        self.id.get()
    }

    /// This var, with its bindings formatted by `log` in log output (`log.rs` builds the
    /// public `logged()` on this).
    pub(crate) const fn with_log(self, log: LogFn) -> Self {
        ContextVar {
            id: self.id.with_log(log),
            ..self
        }
    }

    /// Whether this var's values appear in log output (see [`ContextVar::logged`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::ContextVar;
    /// static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id").logged();
    /// static API_KEY: ContextVar<String> = ContextVar::new("api_key");
    /// assert!(REQUEST_ID.is_logged());
    /// assert!(!API_KEY.is_logged());
    /// ```
    pub fn is_logged(&self) -> bool {
        self.id.log().is_some()
    }

    /// Applies `read` to this var's value in the current context, if bound, and remembers
    /// where it is (or that it is unbound) in the read view (rule 6 in `view.rs`).
    fn lookup_filling<R>(&self, read: impl FnOnce(&T) -> R) -> Option<R> {
        sync::try_with_frame(move |slot| {
            let frame = match slot.frame.try_borrow() {
                Ok(frame) => frame,
                Err(_) => read_while_changing(self.name),
            };
            let id = self.id.get();
            let value = frame
                .value(self.task_private, id, &slot.hints)
                .map(|value| downcast::<T>(value, self.name));
            view::fill(id, value);
            value.map(read)
        })
        .flatten()
    }

    /// Applies `read` to this var's binding in the current context (and the var's name,
    /// for a panic message), if bound.
    ///
    /// The closure handed to the thread-local captures nothing but `self` (`read` is
    /// zero-sized), so that when it is not inlined its one argument travels in a register.
    #[inline(always)]
    fn lookup<R>(&self, read: impl FnOnce(&ErasedValue, &'static str) -> R) -> Option<R> {
        sync::try_with_frame(move |slot| {
            if let Ok(frame) = slot.frame.try_borrow() {
                // An unassigned id (0) matches no entry, so the general path assigns it.
                let hit = frame.hit(self.task_private, self.id.peek(), &slot.hints);
                if let Some(value) = hit {
                    return Some(read(value, self.name));
                }
            }
            lookup_slow(slot, self, read)
        })
        .flatten()
    }
}

/// [`ContextVar::lookup`] when the slot is borrowed (a panic) or the position hint missed:
/// one out-of-line call for both keeps `lookup` small enough to inline.
#[inline(never)]
fn lookup_slow<T: Send + Sync + 'static, R>(
    slot: &ThreadSlot,
    var: &ContextVar<T>,
    read: impl FnOnce(&ErasedValue, &'static str) -> R,
) -> Option<R> {
    let frame = match slot.frame.try_borrow() {
        Ok(frame) => frame,
        Err(_) => read_while_changing(var.name),
    };
    let value = frame.value(var.task_private, var.id.get(), &slot.hints)?;
    Some(read(value, var.name))
}

/// The panic of a read inside a set (kept out of line so `lookup` stays small).
#[cold]
#[inline(never)]
fn read_while_changing(name: &str) -> ! {
    panic!(
        "ContextVar `{name}` was read while the current context is being changed \
         (from a value's Clone impl); read vars outside such callbacks"
    )
}

impl<T> fmt::Debug for ContextVar<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextVar")
            .field("name", &self.name)
            .field("has_default", &self.default.is_some())
            .field("task_private", &self.task_private)
            .finish()
    }
}

/// A record of one [`ContextVar::set`], used to undo it with [`ContextVar::reset`].
///
/// A token can be used once: `reset` takes it by value. It is `Send`, so a task that moves
/// between threads carries its tokens.
///
/// # Examples
///
/// ```
/// use ctxrt_context::ContextVar;
/// static LEVEL: ContextVar<u8> = ContextVar::new("level");
/// LEVEL.set(1);
/// let token = LEVEL.set(2);
/// assert_eq!(token.old_value(), Some(&1));
/// LEVEL.reset(token).unwrap();
/// assert_eq!(LEVEL.get(), Some(1));
/// ```
///
/// Using a token twice does not compile (`reset` moved it), and a token is not `Clone`:
///
/// ```compile_fail,E0382
/// use ctxrt_context::ContextVar;
/// static LEVEL: ContextVar<u8> = ContextVar::new("level");
/// let token = LEVEL.set(1);
/// LEVEL.reset(token).unwrap();
/// LEVEL.reset(token).unwrap(); // error[E0382]: use of moved value: `token`
/// ```
pub struct Token<T> {
    var_id: u64,
    var_name: &'static str,
    context_id: u64,
    old: Option<OldValue<T>>,
}

/// What undoes one `set`: the context object it was made in and the binding it replaced.
struct Undo<T> {
    context_id: u64,
    old: Option<OldValue<T>>,
}

impl<T: 'static> Token<T> {
    /// The binding the var had before the `set` (`None`: it was unbound, even if it has a
    /// default).
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::ContextVar;
    /// static V: ContextVar<u8> = ContextVar::with_default("v", || 9);
    /// let token = V.set(1);
    /// assert_eq!(token.old_value(), None);
    /// ```
    pub fn old_value(&self) -> Option<&T> {
        self.old.as_ref().map(|old| match old {
            OldValue::Moved(value) => value,
            OldValue::Shared(value) => downcast::<T>(value, self.var_name),
        })
    }

    /// The name of the var whose `set` made this token.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::ContextVar;
    /// static V: ContextVar<u8> = ContextVar::new("v");
    /// assert_eq!(V.set(1).var_name(), "v");
    /// ```
    pub fn var_name(&self) -> &'static str {
        self.var_name
    }
}

impl<T> fmt::Debug for Token<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("var", &self.var_name)
            .field("had_old_value", &self.old.is_some())
            .finish()
    }
}

/// Why [`ContextVar::reset`] refused a token. A refused reset changes nothing.
///
/// # Examples
///
/// ```
/// use ctxrt_context::{Context, ContextVar, ResetError};
/// static V: ContextVar<u8> = ContextVar::new("v");
/// let token = Context::new().run(|| V.set(1));
/// let err = V.reset(token).unwrap_err();
/// assert_eq!(err, ResetError::DifferentContext);
/// println!("{err}");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetError {
    /// The token was made by another var's `set`.
    DifferentVar,
    /// The token was made in another context object than the current one.
    DifferentContext,
}

impl fmt::Display for ResetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResetError::DifferentVar => f.write_str(
                "token was created by a different ContextVar; reset it with the var whose set() returned it",
            ),
            ResetError::DifferentContext => f.write_str(
                "token was created in a different Context (another task, thread, or copy); \
                 reset it in the context where set() was called",
            ),
        }
    }
}

impl Error for ResetError {}

/// Restores a var's prior binding when dropped; made by [`ContextVar::scoped`].
///
/// # Examples
///
/// ```
/// use ctxrt_context::ContextVar;
/// static TRACE: ContextVar<u64> = ContextVar::new("trace");
/// let guard = TRACE.scoped(77);
/// assert_eq!(TRACE.get(), Some(77));
/// drop(guard);
/// assert!(!TRACE.is_set());
/// ```
#[must_use = "the binding is reset as soon as the guard is dropped"]
pub struct BindingGuard<'a, T: Send + Sync + 'static> {
    var: &'a ContextVar<T>,
    /// The context object the binding was made in.
    context_id: u64,
    /// The binding to restore; taken by `drop`.
    old: Option<OldValue<T>>,
}

impl<T: Send + Sync + 'static> Drop for BindingGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        if let Err(err) = self.var.restore(self.context_id, &mut self.old) {
            if !std::thread::panicking() {
                guard_dropped_elsewhere(self.var.name, err);
            }
        }
    }
}

#[cold]
#[inline(never)]
fn guard_dropped_elsewhere(name: &str, err: ResetError) -> ! {
    panic!("the guard from ContextVar `{name}`.scoped() was dropped in another context: {err}")
}

impl<T: Send + Sync + 'static> fmt::Debug for BindingGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BindingGuard")
            .field("var", &self.var.name)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::Context;

    #[test]
    fn a_panicking_callback_ends_its_lend() {
        static P: ContextVar<u32> = ContextVar::new("p");
        Context::new().run(|| {
            P.set(1);
            let caught = std::panic::catch_unwind(|| P.with(|_| panic!("inside with")));
            assert!(caught.is_err());
            // Not lending any more: the set goes in place and the lend count is back at 0.
            assert_eq!(view::begin_change(), Ok(false));
            P.set(2);
            assert_eq!(P.with(|p| p.copied()), Some(2));
        });
    }
}
