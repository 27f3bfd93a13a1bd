//! `slotforge-enclave keys`: import, remove and list the leaders in the data directory, and
//! ask a running enclave to reload them.

use anyhow::{bail, Result};
use slotforge_enclave::config::Config;
use slotforge_enclave::leader_store::{LeaderKind, PraosImport};

use crate::cli::KeysCommand;
use crate::data_dir;
use crate::{load, store};

/// Asks a running enclave to reload its leaders.
fn signal_reload(config: &Config) {
    match data_dir::running_pid(config) {
        // SAFETY: sending a signal to a process id read from our own pid file.
        Some(pid) if unsafe { libc::kill(pid, libc::SIGHUP) } == 0 => {
            eprintln!("asked the running enclave (pid {pid}) to reload its leaders")
        }
        Some(pid) => eprintln!("could not signal the running enclave (pid {pid}); send it SIGHUP to reload"),
        None => eprintln!("no enclave is serving this data directory; it will load the leaders when started"),
    }
}

/// Runs a `keys` subcommand.
pub fn run(cmd: KeysCommand) -> Result<()> {
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
            data_dir::ensure_data_dir(&config)?;
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
