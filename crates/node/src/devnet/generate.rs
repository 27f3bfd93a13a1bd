//! Making a devnet: genesis, every pool's keys (with `slotforge keys`' functions), enclave and
//! node configurations, the keys imported into each enclave, and `devnet.json`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use slotforge_crypto::key_file::KeyKind;
use slotforge_devnet::genesis_spec::{DevnetFunds, DevnetPool, DevnetSpec};
use slotforge_devnet::txbuilder::{base_address, enterprise_address};
use slotforge_ledger::genesis::{credential_key, AlonzoGenesis, CommitteeJson, ConwayGenesis, Threshold};
use slotforge_network::topology::{self, AccessPoint};
use slotforge_praos::nonce::{blake2b224, blake2b256};
use slotforge_praos::ratio::Ratio;

use super::layout::{Devnet, DevnetNode, Funded, GenesisFiles, PoolKeys, Process};
use super::processes::{enclave_binary, run_to_end, PortPicker};
use crate::bech32_ids::{address_bech32, pool_bech32};
use crate::keys_cmd;
use crate::private_dir::create_private_dir;

/// Lovelace each pool's owner holds at genesis (their stake is the pool's).
pub const OWNER_FUNDS: u64 = 1_000_000_000_000;
/// Lovelace the faucet holds at genesis.
pub const FAUCET_FUNDS: u64 = 100_000_000_000_000;
pub const NETWORK_MAGIC: u32 = 42;
const SLOTS_PER_KES_PERIOD: u64 = 129_600;
const MAX_KES_EVOLUTIONS: u64 = 62;

/// The shape of a new devnet.
#[derive(Debug, Clone)]
pub struct DevnetShape {
    pub pools: usize,
    pub slot_length_ms: u64,
    pub epoch_length: u64,
    pub k: u64,
    pub f: Ratio,
    pub bft: bool,
    /// Seconds from now to the system start (time for the processes to start).
    pub start_in_s: u64,
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// A stake signing key file and the key's hash.
type StakeKey = (PathBuf, [u8; 28]);

/// A funded key pair: payment (and stake) keys in `dir`, and its address.
fn funded_keys(dir: &Path, with_stake: bool) -> anyhow::Result<(Funded, Option<StakeKey>)> {
    let (skey, vkey) = (dir.join("payment.skey"), dir.join("payment.vkey"));
    let pay = keys_cmd::ed25519_pair(&skey, &vkey, (KeyKind::PaymentSigning, KeyKind::PaymentVerification))?;
    let pay_hash = blake2b224(pay.verifying_key().as_bytes());
    let (address, stake) = if with_stake {
        let (sskey, svkey) = (dir.join("stake.skey"), dir.join("stake.vkey"));
        let stake = keys_cmd::ed25519_pair(&sskey, &svkey, (KeyKind::StakeSigning, KeyKind::StakeVerification))?;
        let stake_hash = blake2b224(stake.verifying_key().as_bytes());
        (base_address(0, &pay_hash, &stake_hash), Some((sskey, stake_hash)))
    } else {
        (enterprise_address(0, &pay_hash), None)
    };
    Ok((
        Funded {
            address: address_bech32(&address),
            signing_key: skey,
            verification_key: vkey,
        },
        stake,
    ))
}

/// How many constitutional committee members a devnet's genesis names.
const COMMITTEE_MEMBERS: usize = 3;
/// The last epoch of the genesis committee's terms.
const COMMITTEE_TERM: u64 = 1_000;

/// `n` committee members' cold and hot key pairs in `dir/member-<i>/`; returns the cold keys'
/// hashes.
fn committee_keys(dir: &Path, n: usize) -> anyhow::Result<Vec<[u8; 28]>> {
    create_private_dir(dir)?;
    (1..=n)
        .map(|i| {
            let m = dir.join(format!("member-{i}"));
            create_private_dir(&m)?;
            let cold = keys_cmd::ed25519_pair(
                &m.join("cold.skey"),
                &m.join("cold.vkey"),
                (KeyKind::CommitteeColdSigning, KeyKind::CommitteeColdVerification),
            )?;
            keys_cmd::ed25519_pair(
                &m.join("hot.skey"),
                &m.join("hot.vkey"),
                (KeyKind::CommitteeHotSigning, KeyKind::CommitteeHotVerification),
            )?;
            Ok(blake2b224(cold.verifying_key().as_bytes()))
        })
        .collect()
}

/// The Alonzo genesis with mainnet's current Plutus V1 and V2 cost models.
fn alonzo_genesis() -> AlonzoGenesis {
    AlonzoGenesis {
        cost_models: serde_json::json!({
            "PlutusV1": slotforge_devnet::cost_models::mainnet().plutus_v1,
            "PlutusV2": slotforge_devnet::cost_models::mainnet().plutus_v2,
        }),
        ..AlonzoGenesis::default()
    }
}

/// The Conway genesis: mainnet's governance parameters, the Plutus V3 cost model, and a
/// committee of the devnet's own members (two of three must approve).
fn conway_genesis(committee: &[[u8; 28]]) -> ConwayGenesis {
    let defaults = ConwayGenesis::default();
    ConwayGenesis {
        plutus_v3_cost_model: slotforge_devnet::cost_models::mainnet().plutus_v3.clone(),
        committee_min_size: committee.len() as u64,
        committee: CommitteeJson {
            members: committee
                .iter()
                .map(|h| (credential_key(&slotforge_ledger::Credential::Key(*h)), COMMITTEE_TERM))
                .collect(),
            threshold: Threshold((2, 3)),
        },
        ..defaults
    }
}

/// A Praos pool's keys in `dir`: cold (with counter), VRF, KES, and an opcert at period 0.
pub fn pool_keys(dir: &Path) -> anyhow::Result<(PoolKeys, [u8; 28], [u8; 32])> {
    let k = |n: &str| dir.join(n);
    let cold = keys_cmd::cold_keys(&k("cold.skey"), &k("cold.vkey"), &k("cold.counter"))?;
    let vrf = keys_cmd::vrf_keys(&k("vrf.skey"), &k("vrf.vkey"))?;
    keys_cmd::kes_keys(&k("kes.skey"), &k("kes.vkey"))?;
    keys_cmd::issue_opcert(&k("cold.skey"), &k("cold.counter"), &k("kes.vkey"), 0, &k("node.cert"))?;
    let id = blake2b224(cold.verifying_key().as_bytes());
    let vrf_hash = blake2b256(&[vrf.public_key().as_bytes()]);
    Ok((
        PoolKeys {
            cold_skey: Some(k("cold.skey")),
            cold_vkey: Some(k("cold.vkey")),
            cold_counter: Some(k("cold.counter")),
            vrf_skey: Some(k("vrf.skey")),
            vrf_vkey: Some(k("vrf.vkey")),
            kes_skey: Some(k("kes.skey")),
            kes_vkey: Some(k("kes.vkey")),
            opcert: Some(k("node.cert")),
            ..PoolKeys::default()
        },
        id,
        vrf_hash,
    ))
}

/// A new node's directory, keys, enclave configuration, and its entry (not started).
pub struct NewNode {
    pub entry: DevnetNode,
    pub pool: Option<DevnetPool>,
    /// BFT: the delegate's verification key hash.
    pub bft_delegate: Option<[u8; 28]>,
}

/// Makes `DIR/pool-N`: keys, the enclave's configuration with the keys imported.
pub fn new_node(dir: &Path, n: usize, bft: bool, ports: &mut PortPicker) -> anyhow::Result<NewNode> {
    let name = format!("pool-{n}");
    let home = dir.join(&name);
    let keys_dir = home.join("keys");
    let enclave_dir = home.join("enclave");
    create_private_dir(&keys_dir)?;
    create_private_dir(&enclave_dir)?;
    let (owner, stake) = funded_keys(&keys_dir, true)?;
    let (owner_stake_key, owner_stake_hash) = stake.expect("asked for a stake key");
    let (keys, leader_id, pool, bft_delegate) = if bft {
        let (s, v) = (keys_dir.join("delegate.skey"), keys_dir.join("delegate.vkey"));
        let key = keys_cmd::ed25519_pair(
            &s,
            &v,
            (KeyKind::GenesisDelegateSigning, KeyKind::GenesisDelegateVerification),
        )?;
        let hash = blake2b224(key.verifying_key().as_bytes());
        (
            PoolKeys {
                bft_skey: Some(s),
                bft_vkey: Some(v),
                ..PoolKeys::default()
            },
            hex::encode(hash),
            None,
            Some(hash),
        )
    } else {
        let (keys, id, vrf_key_hash) = pool_keys(&keys_dir)?;
        (
            keys,
            pool_bech32(&id),
            Some(DevnetPool {
                id,
                vrf_key_hash,
                owner_stake: owner_stake_hash,
            }),
            None,
        )
    };
    let enclave_config = enclave_dir.join("enclave.toml");
    write(
        &enclave_config,
        &format!(
            "# The enclave of {name} in a slotforge devnet.\ndata_dir = \"data\"\n# Its own clock: the devnet's slot timing.\nshelley_genesis = \"../../genesis/shelley-genesis.json\"\nslots_per_kes_period = {SLOTS_PER_KES_PERIOD}\nmax_kes_evolutions = {MAX_KES_EVOLUTIONS}\nunix_socket = \"enclave.sock\"\n"
        ),
    )?;
    let mut import = Command::new(enclave_binary());
    import
        .args(["keys", "import", "--config"])
        .arg(&enclave_config)
        .args(["--name", &name]);
    match (
        &keys.bft_skey,
        &keys.vrf_skey,
        &keys.kes_skey,
        &keys.opcert,
        &keys.cold_vkey,
    ) {
        (Some(bft), ..) => {
            import.arg("--bft-skey").arg(bft);
        }
        (None, Some(vrf), Some(kes), Some(opcert), Some(cold)) => {
            import
                .arg("--vrf-skey")
                .arg(vrf)
                .arg("--kes-skey")
                .arg(kes)
                .arg("--opcert")
                .arg(opcert)
                .arg("--cold-vkey")
                .arg(cold);
        }
        _ => unreachable!("a pool has either BFT or Praos keys"),
    }
    run_to_end(import, &format!("importing {name}'s keys into its enclave"))?;
    let rest_port = ports.pick()?;
    let n2n_port = ports.pick()?;
    Ok(NewNode {
        entry: DevnetNode {
            name: name.clone(),
            rest: format!("http://127.0.0.1:{rest_port}"),
            node_to_node: format!("127.0.0.1:{n2n_port}"),
            node: Process {
                name: name.clone(),
                config: home.join("node.toml"),
                log: home.join("node.log"),
                pid: None,
            },
            enclave: Process {
                name: format!("enclave-{n}"),
                config: enclave_config,
                log: home.join("enclave.log"),
                pid: None,
            },
            enclave_socket: enclave_dir.join("enclave.sock"),
            socket: home.join("node.socket"),
            leader_id,
            keys,
            owner,
            owner_stake_key,
        },
        pool,
        bft_delegate,
    })
}

/// Writes a node's `node.toml` and `topology.json` (every other node as a peer).
pub fn write_node_config(devnet: &Devnet, node: &DevnetNode, forge_alone: bool) -> anyhow::Result<()> {
    let home = node.node.config.parent().expect("node.toml is in the node's folder");
    let peers: Vec<AccessPoint> = devnet
        .nodes
        .iter()
        .filter(|n| n.name != node.name)
        .map(|n| {
            let (address, port) = n.node_to_node.rsplit_once(':').expect("host:port");
            AccessPoint {
                address: address.to_string(),
                port: port.parse().expect("a port"),
            }
        })
        .collect();
    write(&home.join("topology.json"), &topology::to_json(&peers))?;
    let bft = if devnet.consensus == "bft" {
        let keys: Vec<String> = devnet
            .nodes
            .iter()
            .filter_map(|n| n.keys.bft_vkey.as_ref())
            .map(|p| format!("{:?}", p.display().to_string()))
            .collect();
        format!("bft_delegate_vkeys = [{}]\n", keys.join(", "))
    } else {
        String::new()
    };
    let rest = node.rest.trim_start_matches("http://");
    let per_address = devnet.nodes.len() + 8;
    let origins = devnet
        .nodes
        .iter()
        .map(|n| format!("{:?}", n.rest.trim_end_matches('/')))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        r#"# {name} in the slotforge devnet {dir}.
name = "{name}"
data_dir = "node-data"

[genesis]
shelley = {shelley:?}
alonzo = {alonzo:?}
{conway}{bft}
[network]
listen = "{n2n}"
topology = "topology.json"
max_backoff_ms = 2000
# Every other node dials from this machine's address, with room for local tools.
max_inbound_per_address = {per_address}

[rest]
listen = "{rest}"
# The devnet overview on any node reads every node.
cors_origins = [{origins}]

[local]
socket = {local_socket:?}

[enclave]
unix_socket = {socket:?}

[leadership]
forge_without_peers = {forge_alone}

[devnet]
file = {devnet_file:?}
"#,
        name = node.name,
        local_socket = node.socket.display().to_string(),
        dir = devnet.dir.display(),
        shelley = devnet.genesis.shelley.display().to_string(),
        alonzo = devnet.genesis.alonzo.display().to_string(),
        conway = devnet
            .genesis
            .conway
            .as_ref()
            .map(|c| format!("conway = {:?}\n", c.display().to_string()))
            .unwrap_or_default(),
        n2n = node.node_to_node,
        socket = node.enclave_socket.display().to_string(),
        devnet_file = Devnet::path(&devnet.dir).display().to_string(),
    );
    write(&node.node.config, &text)
}

/// Makes a whole devnet in `dir` (which must not hold one); nothing is started.
/// Slots of `n`·k/f, rounded up.
fn k_over_f(shape: &DevnetShape, n: u64) -> u64 {
    (u128::from(n) * u128::from(shape.k) * u128::from(shape.f.den)).div_ceil(u128::from(shape.f.num.max(1))) as u64
}

/// Refuses a Praos shape whose randomness stabilisation window (Conway's 4k/f) does not fit in
/// the epoch, and says what happens when the epoch is shorter than Cardano's 10k/f.
fn check_praos_shape(shape: &DevnetShape) -> anyhow::Result<()> {
    let window = k_over_f(shape, 4);
    let cardano = k_over_f(shape, 10);
    let (k, f, epoch) = (shape.k, format!("{}/{}", shape.f.num, shape.f.den), shape.epoch_length);
    if window >= epoch {
        bail!(
            "--epoch-length {epoch}: with k = {k} and f = {f} the randomness stabilisation window 4k/f is \
             {window} slots, not shorter than the epoch, so each epoch's nonce would be fixed by blocks \
             that can still be rolled back when the epoch starts, and pools' schedules would be \
             superseded; use --epoch-length {cardano} or more (10k/f, as Cardano's networks do), or \
             a larger --f or a smaller --k"
        );
    }
    if epoch < cardano {
        eprintln!(
            "note: {epoch}-slot epochs are shorter than 10k/f = {cardano} slots (Cardano's shape): \
             the next epoch's nonce is fixed {} slots before the epoch ends, so a fork deeper than \
             that can still change it, and the schedules computed from it are then superseded",
            epoch - window
        );
    }
    Ok(())
}

pub fn create(dir: &Path, shape: &DevnetShape) -> anyhow::Result<Devnet> {
    if Devnet::path(dir).exists() {
        bail!(
            "{} already holds a devnet; `slotforge devnet up --dir {}` restarts it, or remove the folder for a new one",
            dir.display(),
            dir.display()
        );
    }
    if shape.pools == 0 || shape.pools > 100 {
        bail!("--pools {}: a devnet has 1 to 100 pools", shape.pools);
    }
    if !shape.bft {
        check_praos_shape(shape)?;
    }
    create_private_dir(dir)?;
    let dir = std::path::absolute(dir)?;
    let faucet_dir = dir.join("faucet");
    create_private_dir(&faucet_dir)?;
    let (faucet, _) = funded_keys(&faucet_dir, false)?;
    let mut nodes = Vec::new();
    let mut ports = PortPicker::new([])?;
    for n in 1..=shape.pools {
        nodes.push(new_node(&dir, n, shape.bft, &mut ports)?);
    }
    let now_s = chrono::Utc::now().timestamp() as u64;
    let system_start = chrono::DateTime::from_timestamp((now_s + shape.start_in_s) as i64, 0).expect("a valid time");
    let mut funds: Vec<DevnetFunds> = nodes
        .iter()
        .map(|n| DevnetFunds {
            address: crate::bech32_ids::parse_address(&n.entry.owner.address).expect("our own address"),
            lovelace: OWNER_FUNDS,
        })
        .collect();
    funds.push(DevnetFunds {
        address: crate::bech32_ids::parse_address(&faucet.address).expect("our own address"),
        lovelace: FAUCET_FUNDS,
    });
    let spec = DevnetSpec {
        system_start,
        network_magic: NETWORK_MAGIC,
        slot_length: Ratio::new(shape.slot_length_ms, 1000),
        epoch_length: shape.epoch_length,
        security_param: shape.k,
        active_slots_coeff: shape.f,
        slots_per_kes_period: SLOTS_PER_KES_PERIOD,
        max_kes_evolutions: MAX_KES_EVOLUTIONS,
        pools: nodes.iter().filter_map(|n| n.pool.clone()).collect(),
        funds,
        // Genesis keys 1, 2, … (so genDelegs' order is the nodes' order); VRF hashes unused by BFT.
        gen_delegs: nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.bft_delegate.map(|d| ([i as u8 + 1; 28], d, [i as u8 + 1; 32])))
            .collect(),
    };
    let genesis_dir = dir.join("genesis");
    create_private_dir(&genesis_dir)?;
    let committee = committee_keys(&dir.join("committee"), COMMITTEE_MEMBERS)?;
    slotforge_chain::genesis_files::write(
        &spec.shelley_genesis(),
        &alonzo_genesis(),
        &conway_genesis(&committee),
        &genesis_dir,
    )?;
    let devnet = Devnet {
        dir: dir.clone(),
        consensus: if shape.bft { "bft" } else { "praos" }.into(),
        network_magic: NETWORK_MAGIC,
        system_start: system_start.to_rfc3339(),
        slot_length_ms: shape.slot_length_ms,
        epoch_length: shape.epoch_length,
        security_param: shape.k,
        active_slots_coeff: format!("{}/{}", shape.f.num, shape.f.den),
        genesis: GenesisFiles {
            shelley: genesis_dir.join("shelley-genesis.json"),
            alonzo: genesis_dir.join("alonzo-genesis.json"),
            conway: Some(genesis_dir.join("conway-genesis.json")),
        },
        faucet,
        nodes: nodes.into_iter().map(|n| n.entry).collect(),
    };
    for node in &devnet.nodes {
        write_node_config(&devnet, node, devnet.nodes.len() == 1)?;
    }
    devnet.save()?;
    Ok(devnet)
}
