//! Conformance with the Haskell reference: every case of praos-header-cases.json
//! ($PRAOS_HEADER_CASES, default ../shared/vectors/header-cases/praos-header-cases.json).

use std::collections::HashMap;
use std::path::PathBuf;

use slotforge_praos::header::Header;
use slotforge_praos::leader::{ActiveSlotCoeff, VrfVariant};
use slotforge_praos::nonce::Nonce;
use slotforge_praos::ratio::parse_ratio;
use slotforge_praos::validation::{check_leadership, pool_id, validate, IssuerState, PoolLookup, ValidationParams};

/// The reference's error names and the kinds slotforge reports for them (docs/ARCHITECTURE.md).
const ERROR_NAMES: &[(&str, &str)] = &[
    ("SequenceNumberTooSmall", "SequenceNumberTooSmall"),
    ("SequenceNumberTooFarAhead", "SequenceNumberTooFarAhead"),
    ("InvalidSignature", "OpCertSignature"),
    ("InvalidKesSignature", "KesSignature"),
    // These two name the opcert's period, not the slot's: "too old" is a slot past the opcert's
    // window (the ledger's KESAfterEndOCERT), "too large" a slot before it (KESBeforeStartOCERT).
    // The vectors' README describes them the other way round; the cases decide.
    ("OpCertKesPeriodTooOld", "KesPeriodAfterOpCert"),
    ("OpCertKesPeriodTooLarge", "KesPeriodBeforeOpCert"),
    ("InsufficientLeaderStake", "InsufficientStake"),
    ("UnknownPool", "UnknownPool"),
    ("KnownLeaderVrf", "VrfKeyMismatch"),
    ("VrfProof", "VrfProof"),
    ("PoolError", "StakeDistributionUnavailable"),
];

/// Cases whose header breaks two rules. The file names the failure a validator that checks
/// the VRF first reports; ouroboros-consensus's Praos checks the operational certificate and
/// KES first (`updateChainDepState`: `validateKESSignature`, then `validateVRFSignature`), so
/// the reference reports the kind given here. Both failures are checked: `validate` gives this
/// kind, and the VRF rules alone (`check_leadership`) give the file's.
const REFERENCE_ORDER: &[(&str, &str)] = &[
    // The slot moved past the certificate's window, which also changes the VRF input.
    ("haskell vector 77 (MutateKESPeriodBefore)", "KesPeriodAfterOpCert"),
    // The VRF fields of the signed body changed, so the KES signature no longer covers it.
    ("VRF proof: declared proof hash has wrong byte length", "KesSignature"),
    ("VRF proof: c/s response bytes scrambled", "KesSignature"),
];

fn expected_kind(name: &str) -> &'static str {
    let base = name.split('(').next().unwrap_or(name);
    ERROR_NAMES
        .iter()
        .find(|(n, _)| *n == base)
        .map(|(_, k)| *k)
        .unwrap_or_else(|| panic!("unmapped error name {name}"))
}

fn cases_path() -> PathBuf {
    std::env::var_os("PRAOS_HEADER_CASES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/vectors/header-cases/praos-header-cases.json")
        })
}

/// Runs one case; Err describes how the outcome differed from the expectation.
fn run_case(case: &serde_json::Value) -> Result<(), String> {
    let ctx = &case["context"];
    let expected = &case["expected"];
    let bytes = hex::decode(case["header"].as_str().ok_or("no header")?).map_err(|e| e.to_string())?;
    let header = match Header::decode(&bytes) {
        Ok(h) => h,
        Err(e) => {
            return if expected.get("decodeError").is_some() {
                Ok(())
            } else {
                Err(format!("decode failed: {e}"))
            };
        }
    };
    if expected.get("decodeError").is_some() {
        return Err("decoded, but a decoding failure was expected".into());
    }
    // The decoded fields encode back to the very bytes the KES key signed: nothing was lost
    // or reordered in decoding (`to_cbor` of the header itself only returns the stored bytes).
    if header.body().to_cbor() != header.body_bytes() {
        return Err("the decoded body does not re-encode to the received body bytes".into());
    }
    let f_text = ctx["activeSlotCoeff"].to_string();
    let (fn_, fd) = parse_ratio(&f_text).map_err(|e| e.to_string())?;
    let params = ValidationParams {
        variant: VrfVariant::Praos,
        epoch_nonce: Nonce::from_hex(ctx["nonce"].as_str().ok_or("nonce")?).map_err(|e| e.to_string())?,
        active_slot_coeff: ActiveSlotCoeff::new(fn_, fd).map_err(|e| e.to_string())?,
        slots_per_kes_period: ctx["praosSlotsPerKESPeriod"].as_u64().ok_or("slots per KES period")?,
        max_kes_evolutions: ctx["praosMaxKESEvo"].as_u64().ok_or("max KES evolutions")?,
        decentralisation: (0, 1),
        epoch_first_slot: 0,
        gen_delegs: Default::default(),
    };
    let counters: HashMap<String, u64> =
        serde_json::from_value(ctx["ocertCounters"].clone()).map_err(|e| e.to_string())?;
    let id = hex::encode(pool_id(&header.body().issuer_vkey));
    let vrf_key_hash: [u8; 32] = hex::decode(ctx["vrfVKeyHash"].as_str().ok_or("vrfVKeyHash")?)
        .map_err(|e| e.to_string())?
        .try_into()
        .map_err(|_| "vrfVKeyHash length")?;
    let pool = match case.get("ledgerState").and_then(|s| s.as_str()) {
        None => PoolLookup::Registered {
            vrf_key_hash,
            stake: 1,
            total_stake: 1,
        },
        Some("missingPool") => PoolLookup::NotInDistribution,
        Some("failing") => PoolLookup::Unavailable,
        Some(other) => return Err(format!("unknown ledgerState {other}")),
    };
    let issuer = IssuerState {
        last_sequence_number: counters.get(&id).copied(),
        pool,
    };
    let outcome = validate(&header, &params, &issuer);
    let title = case["title"].as_str().unwrap_or_default();
    if let Some((_, kind)) = REFERENCE_ORDER.iter().find(|(t, _)| *t == title) {
        let name = expected.get("error").and_then(|e| e.as_str()).ok_or("an error case")?;
        let vrf_first = check_leadership(&header, &params, &issuer).err().map(|e| e.kind());
        return match outcome {
            Err(e) if e.kind() == *kind && vrf_first == Some(expected_kind(name)) => Ok(()),
            other => Err(format!(
                "expected {kind} first and {name} from the VRF rules, got {:?} and {vrf_first:?}",
                other.map_err(|e| e.kind())
            )),
        };
    }
    match (
        expected.as_str(),
        expected.get("error").and_then(|e| e.as_str()),
        outcome,
    ) {
        (Some("pass"), _, Ok(_)) => Ok(()),
        (Some("pass"), _, Err(e)) => Err(format!("expected pass, got {}: {e}", e.kind())),
        (_, Some(name), Ok(_)) => Err(format!("expected {name}, but it validated")),
        (_, Some(name), Err(e)) if e.kind() == expected_kind(name) => Ok(()),
        (_, Some(name), Err(e)) => Err(format!(
            "expected {name} ({}), got {}: {e}",
            expected_kind(name),
            e.kind()
        )),
        _ => Err(format!("unreadable expectation {expected}")),
    }
}

#[test]
fn haskell_reference_header_cases() {
    let path = cases_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).expect("a JSON list of cases");
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(why) = run_case(case) {
            failures.push(format!("{}: {why}", case["title"]));
        }
    }
    let passed = cases.len() - failures.len();
    println!("header cases: {passed}/{} passed", cases.len());
    for f in &failures {
        println!("  FAILED {f}");
    }
    assert!(!cases.is_empty(), "no cases in {}", path.display());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed",
        failures.len(),
        cases.len()
    );
}
