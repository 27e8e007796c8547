//! Entries that share a keyspace: deliberate sharing (`same_entries_as`) and proven-disjoint key
//! sets.

use super::*;

/// What an entry's keys look like, for labels.
fn describe(e: &Entry) -> String {
    match &e.keys {
        KeySet::Exact(k) => format!("the key `{k}`"),
        KeySet::Prefix(p) if p.is_empty() => "any key (no literal prefix)".into(),
        KeySet::Prefix(p) => format!("keys starting with `{p}`"),
    }
}

impl Checker<'_> {
    /// `same_entries_as` names another function, one level deep, with the same value type.
    pub(super) fn shares(&mut self, functions: &BTreeMap<Spanned<String>, Spanned<RawFunction>>) {
        for (name, f) in functions {
            let Some(target) = &f.get_ref().same_entries_as else {
                continue;
            };
            let t = target.get_ref();
            let Some(other) = functions.iter().find(|(n, _)| n.get_ref() == t) else {
                let names = functions.keys().map(|k| k.get_ref().as_str());
                let hint = match closest(t, names) {
                    Some(similar) => format!("did you mean `{similar}`?"),
                    None => "name a [functions.*] entry of this spec".into(),
                };
                self.error(
                    format!("`same_entries_as = \"{t}\"` names no function"),
                    target.span(),
                    "no function of this name",
                    hint,
                );
                continue;
            };
            if t == name.get_ref() {
                self.error(
                    "a function cannot share entries with itself",
                    target.span(),
                    "names this function",
                    "remove `same_entries_as`",
                );
                continue;
            }
            if let Some(next) = &other.1.get_ref().same_entries_as {
                self.error(
                    format!("`{t}` itself shares the entries of `{}`", next.get_ref()),
                    target.span(),
                    "a chain of sharing",
                    format!("write `same_entries_as = \"{}\"`", next.get_ref()),
                );
                continue;
            }
            let ours = self.values.get(name.get_ref()).cloned();
            let theirs = self.values.get(t).cloned();
            if let (Some((Some(a), _)), Some((Some(b), b_span))) = (ours, theirs)
                && type_name(&a) != type_name(&b)
            {
                let diag = Diagnostic::new(
                    format!(
                        "`{}` shares the entries of `{t}`, but its values are `{}` and theirs `{}`",
                        name.get_ref(),
                        type_text(&a),
                        type_text(&b)
                    ),
                    Some(target.span()),
                    "shares on purpose",
                )
                .also(b_span, format!("the loader of `{t}`"))
                .hint("entries shared on purpose must hold one value type: return the same type from both loaders, or give them distinct keys");
                self.diags.push(diag);
            }
        }
    }

    /// Entries on storages that reach one keyspace must have disjoint key sets.
    pub(super) fn disjoint(&mut self, storages: &[StorageDef]) {
        let targets: BTreeSet<String> = self
            .entries
            .iter()
            .filter_map(|e| e.group.clone())
            .collect();
        for e in &mut self.entries {
            if e.table == "functions" && e.group.is_none() && targets.contains(&e.name) {
                e.group = Some(e.name.clone());
            }
        }
        // One report per entry whose keys are the wider set (its literal starts the other's),
        // naming every entry it can meet.
        let mut by_culprit: BTreeMap<usize, Vec<(usize, String)>> = BTreeMap::new();
        for clash in disjoint::clashes(storages, &self.entries) {
            let (a, b) = (&self.entries[clash.first], &self.entries[clash.second]);
            let (culprit, other) = if a.keys.literal().len() < b.keys.literal().len() {
                (clash.first, clash.second)
            } else {
                (clash.second, clash.first)
            };
            by_culprit
                .entry(culprit)
                .or_default()
                .push((other, clash.space));
        }
        for (culprit, others) in by_culprit {
            let e = &self.entries[culprit];
            let names: Vec<String> = others
                .iter()
                .map(|(o, _)| self.entries[*o].title())
                .collect();
            let spaces: BTreeSet<&str> = others.iter().map(|(_, s)| s.as_str()).collect();
            let spaces = spaces.into_iter().collect::<Vec<_>>().join(", ");
            let mut diag = if e.key_fn && e.keys.literal().is_empty() {
                Diagnostic::new(
                    format!(
                        "the `key_fn` of {} has no `key_prefix`, and its storage is shared with {} ({spaces})",
                        e.title(),
                        names.join(", "),
                    ),
                    Some(e.span.clone()),
                    describe(e),
                )
                .hint(format!(
                    "add `key_prefix = \"{}:\"` to {}: it is prepended to every key the function returns",
                    e.name,
                    e.title()
                ))
            } else {
                let share = match others.first().map(|(o, _)| &self.entries[*o]) {
                    Some(o) if e.table == "functions" && o.table == "functions" => format!(
                        "; to share entries on purpose, set `same_entries_as = \"{}\"` in {}",
                        o.name,
                        e.title()
                    ),
                    _ => String::new(),
                };
                Diagnostic::new(
                    format!(
                        "{} can write the same storage key as {} ({spaces})",
                        e.title(),
                        names.join(", "),
                    ),
                    Some(e.span.clone()),
                    describe(e),
                )
                .hint(format!(
                    "give each entry on one storage a literal key prefix that is not the start of another's, e.g. `key = \"{}:{}\"`{share}",
                    e.name,
                    if e.keys.literal().is_empty() { "{…}" } else { "…" }
                ))
            };
            for (other, _) in others.iter().take(3) {
                let o = &self.entries[*other];
                diag = diag.also(o.span.clone(), format!("{}: {}", o.title(), describe(o)));
            }
            self.diags.push(diag);
        }
    }
}
