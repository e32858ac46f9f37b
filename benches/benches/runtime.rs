//! Criterion: the ctxrt runtime against tokio's, on the `compare` binary's timed runtime
//! rows.
//!
//! One criterion group per registered row of `runtime_workloads` and `inherit_workloads`
//! (memory rows count bytes, not time, and stay in `compare`), with the subject and the
//! baseline in it. The timed loops are the registry's side functions, called through
//! `iter_custom`: each call builds its runtime untimed, runs one untimed warm-up body, then
//! times `iters` bodies (see `runtime_workloads`). Throughput is set to the row's items per
//! iteration, so criterion also reports spawns / yields / tasks per second.
//!
//! Run: `cargo bench -p ctxrt-benches --bench runtime` (add a filter such as
//! `spawn_many_local/` to run one group). The `busy` groups take a minute or more each.

use std::time::Duration;

use criterion::{criterion_main, BenchmarkGroup, Criterion, Throughput};
use ctxrt_benches::{inherit_workloads, runtime_workloads, Contender, Measurement, Workload};

/// Adapts a registry side to `iter_custom`.
fn elapsed(side: &Contender, iters: u64) -> Duration {
    match (side.run)(iters) {
        Measurement::Elapsed(elapsed) => elapsed,
        other => panic!("the timed side `{}` reported {other:?}", side.name),
    }
}

/// A group id criterion accepts as a directory name: the row's name, `_` for the rest.
fn group_id(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn bench_row(c: &mut Criterion, row: &Workload) {
    let mut group: BenchmarkGroup<'_, _> = c.benchmark_group(group_id(row.name));
    group
        .throughput(Throughput::Elements(row.items))
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (role, side) in [("ctxrt", row.subject), ("baseline", row.baseline)] {
        let id = format!("{role}: {}", side.name);
        group.bench_function(id, |b| b.iter_custom(|iters| elapsed(&side, iters)));
    }
    group.finish();
}

/// Every timed runtime row. (Written out instead of `criterion_group!`, whose generated
/// function has no docs.)
fn benches() {
    let mut criterion = Criterion::default().configure_from_args();
    let rows = runtime_workloads::workloads()
        .into_iter()
        .chain(inherit_workloads::workloads());
    for row in rows {
        bench_row(&mut criterion, &row);
    }
}

criterion_main!(benches);
