//! Loom model checks of `ctxrt-context` and the `ctxrt` scheduler, run over the code that
//! ships: both crates take every atomic, lock, `Arc`, `UnsafeCell`, thread and
//! thread-local from their `sync` module, which is loom's under `cfg(loom)`.
//!
//! Run them with
//!
//! ```text
//! RUSTFLAGS="--cfg loom -C debug_assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     CARGO_TARGET_DIR=target/loom cargo test -p ctxrt-loom-tests --release
//! ```
//!
//! Each file in `tests/` is one theme and each `#[test]` one model, documented at its top
//! with what it proves. Every model prints one line to stderr (past the test harness's
//! capture): its name, the interleavings loom explored, the preemption bound and the time.
//! The negative control is `#[ignore]`d; run it by name with `-- --ignored negative_control`.
//!
//! This library holds what the models share ([`check`], the drop counters in [`Tracked`]).
//! Without `--cfg loom` it has no models, only a smoke test (`src/smoke.rs`) that drives
//! the same scenarios once on real threads, so `cargo test --workspace` runs something real
//! from this crate too.

#[cfg(loom)]
mod model;
#[cfg(loom)]
pub use model::*;

#[cfg(all(test, not(loom)))]
mod smoke;
