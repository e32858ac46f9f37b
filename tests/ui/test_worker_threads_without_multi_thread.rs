// Uses `ctxrt_macros` directly until `ctxrt` re-exports the attributes; then this becomes `#[ctxrt::...]`.
#[ctxrt_macros::test(worker_threads = 2)]
async fn spreads() {}

fn main() {}
