//! `slotforge`: block production for Ouroboros chains.
#![warn(missing_docs)]

mod bech32_ids;
mod devnet;
mod dispatch;
mod epoch_archive;
mod header_cmd;
mod http_client;
mod kes_period_info;
mod keys_cmd;
mod leaderlog;
mod local_client;
mod node_cmd;
mod node_config;
mod private_dir;
mod rest;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "slotforge",
    version,
    about = "Block production for Ouroboros chains (Praos as Cardano runs it, and BFT)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compute a pool's leader schedule for one epoch (cncli-compatible JSON).
    Leaderlog(leaderlog::LeaderlogArgs),
    /// Decode and check Cardano block headers.
    #[command(subcommand)]
    Header(header_cmd::HeaderCommand),
    /// Run a node: chain, network, REST and dashboard, and leadership with an enclave.
    #[command(subcommand)]
    Node(node_cmd::NodeCommand),
    /// Check an operational certificate against a node: its counter and KES period (the
    /// checks of cardano-cli's `query kes-period-info`).
    KesPeriodInfo(kes_period_info::KesPeriodInfoArgs),
    /// Make cardano-cli-compatible key files and operational certificates.
    #[command(subcommand)]
    Keys(keys_cmd::KeysCommand),
    /// A network of block producers on this machine (real processes, loopback).
    #[command(subcommand)]
    Devnet(devnet::DevnetCommand),
}

/// Runs a command that reports errors as `error: …` with exit code 1.
fn plain(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SLOTFORGE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    // A node's log is read later: it carries times; a command's messages do not need them.
    if std::env::args().nth(1).as_deref() == Some("node") {
        builder.init();
    } else {
        builder.without_time().init();
    }
}

fn print_json(value: &impl serde::Serialize) {
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut out, value);
    let _ = writeln!(out);
}

fn error_json(message: &str) -> serde_json::Value {
    serde_json::json!({ "status": "error", "errorMessage": message })
}

fn main() -> ExitCode {
    init_logging();
    dispatch::maybe_reexec();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                e.exit();
            }
            // leaderlog speaks JSON unless asked for a table, even about its usage.
            let args: Vec<String> = std::env::args().collect();
            let wants_table = args.windows(2).any(|w| w[0] == "--format" && w[1] == "table")
                || args.iter().any(|a| a == "--format=table");
            if args.iter().any(|a| a == "leaderlog") && !wants_table {
                print_json(&error_json(&e.kind().to_string()));
            }
            let _ = e.print();
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::Node(cmd) => plain(node_cmd::run(cmd)),
        Command::Keys(cmd) => plain(keys_cmd::run(cmd)),
        Command::Devnet(cmd) => plain(devnet::run(cmd)),
        Command::Header(cmd) => {
            let result = match &cmd {
                header_cmd::HeaderCommand::Inspect(a) => header_cmd::inspect(a),
                header_cmd::HeaderCommand::Verify(a) => header_cmd::verify(a),
            };
            match result {
                Ok(value) => {
                    print_json(&value);
                    if value["valid"] == false {
                        ExitCode::from(1)
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Leaderlog(args) => match leaderlog::run(&args) {
            Ok(log) => {
                match args.format {
                    leaderlog::OutputFormat::Json => print_json(&log),
                    leaderlog::OutputFormat::Table => print!("{}", leaderlog::render_table(&log)),
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                let message = format!("{e:#}");
                if args.format == leaderlog::OutputFormat::Json {
                    print_json(&error_json(&message));
                }
                eprintln!("error: {message}");
                ExitCode::from(1)
            }
        },
        Command::KesPeriodInfo(args) => match kes_period_info::run(&args) {
            // The verdicts on stderr, the figures as JSON on stdout (as cardano-cli prints them);
            // a failed check exits 1.
            Ok(checked) => {
                for line in kes_period_info::verdicts(&checked) {
                    eprintln!("{line}");
                }
                print_json(&checked.info);
                if checked.counter_ok && checked.period_ok {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(1)
            }
        },
    }
}
