//! `slotforge-enclave status`: the leaders, their KES state and signing history, and whether
//! an enclave is serving the data directory.

use anyhow::Result;
use slotforge_enclave::signer::{Identity, Signer};

use crate::cli::ConfigArg;
use crate::{data_dir, guard_open};
use crate::{load, store};

/// Prints the enclave's status: configuration, serving process, guard and each leader.
pub fn run(config: &ConfigArg) -> Result<()> {
    let config = load(config)?;
    println!("config:    {}", config.path.display());
    println!("data dir:  {}", config.data_dir.display());
    match data_dir::running_pid(&config) {
        Some(pid) => println!("serving:   yes (pid {pid})"),
        None => println!("serving:   no"),
    }
    let guard = match guard_open::open_guard(&config, false) {
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
