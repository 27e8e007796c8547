//! Human durations: `"750ms"`, `"60s"`, `"5m"`, `"1h30m"`, `"2d"`, and `"never"` where allowed.

use std::time::Duration;

/// Parses a human duration. `Ok(None)` is `"never"`; the error is a hint for the user. A duration
/// is at most `u64::MAX` milliseconds (what the runtime's clock holds); larger is an error.
pub(crate) fn parse(text: &str) -> Result<Option<Duration>, String> {
    let text = text.trim();
    if text == "never" {
        return Ok(None);
    }
    if text.is_empty() {
        return Err("an empty duration".into());
    }
    let mut total: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("`{text}` has a unit without a number"));
        }
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{}` is too large", &rest[..digits]))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let millis_per = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "" => return Err(format!("`{text}` needs a unit: ms, s, m, h or d")),
            other => return Err(format!("`{other}` is not a unit: use ms, s, m, h or d")),
        };
        let part = number
            .checked_mul(millis_per)
            .ok_or_else(|| format!("`{text}` is too large"))?;
        total = total
            .checked_add(part)
            .ok_or_else(|| format!("`{text}` is too large"))?;
    }
    Ok(Some(Duration::from_millis(total)))
}

/// Renders a duration the way a user would write it (for doc comments).
pub(crate) fn render(d: Option<Duration>) -> String {
    let Some(d) = d else {
        return "never".into();
    };
    let mut ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        if ms >= size {
            out.push_str(&format!("{}{unit}", ms / size));
            ms %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(parse("750ms"), Ok(Some(Duration::from_millis(750))));
        assert_eq!(parse("60s"), Ok(Some(Duration::from_secs(60))));
        assert_eq!(parse("5m"), Ok(Some(Duration::from_secs(300))));
        assert_eq!(parse("1h30m"), Ok(Some(Duration::from_secs(5_400))));
        assert_eq!(parse("never"), Ok(None));
        assert!(parse("5").is_err());
        assert!(parse("5x").is_err());
        assert!(parse("m").is_err());
        assert!(parse("99999999999999999999s").is_err());
        assert!(parse("18446744073709551615ms1ms").is_err());
        assert_eq!(
            parse("18446744073709551615ms"),
            Ok(Some(Duration::from_millis(u64::MAX)))
        );
        assert_eq!(render(Some(Duration::from_secs(5_400))), "1h30m");
        assert_eq!(render(None), "never");
    }
}
