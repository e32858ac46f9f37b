//! Vars declared `.logged()` show their values in log output (`Context`'s `Debug`,
//! `Binding::display`/`debug`, `dump()`, the `serde` JSON); every other var shows its name
//! at most, and its value never.

use ctxrt::context::{dump, LogValue};
use ctxrt::runtime::Runtime;
use ctxrt::{Context, ContextVar};
use ctxrt_tests::on_both_flavors;

static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id").logged();
static TENANT: ContextVar<&'static str> = ContextVar::new("tenant").logged();
static ATTEMPT: ContextVar<u32> = ContextVar::new("attempt").logged();
static API_KEY: ContextVar<String> = ContextVar::new("api_key");
static DB_PASSWORD: ContextVar<String> = ContextVar::new("db_password").task_private();

const SECRET: &str = "hunter2-SECRET";

/// Every output form of `ctx`, concatenated.
fn everything_printed(ctx: &Context) -> String {
    let mut out = format!("{ctx:?}\n");
    for binding in ctx.iter() {
        out += &format!("{} {:?}\n", binding.display(), binding.debug());
    }
    let dumped = ctx.clone().run(dump);
    out += &format!("{dumped} {dumped:?}\n");
    out += &serde_json::to_string(ctx).unwrap();
    out += &serde_json::to_string(&dumped).unwrap();
    out
}

#[test]
fn non_loggable_vars_never_appear_in_output() {
    let ctx = Context::new()
        .with_value(&REQUEST_ID, "r-1".into())
        .with_value(&API_KEY, SECRET.into())
        .with_value(&DB_PASSWORD, SECRET.into());
    let out = everything_printed(&ctx);
    assert!(!out.contains(SECRET), "a secret leaked into:\n{out}");
    assert!(out.contains("r-1"));
    // Names of non-loggable vars may show (Debug, Binding), values never.
    assert!(out.contains("api_key"));
    assert!(!serde_json::to_string(&ctx).unwrap().contains("api_key"));
    assert!(!dump().to_string().contains("api_key"));
}

#[test]
fn debug_and_bindings_show_name_equals_value() {
    let ctx = Context::new()
        .with_value(&REQUEST_ID, "r-1".into())
        .with_value(&API_KEY, SECRET.into())
        .with_value(&TENANT, "acme corp");
    // Order is iteration order (by var id); check it as a set of items.
    let debug = format!("{ctx:?}");
    for item in [r#"request_id="r-1""#, "api_key", r#"tenant="acme corp""#] {
        assert!(debug.contains(item), "{item} missing from {debug}");
    }
    let mut shown: Vec<String> = ctx.iter().map(|b| b.display().to_string()).collect();
    shown.sort();
    assert_eq!(
        shown,
        ["api_key", "request_id=r-1", r#"tenant="acme corp""#]
    );
}

#[test]
fn serde_gives_a_json_object_of_typed_values() {
    let ctx = Context::new()
        .with_value(&REQUEST_ID, "r-9".into())
        .with_value(&ATTEMPT, 3)
        .with_value(&API_KEY, SECRET.into());
    let json: serde_json::Value = serde_json::to_value(&ctx).unwrap();
    assert_eq!(
        json,
        serde_json::json!({ "request_id": "r-9", "attempt": 3 })
    );
    assert_eq!(
        serde_json::to_value(Context::new()).unwrap(),
        serde_json::json!({})
    );
}

fn dump_in_tasks_sees_each_tasks_own_bindings(rt: Runtime) {
    rt.block_on(async {
        REQUEST_ID.set("parent".into());
        API_KEY.set(SECRET.into());
        let child = ctxrt::spawn(async {
            ATTEMPT.set(2);
            let line = dump().to_string();
            let blocking = ctxrt::spawn_blocking(|| dump().to_string()).await.unwrap();
            (line, blocking)
        });
        let (line, blocking) = child.await.unwrap();
        assert_eq!(line, "request_id=parent attempt=2");
        assert_eq!(blocking, "request_id=parent attempt=2");
        assert_eq!(dump().to_string(), "request_id=parent");
        let values: Vec<_> = dump().iter().map(|(n, v)| (n, v.to_string())).collect();
        assert_eq!(values, [("request_id", "parent".to_string())]);
        assert!(matches!(
            Context::new().with_value(&ATTEMPT, 1).logged().next(),
            Some(("attempt", LogValue::U64(1)))
        ));
    });
}

on_both_flavors!(dump_in_tasks_sees_each_tasks_own_bindings);
