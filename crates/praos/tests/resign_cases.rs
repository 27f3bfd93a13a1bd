//! Signing with the keys of the reference header cases reproduces their headers exactly.

use std::path::PathBuf;

use slotforge_crypto::kes::KesSecretKey;
use slotforge_crypto::vrf::VrfSecretKey;
use slotforge_praos::header::{Header, HeaderVrf};
use slotforge_praos::leader::VrfVariant;
use slotforge_praos::nonce::Nonce;

fn cases() -> Vec<serde_json::Value> {
    let path = std::env::var_os("PRAOS_HEADER_CASES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/vectors/header-cases/praos-header-cases.json")
        });
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn resigning_pass_cases_reproduces_them() {
    let mut reproduced = 0;
    for case in cases().iter().filter(|c| c["expected"] == "pass") {
        let ctx = &case["context"];
        let original = Header::decode(&hex::decode(case["header"].as_str().unwrap()).unwrap()).unwrap();
        let body = original.body().clone();
        // The VRF result is the case key's proof for the slot.
        let vrf = VrfSecretKey::from_bytes(&hex::decode(ctx["vrfSignKey"].as_str().unwrap()).unwrap()).unwrap();
        let nonce = Nonce::from_hex(ctx["nonce"].as_str().unwrap()).unwrap();
        let proof = vrf.prove(&VrfVariant::Praos.leader_input(body.slot, &nonce));
        let HeaderVrf::Praos(cert) = &body.vrf else {
            panic!("praos format")
        };
        assert_eq!(cert.proof, proof.0.to_vec(), "{}: VRF proof", case["title"]);
        // The KES key signs the canonical body at the header's relative period.
        let t = body.slot / ctx["praosSlotsPerKESPeriod"].as_u64().unwrap() - body.opcert.kes_period;
        let kes_bytes = hex::decode(ctx["kesSignKey"].as_str().unwrap()).unwrap();
        let kes = KesSecretKey::from_bytes(&kes_bytes, t as u32).unwrap();
        let resigned = Header::sign(body, &kes);
        assert_eq!(
            resigned.to_cbor(),
            original.to_cbor(),
            "{}: byte for byte",
            case["title"]
        );
        reproduced += 1;
    }
    assert_eq!(reproduced, 20);
}
