//! `slotforge-enclave`: the process that holds leaders' keys, computes their schedules and
//! signs their blocks behind a durable sign guard.

mod serve;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use slotforge_enclave::config::GuardBackend;
use slotforge_enclave::config::{self, Config};
use slotforge_enclave::leader_store::{LeaderKind, LeaderStore, PraosImport};
use slotforge_enclave::sign_guard::Interchange;
use slotforge_enclave::signer::{Identity, Signer};

#[derive(Debug, Parser)]
#[command(
    name = "slotforge-enclave",
    version,
    about = "Holds leaders' keys: computes schedules and signs blocks behind a durable double-sign guard"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct ConfigArg {
    /// The enclave's configuration file (made by `slotforge-enclave init`).
    #[arg(long, short, value_name = "FILE")]
    config: PathBuf,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a commented configuration file to start from.
    Init {
        /// Where to write it.
        #[arg(long, short, value_name = "FILE", default_value = "slotforge-enclave.toml")]
        config: PathBuf,
        /// The data directory to name in it (relative to the file).
        #[arg(long, value_name = "DIR", default_value = "enclave-data")]
        data_dir: String,
    },
    /// Serve the gRPC API until SIGTERM or SIGINT; SIGHUP reloads the leaders.
    Serve {
        #[command(flatten)]
        config: ConfigArg,
        /// Start a new, empty signing history when there is no guard database. Only for an
        /// enclave that has never signed: an empty history cannot stop a double sign.
        #[arg(long)]
        new_history: bool,
    },
    /// Manage the leaders this enclave holds.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Move the signing history between enclaves (EIP-3076-style JSON).
    #[command(subcommand)]
    History(HistoryCommand),
    /// Show the leaders, their KES state and signing history, and whether an enclave is serving.
    Status {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Make certificates for mutual TLS.
    #[command(subcommand)]
    Tls(TlsCommand),
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Import a leader's cardano-cli key files; a running enclave picks it up at once.
    Import {
        #[command(flatten)]
        config: ConfigArg,
        /// The leader's name in this enclave (letters, digits, '-', '_', '.').
        #[arg(long)]
        name: String,
        /// The pool's VRF signing key (vrf.skey).
        #[arg(long, value_name = "FILE", requires_all = ["kes_skey", "opcert"], conflicts_with = "bft_skey")]
        vrf_skey: Option<PathBuf>,
        /// The pool's KES signing key (kes.skey).
        #[arg(long, value_name = "FILE")]
        kes_skey: Option<PathBuf>,
        /// The pool's operational certificate (node.cert).
        #[arg(long, value_name = "FILE")]
        opcert: Option<PathBuf>,
        /// The pool's cold verification key (cold.vkey), checked against the opcert.
        #[arg(long, value_name = "FILE")]
        cold_vkey: Option<PathBuf>,
        /// A BFT leader's Ed25519 signing key (genesis delegate key envelope).
        #[arg(long, value_name = "FILE")]
        bft_skey: Option<PathBuf>,
        /// Replace the keys of an existing leader of that name.
        #[arg(long)]
        replace: bool,
    },
    /// Remove a leader (its secret files are overwritten); its signing history is kept.
    Remove {
        #[command(flatten)]
        config: ConfigArg,
        #[arg(long)]
        name: String,
    },
    /// List the imported leaders.
    List {
        #[command(flatten)]
        config: ConfigArg,
    },
}

#[derive(Debug, Subcommand)]
enum HistoryCommand {
    /// Write the whole signing history as JSON.
    Export {
        #[command(flatten)]
        config: ConfigArg,
        /// The output file ("-" for standard output).
        #[arg(long, value_name = "FILE", default_value = "-")]
        out: PathBuf,
    },
    /// Merge a history export into this enclave's guard; a conflict aborts the whole import.
    Import {
        #[command(flatten)]
        config: ConfigArg,
        /// The JSON file written by `history export`.
        #[arg(long = "in", value_name = "FILE")]
        input: PathBuf,
        /// Create the guard database if this enclave has none yet.
        #[arg(long)]
        new_history: bool,
    },
    /// Move a SQLite guard's history into the configured PostgreSQL guard (all or nothing);
    /// the SQLite file is then renamed so that no enclave signs from it again.
    Move {
        #[command(flatten)]
        config: ConfigArg,
        /// The SQLite guard database to move (an enclave's data_dir/guard.db).
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Create the PostgreSQL schema if the database has none yet.
        #[arg(long)]
        new_history: bool,
    },
}

#[derive(Debug, Subcommand)]
enum TlsCommand {
    /// Make a CA, a server and a client certificate for a quick start.
    Init {
        /// The directory to write ca.pem, server.pem/.key and client.pem/.key into.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Names the server certificate is valid for (DNS names or IP addresses).
        #[arg(long = "server-name", value_name = "NAME", default_values = ["localhost", "127.0.0.1", "::1"])]
        server_names: Vec<String>,
        /// The client certificate's common name (shown in the audit log).
        #[arg(long, value_name = "NAME", default_value = "slotforge-node")]
        client_name: String,
    },
    /// Issue another client certificate from the CA `tls init` made (one per node, so
    /// `[[client]]` rules can tell them apart).
    Client {
        /// The directory `tls init` wrote (holding ca.pem and ca.key); NAME.pem and NAME.key
        /// are written there.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// The certificate's common name: the client is `CN=NAME` in rules and the audit log.
        #[arg(long, value_name = "NAME")]
        name: String,
    },
}

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

fn load(config: &ConfigArg) -> Result<Config> {
    Ok(Config::load(&config.config)?)
}

fn store(config: &Config) -> LeaderStore {
    LeaderStore::new(
        config.leaders_dir(),
        config.slots_per_kes_period,
        config.max_kes_evolutions,
    )
}

/// Asks a running enclave to reload its leaders.
fn signal_reload(config: &Config) {
    match serve::running_pid(config) {
        // SAFETY: sending a signal to a process id read from our own pid file.
        Some(pid) if unsafe { libc::kill(pid, libc::SIGHUP) } == 0 => {
            eprintln!("asked the running enclave (pid {pid}) to reload its leaders")
        }
        Some(pid) => eprintln!("could not signal the running enclave (pid {pid}); send it SIGHUP to reload"),
        None => eprintln!("no enclave is serving this data directory; it will load the leaders when started"),
    }
}

fn keys(cmd: KeysCommand) -> Result<()> {
    match cmd {
        KeysCommand::Import {
            config,
            name,
            vrf_skey,
            kes_skey,
            opcert,
            cold_vkey,
            bft_skey,
            replace,
        } => {
            let config = load(&config)?;
            serve::ensure_data_dir(&config)?;
            let store = store(&config);
            match (vrf_skey, kes_skey, opcert, bft_skey) {
                (Some(vrf), Some(kes), Some(cert), None) => store.import_praos(
                    &name,
                    &PraosImport {
                        vrf_skey: &vrf,
                        kes_skey: &kes,
                        opcert: &cert,
                        cold_vkey: cold_vkey.as_deref(),
                    },
                    replace,
                )?,
                (None, None, None, Some(bft)) => store.import_bft(&name, &bft, replace)?,
                _ => bail!("give either --vrf-skey, --kes-skey and --opcert (a pool) or --bft-skey (a BFT leader)"),
            }
            println!("imported leader {name:?} into {}", store.dir().display());
            signal_reload(&config);
        }
        KeysCommand::Remove { config, name } => {
            let config = load(&config)?;
            store(&config).remove(&name)?;
            println!("removed leader {name:?}; its signing history stays in the guard");
            signal_reload(&config);
        }
        KeysCommand::List { config } => {
            let config = load(&config)?;
            for (name, manifest) in store(&config).list()? {
                let kind = match manifest.kind {
                    LeaderKind::Praos => "praos",
                    LeaderKind::Bft => "bft",
                };
                println!("{name}\t{kind}");
            }
        }
    }
    Ok(())
}

fn history(cmd: HistoryCommand) -> Result<()> {
    match cmd {
        HistoryCommand::Export { config, out } => {
            let config = load(&config)?;
            let guard = serve::open_guard(&config, false)?;
            let json = serde_json::to_string_pretty(&guard.export()?)? + "\n";
            if out == Path::new("-") {
                print!("{json}");
            } else {
                std::fs::write(&out, json).with_context(|| format!("writing {}", out.display()))?;
                eprintln!("wrote {}", out.display());
            }
        }
        HistoryCommand::Import {
            config,
            input,
            new_history,
        } => {
            let config = load(&config)?;
            serve::ensure_data_dir(&config)?;
            if let Some(pid) = serve::running_pid(&config) {
                bail!(
                    "an enclave (pid {pid}) is serving {}; stop it first, then import (it reads the history only at start)",
                    config.data_dir.display()
                );
            }
            let text = std::fs::read_to_string(&input).with_context(|| format!("reading {}", input.display()))?;
            let interchange: Interchange = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a slotforge history export", input.display()))?;
            let now = serve::slot_clock(&config)?.current_slot();
            slotforge_enclave::history_check::verify_records(&interchange, config.slots_per_kes_period, now)
                .with_context(|| format!("{} holds a record that is not a signed header", input.display()))?;
            let guard = serve::open_guard(&config, new_history)?;
            let summary = guard
                .import(&interchange)
                .with_context(|| format!("importing {} (nothing was imported)", input.display()))?;
            println!(
                "imported {} signed slots ({} already known)",
                summary.added, summary.already_known
            );
        }
        HistoryCommand::Move {
            config,
            from,
            new_history,
        } => {
            let config = load(&config)?;
            if config.guard == GuardBackend::Sqlite {
                bail!(
                    "{} names a SQLite guard; `history move` moves a SQLite history into a [guard] backend = \"postgres\"",
                    config.path.display()
                );
            }
            let pid_file = from.with_file_name("enclave.pid");
            if let Some(pid) = serve::pid_holding(&pid_file) {
                bail!(
                    "an enclave (pid {pid}) is serving from {}; stop it first so nothing is signed there during or after the move",
                    from.display()
                );
            }
            let source = serve::open_sqlite_guard(&from, false)?;
            let history = source.export()?;
            let target = serve::open_guard(&config, new_history)?;
            let summary = target
                .import(&history)
                .with_context(|| format!("moving {} (nothing was moved)", from.display()))?;
            drop(source);
            let mut moved = from.clone().into_os_string();
            moved.push(".moved-to-postgres");
            std::fs::rename(&from, &moved).with_context(|| {
                format!(
                    "the history is in PostgreSQL, but {} could not be renamed; remove it so no enclave signs from it",
                    from.display()
                )
            })?;
            println!(
                "moved {} signed slots ({} already known) and {} KES periods into {}; {} is now {}",
                summary.added,
                summary.already_known,
                history.kes_periods.len(),
                target.health().location,
                from.display(),
                std::path::Path::new(&moved).display()
            );
        }
    }
    Ok(())
}

fn status(config: &ConfigArg) -> Result<()> {
    let config = load(config)?;
    println!("config:    {}", config.path.display());
    println!("data dir:  {}", config.data_dir.display());
    match serve::running_pid(&config) {
        Some(pid) => println!("serving:   yes (pid {pid})"),
        None => println!("serving:   no"),
    }
    let guard = match serve::open_guard(&config, false) {
        Ok(g) => g,
        Err(e) => {
            println!("guard:     {e:#}");
            return Ok(());
        }
    };
    let health = guard.health();
    let history = guard.export()?;
    println!(
        "guard:     {} {} ({} leaders with history)",
        health.backend,
        health.location,
        history.data.len()
    );
    let signer = Signer::new(guard);
    let store = store(&config);
    for (name, _) in store.list()? {
        match store.load(&name) {
            Ok(keys) => signer.add_leader(&name, keys),
            Err(e) => {
                println!("leader {name}: cannot be loaded: {e}");
                continue;
            }
        }
        let guard_id = signer.guard_id(&name)?;
        let signed = history
            .data
            .iter()
            .find(|h| h.leader == guard_id)
            .map_or(0, |h| h.signed_slots.len());
        let highest = signer.guard().highest_slot(&guard_id)?;
        match signer.identity(&name)? {
            Identity::Praos(p) => println!(
                "leader {name}: praos pool {} | opcert #{} from KES period {} | key at period {} (+{}), {} periods left | {} slots signed, highest {}",
                hex::encode(p.pool_id),
                p.opcert.sequence_number,
                p.opcert.kes_period,
                p.opcert.kes_period + u64::from(p.kes_period),
                p.kes_period,
                p.periods_left,
                signed,
                highest.map_or("none".into(), |h| h.to_string()),
            ),
            Identity::Bft { vkey } => println!(
                "leader {name}: bft key {} | {} slots signed, highest {}",
                hex::encode(vkey),
                signed,
                highest.map_or("none".into(), |h| h.to_string()),
            ),
        }
    }
    Ok(())
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
        Command::Keys(cmd) => keys(cmd)?,
        Command::History(cmd) => history(cmd)?,
        Command::Status { config } => status(&config)?,
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
