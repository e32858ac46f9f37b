//! A `macro_rules!` writes the attribute and its caller supplies the body (issue 12,
//! behaviour 10): the expansion's own `body` binding must resolve under the caller's
//! hygiene.

macro_rules! entry {
    ($name:ident, $body:block) => {
        #[ctxrt::main(flavor = "current_thread")]
        async fn $name() -> u32 $body
    };
}

entry!(answer, {
    let body = 40; // a user binding named like the expansion's does not clash
    ctxrt::spawn(async move { body + 2 }).await.unwrap()
});

macro_rules! entry_with_statements {
    ($name:ident, $($stmt:stmt;)*) => {
        #[ctxrt::main]
        async fn $name() -> u32 {
            $($stmt;)*
            ctxrt::spawn(async { 7 }).await.unwrap()
        }
    };
}

entry_with_statements!(seven, let _x = 1;);

fn main() {
    assert_eq!(answer(), 42);
    assert_eq!(seven(), 7);
}
