//! Import files: JSON Lines, one account per line in the proto3 JSON form of
//! `AccountRecord`, e.g.
//! `{"pacer":{"username":"jdoe","displayName":"Jane Doe","upgraded":true,"passwordHash":"$2b$12$..."}}`.
//! Field names are accepted in lowerCamelCase and as written in the proto,
//! as proto3 JSON parsers do; unknown fields are refused.
use serde::Deserialize;

use crate::proto;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordJson {
    ecf: Option<EcfJson>,
    pacer: Option<PacerJson>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EcfJson {
    #[serde(default, alias = "court_id")]
    court_id: String,
    #[serde(default)]
    login: String,
    #[serde(default, alias = "display_name")]
    display_name: String,
    #[serde(default, alias = "password_hash")]
    password_hash: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PacerJson {
    #[serde(default)]
    username: String,
    #[serde(default, alias = "display_name")]
    display_name: String,
    #[serde(default)]
    upgraded: bool,
    #[serde(default, alias = "password_hash")]
    password_hash: String,
}

/// The record on one line, or why it is not one. The message never quotes
/// the line (it may hold a hash).
pub fn parse_line(line: &str) -> Result<proto::AccountRecord, String> {
    use proto::account_record::Account;
    let record: RecordJson = serde_json::from_str(line).map_err(|e| {
        // serde_json's messages name positions and expectations, not values.
        format!("not an account record: {}", e.classify_message())
    })?;
    let account = match (record.ecf, record.pacer) {
        (Some(e), None) => Account::Ecf(proto::EcfAccountRecord {
            court_id: e.court_id,
            login: e.login,
            display_name: e.display_name,
            password_hash: e.password_hash,
        }),
        (None, Some(p)) => Account::Pacer(proto::PacerAccountRecord {
            username: p.username,
            display_name: p.display_name,
            upgraded: p.upgraded,
            password_hash: p.password_hash,
        }),
        _ => return Err("a record sets exactly one of \"ecf\" and \"pacer\"".to_owned()),
    };
    Ok(proto::AccountRecord {
        account: Some(account),
    })
}

/// What kind of mistake a JSON error is, without the input it quotes.
trait Classify {
    fn classify_message(&self) -> String;
}

impl Classify for serde_json::Error {
    fn classify_message(&self) -> String {
        let kind = match self.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "unexpected field or value",
            serde_json::error::Category::Eof => "incomplete JSON",
        };
        format!("{kind} at column {}", self.column())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::account_record::Account;

    #[test]
    fn both_spellings_of_a_field_are_read() {
        let camel = r#"{"ecf":{"courtId":"cod","login":"coa","displayName":"A B","passwordHash":"$1$x$y"}}"#;
        let snake = r#"{"ecf":{"court_id":"cod","login":"coa","display_name":"A B","password_hash":"$1$x$y"}}"#;

        assert_eq!(parse_line(camel).unwrap(), parse_line(snake).unwrap());
        let Some(Account::Ecf(ecf)) = parse_line(camel).unwrap().account else {
            panic!("not an ecf record");
        };
        assert_eq!(
            (ecf.court_id.as_str(), ecf.password_hash.as_str()),
            ("cod", "$1$x$y")
        );
    }

    #[test]
    fn bad_lines_are_refused_without_quoting_them() {
        for line in [
            "{not json",
            r#"{"pacer":{"username":"jdoe","password":"secret-in-plain"}}"#,
            r#"{"pacer":{"username":"a"},"ecf":{"login":"b"}}"#,
            r#"{}"#,
            r#"["pacer"]"#,
        ] {
            let error = parse_line(line).unwrap_err();
            assert!(!error.contains("secret"), "{error}");
        }
    }
}
