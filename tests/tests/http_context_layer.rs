//! `ctxrt::http::ContextLayer` (feature `tower`) gives every request its own child context,
//! on both flavors: 200 concurrent requests through one service each see their own tenant
//! and request id — in the handler, in a task it spawns and in a blocking job it runs —
//! and never another request's; a request without the tenant header sees the var's default
//! (never a previous request's value); a missing request id is generated (UUID v4) and
//! every response echoes the id; nothing a request sets reaches the caller's context.

use std::convert::Infallible;

use ctxrt::http::ContextLayer;
use ctxrt::runtime::Runtime;
use ctxrt::task::yield_now;
use ctxrt::ContextVar;
use ctxrt_tests::on_both_flavors;
use tower::{service_fn, Layer, ServiceExt};

static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id");
static TENANT: ContextVar<String> = ContextVar::with_default("tenant", || "public".into());

type Seen = (Option<String>, Option<String>);

/// What the handler, its spawned task and its blocking job read from their contexts.
async fn handler(_req: http::Request<()>) -> Result<http::Response<[Seen; 3]>, Infallible> {
    let here = (REQUEST_ID.get(), TENANT.get());
    yield_now().await;
    let task = ctxrt::spawn(async {
        yield_now().await;
        (REQUEST_ID.get(), TENANT.get())
    })
    .await
    .expect("child task");
    let blocking = ctxrt::spawn_blocking(|| (REQUEST_ID.get(), TENANT.get()))
        .await
        .expect("blocking job");
    // A set inside the request stays inside it.
    TENANT.set("changed by the handler".into());
    Ok(http::Response::new([here, task, blocking]))
}

fn layer() -> ContextLayer {
    ContextLayer::new()
        .header("x-request-id", &REQUEST_ID)
        .header("x-tenant", &TENANT)
}

on_both_flavors!(
    concurrent_requests_each_see_their_own_context,
    missing_headers_get_defaults_and_a_generated_id,
    request_sets_do_not_reach_the_caller,
);

fn concurrent_requests_each_see_their_own_context(rt: Runtime) {
    let svc = layer().layer(service_fn(handler));
    rt.block_on(async move {
        let mut handles = Vec::new();
        for i in 0..200 {
            let svc = svc.clone();
            handles.push(ctxrt::spawn(async move {
                let req = http::Request::builder()
                    .header("x-request-id", format!("req-{i}"))
                    .header("X-Tenant", format!("tenant-{}", i % 7))
                    .body(())
                    .unwrap();
                (i, svc.oneshot(req).await.unwrap())
            }));
        }
        for handle in handles {
            let (i, resp) = handle.await.unwrap();
            let want = (Some(format!("req-{i}")), Some(format!("tenant-{}", i % 7)));
            assert_eq!(resp.headers()["x-request-id"], format!("req-{i}").as_str());
            for seen in resp.body() {
                assert_eq!(seen, &want, "request {i}");
            }
        }
    });
}

fn missing_headers_get_defaults_and_a_generated_id(rt: Runtime) {
    let svc = layer().layer(service_fn(handler));
    rt.block_on(async move {
        // A first request binds a tenant; the next one, without the header, must not see it.
        let first = http::Request::builder()
            .header("x-tenant", "acme")
            .body(())
            .unwrap();
        let resp = svc.clone().oneshot(first).await.unwrap();
        assert_eq!(resp.body()[0].1.as_deref(), Some("acme"));

        let resp = svc.oneshot(http::Request::new(())).await.unwrap();
        let id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(id.len(), 36, "a UUID in its hyphenated form: {id}");
        assert_eq!(id.as_bytes()[14], b'4', "a version-4 UUID: {id}");
        for seen in resp.body() {
            assert_eq!(seen, &(Some(id.clone()), Some("public".to_owned())));
        }
    });
}

fn request_sets_do_not_reach_the_caller(rt: Runtime) {
    let svc = layer().layer(service_fn(handler));
    rt.block_on(async move {
        TENANT.set("caller".into());
        let req = http::Request::builder()
            .header("x-tenant", "inner")
            .body(())
            .unwrap();
        let resp = svc.oneshot(req).await.unwrap();
        assert_eq!(resp.body()[2].1.as_deref(), Some("inner"));
        assert_eq!(TENANT.get().as_deref(), Some("caller"));
        assert_eq!(REQUEST_ID.get(), None);
    });
}
