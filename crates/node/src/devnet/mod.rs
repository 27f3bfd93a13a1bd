//! `slotforge devnet`: a network of block producers on this machine with one command — one
//! `slotforge-enclave` and one `slotforge node` per pool, real processes on loopback — and the
//! commands to watch it, fund addresses, add a pool, and break things on purpose.
//!
//! [`cli`] is the command line; [`generate`] makes a devnet and [`layout`] is its
//! `devnet.json`; [`lifecycle`] starts and stops its [`processes`]; [`live_view`] shows it
//! running; [`wallet`] builds its transactions, which [`add_pool`] uses to register a new
//! pool and [`governance`] for DReps, proposals, votes and withdrawals; [`report`] lists what
//! became of every leader slot.

mod add_pool;
pub mod cli;
pub mod generate;
mod governance;
pub mod layout;
mod lifecycle;
mod live_view;
pub mod processes;
mod report;
pub mod wallet;

use anyhow::Context;

pub use cli::DevnetCommand;
use layout::Devnet;

/// Runs one `slotforge devnet` subcommand on a small runtime of its own.
pub fn run(cmd: DevnetCommand) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        match cmd {
            DevnetCommand::Up(a) => lifecycle::up(a).await,
            DevnetCommand::Status(d) => live_view::status(&d.dir).await,
            DevnetCommand::Down(d) => lifecycle::down(&d.dir),
            DevnetCommand::Faucet { dir, address, lovelace } => {
                let devnet = Devnet::load(&dir.dir)?;
                let id = wallet::faucet_payment(&devnet, &address, lovelace).await?;
                println!("{id}");
                Ok(())
            }
            DevnetCommand::AddPool { dir, stake } => add_pool::add_pool(&dir.dir, stake).await,
            DevnetCommand::Kill { dir, name } => lifecycle::kill(&dir.dir, &name),
            DevnetCommand::Start { dir, name } => lifecycle::start_one(&dir.dir, &name).await,
            DevnetCommand::Report(d) => report::report(&d.dir).await,
            DevnetCommand::Gov(g) => governance::run(g).await,
            DevnetCommand::Withdraw { dir, pool } => governance::withdraw(&dir.dir, &pool).await,
        }
    })
}
