//! `devnet report`: what became of every leader slot so far, per node, from each node's
//! leadership schedule.

use std::path::Path;

use super::layout::Devnet;
use crate::http_client;

pub(super) async fn report(dir: &Path) -> anyhow::Result<()> {
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
