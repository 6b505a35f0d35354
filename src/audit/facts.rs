//! What a call's handler and its domain code know that its answer does not
//! say: the court and account as given, and a reason the answer hides. The
//! audit layer puts a fresh [`AuditFacts`] in each audited request's
//! extensions; the handler takes it from there and passes it on explicitly.
use std::sync::{Arc, Mutex};

/// Longest subject or court kept, in characters.
const MAX_CHARS: usize = 64;

/// Longest operator's reason kept: the longest an Unlink or UnlockAccount
/// reason may be.
const MAX_DETAIL_CHARS: usize = 500;

/// The facts gathered so far, as the audit layer reads them at the end.
#[derive(Debug, Clone, Default)]
pub(super) struct Facts {
    pub court_id: Option<String>,
    pub subject: Option<String>,
    pub hidden_reason: Option<&'static str>,
    pub caller_identity: Option<String>,
    pub end_user_address: Option<String>,
    pub operator: Option<String>,
    pub detail: Option<String>,
}

/// A shared handle on one call's audit facts. Cloning shares it; a handle
/// not made by the audit layer (`default`) is recorded into and dropped.
#[derive(Debug, Clone, Default)]
pub struct AuditFacts(Arc<Mutex<Facts>>);

impl AuditFacts {
    /// The handle the audit layer placed in the request, or a detached one
    /// when the call is not audited.
    pub fn of(extensions: &http::Extensions) -> Self {
        extensions.get::<Self>().cloned().unwrap_or_default()
    }

    fn update(&self, change: impl FnOnce(&mut Facts)) {
        change(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// Records the court as the caller gave it (or as the flow resolved it).
    pub fn court(&self, raw: &str) -> &Self {
        if !raw.is_empty() {
            self.update(|f| f.court_id = Some(sanitize(raw)));
        }
        self
    }

    /// Records the account as the caller gave it: a username or login,
    /// never a password, token or code.
    pub fn subject(&self, raw: &str) -> &Self {
        if !raw.is_empty() {
            self.update(|f| f.subject = Some(sanitize(raw)));
        }
        self
    }

    /// Records a reason the answer deliberately hides (a locked account
    /// answers as a wrong password does); the trail keeps the truth.
    pub fn hidden_reason(&self, reason: &'static str) -> &Self {
        self.update(|f| f.hidden_reason = Some(reason));
        self
    }

    /// Records who called: a SPIFFE ID, or `anonymous`.
    pub fn caller_identity(&self, identity: &str) -> &Self {
        self.update(|f| f.caller_identity = Some(sanitize(identity)));
        self
    }

    /// Records the filer's own address, as a front-end reported it.
    pub fn end_user_address(&self, address: &str) -> &Self {
        self.update(|f| f.end_user_address = Some(sanitize(address)));
        self
    }

    /// Records the operator an admin call was authenticated as.
    pub fn operator(&self, name: &str) -> &Self {
        self.update(|f| f.operator = Some(sanitize(name)));
        self
    }

    /// Records an operator's stated reason (a ticket number, say).
    pub fn detail(&self, raw: &str) -> &Self {
        if !raw.is_empty() {
            self.update(|f| f.detail = Some(sanitize_to(raw, MAX_DETAIL_CHARS)));
        }
        self
    }

    pub(super) fn snapshot(&self) -> Facts {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Makes caller-supplied text safe to store and show: control, format and
/// bidirectional characters and backslashes are escaped (so a value cannot
/// forge a line or reorder a display), and the result is cut at 64 characters.
pub fn sanitize(raw: &str) -> String {
    sanitize_to(raw, MAX_CHARS)
}

/// [`sanitize`], cut at `max` characters.
fn sanitize_to(raw: &str, max: usize) -> String {
    let mut out = String::with_capacity(raw.len().min(4 * max));
    for (i, c) in raw.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        let unsafe_char = c == '\\' || crate::domain::breaks_text(c);
        if unsafe_char {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_and_bidi_overrides_are_escaped() {
        assert_eq!(sanitize("ok\n2026 FAKE LINE"), "ok\\u{a}2026 FAKE LINE");
        assert_eq!(sanitize("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(sanitize("back\\slash"), "back\\u{5c}slash");
        assert_eq!(sanitize("hhumbert"), "hhumbert");
    }

    #[test]
    fn long_values_are_cut() {
        let cut = sanitize(&"x".repeat(500));
        assert_eq!(cut.chars().count(), MAX_CHARS + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn clones_share_one_record_and_empty_values_are_ignored() {
        let facts = AuditFacts::default();
        facts.clone().court("cod").subject("hhumbert");
        facts.subject("").hidden_reason("ACCOUNT_LOCKED");
        let seen = facts.snapshot();
        assert_eq!(seen.court_id.as_deref(), Some("cod"));
        assert_eq!(seen.subject.as_deref(), Some("hhumbert"));
        assert_eq!(seen.hidden_reason, Some("ACCOUNT_LOCKED"));
    }
}
