//! Any text as a key file of every kind: parse errors only, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotforge_crypto::key_file::{self, KeyKind};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for kind in KeyKind::ALL {
        let Ok(cbor) = key_file::parse_envelope(text, kind) else {
            continue;
        };
        let _ = match kind {
            KeyKind::VrfSigning => key_file::parse_vrf_signing_key(&cbor).map(|_| ()),
            KeyKind::VrfVerification => key_file::parse_vrf_verification_key(&cbor).map(|_| ()),
            KeyKind::KesSigning => key_file::parse_kes_signing_key(&cbor).map(|k| {
                let _ = k.sign(b"m");
            }),
            KeyKind::KesVerification => key_file::parse_kes_verification_key(&cbor).map(|_| ()),
            KeyKind::ColdSigning
            | KeyKind::GenesisDelegateSigning
            | KeyKind::PaymentSigning
            | KeyKind::StakeSigning
            | KeyKind::CommitteeColdSigning
            | KeyKind::CommitteeHotSigning
            | KeyKind::DRepSigning => {
                key_file::parse_ed25519_signing_key(&cbor).map(|_| ())
            }
            KeyKind::ColdVerification
            | KeyKind::GenesisDelegateVerification
            | KeyKind::PaymentVerification
            | KeyKind::StakeVerification
            | KeyKind::CommitteeColdVerification
            | KeyKind::CommitteeHotVerification
            | KeyKind::DRepVerification => {
                key_file::parse_ed25519_verification_key(&cbor).map(|_| ())
            }
            KeyKind::OperationalCertificate => key_file::parse_opcert(&cbor).map(|c| {
                let _ = c.verify();
            }),
            KeyKind::OpCertCounter => key_file::parse_opcert_counter(&cbor).map(|_| ()),
        };
    }
    // The raw CBOR byte-string decoder on its own.
    let _ = key_file::decode_cbor_bytes(data);
});
