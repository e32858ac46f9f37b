//! `#[ctxrt::traced]` records each call — fn name, loggable bindings, elapsed time and
//! outcome (`OK`, `ERR` for an `Err` return, `PANIC` re-raised, `CANCELLED`) — into the
//! sink set with `set_trace_sink`, for sync and async fns, on both runtime flavours.

use std::sync::Mutex;
use std::time::Duration;

use ctxrt::context::{set_trace_sink, Outcome, TraceRecord};
use ctxrt::runtime::Runtime;
use ctxrt::ContextVar;
use ctxrt_tests::on_both_flavors;

static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id").logged();
static TENANT: ContextVar<&'static str> = ContextVar::new("tenant").logged();
static PASSWORD: ContextVar<String> = ContextVar::new("password");

/// What the sink saw: (fn, outcome, logfmt of the bindings, elapsed).
type Seen = (&'static str, Outcome, String, Duration);
static RECORDS: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

fn collect(record: &TraceRecord) {
    assert!(!record.to_string().contains("hunter2"), "{record}");
    RECORDS.lock().unwrap().push((
        record.function(),
        record.outcome(),
        record.context().to_string(),
        record.elapsed(),
    ));
}

/// The records of `function` whose bindings mention `marker`, taken out of the log.
fn records_of(function: &str, marker: &str) -> Vec<Seen> {
    let mut all = RECORDS.lock().unwrap();
    let (mine, rest): (Vec<Seen>, Vec<Seen>) = all
        .drain(..)
        .partition(|(f, _, ctx, _)| *f == function && ctx.contains(marker));
    *all = rest;
    mine
}

fn install() {
    set_trace_sink(Some(collect));
}

#[ctxrt::traced]
fn parse(input: &str) -> Result<u32, std::num::ParseIntError> {
    let n: u32 = input.parse()?;
    if n == 7 {
        return Ok(70);
    }
    Ok(n)
}

#[ctxrt::traced]
fn sync_unit(flag: &mut bool) {
    *flag = true;
}

#[ctxrt::traced]
fn sync_panics(message: &'static str) -> u8 {
    panic!("{message}")
}

#[ctxrt::traced]
async fn fetch(key: u32) -> Result<String, String> {
    ctxrt::task::yield_now().await;
    if key == 0 {
        return Err("no such key".into());
    }
    REQUEST_ID.set(format!("{}/inner", REQUEST_ID.get().unwrap_or_default()));
    Ok(format!("value-{key}"))
}

#[ctxrt::traced]
async fn sleepy_forever() {
    std::future::pending::<()>().await
}

#[ctxrt::traced]
async fn async_panics() -> u8 {
    ctxrt::task::yield_now().await;
    panic!("async boom")
}

struct Service;

impl Service {
    #[ctxrt::traced]
    fn handle(&self, n: u8) -> impl std::fmt::Display {
        n + 1
    }
}

#[test]
fn sync_fns_record_ok_err_and_keep_their_return_and_question_mark() {
    install();
    ctxrt::Context::new().run(|| {
        REQUEST_ID.set("sync-1".into());
        PASSWORD.set("hunter2".into());
        assert_eq!(parse("7"), Ok(70));
        assert!(parse("x").is_err());
        let mut flag = false;
        sync_unit(&mut flag);
        assert!(flag);
        assert_eq!(Service.handle(1).to_string(), "2");
    });
    let seen = records_of("parse", "sync-1");
    let outcomes: Vec<Outcome> = seen.iter().map(|r| r.1).collect();
    assert_eq!(outcomes, [Outcome::Ok, Outcome::Err]);
    assert_eq!(seen[0].2, "request_id=sync-1");
    assert_eq!(records_of("sync_unit", "sync-1").len(), 1);
    assert_eq!(records_of("handle", "sync-1")[0].1, Outcome::Ok);
}

#[test]
fn a_panic_is_recorded_and_re_raised() {
    install();
    let caught = ctxrt::Context::new().run(|| {
        REQUEST_ID.set("panic-1".into());
        std::panic::catch_unwind(|| sync_panics("sync boom"))
    });
    let payload = caught.unwrap_err();
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("sync boom")
    );
    let seen = records_of("sync_panics", "panic-1");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].1, Outcome::Panic);
}

fn async_fns_record_outcome_bindings_and_time(rt: Runtime) {
    install();
    let tag = format!("async-{:?}", std::thread::current().id());
    rt.block_on(async {
        REQUEST_ID.set(tag.clone());
        TENANT.set("acme");
        assert_eq!(fetch(1).await.as_deref(), Ok("value-1"));
        assert!(fetch(0).await.is_err());
        // In a spawned task: the record carries the task's (inherited) context.
        let child = ctxrt::spawn(async { fetch(2).await });
        assert_eq!(child.await.unwrap().as_deref(), Ok("value-2"));
        // The call's own sets stayed in the call's context only if it was in a task; here
        // fetch ran in the block_on context, so its set is visible.
        assert!(REQUEST_ID.get().unwrap().ends_with("/inner"));
        let err = ctxrt::spawn(async_panics()).await.unwrap_err();
        assert!(err.is_panic());
    });
    let seen = records_of("fetch", &tag);
    let outcomes: Vec<Outcome> = seen.iter().map(|r| r.1).collect();
    assert_eq!(outcomes, [Outcome::Ok, Outcome::Err, Outcome::Ok]);
    // The record is taken at the end, so it shows the call's own sets.
    assert_eq!(seen[0].2, format!("request_id={tag}/inner tenant=acme"));
    assert!(seen.iter().all(|r| r.3 < Duration::from_secs(5)));
    assert_eq!(records_of("async_panics", &tag)[0].1, Outcome::Panic);
}

fn a_dropped_async_call_is_recorded_cancelled(rt: Runtime) {
    install();
    let tag = format!("cancel-{:?}", std::thread::current().id());
    rt.block_on(async {
        REQUEST_ID.set(tag.clone());
        let task = ctxrt::spawn(sleepy_forever());
        ctxrt::task::yield_now().await;
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
    });
    let seen = records_of("sleepy_forever", &tag);
    // Aborted before its first poll, the call never started: no record. Once started, one
    // CANCELLED record.
    assert!(seen.len() <= 1);
    assert!(seen.iter().all(|r| r.1 == Outcome::Cancelled));
    // A call started and then dropped is always recorded.
    rt.block_on(async {
        REQUEST_ID.set(tag.clone());
        let mut call = Box::pin(sleepy_forever());
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(call.as_mut().poll(&mut cx).is_pending());
    });
    let seen = records_of("sleepy_forever", &tag);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].1, Outcome::Cancelled);
}

use std::future::Future as _;

on_both_flavors!(
    async_fns_record_outcome_bindings_and_time,
    a_dropped_async_call_is_recorded_cancelled
);
