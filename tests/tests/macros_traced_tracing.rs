//! With the `tracing` feature, each `#[ctxrt::traced]` call is also a `tracing` event: INFO
//! for `OK`, ERROR for `ERR`/`PANIC`, target the fn's module, fields `message` (the fn's
//! name), `outcome`, `elapsed_us` and the loggable bindings (never the other vars).

use ctxrt::ContextVar;
use ctxrt_tests::Captured;

static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id").logged();
static TOKEN: ContextVar<String> = ContextVar::new("token");

#[ctxrt::traced]
fn divide(a: u32, b: u32) -> Result<u32, String> {
    a.checked_div(b)
        .ok_or_else(|| "division by zero".to_string())
}

#[ctxrt::traced]
async fn lookup(key: &'static str) -> Option<&'static str> {
    ctxrt::task::yield_now().await;
    (key == "a").then_some("alpha")
}

#[test]
fn traced_calls_are_info_or_error_events_with_the_bindings() {
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .without_time()
        .with_writer(out.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let rt = ctxrt_tests::current_thread();
        rt.block_on(async {
            REQUEST_ID.set("r-42".into());
            TOKEN.set("hunter2".into());
            assert_eq!(divide(6, 3), Ok(2));
            assert!(divide(1, 0).is_err());
            assert_eq!(lookup("a").await, Some("alpha"));
        });
    });
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    assert!(
        !text.contains("hunter2") && !text.contains("token"),
        "{text}"
    );
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<(String, String, String, String)> = events
        .iter()
        .map(|e| {
            let fields = &e["fields"];
            assert!(fields["elapsed_us"].is_u64(), "{e}");
            assert_eq!(e["target"], "macros_traced_tracing");
            (
                e["level"].as_str().unwrap().to_string(),
                fields["message"].as_str().unwrap().to_string(),
                fields["outcome"].as_str().unwrap().to_string(),
                fields["request_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("INFO", "divide", "OK", "r-42"),
        ("ERROR", "divide", "ERR", "r-42"),
        ("INFO", "lookup", "OK", "r-42"),
    ]
    .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()));
    assert_eq!(summary, expected);
}

#[test]
fn nothing_is_built_for_a_level_no_one_wants() {
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::ERROR)
        .with_writer(out.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        assert_eq!(divide(4, 2), Ok(2));
        assert!(divide(4, 0).is_err());
    });
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains("ERROR") && text.contains("outcome=\"ERR\""),
        "{text}"
    );
}
