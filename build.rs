//! Generates the gRPC code and the descriptor set served by reflection.
//! protox parses the .proto files in-process, so no `protoc` binary is needed,
//! and it keeps source info so comments reach `grpcurl describe`.
use std::{env, path::PathBuf};

const PROTOS: &[&str] = &[
    "proto/court/identity/v1/account_link.proto",
    "proto/court/identity/v1/account_admin.proto",
    "proto/court/identity/v1/link_status.proto",
    "proto/court/identity/v1/filer_auth.proto",
    "proto/court/identity/v1/error_reason.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    let fds = protox::compile(PROTOS, ["proto"])?;
    let out = PathBuf::from(env::var("OUT_DIR")?);
    std::fs::write(
        out.join("pacer_link_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    println!(
        "cargo:rustc-env=PACER_LINK_BUILD_COMMIT={}",
        source_commit()
    );
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}

/// The commit `pacer_link_build_info` names: `PACER_LINK_BUILD_COMMIT` when
/// the builder sets it (an image built without `.git`), else git's, else
/// `unknown`.
fn source_commit() -> String {
    println!("cargo:rerun-if-env-changed=PACER_LINK_BUILD_COMMIT");
    if let Ok(commit) = env::var("PACER_LINK_BUILD_COMMIT") {
        return commit;
    }
    // Rebuild the label when the checked-out commit moves. Only files that
    // exist are watched: cargo reruns the script each time for a missing one.
    let mut watched = vec![".git/HEAD".to_owned(), ".git/packed-refs".to_owned()];
    if let Some(reference) = std::fs::read_to_string(".git/HEAD")
        .ok()
        .and_then(|head| head.strip_prefix("ref: ").map(|r| r.trim().to_owned()))
    {
        watched.push(format!(".git/{reference}"));
    }
    for path in watched.iter().filter(|p| std::path::Path::new(p).exists()) {
        println!("cargo:rerun-if-changed={path}");
    }
    std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}
