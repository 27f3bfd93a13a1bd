//! `slotforge devnet`'s command line: the subcommands, their arguments, and the parsing of a
//! devnet's shape (slot length, active slot coefficient) exactly, as fractions.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use slotforge_praos::ratio::Ratio;

use super::generate;

/// `slotforge devnet`'s subcommands.
#[derive(Debug, Subcommand)]
pub enum DevnetCommand {
    /// Create (or restart) a devnet and run it; Ctrl-C stops it.
    Up(UpArgs),
    /// Each process and node: running or not, tip, peers.
    Status(DirArg),
    /// Stop every process of the devnet (its state stays; `up` resumes it).
    Down(DirArg),
    /// Send lovelace from the devnet's faucet to an address.
    Faucet {
        #[command(flatten)]
        dir: DirArg,
        /// The address (bech32 addr_test… or hex).
        address: String,
        lovelace: u64,
    },
    /// Register a new pool with a real transaction (its owner's stake, the certificates and the
    /// delegation), then start its enclave and node.
    AddPool {
        #[command(flatten)]
        dir: DirArg,
        /// The lovelace the new pool's owner receives and delegates.
        #[arg(long, default_value_t = generate::OWNER_FUNDS)]
        stake: u64,
    },
    /// SIGKILL a process: a node (pool-N) or an enclave (enclave-N).
    Kill {
        #[command(flatten)]
        dir: DirArg,
        name: String,
    },
    /// Start a stopped process again: a node (pool-N) or an enclave (enclave-N).
    Start {
        #[command(flatten)]
        dir: DirArg,
        name: String,
    },
    /// What became of every leader slot so far, per node.
    Report(DirArg),
    /// Conway governance: DReps, vote delegation, the committee's hot keys, proposals and
    /// votes by DReps, pools and committee members, each a transaction the faucet pays for.
    #[command(subcommand)]
    Gov(GovCommand),
    /// Withdraw a pool owner's rewards to the owner's address (Conway requires the owner's
    /// vote to be delegated first: `devnet gov delegate-vote`).
    Withdraw {
        #[command(flatten)]
        dir: DirArg,
        /// The pool whose owner withdraws (pool-N).
        pool: String,
    },
}

/// `slotforge devnet gov`'s subcommands.
#[derive(Debug, Subcommand)]
pub enum GovCommand {
    /// Governance on the tip: protocol version, treasury, committee, DReps, proposals and votes.
    Status(DirArg),
    /// Make a DRep: a new key in `<dir>/dreps/<NAME>/`, registered with its deposit.
    RegisterDrep {
        #[command(flatten)]
        dir: DirArg,
        /// The DRep's name in this devnet (letters, digits, '-', '_').
        name: String,
    },
    /// Delegate a pool owner's vote: to a DRep of this devnet, `abstain` or `no-confidence`.
    DelegateVote {
        #[command(flatten)]
        dir: DirArg,
        /// The pool whose owner delegates (pool-N).
        pool: String,
        /// A DRep's name, `abstain` or `no-confidence`.
        drep: String,
    },
    /// Authorise every committee member's hot key (members vote with their hot keys).
    AuthorizeCommittee(DirArg),
    /// Propose a governance action (the deposit is the `govActionDeposit` parameter); prints
    /// its id.
    Propose {
        #[command(flatten)]
        dir: DirArg,
        /// The pool whose owner's reward account gets the deposit back.
        #[arg(long, default_value = "pool-1")]
        return_to: String,
        #[command(subcommand)]
        action: ProposeAction,
    },
    /// Vote on an action as DReps, pools or committee members of this devnet.
    Vote {
        #[command(flatten)]
        dir: DirArg,
        /// The action's id (tx-id#index, as `propose` printed it).
        action: String,
        #[arg(value_enum)]
        vote: VoteArg,
        /// Who votes (repeatable): `dreps`, `pools`, `committee` (every one of the group), or
        /// one voter: a DRep's name, pool-N or member-N.
        #[arg(long = "by", required = true)]
        by: Vec<String>,
    },
}

/// The actions `devnet gov propose` makes.
#[derive(Debug, Subcommand)]
pub enum ProposeAction {
    /// Change protocol parameters (DReps and the committee vote; pools too on these, which are
    /// all of the security group).
    ParameterChange {
        /// `maxTxSize`, in bytes.
        #[arg(long)]
        max_tx_size: Option<u64>,
        /// `maxBlockBodySize`, in bytes.
        #[arg(long)]
        max_block_body_size: Option<u64>,
        /// `txFeePerByte`.
        #[arg(long)]
        min_fee_a: Option<u64>,
        /// `txFeeFixed`.
        #[arg(long)]
        min_fee_b: Option<u64>,
    },
    /// Pay lovelace from the treasury (DReps and the committee vote).
    TreasuryWithdrawal {
        /// Who is paid: pool-N (its owner's reward account) or a stake address.
        #[arg(long)]
        to: String,
        #[arg(long)]
        lovelace: u64,
    },
    /// Move to a new protocol version, MAJOR.MINOR (DReps, pools and the committee vote).
    HardFork {
        #[arg(long, value_parser = parse_version)]
        version: (u64, u64),
    },
    /// An information action (voted on, never enacted).
    Info,
}

/// A vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VoteArg {
    Yes,
    No,
    Abstain,
}

/// "10.1" as (10, 1).
fn parse_version(s: &str) -> Result<(u64, u64), String> {
    let (major, minor) = s.split_once('.').unwrap_or((s, "0"));
    match (major.parse(), minor.parse()) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        _ => Err(format!("{s:?}: a protocol version is MAJOR.MINOR, for example 10.1")),
    }
}

/// The devnet a command acts on.
#[derive(Debug, Args)]
pub struct DirArg {
    /// The devnet's folder.
    #[arg(long, default_value = ".devnet")]
    pub dir: PathBuf,
}

/// The consensus a new devnet runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConsensusArg {
    Praos,
    Bft,
}

/// `slotforge devnet up`'s arguments: the folder and, for a new devnet, its shape.
#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// Pools (block producers), each with its own enclave.
    #[arg(long, default_value_t = 3)]
    pub pools: usize,
    /// Seconds per slot.
    #[arg(long, default_value = "0.2", value_parser = parse_slot_length)]
    pub slot_length: u64,
    /// Slots per epoch; a Praos devnet needs more than 4k/f (the defaults give 10k/f, the
    /// shape of Cardano's networks).
    #[arg(long, default_value_t = 200)]
    pub epoch_length: u64,
    /// The security parameter k (blocks).
    #[arg(long, default_value_t = 5)]
    pub k: u64,
    /// The active slot coefficient, as a fraction (1/4) or a decimal (0.25).
    #[arg(long, default_value = "1/4", value_parser = parse_active_slot_coeff)]
    pub f: Ratio,
    #[arg(long, value_enum, default_value_t = ConsensusArg::Praos)]
    pub consensus: ConsensusArg,
    /// Start everything and return (stop with `devnet down`).
    #[arg(long)]
    pub detach: bool,
}

/// Seconds (as "0.2") to whole milliseconds, exactly.
fn parse_slot_length(s: &str) -> Result<u64, String> {
    let secs = Ratio::parse(s).map_err(|e| format!("{e} (a number of seconds)"))?;
    let ms = secs.num as u128 * 1000;
    if !ms.is_multiple_of(secs.den as u128) || !(20..=60_000).contains(&(ms / secs.den as u128)) {
        return Err(format!("{s}: a slot lasts 0.02 to 60 s, in whole milliseconds"));
    }
    Ok((ms / secs.den as u128) as u64)
}

/// The active slot coefficient, exactly: in (0, 1].
fn parse_active_slot_coeff(s: &str) -> Result<Ratio, String> {
    let f = Ratio::parse(s).map_err(|e| e.to_string())?;
    if f.num == 0 || f.num > f.den {
        return Err(format!("{s}: the active slot coefficient is in (0, 1]"));
    }
    Ok(f)
}
