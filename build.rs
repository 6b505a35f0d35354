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
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}
