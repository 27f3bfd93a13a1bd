//! `slotforge devnet`: a network of block producers on this machine with one command — one
//! `slotforge-enclave` and one `slotforge node` per pool, real processes on loopback — and the
//! commands to watch it, fund addresses, add a pool, and break things on purpose.

pub mod generate;
pub mod layout;
pub mod processes;
pub mod wallet;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use slotforge_chain::genesis::Decimal;

use crate::http_client;
use generate::DevnetShape;
use layout::{Devnet, DevnetNode, ProcessKind};

#[derive(Debug, Subcommand)]
pub enum DevnetCommand {
    /// Create (or restart) a devnet and run it; Ctrl-C stops it.
    Up(UpArgs),
    /// Each process and node: running or not, tip, peers.
    Status(DirArg),
    /// Stop every process of the devnet (its state stays; `up` resumes it).
    Down(DirArg),
    /// Send lovelace from the devnet's faucet to an address.
    Faucet {
        #[command(flatten)]
        dir: DirArg,
        /// The address (bech32 addr_test… or hex).
        address: String,
        lovelace: u64,
    },
    /// Register a new pool with a real transaction (its owner's stake, the certificates and the
    /// delegation), then start its enclave and node.
    AddPool {
        #[command(flatten)]
        dir: DirArg,
        /// The lovelace the new pool's owner receives and delegates.
        #[arg(long, default_value_t = generate::OWNER_FUNDS)]
        stake: u64,
    },
    /// SIGKILL a process: a node (pool-N) or an enclave (enclave-N).
    Kill {
        #[command(flatten)]
        dir: DirArg,
        name: String,
    },
    /// Start a stopped process again: a node (pool-N) or an enclave (enclave-N).
    Start {
        #[command(flatten)]
        dir: DirArg,
        name: String,
    },
    /// What became of every leader slot so far, per node.
    Report(DirArg),
}

#[derive(Debug, Args)]
pub struct DirArg {
    /// The devnet's folder.
    #[arg(long, default_value = ".devnet")]
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConsensusArg {
    Praos,
    Bft,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// Pools (block producers), each with its own enclave.
    #[arg(long, default_value_t = 3)]
    pub pools: usize,
    /// Seconds per slot.
    #[arg(long, default_value = "0.2", value_parser = parse_slot_length)]
    pub slot_length: u64,
    /// Slots per epoch; a Praos devnet needs more than 4k/f (the defaults give 10k/f, the
    /// shape of Cardano's networks).
    #[arg(long, default_value_t = 200)]
    pub epoch_length: u64,
    /// The security parameter k (blocks).
    #[arg(long, default_value_t = 5)]
    pub k: u64,
    /// The active slot coefficient, as a fraction (1/4) or a decimal (0.25).
    #[arg(long, default_value = "1/4", value_parser = parse_fraction)]
    pub f: Decimal,
    #[arg(long, value_enum, default_value_t = ConsensusArg::Praos)]
    pub consensus: ConsensusArg,
    /// Start everything and return (stop with `devnet down`).
    #[arg(long)]
    pub detach: bool,
}

/// Seconds (as "0.2") to whole milliseconds.
fn parse_slot_length(s: &str) -> Result<u64, String> {
    let secs: f64 = s.parse().map_err(|_| format!("{s:?} is not a number of seconds"))?;
    let ms = (secs * 1000.0).round();
    if !(20.0..=60_000.0).contains(&ms) || (secs * 1000.0 - ms).abs() > 1e-6 {
        return Err(format!("{s}: a slot lasts 0.02 to 60 s, in whole milliseconds"));
    }
    Ok(ms as u64)
}

fn parse_fraction(s: &str) -> Result<Decimal, String> {
    let d = match s.split_once('/') {
        Some((n, d)) => {
            let (n, d): (u64, u64) = (
                n.trim().parse().map_err(|_| format!("{s:?}: not a fraction"))?,
                d.trim().parse().map_err(|_| format!("{s:?}: not a fraction"))?,
            );
            Decimal::new(n, d)
        }
        None => {
            let x: f64 = s.parse().map_err(|_| format!("{s:?}: not a fraction or a decimal"))?;
            Decimal::new((x * 1_000_000.0).round() as u64, 1_000_000)
        }
    };
    if d.den == 0 || d.num == 0 || d.num > d.den {
        return Err(format!("{s}: the active slot coefficient is in (0, 1]"));
    }
    Ok(d)
}

pub fn run(cmd: DevnetCommand) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        match cmd {
            DevnetCommand::Up(a) => up(a).await,
            DevnetCommand::Status(d) => status(&d.dir).await,
            DevnetCommand::Down(d) => down(&d.dir),
            DevnetCommand::Faucet { dir, address, lovelace } => {
                let devnet = Devnet::load(&dir.dir)?;
                let id = wallet::faucet_payment(&devnet, &address, lovelace, Vec::new(), &[]).await?;
                println!("{id}");
                Ok(())
            }
            DevnetCommand::AddPool { dir, stake } => add_pool(&dir.dir, stake).await,
            DevnetCommand::Kill { dir, name } => kill(&dir.dir, &name),
            DevnetCommand::Start { dir, name } => start_one(&dir.dir, &name).await,
            DevnetCommand::Report(d) => report(&d.dir).await,
        }
    })
}

/// Starts a node's enclave (when not running), waiting for its socket.
fn start_enclave(node: &mut DevnetNode) -> anyhow::Result<()> {
    if node.enclave.pid.is_some_and(processes::alive) {
        return Ok(());
    }
    // A socket left by a killed enclave would look like a live one.
    let _ = std::fs::remove_file(&node.enclave_socket);
    let pid = processes::spawn(&node.enclave, ProcessKind::Enclave)?;
    node.enclave.pid = Some(pid);
    processes::wait_for_socket(&node.enclave_socket, pid, &node.enclave.log, Duration::from_secs(30))
}

fn start_node(node: &mut DevnetNode) -> anyhow::Result<()> {
    if node.node.pid.is_some_and(processes::alive) {
        return Ok(());
    }
    node.node.pid = Some(processes::spawn(&node.node, ProcessKind::Node)?);
    Ok(())
}

/// Waits until the node's REST API answers; an exit at start is reported with its log.
async fn wait_for_rest(node: &DevnetNode, within: Duration) -> anyhow::Result<()> {
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

async fn up(a: UpArgs) -> anyhow::Result<()> {
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
    watch(&devnet.dir).await;
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

/// One line per node until Ctrl-C (or SIGTERM).
async fn watch(dir: &Path) {
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

async fn status(dir: &Path) -> anyhow::Result<()> {
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

fn down(dir: &Path) -> anyhow::Result<()> {
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

fn kill(dir: &Path, name: &str) -> anyhow::Result<()> {
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

async fn start_one(dir: &Path, name: &str) -> anyhow::Result<()> {
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

async fn add_pool(dir: &Path, stake: u64) -> anyhow::Result<()> {
    let mut devnet = Devnet::load(dir)?;
    if devnet.consensus != "praos" {
        bail!("add-pool registers a Praos pool; this devnet runs {}", devnet.consensus);
    }
    let n = devnet.nodes.len() + 1;
    let mut ports = processes::PortPicker::new(devnet.ports())?;
    let new = generate::new_node(&devnet.dir, n, false, &mut ports)?;
    let node = new.entry;
    let rest = wallet::any_rest(&devnet).await?;
    let tx = wallet::register_pool(&devnet, &node, stake).await?;
    println!("{}: registration transaction {tx}", node.name);
    wallet::wait_for_funds(
        &rest,
        &node.owner.address,
        Duration::from_secs(devnet.slot_length_ms * devnet.epoch_length / 1000 + 60),
    )
    .await?;
    let tip = http_client::get_ok(&format!("{rest}/api/v1/tip")).await?;
    let epoch = tip["epoch"].as_u64().unwrap_or(0);
    devnet.nodes.push(node);
    for node in &devnet.nodes {
        generate::write_node_config(&devnet, node, false)?;
    }
    let new = devnet.nodes.last_mut().expect("just added");
    start_enclave(new)?;
    start_node(new)?;
    devnet.save()?;
    wait_for_rest(devnet.nodes.last().expect("just added"), Duration::from_secs(60)).await?;
    // The others dial the new node once they read their topology again.
    for n in &devnet.nodes[..devnet.nodes.len() - 1] {
        if let Some(pid) = n.node.pid {
            processes::signal(pid, libc::SIGHUP);
        }
    }
    let new = devnet.nodes.last().expect("just added");
    println!(
        "{} ({}) registered in epoch {epoch}: its stake is in the snapshot taken at epoch {}'s start and elects leaders from epoch {}",
        new.name,
        new.leader_id,
        epoch + 1,
        epoch + 2
    );
    Ok(())
}

async fn report(dir: &Path) -> anyhow::Result<()> {
    let devnet = Devnet::load(dir)?;
    for n in &devnet.nodes {
        println!("== {} ({})", n.name, n.leader_id);
        let mut cursor: Option<String> = None;
        let mut entries = Vec::new();
        loop {
            let url = match &cursor {
                Some(c) => format!("{}/api/v1/leadership/schedule?limit=1000&cursor={c}", n.rest),
                None => format!("{}/api/v1/leadership/schedule?limit=1000", n.rest),
            };
            let Ok(page) = http_client::get_ok(&url).await else {
                println!("   (not answering)");
                break;
            };
            entries.extend(page["entries"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        let mut counts = std::collections::BTreeMap::<String, u64>::new();
        for e in &entries {
            let status = e["status"].as_str().unwrap_or("?").to_string();
            let reason = e["reason"].as_str().map(|r| format!(" ({r})")).unwrap_or_default();
            let hash = e["block_hash"]
                .as_str()
                .map(|h| format!(" block {}", &h[..16.min(h.len())]))
                .unwrap_or_default();
            println!(
                "   epoch {:>3} slot {:>6}  {:<10}{hash}{reason}",
                e["epoch"], e["slot"], status
            );
            *counts.entry(status).or_default() += 1;
        }
        let summary: Vec<String> = counts.iter().map(|(s, c)| format!("{c} {s}")).collect();
        println!("   total: {} leader slots: {}", entries.len(), summary.join(", "));
    }
    println!("dashboard: {}/devnet", devnet.nodes[0].rest);
    Ok(())
}
