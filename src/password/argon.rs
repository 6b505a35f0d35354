//! argon2id itself: hashing and verifying a PHC string with a thread's
//! reusable memory.
use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::phc::{Output, ParamsString, PasswordHash, Salt},
};
use subtle::ConstantTimeEq;

use super::{HashError, HashParams, Memory};

fn argon2_error(e: impl std::fmt::Display) -> HashError {
    HashError::Argon2(e.to_string())
}

/// `blocks` argon2 blocks of `memory`.
fn ensure_blocks(memory: &mut Memory, blocks: usize) -> Result<&mut [Block], HashError> {
    memory
        .blocks(blocks)
        .ok_or_else(|| HashError::Argon2(format!("cannot allocate {blocks} argon2 blocks")))
}

pub(super) fn hash_with(
    params: &HashParams,
    password: &[u8],
    memory: &mut Memory,
) -> Result<String, HashError> {
    let argon2 = params.argon2();
    let mut salt = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt);
    let mut out = [0u8; 32];
    let blocks = argon2.params().block_count();
    argon2
        .hash_password_into_with_memory(password, &salt, &mut out, ensure_blocks(memory, blocks)?)
        .map_err(argon2_error)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon2.params()).map_err(argon2_error)?,
        salt: Some(Salt::new(&salt).map_err(argon2_error)?),
        hash: Some(Output::new(&out).map_err(argon2_error)?),
    };
    Ok(phc.to_string())
}

pub(super) fn verify_with(
    password: &[u8],
    phc: &str,
    memory: &mut Memory,
) -> Result<bool, HashError> {
    let hash = PasswordHash::new(phc).map_err(argon2_error)?;
    if hash.algorithm != Algorithm::Argon2id.ident() {
        return Err(HashError::Argon2(format!(
            "unsupported algorithm {}",
            hash.algorithm
        )));
    }
    let params = Params::try_from(&hash).map_err(argon2_error)?;
    let version = hash
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(argon2_error)?
        .unwrap_or_default();
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return Err(HashError::Argon2(
            "stored hash lacks a salt or an output".into(),
        ));
    };
    let expected = expected.as_bytes();
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    Argon2::new(Algorithm::Argon2id, version, params)
        .hash_password_into_with_memory(
            password,
            salt.as_ref(),
            &mut out,
            ensure_blocks(memory, blocks)?,
        )
        .map_err(argon2_error)?;
    Ok(bool::from(out.as_slice().ct_eq(expected)))
}
