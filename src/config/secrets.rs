//! Secrets: from the environment or from a mounted file, never from flags.
use crate::mfa::TotpKey;

/// The environment variable holding the admin token.
pub const ADMIN_TOKEN_ENV: &str = "PACER_LINK_ADMIN_TOKEN";
/// The environment variable holding the TOTP sealing key (64 hex digits).
pub const TOTP_KEY_ENV: &str = "PACER_LINK_TOTP_KEY";
const MIN_ADMIN_TOKEN_LEN: usize = 16;

/// The secrets a server may hold, validated.
#[derive(Clone, Default)]
pub struct Secrets {
    /// The admin bearer token; `None` refuses every admin call.
    pub admin_token: Option<String>,
    /// The key sealing TOTP secrets.
    pub totp_key: Option<TotpKey>,
}

impl Secrets {
    /// Reads `PACER_LINK_ADMIN_TOKEN` and `PACER_LINK_TOTP_KEY`, or their `_FILE`s.
    pub fn from_env() -> Result<Self, String> {
        Ok(Self {
            admin_token: admin_token(secret_from_env(ADMIN_TOKEN_ENV)?)?,
            totp_key: totp_key(secret_from_env(TOTP_KEY_ENV)?)?,
        })
    }
}

fn admin_token(value: Option<String>) -> Result<Option<String>, String> {
    match value.filter(|t| !t.is_empty()) {
        Some(token) if token.len() < MIN_ADMIN_TOKEN_LEN => Err(format!(
            "{ADMIN_TOKEN_ENV} must be at least {MIN_ADMIN_TOKEN_LEN} characters"
        )),
        token => Ok(token),
    }
}

fn totp_key(hex: Option<String>) -> Result<Option<TotpKey>, String> {
    hex.map(|hex| TotpKey::from_hex(&hex).map_err(|e| format!("{TOTP_KEY_ENV}: {e}")))
        .transpose()
}

/// A secret from `NAME` or from the file named by `NAME_FILE` (a mounted
/// Kubernetes Secret); a trailing newline in the file is ignored. Setting
/// both is an error, so a stale variable cannot silently win.
pub fn secret_from_env(name: &str) -> Result<Option<String>, String> {
    let direct = std::env::var(name).ok().filter(|v| !v.is_empty());
    match (direct, secret_file(name)?) {
        (Some(_), Some(_)) => Err(format!("set {name} or {name}_FILE, not both")),
        (value, None) | (None, value) => Ok(value),
    }
}

/// The contents of the file named by `NAME_FILE`, if that is set.
pub(super) fn secret_file(name: &str) -> Result<Option<String>, String> {
    let Some(path) = std::env::var_os(format!("{name}_FILE")).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let path = std::path::Path::new(&path);
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{name}_FILE: cannot read {}: {e}", path.display()))?;
    let value = text.trim_end_matches(['\n', '\r']).to_owned();
    if value.is_empty() {
        return Err(format!("{name}_FILE: {} is empty", path.display()));
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_admin_token_is_refused() {
        let refused = admin_token(Some("too-short".into()));

        assert_eq!(
            refused,
            Err("PACER_LINK_ADMIN_TOKEN must be at least 16 characters".into())
        );
    }

    #[test]
    fn an_empty_admin_token_means_none() {
        assert_eq!(admin_token(Some(String::new())), Ok(None));
    }

    #[test]
    fn a_long_enough_admin_token_is_kept() {
        let token = "0123456789abcdef".to_owned();

        assert_eq!(admin_token(Some(token.clone())), Ok(Some(token)));
    }

    #[test]
    fn a_totp_key_that_is_not_hex_is_refused_naming_the_variable() {
        let refused = totp_key(Some("not hex".into()));

        assert!(refused.err().unwrap().starts_with("PACER_LINK_TOTP_KEY: "));
    }

    #[test]
    fn a_valid_totp_key_is_read() {
        let key = totp_key(Some("ab".repeat(32)));

        assert!(matches!(key, Ok(Some(_))));
    }
}
