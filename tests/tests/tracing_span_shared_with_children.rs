//! With the `tracing` feature, a task spawned by a task that runs in an inherited span
//! (and has entered no other) runs in that same span — its binding is shared with the
//! parent rather than captured afresh — and every case where sharing would be wrong still
//! gets a fresh capture: the parent entered another span, bound a `task_private` var of
//! its own, made another subscriber the default, or opted out. On both flavours.

use ctxrt::ContextVar;
use ctxrt_tests::EventScopes;
use tracing::instrument::WithSubscriber;
use tracing::{info, info_span, Span};

/// A var of the user's that is hidden from children, set in the parent task.
static HIDDEN: ContextVar<u32> = ContextVar::new("hidden").task_private();

/// Every `request` span comes from this one callsite, so two subscribers' `request`
/// spans differ by their subscriber alone (and often have the same id).
fn request_span() -> Span {
    info_span!("request")
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn children_share_the_parents_span_only_when_it_is_current(current_thread: bool) {
    let main = EventScopes::default();
    let other = EventScopes::default();
    let main_dispatch = main.dispatch();
    let other_dispatch = other.dispatch();
    let rt = ctxrt_tests::runtime_logging_to(current_thread, main_dispatch.clone());
    tracing::dispatcher::with_default(&main_dispatch, || {
        rt.block_on(async {
            let parent = async move {
                // Its inherited span is current: the child shares it.
                ctxrt::spawn(async {
                    info!("child");
                    ctxrt::spawn(async { info!("grandchild") }).await.unwrap();
                })
                .await
                .unwrap();
                // Another span entered: the child runs in that one.
                let inner = info_span!("inner");
                let handle = inner.in_scope(|| ctxrt::spawn(async { info!("in inner") }));
                handle.await.unwrap();
                // The same callsite's span in another subscriber, made the default: the
                // child runs in that subscriber's span, not in the parent's.
                let handle = tracing::dispatcher::with_default(&other_dispatch, || {
                    let elsewhere = request_span();
                    elsewhere.in_scope(|| {
                        ctxrt::spawn(
                            async { info!("in the other subscriber") }
                                .with_subscriber(other_dispatch.clone()),
                        )
                    })
                });
                handle.await.unwrap();
                // Opted out: no span.
                let handle = ctxrt::task::without_span_inheritance(|| {
                    ctxrt::spawn(async { info!("opted out") })
                });
                handle.await.unwrap();
                // A task_private var of the parent's own: the child still runs in the
                // span, and does not see the var.
                HIDDEN.set(7);
                let hidden = ctxrt::spawn(async {
                    info!("after a private set");
                    HIDDEN.get()
                });
                assert_eq!(hidden.await.unwrap(), None);
                assert_eq!(HIDDEN.get(), Some(7));
                info!("parent at the end");
            };
            let handle = request_span().in_scope(|| ctxrt::spawn(parent));
            handle.await.unwrap();
        });
    });
    drop(rt);
    let request = names(&["request"]);
    assert_eq!(main.scope_of("child"), request);
    assert_eq!(main.scope_of("grandchild"), request);
    assert_eq!(main.scope_of("in inner"), names(&["request", "inner"]));
    assert_eq!(other.scope_of("in the other subscriber"), request);
    assert!(main.scope_of("opted out").is_empty());
    assert_eq!(main.scope_of("after a private set"), request);
    assert_eq!(main.scope_of("parent at the end"), request);
}

ctxrt_tests::on_both_flavors!(flag: children_share_the_parents_span_only_when_it_is_current);
