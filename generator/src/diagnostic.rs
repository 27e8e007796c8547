//! Diagnostics with file, line, column, the offending line, a label and a hint.

use std::fmt;
use std::ops::Range;

/// One problem found in a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong.
    pub message: String,
    /// Where, as a byte range into the spec (`None` for the whole file).
    pub span: Option<Range<usize>>,
    /// A short note under the offending text.
    pub label: String,
    /// How to fix it.
    pub hint: Option<String>,
    /// Other places the problem involves (the other entry of a clash), each with a label.
    pub related: Vec<(Range<usize>, String)>,
}

impl Diagnostic {
    /// A diagnostic at `span`.
    pub fn new(
        message: impl Into<String>,
        span: Option<Range<usize>>,
        label: impl Into<String>,
    ) -> Self {
        Self {
            message: message.into(),
            span,
            label: label.into(),
            hint: None,
            related: Vec::new(),
        }
    }

    /// Adds another place the problem involves.
    pub fn also(mut self, span: Range<usize>, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Every diagnostic of one spec file, renderable as text.
///
/// ```
/// let err = advanced_caching_build::check_str("cache.toml", "[storages.x]\ntype = \"memcached\"\n", None)
///     .unwrap_err();
/// assert!(err.to_string().contains("cache.toml:2:8"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Diagnostics {
    /// The spec's path as shown in messages.
    pub file: String,
    /// The spec's text.
    pub source: String,
    /// The problems, in source order.
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// The 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.source.len());
        let before = &self.source[..floor_char_boundary(&self.source, offset)];
        let line = before.matches('\n').count() + 1;
        let col = before
            .rfind('\n')
            .map_or(before.len(), |nl| before.len() - nl - 1)
            + 1;
        (line, col)
    }

    /// The first problem's location as `file:line:col`.
    pub fn first_location(&self) -> Option<String> {
        let span = self.items.first()?.span.clone()?;
        let (line, col) = self.line_col(span.start);
        Some(format!("{}:{line}:{col}", self.file))
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl Diagnostics {
    /// `--> file:line:col`, the line, and a label under `span`.
    fn snippet(&self, f: &mut fmt::Formatter<'_>, span: &Range<usize>, label: &str) -> fmt::Result {
        let (line, col) = self.line_col(span.start);
        let text = self.source.lines().nth(line - 1).unwrap_or("");
        let gutter = " ".repeat(line.to_string().len());
        writeln!(f, "{gutter}--> {}:{line}:{col}", self.file)?;
        writeln!(f, "{gutter} |")?;
        writeln!(f, "{line} | {text}")?;
        let start = col - 1;
        let width = span
            .end
            .saturating_sub(span.start)
            .min(text.len().saturating_sub(start))
            .max(1);
        let pad: String = text
            .chars()
            .take(start)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        writeln!(f, "{gutter} | {pad}{} {label}", "^".repeat(width))
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, d) in self.items.iter().enumerate() {
            if n > 0 {
                writeln!(f)?;
            }
            writeln!(f, "error: {}", d.message)?;
            match &d.span {
                Some(span) => {
                    let gutter = " ".repeat(self.line_col(span.start).0.to_string().len());
                    self.snippet(f, span, &d.label)?;
                    for (other, label) in &d.related {
                        self.snippet(f, other, label)?;
                    }
                    if let Some(hint) = &d.hint {
                        writeln!(f, "{gutter} |")?;
                        writeln!(f, "{gutter} = hint: {hint}")?;
                    }
                }
                None => {
                    writeln!(f, " --> {}", self.file)?;
                    if let Some(hint) = &d.hint {
                        writeln!(f, "  = hint: {hint}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Diagnostics {}

/// `rest`, preceded by "did you mean `…`?" when one of `candidates` is close to `word`.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    rest: String,
) -> String {
    match closest(word, candidates) {
        Some(similar) => format!("did you mean `{similar}`? {rest}"),
        None => rest,
    }
}

/// The closest of `candidates` to `word`, for "did you mean" hints.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
