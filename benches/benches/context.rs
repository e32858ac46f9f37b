//! Criterion: `ctxrt-context` against tokio's `task_local!`, side by side.
//!
//! Each group holds every contender for one operation, so criterion's report shows them
//! together. The timed loops are the registry's side functions
//! (`ctxrt_benches::context_workloads`), called through `iter_custom`, so this bench and
//! the `compare` binary measure the very same code; see that module for the fixtures
//! (ctxrt: a fresh context with n bindings, the var sorted last; tokio: inside
//! `sync_scope`).
//!
//! Run: `cargo bench -p ctxrt-benches --bench context` (add a filter such as `get/` to run
//! one group).

use std::time::Duration;

use criterion::{criterion_main, Criterion};
use ctxrt_benches::context_workloads as cw;
use ctxrt_benches::Measurement;

/// A registry side: runs `iters` iterations, reports the total.
type SideFn = fn(u64) -> Measurement;

/// Adapts a registry side to `iter_custom`.
fn elapsed(run: SideFn, iters: u64) -> Duration {
    match run(iters) {
        Measurement::Elapsed(elapsed) => elapsed,
        other => panic!("a timed side reported {other:?}"),
    }
}

/// Adds `(name, side)` pairs to one group.
fn group(c: &mut Criterion, name: &str, sides: &[(&str, SideFn)]) {
    let mut group = c.benchmark_group(name);
    for &(id, run) in sides {
        group.bench_function(id, |b| b.iter_custom(|iters| elapsed(run, iters)));
    }
    group.finish();
}

fn context_benches(c: &mut Criterion) {
    group(
        c,
        "get",
        &[
            ("ctxrt/1_binding", cw::ctxrt_get::<1>),
            ("ctxrt/8_bindings", cw::ctxrt_get::<8>),
            ("ctxrt/64_bindings", cw::ctxrt_get::<64>),
            ("tokio/LocalKey::get", cw::tokio_get),
        ],
    );
    group(
        c,
        "scoped_set",
        &[
            ("ctxrt/1_binding", cw::ctxrt_scoped_set::<1>),
            ("ctxrt/64_bindings", cw::ctxrt_scoped_set::<64>),
            ("ctxrt/unbound", cw::ctxrt_scoped_set_unbound),
            ("tokio/sync_scope", cw::tokio_scoped_set),
            ("tokio/sync_scope_unbound", cw::tokio_scoped_set_unbound),
        ],
    );
    group(
        c,
        "snapshot",
        &[
            ("ctxrt/1_binding", cw::ctxrt_snapshot::<1>),
            ("ctxrt/64_bindings", cw::ctxrt_snapshot::<64>),
        ],
    );
    group(
        c,
        "set_reset",
        &[
            ("unshared/1_binding", cw::ctxrt_set_reset::<1>),
            ("unshared/64_bindings", cw::ctxrt_set_reset::<64>),
            (
                "after_snapshot/1_binding",
                cw::ctxrt_set_after_snapshot::<1>,
            ),
            (
                "after_snapshot/64_bindings",
                cw::ctxrt_set_after_snapshot::<64>,
            ),
        ],
    );
    group(
        c,
        "async_scope_per_poll",
        &[
            ("ctxrt/Context::scope", cw::ctxrt_scope_poll),
            ("tokio/LocalKey::scope", cw::tokio_scope_poll),
            ("bare_future", cw::bare_poll),
        ],
    );
}

/// Every group, with short windows: these are nanosecond operations on a shared machine.
/// (Written out instead of `criterion_group!`, whose generated function has no docs.)
fn benches() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    context_benches(&mut criterion);
}

criterion_main!(benches);
