//! The filer's screens, in the court's own words, as compile-time-checked
//! templates (maud escapes every value). No page needs JavaScript, and none
//! ever carries a password or a flow token: password fields are always empty.
use maud::{DOCTYPE, Markup, html};

use super::upstream::Problem;

/// The court as the pages name it, from its record in the service.
#[derive(Debug, Clone)]
pub struct CourtView {
    /// e.g. "U.S. District Court, District of Colorado".
    pub name: String,
    /// e.g. "train"; empty in production.
    pub environment: String,
    /// e.g. "co".
    pub prefix: String,
}

impl CourtView {
    /// "<name> (train)", or the name alone in production.
    fn titled(&self) -> String {
        if self.environment.is_empty() {
            self.name.clone()
        } else {
            format!("{} ({})", self.name, self.environment)
        }
    }
}

const MONITORING_NOTICE: &str = "This is a restricted government website for official PACER use \
only. All activities of PACER subscribers or users of this system for any purpose, and all access \
attempts, may be recorded and monitored by persons authorized by the federal judiciary for improper \
use, protection of system security, performance of maintenance and for appropriate management by \
the judiciary of its systems. By subscribing to PACER, users expressly consent to system monitoring \
and to official access to data reviewed and created by them on the system. If evidence of unlawful \
activity is discovered, including unauthorized access attempts, it may be reported to law \
enforcement officials.";

const UTILITY_EXPLANATION: &str = "This utility links your PACER account with your e-filer \
account in this court. If you use CM/ECF for PACER only, no action is necessary. If you had a \
CM/ECF e-filing account in this court before the court converted to PACER, you may need to link \
the accounts (or go back if the names don't match).";

/// The heading of the linking utility's pages (steps 3 to 5).
pub const LINK_HEADING: &str = "Link a CM/ECF account to my PACER account";

/// What the CM/ECF login says when its form outlived its session.
pub const SIGN_IN_AGAIN: &str = "Your session ended before you signed in. Sign in again.";

/// What the filer is told about `problem`, in plain words.
pub fn message(problem: &Problem, court: &CourtView, ecf_step: bool) -> String {
    match problem {
        Problem::WrongCredentials if ecf_step => {
            "The CM/ECF login or password is incorrect. Check both and try again.".into()
        }
        Problem::WrongCredentials => {
            "The username or password is incorrect. Check both and try again.".into()
        }
        Problem::NotUpgraded => "This PACER account has not been upgraded yet. Sign in to PACER, \
            upgrade your account under Manage My Account, then come back and sign in here again."
            .into(),
        Problem::WrongPrefix => format!(
            "Your CM/ECF login in this court begins with \u{201c}{}\u{201d}. Check the login and try again.",
            court.prefix
        ),
        Problem::PacerAlreadyLinked => "This PACER account is already linked to a CM/ECF account \
            in this court. Sign in to CM/ECF with your PACER username and password."
            .into(),
        Problem::EcfAlreadyLinked => "This CM/ECF account is already linked to a PACER account. \
            If you did not link it, call the Clerk's Office."
            .into(),
        Problem::FlowExpired => "Your session expired before the accounts were linked. Sign in \
            with your PACER account again to start over."
            .into(),
        Problem::TooMany(wait) => {
            let seconds = wait.as_secs().max(1);
            let when = if seconds < 60 {
                format!("{seconds} second{}", if seconds == 1 { "" } else { "s" })
            } else {
                let minutes = seconds.div_ceil(60);
                format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
            };
            format!("Too many attempts. For your security, try again in {when}.")
        }
        Problem::PasscodeNeeded => "This account has a second factor. Enter your password again \
            with the one-time passcode from your authenticator app. Each passcode works once."
            .into(),
        Problem::NotLinked => "This PACER account is not linked to a CM/ECF e-filing account in \
            this court. If you use CM/ECF for PACER only, no action is necessary. To file, link \
            your CM/ECF account first."
            .into(),
        Problem::BadField(field, description) => {
            format!("{} {description}.", field_label(field))
        }
        Problem::Unavailable => "The service is unavailable right now. Nothing was changed; \
            please try again in a few minutes."
            .into(),
    }
}

fn field_label(field: &str) -> &'static str {
    match field {
        "username" => "The username",
        "password" => "The password",
        "client_code" => "The client code",
        "otp_code" => "The one-time passcode",
        "ecf_login" => "The CM/ECF login",
        "ecf_password" => "The CM/ECF password",
        _ => "A field",
    }
}

fn layout(title: &str, court: Option<&CourtView>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href="/static/site.css";
            }
            body {
                header {
                    p.court { (court.map_or_else(|| "CM/ECF".to_owned(), CourtView::titled)) }
                }
                main { (body) }
            }
        }
    }
}

/// A page's title, marked when the page reports an error: the title is
/// the first thing a screen reader says of a page a form post brought.
fn title_of(title: &str, error: Option<&str>) -> String {
    match error {
        Some(_) => format!("Error: {title}"),
        None => title.to_owned(),
    }
}

/// The required-field mark, which screen readers skip: `required` says it.
fn required_mark() -> Markup {
    html! { " " span aria-hidden="true" { "*" } }
}

fn alert(error: Option<&str>) -> Markup {
    html! {
        @if let Some(error) = error {
            div.error id="error" role="alert" { (error) }
        }
    }
}

fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

/// Step 1: the splash page.
pub fn splash(court: &CourtView) -> Markup {
    layout(
        &court.titled(),
        Some(court),
        html! {
            h1 { "CM/ECF" }
            p { "The " (court.name) ", welcomes you to CM/ECF." }
            p { a href="/link" { "Click here to link a CM/ECF account to your PACER account." } }
            p { a href="/login" { "Log in to CM/ECF" } }
        },
    )
}

/// What a sign-in form shows again after a refusal.
#[derive(Debug, Default)]
pub struct SignInForm<'a> {
    /// The username as entered.
    pub username: &'a str,
    /// The client code as entered.
    pub client_code: &'a str,
    /// Whether to ask for a one-time passcode.
    pub passcode: bool,
    /// What went wrong.
    pub error: Option<String>,
}

/// Username and password, as both sign-in pages ask for them: the username
/// kept after an error, the password never echoed, both tied to the error.
fn credential_fields(form: &SignInForm<'_>) -> Markup {
    let invalid = form.error.is_some().then_some("true");
    html! {
        div.field {
            label for="username" { "Username" (required_mark()) }
            input type="text" id="username" name="username" value=(form.username)
                autocomplete="username" required maxlength="64" aria-invalid=[invalid]
                aria-describedby=[invalid.map(|_| "error")];
        }
        div.field {
            label for="password" { "Password" (required_mark()) }
            // After an error the username stays and the password is asked
            // again: the cursor goes there.
            input type="password" id="password" name="password" autocomplete="current-password"
                required maxlength="256" aria-invalid=[invalid]
                aria-describedby=[invalid.map(|_| "error")] autofocus[invalid.is_some()];
        }
    }
}

fn passcode_field(form: &SignInForm<'_>) -> Markup {
    let invalid = form.error.is_some().then_some("true");
    html! {
        @if form.passcode {
            div.field {
                label for="otp_code" { "One-time passcode" (required_mark()) }
                input type="text" id="otp_code" name="otp_code" inputmode="numeric"
                    pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" required
                    aria-invalid=[invalid]
                    aria-describedby=(if invalid.is_some() { "error otp_hint" } else { "otp_hint" });
                p.hint id="otp_hint" { "The 6-digit code from your authenticator app." }
            }
        }
    }
}

/// Step 2: the PACER login.
pub fn pacer_login(court: &CourtView, csrf: &str, form: &SignInForm<'_>) -> Markup {
    let title = format!("{} Login", court.titled());
    layout(
        &title_of(&title, form.error.as_deref()),
        Some(court),
        html! {
            h1 { (title) }
            (alert(form.error.as_deref()))
            form method="post" action="/link" {
                (csrf_field(csrf))
                p.required { "* Required Information" }
                (credential_fields(form))
                div.field {
                    label for="client_code" { "Client Code" }
                    input type="text" id="client_code" name="client_code" value=(form.client_code)
                        autocomplete="off" maxlength="32";
                }
                (passcode_field(form))
                button type="submit" { "Login" }
            }
            p.notice { (MONITORING_NOTICE) }
        },
    )
}

/// Step 3: the CM/ECF login.
pub fn ecf_login(
    court: &CourtView,
    csrf: &str,
    pacer_name: &str,
    login: &str,
    error: Option<&str>,
) -> Markup {
    let invalid = error.is_some().then_some("true");
    let described = if invalid.is_some() {
        "error ecf_hint"
    } else {
        "ecf_hint"
    };
    layout(
        &title_of(
            "CM/ECF login: link a CM/ECF account to my PACER account",
            error,
        ),
        Some(court),
        html! {
            h1 { (LINK_HEADING) }
            p { "Signed in to PACER as " strong { (pacer_name) } "." }
            p { (UTILITY_EXPLANATION) }
            (alert(error))
            form method="post" action="/link/ecf" {
                (csrf_field(csrf))
                div.field {
                    label for="ecf_login" { "CM/ECF login:" }
                    input type="text" id="ecf_login" name="ecf_login" value=(login)
                        autocomplete="off" required maxlength="64"
                        aria-describedby=(described) aria-invalid=[invalid]
                        autofocus[invalid.is_some()];
                }
                div.field {
                    label for="ecf_password" { "CM/ECF password:" }
                    input type="password" id="ecf_password" name="ecf_password"
                        autocomplete="current-password" required maxlength="256"
                        aria-describedby=(described) aria-invalid=[invalid];
                }
                p.hint id="ecf_hint" {
                    "* Your ECF login name begins with \u{201c}" (court.prefix) "\u{201d}, and the password is "
                    "whatever you designated on your application. If you have forgotten your login "
                    "and/or password, call the Clerk\u{2019}s Office."
                }
                button type="submit" { "Submit" }
            }
        },
    )
}

/// Step 4: both accounts side by side.
pub fn verify(
    court: &CourtView,
    csrf: &str,
    preview: &crate::proto::PreviewLinkResponse,
    error: Option<&str>,
) -> Markup {
    let ecf = preview
        .ecf_account
        .as_ref()
        .map_or("", |a| a.display_name.as_str());
    let pacer = preview
        .pacer_account
        .as_ref()
        .map_or("", |a| a.display_name.as_str());
    layout(
        &title_of("Do you want to link these accounts?", error),
        Some(court),
        html! {
            h1 { (LINK_HEADING) }
            (alert(error))
            h2 { "Do you want to link these accounts?" }
            dl.accounts {
                dt { "CM/ECF" } dd { (ecf) }
                dt { "PACER" } dd { (pacer) }
            }
            @if !preview.names_match {
                div.warning role="alert" {
                    strong { "The names on these accounts do not match." }
                    " Go back if this is not your CM/ECF account."
                }
            }
            p { (preview.notice) }
            form method="post" action="/link/verify" {
                (csrf_field(csrf))
                button type="submit" { "Submit" }
            }
            p { a href="/link/ecf" { "Go back" } }
        },
    )
}

/// Step 5: the confirmation.
pub fn linked(court: &CourtView, message: &str) -> Markup {
    layout(
        "Your PACER account has been linked to your CM/ECF account",
        Some(court),
        html! {
            h1 { (LINK_HEADING) }
            div.success role="status" { p { (message) } }
            p {
                strong {
                    "You will now only use your PACER username and password to log in to both \
                     PACER and CM/ECF."
                }
            }
            p { a href="/login" { "Log in to CM/ECF" } }
        },
    )
}

/// Step 6: the CM/ECF login, with PACER credentials.
pub fn filer_login(court: &CourtView, csrf: &str, form: &SignInForm<'_>) -> Markup {
    let title = format!("{} CM/ECF Login", court.titled());
    layout(
        &title_of(&title, form.error.as_deref()),
        Some(court),
        html! {
            h1 { (title) }
            p { "Log in with your PACER username and password." }
            (alert(form.error.as_deref()))
            form method="post" action="/login" {
                (csrf_field(csrf))
                p.required { "* Required Information" }
                (credential_fields(form))
                (passcode_field(form))
                button type="submit" { "Login" }
            }
            p.notice { (MONITORING_NOTICE) }
        },
    )
}

/// After step 6: signed in as the linked CM/ECF account.
pub fn signed_in(court: &CourtView, ecf_name: &str, pacer_username: &str) -> Markup {
    layout(
        "CM/ECF",
        Some(court),
        html! {
            h1 { "Welcome, " (ecf_name) }
            p { "You are logged in to CM/ECF with your PACER account " strong { (pacer_username) } "." }
        },
    )
}

/// A refusal that needs no court record: a forged or stale form, or a
/// service that cannot be reached before the court is known.
pub fn refused(heading: &str, text: &str) -> Markup {
    layout(
        heading,
        None,
        html! {
            h1 { (heading) }
            div.error role="alert" { (text) }
            p { a href="/" { "Start again" } }
        },
    )
}

/// The stylesheet: served from this origin, so the CSP needs no inline style.
pub const STYLESHEET: &str = "\
body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff;line-height:1.5}
header{background:#112e51;color:#fff;padding:.75rem 1.5rem}
header .court{margin:0;font-weight:600}
main{max-width:40rem;padding:1rem 1.5rem}
h1{font-size:1.5rem}
.field{margin:.75rem 0}
label{display:block;font-weight:600}
input[type=text],input[type=password]{font-size:1rem;padding:.4rem;width:100%;max-width:24rem;\
border:1px solid #565c65}
button{font-size:1rem;padding:.5rem 1.25rem;background:#005ea2;color:#fff;border:0;border-radius:4px}
button:focus,a:focus,input:focus{outline:3px solid #ffbe2e;outline-offset:2px}
a{color:#005ea2}
.error{border-left:6px solid #b50909;background:#f4e3db;padding:.75rem;margin:1rem 0}
.warning{border-left:6px solid #ffbe2e;background:#faf3d1;padding:.75rem;margin:1rem 0}
.success{border-left:6px solid #00a91c;background:#ecf3ec;padding:.75rem;margin:1rem 0}
.hint,.notice{color:#3d4551;font-size:.9rem}
dl.accounts{display:grid;grid-template-columns:max-content auto;gap:.25rem 1rem}
dl.accounts dt{font-weight:600}
dl.accounts dd{margin:0}
";
