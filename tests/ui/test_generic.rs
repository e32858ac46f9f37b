// Uses `ctxrt_macros` directly until `ctxrt` re-exports the attributes; then this becomes `#[ctxrt::...]`.
#[ctxrt_macros::test]
async fn generic<T: Default>() {
    let _ = T::default();
}

fn main() {}
