//! `Handle::id` identifies a runtime: the same through every handle to it (clones,
//! `Handle::current()` inside its tasks and `block_on`), different between runtimes alive
//! at once. Worker threads are named after the builder's `thread_name`. On both flavours.

use ctxrt::runtime::{Builder, Handle, Runtime};
use ctxrt_tests::on_both_flavors;

on_both_flavors!(a_runtime_has_one_id_distinct_from_others);

fn a_runtime_has_one_id_distinct_from_others(rt: Runtime) {
    let other = ctxrt_tests::current_thread();
    let id = rt.handle().id();
    assert_ne!(id, other.handle().id());
    assert_eq!(rt.handle().clone().id(), id);
    assert_eq!(rt.block_on(async { Handle::current().id() }), id);
    let in_task = rt.block_on(rt.spawn(async { Handle::current().id() }));
    assert_eq!(in_task.unwrap(), id);
    assert_eq!(format!("{id:?}"), format!("Id({id})"));
}

#[test]
fn worker_threads_are_named_after_the_prefix() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("named")
        .build()
        .unwrap();
    let name = rt.block_on(rt.spawn(async { std::thread::current().name().map(String::from) }));
    let name = name.unwrap().unwrap();
    assert!(name.starts_with("named-worker-"), "{name}");
}
