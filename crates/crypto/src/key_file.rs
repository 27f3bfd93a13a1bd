//! cardano-cli key files: JSON "text envelopes" `{type, description, cborHex}` whose payload
//! is one CBOR value (a byte string for keys, an array for operational certificates).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use minicbor::data::Type;
use minicbor::Decoder;
use zeroize::Zeroizing;

use crate::ed25519;
use crate::kes::{KesPublicKey, KesSecretKey};
use crate::opcert::OperationalCertificate;
use crate::vrf::{VrfPublicKey, VrfSecretKey};

/// The key file types slotforge reads and writes, by their envelope `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// A VRF signing key, `VrfSigningKey_PraosVRF` (64 bytes: seed ‖ public key).
    VrfSigning,
    /// A VRF verification key, `VrfVerificationKey_PraosVRF` (32 bytes).
    VrfVerification,
    /// A Sum6 KES signing key, `KesSigningKey_ed25519_kes_2^6` (608 bytes).
    KesSigning,
    /// A KES verification key, `KesVerificationKey_ed25519_kes_2^6` (32 bytes).
    KesVerification,
    /// A stake pool's cold signing key, `StakePoolSigningKey_ed25519` (32-byte Ed25519 seed).
    ColdSigning,
    /// A stake pool's cold verification key, `StakePoolVerificationKey_ed25519` (32 bytes).
    ColdVerification,
    /// A genesis delegate's cold signing key, `GenesisDelegateSigningKey_ed25519` (32-byte seed).
    GenesisDelegateSigning,
    /// A genesis delegate's cold verification key, `GenesisDelegateVerificationKey_ed25519`.
    GenesisDelegateVerification,
    /// An operational certificate, `NodeOperationalCertificate` (`[[hot_vkey, n, period, sigma],
    /// cold_vkey]`).
    OperationalCertificate,
    /// The cold key's next opcert issue number and verification key.
    OpCertCounter,
    /// A payment signing key, `PaymentSigningKeyShelley_ed25519` (32-byte Ed25519 seed).
    PaymentSigning,
    /// A payment verification key, `PaymentVerificationKeyShelley_ed25519` (32 bytes).
    PaymentVerification,
    /// A stake signing key, `StakeSigningKeyShelley_ed25519` (32-byte Ed25519 seed).
    StakeSigning,
    /// A stake verification key, `StakeVerificationKeyShelley_ed25519` (32 bytes).
    StakeVerification,
    /// A constitutional committee member's cold signing key,
    /// `ConstitutionalCommitteeColdSigningKey_ed25519` (32-byte Ed25519 seed).
    CommitteeColdSigning,
    /// A committee member's cold verification key, `ConstitutionalCommitteeColdVerificationKey_ed25519`.
    CommitteeColdVerification,
    /// A committee member's hot signing key, `ConstitutionalCommitteeHotSigningKey_ed25519`.
    CommitteeHotSigning,
    /// A committee member's hot verification key, `ConstitutionalCommitteeHotVerificationKey_ed25519`.
    CommitteeHotVerification,
    /// A DRep's signing key, `DRepSigningKey_ed25519` (32-byte Ed25519 seed).
    DRepSigning,
    /// A DRep's verification key, `DRepVerificationKey_ed25519` (32 bytes).
    DRepVerification,
}

impl KeyKind {
    /// Every kind, so that an envelope's `type` can be looked up.
    pub const ALL: [KeyKind; 20] = [
        KeyKind::VrfSigning,
        KeyKind::VrfVerification,
        KeyKind::KesSigning,
        KeyKind::KesVerification,
        KeyKind::ColdSigning,
        KeyKind::ColdVerification,
        KeyKind::GenesisDelegateSigning,
        KeyKind::GenesisDelegateVerification,
        KeyKind::OperationalCertificate,
        KeyKind::OpCertCounter,
        KeyKind::PaymentSigning,
        KeyKind::PaymentVerification,
        KeyKind::StakeSigning,
        KeyKind::StakeVerification,
        KeyKind::CommitteeColdSigning,
        KeyKind::CommitteeColdVerification,
        KeyKind::CommitteeHotSigning,
        KeyKind::CommitteeHotVerification,
        KeyKind::DRepSigning,
        KeyKind::DRepVerification,
    ];

    /// The envelope's `type` string.
    pub fn type_name(self) -> &'static str {
        match self {
            KeyKind::VrfSigning => "VrfSigningKey_PraosVRF",
            KeyKind::VrfVerification => "VrfVerificationKey_PraosVRF",
            KeyKind::KesSigning => "KesSigningKey_ed25519_kes_2^6",
            KeyKind::KesVerification => "KesVerificationKey_ed25519_kes_2^6",
            KeyKind::ColdSigning => "StakePoolSigningKey_ed25519",
            KeyKind::ColdVerification => "StakePoolVerificationKey_ed25519",
            KeyKind::GenesisDelegateSigning => "GenesisDelegateSigningKey_ed25519",
            KeyKind::GenesisDelegateVerification => "GenesisDelegateVerificationKey_ed25519",
            KeyKind::OperationalCertificate => "NodeOperationalCertificate",
            KeyKind::OpCertCounter => "NodeOperationalCertificateIssueCounter",
            KeyKind::PaymentSigning => "PaymentSigningKeyShelley_ed25519",
            KeyKind::PaymentVerification => "PaymentVerificationKeyShelley_ed25519",
            KeyKind::StakeSigning => "StakeSigningKeyShelley_ed25519",
            KeyKind::StakeVerification => "StakeVerificationKeyShelley_ed25519",
            KeyKind::CommitteeColdSigning => "ConstitutionalCommitteeColdSigningKey_ed25519",
            KeyKind::CommitteeColdVerification => "ConstitutionalCommitteeColdVerificationKey_ed25519",
            KeyKind::CommitteeHotSigning => "ConstitutionalCommitteeHotSigningKey_ed25519",
            KeyKind::CommitteeHotVerification => "ConstitutionalCommitteeHotVerificationKey_ed25519",
            KeyKind::DRepSigning => "DRepSigningKey_ed25519",
            KeyKind::DRepVerification => "DRepVerificationKey_ed25519",
        }
    }

    /// The description cardano-cli writes.
    pub fn description(self) -> &'static str {
        match self {
            KeyKind::VrfSigning => "VRF Signing Key",
            KeyKind::VrfVerification => "VRF Verification Key",
            KeyKind::KesSigning => "KES Signing Key",
            KeyKind::KesVerification => "KES Verification Key",
            KeyKind::ColdSigning => "Stake Pool Operator Signing Key",
            KeyKind::ColdVerification => "Stake Pool Operator Verification Key",
            KeyKind::GenesisDelegateSigning => "Genesis delegate operator key",
            KeyKind::GenesisDelegateVerification => "Genesis delegate operator key",
            KeyKind::OperationalCertificate => "",
            KeyKind::OpCertCounter => "Next certificate issue number",
            KeyKind::PaymentSigning => "Payment Signing Key",
            KeyKind::PaymentVerification => "Payment Verification Key",
            KeyKind::StakeSigning => "Stake Signing Key",
            KeyKind::StakeVerification => "Stake Verification Key",
            KeyKind::CommitteeColdSigning => "Constitutional Committee Cold Signing Key",
            KeyKind::CommitteeColdVerification => "Constitutional Committee Cold Verification Key",
            KeyKind::CommitteeHotSigning => "Constitutional Committee Hot Signing Key",
            KeyKind::CommitteeHotVerification => "Constitutional Committee Hot Verification Key",
            KeyKind::DRepSigning => "Delegated Representative Signing Key",
            KeyKind::DRepVerification => "Delegated Representative Verification Key",
        }
    }

    /// Whether the file holds secret material: read with a permissions check, written with mode
    /// 0600.
    pub fn is_secret(self) -> bool {
        matches!(
            self,
            KeyKind::VrfSigning
                | KeyKind::KesSigning
                | KeyKind::ColdSigning
                | KeyKind::GenesisDelegateSigning
                | KeyKind::PaymentSigning
                | KeyKind::StakeSigning
                | KeyKind::CommitteeColdSigning
                | KeyKind::CommitteeHotSigning
                | KeyKind::DRepSigning
        )
    }

    fn from_type_name(name: &str) -> Option<KeyKind> {
        KeyKind::ALL.into_iter().find(|k| k.type_name() == name)
    }
}

/// What is wrong with a key file.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileProblem {
    /// The file could not be read or written.
    #[error("cannot read it: {0}")]
    Io(#[from] std::io::Error),
    /// The text is not a JSON envelope with `type` and `cborHex`; holds serde_json's message.
    #[error("it is not a cardano-cli text envelope (JSON with type, description, cborHex): {0}")]
    Json(String),
    /// The envelope's `type` is not the one the caller asked for.
    #[error("its type is {found:?}, expected {expected:?}")]
    WrongType {
        /// The `type` string the caller asked for.
        expected: &'static str,
        /// The `type` string the file has.
        found: String,
    },
    /// `cborHex` is not valid hexadecimal; holds the hex decoder's message.
    #[error("cborHex is not hexadecimal: {0}")]
    Hex(String),
    /// The payload is not the CBOR the kind needs; holds the reason.
    #[error("its CBOR is malformed: {0}")]
    Cbor(String),
    /// The key bytes are not the size the kind has.
    #[error("its key is {got} bytes, a {kind} has {expected}")]
    WrongLength {
        /// The key's name, e.g. "VRF signing key".
        kind: &'static str,
        /// The size the kind has, in bytes.
        expected: usize,
        /// The size the file holds, in bytes.
        got: usize,
    },
    /// The bytes have the right shape but are not a valid key (e.g. a VRF key whose public half
    /// does not match its seed).
    #[error("{0}")]
    Invalid(String),
}

/// A key file that could not be used, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct KeyFileError {
    /// The file that was read or written.
    pub path: PathBuf,
    /// What is wrong with it.
    pub problem: KeyFileProblem,
}

#[derive(serde::Deserialize, serde::Serialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    description: String,
    #[serde(rename = "cborHex")]
    cbor_hex: String,
}

/// Parses a text envelope of the given kind and returns its CBOR payload.
pub fn parse_envelope(text: &str, expected: KeyKind) -> Result<Zeroizing<Vec<u8>>, KeyFileProblem> {
    let env: Envelope = serde_json::from_str(text).map_err(|e| KeyFileProblem::Json(e.to_string()))?;
    let Envelope { kind, cbor_hex, .. } = env;
    let hex_text = Zeroizing::new(cbor_hex);
    if KeyKind::from_type_name(&kind) != Some(expected) {
        return Err(KeyFileProblem::WrongType {
            expected: expected.type_name(),
            found: kind,
        });
    }
    let bytes = hex::decode(hex_text.trim()).map_err(|e| KeyFileProblem::Hex(e.to_string()))?;
    Ok(Zeroizing::new(bytes))
}

/// Decodes a CBOR payload that must be exactly one definite-length byte string.
pub fn decode_cbor_bytes(cbor: &[u8]) -> Result<&[u8], KeyFileProblem> {
    let mut d = Decoder::new(cbor);
    match d.datatype().map_err(|e| KeyFileProblem::Cbor(e.to_string()))? {
        Type::Bytes => {}
        other => return Err(KeyFileProblem::Cbor(format!("expected a byte string, found {other}"))),
    }
    let bytes = d.bytes().map_err(|e| KeyFileProblem::Cbor(e.to_string()))?;
    if d.position() != cbor.len() {
        return Err(KeyFileProblem::Cbor(format!(
            "{} trailing bytes",
            cbor.len() - d.position()
        )));
    }
    Ok(bytes)
}

/// Encodes `bytes` as one CBOR byte string.
pub fn encode_cbor_bytes(bytes: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len() + 3));
    let n = bytes.len();
    if n < 24 {
        out.push(0x40 | n as u8);
    } else if n < 256 {
        out.extend([0x58, n as u8]);
    } else {
        out.extend([0x59, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(bytes);
    out
}

fn key_bytes<'a>(cbor: &'a [u8], kind: &'static str, expected: usize) -> Result<&'a [u8], KeyFileProblem> {
    let bytes = decode_cbor_bytes(cbor)?;
    if bytes.len() != expected {
        return Err(KeyFileProblem::WrongLength {
            kind,
            expected,
            got: bytes.len(),
        });
    }
    Ok(bytes)
}

/// A warning when a secret key file can be read by group or others (Unix only).
pub fn secret_permissions_warning(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            return Some(format!(
                "{} holds a secret key but is accessible by group or others (mode {:o}); run `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    None
}

/// Reads a key file of `kind`, parses its payload with `parse`, and warns (through
/// `tracing`) when a secret key file is readable by others.
pub fn read_key_file<T>(
    path: &Path,
    kind: KeyKind,
    parse: impl FnOnce(&[u8]) -> Result<T, KeyFileProblem>,
) -> Result<T, KeyFileError> {
    let err = |problem| KeyFileError {
        path: path.to_path_buf(),
        problem,
    };
    let text = Zeroizing::new(fs::read_to_string(path).map_err(|e| err(e.into()))?);
    if kind.is_secret() {
        if let Some(w) = secret_permissions_warning(path) {
            tracing::warn!("{w}");
        }
    }
    let cbor = parse_envelope(&text, kind).map_err(err)?;
    parse(&cbor).map_err(err)
}

/// Renders a text envelope as cardano-cli does.
pub fn render_envelope(kind: KeyKind, cbor: &[u8]) -> Zeroizing<String> {
    render_envelope_described(kind, kind.description(), cbor)
}

/// Renders a text envelope with a description of its own (an issue counter's names its number).
/// The key's hex and the text are built in zeroized buffers sized once, so no copy of the
/// secret is left behind (no JSON value, no reallocation).
pub fn render_envelope_described(kind: KeyKind, description: &str, cbor: &[u8]) -> Zeroizing<String> {
    let hex = Zeroizing::new(hex::encode(cbor));
    let type_json = serde_json::to_string(kind.type_name()).unwrap_or_default();
    let description_json = serde_json::to_string(description).unwrap_or_default();
    let parts = [
        "{\n  \"type\": ",
        &type_json,
        ",\n  \"description\": ",
        &description_json,
        ",\n  \"cborHex\": \"",
        &hex,
        "\"\n}\n",
    ];
    let mut out = Zeroizing::new(String::with_capacity(parts.iter().map(|p| p.len()).sum()));
    for p in parts {
        out.push_str(p);
    }
    out
}

/// Writes a text envelope; secret keys are created with mode 0600 and never overwrite.
pub fn write_key_file(path: &Path, kind: KeyKind, cbor: &[u8]) -> Result<(), KeyFileError> {
    let err = |e: std::io::Error| KeyFileError {
        path: path.to_path_buf(),
        problem: e.into(),
    };
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if kind.is_secret() { 0o600 } else { 0o644 });
    }
    let mut f = opts.open(path).map_err(err)?;
    f.write_all(render_envelope(kind, cbor).as_bytes()).map_err(err)?;
    f.sync_all().map_err(err)
}

/// Reads a `VrfSigningKey_PraosVRF` payload: 64 bytes (seed ‖ public key), the public half checked
/// against the seed.
pub fn parse_vrf_signing_key(cbor: &[u8]) -> Result<VrfSecretKey, KeyFileProblem> {
    let b = key_bytes(cbor, "VRF signing key", crate::vrf::SECRET_KEY_LEN)?;
    VrfSecretKey::from_bytes(b).map_err(|e| KeyFileProblem::Invalid(e.to_string()))
}

/// Reads a `VrfVerificationKey_PraosVRF` payload: 32 bytes.
pub fn parse_vrf_verification_key(cbor: &[u8]) -> Result<VrfPublicKey, KeyFileProblem> {
    let b = key_bytes(cbor, "VRF verification key", crate::vrf::PUBLIC_KEY_LEN)?;
    VrfPublicKey::from_bytes(b).map_err(|e| KeyFileProblem::Invalid(e.to_string()))
}

/// A KES key file holds the key as generated: at period 0.
pub fn parse_kes_signing_key(cbor: &[u8]) -> Result<KesSecretKey, KeyFileProblem> {
    let b = key_bytes(cbor, "KES signing key", crate::kes::SIGNING_KEY_LEN)?;
    KesSecretKey::from_bytes(b, 0).map_err(|e| KeyFileProblem::Invalid(e.to_string()))
}

/// Reads a `KesVerificationKey_ed25519_kes_2^6` payload: 32 bytes.
pub fn parse_kes_verification_key(cbor: &[u8]) -> Result<KesPublicKey, KeyFileProblem> {
    let b = key_bytes(cbor, "KES verification key", crate::kes::VERIFICATION_KEY_LEN)?;
    KesPublicKey::from_bytes(b).map_err(|e| KeyFileProblem::Invalid(e.to_string()))
}

/// Reads an Ed25519 signing key payload (cold, genesis delegate, payment or stake): its 32-byte
/// seed.
pub fn parse_ed25519_signing_key(cbor: &[u8]) -> Result<ed25519::SigningKey, KeyFileProblem> {
    let b = key_bytes(cbor, "Ed25519 signing key", ed25519::SECRET_KEY_LENGTH)?;
    let mut seed = Zeroizing::new([0u8; 32]);
    seed.copy_from_slice(b);
    Ok(ed25519::SigningKey::from_bytes(&seed))
}

/// Reads an Ed25519 verification key payload: 32 bytes that must decode to a curve point.
pub fn parse_ed25519_verification_key(cbor: &[u8]) -> Result<ed25519::VerifyingKey, KeyFileProblem> {
    let b = key_bytes(cbor, "Ed25519 verification key", ed25519::PUBLIC_KEY_LENGTH)?;
    let arr: [u8; 32] = b.try_into().map_err(|_| KeyFileProblem::Invalid("length".into()))?;
    ed25519::VerifyingKey::from_bytes(&arr)
        .map_err(|e| KeyFileProblem::Invalid(format!("not a valid Ed25519 public key: {e}")))
}

/// An issue counter's CBOR, `[next issue number, cold verification key]`, as cardano-cli writes it.
pub fn encode_opcert_counter(next: u64, cold_vkey: &[u8; 32]) -> Vec<u8> {
    let mut e = minicbor::Encoder::new(Vec::new());
    let _ = e.array(2).and_then(|e| e.u64(next)).and_then(|e| e.bytes(cold_vkey));
    e.into_writer()
}

/// An issue counter's next number and cold verification key.
pub fn parse_opcert_counter(cbor: &[u8]) -> Result<(u64, [u8; 32]), KeyFileProblem> {
    let bad = |e: minicbor::decode::Error| KeyFileProblem::Cbor(e.to_string());
    let mut d = Decoder::new(cbor);
    if d.array().map_err(bad)? != Some(2) {
        return Err(KeyFileProblem::Cbor("an issue counter is a 2-element array".into()));
    }
    let next = d.u64().map_err(bad)?;
    let key: [u8; 32] = d
        .bytes()
        .map_err(bad)?
        .try_into()
        .map_err(|_| KeyFileProblem::WrongLength {
            kind: "cold verification key",
            expected: 32,
            got: 0,
        })?;
    if d.position() != cbor.len() {
        return Err(KeyFileProblem::Cbor("trailing bytes after the issue counter".into()));
    }
    Ok((next, key))
}

/// Reads a `NodeOperationalCertificate` payload (see [`OperationalCertificate::from_cbor`]).
pub fn parse_opcert(cbor: &[u8]) -> Result<OperationalCertificate, KeyFileProblem> {
    OperationalCertificate::from_cbor(cbor).map_err(|e| KeyFileProblem::Cbor(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_render_as_cardano_cli_writes_them_in_one_buffer() {
        // A text envelope as cardano-cli writes one (field order and layout).
        for (kind, description, cbor) in [
            (KeyKind::VrfSigning, "VRF Signing Key", vec![0x58, 0x40, 7, 8]),
            (KeyKind::VrfSigning, "a \"quoted\" \\ description", vec![]),
        ] {
            let text = render_envelope_described(kind, description, &cbor);
            // cardano-cli's layout: type, description, cborHex, two-space indent.
            let want = format!(
                "{{\n  \"type\": {},\n  \"description\": {},\n  \"cborHex\": \"{}\"\n}}\n",
                serde_json::to_string(kind.type_name()).unwrap(),
                serde_json::to_string(description).unwrap(),
                hex::encode(&cbor)
            );
            assert_eq!(*text, want);
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back["description"], description);
            // Sized once: nothing was reallocated, so no unzeroized copy was freed.
            assert_eq!(text.capacity(), text.len());
        }
    }
}
