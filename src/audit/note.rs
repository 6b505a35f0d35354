//! What a call's handlers tell the audit layer, through a task-local note.
use std::sync::{Arc, Mutex};

/// Longest subject or court kept, in characters.
const MAX_CHARS: usize = 64;

/// The audit facts gathered while a call runs.
#[derive(Debug, Clone, Default)]
pub(super) struct AuditNote {
    pub court_id: Option<String>,
    pub subject: Option<String>,
    pub reason: Option<&'static str>,
    pub hidden_reason: Option<&'static str>,
}

tokio::task_local! {
    pub(super) static NOTE: Arc<Mutex<AuditNote>>;
}

fn with_note(update: impl FnOnce(&mut AuditNote)) {
    // Outside an audited call there is no note, and nothing to do.
    let _ = NOTE.try_with(|note| update(&mut note.lock().unwrap_or_else(|e| e.into_inner())));
}

/// Records the court as the caller gave it (or as the flow resolved it).
pub fn note_court(raw: &str) {
    if !raw.is_empty() {
        with_note(|n| n.court_id = Some(sanitize(raw)));
    }
}

/// Records the account as the caller gave it: a username or login, never a
/// password, token or code.
pub fn note_subject(raw: &str) {
    if !raw.is_empty() {
        with_note(|n| n.subject = Some(sanitize(raw)));
    }
}

/// Records the error reason the caller was answered with.
pub fn note_reason(reason: &'static str) {
    with_note(|n| n.reason = Some(reason));
}

/// Records a reason the answer deliberately hides (a locked account answers
/// as a wrong password does); the trail keeps the truth.
pub fn note_hidden_reason(reason: &'static str) {
    with_note(|n| n.hidden_reason = Some(reason));
}

/// Makes caller-supplied text safe to store and show: control, format and
/// bidirectional characters and backslashes are escaped (so a value cannot
/// forge a line or reorder a display), and the result is cut at 64 characters.
pub fn sanitize(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len().min(4 * MAX_CHARS));
    for (i, c) in raw.chars().enumerate() {
        if i == MAX_CHARS {
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

/// Runs `future` on its own task, in this call's audit note and span, and
/// waits for it. A caller that hangs up mid-way then cannot cut a sign-in
/// short between counting its attempt and settling it: a right password
/// whose caller left still gives its counted attempt back.
pub async fn run_to_completion<F>(future: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    use tracing::Instrument;
    let note = NOTE.try_with(Arc::clone).ok();
    let task = async move {
        match note {
            Some(note) => NOTE.scope(note, future).await,
            None => future.await,
        }
    }
    .instrument(tracing::Span::current());
    match tokio::spawn(task).await {
        Ok(output) => output,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(error) => panic!("a sign-in task was cancelled: {error}"),
    }
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
}
