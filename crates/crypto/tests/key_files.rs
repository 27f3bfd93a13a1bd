//! cardano-cli key files: the samples in ../shared/vectors/forging and every rejection path.

mod common;

use std::path::PathBuf;

use common::vectors_dir;
use slotforge_crypto::key_file::{self, KeyFileProblem, KeyKind};

fn forging(name: &str) -> PathBuf {
    vectors_dir().join("forging").join(name)
}

#[test]
fn forging_samples_belong_together() {
    let vrf = key_file::read_key_file(
        &forging("vrf.skey"),
        KeyKind::VrfSigning,
        key_file::parse_vrf_signing_key,
    )
    .unwrap();
    let kes = key_file::read_key_file(
        &forging("kes.skey"),
        KeyKind::KesSigning,
        key_file::parse_kes_signing_key,
    )
    .unwrap();
    let cold = key_file::read_key_file(
        &forging("cold.skey"),
        KeyKind::ColdSigning,
        key_file::parse_ed25519_signing_key,
    )
    .unwrap();
    let cert = key_file::read_key_file(
        &forging("node.cert"),
        KeyKind::OperationalCertificate,
        key_file::parse_opcert,
    )
    .unwrap();
    assert_eq!(kes.period(), 0);
    assert_eq!(cert.hot_vkey, kes.public_key(), "node.cert certifies kes.skey");
    assert_eq!(cert.cold_vkey, cold.verifying_key().to_bytes(), "issued by cold.skey");
    assert_eq!((cert.sequence_number, cert.kes_period), (0, 7));
    cert.verify().unwrap();
    // The VRF key's public half matches its seed (checked on load) and it proves.
    let proof = vrf.prove(b"alpha");
    vrf.public_key().verify(b"alpha", &proof).unwrap();
    // Re-encoding the certificate gives cardano-cli's bytes back.
    let text = std::fs::read_to_string(forging("node.cert")).unwrap();
    let cbor = key_file::parse_envelope(&text, KeyKind::OperationalCertificate).unwrap();
    assert_eq!(cert.to_cbor(), &cbor[..]);
}

#[test]
fn write_then_read_roundtrip_with_private_mode() {
    let dir = tempfile::tempdir().unwrap();
    let vrf = slotforge_crypto::vrf::VrfSecretKey::from_seed(&[5; 32]);
    let path = dir.path().join("vrf.skey");
    key_file::write_key_file(
        &path,
        KeyKind::VrfSigning,
        &key_file::encode_cbor_bytes(&vrf.to_bytes()[..]),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(key_file::secret_permissions_warning(&path).is_none());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let w = key_file::secret_permissions_warning(&path).unwrap();
        assert!(w.contains("chmod 600"), "{w}");
    }
    let back = key_file::read_key_file(&path, KeyKind::VrfSigning, key_file::parse_vrf_signing_key).unwrap();
    assert_eq!(back.public_key(), vrf.public_key());
    // Never overwrites.
    assert!(key_file::write_key_file(&path, KeyKind::VrfSigning, &[0x40]).is_err());
}

fn problem_of(content: &str, kind: KeyKind) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key.skey");
    std::fs::write(&path, content).unwrap();
    let err = key_file::read_key_file(&path, kind, key_file::parse_vrf_signing_key)
        .map(|_| ())
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with(&path.display().to_string()),
        "the error names the file: {msg}"
    );
    msg
}

fn envelope(kind: &str, cbor_hex: &str) -> String {
    format!(r#"{{"type": "{kind}", "description": "", "cborHex": "{cbor_hex}"}}"#)
}

#[test]
fn clear_errors() {
    let vrf_type = "VrfSigningKey_PraosVRF";
    let good = std::fs::read_to_string(forging("vrf.skey")).unwrap();
    assert!(problem_of("not json", KeyKind::VrfSigning).contains("not a cardano-cli text envelope"));
    assert!(problem_of(&good, KeyKind::KesSigning).contains("expected \"KesSigningKey_ed25519_kes_2^6\""));
    assert!(problem_of(&envelope(vrf_type, "zz"), KeyKind::VrfSigning).contains("not hexadecimal"));
    assert!(problem_of(&envelope(vrf_type, "5840"), KeyKind::VrfSigning).contains("CBOR"));
    assert!(problem_of(&envelope(vrf_type, "8100"), KeyKind::VrfSigning).contains("expected a byte string"));
    assert!(problem_of(&envelope(vrf_type, "4100"), KeyKind::VrfSigning).contains("1 bytes, a VRF signing key has 64"));
    let trailing = format!("5840{}00", "11".repeat(64));
    assert!(problem_of(&envelope(vrf_type, &trailing), KeyKind::VrfSigning).contains("trailing"));
    let mismatched = format!("5840{}", "11".repeat(64));
    assert!(problem_of(&envelope(vrf_type, &mismatched), KeyKind::VrfSigning).contains("does not match"));
    let missing = key_file::read_key_file(
        &PathBuf::from("/nonexistent/vrf.skey"),
        KeyKind::VrfSigning,
        key_file::parse_vrf_signing_key,
    );
    assert!(matches!(missing.unwrap_err().problem, KeyFileProblem::Io(_)));
    // Operational certificates: wrong shapes.
    for bad in [
        "80",
        "8284",
        "9f8284ff",
        &format!("82845820{}0000584000{}", "00".repeat(32), "00".repeat(32)),
    ] {
        let cbor = hex::decode(bad).unwrap();
        assert!(key_file::parse_opcert(&cbor).is_err(), "{bad}");
    }
}
