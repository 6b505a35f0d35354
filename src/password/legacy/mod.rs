//! Verification of password hashes imported from a legacy system.
//!
//! A court's old system may hold hashes in any of several schemes. They are
//! accepted only so users can log in once and be re-hashed with argon2id, so
//! this module is strict: a stored string is fully parsed before any work is
//! done, every cost parameter is bounded (an imported row must not be able to
//! make one login take minutes or gigabytes), and errors carry only a static
//! explanation, never the hash text, so they are safe to log.
//!
//! Bounds (inclusive) and why:
//! - bcrypt: cost 4..=16. 4 is the algorithm's minimum.
//! - SHA-crypt (`$5$`, `$6$`): rounds 1000..=10_000_000, salt 1..=16 chars.
//!   The spec clamps requested rounds into 1000..=999_999_999 and writes the
//!   clamped value into the string, so a `rounds=` outside 1000.. (or with a
//!   leading zero) never came from a conforming implementation and is refused
//!   rather than clamped; 10M is our own cost cap.
//! - MD5-crypt (`$1$`): fixed 1000 rounds, salt 1..=8 chars.
//! - PBKDF2: iterations >= 1 and iterations x output blocks <= 10_000_000.
//! - scrypt: ln 1..=20, r 1..=32, p 1..=16, memory 128*r*2^ln <= 128 MiB and
//!   work 128*r*2^ln*p <= 512 MiB (p runs of the memory-hard loop, one at a time).
//! - argon2: m <= 128 MiB, t <= 100, p <= 16, and m*t <= 1 GiB (64 MiB, the
//!   common default, allows 16 passes).
//!
//! Memory is bounded well below the pod's 256 MiB limit: two hashing threads
//! may each hold one such buffer. The most expensive accepted hash of each
//! kind takes a few seconds on one core; importing one is an operator's choice.
//!
//! Salts of crypt-style hashes must use the crypt alphabet `[./0-9A-Za-z]`;
//! empty salts are refused. Digests must be canonically encoded.

use core::ops::RangeInclusive;
use core::str::FromStr;

use argon2::password_hash::phc::PasswordHash as PhcHash;
use argon2::password_hash::{Error as PhError, PasswordVerifier};
use base64ct::{Base64Pbkdf2, Base64ShaCrypt, Encoding};
use subtle::ConstantTimeEq;

/// The formats a stored hash may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashFormat {
    /// `$argon2id$` (PHC): what this service writes.
    Argon2id,
    /// `$argon2i$` (PHC).
    Argon2i,
    /// `$2a$`, `$2b$`, `$2y$`.
    Bcrypt,
    /// `$5$`, optionally with `rounds=`.
    Sha256Crypt,
    /// `$6$`, optionally with `rounds=`.
    Sha512Crypt,
    /// `$1$`.
    Md5Crypt,
    /// `$pbkdf2-sha256$`, PHC or passlib's form.
    Pbkdf2Sha256,
    /// `$pbkdf2-sha512$`, PHC or passlib's form.
    Pbkdf2Sha512,
    /// `$scrypt$` (PHC).
    Scrypt,
}

impl HashFormat {
    /// A stable lowercase name, suitable for metrics labels and audit logs.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            HashFormat::Argon2id => "argon2id",
            HashFormat::Argon2i => "argon2i",
            HashFormat::Bcrypt => "bcrypt",
            HashFormat::Sha256Crypt => "sha256-crypt",
            HashFormat::Sha512Crypt => "sha512-crypt",
            HashFormat::Md5Crypt => "md5-crypt",
            HashFormat::Pbkdf2Sha256 => "pbkdf2-sha256",
            HashFormat::Pbkdf2Sha512 => "pbkdf2-sha512",
            HashFormat::Scrypt => "scrypt",
        }
    }

    /// Whether a hash in this format needs no re-hash after a successful login.
    #[must_use]
    pub fn is_current(self) -> bool {
        self == HashFormat::Argon2id
    }
}

/// Why a stored hash was refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("unsupported password hash: {0}")]
pub struct UnsupportedHash(pub &'static str);

const UNKNOWN: UnsupportedHash = UnsupportedHash("unrecognised format");
const MALFORMED: UnsupportedHash = UnsupportedHash("malformed hash string");
const BAD_PARAMS: UnsupportedHash = UnsupportedHash("malformed or unsupported parameters");
const BAD_SALT: UnsupportedHash = UnsupportedHash("malformed salt");
const BAD_DIGEST: UnsupportedHash = UnsupportedHash("malformed digest");
const TOO_COSTLY: UnsupportedHash = UnsupportedHash("cost parameter out of bounds");

/// Longer than any accepted hash: refuse early instead of scanning huge input.
const MAX_HASH_LEN: usize = 512;

const BCRYPT_COST: RangeInclusive<u32> = 4..=16;
const SHA_CRYPT_ROUNDS: RangeInclusive<u32> = 1_000..=10_000_000;
const SHA_CRYPT_DEFAULT_ROUNDS: u32 = 5_000;
const SHA_CRYPT_MAX_SALT: usize = 16;
const MD5_CRYPT_MAX_SALT: usize = 8;
const PBKDF2_MAX_WORK: u64 = 10_000_000;
const PASSLIB_PBKDF2_MAX_SALT: usize = 64;
const SCRYPT_MAX_LN: u32 = 20;
const SCRYPT_MAX_R: u32 = 32;
const SCRYPT_MAX_P: u32 = 16;
const SCRYPT_MAX_MEMORY: u64 = 128 << 20;
const SCRYPT_MAX_WORK: u64 = 512 << 20;
/// argon2 `m` is in KiB.
const ARGON2_MAX_M: u32 = 128 << 10;
const ARGON2_MAX_T: u32 = 100;
const ARGON2_MAX_P: u32 = 16;
const ARGON2_MAX_M_TIMES_T: u64 = 1 << 20;

/// Longest prefixes first: "$argon2id$" must not be taken for "$argon2i$".
const PREFIXES: [(&str, HashFormat); 11] = [
    ("$argon2id$", HashFormat::Argon2id),
    ("$argon2i$", HashFormat::Argon2i),
    ("$pbkdf2-sha256$", HashFormat::Pbkdf2Sha256),
    ("$pbkdf2-sha512$", HashFormat::Pbkdf2Sha512),
    ("$scrypt$", HashFormat::Scrypt),
    ("$2a$", HashFormat::Bcrypt),
    ("$2b$", HashFormat::Bcrypt),
    ("$2y$", HashFormat::Bcrypt),
    ("$1$", HashFormat::Md5Crypt),
    ("$5$", HashFormat::Sha256Crypt),
    ("$6$", HashFormat::Sha512Crypt),
];

/// A hash that passed [`parse`], with what `verify` needs and no crate re-parses.
enum Parsed<'a> {
    Argon2(Box<PhcHash>),
    /// The bcrypt crate verifies the string itself.
    Bcrypt,
    /// The sha-crypt crate verifies the string itself.
    ShaCrypt,
    Md5Crypt {
        salt: &'a str,
    },
    Pbkdf2 {
        sha512: bool,
        rounds: u32,
        salt: Vec<u8>,
        digest: Vec<u8>,
    },
    Scrypt {
        params: scrypt::Params,
        salt: Vec<u8>,
        digest: Vec<u8>,
    },
}

/// Fully parses `hash` (format, parameters, salt and digest encodings) without verifying anything.
///
/// Refuses unknown prefixes, malformed strings and parameters outside the
/// bounds in the module docs.
///
/// # Errors
/// [`UnsupportedHash`] with a static reason when the string is not accepted.
pub fn parse(hash: &str) -> Result<HashFormat, UnsupportedHash> {
    parse_inner(hash).map(|(format, _)| format)
}

/// Verifies `password` against `hash` (any accepted format).
///
/// `Ok(true)` on match, `Ok(false)` on mismatch, `Err` for a hash [`parse`]
/// refuses. Digests are compared in constant time (by the crates, or with
/// `subtle` where this module computes the digest itself).
///
/// # Errors
/// [`UnsupportedHash`] exactly when [`parse`] refuses `hash`.
pub fn verify(hash: &str, password: &[u8]) -> Result<bool, UnsupportedHash> {
    let (_, parsed) = parse_inner(hash)?;
    match parsed {
        Parsed::Argon2(phc) => {
            password_hash_outcome(argon2::Argon2::default().verify_password(password, &*phc))
        }
        Parsed::Bcrypt => bcrypt::verify(password, hash).map_err(|_| MALFORMED),
        Parsed::ShaCrypt => {
            let verifier = sha_crypt::ShaCrypt::default();
            password_hash_outcome(PasswordVerifier::<str>::verify_password(
                &verifier, password, hash,
            ))
        }
        Parsed::Md5Crypt { salt } => {
            let computed = md5crypt::md5crypt(password, salt.as_bytes());
            Ok(computed.ct_eq(hash.as_bytes()).into())
        }
        Parsed::Pbkdf2 {
            sha512,
            rounds,
            salt,
            digest,
        } => {
            let mut computed = vec![0u8; digest.len()];
            if sha512 {
                pbkdf2::pbkdf2_hmac::<pbkdf2::sha2::Sha512>(password, &salt, rounds, &mut computed);
            } else {
                pbkdf2::pbkdf2_hmac::<pbkdf2::sha2::Sha256>(password, &salt, rounds, &mut computed);
            }
            Ok(computed.ct_eq(&digest).into())
        }
        Parsed::Scrypt {
            params,
            salt,
            digest,
        } => {
            let mut computed = vec![0u8; digest.len()];
            scrypt::scrypt(password, &salt, &params, &mut computed).map_err(|_| BAD_DIGEST)?;
            Ok(computed.ct_eq(&digest).into())
        }
    }
}

/// Maps a RustCrypto verifier result: only a wrong password is a clean `false`.
fn password_hash_outcome(result: Result<(), PhError>) -> Result<bool, UnsupportedHash> {
    match result {
        Ok(()) => Ok(true),
        Err(PhError::PasswordInvalid) => Ok(false),
        Err(_) => Err(MALFORMED),
    }
}

fn parse_inner(hash: &str) -> Result<(HashFormat, Parsed<'_>), UnsupportedHash> {
    if hash.len() > MAX_HASH_LEN || !hash.is_ascii() {
        return Err(MALFORMED);
    }
    let (prefix, format) = PREFIXES
        .into_iter()
        .find(|(prefix, _)| hash.starts_with(prefix))
        .ok_or(UNKNOWN)?;
    let rest = &hash[prefix.len()..];
    let parsed = match format {
        HashFormat::Argon2id | HashFormat::Argon2i => parse_argon2(hash)?,
        HashFormat::Bcrypt => parse_bcrypt(hash, rest)?,
        HashFormat::Sha256Crypt => parse_sha_crypt(rest, 32)?,
        HashFormat::Sha512Crypt => parse_sha_crypt(rest, 64)?,
        HashFormat::Md5Crypt => parse_md5_crypt(rest)?,
        HashFormat::Pbkdf2Sha256 => parse_pbkdf2(hash, rest, false)?,
        HashFormat::Pbkdf2Sha512 => parse_pbkdf2(hash, rest, true)?,
        HashFormat::Scrypt => parse_scrypt(hash)?,
    };
    Ok((format, parsed))
}

/// `$2b$NN$` + 22 chars of salt + 31 chars of digest, bcrypt's own base64.
fn parse_bcrypt(hash: &str, rest: &str) -> Result<Parsed<'static>, UnsupportedHash> {
    let bytes = rest.as_bytes();
    if hash.len() != 60 || bytes[2] != b'$' || !bytes[..2].iter().all(u8::is_ascii_digit) {
        return Err(MALFORMED);
    }
    let cost = u32::from(bytes[0] - b'0') * 10 + u32::from(bytes[1] - b'0');
    if !BCRYPT_COST.contains(&cost) {
        return Err(TOO_COSTLY);
    }
    bcrypt::HashParts::from_str(hash).map_err(|_| BAD_DIGEST)?;
    Ok(Parsed::Bcrypt)
}

/// `[rounds=N$]salt$digest`, per Drepper's SHA-crypt spec.
fn parse_sha_crypt(rest: &str, digest_len: usize) -> Result<Parsed<'static>, UnsupportedHash> {
    let mut fields: Vec<&str> = rest.split('$').collect();
    let rounds = match fields.first().and_then(|f| f.strip_prefix("rounds=")) {
        Some(value) => {
            fields.remove(0);
            canonical_decimal(value).ok_or(BAD_PARAMS)?
        }
        None => SHA_CRYPT_DEFAULT_ROUNDS,
    };
    if !SHA_CRYPT_ROUNDS.contains(&rounds) {
        return Err(TOO_COSTLY);
    }
    let [salt, digest] = fields[..] else {
        return Err(MALFORMED);
    };
    check_crypt_salt(salt, SHA_CRYPT_MAX_SALT)?;
    decode_exact::<Base64ShaCrypt>(digest, digest_len)?;
    Ok(Parsed::ShaCrypt)
}

/// `salt$digest` with a 22-char digest in the crypt alphabet and bit order.
fn parse_md5_crypt(rest: &str) -> Result<Parsed<'_>, UnsupportedHash> {
    let (salt, digest) = rest.split_once('$').ok_or(MALFORMED)?;
    check_crypt_salt(salt, MD5_CRYPT_MAX_SALT)?;
    decode_exact::<Base64ShaCrypt>(digest, 16)?;
    Ok(Parsed::Md5Crypt { salt })
}

/// PHC form (`i=N[,l=N]$salt$digest`, PHC B64) as written by RustCrypto's
/// `pbkdf2`, or passlib's form (`N$salt$digest`, B64 with `.` for `+`).
fn parse_pbkdf2(hash: &str, rest: &str, sha512: bool) -> Result<Parsed<'static>, UnsupportedHash> {
    let block = if sha512 { 64 } else { 32 };
    let first = rest.split('$').next().unwrap_or_default();
    let (rounds, salt, digest) = if first.bytes().all(|b| b.is_ascii_digit()) {
        let [rounds, salt, digest] = rest.split('$').collect::<Vec<_>>()[..] else {
            return Err(MALFORMED);
        };
        let rounds = canonical_decimal(rounds).ok_or(BAD_PARAMS)?;
        let salt = Base64Pbkdf2::decode_vec(salt).map_err(|_| BAD_SALT)?;
        if salt.len() > PASSLIB_PBKDF2_MAX_SALT {
            return Err(BAD_SALT);
        }
        let digest = decode_exact::<Base64Pbkdf2>(digest, block)?;
        (rounds, salt, digest)
    } else {
        let phc = parse_phc(hash)?;
        if phc.version.is_some() {
            return Err(BAD_PARAMS);
        }
        let mut rounds = None;
        let mut length = None;
        for (name, value) in phc.params.iter() {
            let value = value.decimal().map_err(|_| BAD_PARAMS)?;
            match name.as_str() {
                "i" if rounds.is_none() => rounds = Some(value),
                "l" if length.is_none() => length = Some(value),
                _ => return Err(BAD_PARAMS),
            }
        }
        let (salt, digest) = phc_salt_and_digest(&phc)?;
        if length.is_some_and(|l| usize::try_from(l).ok() != Some(digest.len())) {
            return Err(BAD_PARAMS);
        }
        (rounds.ok_or(BAD_PARAMS)?, salt, digest)
    };
    let blocks = digest.len().div_ceil(block) as u64;
    if rounds == 0 || u64::from(rounds) * blocks > PBKDF2_MAX_WORK {
        return Err(TOO_COSTLY);
    }
    Ok(Parsed::Pbkdf2 {
        sha512,
        rounds,
        salt,
        digest,
    })
}

/// `$scrypt$ln=N,r=N,p=N$salt$digest`, the form passlib and RustCrypto write.
fn parse_scrypt(hash: &str) -> Result<Parsed<'static>, UnsupportedHash> {
    let phc = parse_phc(hash)?;
    if phc.version.is_some() {
        return Err(BAD_PARAMS);
    }
    let [ln, r, p] = phc_params(&phc, ["ln", "r", "p"])?;
    if !(1..=SCRYPT_MAX_LN).contains(&ln)
        || !(1..=SCRYPT_MAX_R).contains(&r)
        || !(1..=SCRYPT_MAX_P).contains(&p)
    {
        return Err(TOO_COSTLY);
    }
    // The bounds above keep these far from overflow.
    let memory = (128 * u64::from(r)) << ln;
    if memory > SCRYPT_MAX_MEMORY || memory * u64::from(p) > SCRYPT_MAX_WORK {
        return Err(TOO_COSTLY);
    }
    let log_n = u8::try_from(ln).map_err(|_| TOO_COSTLY)?;
    let params = scrypt::Params::new(log_n, r, p).map_err(|_| BAD_PARAMS)?;
    let (salt, digest) = phc_salt_and_digest(&phc)?;
    Ok(Parsed::Scrypt {
        params,
        salt,
        digest,
    })
}

/// `$argon2id$v=19$m=..,t=..,p=..$salt$digest`. The version must be explicit
/// (the crate would assume 19 where the reference implementation assumes 16),
/// and `keyid`/`data` are refused: we hold no secret key or associated data.
fn parse_argon2(hash: &str) -> Result<Parsed<'static>, UnsupportedHash> {
    let phc = parse_phc(hash)?;
    if !matches!(phc.version, Some(0x10 | 0x13)) {
        return Err(BAD_PARAMS);
    }
    let [m, t, p] = phc_params(&phc, ["m", "t", "p"])?;
    if m > ARGON2_MAX_M
        || t > ARGON2_MAX_T
        || p > ARGON2_MAX_P
        || u64::from(m) * u64::from(t) > ARGON2_MAX_M_TIMES_T
    {
        return Err(TOO_COSTLY);
    }
    argon2::Params::try_from(&phc).map_err(|_| BAD_PARAMS)?;
    phc_salt_and_digest(&phc)?;
    Ok(Parsed::Argon2(Box::new(phc)))
}

fn parse_phc(hash: &str) -> Result<PhcHash, UnsupportedHash> {
    PhcHash::new(hash).map_err(|err| match err {
        argon2::password_hash::phc::Error::Base64(_) => BAD_DIGEST,
        _ => MALFORMED,
    })
}

/// Exactly the named decimal parameters, in this order, each once.
fn phc_params<const N: usize>(
    phc: &PhcHash,
    names: [&str; N],
) -> Result<[u32; N], UnsupportedHash> {
    let mut values = [0u32; N];
    let mut count = 0;
    for (ident, value) in phc.params.iter() {
        if count == N || ident.as_str() != names[count] {
            return Err(BAD_PARAMS);
        }
        values[count] = value.decimal().map_err(|_| BAD_PARAMS)?;
        count += 1;
    }
    if count == N {
        Ok(values)
    } else {
        Err(BAD_PARAMS)
    }
}

fn phc_salt_and_digest(phc: &PhcHash) -> Result<(Vec<u8>, Vec<u8>), UnsupportedHash> {
    let salt = phc.salt.as_ref().ok_or(BAD_SALT)?;
    let digest = phc.hash.as_ref().ok_or(BAD_DIGEST)?;
    Ok((salt.as_ref().to_vec(), digest.as_ref().to_vec()))
}

/// Digits only, no leading zero, fits in `u32`: the one spelling a writer emits.
fn canonical_decimal(value: &str) -> Option<u32> {
    let canonical = !value.is_empty()
        && value.bytes().all(|b| b.is_ascii_digit())
        && (value == "0" || !value.starts_with('0'));
    canonical.then(|| value.parse().ok()).flatten()
}

fn check_crypt_salt(salt: &str, max_len: usize) -> Result<(), UnsupportedHash> {
    let in_alphabet = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'/';
    if salt.is_empty() || salt.len() > max_len || !salt.bytes().all(in_alphabet) {
        return Err(BAD_SALT);
    }
    Ok(())
}

/// Decodes `encoded` (strictly: canonical trailing bits) into exactly `len` bytes.
fn decode_exact<E: Encoding>(encoded: &str, len: usize) -> Result<Vec<u8>, UnsupportedHash> {
    let mut out = vec![0u8; len];
    match E::decode(encoded, &mut out) {
        Ok(decoded) if decoded.len() == len => Ok(out),
        _ => Err(BAD_DIGEST),
    }
}

#[cfg(test)]
mod tests;
