//! The task state word: every bit, and every transition, in one place.
//!
//! One `AtomicUsize` per task. The low six bits are flags; the rest is the reference count.
//!
//! | bit            | set when                                   | cleared when                  | rules out                                  |
//! |----------------|--------------------------------------------|-------------------------------|--------------------------------------------|
//! | `RUNNING`      | a thread claims the task to poll or cancel  | the poll returns Pending      | a second poller; touching the future       |
//! | `COMPLETE`     | the output (or JoinError) is stored        | never                         | polling again                              |
//! | `NOTIFIED`     | a wake asks for a poll                     | a worker starts the poll      | a second queue entry for the same task     |
//! | `CANCELLED`    | abort or shutdown asks for cancellation    | never                         | polling the future again                   |
//! | `JOIN_INTEREST`| spawn (the JoinHandle exists)              | the JoinHandle is dropped     | dropping the output before it is read      |
//! | `JOIN_WAKER`   | the JoinHandle stored a waker              | the JoinHandle replaces or drops it; the completer after waking it | the JoinHandle writing the waker field |
//!
//! References are held by: the `JoinHandle`, each queued `Notified`, each `Waker`, and the
//! owned-task list. The task is freed when the count reaches zero. Orderings: every
//! transition is an `AcqRel` CAS (or RMW), so the thread that sees a flag also sees the
//! memory written before it was set (the output before `COMPLETE`, the waker before
//! `JOIN_WAKER`); a reference drop is `AcqRel` so the freeing thread sees every use.

use crate::sync::{AtomicUsize, Ordering};

const RUNNING: usize = 1 << 0;
const COMPLETE: usize = 1 << 1;
const NOTIFIED: usize = 1 << 2;
const CANCELLED: usize = 1 << 3;
const JOIN_INTEREST: usize = 1 << 4;
const JOIN_WAKER: usize = 1 << 5;
const REF_ONE: usize = 1 << 6;
const LIFECYCLE: usize = RUNNING | COMPLETE;

/// The state word of one task.
pub(crate) struct State {
    word: AtomicUsize,
}

/// A copy of the state word, read at one instant.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

impl Snapshot {
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub(crate) fn ref_count(self) -> usize {
        self.0 / REF_ONE
    }
    fn is_idle(self) -> bool {
        self.0 & LIFECYCLE == 0
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("notified", &self.is_notified())
            .field("cancelled", &self.is_cancelled())
            .field("join_interest", &self.is_join_interested())
            .field("join_waker", &self.is_join_waker_set())
            .field("refs", &self.ref_count())
            .finish()
    }
}

/// Result of [`State::transition_to_running`].
#[must_use]
pub(crate) enum TransitionToRunning {
    /// The caller may poll the future.
    Success,
    /// The caller owns the task and must cancel it instead of polling.
    Cancelled,
    /// Someone else runs or finished the task; the caller's reference was dropped.
    Failed,
    /// As `Failed`, and it was the last reference: the caller must free the task.
    Dealloc,
}

/// Result of [`State::transition_to_idle`].
#[must_use]
pub(crate) enum TransitionToIdle {
    /// Idle; the poller's reference was dropped.
    Ok,
    /// Woken during the poll: the poller's reference now belongs to a new `Notified`
    /// that the caller must queue.
    OkNotified,
    /// Idle, and the poller held the last reference: free the task.
    OkDealloc,
    /// Cancelled during the poll: the caller still owns the task and must cancel it.
    Cancelled,
}

/// Result of [`State::transition_to_join_handle_dropped`]: what the dropped JoinHandle
/// now owns and must drop itself.
#[must_use]
pub(crate) struct TransitionToJoinHandleDropped {
    /// The task completed first: the output is the JoinHandle's (rule 3).
    pub(crate) drop_output: bool,
    /// `JOIN_WAKER` is clear: the waker field is the JoinHandle's (rule 4).
    pub(crate) drop_waker: bool,
}

/// Result of a wake.
#[must_use]
pub(crate) enum TransitionToNotified {
    /// Nothing to queue.
    DoNothing,
    /// The caller must queue a `Notified` (it owns one reference for it).
    Submit,
    /// Nothing to queue, and the waker held the last reference: free the task.
    Dealloc,
}

impl State {
    /// A new task: notified (about to be queued), with a JoinHandle, and `refs` references.
    pub(crate) fn new(refs: usize) -> State {
        State {
            word: AtomicUsize::new(NOTIFIED | JOIN_INTEREST | (refs * REF_ONE)),
        }
    }

    /// The current state. `Acquire`: pairs with the `AcqRel` transitions, so a reader that
    /// sees `COMPLETE` also sees the stored output.
    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.word.load(Ordering::Acquire))
    }

    /// Runs `f` on the state until its CAS succeeds; `f` returns the next state or stops.
    fn update<R>(&self, mut f: impl FnMut(Snapshot) -> (R, Option<usize>)) -> R {
        let mut current = self.word.load(Ordering::Acquire);
        loop {
            let (result, next) = f(Snapshot(current));
            let Some(next) = next else {
                return result;
            };
            // AcqRel: publishes what this thread wrote before the transition and acquires
            // what the previous transitioner wrote (see the module docs).
            match self.word.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return result,
                Err(actual) => current = actual,
            }
        }
    }

    /// A queued `Notified` is being run: claim the task.
    pub(crate) fn transition_to_running(&self) -> TransitionToRunning {
        self.update(|s| {
            debug_assert!(s.is_notified(), "running a task that was not notified");
            if !s.is_idle() {
                // Someone else holds or finished it; drop the Notified's reference.
                debug_assert!(s.ref_count() > 0);
                let next = s.0 - REF_ONE;
                let action = if Snapshot(next).ref_count() == 0 {
                    TransitionToRunning::Dealloc
                } else {
                    TransitionToRunning::Failed
                };
                return (action, Some(next));
            }
            let next = (s.0 | RUNNING) & !NOTIFIED;
            let action = if s.is_cancelled() {
                TransitionToRunning::Cancelled
            } else {
                TransitionToRunning::Success
            };
            (action, Some(next))
        })
    }

    /// The poll returned `Pending`: release the task. `self_woken`: the task woke itself
    /// during the poll on the polling thread, which was recorded there instead of here
    /// (`waker.rs`); it counts as `NOTIFIED`.
    pub(crate) fn transition_to_idle(&self, self_woken: bool) -> TransitionToIdle {
        self.update(|s| {
            debug_assert!(s.is_running());
            if s.is_cancelled() {
                return (TransitionToIdle::Cancelled, None);
            }
            let mut next = s.0 & !RUNNING;
            if s.is_notified() || self_woken {
                next |= NOTIFIED;
                // The poller's reference moves to the new Notified.
                return (TransitionToIdle::OkNotified, Some(next));
            }
            next -= REF_ONE;
            if Snapshot(next).ref_count() == 0 {
                (TransitionToIdle::OkDealloc, Some(next))
            } else {
                (TransitionToIdle::Ok, Some(next))
            }
        })
    }

    /// The output is stored: RUNNING -> COMPLETE. Returns the state before.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        // AcqRel: publishes the stored output to the JoinHandle (which loads Acquire).
        let prev = Snapshot(self.word.fetch_xor(LIFECYCLE, Ordering::AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete());
        prev
    }

    /// Drops `count` references; true if they were the last.
    pub(crate) fn transition_to_terminal(&self, count: usize) -> bool {
        // AcqRel: the thread that frees the task sees every other holder's last use.
        let prev = Snapshot(self.word.fetch_sub(count * REF_ONE, Ordering::AcqRel));
        debug_assert!(prev.ref_count() >= count, "task reference count underflow");
        prev.ref_count() == count
    }

    /// A waker is consumed by `wake`.
    pub(crate) fn transition_to_notified_by_val(&self) -> TransitionToNotified {
        self.update(|s| {
            if s.is_running() {
                // The poller re-queues it; the waker's reference goes.
                let next = (s.0 | NOTIFIED) - REF_ONE;
                debug_assert!(Snapshot(next).ref_count() > 0);
                (TransitionToNotified::DoNothing, Some(next))
            } else if s.is_complete() || s.is_notified() {
                let next = s.0 - REF_ONE;
                if Snapshot(next).ref_count() == 0 {
                    (TransitionToNotified::Dealloc, Some(next))
                } else {
                    (TransitionToNotified::DoNothing, Some(next))
                }
            } else {
                // The waker's reference becomes the Notified's.
                (TransitionToNotified::Submit, Some(s.0 | NOTIFIED))
            }
        })
    }

    /// A waker is used by `wake_by_ref`.
    pub(crate) fn transition_to_notified_by_ref(&self) -> TransitionToNotified {
        self.update(|s| {
            if s.is_complete() || s.is_notified() {
                (TransitionToNotified::DoNothing, None)
            } else if s.is_running() {
                (TransitionToNotified::DoNothing, Some(s.0 | NOTIFIED))
            } else {
                (
                    TransitionToNotified::Submit,
                    Some((s.0 | NOTIFIED) + REF_ONE),
                )
            }
        })
    }

    /// `JoinHandle::abort`: true if the caller must queue a `Notified` (reference taken)
    /// so a worker cancels the idle task.
    pub(crate) fn transition_to_notified_and_cancel(&self) -> bool {
        self.update(|s| {
            if s.is_cancelled() || s.is_complete() {
                (false, None)
            } else if s.is_running() || s.is_notified() {
                // The poller, or the queued entry's runner, will see CANCELLED.
                (false, Some(s.0 | NOTIFIED | CANCELLED))
            } else {
                (true, Some((s.0 | NOTIFIED | CANCELLED) + REF_ONE))
            }
        })
    }

    /// Shutdown: marks the task cancelled; true if the caller claimed it (it was idle or
    /// queued) and must cancel it now.
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        self.update(|s| {
            if s.is_idle() {
                (true, Some(s.0 | RUNNING | CANCELLED))
            } else {
                (false, Some(s.0 | CANCELLED))
            }
        })
    }

    /// One more reference (a cloned waker).
    pub(crate) fn ref_inc(&self) {
        // Relaxed: taking a reference needs an existing one, which already orders access.
        let prev = self.word.fetch_add(REF_ONE, Ordering::Relaxed);
        if prev > usize::MAX / 2 {
            std::process::abort();
        }
    }

    /// One reference fewer; true if it was the last (the caller frees the task).
    pub(crate) fn ref_dec(&self) -> bool {
        self.transition_to_terminal(1)
    }

    /// The JoinHandle is dropped: clears `JOIN_INTEREST`, and `JOIN_WAKER` too if the
    /// task is not complete (so the completer never touches the waker field again). The
    /// JoinHandle then drops the output if the task completed first (rule 3), and the
    /// stored waker if `JOIN_WAKER` ends up clear (rule 4): a waker left in the cell could
    /// hold the task that owned this JoinHandle, a reference cycle that would never be
    /// freed.
    pub(crate) fn transition_to_join_handle_dropped(&self) -> TransitionToJoinHandleDropped {
        self.update(|s| {
            debug_assert!(s.is_join_interested());
            let mut next = s.0 & !JOIN_INTEREST;
            if !s.is_complete() {
                next &= !JOIN_WAKER;
            }
            let transition = TransitionToJoinHandleDropped {
                drop_output: s.is_complete(),
                drop_waker: !Snapshot(next).is_join_waker_set(),
            };
            (transition, Some(next))
        })
    }

    /// The completer has woken the JoinHandle: it clears `JOIN_WAKER`, giving the waker
    /// field back to the JoinHandle (rule 4). Returns the state after: if the JoinHandle
    /// was dropped meanwhile (no `JOIN_INTEREST`), the completer drops the waker.
    pub(crate) fn unset_waker_after_complete(&self) -> Snapshot {
        // AcqRel: pairs with transition_to_join_handle_dropped, so exactly one of the two
        // sees the other done and drops the waker, after the other's last use of it.
        let prev = Snapshot(self.word.fetch_and(!JOIN_WAKER, Ordering::AcqRel));
        debug_assert!(prev.is_complete() && prev.is_join_waker_set());
        Snapshot(prev.0 & !JOIN_WAKER)
    }

    /// The JoinHandle has written its waker: publish it. `Err` if the task completed first
    /// (the JoinHandle still owns the waker field and must read the output instead).
    pub(crate) fn set_join_waker(&self) -> Result<(), Snapshot> {
        self.update(|s| {
            debug_assert!(s.is_join_interested() && !s.is_join_waker_set());
            if s.is_complete() {
                (Err(s), None)
            } else {
                (Ok(()), Some(s.0 | JOIN_WAKER))
            }
        })
    }

    /// The JoinHandle takes its waker field back to replace the waker. `Err` if the task
    /// completed (the waker may be in use by the completer; read the output instead).
    pub(crate) fn unset_join_waker(&self) -> Result<(), Snapshot> {
        self.update(|s| {
            debug_assert!(s.is_join_interested());
            if s.is_complete() {
                // The completer may have cleared JOIN_WAKER already, after waking us
                // (`unset_waker_after_complete`): only an incomplete task still has it.
                return (Err(s), None);
            }
            debug_assert!(s.is_join_waker_set());
            (Ok(()), Some(s.0 & !JOIN_WAKER))
        })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn spawn_run_idle_wake_complete() {
        let state = State::new(3);
        assert!(matches!(
            state.transition_to_running(),
            TransitionToRunning::Success
        ));
        // Pending with no wake: the Notified's reference is dropped.
        assert!(matches!(
            state.transition_to_idle(false),
            TransitionToIdle::Ok
        ));
        assert_eq!(state.load().ref_count(), 2);
        // wake_by_ref while idle: submit with a new reference.
        assert!(matches!(
            state.transition_to_notified_by_ref(),
            TransitionToNotified::Submit
        ));
        assert_eq!(state.load().ref_count(), 3);
        assert!(matches!(
            state.transition_to_running(),
            TransitionToRunning::Success
        ));
        let prev = state.transition_to_complete();
        assert!(prev.is_join_interested());
        assert!(state.load().is_complete());
        assert!(!state.transition_to_terminal(2));
        let dropped = state.transition_to_join_handle_dropped();
        assert!(dropped.drop_output && dropped.drop_waker);
        assert!(state.ref_dec());
    }

    #[test]
    fn wake_during_poll_requeues_once() {
        let state = State::new(2);
        assert!(matches!(
            state.transition_to_running(),
            TransitionToRunning::Success
        ));
        assert!(matches!(
            state.transition_to_notified_by_ref(),
            TransitionToNotified::DoNothing
        ));
        assert!(matches!(
            state.transition_to_notified_by_ref(),
            TransitionToNotified::DoNothing
        ));
        assert!(matches!(
            state.transition_to_idle(false),
            TransitionToIdle::OkNotified
        ));
        assert_eq!(
            state.load().ref_count(),
            2,
            "the poller's ref moved to the new Notified"
        );
    }

    #[test]
    fn a_recorded_self_wake_requeues_like_a_notification() {
        let state = State::new(2);
        assert!(matches!(
            state.transition_to_running(),
            TransitionToRunning::Success
        ));
        assert!(matches!(
            state.transition_to_idle(true),
            TransitionToIdle::OkNotified
        ));
        let s = state.load();
        assert!(s.is_notified() && !s.is_running());
        assert_eq!(
            s.ref_count(),
            2,
            "the poller's ref moved to the new Notified"
        );
        assert!(matches!(
            state.transition_to_running(),
            TransitionToRunning::Success
        ));
    }

    #[test]
    fn abort_idle_task_submits_it_cancelled() {
        let state = State::new(2);
        assert!(matches!(
            state.transition_to_running(),
            TransitionToRunning::Success
        ));
        assert!(matches!(
            state.transition_to_idle(false),
            TransitionToIdle::Ok
        ));
        assert!(state.transition_to_notified_and_cancel());
        assert!(
            !state.transition_to_notified_and_cancel(),
            "abort is idempotent"
        );
        assert!(matches!(
            state.transition_to_running(),
            TransitionToRunning::Cancelled
        ));
    }

    #[test]
    fn a_dropped_join_handle_takes_its_waker_back_from_an_unfinished_task() {
        let state = State::new(2);
        assert!(state.set_join_waker().is_ok());
        let dropped = state.transition_to_join_handle_dropped();
        assert!(!dropped.drop_output, "nothing to drop yet");
        assert!(
            dropped.drop_waker,
            "the waker would keep the awaiting task alive"
        );
        let s = state.load();
        assert!(!s.is_join_interested() && !s.is_join_waker_set());
    }

    #[test]
    fn after_completion_exactly_one_side_drops_the_waker() {
        // The completer clears JOIN_WAKER first: the JoinHandle, dropped later, drops it.
        let state = State::new(2);
        assert!(state.set_join_waker().is_ok());
        assert!(matches!(
            state.transition_to_running(),
            TransitionToRunning::Success
        ));
        assert!(state.transition_to_complete().is_join_waker_set());
        assert!(state.unset_waker_after_complete().is_join_interested());
        let dropped = state.transition_to_join_handle_dropped();
        assert!(dropped.drop_output && dropped.drop_waker);
        // The JoinHandle is dropped first: it leaves the waker to the completer.
        let state = State::new(2);
        assert!(state.set_join_waker().is_ok());
        assert!(matches!(
            state.transition_to_running(),
            TransitionToRunning::Success
        ));
        let _ = state.transition_to_complete();
        let dropped = state.transition_to_join_handle_dropped();
        assert!(dropped.drop_output && !dropped.drop_waker);
        assert!(!state.unset_waker_after_complete().is_join_interested());
    }

    #[test]
    fn replacing_the_waker_after_the_completer_cleared_it_reads_the_output() {
        let state = State::new(2);
        assert!(state.set_join_waker().is_ok());
        assert!(matches!(
            state.transition_to_running(),
            TransitionToRunning::Success
        ));
        let _ = state.transition_to_complete();
        let _ = state.unset_waker_after_complete();
        // A JoinHandle polled with a new waker, which saw JOIN_WAKER before completion.
        assert!(state.unset_join_waker().is_err());
    }

    #[test]
    fn shutdown_claims_only_idle_tasks() {
        let idle = State::new(2);
        assert!(idle.transition_to_shutdown());
        let running = State::new(2);
        assert!(matches!(
            running.transition_to_running(),
            TransitionToRunning::Success
        ));
        assert!(!running.transition_to_shutdown());
        assert!(matches!(
            running.transition_to_idle(false),
            TransitionToIdle::Cancelled
        ));
    }
}
