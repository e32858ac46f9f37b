//! Parsing of the attribute arguments (`flavor = "..."`, `worker_threads = N`) into a
//! [`Config`].
//!
//! This module owns the only grammar the two attributes accept and every message that
//! rejects an argument. Called by `entry::expand` with the tokens between the attribute's
//! parentheses. It never sees the function the attribute is on.
//!
//! Rules the returned [`Config`] always satisfies (the expansion relies on them):
//!
//! 1. `worker_threads` is `Some(n)` only when `flavor` is [`Flavor::MultiThread`], and then
//!    `n > 0`.
//! 2. Each argument was given at most once.
//!
//! Every rejected argument becomes a `syn::Error` spanned on the offending token whose
//! message says what is wrong and what is accepted. Independent mistakes are combined so
//! the user sees all of them in one build.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, Meta, Token};

/// Which attribute is being expanded; decides the default flavor and the wording of
/// messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    /// `#[ctxrt::main]`: defaults to [`Flavor::MultiThread`].
    Main,
    /// `#[ctxrt::test]`: defaults to [`Flavor::CurrentThread`].
    Test,
}

impl EntryKind {
    /// The attribute as a user writes it, for messages.
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            EntryKind::Main => "#[ctxrt::main]",
            EntryKind::Test => "#[ctxrt::test]",
        }
    }

    /// The flavor used when the user gives no `flavor` argument.
    fn default_flavor(self) -> Flavor {
        match self {
            EntryKind::Main => Flavor::MultiThread,
            EntryKind::Test => Flavor::CurrentThread,
        }
    }
}

/// The runtime the expansion builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `Builder::new_multi_thread()`: a pool of worker threads.
    MultiThread,
    /// `Builder::new_current_thread()`: everything runs on the thread calling `block_on`.
    CurrentThread,
}

impl Flavor {
    /// Parses the string given as `flavor = "..."`.
    fn from_name(name: &str) -> Option<Flavor> {
        match name {
            "multi_thread" => Some(Flavor::MultiThread),
            "current_thread" => Some(Flavor::CurrentThread),
            _ => None,
        }
    }
}

/// The validated arguments of one attribute. See the module header for its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    /// The runtime flavor, given or defaulted from the [`EntryKind`].
    pub(crate) flavor: Flavor,
    /// `Some(n)` when `worker_threads = n` was given; `None` keeps the builder's default.
    pub(crate) worker_threads: Option<usize>,
    /// `Some(path)` when `crate = "path"` was given: the path the expansion names the
    /// `ctxrt` crate by (for a crate that re-exports ctxrt, as tokio's `crate` argument);
    /// `None` means `::ctxrt`.
    pub(crate) crate_path: Option<syn::Path>,
}

/// What `flavor` and `worker_threads` accept, appended to messages about malformed
/// arguments.
const ACCEPTED: &str = "the accepted arguments are `flavor = \"multi_thread\"`, \
                        `flavor = \"current_thread\"`, `worker_threads = N` and \
                        `crate = \"path::to::ctxrt\"`";

/// Parses the attribute's arguments (the tokens inside its parentheses, possibly empty).
pub(crate) fn parse_config(args: TokenStream, kind: EntryKind) -> syn::Result<Config> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated
        .parse2(args)
        .map_err(|err| {
            syn::Error::new(
                err.span(),
                format!("invalid attribute argument ({err}); {ACCEPTED}"),
            )
        })?;

    let mut errors = Errors::default();
    // Each slot holds the value and the span of the argument's name, used to point at a
    // duplicate or a conflict.
    let mut flavor: Option<(Flavor, Span)> = None;
    let mut worker_threads: Option<(usize, Span)> = None;
    let mut seen_flavor = false;
    let mut seen_worker_threads = false;
    let mut crate_path: Option<syn::Path> = None;
    let mut seen_crate = false;

    for meta in metas {
        let name = meta.path();
        let name_span = name.span();
        let (label, seen) = if name.is_ident("flavor") {
            ("flavor", &mut seen_flavor)
        } else if name.is_ident("worker_threads") {
            ("worker_threads", &mut seen_worker_threads)
        } else if name.is_ident("crate") {
            ("crate", &mut seen_crate)
        } else {
            errors.push(syn::Error::new(
                name_span,
                format!(
                    "unknown attribute `{}`; expected `flavor`, `worker_threads` or `crate`",
                    path_to_string(name)
                ),
            ));
            continue;
        };
        if std::mem::replace(seen, true) {
            errors.push(syn::Error::new(
                name_span,
                format!("the `{label}` attribute is given twice; give it once"),
            ));
            continue;
        }
        let value = match value_of(&meta, label) {
            Ok(value) => value,
            Err(err) => {
                errors.push(err);
                continue;
            }
        };
        let parsed = if label == "flavor" {
            parse_flavor(value).map(|f| flavor = Some((f, name_span)))
        } else if label == "crate" {
            parse_crate_path(value).map(|path| crate_path = Some(path))
        } else {
            parse_worker_threads(value).map(|n| worker_threads = Some((n, name_span)))
        };
        if let Err(err) = parsed {
            errors.push(err);
        }
    }

    let flavor_given = flavor.is_some();
    let flavor = flavor.map_or(kind.default_flavor(), |(f, _)| f);
    if let (Flavor::CurrentThread, Some((_, span))) = (flavor, worker_threads) {
        let hint = if flavor_given {
            "; remove `worker_threads` or use `flavor = \"multi_thread\"`".to_owned()
        } else {
            format!(
                "; {} defaults to `current_thread`, add `flavor = \"multi_thread\"` to use worker threads",
                kind.attribute()
            )
        };
        errors.push(syn::Error::new(
            span,
            format!(
                "`worker_threads` cannot be set with `flavor = \"current_thread\"` \
                 (it always runs on the calling thread){hint}"
            ),
        ));
    }

    errors.finish()?;
    Ok(Config {
        flavor,
        worker_threads: worker_threads.map(|(n, _)| n),
        crate_path,
    })
}

/// The value of `name = value`, or an error saying the argument needs one.
fn value_of<'a>(meta: &'a Meta, label: &str) -> syn::Result<&'a Expr> {
    let example = if label == "flavor" {
        "`flavor = \"multi_thread\"` or `flavor = \"current_thread\"`"
    } else if label == "crate" {
        "`crate = \"path::to::ctxrt\"`"
    } else {
        "`worker_threads = 4`"
    };
    match meta {
        Meta::NameValue(name_value) => Ok(&name_value.value),
        Meta::Path(_) | Meta::List(_) => Err(syn::Error::new(
            meta.span(),
            format!("the `{label}` attribute takes a value; write {example}"),
        )),
    }
}

/// Parses the value of `flavor = "..."`.
fn parse_flavor(value: &Expr) -> syn::Result<Flavor> {
    let Expr::Lit(ExprLit {
        lit: Lit::Str(lit), ..
    }) = value
    else {
        return Err(syn::Error::new(
            value.span(),
            "`flavor` expects a string literal; write `flavor = \"multi_thread\"` or \
             `flavor = \"current_thread\"`",
        ));
    };
    let name = lit.value();
    Flavor::from_name(&name).ok_or_else(|| {
        syn::Error::new(
            lit.span(),
            format!("unknown runtime flavor `{name}`; expected `multi_thread` or `current_thread`"),
        )
    })
}

/// Parses the value of `crate = "path"`: a string literal holding a path, like tokio's
/// `crate` argument.
fn parse_crate_path(value: &Expr) -> syn::Result<syn::Path> {
    let Expr::Lit(ExprLit {
        lit: Lit::Str(lit), ..
    }) = value
    else {
        return Err(syn::Error::new(
            value.span(),
            "`crate` expects a string literal holding a path; write \
             `crate = \"path::to::ctxrt\"`",
        ));
    };
    lit.parse::<syn::Path>().map_err(|err| {
        syn::Error::new(
            lit.span(),
            format!(
                "`crate` expects a path such as `my_crate::ctxrt` ({err}); write \
                 `crate = \"path::to::ctxrt\"`"
            ),
        )
    })
}

/// Parses the value of `worker_threads = N`.
fn parse_worker_threads(value: &Expr) -> syn::Result<usize> {
    let Expr::Lit(ExprLit {
        lit: Lit::Int(lit), ..
    }) = value
    else {
        return Err(syn::Error::new(
            value.span(),
            "`worker_threads` expects an integer literal greater than 0, e.g. \
             `worker_threads = 4`",
        ));
    };
    if !matches!(lit.suffix(), "" | "usize") {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "`worker_threads` is a `usize`, not a `{}`; write it without a suffix, e.g. \
                 `worker_threads = 4`",
                lit.suffix()
            ),
        ));
    }
    // syn reads `-1` as one negative integer literal.
    if lit.base10_digits().starts_with('-') {
        return Err(syn::Error::new(
            value.span(),
            "`worker_threads` must be greater than 0",
        ));
    }
    let n: usize = lit.base10_parse().map_err(|err| {
        syn::Error::new(
            lit.span(),
            format!("`worker_threads` does not fit in a `usize` ({err}); give a thread count"),
        )
    })?;
    if n == 0 {
        return Err(syn::Error::new(
            lit.span(),
            "`worker_threads` must be greater than 0",
        ));
    }
    Ok(n)
}

/// `a::b` for a multi-segment path, `foo` for an identifier.
fn path_to_string(path: &syn::Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

/// Collects independent errors so that all of them are reported in one build.
#[derive(Default)]
pub(crate) struct Errors {
    first: Option<syn::Error>,
}

impl Errors {
    /// Records one more error.
    pub(crate) fn push(&mut self, err: syn::Error) {
        match &mut self.first {
            Some(first) => first.combine(err),
            None => self.first = Some(err),
        }
    }

    /// `Err` with every recorded error, or `Ok(())` when there were none.
    pub(crate) fn finish(self) -> syn::Result<()> {
        self.first.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(args: TokenStream, kind: EntryKind) -> Config {
        match parse_config(args, kind) {
            Ok(config) => config,
            Err(err) => panic!("expected the arguments to parse, got: {err}"),
        }
    }

    /// All messages of the (possibly combined) error.
    fn messages(args: TokenStream, kind: EntryKind) -> Vec<String> {
        match parse_config(args, kind) {
            Ok(config) => panic!("expected an error, got {config:?}"),
            Err(err) => err.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    fn message(args: TokenStream, kind: EntryKind) -> String {
        let all = messages(args, kind);
        assert_eq!(all.len(), 1, "expected exactly one error, got {all:?}");
        all.into_iter().next().unwrap_or_default()
    }

    #[test]
    fn main_defaults_to_multi_thread() {
        let config = parse(quote!(), EntryKind::Main);
        assert_eq!(
            config,
            Config {
                flavor: Flavor::MultiThread,
                worker_threads: None,
                crate_path: None,
            }
        );
    }

    #[test]
    fn test_defaults_to_current_thread() {
        let config = parse(quote!(), EntryKind::Test);
        assert_eq!(
            config,
            Config {
                flavor: Flavor::CurrentThread,
                worker_threads: None,
                crate_path: None,
            }
        );
    }

    #[test]
    fn explicit_flavors_override_the_default() {
        let main = parse(quote!(flavor = "current_thread"), EntryKind::Main);
        assert_eq!(main.flavor, Flavor::CurrentThread);
        let test = parse(quote!(flavor = "multi_thread"), EntryKind::Test);
        assert_eq!(test.flavor, Flavor::MultiThread);
    }

    #[test]
    fn worker_threads_in_either_order_and_with_trailing_comma() {
        let expected = Config {
            flavor: Flavor::MultiThread,
            worker_threads: Some(2),
            crate_path: None,
        };
        let a = parse(
            quote!(flavor = "multi_thread", worker_threads = 2),
            EntryKind::Test,
        );
        let b = parse(
            quote!(worker_threads = 2, flavor = "multi_thread",),
            EntryKind::Test,
        );
        let c = parse(quote!(worker_threads = 2usize), EntryKind::Main);
        assert_eq!((a, b, c), (expected.clone(), expected.clone(), expected));
    }

    #[test]
    fn unknown_attribute() {
        assert_eq!(
            message(quote!(foo = 1), EntryKind::Main),
            "unknown attribute `foo`; expected `flavor`, `worker_threads` or `crate`"
        );
        assert_eq!(
            message(quote!(a::b), EntryKind::Test),
            "unknown attribute `a::b`; expected `flavor`, `worker_threads` or `crate`"
        );
    }

    #[test]
    fn crate_takes_a_path_in_a_string() {
        let config = parse(quote!(crate = "reexported::ctxrt"), EntryKind::Main);
        let path = config.crate_path.map(|p| p.to_token_stream().to_string());
        assert_eq!(path.as_deref(), Some("reexported :: ctxrt"));
        let msg = message(quote!(crate = reexported), EntryKind::Test);
        assert!(msg.starts_with("`crate` expects a string literal"), "{msg}");
        let msg = message(quote!(crate = "not a path"), EntryKind::Test);
        assert!(msg.starts_with("`crate` expects a path"), "{msg}");
        let msg = message(quote!(crate = "a", crate = "b"), EntryKind::Test);
        assert!(
            msg.starts_with("the `crate` attribute is given twice"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_flavor() {
        assert_eq!(
            message(quote!(flavor = "bar"), EntryKind::Main),
            "unknown runtime flavor `bar`; expected `multi_thread` or `current_thread`"
        );
    }

    #[test]
    fn flavor_must_be_a_string() {
        let msg = message(quote!(flavor = multi_thread), EntryKind::Main);
        assert!(
            msg.starts_with("`flavor` expects a string literal"),
            "{msg}"
        );
    }

    #[test]
    fn arguments_need_values() {
        let msg = message(quote!(flavor), EntryKind::Main);
        assert!(
            msg.starts_with("the `flavor` attribute takes a value"),
            "{msg}"
        );
        let msg = message(quote!(worker_threads(4)), EntryKind::Main);
        assert!(
            msg.starts_with("the `worker_threads` attribute takes a value"),
            "{msg}"
        );
    }

    #[test]
    fn worker_threads_zero_or_negative() {
        for args in [quote!(worker_threads = 0), quote!(worker_threads = -1)] {
            assert_eq!(
                message(args, EntryKind::Main),
                "`worker_threads` must be greater than 0"
            );
        }
    }

    #[test]
    fn worker_threads_not_an_integer() {
        for args in [
            quote!(worker_threads = "4"),
            quote!(worker_threads = N),
            quote!(worker_threads = 2.0),
        ] {
            let msg = message(args, EntryKind::Main);
            assert!(
                msg.starts_with("`worker_threads` expects an integer literal"),
                "{msg}"
            );
        }
    }

    #[test]
    fn worker_threads_with_a_foreign_suffix() {
        let msg = message(quote!(worker_threads = 4u8), EntryKind::Main);
        assert!(
            msg.starts_with("`worker_threads` is a `usize`, not a `u8`"),
            "{msg}"
        );
    }

    #[test]
    fn worker_threads_too_large() {
        let msg = message(
            quote!(worker_threads = 999999999999999999999999999999),
            EntryKind::Main,
        );
        assert!(
            msg.starts_with("`worker_threads` does not fit in a `usize`"),
            "{msg}"
        );
    }

    #[test]
    fn worker_threads_with_explicit_current_thread() {
        assert_eq!(
            message(
                quote!(flavor = "current_thread", worker_threads = 2),
                EntryKind::Main
            ),
            "`worker_threads` cannot be set with `flavor = \"current_thread\"` \
             (it always runs on the calling thread); remove `worker_threads` or use \
             `flavor = \"multi_thread\"`"
        );
    }

    #[test]
    fn worker_threads_with_the_default_current_thread_of_test() {
        assert_eq!(
            message(quote!(worker_threads = 2), EntryKind::Test),
            "`worker_threads` cannot be set with `flavor = \"current_thread\"` \
             (it always runs on the calling thread); #[ctxrt::test] defaults to \
             `current_thread`, add `flavor = \"multi_thread\"` to use worker threads"
        );
    }

    #[test]
    fn attribute_given_twice() {
        assert_eq!(
            message(
                quote!(flavor = "multi_thread", flavor = "current_thread"),
                EntryKind::Main
            ),
            "the `flavor` attribute is given twice; give it once"
        );
        assert_eq!(
            message(
                quote!(worker_threads = 1, worker_threads = 2),
                EntryKind::Main
            ),
            "the `worker_threads` attribute is given twice; give it once"
        );
    }

    #[test]
    fn malformed_arguments_say_what_is_accepted() {
        let msg = message(quote!(4), EntryKind::Main);
        assert!(msg.starts_with("invalid attribute argument"), "{msg}");
        assert!(msg.ends_with(ACCEPTED), "{msg}");
    }

    #[test]
    fn independent_mistakes_are_all_reported() {
        let all = messages(
            quote!(foo, flavor = "bar", worker_threads = 0),
            EntryKind::Main,
        );
        assert_eq!(all.len(), 3, "{all:?}");
    }
}
