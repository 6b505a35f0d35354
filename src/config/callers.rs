//! Who callers are and what they may call: the caller policy file, and
//! whether a sidecar's `x-forwarded-client-cert` header names the caller.
use std::{path::PathBuf, sync::Arc};

use clap::Args;

use crate::identity::{CallerPolicy, CallerSettings};

/// The caller policy and where the caller's identity comes from.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Callers")]
pub struct CallerArgs {
    /// TOML file granting each caller (SPIFFE ID or "anonymous") the methods
    /// it may call; without it every caller may call every method.
    #[arg(long, env = "PACER_LINK_CALLER_POLICY_FILE")]
    pub caller_policy_file: Option<PathBuf>,
    /// Name the caller by the last element of Envoy's x-forwarded-client-cert
    /// header: only when a sidecar that terminates mTLS is the only way in.
    #[arg(long, env = "PACER_LINK_TRUST_XFCC")]
    pub trust_xfcc: bool,
}

impl CallerArgs {
    /// The caller settings, with the policy read and checked in full.
    pub fn settings(&self) -> Result<CallerSettings, String> {
        let policy = match &self.caller_policy_file {
            None => None,
            Some(path) => {
                let name = "PACER_LINK_CALLER_POLICY_FILE";
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("{name}: cannot read {}: {e}", path.display()))?;
                let policy = CallerPolicy::parse(&text)
                    .map_err(|e| format!("{name}: {}: {e}", path.display()))?;
                Some(Arc::new(policy))
            }
        };
        Ok(CallerSettings {
            policy,
            trust_xfcc: self.trust_xfcc,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_policy(text: &str) -> Result<CallerSettings, String> {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        CallerArgs {
            caller_policy_file: Some(file.path().to_owned()),
            trust_xfcc: false,
        }
        .settings()
    }

    #[test]
    fn without_a_file_there_is_no_policy() {
        let args: CallerArgs = super::super::parse_defaults();

        let settings = args.settings().unwrap();

        assert!(settings.policy.is_none() && !settings.trust_xfcc);
    }

    #[test]
    fn a_malformed_policy_is_refused_naming_the_variable_and_line() {
        let message = with_policy("[[caller]]\nid = 7\n").expect_err("refused");

        assert!(
            message.starts_with("PACER_LINK_CALLER_POLICY_FILE: ") && message.contains(": line 2:"),
            "{message}"
        );
    }

    #[test]
    fn a_well_formed_policy_is_read() {
        let settings = with_policy(
            "[[caller]]\nid = \"anonymous\"\nallow = [\"court.identity.v1.LinkStatusService/*\"]\n",
        )
        .unwrap();

        assert!(
            settings
                .policy
                .is_some_and(|p| p.listed("anonymous").is_some())
        );
    }
}
