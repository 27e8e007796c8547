//! References between storages: a name that must be declared, chain and hybrid levels, cycles,
//! and what a coherent chain needs below it.

use super::*;

impl Checker<'_> {
    pub(super) fn storage_ref(
        &mut self,
        name: &Spanned<String>,
        declared: &BTreeSet<String>,
    ) -> bool {
        let n = name.get_ref();
        if declared.contains(n) || (n == IMPLICIT_DEFAULT) {
            return true;
        }
        let mut hint = if declared.is_empty() {
            "no storages are declared: add a [storages.NAME] table".to_owned()
        } else {
            format!(
                "declared storages: {}",
                declared.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        };
        if let Some(similar) = closest(n, declared.iter().map(String::as_str)) {
            hint = format!("did you mean `{similar}`? {hint}");
        }
        self.error(
            format!("unknown storage `{n}`"),
            name.span(),
            "no storage of this name",
            hint,
        );
        false
    }

    /// A `coherent` hybrid or chain has in-memory levels above a Redis level (whose pub/sub
    /// carries the announcements).
    pub(super) fn coherence(
        &mut self,
        raw: &BTreeMap<Spanned<String>, Spanned<RawStorage>>,
        defs: &[StorageDef],
    ) {
        let kind_of = |name: &str| {
            defs.iter()
                .find(|d| d.name == name)
                .map(|d| d.kind.type_name())
        };
        for def in defs {
            let levels: Vec<&str> = match &def.kind {
                StorageKind::Hybrid {
                    l1, l2, coherent, ..
                } if *coherent => vec![l1, l2],
                StorageKind::Chain { levels, coherent } if *coherent => {
                    levels.iter().map(|l| l.storage.as_str()).collect()
                }
                _ => continue,
            };
            let shared = levels.iter().position(|l| kind_of(l) == Some("redis"));
            let fits = shared
                .is_some_and(|k| k > 0 && levels[..k].iter().all(|l| kind_of(l) == Some("memory")));
            if fits {
                continue;
            }
            let Some(span) = raw
                .iter()
                .find(|(name, _)| name.get_ref() == &def.name)
                .and_then(|(_, s)| s.get_ref().coherent.as_ref().map(Spanned::span))
            else {
                continue;
            };
            self.error(
                "a coherent storage needs memory levels above a redis level",
                span,
                "no redis level below memory ones",
                "copies are kept coherent through Redis pub/sub: put `memory` storages first and a `redis` storage below them, or remove `coherent`",
            );
        }
    }

    pub(super) fn level_ref(
        &mut self,
        owner: &Spanned<String>,
        level: &Spanned<String>,
        declared: &BTreeSet<String>,
    ) {
        if level.get_ref() == owner.get_ref() {
            self.error(
                format!("storage `{}` uses itself as a level", owner.get_ref()),
                level.span(),
                "refers to the storage being declared",
                "a level must be another storage",
            );
            return;
        }
        self.storage_ref(level, declared);
    }

    /// Hybrid and chain storages must not refer to each other in a cycle.
    pub(super) fn cycles(&mut self, raw: &BTreeMap<Spanned<String>, Spanned<RawStorage>>) {
        let edges: BTreeMap<&str, Vec<&Spanned<String>>> = raw
            .iter()
            .map(|(name, s)| {
                let s = s.get_ref();
                let mut to: Vec<&Spanned<String>> = [&s.l1, &s.l2].into_iter().flatten().collect();
                if let Some(levels) = &s.levels {
                    to.extend(levels.get_ref().iter().map(|l| &l.get_ref().storage));
                }
                (name.get_ref().as_str(), to)
            })
            .collect();
        let mut reported = BTreeSet::new();
        for start in edges.keys() {
            let mut stack = vec![(*start, vec![*start])];
            while let Some((at, path)) = stack.pop() {
                for next in edges.get(at).into_iter().flatten() {
                    let n = next.get_ref().as_str();
                    if n == *start && path.len() > 1 {
                        let mut cycle = path.clone();
                        cycle.sort();
                        if reported.insert(cycle) {
                            self.error(
                                format!("storages form a cycle: {} -> {start}", path.join(" -> ")),
                                next.span(),
                                "closes the cycle",
                                "a hybrid or chain storage must end in storages that are not composite",
                            );
                        }
                    } else if !path.contains(&n) && path.len() < 32 {
                        let mut p = path.clone();
                        p.push(n);
                        stack.push((n, p));
                    }
                }
            }
        }
    }
}
