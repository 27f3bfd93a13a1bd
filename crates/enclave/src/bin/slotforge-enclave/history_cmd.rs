//! `slotforge-enclave history`: export and import the signing history (EIP-3076-style JSON),
//! and move a SQLite guard's history into PostgreSQL.

use std::path::Path;

use anyhow::{bail, Context, Result};
use slotforge_enclave::config::GuardBackend;
use slotforge_enclave::sign_guard::Interchange;

use crate::cli::HistoryCommand;
use crate::load;
use crate::{data_dir, guard_open, serve};

/// Runs a `history` subcommand.
pub fn run(cmd: HistoryCommand) -> Result<()> {
    match cmd {
        HistoryCommand::Export { config, out } => {
            let config = load(&config)?;
            let guard = guard_open::open_guard(&config, false)?;
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
            data_dir::ensure_data_dir(&config)?;
            if let Some(pid) = data_dir::running_pid(&config) {
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
            let guard = guard_open::open_guard(&config, new_history)?;
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
            if let Some(pid) = data_dir::pid_holding(&pid_file) {
                bail!(
                    "an enclave (pid {pid}) is serving from {}; stop it first so nothing is signed there during or after the move",
                    from.display()
                );
            }
            let source = guard_open::open_sqlite_guard(&from, false)?;
            let history = source.export()?;
            let target = guard_open::open_guard(&config, new_history)?;
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
