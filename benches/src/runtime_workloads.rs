//! Runtime workloads: the `ctxrt` runtime against tokio's — the place to add them.
//!
//! Empty until the `ctxrt` runtime API exists. To add a row, write its two sides here as
//! `pub fn(iters: u64) -> Measurement` and list it in [`workloads`]; the `compare` binary
//! picks it up with no other change. Follow the rules in `workload.rs`:
//! - Time rows (`Unit::Nanos`, `Batch::Timed`): build the runtime (and anything else not
//!   under test) before starting the clock, time `iters` repetitions of the operation
//!   (e.g. `spawn_many_local`: spawn `iters` tasks on a current-thread runtime and await
//!   them; `ping_pong`: `iters` round trips between two tasks over a channel; `yield_many`:
//!   one task calling `yield_now` `iters` times), shut the runtime down after stopping it,
//!   and return `Measurement::Elapsed`. The tokio side does the same with a tokio runtime
//!   of the same flavour and worker count.
//! - Memory rows (`Unit::Bytes`, `Batch::Fixed { full, quick }`, e.g. "RSS per pending
//!   task": `iters` tasks parked on a never-firing channel): take a
//!   [`RssProbe`](crate::memory::RssProbe) after the runtime is built, spawn and hold the
//!   `iters` items, yield until all of them are pending, read
//!   [`RssProbe::growth`](crate::memory::RssProbe::growth), then release and join them, and
//!   return `Measurement::Bytes(growth)`. The runner gives every memory sample a fresh
//!   process, so allocator caching from earlier samples cannot hide the growth.
//!
//! Give a row a `target` only when there is an agreed goal; rows without one are reported
//! with status `-`.

use crate::workload::Workload;

/// The runtime workloads, in table order (none yet: see the module docs).
///
/// # Examples
///
/// ```
/// let rows = ctxrt_benches::runtime_workloads::workloads();
/// println!("{} runtime rows", rows.len());
/// ```
pub fn workloads() -> Vec<Workload> {
    Vec::new()
}
