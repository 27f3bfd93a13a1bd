//! `slotforge keys`: cardano-cli-compatible key files — payment, stake, cold (with its issue
//! counter), VRF, KES, BFT genesis delegate — operational certificates, and the bech32 names
//! (pool ids, addresses) cardano-cli prints. Secret files are created 0600 and never
//! overwritten; seeds come from the operating system and are zeroized.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use slotforge_crypto::ed25519::SigningKey;
use slotforge_crypto::kes::KesSecretKey;
use slotforge_crypto::key_file::{self, KeyKind};
use slotforge_crypto::opcert::OperationalCertificate;
use slotforge_crypto::vrf::VrfSecretKey;
use slotforge_praos::nonce::blake2b224;
use zeroize::Zeroizing;

use crate::bech32_ids::{address_bech32, pool_bech32, pool_id_of};

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// A payment key pair (PaymentSigningKeyShelley_ed25519).
    Payment(PairArgs),
    /// A stake key pair (StakeSigningKeyShelley_ed25519).
    Stake(PairArgs),
    /// A pool's cold key pair and its operational-certificate issue counter.
    Cold {
        #[arg(long, value_name = "FILE")]
        cold_signing_key_file: PathBuf,
        #[arg(long, value_name = "FILE")]
        cold_verification_key_file: PathBuf,
        #[arg(long, value_name = "FILE")]
        operational_certificate_issue_counter_file: PathBuf,
    },
    /// A VRF key pair (VrfSigningKey_PraosVRF).
    Vrf(PairArgs),
    /// A KES key pair (Sum6 KES, at period 0).
    Kes(PairArgs),
    /// A BFT genesis delegate key pair.
    BftDelegate(PairArgs),
    /// Issue an operational certificate for a KES key; increments the issue counter.
    Opcert {
        #[arg(long, value_name = "FILE")]
        cold_skey: PathBuf,
        #[arg(long, value_name = "FILE")]
        counter: PathBuf,
        #[arg(long, value_name = "FILE")]
        kes_vkey: PathBuf,
        /// The KES period the certificate starts at (slot / slotsPerKESPeriod).
        #[arg(long)]
        kes_period: u64,
        #[arg(long, value_name = "FILE")]
        out_file: PathBuf,
    },
    /// Print a pool's id (bech32 and hex) from its cold verification key.
    PoolId {
        #[arg(long, value_name = "FILE")]
        cold_vkey: PathBuf,
    },
    /// Print an address: enterprise, or base with a stake key.
    Address {
        #[arg(long, value_name = "FILE")]
        payment_vkey: PathBuf,
        #[arg(long, value_name = "FILE")]
        stake_vkey: Option<PathBuf>,
        /// A mainnet address (network id 1).
        #[arg(long, conflicts_with = "testnet_magic")]
        mainnet: bool,
        /// A testnet address (network id 0); the magic is accepted for cardano-cli's syntax.
        #[arg(long, value_name = "MAGIC")]
        testnet_magic: Option<u32>,
    },
}

#[derive(Debug, Args)]
pub struct PairArgs {
    #[arg(long, value_name = "FILE")]
    pub signing_key_file: PathBuf,
    #[arg(long, value_name = "FILE")]
    pub verification_key_file: PathBuf,
}

/// 32 bytes from the operating system's generator.
pub fn random_seed() -> anyhow::Result<Zeroizing<[u8; 32]>> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::getrandom(&mut seed[..]).map_err(|e| anyhow::anyhow!("the system's random generator failed: {e}"))?;
    Ok(seed)
}

fn refuse_existing(paths: &[&Path]) -> anyhow::Result<()> {
    for p in paths {
        if p.exists() {
            bail!(
                "{} already exists; key files are never overwritten (remove it or choose another path)",
                p.display()
            );
        }
    }
    Ok(())
}

fn write(path: &Path, kind: KeyKind, raw: &[u8]) -> anyhow::Result<()> {
    key_file::write_key_file(path, kind, &key_file::encode_cbor_bytes(raw))?;
    Ok(())
}

/// Writes an Ed25519 key pair of the given kinds from a fresh seed; returns the signing key.
pub fn ed25519_pair(skey: &Path, vkey: &Path, kinds: (KeyKind, KeyKind)) -> anyhow::Result<SigningKey> {
    refuse_existing(&[skey, vkey])?;
    let seed = random_seed()?;
    let key = SigningKey::from_bytes(&seed);
    write(skey, kinds.0, &seed[..])?;
    write(vkey, kinds.1, key.verifying_key().as_bytes())?;
    Ok(key)
}

/// Writes a cold key pair and its issue counter at 0.
pub fn cold_keys(skey: &Path, vkey: &Path, counter: &Path) -> anyhow::Result<SigningKey> {
    refuse_existing(&[skey, vkey, counter])?;
    let key = ed25519_pair(skey, vkey, (KeyKind::ColdSigning, KeyKind::ColdVerification))?;
    write_counter(counter, 0, &key.verifying_key().to_bytes(), false)?;
    Ok(key)
}

fn write_counter(path: &Path, next: u64, cold_vkey: &[u8; 32], replace: bool) -> anyhow::Result<()> {
    let text = key_file::render_envelope_described(
        KeyKind::OpCertCounter,
        &format!("Next certificate issue number: {next}"),
        &key_file::encode_opcert_counter(next, cold_vkey),
    );
    if replace {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text.as_bytes()).and_then(|()| std::fs::rename(&tmp, path))
    } else {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
    }
    .with_context(|| format!("writing the issue counter {}", path.display()))
}

/// Writes a VRF key pair.
pub fn vrf_keys(skey: &Path, vkey: &Path) -> anyhow::Result<VrfSecretKey> {
    refuse_existing(&[skey, vkey])?;
    let key = VrfSecretKey::from_seed(&*random_seed()?);
    write(skey, KeyKind::VrfSigning, &key.to_bytes()[..])?;
    write(vkey, KeyKind::VrfVerification, key.public_key().as_bytes())?;
    Ok(key)
}

/// Writes a KES key pair at period 0.
pub fn kes_keys(skey: &Path, vkey: &Path) -> anyhow::Result<KesSecretKey> {
    refuse_existing(&[skey, vkey])?;
    let mut seed = random_seed()?;
    let key = KesSecretKey::from_seed(&mut seed);
    write(skey, KeyKind::KesSigning, &key.to_bytes())?;
    write(vkey, KeyKind::KesVerification, key.public_key().as_bytes())?;
    Ok(key)
}

/// Issues an operational certificate with the counter's next number, then increments it.
pub fn issue_opcert(
    cold_skey: &Path,
    counter: &Path,
    kes_vkey: &Path,
    kes_period: u64,
    out: &Path,
) -> anyhow::Result<OperationalCertificate> {
    refuse_existing(&[out])?;
    let cold = key_file::read_key_file(cold_skey, KeyKind::ColdSigning, key_file::parse_ed25519_signing_key)?;
    let (next, counter_vkey) =
        key_file::read_key_file(counter, KeyKind::OpCertCounter, key_file::parse_opcert_counter)?;
    let cold_vkey = cold.verifying_key().to_bytes();
    if counter_vkey != cold_vkey {
        bail!(
            "{} belongs to another cold key (pool {}), not {}",
            counter.display(),
            pool_bech32(&pool_id_of(&counter_vkey)),
            cold_skey.display()
        );
    }
    let hot = key_file::read_key_file(kes_vkey, KeyKind::KesVerification, key_file::parse_kes_verification_key)?;
    let cert = OperationalCertificate::issue(&cold, hot, next, kes_period);
    key_file::write_key_file(out, KeyKind::OperationalCertificate, &cert.to_cbor())?;
    write_counter(counter, next + 1, &cold_vkey, true)?;
    Ok(cert)
}

fn read_vkey(path: &Path, kind: KeyKind) -> anyhow::Result<[u8; 32]> {
    Ok(key_file::read_key_file(path, kind, key_file::parse_ed25519_verification_key)?.to_bytes())
}

/// Runs a `keys` subcommand; prints what it made.
pub fn run(cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Payment(a) => {
            ed25519_pair(
                &a.signing_key_file,
                &a.verification_key_file,
                (KeyKind::PaymentSigning, KeyKind::PaymentVerification),
            )?;
        }
        KeysCommand::Stake(a) => {
            ed25519_pair(
                &a.signing_key_file,
                &a.verification_key_file,
                (KeyKind::StakeSigning, KeyKind::StakeVerification),
            )?;
        }
        KeysCommand::BftDelegate(a) => {
            ed25519_pair(
                &a.signing_key_file,
                &a.verification_key_file,
                (KeyKind::GenesisDelegateSigning, KeyKind::GenesisDelegateVerification),
            )?;
        }
        KeysCommand::Cold {
            cold_signing_key_file,
            cold_verification_key_file,
            operational_certificate_issue_counter_file,
        } => {
            let key = cold_keys(
                &cold_signing_key_file,
                &cold_verification_key_file,
                &operational_certificate_issue_counter_file,
            )?;
            println!("{}", pool_bech32(&pool_id_of(&key.verifying_key().to_bytes())));
        }
        KeysCommand::Vrf(a) => {
            vrf_keys(&a.signing_key_file, &a.verification_key_file)?;
        }
        KeysCommand::Kes(a) => {
            kes_keys(&a.signing_key_file, &a.verification_key_file)?;
        }
        KeysCommand::Opcert {
            cold_skey,
            counter,
            kes_vkey,
            kes_period,
            out_file,
        } => {
            let cert = issue_opcert(&cold_skey, &counter, &kes_vkey, kes_period, &out_file)?;
            println!(
                "issued {} (issue number {}, KES period {})",
                out_file.display(),
                cert.sequence_number,
                cert.kes_period
            );
        }
        KeysCommand::PoolId { cold_vkey } => {
            let id = pool_id_of(&read_vkey(&cold_vkey, KeyKind::ColdVerification)?);
            println!("{}\n{}", pool_bech32(&id), hex::encode(id));
        }
        KeysCommand::Address {
            payment_vkey,
            stake_vkey,
            mainnet,
            testnet_magic,
        } => {
            if !mainnet && testnet_magic.is_none() {
                bail!("say which network: --mainnet or --testnet-magic MAGIC");
            }
            let network = u8::from(mainnet);
            let pay = blake2b224(&read_vkey(&payment_vkey, KeyKind::PaymentVerification)?);
            let address = match stake_vkey {
                Some(s) => slotforge_devnet::txbuilder::base_address(
                    network,
                    &pay,
                    &blake2b224(&read_vkey(&s, KeyKind::StakeVerification)?),
                ),
                None => slotforge_devnet::txbuilder::enterprise_address(network, &pay),
            };
            println!("{}", address_bech32(&address));
        }
    }
    Ok(())
}
