//! The caller policy: which callers may call which methods, read once at
//! start-up from a TOML file. A file with any fault is refused whole, with
//! the line of the fault, so a policy is never half-applied.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use prost::Message;
use serde::Deserialize;
use toml::Spanned;

use super::spiffe_id;
use crate::caller::ANONYMOUS;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    caller: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: Spanned<String>,
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    front_end: bool,
}

/// What one caller may do.
#[derive(Debug, Clone, Default)]
struct Grant {
    /// The caller's id, shared by every request that names it.
    id: Arc<str>,
    front_end: bool,
    methods: HashSet<String>,
    services: HashSet<String>,
}

/// Which callers may call which methods of our services.
#[derive(Debug, Clone, Default)]
pub struct CallerPolicy {
    callers: HashMap<String, Grant>,
}

impl CallerPolicy {
    /// Parses a policy file's text; the error starts with the line at fault.
    pub fn parse(text: &str) -> Result<Self, String> {
        let at = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let file: PolicyFile = toml::from_str(text).map_err(|e| match e.span() {
            Some(span) => format!("line {}: {}", at(span.start), e.message().trim()),
            None => e.message().trim().to_owned(),
        })?;
        let known = our_methods();
        let mut callers = HashMap::new();
        for entry in file.caller {
            let id = entry.id.get_ref();
            if id != ANONYMOUS && spiffe_id(id).is_none() {
                return Err(format!(
                    "line {}: caller id {id:?} is neither a SPIFFE ID \
                     (spiffe://<trust-domain>/...) nor \"{ANONYMOUS}\"",
                    at(entry.id.span().start)
                ));
            }
            let mut grant = Grant {
                id: Arc::from(id.as_str()),
                front_end: entry.front_end,
                ..Grant::default()
            };
            for allowed in &entry.allow {
                let name = allowed.get_ref();
                match name.split_once('/') {
                    Some((service, "*")) if known.iter().any(|m| m.0 == service) => {
                        grant.services.insert(service.to_owned());
                    }
                    Some((service, method)) if known.contains(&(service, method)) => {
                        grant.methods.insert(name.clone());
                    }
                    _ => {
                        return Err(format!(
                            "line {}: {name:?} is not a method of this service \
                             (court.identity.v1.<Service>/<Method> or <Service>/*)",
                            at(allowed.span().start)
                        ));
                    }
                }
            }
            if callers.insert(id.clone(), grant).is_some() {
                return Err(format!(
                    "line {}: caller {id:?} is listed twice",
                    at(entry.id.span().start)
                ));
            }
        }
        Ok(Self { callers })
    }

    /// Whether `caller` may call `method`, a full name such as
    /// `court.identity.v1.LinkStatusService/GetLinkStatus`.
    pub fn allows(&self, caller: &str, method: &str) -> bool {
        let Some(grant) = self.callers.get(caller) else {
            return false;
        };
        let service = method.split_once('/').map_or(method, |(s, _)| s);
        grant.methods.contains(method) || grant.services.contains(service)
    }

    /// A listed caller's shared id, and whether it is a front-end.
    pub fn listed(&self, caller: &str) -> Option<(&Arc<str>, bool)> {
        self.callers.get(caller).map(|g| (&g.id, g.front_end))
    }
}

/// Every `(service, method)` of our contract, from its descriptor set.
fn our_methods() -> HashSet<(&'static str, &'static str)> {
    static METHODS: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    METHODS
        .get_or_init(|| {
            let set = prost_types::FileDescriptorSet::decode(crate::proto::FILE_DESCRIPTOR_SET)
                .expect("the built-in descriptor set decodes");
            let mut methods = Vec::new();
            for file in set.file {
                for service in &file.service {
                    let full = format!("{}.{}", file.package(), service.name());
                    for method in &service.method {
                        methods.push((full.clone(), method.name().to_owned()));
                    }
                }
            }
            methods
        })
        .iter()
        .map(|(s, m)| (s.as_str(), m.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
[[caller]]
id = "spiffe://court.example/ns/cmecf/sa/cmecf-web"
allow = ["court.identity.v1.AccountLinkService/*",
         "court.identity.v1.FilerAuthService/AuthenticateFiler"]
front_end = true
[[caller]]
id = "spiffe://court.example/ns/docketing/sa/docketing"
allow = ["court.identity.v1.LinkStatusService/GetLinkStatus"]
"#;
    const WEB: &str = "spiffe://court.example/ns/cmecf/sa/cmecf-web";
    const DOCKETING: &str = "spiffe://court.example/ns/docketing/sa/docketing";

    fn refusal(text: &str) -> String {
        CallerPolicy::parse(text).expect_err("refused")
    }

    #[test]
    fn a_listed_caller_may_call_what_it_is_allowed_and_nothing_else() {
        let policy = CallerPolicy::parse(EXAMPLE).unwrap();

        assert!(policy.allows(WEB, "court.identity.v1.AccountLinkService/ConfirmLink"));
        assert!(policy.allows(WEB, "court.identity.v1.FilerAuthService/AuthenticateFiler"));
        assert!(!policy.allows(WEB, "court.identity.v1.LinkStatusService/GetLinkStatus"));
        assert!(policy.allows(
            DOCKETING,
            "court.identity.v1.LinkStatusService/GetLinkStatus"
        ));
        assert!(!policy.allows(
            DOCKETING,
            "court.identity.v1.AccountLinkService/ConfirmLink"
        ));
        assert_eq!(
            policy.listed(WEB).map(|(_, front_end)| front_end),
            Some(true)
        );
        assert_eq!(
            policy.listed(DOCKETING).map(|(_, front_end)| front_end),
            Some(false)
        );
    }

    #[test]
    fn an_unlisted_caller_may_call_nothing() {
        let policy = CallerPolicy::parse(EXAMPLE).unwrap();

        assert!(policy.listed(ANONYMOUS).is_none());
        assert!(!policy.allows(
            ANONYMOUS,
            "court.identity.v1.LinkStatusService/GetLinkStatus"
        ));
    }

    #[test]
    fn anonymous_may_be_listed_like_any_caller() {
        let policy = CallerPolicy::parse(
            "[[caller]]\nid = \"anonymous\"\n\
             allow = [\"court.identity.v1.LinkStatusService/*\"]\n",
        )
        .unwrap();

        assert!(policy.allows(
            ANONYMOUS,
            "court.identity.v1.LinkStatusService/GetLinkStatus"
        ));
    }

    #[test]
    fn a_syntax_error_is_refused_naming_its_line() {
        let message = refusal("[[caller]]\nid = \"spiffe://a/b\"\nallow = [\n");

        assert!(message.starts_with("line 3"), "{message}");
    }

    #[test]
    fn an_unknown_method_is_refused_naming_its_line() {
        let message = refusal(&EXAMPLE.replace("GetLinkStatus", "GetLinkStatsu"));

        assert!(message.starts_with("line 9:"), "{message}");
    }

    #[test]
    fn an_unknown_key_a_bad_id_and_a_repeated_caller_are_refused() {
        let typo = refusal(&EXAMPLE.replace("front_end", "frontend"));
        let bad_id = refusal(&EXAMPLE.replace("spiffe://court.example/ns/docketing", "docketing"));
        let twice = refusal(&EXAMPLE.replace("docketing/sa/docketing", "cmecf/sa/cmecf-web"));

        assert!(typo.starts_with("line 6:"), "{typo}");
        assert!(bad_id.starts_with("line 8:"), "{bad_id}");
        assert!(
            twice.starts_with("line 8:") && twice.contains("twice"),
            "{twice}"
        );
    }
}
