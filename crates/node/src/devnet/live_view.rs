//! The running devnet at a glance: one line per node (its processes up or down, its tip, its
//! leader slots this epoch), refreshed on a terminal until Ctrl-C (`devnet up`) or printed once
//! (`devnet status`).

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use super::layout::{Devnet, DevnetNode};
use super::processes;
use crate::http_client;

/// One line per node until Ctrl-C (or SIGTERM).
pub(super) async fn watch(dir: &Path) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
        return;
    };
    let tty = std::io::stderr().is_terminal();
    let bars = indicatif::MultiProgress::new();
    let mut lines: Vec<indicatif::ProgressBar> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_secs(if tty { 1 } else { 10 }));
    eprintln!("Ctrl-C stops the devnet");
    loop {
        tokio::select! {
            _ = int.recv() => break,
            _ = term.recv() => break,
            _ = tick.tick() => {}
        }
        let Ok(devnet) = Devnet::load(dir) else { continue };
        for (i, n) in devnet.nodes.iter().enumerate() {
            let line = summary_line(n).await;
            if tty {
                while lines.len() <= i {
                    lines.push(bars.add(indicatif::ProgressBar::new_spinner()));
                }
                lines[i].set_message(line);
                lines[i].tick();
            } else {
                eprintln!("{line}");
            }
        }
    }
    for l in lines {
        l.finish();
    }
    eprintln!("stopping the devnet");
}

/// `pool-1  up  tip #123 slot 456 epoch 3  peers 2  epoch 3: 5 adopted, 1 missed`.
async fn summary_line(n: &DevnetNode) -> String {
    let node_up = n.node.pid.is_some_and(processes::alive);
    let enclave_up = n.enclave.pid.is_some_and(processes::alive);
    let mut line = format!(
        "{:<8} node {:<4} enclave {:<4}",
        n.name,
        if node_up { "up" } else { "DOWN" },
        if enclave_up { "up" } else { "DOWN" }
    );
    if let Ok(tip) = http_client::get_ok(&format!("{}/api/v1/tip", n.rest)).await {
        line += &format!(
            " tip #{} slot {} epoch {}",
            tip["block_number"].as_u64().map_or("-".into(), |b| b.to_string()),
            tip["slot"].as_u64().map_or("-".into(), |b| b.to_string()),
            tip["epoch"]
        );
        let epoch = tip["epoch"].as_u64().unwrap_or(0);
        if let Ok(e) = http_client::get_ok(&format!("{}/api/v1/leadership/epochs", n.rest)).await {
            if let Some(s) = e["epochs"]
                .as_array()
                .and_then(|a| a.iter().find(|s| s["epoch"] == epoch))
            {
                line += &format!(
                    "  leader slots {} adopted {} orphaned {} missed {}",
                    s["assigned"], s["adopted"], s["orphaned"], s["missed"]
                );
            }
        }
    }
    line
}

pub(super) async fn status(dir: &Path) -> anyhow::Result<()> {
    let devnet = Devnet::load(dir)?;
    println!(
        "devnet {} ({}, {} ms slots, {}-slot epochs, k {}, f {})",
        devnet.dir.display(),
        devnet.consensus,
        devnet.slot_length_ms,
        devnet.epoch_length,
        devnet.security_param,
        devnet.active_slots_coeff
    );
    for n in &devnet.nodes {
        println!(
            "{}  rest {}  node-to-node {}",
            summary_line(n).await,
            n.rest,
            n.node_to_node
        );
    }
    Ok(())
}
