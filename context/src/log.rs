//! Loggable values: which bindings may appear in log output, and how they print.
//!
//! A var declared with [`ContextVar::logged`] (values printed with `Debug`) or
//! [`ContextVar::logged_display`] (with `Display`) carries a formatter, a monomorphised
//! `fn` that turns its erased value into a [`LogValue`]. Every other var is a secret by
//! default: output names it at most, never shows its value.
//!
//! Where the formatter lives: in the var's id cell, and in a process-wide table keyed by
//! var id (`sync/registry.rs`), filled when the var gets its id and before that id is
//! published, so the binding maps themselves carry nothing extra and `get`/`set` pay
//! nothing for it. Output (this file) looks each binding's var id up in that table.
//!
//! What is built on this: `Binding::display`/`debug` and `Context`'s `Debug` (`name=value`,
//! or the name alone), [`dump`] (the seed's `dump_context()`: the loggable bindings of the
//! current context), and with the `serde` feature a `Serialize` for [`Context`] and
//! [`Dump`] (a JSON object of the loggable bindings). The `tracing` feature's
//! `ContextLayer` and `#[ctxrt::traced]` read the same [`Context::logged`] iterator.

use std::any::Any;
use std::fmt;

use crate::context::{Binding, Context};
use crate::sync::logged_formatter;
use crate::var::ContextVar;

/// Turns a loggable var's erased value into what log output prints.
pub(crate) type LogFn = for<'a> fn(&'a (dyn Any + Send + Sync)) -> LogValue<'a>;

/// A loggable binding's value, as log output sees it: strings, integers, floats and
/// booleans as themselves (so a JSON log gets numbers as numbers and `tracing` gets typed
/// fields), anything else through its `Debug` or `Display` impl.
///
/// Its `Display` prints strings without quotes; its `Debug` prints them quoted.
///
/// # Examples
///
/// ```
/// use ctxrt_context::{Context, ContextVar, LogValue};
///
/// static TENANT: ContextVar<String> = ContextVar::new("tenant").logged();
/// static ATTEMPT: ContextVar<u32> = ContextVar::new("attempt").logged();
/// let ctx = Context::new()
///     .with_value(&TENANT, "acme".to_string())
///     .with_value(&ATTEMPT, 2);
/// let values: Vec<_> = ctx.logged().collect();
/// assert!(matches!(values[0], ("tenant", LogValue::Str("acme"))));
/// assert!(matches!(values[1], ("attempt", LogValue::U64(2))));
/// assert_eq!(values[0].1.to_string(), "acme");
/// assert_eq!(format!("{:?}", values[0].1), "\"acme\"");
/// ```
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum LogValue<'a> {
    /// A `String` or `&'static str`.
    Str(&'a str),
    /// A signed integer (`i8` to `i64`, `isize`).
    I64(i64),
    /// An unsigned integer (`u8` to `u64`, `usize`).
    U64(u64),
    /// An `f32` or `f64`.
    F64(f64),
    /// A `bool`.
    Bool(bool),
    /// Any other value of a var declared [`logged`](ContextVar::logged).
    Debug(&'a dyn fmt::Debug),
    /// Any other value of a var declared [`logged_display`](ContextVar::logged_display).
    Display(&'a dyn fmt::Display),
}

impl fmt::Display for LogValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LogValue::Str(s) => f.write_str(s),
            LogValue::I64(n) => fmt::Display::fmt(&n, f),
            LogValue::U64(n) => fmt::Display::fmt(&n, f),
            LogValue::F64(n) => fmt::Display::fmt(&n, f),
            LogValue::Bool(b) => fmt::Display::fmt(&b, f),
            LogValue::Debug(value) => value.fmt(f),
            LogValue::Display(value) => value.fmt(f),
        }
    }
}

impl fmt::Debug for LogValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LogValue::Str(s) => fmt::Debug::fmt(s, f),
            LogValue::Display(value) => value.fmt(f),
            _ => fmt::Display::fmt(self, f),
        }
    }
}

/// The typed [`LogValue`] of a primitive `T`, if it is one. `T` is known statically, so
/// each check folds to a constant.
fn primitive<T: Any>(value: &T) -> Option<LogValue<'_>> {
    let any: &dyn Any = value;
    macro_rules! try_as {
        ($($ty:ty => $variant:ident),* $(,)?) => {$(
            if let Some(v) = any.downcast_ref::<$ty>() {
                return Some(LogValue::$variant((*v).into()));
            }
        )*};
    }
    if let Some(s) = any.downcast_ref::<String>() {
        return Some(LogValue::Str(s));
    }
    if let Some(s) = any.downcast_ref::<&'static str>() {
        return Some(LogValue::Str(s));
    }
    try_as!(
        i8 => I64, i16 => I64, i32 => I64, i64 => I64,
        u8 => U64, u16 => U64, u32 => U64, u64 => U64,
        f32 => F64, f64 => F64, bool => Bool,
    );
    if let Some(n) = any.downcast_ref::<isize>() {
        return Some(LogValue::I64(*n as i64));
    }
    if let Some(n) = any.downcast_ref::<usize>() {
        return Some(LogValue::U64(*n as u64));
    }
    None
}

/// The `T` a formatter of var type `T` is handed: a var's bindings all have its type, so
/// this cannot fail unless the store is broken.
fn of_type<T: 'static>(value: &(dyn Any + Send + Sync)) -> &T {
    match value.downcast_ref::<T>() {
        Some(value) => value,
        None => panic!("ctxrt-context bug: a logged var's value has another type"),
    }
}

/// The formatter of a var declared `logged()`.
fn log_debug<T: fmt::Debug + Send + Sync + 'static>(
    value: &(dyn Any + Send + Sync),
) -> LogValue<'_> {
    let value = of_type::<T>(value);
    primitive(value).unwrap_or(LogValue::Debug(value))
}

/// The formatter of a var declared `logged_display()`.
fn log_display<T: fmt::Display + Send + Sync + 'static>(
    value: &(dyn Any + Send + Sync),
) -> LogValue<'_> {
    let value = of_type::<T>(value);
    primitive(value).unwrap_or(LogValue::Display(value))
}

impl<T: fmt::Debug + Send + Sync + 'static> ContextVar<T> {
    /// Declares this var loggable: log output ([`dump`], `Context`'s `Debug`,
    /// [`Binding::display`], the `tracing` layer, `#[ctxrt::traced]`) shows its value,
    /// formatted with `Debug` (strings, integers, floats and bools as themselves).
    ///
    /// Vars are not loggable unless declared so: a token or a password bound in the
    /// context never reaches a log line by accident.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{Context, ContextVar};
    ///
    /// static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id").logged();
    /// static API_KEY: ContextVar<String> = ContextVar::new("api_key");
    ///
    /// let ctx = Context::new()
    ///     .with_value(&REQUEST_ID, "r-1".to_string())
    ///     .with_value(&API_KEY, "hunter2".to_string());
    /// assert_eq!(format!("{ctx:?}"), r#"Context { bindings: [request_id="r-1", "api_key"] }"#);
    /// ```
    pub const fn logged(self) -> Self {
        self.with_log(log_debug::<T>)
    }
}

impl<T: fmt::Display + Send + Sync + 'static> ContextVar<T> {
    /// Like [`logged`](ContextVar::logged), but the value is formatted with `Display`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::{IpAddr, Ipv4Addr};
    /// use ctxrt_context::{dump, ContextVar};
    ///
    /// static PEER: ContextVar<IpAddr> = ContextVar::new("peer").logged_display();
    /// PEER.set(IpAddr::V4(Ipv4Addr::LOCALHOST));
    /// assert_eq!(dump().to_string(), "peer=127.0.0.1");
    /// ```
    pub const fn logged_display(self) -> Self {
        self.with_log(log_display::<T>)
    }
}

impl<'a> Binding<'a> {
    /// The value as log output shows it, if the var is loggable; `None` for the others.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{Context, ContextVar, LogValue};
    /// static PORT: ContextVar<u16> = ContextVar::new("port").logged();
    /// let ctx = Context::new().with_value(&PORT, 8080);
    /// let binding = ctx.iter().next().unwrap();
    /// assert!(matches!(binding.log_value(), Some(LogValue::U64(8080))));
    /// ```
    pub fn log_value(&self) -> Option<LogValue<'a>> {
        logged_formatter(self.var_id()).map(|format| format(self.value()))
    }

    /// Whether the var is loggable (see [`ContextVar::logged`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{Context, ContextVar};
    /// static SECRET: ContextVar<u16> = ContextVar::new("secret");
    /// let ctx = Context::new().with_value(&SECRET, 1);
    /// assert!(!ctx.iter().next().unwrap().is_logged());
    /// ```
    pub fn is_logged(&self) -> bool {
        logged_formatter(self.var_id()).is_some()
    }

    /// `name=value` for a loggable var (a string quoted only if it needs it, logfmt-style),
    /// the name alone otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{Context, ContextVar};
    /// static TENANT: ContextVar<&'static str> = ContextVar::new("tenant").logged();
    /// static TOKEN: ContextVar<&'static str> = ContextVar::new("token");
    /// let ctx = Context::new().with_value(&TENANT, "acme").with_value(&TOKEN, "s3cr3t");
    /// let shown: Vec<String> = ctx.iter().map(|b| b.display().to_string()).collect();
    /// assert_eq!(shown, ["tenant=acme", "token"]);
    /// ```
    pub fn display(&self) -> impl fmt::Display + 'a {
        let binding = *self;
        DisplayWith(move |f: &mut fmt::Formatter<'_>| {
            f.write_str(binding.name())?;
            match binding.log_value() {
                Some(value) => {
                    f.write_str("=")?;
                    write_logfmt_value(f, value)
                }
                None => Ok(()),
            }
        })
    }

    /// `name=value` with the value's `Debug` for a loggable var; the name alone, quoted
    /// (its `Debug`), otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{Context, ContextVar};
    /// static TENANT: ContextVar<&'static str> = ContextVar::new("tenant").logged();
    /// static TOKEN: ContextVar<&'static str> = ContextVar::new("token");
    /// let ctx = Context::new().with_value(&TENANT, "acme").with_value(&TOKEN, "s3cr3t");
    /// let shown: Vec<String> = ctx.iter().map(|b| format!("{:?}", b.debug())).collect();
    /// assert_eq!(shown, [r#"tenant="acme""#, r#""token""#]);
    /// ```
    pub fn debug(&self) -> impl fmt::Debug + 'a {
        let binding = *self;
        DisplayWith(
            move |f: &mut fmt::Formatter<'_>| match binding.log_value() {
                Some(value) => write!(f, "{}={value:?}", binding.name()),
                None => write!(f, "{:?}", binding.name()),
            },
        )
    }
}

/// Writes a logfmt value: as is, or quoted and escaped if it is empty or holds a space, a
/// quote, an `=` or a control character.
fn write_logfmt_value(f: &mut fmt::Formatter<'_>, value: LogValue<'_>) -> fmt::Result {
    let needs_quotes = |s: &str| {
        s.is_empty()
            || s.chars()
                .any(|c| c == ' ' || c == '"' || c == '=' || c.is_control())
    };
    match value {
        LogValue::Str(s) if needs_quotes(s) => write!(f, "{s:?}"),
        LogValue::Str(s) => f.write_str(s),
        LogValue::Debug(_) | LogValue::Display(_) => {
            let s = value.to_string();
            if needs_quotes(&s) {
                write!(f, "{s:?}")
            } else {
                f.write_str(&s)
            }
        }
        other => write!(f, "{other}"),
    }
}

/// A `Display` and `Debug` made of a closure.
struct DisplayWith<F>(F);

impl<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result> fmt::Display for DisplayWith<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.0)(f)
    }
}

impl<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result> fmt::Debug for DisplayWith<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.0)(f)
    }
}

impl Context {
    /// The loggable bindings (see [`ContextVar::logged`]), in [`iter`](Context::iter)
    /// order, each as its var's name and its [`LogValue`]. Other vars are skipped.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{Context, ContextVar};
    /// static USER: ContextVar<String> = ContextVar::new("user").logged();
    /// static PASSWORD: ContextVar<String> = ContextVar::new("password");
    /// let ctx = Context::new()
    ///     .with_value(&USER, "ann".into())
    ///     .with_value(&PASSWORD, "pw".into());
    /// let shown: Vec<String> = ctx.logged().map(|(name, v)| format!("{name}={v}")).collect();
    /// assert_eq!(shown, ["user=ann"]);
    /// ```
    pub fn logged(&self) -> impl Iterator<Item = (&'static str, LogValue<'_>)> + '_ {
        self.iter()
            .filter_map(|binding| Some((binding.name(), binding.log_value()?)))
    }
}

/// The loggable bindings of the current context, task-private ones included: the seed's
/// `dump_context()`. O(1) to take (a snapshot); formatting looks the values up.
///
/// Its `Display` is a logfmt line (`request_id=r-1 tenant=acme`), its `Debug` a map; with
/// the `serde` feature it serialises to a JSON object. Vars not declared
/// [`logged`](ContextVar::logged) never appear.
///
/// # Examples
///
/// ```
/// use ctxrt_context::{dump, ContextVar};
///
/// static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id").logged();
/// static TENANT: ContextVar<String> = ContextVar::new("tenant").logged();
/// static SESSION: ContextVar<String> = ContextVar::new("session"); // not logged
///
/// REQUEST_ID.set("r-7".into());
/// TENANT.set("acme corp".into());
/// SESSION.set("secret".into());
/// assert_eq!(dump().to_string(), r#"request_id=r-7 tenant="acme corp""#);
/// assert_eq!(format!("{:?}", dump()), r#"{"request_id": "r-7", "tenant": "acme corp"}"#);
/// ```
pub fn dump() -> Dump {
    Dump {
        context: Context::current(),
    }
}

/// The loggable bindings of a context, as [`dump`] takes them.
///
/// # Examples
///
/// ```
/// use ctxrt_context::{dump, ContextVar};
/// static STEP: ContextVar<u32> = ContextVar::new("step").logged();
/// STEP.set(3);
/// let taken = dump();
/// STEP.set(4); // a dump is a snapshot
/// assert_eq!(taken.iter().count(), 1);
/// assert_eq!(taken.to_string(), "step=3");
/// ```
#[derive(Clone)]
pub struct Dump {
    context: Context,
}

impl Dump {
    /// The loggable bindings: var name and value.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{dump, ContextVar};
    /// static N: ContextVar<i32> = ContextVar::new("n").logged();
    /// N.set(-5);
    /// let d = dump();
    /// let (name, value) = d.iter().next().unwrap();
    /// assert_eq!((name, value.to_string().as_str()), ("n", "-5"));
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, LogValue<'_>)> + '_ {
        self.context.logged()
    }

    /// Whether there is no loggable binding.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ctxrt_context::Context::new().run(ctxrt_context::dump).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The snapshot this dump reads (all its bindings, loggable or not).
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::{dump, ContextVar};
    /// static HIDDEN: ContextVar<u8> = ContextVar::new("hidden");
    /// HIDDEN.set(1);
    /// let d = dump();
    /// assert!(d.is_empty());
    /// assert_eq!(d.context().get(&HIDDEN), Some(1));
    /// ```
    pub fn context(&self) -> &Context {
        &self.context
    }
}

impl fmt::Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for binding in self.context.iter().filter(Binding::is_logged) {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            write!(f, "{}", binding.display())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(feature = "serde")]
mod serialize {
    //! `Serialize` for [`LogValue`], [`Context`] and [`Dump`]: a JSON object of the
    //! loggable bindings; strings, numbers and booleans as themselves, other values as
    //! the string of their `Debug`/`Display`.

    use serde::ser::{Serialize, SerializeMap, Serializer};

    use super::{Context, Dump, LogValue};

    impl Serialize for LogValue<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            match *self {
                LogValue::Str(s) => serializer.serialize_str(s),
                LogValue::I64(n) => serializer.serialize_i64(n),
                LogValue::U64(n) => serializer.serialize_u64(n),
                LogValue::F64(n) => serializer.serialize_f64(n),
                LogValue::Bool(b) => serializer.serialize_bool(b),
                LogValue::Debug(_) | LogValue::Display(_) => serializer.collect_str(self),
            }
        }
    }

    impl Serialize for Context {
        /// The loggable bindings as a map (`{"request_id":"r-1","attempt":2}`); vars not
        /// declared `logged()` are left out.
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(None)?;
            for (name, value) in self.logged() {
                map.serialize_entry(name, &value)?;
            }
            map.end()
        }
    }

    impl Serialize for Dump {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            self.context.serialize(serializer)
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    struct Point {
        x: i32,
    }

    impl std::fmt::Debug for Point {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "Point {{ x: {} }}", self.x)
        }
    }

    #[test]
    fn primitives_are_typed_and_others_use_their_impls() {
        static S: ContextVar<String> = ContextVar::new("s").logged();
        static I: ContextVar<isize> = ContextVar::new("i").logged();
        static F: ContextVar<f32> = ContextVar::new("f").logged();
        static B: ContextVar<bool> = ContextVar::new("b").logged();
        static P: ContextVar<Point> = ContextVar::new("p").logged();
        let ctx = Context::new()
            .with_value(&S, "a b".into())
            .with_value(&I, -3)
            .with_value(&F, 0.5)
            .with_value(&B, true)
            .with_value(&P, Point { x: 1 });
        let shown: Vec<String> = ctx.iter().map(|b| b.display().to_string()).collect();
        assert_eq!(
            shown,
            [
                r#"s="a b""#,
                "i=-3",
                "f=0.5",
                "b=true",
                r#"p="Point { x: 1 }""#
            ]
        );
        let values: Vec<_> = ctx.logged().map(|(_, v)| v).collect();
        assert!(matches!(values[1], LogValue::I64(-3)));
        assert!(matches!(values[2], LogValue::F64(f) if f == 0.5));
        assert!(matches!(values[4], LogValue::Debug(_)));
    }

    #[test]
    fn a_var_is_registered_once_whatever_the_binding_path() {
        static V: ContextVar<u8> = ContextVar::new("v").logged();
        // First use through `with_value` (no `set`): still found.
        let ctx = Context::new().with_value(&V, 1);
        assert!(ctx.iter().next().unwrap().is_logged());
        assert_eq!(logged_formatter(V.id()).map(|_| ()), Some(()));
    }
}
