// Uses `ctxrt_macros` directly until `ctxrt` re-exports the attributes; then this becomes `#[ctxrt::...]`.
#[ctxrt_macros::main(flavor = "current_thread", worker_threads = 2)]
async fn main() {}
