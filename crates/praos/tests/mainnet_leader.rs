//! Real mainnet blocks (../shared/vectors/mainnet): their leader VRF proofs verify under our
//! TPraos VRF input, and the exact stake test accepts them with the pool's real stake and
//! rejects them with a thousandth of it.

use std::path::PathBuf;

use minicbor::Decoder;
use slotforge_crypto::vrf::{VrfProof, VrfPublicKey};
use slotforge_praos::leader::{is_overlay_slot, ActiveSlotCoeff, LeaderThreshold, VrfVariant};
use slotforge_praos::nonce::Nonce;
use slotforge_praos::time::NetworkPreset;

fn vectors() -> PathBuf {
    std::env::var_os("SLOTFORGE_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"))
}

struct ShelleyHeaderVrf {
    slot: u64,
    vrf_vkey: Vec<u8>,
    nonce_vrf: (Vec<u8>, Vec<u8>),
    leader_vrf: (Vec<u8>, Vec<u8>),
}

/// Just enough of a Shelley header to reach its VRF fields (full decoding is the header
/// module's job).
fn vrf_fields(cbor: &[u8]) -> ShelleyHeaderVrf {
    let mut d = Decoder::new(cbor);
    d.array().unwrap();
    d.array().unwrap();
    let _block_no = d.u64().unwrap();
    let slot = d.u64().unwrap();
    d.skip().unwrap(); // prev hash
    d.skip().unwrap(); // issuer vkey
    let vrf_vkey = d.bytes().unwrap().to_vec();
    let cert = |d: &mut Decoder| {
        d.array().unwrap();
        (d.bytes().unwrap().to_vec(), d.bytes().unwrap().to_vec())
    };
    let nonce_vrf = cert(&mut d);
    let leader_vrf = cert(&mut d);
    ShelleyHeaderVrf {
        slot,
        vrf_vkey,
        nonce_vrf,
        leader_vrf,
    }
}

fn ratio(s: &str) -> (u64, u64) {
    let (n, d) = s.split_once('/').unwrap_or((s, "1"));
    (n.parse().unwrap(), d.parse().unwrap())
}

#[test]
fn mainnet_headers_win_their_slots() {
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(vectors().join("mainnet/headers.json")).unwrap()).unwrap();
    let history = NetworkPreset::mainnet().history;
    let mut checked = 0;
    for h in meta["headers"].as_array().unwrap() {
        let hex_text = std::fs::read_to_string(vectors().join("mainnet").join(h["file"].as_str().unwrap())).unwrap();
        let cbor = hex::decode(hex_text.trim()).unwrap();
        let v = vrf_fields(&cbor);
        assert_eq!(v.slot, h["slot"].as_u64().unwrap());
        let (epoch, in_epoch) = history.slot_to_epoch(v.slot);
        assert_eq!(
            (epoch, in_epoch),
            (h["epoch"].as_u64().unwrap(), h["slot_in_epoch"].as_u64().unwrap())
        );
        let nonce = Nonce::from_hex(h["epoch_nonce"].as_str().unwrap()).unwrap();
        let pk = VrfPublicKey::from_bytes(&v.vrf_vkey).unwrap();

        // Both proofs verify for their TPraos inputs, and the outputs they carry are theirs.
        let leader_in = VrfVariant::TPraos.leader_input(v.slot, &nonce);
        let out = pk
            .verify(&leader_in, &VrfProof::from_bytes(&v.leader_vrf.1).unwrap())
            .unwrap();
        assert_eq!(&out.as_bytes()[..], &v.leader_vrf.0[..]);
        let nonce_in = VrfVariant::tpraos_nonce_input(v.slot, &nonce);
        let nonce_out = pk
            .verify(&nonce_in, &VrfProof::from_bytes(&v.nonce_vrf.1).unwrap())
            .unwrap();
        assert_eq!(&nonce_out.as_bytes()[..], &v.nonce_vrf.0[..]);
        // A different slot's input does not verify.
        assert!(pk
            .verify(
                &VrfVariant::TPraos.leader_input(v.slot + 1, &nonce),
                &VrfProof::from_bytes(&v.leader_vrf.1).unwrap()
            )
            .is_err());

        let (dn, dd) = ratio(h["decentralisation"].as_str().unwrap());
        if is_overlay_slot(in_epoch, dn, dd) {
            // A genesis delegate's overlay slot: no stake threshold applies.
            assert_eq!(h["block_number"], 4490511);
            checked += 1;
            continue;
        }
        let (fnum, fden) = ratio(h["active_slot_coeff"].as_str().unwrap());
        let pool = h["pool_stake"].as_u64().unwrap();
        let total = h["total_active_stake"].as_u64().unwrap();
        let value = VrfVariant::TPraos.leader_value(&out);
        let real = LeaderThreshold::new(pool, total, ActiveSlotCoeff::new(fnum, fden).unwrap()).unwrap();
        assert!(
            real.is_leader(&value) && real.is_leader_exact(&value),
            "block {} wins with its stake",
            h["block_number"]
        );
        let small = LeaderThreshold::new(pool / 1000, total, ActiveSlotCoeff::new(fnum, fden).unwrap()).unwrap();
        assert!(
            !small.is_leader(&value) && !small.is_leader_exact(&value),
            "…and loses with a thousandth of it"
        );
        checked += 1;
    }
    assert_eq!(checked, 3);
}
