//! Generates the gRPC code from the checked-in .proto. The .proto is parsed by protox (pure
//! Rust), so building needs no protoc.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "proto/slotforge/enclave/v1/enclave.proto";
    println!("cargo:rerun-if-changed={proto}");
    let descriptors = protox::compile([proto], ["proto"])?;
    tonic_prost_build::configure()
        .codec_path("crate::wire::RefusalCodec")
        .compile_fds(descriptors)?;
    Ok(())
}
