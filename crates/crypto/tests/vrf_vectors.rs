//! Every draft-03 vector in ../shared/vectors/vrf/ver03, both ways, plus rejection cases.

mod common;

use common::vectors_dir;
use curve25519_dalek::edwards::CompressedEdwardsY;
use slotforge_crypto::vrf::{VrfError, VrfProof, VrfPublicKey, VrfSecretKey};

struct Vector {
    name: String,
    sk: [u8; 32],
    pk: Vec<u8>,
    alpha: Vec<u8>,
    pi: Vec<u8>,
    beta: Vec<u8>,
}

fn load() -> Vec<Vector> {
    let dir = vectors_dir().join("vrf/ver03");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let field = |k: &str| -> Vec<u8> {
            let v = text
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{k}: ")))
                .unwrap_or_else(|| panic!("{}: no {k}", path.display()))
                .trim();
            if v == "empty" {
                Vec::new()
            } else {
                hex::decode(v).unwrap()
            }
        };
        out.push(Vector {
            name: path.file_name().unwrap().to_string_lossy().into_owned(),
            sk: field("sk").try_into().unwrap(),
            pk: field("pk"),
            alpha: field("alpha"),
            pi: field("pi"),
            beta: field("beta"),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[test]
fn all_38_vectors_prove_and_verify() {
    let vectors = load();
    assert_eq!(vectors.len(), 38, "expected the 38 draft-03 vectors");
    for v in &vectors {
        let sk = VrfSecretKey::from_seed(&v.sk);
        assert_eq!(sk.public_key().as_bytes()[..], v.pk[..], "{}: public key", v.name);
        let proof = sk.prove(&v.alpha);
        assert_eq!(proof.as_bytes()[..], v.pi[..], "{}: proof", v.name);
        assert_eq!(
            sk.output(&v.alpha).as_bytes()[..],
            v.beta[..],
            "{}: output-only",
            v.name
        );
        let theirs = VrfProof::from_bytes(&v.pi).unwrap();
        let pk = VrfPublicKey::from_bytes(&v.pk).unwrap();
        let beta = pk
            .verify(&v.alpha, &theirs)
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(beta.as_bytes()[..], v.beta[..], "{}: verify output", v.name);
        assert_eq!(
            theirs.to_output().unwrap().as_bytes()[..],
            v.beta[..],
            "{}: proof_to_hash",
            v.name
        );
    }
    let alphas: Vec<&[u8]> = vectors.iter().map(|v| v.alpha.as_slice()).collect();
    let sk = VrfSecretKey::from_seed(&vectors[0].sk);
    let batch = sk.output_batch(&alphas);
    for (a, out) in alphas.iter().zip(batch) {
        assert_eq!(out, sk.output(a));
    }
}

#[test]
fn rejections() {
    let v = &load()[0];
    let pk = VrfPublicKey::from_bytes(&v.pk).unwrap();
    let proof = VrfProof::from_bytes(&v.pi).unwrap();
    // wrong input
    let mut other_alpha = v.alpha.clone();
    other_alpha.push(0);
    assert_eq!(pk.verify(&other_alpha, &proof), Err(VrfError::VerificationFailed));
    // wrong key
    let other = VrfSecretKey::from_seed(&[7; 32]).public_key();
    assert_eq!(other.verify(&v.alpha, &proof), Err(VrfError::VerificationFailed));
    // tampered c
    let mut bad = proof;
    bad.0[40] ^= 1;
    assert_eq!(pk.verify(&v.alpha, &bad), Err(VrfError::VerificationFailed));
    // s not reduced: s + ℓ
    let mut s = [0u8; 32];
    s.copy_from_slice(&proof.0[48..]);
    let l: [u8; 32] = hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
        .unwrap()
        .try_into()
        .unwrap();
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = s[i] as u16 + l[i] as u16 + carry;
        s[i] = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
    let mut unreduced = proof;
    unreduced.0[48..].copy_from_slice(&s);
    assert_eq!(pk.verify(&v.alpha, &unreduced), Err(VrfError::NonCanonicalScalar));
    // Gamma not on the curve (y = 2 has no x)
    let mut off_curve = proof;
    off_curve.0[..32].copy_from_slice(&{
        let mut y = [0u8; 32];
        y[0] = 2;
        y
    });
    assert_eq!(pk.verify(&v.alpha, &off_curve), Err(VrfError::InvalidGamma));
    // small-order public keys: identity, the order-2 point, and an order-8 point
    let order8 = hex::decode("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05").unwrap();
    let identity = hex::decode("0100000000000000000000000000000000000000000000000000000000000000").unwrap();
    let order2 = hex::decode("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f").unwrap();
    for bad_pk in [order8, identity, order2] {
        let bad_pk = VrfPublicKey::from_bytes(&bad_pk).unwrap();
        assert_eq!(bad_pk.verify(&v.alpha, &proof), Err(VrfError::SmallOrderPublicKey));
    }
    // Non-canonical encodings (y + p, for a point whose y is below 19) are refused as
    // libsodium's `ge25519_is_canonical` refuses them, for the key and for Gamma, though
    // curve25519-dalek decodes them to the same point.
    let p = hex::decode("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f").unwrap();
    let small_y = (3u8..19)
        .find_map(|y| {
            let mut b = [0u8; 32];
            b[0] = y;
            CompressedEdwardsY(b)
                .decompress()
                .filter(|pt| !pt.is_small_order())
                .map(|_| b)
        })
        .expect("a point of full order with y below 19");
    let mut alias = [0u8; 32];
    alias.copy_from_slice(&p);
    alias[0] += small_y[0];
    assert_eq!(
        CompressedEdwardsY(alias).decompress(),
        CompressedEdwardsY(small_y).decompress()
    );
    let key = |b: [u8; 32]| VrfPublicKey::from_bytes(&b).unwrap();
    assert_eq!(
        key(alias).verify(&v.alpha, &proof),
        Err(VrfError::NonCanonicalPublicKey)
    );
    assert_eq!(key(small_y).verify(&v.alpha, &proof), Err(VrfError::VerificationFailed));
    let with_gamma = |g: [u8; 32]| {
        let mut q = proof;
        q.0[..32].copy_from_slice(&g);
        q
    };
    assert_eq!(
        pk.verify(&v.alpha, &with_gamma(alias)),
        Err(VrfError::NonCanonicalGamma)
    );
    assert_eq!(with_gamma(alias).to_output(), Err(VrfError::NonCanonicalGamma));
    assert_eq!(
        pk.verify(&v.alpha, &with_gamma(small_y)),
        Err(VrfError::VerificationFailed)
    );
    assert!(with_gamma(small_y).to_output().is_ok());
    // y = 1 + p ... the non-canonical identity, small order and non-canonical
    let mut nc_identity = p;
    nc_identity[0] += 1;
    let nc_identity = VrfPublicKey::from_bytes(&nc_identity).unwrap();
    assert_eq!(nc_identity.verify(&v.alpha, &proof), Err(VrfError::SmallOrderPublicKey));
    // lengths
    assert!(matches!(
        VrfProof::from_bytes(&[0; 79]),
        Err(VrfError::WrongLength { .. })
    ));
    assert!(matches!(
        VrfPublicKey::from_bytes(&[0; 33]),
        Err(VrfError::WrongLength { .. })
    ));
    assert!(matches!(
        VrfSecretKey::from_bytes(&[0; 63]),
        Err(VrfError::WrongLength { .. })
    ));
    let mut mismatched = [0u8; 64];
    mismatched[..32].copy_from_slice(&v.sk);
    assert_eq!(VrfSecretKey::from_bytes(&mismatched).err(), Some(VrfError::KeyMismatch));
}
