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
