//! Dropping a `LocalSet` cancels its unfinished tasks on its own thread: each future is
//! dropped inside its task's context, and their JoinHandles resolve as cancelled.
//! `spawn_local` outside a `LocalSet` panics with a message saying to use one.

use std::cell::RefCell;
use std::rc::Rc;
use std::thread::{self, ThreadId};

use ctxrt::runtime::Runtime;
use ctxrt::task::{spawn_local, LocalSet};
use ctxrt::ContextVar;

static USER: ContextVar<&'static str> = ContextVar::new("user");

/// Where each probe was dropped, and the `USER` it saw there.
type Drops = Rc<RefCell<Vec<(ThreadId, Option<&'static str>)>>>;

/// Records, when dropped, the thread and the `USER` it sees.
struct Probe(Drops);

impl Drop for Probe {
    fn drop(&mut self) {
        self.0
            .borrow_mut()
            .push((thread::current().id(), USER.get()));
    }
}

ctxrt_tests::on_both_flavors!(
    dropping_the_set_drops_pending_tasks_in_their_contexts,
    never_driven_tasks_are_dropped_with_the_set,
);

fn dropping_the_set_drops_pending_tasks_in_their_contexts(rt: Runtime) {
    let drops = Rc::new(RefCell::new(Vec::new()));
    let local = LocalSet::new();
    let handles = local.block_on(&rt, {
        let drops = drops.clone();
        async move {
            let mut handles = Vec::new();
            for user in ["ann", "bob"] {
                let probe = Probe(drops.clone());
                handles.push(spawn_local(async move {
                    USER.set(user);
                    let _probe = probe;
                    std::future::pending::<()>().await
                }));
            }
            // Let both start (and set their USER) before returning.
            ctxrt::task::yield_now().await;
            ctxrt::task::yield_now().await;
            handles
        }
    });
    assert!(
        drops.borrow().is_empty(),
        "the tasks stay in the set after run_until"
    );
    USER.set("dropper");
    drop(local);
    let mut seen: Vec<_> = drops.borrow().clone();
    seen.sort_by_key(|(_, user)| *user);
    let here = thread::current().id();
    assert_eq!(seen, [(here, Some("ann")), (here, Some("bob"))]);
    assert_eq!(USER.get(), Some("dropper"));
    for handle in handles {
        let err = rt.block_on(handle).unwrap_err();
        assert!(err.is_cancelled());
    }
}

fn never_driven_tasks_are_dropped_with_the_set(rt: Runtime) {
    let drops = Rc::new(RefCell::new(Vec::new()));
    let local = LocalSet::new();
    USER.set("spawner");
    let probe = Probe(drops.clone());
    let handle = local.spawn_local(async move {
        let _probe = probe;
    });
    drop(local);
    assert_eq!(*drops.borrow(), [(thread::current().id(), Some("spawner"))]);
    assert!(rt.block_on(handle).unwrap_err().is_cancelled());
}

#[test]
fn spawn_local_outside_a_local_set_panics_with_what_to_do() {
    let rt = ctxrt_tests::current_thread();
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            drop(spawn_local(async {}));
        });
    }))
    .unwrap_err();
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap();
    assert!(message.contains("LocalSet"), "{message}");
    assert!(message.contains("ctxrt::spawn"), "{message}");
}
