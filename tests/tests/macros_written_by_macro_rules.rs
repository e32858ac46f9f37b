//! `#[ctxrt::test]` written by a `macro_rules!` whose caller supplies the body runs the
//! body (issue 12, behaviour 10): the expansion's `body` binding resolves under the
//! caller's hygiene. Both flavours.

use ctxrt::task::yield_now;

macro_rules! ctxrt_test {
    ($name:ident, $flavor:literal, $body:block) => {
        #[ctxrt::test(flavor = $flavor)]
        async fn $name() $body
    };
}

ctxrt_test!(
    current_thread_body_from_the_caller_runs,
    "current_thread",
    {
        yield_now().await;
        let body = 20; // the caller's own `body` does not clash with the expansion's
        assert_eq!(ctxrt::spawn(async move { body + 1 }).await.unwrap(), 21);
    }
);

ctxrt_test!(multi_thread_body_from_the_caller_runs, "multi_thread", {
    let name = ctxrt::spawn(async { std::thread::current().name().map(String::from) })
        .await
        .unwrap();
    assert!(name.unwrap().starts_with("ctxrt-worker-"));
});
