//! Settings no table takes: each one is reported at its place with the closest known name, and
//! dropped, so that one typo does not hide the other problems of the spec. (A storage's settings
//! are checked by its kind, which knows them.)

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::raw::{RawFunction, RawLoader, RawReader, RawSpec};
use crate::storages::setting_names;

/// The document without its unknown settings, and one diagnostic per setting dropped.
pub(super) fn drop_unknown(
    mut document: Spanned<DeTable<'_>>,
) -> (Spanned<DeTable<'_>>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let top = setting_names::<RawSpec>();
    retain_known(
        document.get_mut(),
        &top,
        "the top level of cache.toml",
        &mut diags,
    );
    // Each table, what it takes, and the one setting it cannot do without.
    let tables: [(&str, Vec<String>, &str); 4] = [
        ("storages", Vec::new(), "type"),
        ("functions", setting_names::<RawFunction>(), "loader"),
        ("loaders", setting_names::<RawLoader>(), "loader"),
        ("readers", setting_names::<RawReader>(), "source"),
    ];
    for (table, known, required) in tables {
        let Some(DeValue::Table(entries)) = document.get_mut().get_mut(table).map(Spanned::get_mut)
        else {
            continue;
        };
        let mut incomplete = Vec::new();
        for (name, entry) in entries.iter_mut() {
            let DeValue::Table(settings) = entry.get_mut() else {
                continue;
            };
            let place = format!("[{table}.{}]", name.get_ref());
            if !known.is_empty() {
                retain_known(settings, &known, &place, &mut diags);
            }
            if !settings.contains_key(required) {
                diags.push(
                    Diagnostic::new(
                        format!("{place} has no `{required}`"),
                        Some(name.span()),
                        "declared here",
                    )
                    .hint(format!("add `{required} = \"…\"` to {place}")),
                );
                incomplete.push(name.get_ref().to_string());
            }
        }
        // An entry without what it cannot do without is left out of the rest of the check.
        for name in incomplete {
            entries.remove(name.as_str());
        }
    }
    (document, diags)
}

/// Drops from `table` every key not in `known`, reporting each.
fn retain_known(table: &mut DeTable<'_>, known: &[String], place: &str, out: &mut Vec<Diagnostic>) {
    let unknown: Vec<(String, std::ops::Range<usize>)> = table
        .keys()
        .filter(|key| !known.iter().any(|k| k.as_str() == key.get_ref().as_ref()))
        .map(|key| (key.get_ref().to_string(), key.span()))
        .collect();
    for (name, span) in unknown {
        let takes = format!("{place} takes: {}", known.join(", "));
        let hint = did_you_mean(&name, known.iter().map(String::as_str), takes);
        out.push(
            Diagnostic::new(
                format!("unknown setting `{name}` in {place}"),
                Some(span),
                "not a setting here",
            )
            .hint(hint),
        );
        table.remove(name.as_str());
    }
}
