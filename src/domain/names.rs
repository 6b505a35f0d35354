//! Display names compared as a person reads them.
//!
//! Imported records spell the same person differently ("Núñez, José" vs
//! "JOSE NUNEZ"), and a clerk would call those the same name. Both names are
//! turned into a sequence of word tokens and the sequences must be equal:
//!
//! - Unicode compatibility decomposition (NFKD), then combining marks are
//!   dropped, so "é" reads as "e" and "ﬁ" as "fi". This also drops marks that
//!   are letters in their own right in some scripts (e.g. Devanagari vowel
//!   signs); names in such scripts may compare equal too eagerly.
//! - Lowercase, plus the two full case foldings that lowercasing misses:
//!   "ß" reads as "ss" and final "ς" as "σ".
//! - Apostrophes are dropped ("O'Brien" reads as "OBrien"); every other
//!   character that is not a letter or digit separates words.
//! - A name with exactly one comma is "Last, First": "Hopper, Grace M." reads
//!   as "Grace M. Hopper". With more commas they are only separators.
//! - Word order otherwise matters: "Lee Ann" is not "Ann Lee".
//!
//! A name with no letters or digits names nobody: it matches nothing, not even
//! another empty name, so a blank field can never vouch for an identity.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Whether two display names name the same person as a reader would see it.
#[must_use]
pub fn names_match(a: &str, b: &str) -> bool {
    let a = tokens(a);
    !a.is_empty() && a == tokens(b)
}

/// The normalised words of `name`, with a "Last, First" name put in reading order.
fn tokens(name: &str) -> Vec<String> {
    let mut parts = name.split(',');
    if let (Some(last), Some(first), None) = (parts.next(), parts.next(), parts.next()) {
        let (mut first, last) = (words(first), words(last));
        if !first.is_empty() && !last.is_empty() {
            first.extend(last);
            return first;
        }
    }
    words(name)
}

fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    // Apostrophes go before NFKD too: it turns U+00B4 into a space and a mark.
    let text = text.chars().filter(|&c| !is_apostrophe(c));
    for c in text.nfkd().flat_map(char::to_lowercase) {
        match c {
            _ if is_combining_mark(c) || is_apostrophe(c) => {}
            'ß' => word.push_str("ss"),
            'ς' => word.push('σ'),
            _ if c.is_alphanumeric() => word.push(c),
            _ if !word.is_empty() => words.push(std::mem::take(&mut word)),
            _ => {}
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Marks of elision inside a word, in the forms keyboards and word processors produce.
fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2018}' | '\u{2019}' | '\u{02BC}' | '`' | '\u{00B4}'
    )
}

#[cfg(test)]
mod tests {
    use super::names_match;
    use proptest::prelude::*;

    #[test]
    fn table() {
        let cases = [
            ("Grace Hopper", "GRACE  hopper.", true),
            ("Grace Hopper", "Hopper, Grace", true),
            ("Grace Hopper", "  grace\thopper  ", true),
            ("Hopper, Grace M.", "Grace M. Hopper", true),
            ("Hopper,Grace", "grace hopper", true),
            ("José Núñez", "Jose Nunez", true),
            ("Núñez, José", "JOSE NUNEZ", true),
            ("Zoë Saldaña", "Zoe\u{0308} Saldan\u{0303}a", true),
            ("Ｇｒａｃｅ Ｈｏｐｐｅｒ", "Grace Hopper", true),
            ("Jürgen Strauß", "JÜRGEN STRAUSS", true),
            ("Οδυσσέας Ελύτης", "ΟΔΥΣΣΕΑΣ ΕΛΥΤΗΣ", true),
            ("Mary-Jane Watson", "Mary Jane Watson", true),
            ("Conan O'Brien", "Conan O’Brien", true),
            ("Conan O'Brien", "conan obrien", true),
            ("Conan O\u{b4}Brien", "Conan O＇Brien", true),
            ("Ann Lee", "Anne Lee", false),
            ("Lee Ann", "Ann Lee", false),
            ("Grace Hopper", "Grace Hopper Jr", false),
            ("Grace Hopper", "Hopper Grace", false),
            ("Hopper, Grace, M.", "Grace M Hopper", false),
            ("Hopper, Grace, M.", "Hopper Grace M", true),
            ("Hopper,", "Hopper", true),
            ("Grace Hopper", "", false),
            ("", "", false),
            ("...", "...", false),
            (" , ", "", false),
        ];
        for (a, b, expected) in cases {
            assert_eq!(names_match(a, b), expected, "{a:?} vs {b:?}");
            assert_eq!(names_match(b, a), expected, "{b:?} vs {a:?}");
        }
    }

    fn word() -> impl Strategy<Value = String> {
        "[a-zA-ZÀ-ÖØ-öø-ÿα-ωΑ-ΡΣ-Ωа-яА-Я0-9]{1,8}"
    }

    fn separator() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "", " ", "\t", ".", "-", "!", "·", "(", ")", "/", "--", "&",
        ])
        .prop_map(|junk| format!(" {junk} "))
    }

    proptest! {
        #[test]
        fn symmetric(a in "\\PC{0,20}", b in "\\PC{0,20}") {
            prop_assert_eq!(names_match(&a, &b), names_match(&b, &a));
        }

        #[test]
        fn missing_word_never_matches(
            words in prop::collection::vec(word(), 1..4),
            drop in any::<prop::sample::Index>(),
        ) {
            let a = words.join(" ");
            let mut fewer = words.clone();
            fewer.remove(drop.index(words.len()));
            let b = fewer.join(" ");
            prop_assert_eq!(names_match(&a, &b), names_match(&b, &a));
            prop_assert!(!names_match(&a, &b));
        }

        #[test]
        fn ignores_case(words in prop::collection::vec(word(), 1..4)) {
            let name = words.join(" ");
            prop_assert!(names_match(&name, &name));
            prop_assert!(names_match(&name, &name.to_uppercase()));
            prop_assert!(names_match(&name.to_lowercase(), &name.to_uppercase()));
        }

        #[test]
        fn ignores_extra_spaces_and_punctuation(
            words in prop::collection::vec(word(), 1..4),
            seps in prop::collection::vec(separator(), 5),
        ) {
            let plain = words.join(" ");
            let mut noisy = seps[0].clone();
            for (i, w) in words.iter().enumerate() {
                noisy.push_str(w);
                noisy.push_str(&seps[i + 1]);
            }
            prop_assert!(names_match(&plain, &noisy), "{:?} vs {:?}", plain, noisy);
        }

        #[test]
        fn comma_form_is_reading_order(first in prop::collection::vec(word(), 1..3), last in word()) {
            let reading = format!("{} {last}", first.join(" "));
            let filed = format!("{last}, {}", first.join(" "));
            prop_assert!(names_match(&reading, &filed));
        }
    }
}
