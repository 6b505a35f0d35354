//! Work that must finish even when the caller hangs up.
use tracing::Instrument;

/// Runs `future` on its own task, in the current span, and waits for it. A
/// caller that hangs up mid-way then cannot cut a sign-in short between
/// counting its attempt and settling it: a right password whose caller left
/// still gives its counted attempt back.
pub async fn run_to_completion<F>(future: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    match tokio::spawn(future.instrument(tracing::Span::current())).await {
        Ok(output) => output,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(error) => panic!("a sign-in task was cancelled: {error}"),
    }
}
