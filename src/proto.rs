//! Code generated from `proto/court/identity/v1`, and its descriptor set for reflection.
#![allow(missing_docs, clippy::all, clippy::pedantic)]

tonic::include_proto!("court.identity.v1");

/// The encoded descriptor set of every `.proto`, with source info, so
/// `grpcurl describe` shows the contract's comments.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/pacer_link_descriptor.bin"));
