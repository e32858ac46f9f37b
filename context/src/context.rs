//! [`Context`]: a snapshot of bindings that code can enter, its [`Frame`], and the
//! per-thread [`ThreadSlot`] holding the current context as a [`LiveFrame`].
//!
//! Every thread has one current context, held in a [`LiveFrame`] in the `sync` shim's
//! thread-local slot. Entering a context (`Context::run`) swaps the context's frame into
//! the slot and swaps it back on exit, panics included, so sets made inside land in the
//! context object and nothing of it stays on the thread. The slot, the [`LiveFrame`] in
//! it, entering and leaving (the switch) and snapshots of the current context are in
//! `context/slot.rs`; this file holds the [`Context`] object and its API. Invariants (of
//! both files):
//! 1. A frame's `id` is 0 until the first `set` inside it, then unique in the process. A
//!    clone starts at 0 again: a copy is a different context object, so a token made in
//!    the original cannot reset the copy (`ResetError::DifferentContext`).
//! 2. `shared` holds inheritable bindings, `private` the `task_private()` ones; a child
//!    (thread, task, blocking job) gets a clone of `shared` only, so inheriting is one
//!    refcount whatever the number of bindings.
//! 3. The slot is borrowed only for the few instructions of a lookup or a swap; user code
//!    (drops of displaced values, `with` callbacks) runs after the borrow is released.
//!    The one exception is a value's `Clone` in `ContextVar::get`, which runs under a
//!    shared borrow (or, when the read view hits, while the view counts it as a reader:
//!    rule 5 in `view.rs`); it may read vars and take snapshots, but not set, reset or
//!    enter.
//! 4. A context at rest (a [`Frame`] in a [`Context`]) holds its maps at rest (`Arc`s),
//!    so cloning it is two refcounts. Only the current context's maps may be detached
//!    (into owned `Vec`s, or an owned overlay over a shared base: see `bindings.rs`), so that
//!    `set`/`reset` touch no atomics; they live in the [`LiveFrame`]'s `owned` half,
//!    outside the [`Frame`], so entering and leaving a context swap just the 24-byte
//!    frame. A context whose maps are detached settles them into `Arc`s (one allocation
//!    each, no copy) when another context is entered, when it is left, and when a
//!    snapshot is taken (or merges a base and its overlay, `bindings.rs`); its next
//!    change takes them back, or keeps a shared one as the base of an overlay.
//! 5. Every change of the current context's bindings and every switch of the current
//!    context first invalidates the thread's read view (rule 2 in `view.rs`), and emptying
//!    the slot at thread exit does too, so the view never remembers a value that is gone.

use std::any::Any;
use std::fmt;
use std::future::Future;

use crate::bindings::{Bindings, Entry};
use crate::scope::ContextScope;
use crate::sync::{self, ErasedValue};
use crate::var::ContextVar;
use crate::view;

mod slot;
use slot::{absorb_unique_bases, current_snapshot, Entered};
pub(crate) use slot::{drop_deferred, LiveFrame, ThreadSlot};

/// The bindings of one context object at rest, as it sits in a [`Context`] (invariant 4).
#[derive(Default)]
pub(crate) struct Frame {
    /// 0 until a token is made in this context; see invariant 1.
    pub(crate) id: u64,
    /// Inheritable bindings.
    pub(crate) shared: Bindings,
    /// `task_private()` bindings: seen here, never inherited.
    pub(crate) private: Bindings,
}

impl Frame {
    /// An empty frame.
    pub(crate) const EMPTY: Frame = Frame {
        id: 0,
        shared: Bindings::EMPTY,
        private: Bindings::EMPTY,
    };

    /// The bindings a var of this privacy lives in.
    #[inline]
    pub(crate) fn bindings(&self, private: bool) -> &Bindings {
        if private {
            &self.private
        } else {
            &self.shared
        }
    }

    /// The bindings a var of this privacy lives in, mutably.
    #[inline]
    pub(crate) fn bindings_mut(&mut self, private: bool) -> &mut Bindings {
        if private {
            &mut self.private
        } else {
            &mut self.shared
        }
    }

    /// A new context object holding the same bindings (private ones if `with_private`):
    /// two refcounts (invariant 1).
    fn snapshot(&self, with_private: bool) -> Frame {
        Frame {
            id: 0,
            shared: self.shared.clone(),
            private: if with_private {
                self.private.clone()
            } else {
                Bindings::EMPTY
            },
        }
    }
}

/// A snapshot of context-variable bindings: Python's `contextvars.Context`.
///
/// A `Context` is a value. Cloning it, or taking [`Context::current`], is O(1) and gives an
/// independent copy: sets in one never show in the other. Values themselves are shared,
/// not copied: both copies hold the same `T`.
///
/// # Examples
///
/// ```
/// use ctxrt_context::{Context, ContextVar};
///
/// static USER: ContextVar<&'static str> = ContextVar::new("user");
///
/// let _outer = USER.scoped("alice");
/// let mut snapshot = Context::current();
/// snapshot.run(|| {
///     assert_eq!(USER.get(), Some("alice")); // inherited from the snapshot
///     USER.set("bob");                       // lands in `snapshot` only
/// });
/// assert_eq!(USER.get(), Some("alice"));
/// assert_eq!(snapshot.get(&USER), Some("bob"));
/// ```
pub struct Context {
    frame: Frame,
}

impl Context {
    /// An empty context: no bindings at all.
    ///
    /// # Examples
    ///
    /// ```
    /// let ctx = ctxrt_context::Context::new();
    /// assert!(ctx.is_empty());
    /// ```
    pub const fn new() -> Context {
        Context {
            frame: Frame::EMPTY,
        }
    }

    /// A snapshot of the current context: every binding, `task_private()` ones included.
    ///
    /// Taking it never changes the current context, and later sets on either side are not
    /// seen by the other. O(1) in the number of bindings.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{Context, ContextVar};
    ///
    /// static ID: ContextVar<u32> = ContextVar::new("id");
    /// ID.set(1);
    /// let snapshot = Context::current();
    /// ID.set(2);
    /// assert_eq!(snapshot.get(&ID), Some(1));
    /// ```
    #[inline]
    pub fn current() -> Context {
        Context {
            frame: current_snapshot(true),
        }
    }

    /// A snapshot of the current context as a child inherits it: every binding except
    /// `task_private()` ones. This is what `ctxrt-context::thread::spawn` and the ctxrt
    /// runtime's `spawn` and `spawn_blocking` capture; other executors can use it the same
    /// way. O(1) in the number of bindings.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{Context, ContextVar};
    ///
    /// static TRACE: ContextVar<u64> = ContextVar::new("trace");
    /// static HOOKS: ContextVar<u32> = ContextVar::new("hooks").task_private();
    /// TRACE.set(7);
    /// HOOKS.set(1);
    /// let child = Context::inherited();
    /// assert_eq!(child.get(&TRACE), Some(7));
    /// assert!(!child.contains(&HOOKS));
    /// ```
    #[inline]
    pub fn inherited() -> Context {
        Context {
            frame: current_snapshot(false),
        }
    }

    /// Runs `f` inside this context, then returns to the previous one.
    ///
    /// Sets made inside `f` land in `self` (visible through [`Context::get`] afterwards).
    /// The previous context is restored when `f` returns or panics. Runs nest as a stack.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{Context, ContextVar};
    ///
    /// static STEP: ContextVar<u32> = ContextVar::new("step");
    /// let mut ctx = Context::new();
    /// ctx.run(|| STEP.set(1));
    /// assert_eq!(ctx.get(&STEP), Some(1));
    /// assert_eq!(STEP.get(), None);
    /// ```
    #[inline]
    pub fn run<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let _entered = Entered::enter(&mut self.frame);
        f()
    }

    /// The value bound to `var` in this context; the var's default is ignored.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{Context, ContextVar};
    ///
    /// static LEVEL: ContextVar<u8> = ContextVar::with_default("level", || 3);
    /// let ctx = Context::new();
    /// assert_eq!(ctx.get(&LEVEL), None); // defaults are not bindings
    /// assert_eq!(ctx.with_value(&LEVEL, 5).get(&LEVEL), Some(5));
    /// ```
    pub fn get<T: Clone + Send + Sync + 'static>(&self, var: &ContextVar<T>) -> Option<T> {
        self.frame
            .bindings(var.is_task_private())
            .get(var.id())
            .map(|value| downcast::<T>(value, var.name()).clone())
    }

    /// Whether `var` is bound in this context (defaults do not count).
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{Context, ContextVar};
    ///
    /// static FLAG: ContextVar<bool> = ContextVar::new("flag");
    /// assert!(!Context::new().contains(&FLAG));
    /// assert!(Context::new().with_value(&FLAG, true).contains(&FLAG));
    /// ```
    pub fn contains<T: Send + Sync + 'static>(&self, var: &ContextVar<T>) -> bool {
        self.frame
            .bindings(var.is_task_private())
            .get(var.id())
            .is_some()
    }

    /// The number of bindings, `task_private()` ones included.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{Context, ContextVar};
    ///
    /// static A: ContextVar<u8> = ContextVar::new("a");
    /// static B: ContextVar<u8> = ContextVar::new("b");
    /// let ctx = Context::new().with_value(&A, 1).with_value(&B, 2);
    /// assert_eq!(ctx.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.frame.shared.len() + self.frame.private.len()
    }

    /// Whether there are no bindings.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ctxrt_context::Context::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bindings, inheritable ones first, each in the order its var was first used.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{Context, ContextVar};
    ///
    /// static REQUEST: ContextVar<u64> = ContextVar::new("request");
    /// let ctx = Context::new().with_value(&REQUEST, 42);
    /// let names: Vec<&str> = ctx.iter().map(|b| b.name()).collect();
    /// assert_eq!(names, ["request"]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = Binding<'_>> + '_ {
        let shared = self.frame.shared.entries().iter().map(|entry| Binding {
            entry,
            task_private: false,
        });
        let private = self.frame.private.entries().iter().map(|entry| Binding {
            entry,
            task_private: true,
        });
        shared.chain(private)
    }

    /// This context with `var` bound to `value` (a snapshot with an override).
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{Context, ContextVar};
    ///
    /// static TENANT: ContextVar<&'static str> = ContextVar::new("tenant");
    /// let mut ctx = Context::current().with_value(&TENANT, "acme");
    /// assert_eq!(ctx.run(|| TENANT.get()), Some("acme"));
    /// ```
    pub fn with_value<T: Send + Sync + 'static>(
        mut self,
        var: &ContextVar<T>,
        value: T,
    ) -> Context {
        // No slot is borrowed here, so displaced values may drop in place.
        drop(self.frame.bindings_mut(var.is_task_private()).insert(
            var.id(),
            var.name(),
            sync::erase(value),
        ));
        self
    }

    /// Wraps `fut` so that every poll of it runs inside this context, carrying the sets it
    /// makes from one poll to the next. Works on any executor.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{Context, ContextVar};
    ///
    /// static RID: ContextVar<u32> = ContextVar::new("rid");
    /// let fut = Context::new().with_value(&RID, 9).scope(async { RID.get() });
    /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// assert_eq!(rt.block_on(fut), Some(9));
    /// ```
    pub fn scope<F: Future>(self, fut: F) -> ContextScope<F> {
        ContextScope::new(self, fut)
    }
}

impl Drop for Context {
    /// Invariant 7 in `bindings.rs`: if the current context keeps a shared map as the base
    /// of an overlay, this may have been its last other holder; then the values the
    /// overlay shadows drop now. One thread-local load otherwise.
    #[inline(always)]
    fn drop(&mut self) {
        if view::is_shadowing() {
            drop_then_absorb(&mut self.frame);
        }
    }
}

/// [`Context`]'s `Drop` while the current context keeps a shared base: drops the maps
/// first (an empty frame, left behind, owns nothing), then folds (invariant 7 in
/// `bindings.rs`). Out of line, so that the common case is one thread-local load.
#[cold]
#[inline(never)]
fn drop_then_absorb(frame: &mut Frame) {
    drop(std::mem::take(frame));
    absorb_unique_bases();
}

impl Clone for Context {
    /// A snapshot: a new context object with the same bindings, O(1).
    fn clone(&self) -> Self {
        Context {
            frame: self.frame.snapshot(true),
        }
    }
}

impl Default for Context {
    fn default() -> Self {
        Context::new()
    }
}

impl fmt::Debug for Context {
    /// `Context { bindings: [request_id="r-1", "api_key"] }`: `name=value` for vars
    /// declared [`logged`](ContextVar::logged), the name alone for the others (`log.rs`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Names<'a>(&'a Context);
        impl fmt::Debug for Names<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list()
                    .entries(self.0.iter().map(|b| b.debug()))
                    .finish()
            }
        }
        f.debug_struct("Context")
            .field("bindings", &Names(self))
            .finish()
    }
}

/// One binding of a [`Context`], as yielded by [`Context::iter`].
///
/// # Examples
///
/// ```
/// use ctxrt_context::{Context, ContextVar};
///
/// static PORT: ContextVar<u16> = ContextVar::new("port");
/// let ctx = Context::new().with_value(&PORT, 8080);
/// let binding = ctx.iter().next().unwrap();
/// assert_eq!(binding.name(), "port");
/// assert_eq!(binding.value().downcast_ref::<u16>(), Some(&8080));
/// ```
#[derive(Clone, Copy)]
pub struct Binding<'a> {
    entry: &'a Entry,
    task_private: bool,
}

impl<'a> Binding<'a> {
    /// The bound var's name.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ctxrt_context::{Context, ContextVar};
    /// static X: ContextVar<()> = ContextVar::new("x");
    /// assert_eq!(Context::new().with_value(&X, ()).iter().next().unwrap().name(), "x");
    /// ```
    pub fn name(&self) -> &'static str {
        self.entry.name
    }

    /// The bound value, type-erased; `downcast_ref::<T>()` recovers it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use ctxrt_context::{Context, ContextVar};
    /// static N: ContextVar<i64> = ContextVar::new("n");
    /// let ctx = Context::new().with_value(&N, -1);
    /// assert_eq!(ctx.iter().next().unwrap().value().downcast_ref::<i64>(), Some(&-1));
    /// ```
    pub fn value(&self) -> &'a (dyn Any + Send + Sync) {
        &*self.entry.value
    }

    /// Whether the var is `task_private()` (seen here, never inherited).
    ///
    /// # Examples
    ///
    /// ```
    /// # use ctxrt_context::{Context, ContextVar};
    /// static P: ContextVar<u8> = ContextVar::new("p").task_private();
    /// assert!(Context::new().with_value(&P, 1).iter().next().unwrap().is_task_private());
    /// ```
    pub fn is_task_private(&self) -> bool {
        self.task_private
    }

    /// The bound var's id (crate-internal: finds a loggable var's formatter, `log.rs`).
    pub(crate) fn var_id(&self) -> u64 {
        self.entry.id
    }
}

impl fmt::Debug for Binding<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Binding")
            .field("name", &self.name())
            .field("task_private", &self.task_private)
            .finish_non_exhaustive()
    }
}

/// The `task_private()` half seen whole, for runtimes that decide per task whether a hidden
/// binding is there (ctxrt's span and OTel inheritance) and that give a child the same
/// hidden binding as its spawner without a new map. Kept apart from the store's core above.
impl Context {
    /// Whether any `task_private()` var is bound in this context: one test, whatever the
    /// number of bindings.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{Context, ContextVar};
    ///
    /// static SHARED: ContextVar<u8> = ContextVar::new("shared");
    /// static HIDDEN: ContextVar<u8> = ContextVar::new("hidden").task_private();
    /// assert!(!Context::new().with_value(&SHARED, 1).has_task_private());
    /// assert!(Context::new().with_value(&HIDDEN, 1).has_task_private());
    /// ```
    #[inline]
    pub fn has_task_private(&self) -> bool {
        !self.frame.private.entries().is_empty()
    }

    /// Makes this context share the current context's `task_private()` bindings, if those
    /// are exactly one binding of `var` whose value `share` accepts and this context has no
    /// `task_private()` binding of its own. Returns whether it did.
    ///
    /// Sharing is one refcount: no allocation, however the value was bound. The two
    /// contexts stay independent (a later set in either copies the map first). A map the
    /// current context is changing in place (a `task_private()` var set in it since it was
    /// entered) is not shared. `share` runs after the current context is released, so it
    /// may read vars.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{Context, ContextVar};
    ///
    /// static SPAN: ContextVar<u32> = ContextVar::new("span").task_private();
    /// let mut parent = Context::new().with_value(&SPAN, 7);
    /// parent.run(|| {
    ///     let mut child = Context::inherited(); // task_private bindings are not inherited
    ///     assert!(!child.share_task_private(&SPAN, |&span| span == 8));
    ///     assert!(child.share_task_private(&SPAN, |&span| span == 7));
    ///     assert_eq!(child.get(&SPAN), Some(7));
    /// });
    /// ```
    pub fn share_task_private<T: Send + Sync + 'static>(
        &mut self,
        var: &ContextVar<T>,
        share: impl FnOnce(&T) -> bool,
    ) -> bool {
        if self.has_task_private() {
            return false;
        }
        let id = var.id();
        // Invariant 3: borrowed for a compare and a refcount. A detached map leaves
        // `rest.private` empty (invariant 3 in `bindings.rs`), so it never matches.
        let private = sync::try_with_frame(|slot| {
            let current = slot.frame.try_borrow().ok()?;
            match current.rest.private.entries() {
                [only] if only.id == id => Some(current.rest.private.clone()),
                _ => None,
            }
        })
        .flatten();
        let Some(private) = private else {
            return false;
        };
        let shared = match private.entries() {
            [only] => share(downcast::<T>(&only.value, var.name())),
            _ => false,
        };
        if shared {
            self.frame.private = private;
        }
        shared
    }
}

/// Recovers a `&T` from a value bound to a var of type `T`.
///
/// Var ids are unique and a var has one type, so the downcast cannot fail; the panic names
/// the var in case that invariant is ever broken.
#[inline]
pub(crate) fn downcast<'v, T: 'static>(value: &'v ErasedValue, var: &'static str) -> &'v T {
    match value.downcast_ref::<T>() {
        Some(value) => value,
        None => wrong_type(var),
    }
}

#[cold]
#[inline(never)]
fn wrong_type(var: &str) -> ! {
    panic!("ctxrt-context bug: the value bound to var `{var}` has another type")
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn clone_is_a_new_context_object_sharing_the_map() {
        static V: ContextVar<u8> = ContextVar::new("v");
        let mut a = Context::new().with_value(&V, 1);
        a.run(|| drop(V.set(2)));
        assert_ne!(a.frame.id, 0);
        let b = a.clone();
        assert_eq!(b.frame.id, 0, "a copy is a different context object");
        assert_eq!(b.get(&V), Some(2));
    }

    #[test]
    fn debug_lists_names() {
        static A: ContextVar<u8> = ContextVar::new("alpha");
        static B: ContextVar<u8> = ContextVar::new("beta").task_private();
        let ctx = Context::new().with_value(&A, 1).with_value(&B, 2);
        assert_eq!(
            format!("{ctx:?}"),
            r#"Context { bindings: ["alpha", "beta"] }"#
        );
    }
}
