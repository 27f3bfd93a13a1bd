//! Transactions the devnet commands build from the faucet's funds: payments (`devnet faucet`),
//! a new pool's registration with its owner's stake and delegation (`devnet add-pool`), and
//! the governance steps (`devnet gov`, `devnet withdraw`). The faucet pays their fees and
//! deposits; they go through a node's REST API exactly as any wallet's would.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use slotforge_crypto::ed25519::SigningKey;
use slotforge_crypto::key_file::{self, KeyKind};
use slotforge_devnet::txbuilder::{Cert, PoolRegistration, Relay, TxBuilder};
use slotforge_ledger::address::reward_address;
use slotforge_ledger::{Credential, LedgerParams, TxIn};

use super::layout::{Devnet, DevnetNode};
use crate::bech32_ids::parse_address;
use crate::http_client;

/// The protocol parameters a transaction submitted now is judged by, as the node serves them
/// (`/api/v1/protocol-parameters`): never a guess from genesis, which an enacted change makes
/// wrong.
pub async fn ledger_params(rest: &str) -> anyhow::Result<LedgerParams> {
    let v = http_client::get_ok(&format!("{rest}/api/v1/protocol-parameters")).await?;
    serde_json::from_value(v["parameters"].clone())
        .with_context(|| format!("{rest}/api/v1/protocol-parameters: not the parameters this wallet reads"))
}

/// The first node whose REST API answers.
pub async fn any_rest(devnet: &Devnet) -> anyhow::Result<String> {
    for n in &devnet.nodes {
        if http_client::get_ok(&format!("{}/api/v1/tip", n.rest)).await.is_ok() {
            return Ok(n.rest.clone());
        }
    }
    bail!("no node of the devnet answers (is it up? `slotforge devnet status`)")
}

/// An address's unspent outputs as (input, lovelace), on the chain or (`pending`) after the
/// mempool's transactions.
pub async fn utxos(rest: &str, address: &str, pending: bool) -> anyhow::Result<Vec<(TxIn, u64)>> {
    let v = http_client::get_ok(&format!(
        "{rest}/api/v1/utxos?address={address}&include_mempool={pending}"
    ))
    .await?;
    v["utxos"]
        .as_array()
        .ok_or_else(|| anyhow!("{rest}: unexpected utxos answer {v}"))?
        .iter()
        .map(|u| {
            let tx: [u8; 32] = hex::decode(u["tx_id"].as_str().unwrap_or_default())
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| anyhow!("a utxo without a transaction id: {u}"))?;
            Ok((
                TxIn {
                    tx,
                    index: u["index"].as_u64().unwrap_or(0),
                },
                u["lovelace"].as_u64().unwrap_or(0),
            ))
        })
        .collect()
}

/// Reads an Ed25519 signing key file of `kind`.
pub fn signing_key(path: &std::path::Path, kind: KeyKind) -> anyhow::Result<SigningKey> {
    Ok(key_file::read_key_file(
        path,
        kind,
        key_file::parse_ed25519_signing_key,
    )?)
}

/// Submits CBOR over REST; returns the transaction id.
pub async fn submit(rest: &str, cbor: Vec<u8>) -> anyhow::Result<String> {
    let r = http_client::post_cbor(&format!("{rest}/api/submit/tx"), cbor).await?;
    if r.status != 202 {
        bail!("the node refused the transaction ({}): {}", r.status, r.body);
    }
    Ok(r.body.as_str().unwrap_or_default().to_string())
}

/// Pays `lovelace` to `address` from the faucet (all its outputs in, change back).
pub async fn faucet_payment(devnet: &Devnet, address: &str, lovelace: u64) -> anyhow::Result<String> {
    let to = parse_address(address).map_err(anyhow::Error::msg)?;
    let rest = any_rest(devnet).await?;
    let params = ledger_params(&rest).await?;
    faucet_pays(devnet, &rest, &params, TxBuilder::new().output(to, lovelace), &[]).await
}

/// Completes `tx` with the faucet's outputs as inputs and its change as the last output (the
/// faucet pays the fee, priced with `params`, and any deposits), signs it with the faucet and
/// `extra_signers`, and submits it; returns its id.
pub async fn faucet_pays(
    devnet: &Devnet,
    rest: &str,
    params: &LedgerParams,
    mut tx: TxBuilder,
    extra_signers: &[&SigningKey],
) -> anyhow::Result<String> {
    let faucet = signing_key(&devnet.faucet.signing_key, KeyKind::PaymentSigning)?;
    let inputs = utxos(rest, &devnet.faucet.address, true).await?;
    if inputs.is_empty() {
        bail!(
            "the faucet {} has no funds left (or its last payment is still pending)",
            devnet.faucet.address
        );
    }
    let total: u64 = inputs.iter().map(|(_, c)| c).sum();
    for (i, _) in &inputs {
        tx = tx.input(*i);
    }
    tx = tx.output(parse_address(&devnet.faucet.address).map_err(anyhow::Error::msg)?, 0);
    let change = tx.outputs.len() - 1;
    let mut signers = vec![&faucet];
    signers.extend_from_slice(extra_signers);
    let tx = tx.balance(params, total, change, &signers);
    for (index, out) in tx.outputs()?.iter().enumerate() {
        let min = params.min_utxo(out.cbor.len() as u64);
        if out.coin < min {
            bail!(
                "output {index} would hold {} lovelace, below the {min} lovelace an output of its \
                 {} bytes must hold (coinsPerUTxOByte {}), so the node would refuse it",
                out.coin,
                out.cbor.len(),
                params.coins_per_utxo_byte
            );
        }
    }
    submit(rest, tx.to_cbor()).await
}

/// Waits until `address` holds an output (the payment is in a block).
pub async fn wait_for_funds(rest: &str, address: &str, within: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    loop {
        if !utxos(rest, address, false).await?.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("no block included the transaction to {address} within {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Registers `node`'s pool: its owner receives `stake` from the faucet in the same
/// transaction that registers the owner's stake key, the pool, and the delegation.
pub async fn register_pool(devnet: &Devnet, node: &DevnetNode, stake: u64) -> anyhow::Result<String> {
    let rest = any_rest(devnet).await?;
    let params = ledger_params(&rest).await?;
    let cold = signing_key(
        node.keys
            .cold_skey
            .as_ref()
            .context("a BFT devnet has no pools to register")?,
        KeyKind::ColdSigning,
    )?;
    let owner_stake = signing_key(&node.owner_stake_key, KeyKind::StakeSigning)?;
    let vrf = key_file::read_key_file(
        node.keys.vrf_vkey.as_ref().context("the pool's VRF key")?,
        KeyKind::VrfVerification,
        key_file::parse_vrf_verification_key,
    )?;
    let stake_hash = slotforge_praos::nonce::blake2b224(owner_stake.verifying_key().as_bytes());
    let pool = slotforge_praos::nonce::blake2b224(cold.verifying_key().as_bytes());
    let certs = vec![
        Cert::Register {
            stake: stake_hash,
            deposit: params.key_deposit,
        },
        Cert::RegisterPool(PoolRegistration {
            operator: pool,
            vrf_key_hash: slotforge_praos::nonce::blake2b256(&[vrf.as_bytes()]),
            pledge: 0,
            cost: params.min_pool_cost,
            margin: (0, 1),
            reward_account: reward_address(0, &Credential::Key(stake_hash)),
            owners: vec![stake_hash],
            relays: relay(&node.node_to_node).into_iter().collect(),
        }),
        Cert::Delegate {
            stake: stake_hash,
            pool,
        },
    ];
    let to = parse_address(&node.owner.address).map_err(anyhow::Error::msg)?;
    let tx = certs
        .into_iter()
        .fold(TxBuilder::new().output(to, stake), TxBuilder::cert);
    faucet_pays(devnet, &rest, &params, tx, &[&cold, &owner_stake]).await
}

/// The relay a pool registration names for a node listening on `addr` (`host:port`): its IPv4
/// address and port, or none when the address is not IPv4.
fn relay(addr: &str) -> Option<Relay> {
    let addr: std::net::SocketAddrV4 = addr.parse().ok()?;
    Some(Relay::SingleHostAddr(
        Some(u32::from(addr.port())),
        Some(addr.ip().octets().to_vec().into()),
        None,
    ))
}
