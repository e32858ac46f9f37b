//! [`Exclusive`]: a wrapper that is `Sync` because it never lends `&T`.
//!
//! Used for a panic payload (`Box<dyn Any + Send>`, not `Sync`) inside `JoinError`, so the
//! error can be `Send + Sync` like every other error type. The same in both builds.

/// Holds a `T` and gives it out only by value or by `&mut`.
pub(crate) struct Exclusive<T>(T);

impl<T> Exclusive<T> {
    pub(crate) fn new(value: T) -> Self {
        Exclusive(value)
    }

    pub(crate) fn into_inner(self) -> T {
        self.0
    }
}

// SAFETY: `Exclusive` has no method taking `&self` that reaches the `T`, so a shared
// `&Exclusive<T>` on another thread can do nothing with the value; only moving it (which
// needs `T: Send`) or `&mut` access (exclusive by construction) reaches it.
unsafe impl<T: Send> Sync for Exclusive<T> {}
