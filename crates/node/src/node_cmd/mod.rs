//! `slotforge node run|init`: one process with the chain, the network, the REST API and the
//! dashboard, and — given an enclave — leadership, which starts once the node has caught up
//! with a peer. SIGTERM or SIGINT stops it in order (forging, network, chain). This file is
//! the command line; [`lifecycle`] runs the node, reading the files its configuration names
//! ([`config_files`]) and connecting to its enclaves ([`enclave_connection`]).

mod config_files;
mod enclave_connection;
mod lifecycle;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::node_config::{self, NodeConfig};

/// `slotforge node`'s subcommands.
#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Run a node until SIGTERM or SIGINT.
    Run(RunArgs),
    /// Write a commented configuration file to start from.
    Init {
        /// Where to write it.
        #[arg(long, short, value_name = "FILE", default_value = "node.toml")]
        config: PathBuf,
        /// The Shelley genesis file to name in it.
        #[arg(long, value_name = "FILE", default_value = "shelley-genesis.json")]
        shelley_genesis: String,
    },
}

/// `slotforge node run`'s arguments.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The node's configuration (made by `slotforge node init`).
    #[arg(long, short, value_name = "FILE")]
    pub config: PathBuf,
}

/// Runs one `slotforge node` subcommand.
pub fn run(cmd: NodeCommand) -> anyhow::Result<()> {
    match cmd {
        NodeCommand::Init {
            config,
            shelley_genesis,
        } => {
            node_config::write_template(&config, &shelley_genesis)?;
            println!(
                "wrote {}; edit it, then: slotforge node run --config {}",
                config.display(),
                config.display()
            );
            Ok(())
        }
        NodeCommand::Run(args) => {
            let cfg = NodeConfig::load(&args.config)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            runtime.block_on(lifecycle::run_node(cfg))
        }
    }
}
