//! Model-based property test of ctxrt-context against a small reference model of Python's
//! `contextvars` semantics.
//!
//! Random programs over three `u64` vars (plain, with a default, task-private) mix `set`,
//! `reset` of any outstanding token (in any order, sometimes through the wrong var),
//! snapshots (`Context::current`, `Context::inherited`, `clone`), entering a saved
//! snapshot with `Context::run` (nested, depth-limited) and `ContextVar::scope`. The model
//! is a stack of entered context objects, each a map from var index to value with an
//! object id; tokens record (var, context object id, old binding). After every operation
//! every observation — `get`, `get_or`, `is_set`, `with`, `Token::old_value`, the result of
//! every `reset`, and `Context::get`/`contains`/`len` of the current context, of an
//! inherited copy and of every saved snapshot — is checked against the model.

use std::collections::BTreeMap;

use ctxrt_context::{Context, ContextVar, ResetError, Token};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// The default of [`DEFAULTED`]; also a value programs may set explicitly.
const DEFAULT: u64 = 1_000_000;
/// What `get_or` is given: never a value programs set.
const FALLBACK: u64 = u64::MAX;
/// Index of the task-private var.
const PRIVATE: usize = 2;
const VAR_COUNT: usize = 3;

static PLAIN: ContextVar<u64> = ContextVar::new("plain");
static DEFAULTED: ContextVar<u64> = ContextVar::with_default("defaulted", || DEFAULT);
static TASK_PRIVATE: ContextVar<u64> = ContextVar::new("task_private").task_private();

fn var(index: usize) -> &'static ContextVar<u64> {
    match index {
        0 => &PLAIN,
        1 => &DEFAULTED,
        PRIVATE => &TASK_PRIVATE,
        _ => unreachable!("var index out of range: {index}"),
    }
}

fn default_of(index: usize) -> Option<u64> {
    (index == 1).then_some(DEFAULT)
}

/// One step of a generated program. Indices into token and snapshot lists are taken
/// modulo the list's length when the step runs (and the step is skipped if it is empty).
#[derive(Debug, Clone)]
enum Op {
    /// `var.set(value)`, keeping the token.
    Set(usize, u64),
    /// Reset the `token`-th outstanding token, through its own var or through `with_var`.
    Reset {
        token: usize,
        with_var: Option<usize>,
    },
    /// Save `Context::current()`.
    Snapshot,
    /// Save `Context::inherited()`.
    Inherited,
    /// Save a clone of a saved snapshot.
    CloneSnapshot(usize),
    /// Check every observation of one var (all are checked after each step anyway).
    Get(usize),
    /// Enter a saved snapshot with `Context::run` and apply the ops inside it.
    Run(usize, Vec<Op>),
    /// `var.scope(value, || ops)`.
    Scope(usize, u64, Vec<Op>),
}

/// A context object in the model: its identity and its bindings.
#[derive(Debug, Clone)]
struct ModelContext {
    id: u64,
    bindings: BTreeMap<usize, u64>,
}

/// What a token recorded at its `set`.
#[derive(Debug)]
struct ModelToken {
    var: usize,
    context: u64,
    old: Option<u64>,
}

/// The implementation and the model, side by side.
struct Harness {
    next_id: u64,
    /// Entered context objects, the current one last.
    stack: Vec<ModelContext>,
    /// Saved snapshots; `None` while entered (its model is then on `stack`).
    snapshots: Vec<Option<(Context, ModelContext)>>,
    tokens: Vec<(Token<u64>, ModelToken)>,
    /// How many resets ended each way, to check the programs exercise all three.
    outcomes: [usize; 3],
}

impl Harness {
    fn new() -> Harness {
        Harness {
            next_id: 1,
            stack: vec![ModelContext {
                id: 0,
                bindings: BTreeMap::new(),
            }],
            snapshots: Vec::new(),
            tokens: Vec::new(),
            outcomes: [0; 3],
        }
    }

    fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn top(&mut self) -> &mut ModelContext {
        self.stack
            .last_mut()
            .expect("the base context is never popped")
    }

    fn apply_all(&mut self, ops: &[Op]) {
        for op in ops {
            self.apply(op);
            self.check_all();
        }
    }

    fn apply(&mut self, op: &Op) {
        match op {
            Op::Set(v, value) => {
                let expected_old = self.top().bindings.insert(*v, *value);
                let token = var(*v).set(*value);
                assert_eq!(
                    token.old_value().copied(),
                    expected_old,
                    "old_value of {op:?}"
                );
                assert_eq!(token.var_name(), var(*v).name());
                let context = self.top().id;
                self.tokens.push((
                    token,
                    ModelToken {
                        var: *v,
                        context,
                        old: expected_old,
                    },
                ));
            }
            Op::Reset { token, with_var } => {
                if self.tokens.is_empty() {
                    return;
                }
                let (token, model) = self.tokens.remove(token % self.tokens.len());
                let through = with_var.unwrap_or(model.var);
                let top = self.top();
                let expected = if through != model.var {
                    Err(ResetError::DifferentVar)
                } else if top.id != model.context {
                    Err(ResetError::DifferentContext)
                } else {
                    match model.old {
                        Some(old) => top.bindings.insert(model.var, old),
                        None => top.bindings.remove(&model.var),
                    };
                    Ok(())
                };
                let actual = var(through).reset(token);
                assert_eq!(actual, expected, "reset of {model:?} through var {through}");
                self.outcomes[match actual {
                    Ok(()) => 0,
                    Err(ResetError::DifferentVar) => 1,
                    Err(_) => 2,
                }] += 1;
            }
            Op::Snapshot => {
                let model = ModelContext {
                    id: self.fresh_id(),
                    bindings: self.top().bindings.clone(),
                };
                self.snapshots.push(Some((Context::current(), model)));
            }
            Op::Inherited => {
                let mut bindings = self.top().bindings.clone();
                bindings.remove(&PRIVATE);
                let model = ModelContext {
                    id: self.fresh_id(),
                    bindings,
                };
                self.snapshots.push(Some((Context::inherited(), model)));
            }
            Op::CloneSnapshot(i) => {
                if self.snapshots.is_empty() {
                    return;
                }
                let i = i % self.snapshots.len();
                let Some((ctx, model)) = &self.snapshots[i] else {
                    return; // entered: borrowed by its run
                };
                let (ctx, bindings) = (ctx.clone(), model.bindings.clone());
                let model = ModelContext {
                    id: self.fresh_id(),
                    bindings,
                };
                self.snapshots.push(Some((ctx, model)));
            }
            Op::Get(v) => self.check_var(*v),
            Op::Run(i, ops) => {
                if self.snapshots.is_empty() {
                    return;
                }
                let i = i % self.snapshots.len();
                let Some((mut ctx, model)) = self.snapshots[i].take() else {
                    return; // already entered further up: Python would refuse too
                };
                self.stack.push(model);
                ctx.run(|| {
                    self.check_all();
                    self.apply_all(ops);
                });
                let model = self.stack.pop().expect("pushed above");
                self.snapshots[i] = Some((ctx, model));
            }
            Op::Scope(v, value, ops) => {
                let old = self.top().bindings.insert(*v, *value);
                let depth = self.stack.len();
                var(*v).scope(*value, || {
                    self.check_all();
                    self.apply_all(ops);
                });
                assert_eq!(self.stack.len(), depth);
                let top = self.top();
                match old {
                    Some(old) => top.bindings.insert(*v, old),
                    None => top.bindings.remove(v),
                };
            }
        }
    }

    /// Every per-var observation in the current context.
    fn check_var(&mut self, v: usize) {
        let bound = self.top().bindings.get(&v).copied();
        let var = var(v);
        assert_eq!(var.get(), bound.or(default_of(v)), "get of var {v}");
        assert_eq!(
            var.get_or(FALLBACK),
            bound.unwrap_or(FALLBACK),
            "get_or of var {v}"
        );
        assert_eq!(var.is_set(), bound.is_some(), "is_set of var {v}");
        assert_eq!(
            var.with(|x| x.copied()),
            bound.or(default_of(v)),
            "with of var {v}"
        );
    }

    /// Every observation: the vars, the current context, an inherited copy, every snapshot.
    fn check_all(&mut self) {
        for v in 0..VAR_COUNT {
            self.check_var(v);
        }
        let top = self.top().clone();
        check_context(&Context::current(), &top.bindings, "Context::current()");
        let mut inherited = top.bindings.clone();
        inherited.remove(&PRIVATE);
        check_context(&Context::inherited(), &inherited, "Context::inherited()");
        for (i, slot) in self.snapshots.iter().enumerate() {
            if let Some((ctx, model)) = slot {
                check_context(ctx, &model.bindings, &format!("snapshot {i}"));
            }
        }
    }
}

/// A context's bindings, seen through `get`, `contains`, `len`, `is_empty` and `iter`.
fn check_context(ctx: &Context, expected: &BTreeMap<usize, u64>, what: &str) {
    for v in 0..VAR_COUNT {
        let bound = expected.get(&v).copied();
        assert_eq!(ctx.get(var(v)), bound, "{what}: get of var {v}");
        assert_eq!(
            ctx.contains(var(v)),
            bound.is_some(),
            "{what}: contains var {v}"
        );
    }
    assert_eq!(ctx.len(), expected.len(), "{what}: len");
    assert_eq!(ctx.is_empty(), expected.is_empty(), "{what}: is_empty");
    let mut iterated: Vec<(&str, bool, u64)> = ctx
        .iter()
        .map(|b| {
            let value = *b.value().downcast_ref::<u64>().expect("all vars are u64");
            (b.name(), b.is_task_private(), value)
        })
        .collect();
    let mut modelled: Vec<(&str, bool, u64)> = expected
        .iter()
        .map(|(&v, &value)| (var(v).name(), v == PRIVATE, value))
        .collect();
    iterated.sort();
    modelled.sort();
    assert_eq!(iterated, modelled, "{what}: iter");
}

fn value() -> impl Strategy<Value = u64> {
    prop_oneof![4 => 0..4u64, 1 => Just(DEFAULT)]
}

fn op() -> impl Strategy<Value = Op> {
    let leaf = prop_oneof![
        5 => (0..VAR_COUNT, value()).prop_map(|(v, x)| Op::Set(v, x)),
        4 => (any::<usize>(), prop::option::weighted(0.2, 0..VAR_COUNT))
            .prop_map(|(token, with_var)| Op::Reset { token, with_var }),
        2 => Just(Op::Snapshot),
        1 => Just(Op::Inherited),
        1 => any::<usize>().prop_map(Op::CloneSnapshot),
        1 => (0..VAR_COUNT).prop_map(Op::Get),
    ];
    // At most 3 levels of Run/Scope nesting.
    leaf.prop_recursive(3, 48, 8, |inner| {
        prop_oneof![
            2 => (any::<usize>(), prop::collection::vec(inner.clone(), 0..8))
                .prop_map(|(i, ops)| Op::Run(i, ops)),
            1 => (0..VAR_COUNT, value(), prop::collection::vec(inner, 0..8))
                .prop_map(|(v, x, ops)| Op::Scope(v, x, ops)),
        ]
    })
}

/// Runs `ops` from a fresh, empty context object; returns the reset outcome counts.
fn run_program(ops: &[Op]) -> [usize; 3] {
    Context::new().run(|| {
        let mut harness = Harness::new();
        harness.check_all();
        harness.apply_all(ops);
        harness.outcomes
    })
}

proptest! {
    #![proptest_config(Config {
        cases: 256,
        // Keep regressions out of the source tree; a failure prints its minimal program.
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn implementation_matches_the_contextvars_model(
        ops in prop::collection::vec(op(), 0..40)
    ) {
        run_program(&ops);
    }
}

/// The generated programs would prove little if resets never failed: check a fixed batch
/// of them reaches every reset outcome.
#[test]
fn generated_programs_reach_every_reset_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let programs = prop::collection::vec(op(), 0..40);
    let mut totals = [0; 3];
    for _ in 0..64 {
        let ops = programs.new_tree(&mut runner).expect("generate").current();
        let outcomes = run_program(&ops);
        for (total, n) in totals.iter_mut().zip(outcomes) {
            *total += n;
        }
    }
    let [ok, different_var, different_context] = totals;
    assert!(ok > 50, "{totals:?}");
    assert!(different_var > 10, "{totals:?}");
    assert!(different_context > 10, "{totals:?}");
}

/// A hand-written program exercising the trickiest interleaving, as a readable example of
/// what the model checks: tokens made inside a snapshot's run reset in a later run of the
/// same snapshot (Ok), but are refused in a clone of it and in the outer context.
#[test]
fn a_fixed_program_matches_the_model() {
    use Op::*;
    let program = vec![
        Set(0, 1),                                // t0, made in the base context
        Set(PRIVATE, 2),                          // t1, base
        Snapshot,                                 // snapshot 0
        Run(0, vec![Set(0, 3), Set(1, DEFAULT)]), // t2, t3, made in snapshot 0
        CloneSnapshot(0),                         // snapshot 1
        Run(
            1,
            vec![Reset {
                token: 2,
                with_var: None,
            }],
        ), // t2 in a clone: DifferentContext
        Run(
            0,
            vec![Reset {
                token: 2,
                with_var: None,
            }],
        ), // t3 at home: Ok
        Reset {
            token: 0,
            with_var: Some(1),
        }, // t0 through the wrong var: DifferentVar
        Run(0, vec![Set(0, 4)]),                  // t4, snapshot 0; outstanding: t1, t4
        Reset {
            token: 1,
            with_var: None,
        }, // t4 outside snapshot 0: DifferentContext
        Reset {
            token: 0,
            with_var: None,
        }, // t1 at home: Ok
        Scope(0, 9, vec![Inherited, Run(2, vec![Get(PRIVATE)]), Get(0)]),
        Get(0),
    ];
    let outcomes = run_program(&program);
    assert_eq!(outcomes, [2, 1, 2], "[Ok, DifferentVar, DifferentContext]");
}
