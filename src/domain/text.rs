//! Shared checks for identifier-like text.

/// Checks the length in characters and that every character is allowed.
/// The messages never echo the input, which may be a mistyped secret.
pub(crate) fn identifier(
    raw: &str,
    min: usize,
    max: usize,
    allowed: impl Fn(char) -> bool,
    allowed_text: &str,
) -> Result<String, String> {
    let len = raw.chars().count();
    if len < min {
        return Err(if min == 1 {
            "must not be empty".into()
        } else {
            format!("must be at least {min} characters")
        });
    }
    if len > max {
        return Err(format!("must be at most {max} characters"));
    }
    if !raw.chars().all(allowed) {
        return Err(format!("may contain only {allowed_text}"));
    }
    Ok(raw.to_ascii_lowercase())
}

/// Characters that must not appear in stored text: controls, line and
/// paragraph separators, bidirectional overrides and zero-width characters,
/// which could forge log lines, break a terminal or disguise a name.
pub fn breaks_text(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}'
        )
}

/// Human-readable text: trimmed, bounded, no control, separator, bidi or
/// zero-width characters (see [`breaks_text`]).
pub(crate) fn human(raw: &str, max: usize) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".into());
    }
    if trimmed.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if trimmed.chars().any(breaks_text) {
        return Err(
            "must not contain control, line-separator, bidi or zero-width characters".into(),
        );
    }
    Ok(trimmed.to_owned())
}
