//! `[loaders.*]` and `[readers.*]`: schedules, the background writer, readers of its value.

use super::*;

impl Checker<'_> {
    /// A schedule's interval (`None`: no schedule). `"0s"` turns the schedule off; then the value
    /// would never be reloaded, so a `ttl` must say how long it lives.
    pub(super) fn interval(
        &mut self,
        interval: &Option<Spanned<RawDuration>>,
        ttl: &Option<Spanned<RawDuration>>,
    ) -> Option<Duration> {
        let d = interval.as_ref()?;
        let parsed = self.duration(d, false, true).flatten();
        if parsed.is_some_and(|i| i.is_zero()) && ttl.is_none() {
            self.error(
                "`interval = \"0s\"` turns the schedule off, and without a `ttl` the value would be kept forever",
                d.span(),
                "no schedule",
                "add `ttl = \"5m\"` (how long a value loaded on a miss lives), or `ttl = \"never\"` to keep it on purpose",
            );
        }
        parsed.filter(|i| !i.is_zero())
    }

    pub(super) fn loader(
        &mut self,
        name: &Spanned<String>,
        l: &Spanned<RawLoader>,
        storage: String,
    ) -> Option<LoaderDef> {
        let raw = l.get_ref();
        let interval = self.interval(&raw.interval, &raw.ttl);
        let ttl = Lifetime::of(match &raw.ttl {
            Some(d) => Some(self.duration(d, true, false)?),
            None => None,
        });
        let signature = self.signature(&raw.loader, &None, &raw.returns, &raw.is_async)?;
        let signature = self.with_context(signature, &raw.loader);
        let signature = self.with_arc(signature, &raw.arc);
        if !signature.call_params().is_empty() {
            self.error(
                format!("background loader `{}` must take no arguments", raw.loader.get_ref()),
                raw.loader.span(),
                "takes arguments",
                "a [loaders.*] entry refreshes one value on a schedule; use [functions.*] for per-argument caching",
            );
            return None;
        }
        self.entries.push(Entry {
            table: "loaders",
            name: name.get_ref().clone(),
            span: name.span(),
            storage: storage.clone(),
            keys: KeySet::Exact(name.get_ref().clone()),
            group: None,
            key_fn: false,
        });
        let on_error = match &raw.on_error {
            Some(path) if syn::parse_str::<syn::Path>(path.get_ref()).is_err() => {
                self.error(
                    format!("`{}` is not a Rust path", path.get_ref()),
                    path.span(),
                    "not a path",
                    "name a function taking a reference to the loader's error, e.g. \"crate::alerts::load_failed\"",
                );
                None
            }
            other => other.as_ref().map(|p| p.get_ref().clone()),
        };
        let fleet = self.fleet(&raw.single_flight, &raw.fleet_wait)?;
        let expires = match ttl {
            Lifetime::Forever => false,
            Lifetime::TwiceTheInterval => interval.is_some(),
            Lifetime::For(_) => true,
        };
        let fail_safe = self.fail_safe(&raw.fail_safe, &raw.fail_safe_throttle, expires)?;
        Some(LoaderDef {
            name: name.get_ref().clone(),
            loader: raw.loader.get_ref().clone(),
            on_error,
            interval,
            ttl,
            run_immediately: raw.run_immediately.as_ref().is_some_and(|r| *r.get_ref()),
            storage,
            signature,
            fleet,
            fail_safe,
            bytes: false,
        })
    }

    pub(super) fn reader(
        &mut self,
        name: &Spanned<String>,
        r: &Spanned<RawReader>,
        storage: String,
        loaders: &BTreeMap<Spanned<String>, Spanned<RawLoader>>,
        checked: &[LoaderDef],
    ) -> Option<ReaderDef> {
        let raw = r.get_ref();
        if !loaders.keys().any(|k| k.get_ref() == raw.source.get_ref()) {
            let names: Vec<&str> = loaders.keys().map(|k| k.get_ref().as_str()).collect();
            let declared = if names.is_empty() {
                "no [loaders.*] are declared: a reader reads what a background loader writes"
                    .to_owned()
            } else {
                format!("declared loaders: {}", names.join(", "))
            };
            let hint = did_you_mean(raw.source.get_ref(), names.iter().copied(), declared);
            self.error(
                format!("unknown source `{}`", raw.source.get_ref()),
                raw.source.span(),
                "no loader of this name",
                hint,
            );
            return None;
        }
        // A loader that failed its own checks was reported there.
        let source = checked
            .iter()
            .find(|l| l.name == *raw.source.get_ref())?
            .clone();
        let interval = self.interval(&raw.interval, &raw.ttl);
        let ttl = Lifetime::of(match &raw.ttl {
            Some(d) => Some(self.duration(d, true, false)?),
            None => None,
        });
        self.entries.push(Entry {
            table: "readers",
            name: name.get_ref().clone(),
            span: name.span(),
            storage: storage.clone(),
            keys: KeySet::Exact(raw.source.get_ref().clone()),
            group: Some(format!("copies of {}", raw.source.get_ref())),
            key_fn: false,
        });
        Some(ReaderDef {
            name: name.get_ref().clone(),
            source,
            interval,
            run_immediately: raw.run_immediately.as_ref().is_some_and(|r| *r.get_ref()),
            ttl,
            storage,
            bytes: false,
        })
    }
}
