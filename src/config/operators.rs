//! The operators allowed to make admin calls: named, each with the SHA-256
//! of its bearer token, from a TOML file (`PACER_LINK_OPERATORS_FILE`, a
//! mounted Secret), plus the development token `PACER_LINK_ADMIN_TOKEN` as
//! the operator `admin`. A file that is wrong anywhere stops start-up with
//! the line at fault: no operator is ever loaded from half a file.
use std::ops::Range;
use std::path::PathBuf;

use clap::Args;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

/// The environment variable naming the operators file.
pub const OPERATORS_FILE_ENV: &str = "PACER_LINK_OPERATORS_FILE";
/// The operator the development token stands for.
pub const DEV_OPERATOR: &str = "admin";
const MAX_NAME_CHARS: usize = 64;

/// Who may make admin calls.
#[derive(Debug, Clone, Args)]
pub struct OperatorArgs {
    /// TOML file of `[[operator]]` tables, each with `name` and
    /// `token_sha256` (64 hex digits, the SHA-256 of the operator's token).
    #[arg(long, env = OPERATORS_FILE_ENV)]
    pub operators_file: Option<PathBuf>,
}

/// An operator: a name for the audit trail, and its token's SHA-256.
#[derive(Clone, PartialEq, Eq)]
pub struct Operator {
    /// Letters, digits, '.', '_', '-', '@'; at most 64 characters.
    pub name: String,
    /// The SHA-256 of its bearer token.
    pub token_sha256: [u8; 32],
}

impl std::fmt::Debug for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operator")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Operator {
    /// The development operator `admin`, holding `token`.
    pub fn dev(token: &str) -> Self {
        Self {
            name: DEV_OPERATOR.to_owned(),
            token_sha256: Sha256::digest(token.as_bytes()).into(),
        }
    }
}

impl OperatorArgs {
    /// The operators of the file, if one is set.
    pub fn operators(&self) -> Result<Vec<Operator>, String> {
        let Some(path) = &self.operators_file else {
            return Ok(Vec::new());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{OPERATORS_FILE_ENV}: cannot read {}: {e}", path.display()))?;
        parse(&text).map_err(|e| format!("{OPERATORS_FILE_ENV}: {}: {e}", path.display()))
    }
}

impl super::Settings {
    /// Every operator, each a name and its token's SHA-256: those of the
    /// file, and `admin` for the development token if one is set.
    pub fn all_operators(&self) -> Vec<(String, [u8; 32])> {
        let dev = self.admin_token.as_deref().map(Operator::dev);
        (self.operators.iter().cloned().chain(dev))
            .map(|o| (o.name, o.token_sha256))
            .collect()
    }
}

/// Refuses a file operator named `admin` beside the development token, so
/// that the trail's `admin` always means one holder.
pub(super) fn check_dev(operators: &[Operator], admin_token: bool) -> Result<(), String> {
    if admin_token && operators.iter().any(|o| o.name == DEV_OPERATOR) {
        return Err(format!(
            "{OPERATORS_FILE_ENV} names an operator {DEV_OPERATOR:?}, the name of \
             PACER_LINK_ADMIN_TOKEN's holder: rename it or unset the token"
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    operator: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: Spanned<String>,
    token_sha256: Spanned<String>,
}

/// Every operator of `text`, or the first fault, naming its line.
pub fn parse(text: &str) -> Result<Vec<Operator>, String> {
    let line = |span: Range<usize>| text[..span.start.min(text.len())].matches('\n').count() + 1;
    let file: File = toml::from_str(text).map_err(|e| match e.span() {
        Some(span) => format!("line {}: {}", line(span), e.message().trim_end()),
        None => e.message().trim_end().to_owned(),
    })?;
    let mut operators: Vec<Operator> = Vec::with_capacity(file.operator.len());
    for entry in file.operator {
        let at = |span: Range<usize>, why: String| format!("line {}: {why}", line(span));
        let name = entry.name.get_ref();
        check_name(name).map_err(|why| at(entry.name.span(), why))?;
        let token_sha256 = hex_digest(entry.token_sha256.get_ref())
            .map_err(|why| at(entry.token_sha256.span(), why))?;
        if operators.iter().any(|o| &o.name == name) {
            return Err(at(
                entry.name.span(),
                format!("operator {name:?} appears twice"),
            ));
        }
        if operators.iter().any(|o| o.token_sha256 == token_sha256) {
            let why = "token_sha256 is another operator's: each needs its own token".to_owned();
            return Err(at(entry.token_sha256.span(), why));
        }
        operators.push(Operator {
            name: name.clone(),
            token_sha256,
        });
    }
    Ok(operators)
}

fn check_name(name: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || !name.chars().all(allowed) {
        return Err(format!(
            "name must be 1 to {MAX_NAME_CHARS} letters, digits, '.', '_', '-' or '@'"
        ));
    }
    Ok(())
}

fn hex_digest(hex: &str) -> Result<[u8; 32], String> {
    let bad = || "token_sha256 must be 64 hex digits (a SHA-256)".to_owned();
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(bad());
    }
    let mut digest = [0u8; 32];
    for (byte, pair) in digest.iter_mut().zip(hex.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).map_err(|_| bad())?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
    }
    Ok(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &str = "2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90";
    const BOB: &str = "81b637d8fcd2c6da6359e6963113a1170de795e4b725b84d1e0b4cfd9ec58ce9";

    #[test]
    fn operators_are_read_with_their_digests() {
        let text = format!(
            "[[operator]]\nname = \"alice\"\ntoken_sha256 = \"{ALICE}\"\n\n\
             [[operator]]\nname = \"bob\"\ntoken_sha256 = \"{BOB}\"\n"
        );

        let operators = parse(&text).unwrap();

        let names: Vec<_> = operators.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["alice", "bob"]);
        assert_eq!(operators[0].token_sha256[..2], [0x2b, 0xd8]);
    }

    #[test]
    fn a_toml_syntax_error_names_its_line() {
        let text = format!("[[operator]]\nname = \"alice\"\ntoken_sha256 \"{ALICE}\"\n");

        let refused = parse(&text).unwrap_err();

        assert!(refused.starts_with("line 3: "), "{refused}");
    }

    #[test]
    fn a_bad_digest_names_its_line_and_nothing_is_loaded() {
        let text = format!(
            "[[operator]]\nname = \"alice\"\ntoken_sha256 = \"{ALICE}\"\n\
             [[operator]]\nname = \"bob\"\ntoken_sha256 = \"not-hex\"\n"
        );

        let refused = parse(&text).unwrap_err();

        assert_eq!(
            refused,
            "line 6: token_sha256 must be 64 hex digits (a SHA-256)"
        );
    }

    #[test]
    fn duplicate_names_unknown_keys_and_bad_names_are_refused() {
        let twice = format!(
            "[[operator]]\nname = \"alice\"\ntoken_sha256 = \"{ALICE}\"\n\
             [[operator]]\nname = \"alice\"\ntoken_sha256 = \"{BOB}\"\n"
        );
        let unknown = format!("[[operator]]\nname = \"a\"\ntoken_sha256 = \"{ALICE}\"\nrole = 1\n");
        let bad_name = format!("[[operator]]\nname = \"a b\"\ntoken_sha256 = \"{ALICE}\"\n");

        assert!(parse(&twice).unwrap_err().starts_with("line 5: "));
        assert!(parse(&unknown).unwrap_err().starts_with("line 4: "));
        assert!(parse(&bad_name).unwrap_err().starts_with("line 2: "));
    }
}
