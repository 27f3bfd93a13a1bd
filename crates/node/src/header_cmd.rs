//! `slotforge header inspect|verify`: decode a Cardano block header and check it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use slotforge_praos::header::{Header, HeaderVrf, VrfCert};
use slotforge_praos::leader::{is_overlay_slot, ActiveSlotCoeff, VrfVariant};
use slotforge_praos::nonce::{blake2b256, Nonce};
use slotforge_praos::ratio::parse_ratio;
use slotforge_praos::time::ConsensusGenesis;
use slotforge_praos::validation::{self, GenesisDelegate, HeaderError, IssuerState, PoolLookup, ValidationParams};

use crate::leaderlog::VrfVariantArg;

#[derive(Debug, Subcommand)]
pub enum HeaderCommand {
    /// Decode a header (hex or raw CBOR) and run the checks that need no ledger context.
    Inspect(InspectArgs),
    /// Run every validation rule against the given epoch and pool context.
    Verify(VerifyArgs),
}

/// KES parameters (mainnet's by default).
#[derive(Debug, Args)]
pub struct KesArgs {
    /// Slots per KES period.
    #[arg(long, default_value_t = 129_600)]
    pub slots_per_kes_period: u64,
    /// Maximum KES evolutions of an operational certificate.
    #[arg(long, default_value_t = 62)]
    pub max_kes_evolutions: u64,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The header: a file of hex digits or raw CBOR bytes.
    pub file: PathBuf,
    #[command(flatten)]
    pub kes: KesArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The header: a file of hex digits or raw CBOR bytes.
    pub file: PathBuf,
    /// The epoch nonce (64 hex digits, or "neutral").
    #[arg(long)]
    pub epoch_nonce: String,
    /// The issuing pool's active stake in the epoch (lovelace).
    #[arg(long)]
    pub pool_stake: u64,
    /// The epoch's total active stake (lovelace).
    #[arg(long)]
    pub active_stake: u64,
    /// Active slot coefficient f, like 1/20.
    #[arg(long)]
    pub active_slot_coeff: String,
    /// Leader-election variant (default: from the header's format: tpraos or praos).
    #[arg(long, value_enum)]
    pub consensus: Option<VrfVariantArg>,
    /// TPraos decentralisation parameter d (overlay slots need no stake).
    #[arg(long, default_value = "0")]
    pub d: String,
    /// TPraos: the first slot of the header's epoch (overlay slots count from it).
    #[arg(long, default_value_t = 0)]
    pub epoch_first_slot: u64,
    /// TPraos: the Shelley genesis file, whose genDelegs name the genesis delegates of overlay
    /// slots (needed when the header's slot is one).
    #[arg(long, value_name = "FILE")]
    pub shelley_genesis: Option<PathBuf>,
    /// The pool's registered VRF key hash (without it, that check is reported as not run).
    #[arg(long, value_name = "HEX")]
    pub vrf_key_hash: Option<String>,
    /// The last opcert sequence number seen for the pool (without it, the counter check is
    /// reported as not run).
    #[arg(long)]
    pub last_sequence_number: Option<u64>,
    #[command(flatten)]
    pub kes: KesArgs,
}

/// Reads hex text or raw bytes.
fn read_header(path: &Path) -> Result<(Header, usize)> {
    let raw = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let bytes = match std::str::from_utf8(&raw) {
        Ok(text) if !text.trim().is_empty() && text.trim().bytes().all(|b| b.is_ascii_hexdigit()) => {
            hex::decode(text.trim()).map_err(|e| anyhow!("{}: not valid hex: {e}", path.display()))?
        }
        _ => raw,
    };
    let header = Header::decode(&bytes).map_err(|e| anyhow!("{}: not a Cardano block header: {e}", path.display()))?;
    Ok((header, bytes.len()))
}

fn cert_json(c: &VrfCert) -> Value {
    json!({ "output": hex::encode(&c.output), "proof": hex::encode(&c.proof) })
}

fn header_json(h: &Header, size: usize) -> Value {
    let b = &h.body();
    let vrf = match &b.vrf {
        HeaderVrf::Praos(c) => json!({ "format": "praos", "vrfResult": cert_json(c) }),
        HeaderVrf::TPraos { nonce, leader } => {
            json!({ "format": "tpraos", "nonceVrf": cert_json(nonce), "leaderVrf": cert_json(leader) })
        }
    };
    json!({
        "hash": hex::encode(h.hash()),
        "size": size,
        "blockNumber": b.block_number,
        "slot": b.slot,
        "prevHash": b.prev_hash.map(hex::encode),
        "issuerVkey": hex::encode(b.issuer_vkey),
        "poolId": hex::encode(validation::pool_id(&b.issuer_vkey)),
        "vrfVkey": hex::encode(b.vrf_vkey),
        "vrfVkeyHash": hex::encode(blake2b256(&[&b.vrf_vkey])),
        "vrf": vrf,
        "blockBodySize": b.block_body_size,
        "blockBodyHash": hex::encode(b.block_body_hash),
        "operationalCertificate": {
            "hotVkey": hex::encode(b.opcert.hot_vkey),
            "sequenceNumber": b.opcert.sequence_number,
            "kesPeriod": b.opcert.kes_period,
            "sigma": hex::encode(b.opcert.sigma),
        },
        "protocolVersion": { "major": b.protocol_version.0, "minor": b.protocol_version.1 },
        "kesSignature": hex::encode(h.kes_signature().as_bytes()),
    })
}

/// `inspect`: the decoded header and the context-free checks.
pub fn inspect(args: &InspectArgs) -> Result<Value> {
    let (h, size) = read_header(&args.file)?;
    let outcome = |r: Result<(), String>| match r {
        Ok(()) => json!({ "ok": true }),
        Err(detail) => json!({ "ok": false, "detail": detail }),
    };
    let period = validation::check_kes_period(&h, args.kes.slots_per_kes_period, args.kes.max_kes_evolutions);
    // The signature is checked at the slot's relative period even outside the window, when
    // that period exists at all.
    let kes_signature = match &period {
        Ok(t) => validation::check_kes_signature(&h, *t).map_err(|e| e.to_string()),
        Err(HeaderError::KesPeriodAfterOpCert {
            slot_period,
            opcert_period,
            ..
        }) => validation::check_kes_signature(&h, slot_period - opcert_period).map_err(|e| e.to_string()),
        Err(e) => Err(format!("not checked: {e}")),
    };
    Ok(json!({
        "header": header_json(&h, size),
        "checks": {
            "opcertSignature": outcome(validation::check_opcert_signature(&h).map_err(|e| e.to_string())),
            "kesPeriod": outcome(period.map(|_| ()).map_err(|e| e.to_string())),
            "kesSignature": outcome(kes_signature),
        }
    }))
}

/// The genesis delegations of a Shelley genesis file (`genDelegs`).
fn read_gen_delegs(path: &Path) -> Result<BTreeMap<[u8; 28], GenesisDelegate>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    ConsensusGenesis::from_json(&text)
        .and_then(|g| g.genesis_delegates())
        .with_context(|| path.display().to_string())
}

/// `verify`: Ok(json) with `valid` true or false; Err for bad usage.
pub fn verify(args: &VerifyArgs) -> Result<Value> {
    let (h, _) = read_header(&args.file)?;
    let nonce = Nonce::from_hex(&args.epoch_nonce).context("--epoch-nonce")?;
    let (fnum, fden) = parse_ratio(&args.active_slot_coeff).map_err(|e| anyhow!("--active-slot-coeff: {e}"))?;
    let f = ActiveSlotCoeff::new(fnum, fden)?;
    let d = parse_ratio(&args.d).map_err(|e| anyhow!("--d: {e}"))?;
    if d.0 > d.1 {
        bail!("--d must be between 0 and 1");
    }
    if args.pool_stake > args.active_stake || args.active_stake == 0 {
        bail!("--pool-stake must be at most --active-stake, which must be positive");
    }
    let variant = match (args.consensus, &h.body().vrf) {
        (Some(c), _) => VrfVariant::from(c),
        (None, HeaderVrf::Praos(_)) => VrfVariant::Praos,
        (None, HeaderVrf::TPraos { .. }) => VrfVariant::TPraos,
    };
    // A check whose ledger context was not given is not run, and the output says so: the
    // header's own VRF key stands in for the registered one, its own counter for the last seen.
    let mut not_run = serde_json::Map::new();
    let vrf_key_hash = match &args.vrf_key_hash {
        Some(hex_text) => hex::decode(hex_text.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| anyhow!("--vrf-key-hash must be 64 hex digits"))?,
        None => {
            not_run.insert(
                "vrfKeyRegistered".into(),
                "no --vrf-key-hash given: the header's VRF key was not compared with the pool's registered one".into(),
            );
            blake2b256(&[&h.body().vrf_vkey])
        }
    };
    let last_sequence_number = match args.last_sequence_number {
        Some(n) => n,
        None => {
            not_run.insert(
                "opcertCounter".into(),
                "no --last-sequence-number given: the certificate's sequence number was not compared with the last one seen".into(),
            );
            h.body().opcert.sequence_number
        }
    };
    let gen_delegs = match &args.shelley_genesis {
        Some(path) => read_gen_delegs(path)?,
        None => Default::default(),
    };
    let slot = h.body().slot;
    if variant == VrfVariant::TPraos
        && gen_delegs.is_empty()
        && slot >= args.epoch_first_slot
        && is_overlay_slot(slot - args.epoch_first_slot, d.0, d.1)
    {
        bail!(
            "slot {slot} is an overlay slot (d = {}): give --shelley-genesis so its genesis delegate can be checked",
            args.d
        );
    }
    let params = ValidationParams {
        variant,
        epoch_nonce: nonce,
        active_slot_coeff: f,
        slots_per_kes_period: args.kes.slots_per_kes_period,
        max_kes_evolutions: args.kes.max_kes_evolutions,
        decentralisation: d,
        epoch_first_slot: args.epoch_first_slot,
        gen_delegs,
    };
    let issuer = IssuerState {
        last_sequence_number: Some(last_sequence_number),
        pool: PoolLookup::Registered {
            vrf_key_hash,
            stake: args.pool_stake,
            total_stake: args.active_stake,
        },
    };
    Ok(match validation::validate(&h, &params, &issuer) {
        Ok(v) => json!({ "valid": true, "poolId": hex::encode(v.pool_id), "overlay": v.overlay, "notRun": not_run }),
        Err(e) => json!({ "valid": false, "error": e.kind(), "detail": e.to_string(), "notRun": not_run }),
    })
}
