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
        let declared_text = if declared.is_empty() {
            "no storages are declared: add a [storages.NAME] table".to_owned()
        } else {
            format!(
                "declared storages: {}",
                declared.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        };
        let hint = did_you_mean(n, declared.iter().map(String::as_str), declared_text);
        self.error(
            format!("unknown storage `{n}`"),
            name.span(),
            "no storage of this name",
            hint,
        );
        false
    }

    /// A `coherent` hybrid or chain has in-memory levels above a Redis level (whose pub/sub
    /// carries the announcements); `flags` is where each storage sets `coherent`.
    pub(super) fn coherence(
        &mut self,
        flags: &BTreeMap<String, Range<usize>>,
        defs: &[StorageDef],
    ) {
        let kind_of = |name: &str| {
            defs.iter()
                .find(|d| d.name == name)
                .map(|d| d.kind.type_name())
        };
        for def in defs {
            let model = def.kind.model();
            if !model.coherent() {
                continue;
            }
            let levels: Vec<&str> = model.levels().iter().map(|l| l.storage).collect();
            let shared = levels.iter().position(|l| kind_of(l) == Some("redis"));
            let fits = shared
                .is_some_and(|k| k > 0 && levels[..k].iter().all(|l| kind_of(l) == Some("memory")));
            if fits {
                continue;
            }
            let Some(span) = flags.get(&def.name) else {
                continue;
            };
            self.error(
                "a coherent storage needs memory levels above a redis level",
                span.clone(),
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

    /// Hybrid and chain storages must not refer to each other in a cycle; `levels` is the levels
    /// each storage names.
    pub(super) fn cycles(&mut self, levels: &BTreeMap<String, Vec<Spanned<String>>>) {
        let edges: BTreeMap<&str, &Vec<Spanned<String>>> = levels
            .iter()
            .map(|(name, to)| (name.as_str(), to))
            .collect();
        let mut reported = BTreeSet::new();
        for start in edges.keys() {
            let mut stack = vec![(*start, vec![*start])];
            while let Some((at, path)) = stack.pop() {
                for next in edges.get(at).into_iter().copied().flatten() {
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
