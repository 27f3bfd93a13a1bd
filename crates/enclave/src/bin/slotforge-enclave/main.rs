//! `slotforge-enclave`: the process that holds leaders' keys, computes their schedules and
//! signs their blocks behind a durable sign guard.
//!
//! - `cli`: the command line;
//! - `serve`: the serving process; `keys_cmd`, `history_cmd`, `status_cmd`: the other commands;
//! - `data_dir`: the data directory, its lock and pid file; `guard_open`: opening the
//!   configured sign guard.
#![warn(missing_docs)]

mod cli;
mod data_dir;
mod guard_open;
mod history_cmd;
mod keys_cmd;
mod serve;
mod status_cmd;

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use slotforge_enclave::config::{self, Config};
use slotforge_enclave::leader_store::LeaderStore;

use crate::cli::{Cli, Command, ConfigArg, TlsCommand};

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SLOTFORGE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}

/// Reads the configuration file a command names.
fn load(config: &ConfigArg) -> Result<Config> {
    Ok(Config::load(&config.config)?)
}

/// The leaders' key files the configuration names.
fn store(config: &Config) -> LeaderStore {
    LeaderStore::new(
        config.leaders_dir(),
        config.slots_per_kes_period,
        config.max_kes_evolutions,
    )
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Init { config, data_dir } => {
            config::write_template(&config, &data_dir)?;
            println!(
                "wrote {}; edit it, then `slotforge-enclave keys import` and `serve`",
                config.display()
            );
        }
        Command::Serve { config, new_history } => {
            let config = load(&config)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            runtime.block_on(serve::run(config, new_history))?;
        }
        Command::Keys(cmd) => keys_cmd::run(cmd)?,
        Command::History(cmd) => history_cmd::run(cmd)?,
        Command::Status { config } => status_cmd::run(&config)?,
        Command::Tls(TlsCommand::Init {
            out,
            server_names,
            client_name,
        }) => {
            for path in slotforge_enclave::tls::init(&out, &server_names, &client_name)? {
                println!("wrote {}", path.display());
            }
        }
        Command::Tls(TlsCommand::Client { dir, name }) => {
            for path in slotforge_enclave::tls::issue_client(&dir, &name)? {
                println!("wrote {}", path.display());
            }
            println!("its subject in [[client]] rules and the audit log: CN={name}");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let usage = e.use_stderr();
            let _ = e.print();
            return ExitCode::from(if usage { 2 } else { 0 });
        }
    };
    init_logging();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
