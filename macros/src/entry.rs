//! Validation of the annotated function and generation of the synchronous entry point.
//!
//! This module owns the expansion shared by `#[ctxrt::main]` and `#[ctxrt::test]`. It is
//! called by the two `#[proc_macro_attribute]` functions in `lib.rs`, and calls
//! `config::parse_config` for the attribute's arguments.
//!
//! For `async fn name() -> R { body }` it produces
//!
//! ```text
//! #[::core::prelude::v1::test]            // #[ctxrt::test] only
//! <the function's attributes>
//! <visibility> fn name() -> R {
//!     let body = async move { body };
//!     #[allow(clippy::expect_used, clippy::unwrap_in_result)]
//!     {
//!         ::ctxrt::runtime::Builder::new_multi_thread()   // or new_current_thread()
//!             .worker_threads(N)                           // only if given
//!             .build()
//!             .expect("failed to build the ctxrt runtime")
//!             .block_on(body)
//!     }
//! }
//! ```
//!
//! Rules:
//!
//! 1. On any error the output is the `compile_error!` invocations and never the user's
//!    function: a half-expanded function would add follow-on errors that bury the real
//!    one. The one addition is, for `#[ctxrt::main]` on a fn named `main`, an empty
//!    stand-in `fn main() {}` so that rustc does not also report "`main` function not
//!    found" (E0601) for a crate whose `main` the attribute just rejected.
//! 2. The runtime call is spanned on the last token of the body, so a type mismatch
//!    between the body and the declared return type is reported at the user's code rather
//!    than at the attribute.
//! 3. Identifiers the expansion both binds and uses (`body`) carry one span at both
//!    places, whatever span the surrounding tokens get, so they resolve even when the
//!    function came from a `macro_rules!` with its own hygiene.
//! 4. A `self` receiver is not a parameter: methods are accepted; only typed parameters
//!    get the "cannot accept arguments" error.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::ItemFn;

use crate::config::{parse_config, Config, EntryKind, Errors, Flavor};

/// Why an attribute was rejected, and what to emit besides the errors (rule 1).
struct Rejected {
    /// Every mistake found, combined.
    error: syn::Error,
    /// The stand-in `fn main() {}`, when one is needed.
    stand_in: Option<TokenStream>,
}

/// Expands one attribute; on error returns the `compile_error!`s (see rule 1).
pub(crate) fn expand(args: TokenStream, item: TokenStream, kind: EntryKind) -> TokenStream {
    match try_expand(args, item, kind) {
        Ok(tokens) => tokens,
        Err(Rejected { error, stand_in }) => {
            let mut tokens = error.into_compile_error();
            tokens.extend(stand_in);
            tokens
        }
    }
}

/// Parses and validates both the arguments and the function, reporting every mistake found
/// in either, then generates the entry point.
fn try_expand(
    args: TokenStream,
    item: TokenStream,
    kind: EntryKind,
) -> Result<TokenStream, Rejected> {
    let function = syn::parse2::<ItemFn>(item).map_err(|err| {
        syn::Error::new(
            err.span(),
            format!("{} can only be applied to an `async fn`", kind.attribute()),
        )
    });
    let stand_in = function
        .as_ref()
        .ok()
        .and_then(|function| stand_in_main(function, kind));
    let function = function.and_then(|function| check_function(&function, kind).map(|()| function));
    // Argument errors first: they come first in the source.
    match both(parse_config(args, kind), function) {
        Ok((config, function)) => Ok(generate(&config, function, kind)),
        Err(error) => Err(Rejected { error, stand_in }),
    }
}

/// Both values, or every error among the two.
fn both<A, B>(a: syn::Result<A>, b: syn::Result<B>) -> syn::Result<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(mut first), Err(second)) => {
            first.combine(second);
            Err(first)
        }
        (Err(err), Ok(_)) | (Ok(_), Err(err)) => Err(err),
    }
}

/// The empty `main` emitted next to the errors for a rejected `#[ctxrt::main] fn main`
/// (rule 1). It carries no user code, and `allow(dead_code)` keeps it silent outside a bin.
fn stand_in_main(function: &ItemFn, kind: EntryKind) -> Option<TokenStream> {
    let is_main = kind == EntryKind::Main && function.sig.ident == "main";
    let vis = &function.vis;
    is_main.then(|| quote! { #[allow(dead_code)] #vis fn main() {} })
}

/// Checks that the annotated function is an `async fn` the runtime can call: no
/// parameters, no generic parameters, and (for tests) no second test attribute.
fn check_function(function: &ItemFn, kind: EntryKind) -> syn::Result<()> {
    let attribute = kind.attribute();
    let sig = &function.sig;
    let mut errors = Errors::default();

    if sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            sig.fn_token,
            format!(
                "the `async` keyword is missing from the function declaration; \
                 {attribute} runs an async fn on the ctxrt runtime"
            ),
        ));
    }

    // A `self` receiver is not an argument the runtime has to supply: the method is
    // called on its value as usual, and the body's `async move` captures `self`.
    let real_params = sig
        .inputs
        .iter()
        .filter(|input| matches!(input, syn::FnArg::Typed(_)));
    if real_params.count() > 0 || sig.variadic.is_some() {
        let message = match kind {
            EntryKind::Main if sig.ident == "main" => {
                "the main function cannot accept arguments; read command-line arguments \
                 with `std::env::args()` inside it"
            }
            EntryKind::Main => {
                "a #[ctxrt::main] function cannot accept arguments other than a `self` \
                 receiver; the generated function is called with none"
            }
            EntryKind::Test => {
                "a test function cannot accept arguments; #[ctxrt::test] runs an \
                 `async fn` that takes none"
            }
        };
        errors.push(syn::Error::new(sig.paren_token.span.join(), message));
    }

    if !sig.generics.params.is_empty() {
        let message = match kind {
            EntryKind::Main => {
                "the main function cannot be generic; the runtime calls it without type \
                 or lifetime arguments, so remove the generic parameters"
            }
            EntryKind::Test => {
                "a test function cannot be generic; the test harness calls it without \
                 type or lifetime arguments, so remove the generic parameters"
            }
        };
        errors.push(syn::Error::new_spanned(&sig.generics, message));
    }

    if kind == EntryKind::Test {
        if let Some(test_attr) = function.attrs.iter().find(|a| is_test_attribute(a)) {
            errors.push(syn::Error::new_spanned(
                test_attr,
                "this function already has a test attribute; #[ctxrt::test] adds \
                 `#[test]` itself, so remove this one",
            ));
        }
    }

    errors.finish()
}

/// `#[test]`, or a path to the built-in one such as `#[::core::prelude::v1::test]` (which
/// is what an earlier `#[ctxrt::test]` leaves behind).
fn is_test_attribute(attr: &syn::Attribute) -> bool {
    let path = attr.path();
    let is_prelude_test = path.segments.last().is_some_and(|s| s.ident == "test")
        && path.segments.iter().any(|s| s.ident == "prelude");
    path.is_ident("test") || is_prelude_test
}

/// Generates the synchronous function from a validated [`ItemFn`] and [`Config`].
fn generate(config: &Config, mut function: ItemFn, kind: EntryKind) -> TokenStream {
    function.sig.asyncness = None;
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = function;

    let tail_span = block
        .stmts
        .last()
        .and_then(|stmt| stmt.to_token_stream().into_iter().last())
        .map_or_else(|| block.brace_token.span.close(), |token| token.span());
    let builder = builder_call(config, tail_span);
    // One identifier, with one span, for both the binding and its use: the use sits under
    // `quote_spanned!(tail_span)`, and when a `macro_rules!` supplied the body, `tail_span`
    // carries that macro's hygiene, under which a `body` written there would not resolve
    // to the `body` bound here (rule 3).
    let body = quote! { body };
    // The allow keeps users' restriction lints quiet about code they did not write; it
    // needs a block to attach to, which stays the function's tail expression.
    let tail = quote_spanned! {tail_span=>
        #[allow(clippy::expect_used, clippy::unwrap_in_result)]
        {
            #builder
                .build()
                .expect("failed to build the ctxrt runtime")
                .block_on(#body)
        }
    };
    let test_attr = match kind {
        EntryKind::Main => quote! {},
        EntryKind::Test => quote! { #[::core::prelude::v1::test] },
    };

    quote! {
        #test_attr
        #(#attrs)*
        #vis #sig {
            let #body = async move #block;
            #tail
        }
    }
}

/// `::ctxrt::runtime::Builder::new_…()` (or `<crate>::runtime::…` with `crate = "…"`)
/// plus `.worker_threads(N)` when configured, and `.enable_all()` (I/O and timers, as
/// tokio's macros do).
fn builder_call(config: &Config, span: Span) -> TokenStream {
    let constructor = match config.flavor {
        Flavor::MultiThread => quote_spanned!(span=> new_multi_thread),
        Flavor::CurrentThread => quote_spanned!(span=> new_current_thread),
    };
    let worker_threads = config.worker_threads.map(|n| {
        let n = proc_macro2::Literal::usize_unsuffixed(n);
        quote_spanned!(span=> .worker_threads(#n))
    });
    let krate = config
        .crate_path
        .as_ref()
        .map_or_else(|| quote_spanned!(span=> ::ctxrt), ToTokens::to_token_stream);
    quote_spanned! {span=>
        #krate::runtime::Builder::#constructor()
            #worker_threads
            .enable_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_ok(args: TokenStream, item: TokenStream, kind: EntryKind) -> String {
        match try_expand(args, item, kind) {
            Ok(tokens) => tokens.to_string(),
            Err(rejected) => panic!("expected an expansion, got: {}", rejected.error),
        }
    }

    fn messages(args: TokenStream, item: TokenStream, kind: EntryKind) -> Vec<String> {
        match try_expand(args, item, kind) {
            Ok(tokens) => panic!("expected an error, got: {tokens}"),
            Err(rejected) => rejected.error.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    fn message(args: TokenStream, item: TokenStream, kind: EntryKind) -> String {
        let all = messages(args, item, kind);
        assert_eq!(all.len(), 1, "expected exactly one error, got {all:?}");
        all.into_iter().next().unwrap_or_default()
    }

    #[test]
    fn main_expands_to_a_multi_thread_block_on() {
        let got = expand_ok(
            quote!(),
            quote! {
                #[doc = "entry"]
                pub async fn main() {
                    work().await;
                }
            },
            EntryKind::Main,
        );
        let want = quote! {
            #[doc = "entry"]
            pub fn main() {
                let body = async move {
                    work().await;
                };
                #[allow(clippy::expect_used, clippy::unwrap_in_result)]
                {
                    ::ctxrt::runtime::Builder::new_multi_thread()
                        .enable_all()
                        .build()
                        .expect("failed to build the ctxrt runtime")
                        .block_on(body)
                }
            }
        };
        assert_eq!(got, want.to_string());
    }

    #[test]
    fn main_keeps_the_return_type_and_honours_worker_threads() {
        let got = expand_ok(
            quote!(worker_threads = 3),
            quote! {
                async fn main() -> Result<(), std::io::Error> { Ok(()) }
            },
            EntryKind::Main,
        );
        let want = quote! {
            fn main() -> Result<(), std::io::Error> {
                let body = async move { Ok(()) };
                #[allow(clippy::expect_used, clippy::unwrap_in_result)]
                {
                    ::ctxrt::runtime::Builder::new_multi_thread()
                        .worker_threads(3)
                        .enable_all()
                        .build()
                        .expect("failed to build the ctxrt runtime")
                        .block_on(body)
                }
            }
        };
        assert_eq!(got, want.to_string());
    }

    #[test]
    fn main_with_current_thread() {
        let got = expand_ok(
            quote!(flavor = "current_thread"),
            quote!(
                async fn main() {}
            ),
            EntryKind::Main,
        );
        assert!(
            got.contains(":: ctxrt :: runtime :: Builder :: new_current_thread ()"),
            "{got}"
        );
        assert!(!got.contains("worker_threads"), "{got}");
    }

    #[test]
    fn test_defaults_to_current_thread_and_adds_the_test_attribute() {
        let got = expand_ok(
            quote!(),
            quote! {
                #[should_panic]
                async fn it_works() -> Result<(), String> { Err("no".into()) }
            },
            EntryKind::Test,
        );
        let want = quote! {
            #[::core::prelude::v1::test]
            #[should_panic]
            fn it_works() -> Result<(), String> {
                let body = async move { Err("no".into()) };
                #[allow(clippy::expect_used, clippy::unwrap_in_result)]
                {
                    ::ctxrt::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("failed to build the ctxrt runtime")
                        .block_on(body)
                }
            }
        };
        assert_eq!(got, want.to_string());
    }

    #[test]
    fn test_with_multi_thread_and_two_workers() {
        let got = expand_ok(
            quote!(flavor = "multi_thread", worker_threads = 2),
            quote!(
                async fn spreads() {}
            ),
            EntryKind::Test,
        );
        let want = quote! {
            #[::core::prelude::v1::test]
            fn spreads() {
                let body = async move {};
                #[allow(clippy::expect_used, clippy::unwrap_in_result)]
                {
                    ::ctxrt::runtime::Builder::new_multi_thread()
                        .worker_threads(2)
                        .enable_all()
                        .build()
                        .expect("failed to build the ctxrt runtime")
                        .block_on(body)
                }
            }
        };
        assert_eq!(got, want.to_string());
    }

    #[test]
    fn errors_expand_to_compile_errors_without_the_user_function() {
        let item = quote! {
            pub async fn main() { user_code(); }
        };
        let out = expand(quote!(foo), item.clone(), EntryKind::Main).to_string();
        let want = quote! {
            ::core::compile_error! {
                "unknown attribute `foo`; expected `flavor`, `worker_threads` or `crate`"
            }
            #[allow(dead_code)]
            pub fn main() {}
        };
        assert_eq!(out, want.to_string());

        // Tests and fns not named `main` get no stand-in.
        for (kind, item) in [
            (EntryKind::Test, item),
            (
                EntryKind::Main,
                quote!(
                    async fn run() {}
                ),
            ),
        ] {
            let out = expand(quote!(foo), item, kind).to_string();
            assert!(out.starts_with(":: core :: compile_error !"), "{out}");
            assert!(!out.contains("fn"), "{out}");
        }
    }

    #[test]
    fn missing_async() {
        assert_eq!(
            message(
                quote!(),
                quote!(
                    fn main() {}
                ),
                EntryKind::Main
            ),
            "the `async` keyword is missing from the function declaration; \
             #[ctxrt::main] runs an async fn on the ctxrt runtime"
        );
        assert_eq!(
            message(
                quote!(),
                quote!(
                    fn t() {}
                ),
                EntryKind::Test
            ),
            "the `async` keyword is missing from the function declaration; \
             #[ctxrt::test] runs an async fn on the ctxrt runtime"
        );
    }

    #[test]
    fn arguments_are_rejected() {
        let main = message(
            quote!(),
            quote!(
                async fn main(x: u8) {}
            ),
            EntryKind::Main,
        );
        assert!(
            main.starts_with("the main function cannot accept arguments"),
            "{main}"
        );
        let test = message(
            quote!(),
            quote!(
                async fn t(x: u8) {}
            ),
            EntryKind::Test,
        );
        assert!(
            test.starts_with("a test function cannot accept arguments"),
            "{test}"
        );
    }

    #[test]
    fn a_self_receiver_is_not_an_argument() {
        for item in [
            quote!(
                async fn run(self) {}
            ),
            quote!(
                async fn run(&self) {}
            ),
            quote!(
                async fn run(&mut self) {}
            ),
            quote!(
                async fn run(self: Box<Self>) {}
            ),
        ] {
            let got = expand_ok(quote!(), item.clone(), EntryKind::Main);
            assert!(got.contains("self"), "{got}");
        }
        let msg = message(
            quote!(),
            quote!(
                async fn run(&self, x: u8) {}
            ),
            EntryKind::Main,
        );
        assert!(
            msg.starts_with("a #[ctxrt::main] function cannot accept arguments other than"),
            "{msg}"
        );
    }

    #[test]
    fn crate_renames_the_runtime_path() {
        let got = expand_ok(
            quote!(crate = "reexport::rt"),
            quote!(
                async fn main() {}
            ),
            EntryKind::Main,
        );
        assert!(
            got.contains("reexport :: rt :: runtime :: Builder :: new_multi_thread ()"),
            "{got}"
        );
        assert!(!got.contains(":: ctxrt"), "{got}");
    }

    #[test]
    fn generics_are_rejected() {
        let main = message(
            quote!(),
            quote!(
                async fn main<T>() {}
            ),
            EntryKind::Main,
        );
        assert!(
            main.starts_with("the main function cannot be generic"),
            "{main}"
        );
        let test = message(
            quote!(),
            quote!(
                async fn t<'a>() {}
            ),
            EntryKind::Test,
        );
        assert!(
            test.starts_with("a test function cannot be generic"),
            "{test}"
        );
    }

    #[test]
    fn not_a_function() {
        assert_eq!(
            message(
                quote!(),
                quote!(
                    struct S;
                ),
                EntryKind::Test
            ),
            "#[ctxrt::test] can only be applied to an `async fn`"
        );
    }

    #[test]
    fn a_second_test_attribute_is_rejected() {
        for attr in [quote!(#[test]), quote!(#[::core::prelude::v1::test])] {
            let msg = message(quote!(), quote!(#attr async fn t() {}), EntryKind::Test);
            assert!(
                msg.starts_with("this function already has a test attribute"),
                "{msg}"
            );
        }
    }

    #[test]
    fn argument_and_function_mistakes_are_reported_together() {
        let all = messages(
            quote!(flavor = "bar"),
            quote!(
                fn main(x: u8) {}
            ),
            EntryKind::Main,
        );
        assert_eq!(all.len(), 3, "{all:?}");
    }
}
