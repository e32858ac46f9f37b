//! Model 2, tokens across contexts: a token made by a `set` in one thread's context is
//! handed to another thread, which tries to reset the same var in its own context while
//! the first thread goes on using its binding.
//!
//! Proves, in every interleaving: the reset fails with `ResetError::DifferentContext`
//! and changes nothing, neither in the thread that tried (its own binding stays) nor in
//! the thread that made the token (its binding stays until it resets it itself). Both
//! contexts are copies of one parent, so they hold the same bindings and differ only in
//! their context-object identity, which is what the token checks.
#![cfg(loom)]

use ctxrt_context::{Context, ContextVar, ResetError, Token};
use ctxrt_loom_tests::check_deep;
use loom::sync::{Arc, Mutex};
use loom::thread;

static LEVEL: ContextVar<u32> = ContextVar::new("level");

#[test]
fn a_token_from_another_threads_context_resets_nothing() {
    check_deep("context_tokens::foreign_token", 3, || {
        let parent = Context::new().with_value(&LEVEL, 0);
        let mailbox: Arc<Mutex<Option<Token<u32>>>> = Arc::new(Mutex::new(None));

        let mut maker_context = parent.clone();
        let outbox = mailbox.clone();
        let maker = thread::spawn(move || {
            maker_context.run(|| {
                let token = LEVEL.set(1);
                *outbox.lock().unwrap() = Some(token);
                thread::yield_now();
                assert_eq!(LEVEL.get(), Some(1), "a foreign reset changed the maker");
            });
            maker_context
        });

        let mut taker_context = parent.clone();
        let taker = thread::spawn(move || {
            taker_context.run(|| {
                let own = LEVEL.set(2);
                let foreign = loop {
                    if let Some(token) = mailbox.lock().unwrap().take() {
                        break token;
                    }
                    thread::yield_now();
                };
                assert_eq!(LEVEL.reset(foreign), Err(ResetError::DifferentContext));
                assert_eq!(LEVEL.get(), Some(2), "a refused reset changed the taker");
                LEVEL.reset(own).expect("the taker's own token");
                assert_eq!(LEVEL.get(), Some(0));
            });
        });

        let maker_context = maker.join().unwrap();
        taker.join().unwrap();
        assert_eq!(maker_context.get(&LEVEL), Some(1));
        assert_eq!(parent.get(&LEVEL), Some(0));
    });
}
