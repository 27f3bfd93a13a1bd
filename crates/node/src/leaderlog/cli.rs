//! `slotforge leaderlog`'s command line: the pool's key and stake, the epoch's nonce, which
//! chain's time (a public network, a genesis file, or custom), and how to print the schedule.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use slotforge_praos::leader::VrfVariant;

use super::ledger_input::LedgerSet;

/// How the schedule is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Json,
    Table,
}

/// A public network whose era history and parameters are built in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Network {
    Mainnet,
    Preprod,
    Preview,
}

/// The leader-election variant, as the command line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VrfVariantArg {
    Praos,
    Tpraos,
    Cpraos,
}

impl From<VrfVariantArg> for VrfVariant {
    fn from(c: VrfVariantArg) -> Self {
        match c {
            VrfVariantArg::Praos => VrfVariant::Praos,
            VrfVariantArg::Tpraos => VrfVariant::TPraos,
            VrfVariantArg::Cpraos => VrfVariant::CPraos,
        }
    }
}

/// Computes the slots a pool leads in an epoch.
#[derive(Debug, Args)]
#[command(
    after_help = "Everything is read from a node with --socket (slotforge's or cardano-node's \
node-to-client socket) and --pool-id, for the --current or the --next epoch. Otherwise time \
is given by --network with --epoch, by --shelley-genesis with --epoch, or by the custom set \
--system-start, --slot-length, --epoch-length and --first-slot."
)]
pub struct LeaderlogArgs {
    /// A node's node-to-client socket (cardano-node's or slotforge's): the nonce, the stake,
    /// f and the epoch's time are read from it.
    #[arg(
        long,
        value_name = "PATH",
        requires = "pool_id",
        conflicts_with_all = ["pool_stake", "active_stake", "epoch_nonce", "stake_snapshot", "protocol_state", "network", "shelley_genesis", "system_start", "epoch"]
    )]
    pub socket: Option<PathBuf>,
    /// The network magic of the node at --socket (default: mainnet's, 764824073).
    #[arg(long, value_name = "MAGIC", requires = "socket")]
    pub testnet_magic: Option<u32>,
    /// The current epoch (with --socket; the default).
    #[arg(long, conflicts_with_all = ["next", "ledger_set"])]
    pub current: bool,
    /// The next epoch (with --socket), once its nonce is fixed: from the current epoch's
    /// stability window on.
    #[arg(long, conflicts_with = "ledger_set")]
    pub next: bool,
    /// The pool's VRF signing key (cardano-cli VrfSigningKey_PraosVRF).
    #[arg(long, value_name = "FILE")]
    pub vrf_skey: PathBuf,
    /// The pool's active stake in the epoch's stake snapshot, in lovelace.
    #[arg(
        long,
        value_name = "LOVELACE",
        requires = "active_stake",
        conflicts_with = "stake_snapshot"
    )]
    pub pool_stake: Option<u64>,
    /// The total active stake of the epoch, in lovelace.
    #[arg(long, value_name = "LOVELACE", requires = "pool_stake")]
    pub active_stake: Option<u64>,
    /// The epoch nonce: 64 hex digits (or "neutral").
    #[arg(long, value_name = "HEX", conflicts_with = "protocol_state")]
    pub epoch_nonce: Option<String>,
    /// `cardano-cli query stake-snapshot --stake-pool-id POOL` output (JSON): the stake figures
    /// of the snapshot --ledger-set names, for the pool --pool-id names.
    #[arg(long, value_name = "FILE", requires = "pool_id")]
    pub stake_snapshot: Option<PathBuf>,
    /// `cardano-cli query protocol-state` output (JSON): the nonce of the epoch --ledger-set
    /// names (and, without --epoch, that epoch, from its lastSlot).
    #[arg(long, value_name = "FILE")]
    pub protocol_state: Option<PathBuf>,
    /// Which epoch the cardano-cli files describe: the current one (the `set` snapshot, the
    /// epoch nonce) or the next (the `mark` snapshot, the candidate nonce ⭒ the last epoch
    /// block nonce; final once the current epoch's stability window has begun).
    #[arg(long, value_enum)]
    pub ledger_set: Option<LedgerSet>,
    /// A public network whose era history and parameters to use.
    #[arg(long, value_enum, conflicts_with_all = ["shelley_genesis", "system_start"])]
    pub network: Option<Network>,
    /// The epoch to schedule (required with --network and --shelley-genesis).
    #[arg(long)]
    pub epoch: Option<u64>,
    /// A Shelley genesis file (systemStart, slotLength, epochLength, activeSlotsCoeff).
    #[arg(long, value_name = "FILE", conflicts_with = "system_start")]
    pub shelley_genesis: Option<PathBuf>,
    /// Custom time: the UTC time of slot 0 (RFC 3339).
    #[arg(long, value_name = "TIME", requires_all = ["slot_length", "epoch_length", "first_slot"])]
    pub system_start: Option<String>,
    /// Custom time: seconds per slot.
    #[arg(long, value_name = "SECONDS")]
    pub slot_length: Option<f64>,
    /// Custom time: slots per epoch.
    #[arg(long, value_name = "SLOTS")]
    pub epoch_length: Option<u64>,
    /// Custom time: the epoch's first slot.
    #[arg(long, value_name = "SLOT")]
    pub first_slot: Option<u64>,
    /// The leader-election variant (default: the era of the epoch; praos for custom time).
    #[arg(long, value_enum)]
    pub consensus: Option<VrfVariantArg>,
    /// TPraos decentralisation parameter d (like 9/10 or 0.32); required for tpraos.
    #[arg(long, value_name = "RATIO")]
    pub d: Option<String>,
    /// Active slot coefficient f (default: the network's or the genesis file's, else 1/20).
    #[arg(long, value_name = "RATIO")]
    pub active_slot_coeff: Option<String>,
    /// Time zone of the printed slot times (IANA name, like Europe/Berlin).
    #[arg(long, default_value = "UTC")]
    pub tz: String,
    /// The pool id, bech32 (pool1…) or hex: picks the pool from --stake-snapshot, and is
    /// printed (as hex).
    #[arg(long)]
    pub pool_id: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub format: OutputFormat,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}
