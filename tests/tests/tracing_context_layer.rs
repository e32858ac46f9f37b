//! `ContextLayer` puts the current context's loggable bindings on every event of the
//! layer it wraps: `tracing_subscriber::fmt()` lines (plain and JSON) of two requests
//! running concurrently each carry their own `request_id` and `tenant`, and vars not
//! declared `.logged()` never appear.

use ctxrt::context::tracing::ContextLayer;
use ctxrt::ContextVar;
use ctxrt_tests::Captured;
use tracing_subscriber::layer::SubscriberExt;

static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id").logged();
static TENANT: ContextVar<&'static str> = ContextVar::new("tenant").logged();
static ATTEMPT: ContextVar<u32> = ContextVar::new("attempt").logged();
static API_KEY: ContextVar<String> = ContextVar::new("api_key");

/// Two requests, interleaved at every step by `yield_now`; each logs three lines, the
/// second from a spawned child task, the third from a blocking job.
async fn two_requests() {
    let request = |id: &'static str, tenant: &'static str| async move {
        REQUEST_ID.set(id.to_string());
        TENANT.set(tenant);
        API_KEY.set("hunter2".into());
        tracing::info!(step = 1, "accepted");
        ctxrt::task::yield_now().await;
        ctxrt::spawn(async {
            ATTEMPT.set(1);
            tracing::warn!(step = 2, "child retrying");
        })
        .await
        .unwrap();
        ctxrt::task::yield_now().await;
        ctxrt::spawn_blocking(|| tracing::info!(step = 3, "stored"))
            .await
            .unwrap();
    };
    let a = ctxrt::spawn(request("req-a", "acme"));
    let b = ctxrt::spawn(request("req-b", "globex"));
    a.await.unwrap();
    b.await.unwrap();
    // Outside any request: no bindings, the event is forwarded as is.
    tracing::info!("idle");
}

/// The two "stored" lines: logged by `spawn_blocking` jobs, which may run on two pool
/// threads in either order even on a current_thread runtime.
const BLOCKING_LINES: std::ops::Range<usize> = 4..6;

fn expected_plain() -> Vec<&'static str> {
    vec![
        r#" INFO accepted step=1 request_id="req-a" tenant="acme""#,
        r#" INFO accepted step=1 request_id="req-b" tenant="globex""#,
        r#" WARN child retrying step=2 request_id="req-a" tenant="acme" attempt=1"#,
        r#" WARN child retrying step=2 request_id="req-b" tenant="globex" attempt=1"#,
        r#" INFO stored step=3 request_id="req-a" tenant="acme""#,
        r#" INFO stored step=3 request_id="req-b" tenant="globex""#,
        r#" INFO idle"#,
    ]
}

fn plain_lines_carry_their_own_ids(current_thread: bool) {
    let out = Captured::default();
    let fmt = tracing_subscriber::fmt::layer()
        .without_time()
        .with_ansi(false)
        .with_target(false)
        .with_writer(out.clone());
    let dispatch =
        tracing::Dispatch::new(tracing_subscriber::registry().with(ContextLayer::new(fmt)));
    let rt = ctxrt_tests::runtime_logging_to(current_thread, dispatch.clone());
    tracing::dispatcher::with_default(&dispatch, || rt.block_on(two_requests()));
    drop(rt);
    let lines = out.lines();
    assert!(lines
        .iter()
        .all(|l| !l.contains("hunter2") && !l.contains("api_key")));
    if current_thread {
        // One worker thread, a fixed interleaving: the exact output, except that the two
        // "stored" lines come from blocking-pool threads, in either order.
        let mut lines = lines;
        let mut golden = expected_plain();
        lines[BLOCKING_LINES].sort();
        golden[BLOCKING_LINES].sort();
        assert_eq!(lines, golden);
    } else {
        // Two workers: any interleaving, but each line with its own ids.
        let mut sorted = lines.clone();
        sorted.sort();
        let mut golden = expected_plain();
        golden.sort();
        assert_eq!(sorted, golden, "{lines:#?}");
    }
}

fn json_lines_carry_their_own_ids(current_thread: bool) {
    let out = Captured::default();
    let fmt = tracing_subscriber::fmt::layer()
        .json()
        .without_time()
        .with_target(false)
        .with_writer(out.clone());
    let dispatch =
        tracing::Dispatch::new(tracing_subscriber::registry().with(ContextLayer::new(fmt)));
    let rt = ctxrt_tests::runtime_logging_to(current_thread, dispatch.clone());
    tracing::dispatcher::with_default(&dispatch, || rt.block_on(two_requests()));
    drop(rt);
    let mut lines: Vec<serde_json::Value> = out
        .lines()
        .iter()
        .map(|l| {
            assert!(!l.contains("hunter2") && !l.contains("api_key"), "{l}");
            serde_json::from_str(l).unwrap()
        })
        .collect();
    let golden: Vec<serde_json::Value> = [
        ("INFO", "accepted", 1, Some(("req-a", "acme", None))),
        ("INFO", "accepted", 1, Some(("req-b", "globex", None))),
        (
            "WARN",
            "child retrying",
            2,
            Some(("req-a", "acme", Some(1))),
        ),
        (
            "WARN",
            "child retrying",
            2,
            Some(("req-b", "globex", Some(1))),
        ),
        ("INFO", "stored", 3, Some(("req-a", "acme", None))),
        ("INFO", "stored", 3, Some(("req-b", "globex", None))),
        ("INFO", "idle", 0, None),
    ]
    .into_iter()
    .map(|(level, message, step, ids)| {
        let mut fields = serde_json::json!({ "message": message });
        if step != 0 {
            fields["step"] = step.into();
        }
        if let Some((id, tenant, attempt)) = ids {
            fields["request_id"] = id.into();
            fields["tenant"] = tenant.into();
            if let Some(attempt) = attempt {
                fields["attempt"] = serde_json::Value::from(attempt);
            }
        }
        serde_json::json!({ "level": level, "fields": fields })
    })
    .collect();
    if !current_thread {
        let key = |v: &serde_json::Value| v.to_string();
        lines.sort_by_key(key);
        let mut golden = golden;
        golden.sort_by_key(key);
        assert_eq!(lines, golden);
    } else {
        // Exact order, except the two "stored" lines from blocking-pool threads.
        let key = |v: &serde_json::Value| v.to_string();
        let mut golden = golden;
        lines[BLOCKING_LINES].sort_by_key(key);
        golden[BLOCKING_LINES].sort_by_key(key);
        assert_eq!(lines, golden);
    }
}

ctxrt_tests::on_both_flavors!(flag: plain_lines_carry_their_own_ids, json_lines_carry_their_own_ids);

#[test]
fn spans_get_the_bindings_current_at_their_creation_when_asked() {
    let out = Captured::default();
    let fmt = tracing_subscriber::fmt::layer()
        .without_time()
        .with_ansi(false)
        .with_target(false)
        .with_writer(out.clone());
    let layer = ContextLayer::new(fmt).with_span_fields(true);
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    tracing::dispatcher::with_default(&dispatch, || {
        ctxrt::Context::new().run(|| {
            REQUEST_ID.set("req-s".into());
            API_KEY.set("hunter2".into());
            let span = tracing::info_span!("handler", route = "/x");
            // The event itself runs in an empty context: its ids come from the span.
            ctxrt::Context::new().run(|| span.in_scope(|| tracing::info!("inside")));
        })
    });
    assert_eq!(
        out.lines(),
        [r#" INFO handler{route="/x" request_id="req-s"}: inside"#]
    );
}
