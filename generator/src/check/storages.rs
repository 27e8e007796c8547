//! `[storages.*]`: each storage is read and checked by its kind (`crate::storages`) in a
//! [`KindCheck`]; here: unknown kinds and settings, and what a kind's check may ask for.

use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::*;
use crate::spanned::{flag, text};
use crate::storages::{self as kinds, KINDS, KindReport, settings_of};

/// The `[storages.*]` tables of the parsed document, by name.
fn storage_tables<'d, 'i>(
    document: &'d DeTable<'i>,
) -> Vec<(&'d str, &'d toml::Spanned<DeValue<'i>>)> {
    let Some(DeValue::Table(tables)) = document.get("storages").map(toml::Spanned::get_ref) else {
        return Vec::new();
    };
    tables
        .iter()
        .map(|(k, v)| (k.get_ref().as_ref(), v))
        .collect()
}

impl Checker<'_> {
    pub(super) fn storages(
        &mut self,
        raw: &BTreeMap<Spanned<String>, Spanned<RawStorage>>,
        document: &DeTable<'_>,
    ) -> Vec<StorageDef> {
        let declared: BTreeSet<String> = raw.keys().map(|k| k.get_ref().clone()).collect();
        let tables = storage_tables(document);
        let mut out = Vec::new();
        let mut levels = BTreeMap::new();
        let mut coherent = BTreeMap::new();
        for (name, s) in raw {
            let kind = &s.get_ref().kind;
            let Some((_, table)) = tables.iter().find(|(n, _)| *n == name.get_ref()) else {
                continue;
            };
            let mut c = KindCheck {
                checker: self,
                name,
                kind: kind.get_ref(),
                kind_span: kind.span(),
                declared: &declared,
                levels: Vec::new(),
                coherent: None,
            };
            let checked = c.read(kind, table);
            levels.insert(name.get_ref().clone(), c.levels);
            if let Some(span) = c.coherent {
                coherent.insert(name.get_ref().clone(), span);
            }
            out.extend(checked.map(|checked| StorageDef {
                name: name.get_ref().clone(),
                kind: checked,
                kind_span: Some(kind.span()),
            }));
        }
        self.cycles(&levels);
        self.coherence(&coherent, &out);
        out
    }

    pub(super) fn serializer(&mut self, s: &Option<Spanned<String>>) -> Option<Serializer> {
        let Some(s) = s else {
            return Some(Serializer::Binary);
        };
        match s.get_ref().as_str() {
            "json" => Some(Serializer::Json),
            "binary" => Some(Serializer::Binary),
            path if path.contains("::") && syn::parse_str::<syn::Path>(path).is_ok() => {
                Some(Serializer::Custom(path.to_owned()))
            }
            other => {
                self.error(
                    format!("unknown serializer `{other}`"),
                    s.span(),
                    "not a codec",
                    "use \"json\", \"binary\" (the default), or the path of your own codec, e.g. \"crate::codecs::MY_CODEC\"",
                );
                None
            }
        }
    }
}

/// Where a storage kind checks its settings: reports problems at their place, and records the
/// levels a composite names (for the cycle check) and where `coherent` is set.
pub(crate) struct KindCheck<'c, 'a> {
    checker: &'c mut Checker<'a>,
    name: &'c Spanned<String>,
    kind: &'c str,
    kind_span: Range<usize>,
    declared: &'c BTreeSet<String>,
    levels: Vec<Spanned<String>>,
    coherent: Option<Range<usize>>,
}

impl KindCheck<'_, '_> {
    /// Reads `table` as the settings of `kind` and checks them.
    fn read(
        &mut self,
        kind: &Spanned<String>,
        table: &toml::Spanned<DeValue<'_>>,
    ) -> Option<StorageKind> {
        let name = kind.get_ref().as_str();
        if !KINDS.contains(&name) {
            let kinds = format!("storage types: {}", KINDS.join(", "));
            let hint = did_you_mean(name, KINDS.iter().copied(), kinds);
            self.error(
                format!("unknown storage type `{name}`"),
                kind.span(),
                "not a storage type",
                hint,
            );
            return None;
        }
        let DeValue::Table(settings) = table.get_ref() else {
            return None;
        };
        if !self.known_settings(name, settings) {
            return None;
        }
        let mut settings = settings.clone();
        settings.remove("type");
        let settings = toml::Spanned::new(table.span(), DeValue::Table(settings));
        match kinds::check(name, ValueDeserializer::from(settings), self) {
            Ok(checked) => checked,
            Err(e) => {
                self.checker.diags.push(toml_error(&e));
                None
            }
        }
    }

    /// Reports each setting `kind` does not take; true when there is none.
    fn known_settings(&mut self, kind: &str, settings: &DeTable<'_>) -> bool {
        let allowed = settings_of(kind);
        let takes = format!("a `{kind}` storage takes: {}", allowed.join(", "));
        let mut fits = true;
        for (key, value) in settings {
            let key_name: &str = key.get_ref();
            if key_name == "type" || allowed.iter().any(|a| a == key_name) {
                continue;
            }
            fits = false;
            if KINDS
                .iter()
                .any(|k| settings_of(k).iter().any(|s| s == key_name))
            {
                self.error(
                    format!("`{key_name}` does not apply to a `{kind}` storage"),
                    value.span(),
                    "not a setting of this storage type",
                    takes.clone(),
                );
            } else {
                let hint =
                    did_you_mean(key_name, allowed.iter().map(String::as_str), takes.clone());
                self.error(
                    format!("unknown setting `{key_name}` of a `{kind}` storage"),
                    key.span(),
                    "not a setting",
                    hint,
                );
            }
        }
        fits
    }
}

impl KindReport for KindCheck<'_, '_> {
    /// Reports a problem.
    fn error(
        &mut self,
        message: impl Into<String>,
        span: Range<usize>,
        label: &str,
        hint: impl Into<String>,
    ) {
        self.checker.error(message, span, label, hint);
    }

    /// Where the storage's `type` is written.
    fn kind_span(&self) -> Range<usize> {
        self.kind_span.clone()
    }

    /// A duration setting (`never` or zero allowed as told).
    fn duration(
        &mut self,
        d: &Spanned<RawDuration>,
        allow_never: bool,
        allow_zero: bool,
    ) -> Option<Option<Duration>> {
        self.checker.duration(d, allow_never, allow_zero)
    }

    /// The codec (default binary).
    fn serializer(&mut self, s: &Option<Spanned<String>>) -> Option<Serializer> {
        self.checker.serializer(s)
    }

    /// A string setting this kind cannot do without.
    fn required(&mut self, v: &Option<Spanned<String>>, setting: &str) -> Option<String> {
        if v.is_none() {
            let kind = self.kind;
            self.error(
                format!("a `{kind}` storage needs `{setting}`"),
                self.kind_span(),
                "declared here",
                format!(
                    "add `{setting} = \"…\"` to [storages.{}]",
                    self.name.get_ref()
                ),
            );
        }
        text(v)
    }

    /// A level of this composite storage: another declared storage.
    fn level(&mut self, level: &Spanned<String>) {
        self.checker.level_ref(self.name, level, self.declared);
        self.levels.push(level.clone());
    }

    /// The `coherent` flag (its place is kept for the check of what sits below).
    fn coherent(&mut self, flag_setting: &Option<Spanned<bool>>) -> bool {
        let on = flag(flag_setting);
        if on {
            self.coherent = flag_setting.as_ref().map(Spanned::span);
        }
        on
    }
}
