//! `#[ctxrt::traced]`: records every call of a fn (its name, the loggable context bindings,
//! the time it took and `OK`/`ERR`) through `ctxrt::context::__traced`.
//!
//! For `fn name(args) -> R { body }` it produces
//!
//! ```text
//! fn name(args) -> R {
//!     let call = ::ctxrt::context::__traced::Call::start("name", module_path!(), false);
//!     let out = (move || -> R { body })();            // `return` and `?` stay the body's
//!     call.finish(outcome of &out);                   // Err(_) => ERR, else OK
//!     out
//! }
//! ```
//!
//! and for an `async fn`, `typed::<R, _>(async move { body }).await` in place of the
//! closure call (the output type pinned to `R` so `?` infers as in the fn). A panic drops
//! `call` unfinished, which records `PANIC` and lets the unwind continue; an async call
//! dropped before completion records `CANCELLED`. An `impl Trait` return type is left out
//! of the closure or `typed` (it cannot be named there).
//!
//! Rules: as in `entry.rs`, a rejected item yields only the `compile_error!`s; the
//! expansion's own identifiers are `mixed_site` so they never clash with the body's.

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::visit::Visit;
use syn::{ItemFn, ReturnType};

/// Expands `#[ctxrt::traced]`; on error, the `compile_error!`s.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(args, item) {
        Ok(tokens) => tokens,
        Err(error) => error.into_compile_error(),
    }
}

fn try_expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    if !args.is_empty() {
        return Err(syn::Error::new_spanned(
            args,
            "#[ctxrt::traced] takes no arguments; the record is named after the fn and \
             carries the context's loggable vars (declare them with `.logged()`)",
        ));
    }
    let function: ItemFn = syn::parse2(item.clone()).map_err(|_| {
        syn::Error::new_spanned(
            first_tokens(item),
            "#[ctxrt::traced] goes on a fn with a body (sync or async), such as \
             `#[ctxrt::traced] async fn handle(req: Request) -> Result<Response, Error>`",
        )
    })?;
    if let Some(constness) = function.sig.constness {
        return Err(syn::Error::new_spanned(
            constness,
            "#[ctxrt::traced] cannot trace a `const fn`: it reads the clock and the \
             context at run time; remove `const` or the attribute",
        ));
    }
    Ok(generate(function))
}

/// The first two tokens of a rejected item, for the error to point at (`struct Foo`).
fn first_tokens(item: TokenStream) -> TokenStream {
    item.into_iter().take(2).collect()
}

fn generate(mut function: ItemFn) -> TokenStream {
    let name = function.sig.ident.to_string();
    let is_async = function.sig.asyncness.is_some();
    let call = syn::Ident::new("__ctxrt_traced_call", Span::mixed_site());
    let out = syn::Ident::new("__ctxrt_traced_out", Span::mixed_site());
    let block = &function.block;
    let nameable = match &function.sig.output {
        ReturnType::Default => Some(quote!(())),
        ReturnType::Type(_, ty) if !has_impl_trait(ty) => Some(ty.to_token_stream()),
        ReturnType::Type(..) => None,
    };
    let run = if is_async {
        match &nameable {
            Some(ty) => quote! {
                ::ctxrt::context::__traced::typed::<#ty, _>(async move #block).await
            },
            None => quote! { async move #block .await },
        }
    } else {
        let ret = nameable.map(|ty| quote!(-> #ty));
        quote! { (move || #ret #block)() }
    };
    let body = quote! {
        {
            let #call = ::ctxrt::context::__traced::Call::start(
                #name,
                ::core::module_path!(),
                #is_async,
            );
            #[allow(clippy::redundant_closure_call)]
            let #out = #run;
            {
                #[allow(unused_imports)]
                use ::ctxrt::context::__traced::{AnyOutcome as _, ResultOutcome as _};
                #call.finish((&&#out).__ctxrt_outcome());
            }
            #out
        }
    };
    function.block = Box::new(syn::parse2(body).expect("the traced body is a block"));
    function.into_token_stream()
}

/// Whether `ty` holds an `impl Trait` (not nameable in a closure's or `typed`'s type).
fn has_impl_trait(ty: &syn::Type) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    finder.visit_type(ty);
    finder.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(args: TokenStream, item: TokenStream) -> String {
        try_expand(args, item).unwrap_err().to_string()
    }

    #[test]
    fn misuse_is_rejected_with_guidance() {
        assert!(message(
            quote!(level = "info"),
            quote!(
                fn f() {}
            )
        )
        .contains("takes no arguments"));
        assert!(message(
            quote!(),
            quote!(
                struct S;
            )
        )
        .contains("goes on a fn with a body"));
        assert!(message(
            quote!(),
            quote!(
                const fn f() {}
            )
        )
        .contains("`const fn`"));
    }

    #[test]
    fn impl_trait_returns_are_not_named() {
        let ty: syn::Type = syn::parse_quote!(Box<impl Fn()>);
        assert!(has_impl_trait(&ty));
        let ty: syn::Type = syn::parse_quote!(Result<u8, String>);
        assert!(!has_impl_trait(&ty));
    }

    #[test]
    fn async_bodies_are_typed_and_sync_ones_closed_over() {
        let sync = try_expand(
            quote!(),
            quote!(
                fn f() -> u8 {
                    1
                }
            ),
        )
        .unwrap()
        .to_string();
        assert!(sync.contains("(move | | -> u8 { 1 }) ()"), "{sync}");
        let async_ = try_expand(
            quote!(),
            quote!(
                async fn f() -> u8 {
                    1
                }
            ),
        )
        .unwrap()
        .to_string();
        assert!(async_.contains("typed :: < u8 , _ >"), "{async_}");
    }
}
