//! The `tracing` feature: [`ContextLayer`], which puts the current context's loggable
//! bindings on every event a wrapped layer sees, and the `tracing` events of
//! `#[ctxrt::traced]` records.
//!
//! `tracing` events carry a fixed set of fields, named at their callsite. Bindings are
//! dynamic, so both features here emit events whose metadata is made at run time: one
//! leaked [`Metadata`] (and a [`DynCallsite`] naming it) per *shape* — a base callsite (or
//! a traced fn's target and level) and the list of extra field names — cached in a
//! process-wide table, so a steady state allocates no metadata. The number of shapes is
//! bounded by callsites × distinct sets of loggable vars bound at them.
//!
//! [`ContextLayer`] wraps a layer (typically `tracing_subscriber::fmt::layer()`, plain or
//! `.json()`) rather than sitting beside it, because a layer cannot change the fields
//! another layer sees: for each event, when the current context has loggable bindings, it
//! hands the inner layer an event with the original fields followed by the bindings (a
//! field the event already has wins); with `with_span_fields(true)`, new spans too.
//! Everything else is forwarded unchanged.

use std::collections::HashMap;
use std::fmt;

use tracing_core::callsite::{self, Callsite, Identifier};
use tracing_core::field::{
    self, DebugValue, DisplayValue, Field, FieldSet, Value, ValueSet, Visit,
};
use tracing_core::metadata::Kind;
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::subscriber::Interest;
use tracing_core::{dispatcher, Event, Level, LevelFilter, Metadata, Subscriber};
use tracing_subscriber::layer::{Context as LayerContext, Layer};

use crate::log::{dump, Dump, LogValue};
use crate::sync::registry::{OnceLock, RwLock};
use crate::trace::TraceRecord;

/// A [`Layer`] that adds the current context's loggable bindings (see
/// [`ContextVar::logged`](crate::ContextVar::logged)) as fields of every event the layer
/// it wraps receives, so `request_id` and `tenant` show on every line without being passed
/// to each macro.
///
/// Wrap the formatting layer with it; put filters outside (`ContextLayer::new(fmt).with_filter(..)`),
/// since a per-layer filter inside the wrapper is not visible to the registry. A field the
/// event already has wins over a binding of the same name. Events while the context has no
/// loggable binding are forwarded as they are, at the cost of one context lookup.
///
/// # Examples
///
/// ```
/// use ctxrt_context::{tracing::ContextLayer, ContextVar};
/// use tracing_subscriber::layer::SubscriberExt;
///
/// static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id").logged();
///
/// let subscriber = tracing_subscriber::registry()
///     .with(ContextLayer::new(tracing_subscriber::fmt::layer().without_time()));
/// tracing::subscriber::with_default(subscriber, || {
///     REQUEST_ID.set("r-1".into());
///     tracing::info!(user = "ann", "logged in"); // ... logged in user="ann" request_id="r-1"
/// });
/// ```
#[derive(Debug, Clone)]
pub struct ContextLayer<L> {
    inner: L,
    /// Whether new spans get the bindings too (see [`ContextLayer::with_span_fields`]).
    span_fields: bool,
}

impl<L> ContextLayer<L> {
    /// Wraps `inner`: every event it receives gains the loggable bindings as fields.
    ///
    /// # Examples
    ///
    /// ```
    /// use tracing_subscriber::layer::SubscriberExt;
    /// let json = ctxrt_context::tracing::ContextLayer::new(tracing_subscriber::fmt::layer().json());
    /// let _subscriber = tracing_subscriber::registry().with(json);
    /// ```
    pub fn new(inner: L) -> Self {
        ContextLayer {
            inner,
            span_fields: false,
        }
    }

    /// Also adds the bindings current at a span's creation to the span's fields (off by
    /// default: a `fmt` line then shows them twice, in the span prefix and on the event).
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt_context::tracing::ContextLayer;
    /// use tracing_subscriber::layer::SubscriberExt;
    /// let layer = ContextLayer::new(tracing_subscriber::fmt::layer()).with_span_fields(true);
    /// let _subscriber = tracing_subscriber::registry().with(layer);
    /// ```
    pub fn with_span_fields(mut self, on: bool) -> Self {
        self.span_fields = on;
        self
    }

    /// The wrapped layer.
    ///
    /// # Examples
    ///
    /// ```
    /// use tracing_subscriber::fmt;
    /// let layer = ctxrt_context::tracing::ContextLayer::new(fmt::layer().with_ansi(false));
    /// let _fmt: &fmt::Layer<tracing_subscriber::Registry> = layer.inner();
    /// ```
    pub fn inner(&self) -> &L {
        &self.inner
    }
}

impl<S, L> Layer<S> for ContextLayer<L>
where
    S: Subscriber,
    L: Layer<S>,
{
    fn on_register_dispatch(&self, subscriber: &dispatcher::Dispatch) {
        self.inner.on_register_dispatch(subscriber)
    }

    fn on_layer(&mut self, subscriber: &mut S) {
        self.inner.on_layer(subscriber)
    }

    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        self.inner.register_callsite(metadata)
    }

    fn enabled(&self, metadata: &Metadata<'_>, ctx: LayerContext<'_, S>) -> bool {
        self.inner.enabled(metadata, ctx)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: LayerContext<'_, S>) {
        if !self.span_fields {
            return self.inner.on_new_span(attrs, id, ctx);
        }
        let context = dump();
        if context.is_empty() {
            return self.inner.on_new_span(attrs, id, ctx);
        }
        let base = attrs.metadata();
        with_bindings(
            base,
            |v| attrs.record(v),
            &context,
            |metadata, values| {
                let attrs = if attrs.is_contextual() {
                    Attributes::new(metadata, values)
                } else {
                    match attrs.parent() {
                        Some(parent) => Attributes::child_of(parent.clone(), metadata, values),
                        None => Attributes::new_root(metadata, values),
                    }
                };
                self.inner.on_new_span(&attrs, id, ctx)
            },
        );
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        self.inner.max_level_hint()
    }

    fn on_record(&self, span: &Id, values: &Record<'_>, ctx: LayerContext<'_, S>) {
        self.inner.on_record(span, values, ctx)
    }

    fn on_follows_from(&self, span: &Id, follows: &Id, ctx: LayerContext<'_, S>) {
        self.inner.on_follows_from(span, follows, ctx)
    }

    fn event_enabled(&self, event: &Event<'_>, ctx: LayerContext<'_, S>) -> bool {
        self.inner.event_enabled(event, ctx)
    }

    fn on_event(&self, event: &Event<'_>, ctx: LayerContext<'_, S>) {
        let context = dump();
        if context.is_empty() {
            return self.inner.on_event(event, ctx);
        }
        let base = event.metadata();
        with_bindings(
            base,
            |v| event.record(v),
            &context,
            |metadata, values| {
                let event = if event.is_contextual() {
                    Event::new(metadata, values)
                } else {
                    Event::new_child_of(event.parent().cloned(), metadata, values)
                };
                self.inner.on_event(&event, ctx)
            },
        );
    }

    fn on_enter(&self, id: &Id, ctx: LayerContext<'_, S>) {
        self.inner.on_enter(id, ctx)
    }

    fn on_exit(&self, id: &Id, ctx: LayerContext<'_, S>) {
        self.inner.on_exit(id, ctx)
    }

    fn on_close(&self, id: Id, ctx: LayerContext<'_, S>) {
        self.inner.on_close(id, ctx)
    }

    fn on_id_change(&self, old: &Id, new: &Id, ctx: LayerContext<'_, S>) {
        self.inner.on_id_change(old, new, ctx)
    }
}

/// Calls `f` with the metadata and values of `base`'s fields (recorded by `record`)
/// followed by the loggable bindings of `context` (a field `base` has wins).
fn with_bindings(
    base: &'static Metadata<'static>,
    record: impl FnOnce(&mut dyn Visit),
    context: &Dump,
    f: impl FnOnce(&'static Metadata<'static>, &ValueSet<'_>),
) {
    let mut own = OwnFields::default();
    record(&mut own);
    let own_names = || own.fields.iter().map(|(name, _)| *name);
    let extra: Vec<(&'static str, LogValue<'_>)> = context
        .iter()
        .filter(|(name, _)| !own_names().any(|own| own == *name))
        .collect();
    let names: Vec<&'static str> = own_names()
        .chain(extra.iter().map(|(name, _)| *name))
        .collect();
    let kind = if base.is_span() {
        Kind::SPAN
    } else {
        Kind::EVENT
    };
    let metadata = shape(
        ShapeKey::Event(base as *const Metadata<'static> as usize),
        &names,
        |fields| {
            Metadata::new(
                base.name(),
                base.target(),
                *base.level(),
                base.file(),
                base.line(),
                base.module_path(),
                fields,
                kind,
            )
        },
    );
    let values: Vec<FieldValue<'_>> = own
        .fields
        .iter()
        .map(|(_, value)| value.as_field_value())
        .chain(extra.iter().map(|(_, value)| FieldValue::from(*value)))
        .collect();
    let refs: Vec<Option<&dyn Value>> = values.iter().map(|v| Some(v.as_value())).collect();
    f(metadata, &metadata.fields().value_set_all(&refs));
}

/// Emits a `#[traced]` record as a `tracing` event: target the traced fn's module, INFO
/// for `OK` and ERROR otherwise, fields `message` (the fn's name), `outcome`, `elapsed_us`
/// and the loggable bindings. Nothing is built when no subscriber wants it.
pub(crate) fn emit_trace_record(record: &TraceRecord) {
    let level = if record.outcome().is_err() {
        Level::ERROR
    } else {
        Level::INFO
    };
    if level > LevelFilter::current() {
        return;
    }
    const OWN: [&str; 3] = ["message", "outcome", "elapsed_us"];
    let extra: Vec<(&'static str, LogValue<'_>)> = record
        .context()
        .iter()
        .filter(|(name, _)| !OWN.contains(name))
        .collect();
    let names: Vec<&'static str> = OWN
        .iter()
        .copied()
        .chain(extra.iter().map(|(name, _)| *name))
        .collect();
    let target = record.module();
    let metadata = shape(
        ShapeKey::Traced(target.as_ptr() as usize, target.len(), level),
        &names,
        |fields| {
            Metadata::new(
                "traced",
                target,
                level,
                None,
                None,
                Some(target),
                fields,
                Kind::EVENT,
            )
        },
    );
    if !dispatcher::get_default(|dispatch| dispatch.enabled(metadata)) {
        return;
    }
    let function = field::display(record.function());
    let outcome = record.outcome().as_str();
    let elapsed = record.elapsed().as_micros() as u64;
    let values: Vec<FieldValue<'_>> = extra
        .iter()
        .map(|(_, value)| FieldValue::from(*value))
        .collect();
    let mut refs: Vec<Option<&dyn Value>> = vec![Some(&function), Some(&outcome), Some(&elapsed)];
    refs.extend(values.iter().map(|v| Some(v.as_value())));
    Event::dispatch(metadata, &metadata.fields().value_set_all(&refs));
}

/// What a run-time metadata is made for, besides its field names.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum ShapeKey {
    /// An event or span of the callsite whose metadata is at this address.
    Event(usize),
    /// A `#[traced]` record of the fn in the module whose path is at (address, length).
    Traced(usize, usize, Level),
}

/// The cached metadata of each shape: a key and its field names.
type Shapes = HashMap<ShapeKey, Vec<(&'static [&'static str], &'static Metadata<'static>)>>;

static SHAPES: OnceLock<RwLock<Shapes>> = OnceLock::new();

/// The metadata for `key` with fields `names`, made by `make` (given the field set) and
/// registered with `tracing` the first time.
fn shape(
    key: ShapeKey,
    names: &[&'static str],
    make: impl FnOnce(FieldSet) -> Metadata<'static>,
) -> &'static Metadata<'static> {
    let shapes = SHAPES.get_or_init(Default::default);
    let find = |shapes: &Shapes| {
        shapes
            .get(&key)?
            .iter()
            .find(|(known, _)| *known == names)
            .map(|(_, metadata)| *metadata)
    };
    if let Some(metadata) = find(&shapes.read().unwrap_or_else(|p| p.into_inner())) {
        return metadata;
    }
    let mut table = shapes.write().unwrap_or_else(|p| p.into_inner());
    if let Some(metadata) = find(&table) {
        return metadata;
    }
    // Leaked on purpose: `tracing` needs `'static` metadata, and each shape is made once.
    let callsite: &'static DynCallsite = Box::leak(Box::new(DynCallsite {
        metadata: OnceLock::new(),
    }));
    let names: &'static [&'static str] = Box::leak(names.to_vec().into_boxed_slice());
    let metadata = callsite
        .metadata
        .get_or_init(|| make(FieldSet::new(names, Identifier(callsite))));
    table.entry(key).or_default().push((names, metadata));
    drop(table);
    callsite::register(callsite);
    metadata
}

/// The callsite of a run-time metadata.
struct DynCallsite {
    metadata: OnceLock<Metadata<'static>>,
}

impl Callsite for DynCallsite {
    fn set_interest(&self, _interest: Interest) {}

    fn metadata(&self) -> &Metadata<'_> {
        self.metadata
            .get()
            .expect("a DynCallsite is registered only after its metadata is set")
    }
}

/// An event's own fields, recorded so they can be re-emitted with the bindings.
#[derive(Default)]
struct OwnFields {
    fields: Vec<(&'static str, OwnValue)>,
}

/// One recorded field value.
enum OwnValue {
    Str(String),
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F64(f64),
    Bool(bool),
    /// A `Debug` or error value, formatted (re-emitted with `Display`, so it prints the
    /// same).
    Text(String),
}

impl OwnValue {
    fn as_field_value(&self) -> FieldValue<'_> {
        match self {
            OwnValue::Str(s) => FieldValue::Str(s),
            OwnValue::I64(n) => FieldValue::I64(*n),
            OwnValue::U64(n) => FieldValue::U64(*n),
            OwnValue::I128(n) => FieldValue::I128(*n),
            OwnValue::U128(n) => FieldValue::U128(*n),
            OwnValue::F64(n) => FieldValue::F64(*n),
            OwnValue::Bool(b) => FieldValue::Bool(*b),
            OwnValue::Text(s) => FieldValue::Text(field::display(s)),
        }
    }
}

impl Visit for OwnFields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.fields.push((field.name(), OwnValue::F64(value)));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.fields.push((field.name(), OwnValue::I64(value)));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.fields.push((field.name(), OwnValue::U64(value)));
    }
    fn record_i128(&mut self, field: &Field, value: i128) {
        self.fields.push((field.name(), OwnValue::I128(value)));
    }
    fn record_u128(&mut self, field: &Field, value: u128) {
        self.fields.push((field.name(), OwnValue::U128(value)));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.fields.push((field.name(), OwnValue::Bool(value)));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.fields
            .push((field.name(), OwnValue::Str(value.to_owned())));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.fields
            .push((field.name(), OwnValue::Text(value.to_string())));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.fields
            .push((field.name(), OwnValue::Text(format!("{value:?}"))));
    }
}

/// A field value in a form `tracing` records (its `Value` trait is sealed).
enum FieldValue<'a> {
    Str(&'a str),
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F64(f64),
    Bool(bool),
    Text(DisplayValue<&'a String>),
    Debug(DebugValue<&'a dyn fmt::Debug>),
    Display(DisplayValue<&'a dyn fmt::Display>),
}

impl FieldValue<'_> {
    fn as_value(&self) -> &dyn Value {
        match self {
            FieldValue::Str(s) => s,
            FieldValue::I64(n) => n,
            FieldValue::U64(n) => n,
            FieldValue::I128(n) => n,
            FieldValue::U128(n) => n,
            FieldValue::F64(n) => n,
            FieldValue::Bool(b) => b,
            FieldValue::Text(s) => s,
            FieldValue::Debug(d) => d,
            FieldValue::Display(d) => d,
        }
    }
}

impl<'a> From<LogValue<'a>> for FieldValue<'a> {
    fn from(value: LogValue<'a>) -> Self {
        match value {
            LogValue::Str(s) => FieldValue::Str(s),
            LogValue::I64(n) => FieldValue::I64(n),
            LogValue::U64(n) => FieldValue::U64(n),
            LogValue::F64(n) => FieldValue::F64(n),
            LogValue::Bool(b) => FieldValue::Bool(b),
            LogValue::Debug(d) => FieldValue::Debug(field::debug(d)),
            LogValue::Display(d) => FieldValue::Display(field::display(d)),
        }
    }
}
