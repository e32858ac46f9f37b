//! `crate = "path"` names the ctxrt crate through a re-export, as tokio's `crate` argument.

mod reexport {
    pub use ctxrt as rt;
}

#[ctxrt::main(crate = "reexport::rt", flavor = "current_thread")]
async fn run() -> u8 {
    reexport::rt::spawn(async { 5 }).await.unwrap()
}

fn main() {
    assert_eq!(run(), 5);
}
