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
//! capture): its name, the interleavings loom explored, the preemption bound and the time;
//! models that race several branches also print how often each was reached, and fail if
//! one never was. `LOOM_MAX_PREEMPTIONS` sets the bound (2 if unset); models that stay
//! small deeper are checked at bound 3 or more whatever it says (`check_deep`).
//!
//! The negative control, `negative_control_child_follows_the_parents_later_set` in
//! `tests/scheduler_spawn_snapshot.rs`, is `#[ignore]`d; run it by name with
//! `-- --ignored negative_control`. It passes only if loom finds the interleaving that
//! breaks its deliberately wrong expectation.
//!
//! When a model fails, loom prints the panic, and this crate adds `loom model <name>:
//! failed in interleaving <n>`. The test binary may then abort (SIGABRT, "panic in a
//! destructor during cleanup"): values holding loom primitives are dropped after loom has
//! torn down the failed execution. The first panic message is the finding.
//!
//! This library holds what the models share (`check`, the drop counters in `Tracked`).
//! Without `--cfg loom` it has no models, only a smoke test (`src/smoke.rs`) that drives
//! the same scenarios once on real threads, so `cargo test --workspace` runs something real
//! from this crate too.

#[cfg(loom)]
mod model;
#[cfg(loom)]
pub use model::*;

#[cfg(all(test, not(loom)))]
mod smoke;
