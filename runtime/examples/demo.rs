//! A tour of what ctxrt is for: request-scoped context that follows the work.
//!
//! Run it with `cargo run --release --example demo`.

use std::future::Future;
use std::time::{Duration, Instant};

use ctxrt::{Context, ContextVar};

static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id");
static TRACE_ID: ContextVar<u64> = ContextVar::new("trace_id");
static USER: ContextVar<String> = ContextVar::new("user");
static TENANT: ContextVar<String> = ContextVar::with_default("tenant", || "anonymous".into());
/// Per-task bookkeeping that a child must never inherit.
static DB_TX_DEPTH: ContextVar<u32> = ContextVar::new("db_tx_depth").task_private();

/// One log line, prefixed with the ids of the request it belongs to, from the context.
fn log(message: &str) {
    let request = REQUEST_ID.get().unwrap_or_else(|| "-".into());
    let trace = TRACE_ID.get().map_or("-".into(), |t| format!("{t:x}"));
    let thread = std::thread::current();
    println!(
        "  [req={request} trace={trace} tenant={}] {message}  ({})",
        TENANT.get().unwrap_or_default(),
        thread.name().unwrap_or("unnamed thread")
    );
}

/// Times a future and logs how long it took, with the ids from whatever context it runs in.
async fn traced<F: Future>(name: &str, future: F) -> F::Output {
    let start = Instant::now();
    let output = future.await;
    log(&format!("{name} took {:?}", start.elapsed()));
    output
}

/// What a request handler deep in the call stack looks like: no ids passed in by hand.
async fn load_profile() -> String {
    ctxrt::task::yield_now().await;
    log("loading profile");
    format!("profile of {}", USER.get().unwrap_or_default())
}

#[ctxrt::main(worker_threads = 2)]
async fn main() {
    println!("1. A request context, set once at the edge of the service:");
    REQUEST_ID.set("req-7f3a".into());
    TRACE_ID.set(0xC0FFEE);
    USER.set("ada".into());
    TENANT.set("acme".into());
    DB_TX_DEPTH.set(1);
    log("request accepted");

    println!("\n2. ...and seen in spawned tasks, blocking jobs and threads, unasked:");
    let task = ctxrt::spawn(traced("load_profile", load_profile()));
    let blocking = ctxrt::spawn_blocking(|| {
        std::thread::sleep(Duration::from_millis(5));
        log("hashing a password on the blocking pool");
        DB_TX_DEPTH.get()
    });
    let thread = ctxrt::thread::spawn(|| log("audit write on a plain thread"));
    println!("   -> {}", task.await.unwrap());
    let depth_in_job = blocking.await.unwrap();
    thread.join().unwrap();
    println!(
        "   the task-private db_tx_depth stayed with its task: here {:?}, in the job {:?}",
        DB_TX_DEPTH.get(),
        depth_in_job
    );

    println!("\n3. A child's sets never leak back to its parent or siblings:");
    let children: Vec<_> = (1..=3)
        .map(|n| {
            ctxrt::spawn(async move {
                USER.set(format!("child-{n}"));
                ctxrt::task::yield_now().await;
                USER.get().unwrap()
            })
        })
        .collect();
    for child in children {
        print!("   child saw {:?};", child.await.unwrap());
    }
    println!(" parent still sees {:?}", USER.get().unwrap());

    println!("\n4. A scoped override, undone on every exit path:");
    TENANT.scope("acme-eu".into(), || log("inside the scope"));
    log("after the scope");

    println!("\n5. An isolated run: a copy of the context, changed freely:");
    let mut sandbox = ctxrt::copy_context();
    sandbox.run(|| {
        USER.set("impersonated-admin".into());
        log(&format!("sandbox user = {}", USER.get().unwrap()));
    });
    log(&format!("outside, user = {}", USER.get().unwrap()));

    println!("\n6. A snapshot with overrides, handed to a background task:");
    let background = Context::current()
        .with_value(&REQUEST_ID, "req-7f3a/retry-1".into())
        .with_value(&TRACE_ID, 0xBEEF);
    ctxrt::task::spawn_with_context(
        background,
        traced("retry", async { log("retrying with its own ids") }),
    )
    .await
    .unwrap();

    println!("\n7. Everything bound right now:");
    for binding in Context::current().iter() {
        let private = if binding.is_task_private() {
            " (task-private)"
        } else {
            ""
        };
        println!("   {}{private}", binding.name());
    }

    println!("\n8. A panicking task is reported, and leaves nothing behind:");
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let message = info.payload().downcast_ref::<&str>().unwrap_or(&"?");
        println!("   (the panic hook saw: {message})");
    }));
    let failed = ctxrt::spawn(async {
        USER.set("about-to-fail".into());
        panic!("database unreachable")
    })
    .await
    .unwrap_err();
    std::panic::set_hook(default_hook);
    println!("   JoinError: {failed}");
    let fresh = ctxrt::task::spawn_with_context(Context::new(), async { USER.get() });
    println!(
        "   a fresh task on the same workers sees user = {:?}",
        fresh.await.unwrap()
    );
}
