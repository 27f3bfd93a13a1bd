//! The command line: every subcommand and its arguments, as clap parses them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "slotforge-enclave",
    version,
    about = "Holds leaders' keys: computes schedules and signs blocks behind a durable double-sign guard"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct ConfigArg {
    /// The enclave's configuration file (made by `slotforge-enclave init`).
    #[arg(long, short, value_name = "FILE")]
    pub config: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
pub enum KeysCommand {
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
pub enum HistoryCommand {
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
pub enum TlsCommand {
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
