//! `devnet add-pool`: a new pool joins the running devnet the way one joins a real network —
//! its owner funded and its registration and delegation sent as a transaction — then its
//! enclave and node start and the others are told (SIGHUP) to dial it.

use std::path::Path;
use std::time::Duration;

use anyhow::bail;

use super::layout::Devnet;
use super::{generate, lifecycle, processes, wallet};
use crate::http_client;

pub(super) async fn add_pool(dir: &Path, stake: u64) -> anyhow::Result<()> {
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
    lifecycle::start_enclave(new)?;
    lifecycle::start_node(new)?;
    devnet.save()?;
    lifecycle::wait_for_rest(devnet.nodes.last().expect("just added"), Duration::from_secs(60)).await?;
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
