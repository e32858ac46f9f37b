// Uses `ctxrt_macros` directly until `ctxrt` re-exports the attributes; then this becomes `#[ctxrt::...]`.
#[ctxrt_macros::main]
async fn main<T: Default>() {
    let _ = T::default();
}
