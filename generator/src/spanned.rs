//! Values as written in `cache.toml`, with their place in the file (for diagnostics): the
//! building blocks of the raw spec and of each storage kind's settings.

use std::borrow::Cow;
use std::ops::Range;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer};

/// A value and where it is written; its schema is the value's own.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Spanned<T>(toml::Spanned<T>);

impl<T> Spanned<T> {
    /// The value.
    pub(crate) fn get_ref(&self) -> &T {
        self.0.get_ref()
    }

    /// Its byte range in the spec.
    pub(crate) fn span(&self) -> Range<usize> {
        self.0.span()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        toml::Spanned::deserialize(deserializer).map(Self)
    }
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// A duration as written: a string such as `"5m"`, or (wrongly) a bare number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawDuration {
    Text(String),
    Number(i64),
}

impl JsonSchema for RawDuration {
    fn schema_name() -> Cow<'static, str> {
        "HumanDuration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({
            "description": "A human duration: \"750ms\", \"60s\", \"5m\", \"1h30m\", \"2d\" (and \"never\" where a TTL may be endless).",
            "type": "string",
            "pattern": "^(never|([0-9]+(ms|s|m|h|d))+)$"
        })
    }
}

/// A string setting's value, if set.
pub(crate) fn text(v: &Option<Spanned<String>>) -> Option<String> {
    v.as_ref().map(|v| v.get_ref().clone())
}

/// A flag's value (absent: false).
pub(crate) fn flag(v: &Option<Spanned<bool>>) -> bool {
    v.as_ref().is_some_and(|v| *v.get_ref())
}
