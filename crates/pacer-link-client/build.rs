//! Generates the clients and messages from the repository's `proto/`, the
//! same files the server is built from, so the two cannot drift.
const PROTOS: &[&str] = &[
    "court/identity/v1/account_link.proto",
    "court/identity/v1/account_admin.proto",
    "court/identity/v1/link_status.proto",
    "court/identity/v1/filer_auth.proto",
    "court/identity/v1/error_reason.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = "../../proto";
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={root}/{proto}");
    }
    let fds = protox::compile(PROTOS, [root])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(false)
        .compile_fds(fds)?;
    Ok(())
}
