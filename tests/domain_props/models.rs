//! What each parser's doc comment promises, written out independently of
//! the parser, and strategies for text on both sides of each rule.
use proptest::prelude::*;

/// Identifier rule: a length in characters and an allow-list; the value is lower-cased.
pub struct Identifier {
    pub min: usize,
    pub max: usize,
    pub allowed: fn(char) -> bool,
}

impl Identifier {
    pub fn accepts(&self, raw: &str) -> bool {
        let len = raw.chars().count();
        (self.min..=self.max).contains(&len) && raw.chars().all(self.allowed)
    }
}

fn alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

fn login(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

fn username(c: char) -> bool {
    login(c) || c == '@'
}

pub const COURT_ID: Identifier = Identifier {
    min: 2,
    max: 16,
    allowed: alnum,
};
pub const ECF_LOGIN_PREFIX: Identifier = Identifier {
    min: 1,
    max: 8,
    allowed: alnum,
};
pub const PACER_USERNAME: Identifier = Identifier {
    min: 1,
    max: 64,
    allowed: username,
};
pub const ECF_LOGIN: Identifier = Identifier {
    min: 1,
    max: 64,
    allowed: login,
};

/// Controls, line/paragraph separators, bidi controls and zero-width characters.
fn breaks_display(c: char) -> bool {
    c.is_control()
        || ('\u{200b}'..='\u{200f}').contains(&c)
        || ('\u{2028}'..='\u{202e}').contains(&c)
        || ('\u{2060}'..='\u{2069}').contains(&c)
        || c == '\u{feff}'
}

/// Human text: trimmed, 1 to `max` characters, none of `breaks_display`.
pub fn human(raw: &str, max: usize) -> Option<&str> {
    let t = raw.trim();
    let ok = !t.is_empty() && t.chars().count() <= max && !t.chars().any(breaks_display);
    ok.then_some(t)
}

pub const COURT_NAME_MAX: usize = 200;
pub const DISPLAY_NAME_MAX: usize = 128;
pub const UNLINK_REASON_MAX: usize = 500;

/// Client code: empty, or up to 32 printable ASCII characters (space included).
pub fn client_code(raw: &str) -> bool {
    raw.is_empty() || (raw.len() <= 32 && raw.chars().all(|c| c.is_ascii_graphic() || c == ' '))
}

/// Password offered at sign-in: 1 to 256 characters, as received.
pub fn password(raw: &str) -> bool {
    (1..=256).contains(&raw.chars().count())
}

/// Password being set: 12 to 256 characters.
pub fn new_password(raw: &str) -> bool {
    (12..=256).contains(&raw.chars().count())
}

/// One-time code: empty (none given) or exactly six ASCII digits.
pub fn otp_code(raw: &str) -> bool {
    raw.is_empty() || (raw.len() == 6 && raw.bytes().all(|b| b.is_ascii_digit()))
}

pub const TOKEN_ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Flow token: exactly 43 characters of the base64url alphabet.
pub fn flow_token(raw: &str) -> bool {
    raw.len() == 43 && raw.chars().all(|c| TOKEN_ALPHABET.contains(c))
}

/// Any text at all, including control characters, surrogates' neighbours
/// and multi-byte characters.
pub fn any_text() -> BoxedStrategy<String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,300}",
        "[\\x00-\\x7f]{0,80}",
        "[ \\t\\n\\r\\u{85}\\u{a0}\\u{2028}\\u{3000}a-zA-Z]{0,20}",
    ]
    .boxed()
}

/// Text built mostly from an allow-list, sometimes with one stray
/// character, around the length limits.
pub fn near(allowed: &str, max: usize) -> BoxedStrategy<String> {
    let body = proptest::string::string_regex(&format!("[{allowed}]{{0,{}}}", max + 2))
        .expect("a valid pattern");
    let stray = prop_oneof![
        Just(String::new()),
        Just(String::new()),
        any::<char>().prop_map(String::from),
        prop::sample::select(vec![
            " ", "\n", "\u{0}", "\u{7f}", "é", "İ", "K", "\u{212a}"
        ])
        .prop_map(String::from),
    ];
    (body, stray, any::<prop::sample::Index>())
        .prop_map(|(body, stray, at)| {
            let chars: Vec<char> = body.chars().collect();
            let at = at.index(chars.len() + 1);
            let mut out: String = chars[..at].iter().collect();
            out.push_str(&stray);
            out.extend(&chars[at..]);
            out
        })
        .boxed()
}

/// Either junk or near-valid text for a field.
pub fn field(allowed: &str, max: usize) -> BoxedStrategy<String> {
    prop_oneof![any_text(), near(allowed, max)].boxed()
}

pub const ALNUM: &str = "a-zA-Z0-9";
pub const LOGIN: &str = "a-zA-Z0-9._\\-";
pub const USERNAME: &str = "a-zA-Z0-9._@\\-";
pub const HUMAN: &str = " a-zA-Z0-9.,'\\-\u{e9}\u{4e2d}";
pub const PRINTABLE: &str = " -~";
pub const TOKEN: &str = "a-zA-Z0-9_\\-";
