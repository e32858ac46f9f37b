//! The public half of `ctxrt::sync`: tokio's runtime-agnostic `sync` module, re-exported
//! item by item (see the module docs of `ctxrt::sync` for why). Built only without loom:
//! under `cfg(loom)` tokio would compile its own loom-only internals, which need loom as
//! tokio's dev-dependency.
//!
//! Listed explicitly, not as a glob, so that this file is the inventory of what ctxrt
//! promises and a new tokio item does not appear in ctxrt's API unreviewed.

pub use tokio_sync::sync::{broadcast, futures, mpsc, oneshot, watch};
pub use tokio_sync::sync::{
    AcquireError, Barrier, BarrierWaitResult, MappedMutexGuard, Mutex, MutexGuard, Notify,
    OnceCell, OwnedMappedMutexGuard, OwnedMutexGuard, OwnedRwLockMappedWriteGuard,
    OwnedRwLockReadGuard, OwnedRwLockWriteGuard, OwnedSemaphorePermit, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard, Semaphore, SemaphorePermit,
    SetError, SetOnce, SetOnceError, TryAcquireError, TryLockError,
};
