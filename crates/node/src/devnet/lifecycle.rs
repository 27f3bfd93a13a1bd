//! A devnet's lifecycle: `up` (create or restart it, start every enclave then every node, and
//! watch until Ctrl-C), `down` (nodes first, then enclaves), and one process killed or started
//! again (`kill`, `start`). Each process's pid is kept in `devnet.json`.

use std::path::Path;
use std::time::Duration;

use anyhow::bail;

use super::cli::{ConsensusArg, UpArgs};
use super::generate::{self, DevnetShape};
use super::layout::{Devnet, DevnetNode, ProcessKind};
use super::{live_view, processes};
use crate::http_client;

/// Starts a node's enclave (when not running), waiting for its socket.
pub(super) fn start_enclave(node: &mut DevnetNode) -> anyhow::Result<()> {
    if node.enclave.pid.is_some_and(processes::alive) {
        return Ok(());
    }
    // A socket left by a killed enclave would look like a live one.
    let _ = std::fs::remove_file(&node.enclave_socket);
    let pid = processes::spawn(&node.enclave, ProcessKind::Enclave)?;
    node.enclave.pid = Some(pid);
    processes::wait_for_socket(&node.enclave_socket, pid, &node.enclave.log, Duration::from_secs(30))
}

pub(super) fn start_node(node: &mut DevnetNode) -> anyhow::Result<()> {
    if node.node.pid.is_some_and(processes::alive) {
        return Ok(());
    }
    node.node.pid = Some(processes::spawn(&node.node, ProcessKind::Node)?);
    Ok(())
}

/// Waits until the node's REST API answers; an exit at start is reported with its log.
pub(super) async fn wait_for_rest(node: &DevnetNode, within: Duration) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if http_client::get_ok(&format!("{}/api/v1/node", node.rest)).await.is_ok() {
            return Ok(());
        }
        if !node.node.pid.is_some_and(processes::running) {
            bail!(
                "{} exited at start; see {}:\n{}",
                node.name,
                node.node.log.display(),
                processes::tail(&node.node.log, 20)
            );
        }
        if tokio::time::Instant::now() > deadline {
            bail!(
                "{}'s REST API did not answer within {within:?}; see {}",
                node.name,
                node.node.log.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(super) async fn up(a: UpArgs) -> anyhow::Result<()> {
    let dir = &a.dir.dir;
    let mut devnet = if Devnet::path(dir).exists() {
        let d = Devnet::load(dir)?;
        if d.nodes.iter().any(|n| n.node.pid.is_some_and(processes::alive)) {
            bail!(
                "the devnet in {} is running (see `slotforge devnet status`)",
                dir.display()
            );
        }
        eprintln!("restarting the devnet in {}", dir.display());
        d
    } else {
        let shape = DevnetShape {
            pools: a.pools,
            slot_length_ms: a.slot_length,
            epoch_length: a.epoch_length,
            k: a.k,
            f: a.f,
            bft: a.consensus == ConsensusArg::Bft,
            start_in_s: 3 + a.pools as u64 / 4,
        };
        let d = generate::create(dir, &shape)?;
        eprintln!("created a {}-pool devnet in {}", a.pools, d.dir.display());
        d
    };
    let started = start_all(&mut devnet).await;
    devnet.save()?;
    if let Err(e) = started {
        down(&devnet.dir)?;
        return Err(e);
    }
    let dashboard = format!("{}/devnet", devnet.nodes[0].rest);
    println!("devnet up: {} nodes; dashboard {dashboard}", devnet.nodes.len());
    println!("description: {}", Devnet::path(&devnet.dir).display());
    if a.detach {
        return Ok(());
    }
    live_view::watch(&devnet.dir).await;
    down(&devnet.dir)
}

async fn start_all(devnet: &mut Devnet) -> anyhow::Result<()> {
    for n in devnet.nodes.iter_mut() {
        start_enclave(n)?;
    }
    for n in devnet.nodes.iter_mut() {
        start_node(n)?;
    }
    for n in &devnet.nodes {
        wait_for_rest(n, Duration::from_secs(60)).await?;
    }
    Ok(())
}

pub(super) fn down(dir: &Path) -> anyhow::Result<()> {
    let mut devnet = Devnet::load(dir)?;
    // Nodes first (they stop forging), then the enclaves.
    for n in devnet.nodes.iter_mut() {
        if let Some(pid) = n.node.pid.take() {
            processes::stop(pid, Duration::from_secs(20));
        }
    }
    for n in devnet.nodes.iter_mut() {
        if let Some(pid) = n.enclave.pid.take() {
            processes::stop(pid, Duration::from_secs(20));
        }
    }
    devnet.save()?;
    println!("devnet in {} stopped", devnet.dir.display());
    Ok(())
}

fn unknown(devnet: &Devnet, name: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "no process {name:?} in this devnet; it has {}",
        devnet.names().join(", ")
    )
}

pub(super) fn kill(dir: &Path, name: &str) -> anyhow::Result<()> {
    let devnet = Devnet::load(dir)?;
    let p = devnet.process(name).ok_or_else(|| unknown(&devnet, name))?;
    match p.pid {
        Some(pid) if processes::signal(pid, libc::SIGKILL) => {
            while processes::alive(pid) {
                std::thread::sleep(Duration::from_millis(20));
            }
            println!("killed {name} (pid {pid})");
            Ok(())
        }
        _ => bail!("{name} is not running"),
    }
}

pub(super) async fn start_one(dir: &Path, name: &str) -> anyhow::Result<()> {
    let mut devnet = Devnet::load(dir)?;
    let i = devnet
        .nodes
        .iter()
        .position(|n| n.node.name == name || n.enclave.name == name)
        .ok_or_else(|| unknown(&devnet, name))?;
    let node = &mut devnet.nodes[i];
    let is_enclave = node.enclave.name == name;
    let running = if is_enclave { node.enclave.pid } else { node.node.pid }.is_some_and(processes::alive);
    if running {
        bail!("{name} is running already");
    }
    if is_enclave {
        start_enclave(node)?;
    } else {
        start_node(node)?;
    }
    devnet.save()?;
    if !is_enclave {
        wait_for_rest(&devnet.nodes[i], Duration::from_secs(60)).await?;
    }
    println!("started {name}");
    Ok(())
}
