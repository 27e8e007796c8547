//! `[functions.*]`: shares of the ttl (`jitter`, `refresh_ahead`), early refresh
//! (`early_refresh`, `beta`) and load timeouts (`soft_timeout`, `hard_timeout`).

use super::*;

impl Checker<'_> {
    /// A share of the ttl written as a percentage above 0 and below 100 (`jitter`,
    /// `refresh_ahead`), as a fraction.
    pub(super) fn ttl_share(
        &mut self,
        share: &Spanned<String>,
        setting: &str,
        example: &str,
    ) -> Option<f64> {
        let fraction = share
            .get_ref()
            .trim()
            .strip_suffix('%')
            .and_then(|n| n.trim().parse::<f64>().ok())
            .filter(|p| *p > 0.0 && *p < 100.0);
        if fraction.is_none() {
            self.error(
                format!("bad {setting} `{}`", share.get_ref()),
                share.span(),
                "not a share of the ttl",
                format!("write a percentage above 0 and below 100, e.g. `{example}`"),
            );
        }
        fraction.map(|p| p / 100.0)
    }

    /// `soft_timeout` and `hard_timeout`: a soft timeout serves a fallback, so it needs
    /// `fail_safe` and is shorter than the hard one; a hard timeout without a fallback is the
    /// loader's error, so the loader must return a `Result`.
    pub(super) fn timeouts(
        &mut self,
        raw: &RawFunction,
        has_fallback: bool,
        signature: Option<&Signature>,
    ) -> (Option<Duration>, Option<Duration>) {
        let timeout = |checker: &mut Self, d: &Option<Spanned<RawDuration>>, setting: &str| {
            let d = d.as_ref()?;
            let limit = checker.duration(d, false, true)?.unwrap_or_default();
            if limit.is_zero() {
                checker.error(
                    format!("a zero `{setting}` gives no load any time"),
                    d.span(),
                    "no time to load",
                    format!("give how long a caller waits for a load, e.g. `{setting} = \"1s\"`, or remove `{setting}`"),
                );
                return None;
            }
            Some(limit)
        };
        let soft = timeout(self, &raw.soft_timeout, "soft_timeout");
        let hard = timeout(self, &raw.hard_timeout, "hard_timeout");
        if let (Some(span), false) = (raw.soft_timeout.as_ref().map(Spanned::span), has_fallback) {
            self.error(
                "`soft_timeout` serves a fallback: it needs `fail_safe`",
                span,
                "no fallback to serve here",
                "add `fail_safe = \"1h\"` (expired values kept as fallbacks), or use `hard_timeout` to bound every wait",
            );
        }
        if let (Some(s), Some(h), Some(span)) =
            (soft, hard, raw.soft_timeout.as_ref().map(Spanned::span))
            && s >= h
        {
            self.error(
                format!(
                    "`soft_timeout` ({}) must be shorter than `hard_timeout` ({})",
                    duration::render(Some(s)),
                    duration::render(Some(h))
                ),
                span,
                "not below the hard timeout",
                "the soft timeout serves the fallback early; the hard one bounds every wait: make soft < hard",
            );
        }
        if let (Some(span), Some(sig)) = (raw.hard_timeout.as_ref().map(Spanned::span), signature)
            && !sig.fallible
        {
            self.error(
                "`hard_timeout` needs a loader that can fail: a timeout without a fallback is its error",
                span,
                "the loader returns no `Result`",
                "return `Result<T, E>` with `E: From<advanced_caching::LoadTimeout>` from the loader, or remove `hard_timeout`",
            );
        }
        (soft, hard)
    }

    /// `early_refresh = "xfetch"` and its `beta`: XFetch's `beta` when set. It needs values that
    /// expire, and excludes `refresh_ahead` (both decide when a hit refreshes early).
    pub(super) fn early_refresh(&mut self, raw: &RawFunction, expires: bool) -> Option<f64> {
        let Some(kind) = &raw.early_refresh else {
            if let Some(beta) = &raw.beta {
                self.error(
                    "`beta` applies with `early_refresh = \"xfetch\"`",
                    beta.span(),
                    "no probabilistic early refresh here",
                    "add `early_refresh = \"xfetch\"`, or remove `beta`",
                );
            }
            return None;
        };
        if kind.get_ref() != "xfetch" {
            self.error(
                format!("unknown early_refresh `{}`", kind.get_ref()),
                kind.span(),
                "not a kind of early refresh",
                "`xfetch` (probabilistic, scaled by the last load's time); for a fixed point use `refresh_ahead = \"80%\"`",
            );
            return None;
        }
        if !expires {
            self.error(
                "`early_refresh` needs a ttl: a value that never expires is never refreshed early",
                kind.span(),
                "the values here never expire",
                "give the function a `ttl` (e.g. `ttl = \"5m\"`), or remove `early_refresh`",
            );
        }
        if let Some(ahead) = &raw.refresh_ahead {
            self.error(
                "`early_refresh` and `refresh_ahead` both decide when a hit refreshes early: choose one",
                ahead.span(),
                "a fixed refresh point, besides `early_refresh`",
                "keep `early_refresh = \"xfetch\"` (random, scaled by load time: no fleet-wide rush) or `refresh_ahead` (a fixed share of the ttl)",
            );
        }
        let beta = match &raw.beta {
            Some(beta) if !(beta.get_ref().is_finite() && *beta.get_ref() > 0.0) => {
                self.error(
                    format!("bad beta `{}`", beta.get_ref()),
                    beta.span(),
                    "not above zero",
                    "write a number above 0: 1 (the default), 2 to refresh about twice as early",
                );
                return None;
            }
            Some(beta) => *beta.get_ref(),
            None => 1.0,
        };
        (expires && raw.refresh_ahead.is_none()).then_some(beta)
    }
}
