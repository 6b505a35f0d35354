//! Where a caller's SPIFFE ID comes from: the URI SAN of the verified client
//! certificate, or the `URI=` of the last element of Envoy's
//! `x-forwarded-client-cert` header when a sidecar terminates mTLS.
use super::spiffe_id;

/// The SPIFFE ID a DER certificate names in its one SPIFFE URI SAN; `None`
/// when it names none, or more than one (an SVID names exactly one).
pub fn spiffe_id_of_certificate(der: &[u8]) -> Option<String> {
    use x509_parser::extensions::GeneralName;
    let (_, certificate) = x509_parser::parse_x509_certificate(der).ok()?;
    let names = certificate.subject_alternative_name().ok()??;
    single(
        names
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::URI(uri) => spiffe_id(uri),
                _ => None,
            }),
    )
}

/// The SPIFFE ID in the last element of an `x-forwarded-client-cert` value:
/// the element the sidecar in front of us added for the client it verified.
pub fn spiffe_id_of_xfcc(header: &str) -> Option<String> {
    let element = split_unquoted(header, ',').pop()?;
    single(split_unquoted(element, ';').into_iter().filter_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("uri")
            .then(|| unquote(value.trim()))
            .and_then(|value| spiffe_id(&value).map(str::to_owned))
    }))
}

/// The one item of `items`, if there is exactly one.
fn single<T: ToString>(mut items: impl Iterator<Item = T>) -> Option<String> {
    let first = items.next()?;
    items.next().is_none().then(|| first.to_string())
}

/// `text` split at each `separator` outside double quotes.
fn split_unquoted(text: &str, separator: char) -> Vec<&str> {
    let (mut parts, mut start, mut quoted, mut escaped) = (Vec::new(), 0, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// A value without its surrounding quotes and escapes.
fn unquote(value: &str) -> String {
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_element_of_the_header_names_the_caller() {
        let header = "By=spiffe://court.example/ns/edge/sa/gw;\
                      URI=spiffe://court.example/ns/outer/sa/first,\
                      By=spiffe://court.example/ns/pacer/sa/pacer-link;Hash=ab12;\
                      Subject=\"CN=web,O=Court; Inc\";URI=spiffe://court.example/ns/cmecf/sa/web";

        assert_eq!(
            spiffe_id_of_xfcc(header).as_deref(),
            Some("spiffe://court.example/ns/cmecf/sa/web")
        );
    }

    #[test]
    fn a_header_without_one_spiffe_uri_names_nobody() {
        assert_eq!(spiffe_id_of_xfcc("Hash=ab12;DNS=web.example"), None);
        assert_eq!(spiffe_id_of_xfcc("URI=https://web.example/"), None);
        assert_eq!(
            spiffe_id_of_xfcc("URI=spiffe://a.example/x;URI=spiffe://a.example/y"),
            None
        );
        assert_eq!(spiffe_id_of_xfcc(""), None);
    }

    #[test]
    fn a_quoted_uri_is_unquoted() {
        assert_eq!(
            spiffe_id_of_xfcc("URI=\"spiffe://court.example/ns/a/sa/b\"").as_deref(),
            Some("spiffe://court.example/ns/a/sa/b")
        );
    }

    #[test]
    fn garbage_is_no_certificate() {
        assert_eq!(spiffe_id_of_certificate(b"not a certificate"), None);
    }
}
