//! The dashboard in a real browser: headless Chromium, driven over WebDriver (chromedriver,
//! fantoccini), shows a live devnet of real processes. The test asserts on the rendered page —
//! the tip moving, slot statuses coloured in the timeline, counts, peers, the stake table, a
//! missed slot's reason after an enclave is killed, the rewards each pool was paid (as
//! `/api/v1/epochs/{e}` gives them) and the protocol version, a node shown down on the overview page
//! after it is killed — and saves screenshots in `target/tmp/screenshots/`.
//!
//! Chromium and chromedriver are Debian's packages (`scripts/install-test-tools.sh` installs
//! them); `$CHROMEDRIVER` and `$CHROMIUM` override the paths.

mod live_devnet;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use live_devnet::LiveDevnet;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_driver() -> (Driver, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let child = Command::new(&bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{bin}: {e} (scripts/install-test-tools.sh installs chromium-driver)"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    (Driver(child), port)
}

async fn browser(port: u16) -> Client {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1600,1300"],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session with headless Chromium")
}

async fn text(c: &Client, css: &str) -> String {
    match c.find(Locator::Css(css)).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

async fn attr(c: &Client, css: &str, name: &str) -> Option<String> {
    c.find(Locator::Css(css)).await.ok()?.attr(name).await.ok()?
}

async fn count(c: &Client, css: &str) -> usize {
    c.find_all(Locator::Css(css)).await.map_or(0, |v| v.len())
}

/// Polls `check` on the page until it holds.
async fn until<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(Instant::now() < deadline, "the page never showed: {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn screenshot(c: &Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

fn number(s: &str) -> Option<u64> {
    s.trim().replace(',', "").parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_a_live_devnet_in_headless_chromium() {
    let devnet = LiveDevnet::up(&[
        "--pools",
        "3",
        "--slot-length",
        "0.2",
        "--epoch-length",
        "60",
        "--k",
        "5",
        "--f",
        "1/2",
    ]);
    let (_driver, port) = start_driver();
    let c = browser(port).await;

    // One node's dashboard.
    c.goto(&format!("{}/", devnet.rest(0))).await.unwrap();
    until("the node caught up", Duration::from_secs(40), || async {
        attr(&c, "#sync-state", "data-state").await.as_deref() == Some("caught_up")
    })
    .await;
    until("a tip", Duration::from_secs(40), || async {
        number(&text(&c, "#tip-block-number").await).is_some()
    })
    .await;
    let first = number(&text(&c, "#tip-block-number").await).unwrap();
    until("the tip moving", Duration::from_secs(30), || async {
        number(&text(&c, "#tip-block-number").await).is_some_and(|n| n >= first + 3)
    })
    .await;
    until("adopted slots in the timeline", Duration::from_secs(30), || async {
        count(
            &c,
            "#timeline .slot-cell.status-adopted, #timeline .slot-cell.status-immutable",
        )
        .await
            > 0
    })
    .await;
    // The pots: what they show adds up to the maximum supply, and the treasury takes its cut.
    until("the pots", Duration::from_secs(30), || async {
        count(&c, "#pots-table tr.pot-row").await == 8
    })
    .await;
    let mut pots = BTreeMap::new();
    for row in c.find_all(Locator::Css("#pots-table tr.pot-row")).await.unwrap() {
        let (pot, value) = (
            row.attr("data-pot").await.unwrap().unwrap(),
            row.attr("data-value").await.unwrap().unwrap(),
        );
        pots.insert(pot, value.parse::<u128>().unwrap());
    }
    let supply = pots.remove("max_supply").unwrap();
    assert_eq!(pots.values().sum::<u128>(), supply, "{pots:?}");
    assert!(number(&text(&c, "#pots-table [data-pot=reserves] td.n").await).is_some_and(|r| r > 0));
    assert_eq!(count(&c, "#proposals-table tr.empty").await, 1, "no proposal in flight");
    let adopted: u64 = number(&text(&c, "[data-status-count=adopted]").await).unwrap_or(0)
        + number(&text(&c, "[data-status-count=immutable]").await).unwrap_or(0);
    assert!(adopted > 0, "the status counts show adopted blocks");
    assert_eq!(text(&c, "#node-name").await.trim(), "pool-1");
    assert_eq!(
        count(&c, "#stake-table tr.stake-row").await,
        3,
        "three pools in the stake table"
    );
    assert!(attr(&c, "#epoch-nonce", "data-nonce")
        .await
        .is_some_and(|n| n.len() == 64));
    until("two connected peers", Duration::from_secs(10), || async {
        count(
            &c,
            "#peers-table tr.peer-row[data-direction=outbound]:not(.disconnected)",
        )
        .await
            == 2
    })
    .await;
    assert!(count(&c, "#recent-blocks .block-row").await > 0);
    let progress = text(&c, "#epoch-progress-text").await;
    assert!(progress.starts_with("epoch "), "{progress:?}");
    // The enclave's KES expiry is far away: no warning, and the node reports it.
    assert!(attr(&c, "#kes-warning", "hidden").await.is_some(), "no KES warning");
    let kes = live_devnet::get(&format!("{}/api/v1/node", devnet.rest(0)))["kes"].clone();
    assert_eq!(kes.as_array().map(Vec::len), Some(1), "{kes}");
    assert_eq!(kes[0]["warning"], false, "{kes}");
    assert_eq!(
        kes[0]["end_kes_period"].as_u64().unwrap() - kes[0]["kes_period"].as_u64().unwrap(),
        62,
        "a fresh key: its 62 evolutions ahead ({kes})"
    );
    screenshot(&c, "node").await;

    // A dead enclave: its pool's missed slots appear with the reason.
    let (ok, _, err) = devnet.cmd("kill", &["enclave-2"]);
    assert!(ok, "{err}");
    c.goto(&format!("{}/", devnet.rest(1))).await.unwrap();
    until(
        "a slot missed because the enclave is unreachable",
        Duration::from_secs(60),
        || async {
            let rows = c
                .find_all(Locator::Css("#missed-slots tr.missed-row td.reason"))
                .await
                .unwrap_or_default();
            for r in rows {
                if r.text().await.unwrap_or_default().contains("enclave unreachable") {
                    return true;
                }
            }
            false
        },
    )
    .await;
    assert!(
        count(&c, "#timeline .slot-cell.status-missed").await > 0,
        "missed slots are drawn in the timeline"
    );
    screenshot(&c, "node-enclave-down").await;
    let (ok, _, err) = devnet.cmd("start", &["enclave-2"]);
    assert!(ok, "{err}");

    // Rewards per pool per epoch: the blocks of epoch 0 are paid at epoch 2's start; each cell
    // is what the node's API says the pool paid.
    until("rewards paid to pools", Duration::from_secs(60), || async {
        let cells = c
            .find_all(Locator::Css("#rewards-table tr.reward-row td[data-lovelace]"))
            .await
            .unwrap_or_default();
        for cell in cells {
            if cell
                .attr("data-lovelace")
                .await
                .ok()
                .flatten()
                .is_some_and(|l| !l.is_empty() && l != "0")
            {
                return true;
            }
        }
        false
    })
    .await;
    let rest1 = devnet.rest(1);
    for row in c.find_all(Locator::Css("#rewards-table tr.reward-row")).await.unwrap() {
        let pool = row.attr("data-pool").await.unwrap().unwrap();
        for cell in row.find_all(Locator::Css("td[data-epoch]")).await.unwrap() {
            let epoch = cell.attr("data-epoch").await.unwrap().unwrap();
            let shown = cell.attr("data-lovelace").await.unwrap().unwrap();
            let ledger = tokio::task::spawn_blocking({
                let url = format!("{rest1}/api/v1/epochs/{epoch}");
                move || live_devnet::get(&url)["ledger"]["pool_rewards"].clone()
            })
            .await
            .unwrap();
            let paid = ledger
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["pool_id"] == pool.as_str())
                .map(|p| p["lovelace"].to_string())
                .unwrap_or_default();
            assert_eq!(shown, paid, "pool {pool}, epoch {epoch}");
        }
    }
    assert_eq!(
        attr(&c, "#protocol-version", "data-version").await.as_deref(),
        Some("10.0")
    );
    // The card is below the fold: bring it into the screenshot.
    c.execute("document.getElementById('rewards-table').scrollIntoView()", vec![])
        .await
        .unwrap();
    screenshot(&c, "node-rewards").await;

    // The overview: every node side by side; a killed node is shown down.
    c.goto(&format!("{}/devnet", devnet.rest(0))).await.unwrap();
    until("three nodes up", Duration::from_secs(20), || async {
        count(&c, "section.node-card").await == 3
            && attr(&c, "#devnet-summary", "data-up").await.as_deref() == Some("3")
    })
    .await;
    until("the nodes' tips", Duration::from_secs(20), || async {
        let tips = c.find_all(Locator::Css(".node-tip-block")).await.unwrap_or_default();
        let mut n = 0;
        for t in tips {
            n += usize::from(number(&t.text().await.unwrap_or_default()).is_some());
        }
        n == 3
    })
    .await;
    screenshot(&c, "devnet").await;
    let (ok, _, err) = devnet.cmd("kill", &["pool-3"]);
    assert!(ok, "{err}");
    until("pool-3 shown down", Duration::from_secs(20), || async {
        let class = attr(&c, "#node-pool-3", "class").await.unwrap_or_default();
        class.split_whitespace().any(|c| c == "down")
            && attr(&c, "#devnet-summary", "data-up").await.as_deref() == Some("2")
    })
    .await;
    screenshot(&c, "devnet-node-down").await;

    // pool-3 again, told to warn about any expiry within ~1,000 years: its badge says how
    // many days its KES key has left, as /api/v1/node does.
    let config = devnet.nodes()[2]["node"]["config"].as_str().unwrap().to_string();
    let text_before = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text_before.replace("[leadership]\n", "[leadership]\nkes_warning_hours = 10000000\n"),
    )
    .unwrap();
    let (ok, _, err) = devnet.cmd("start", &["pool-3"]);
    assert!(ok, "{err}");
    c.goto(&format!("{}/", devnet.rest(2))).await.unwrap();
    until("the KES warning badge", Duration::from_secs(90), || async {
        attr(&c, "#kes-warning", "hidden").await.is_none() && text(&c, "#kes-warning").await.contains("KES key")
    })
    .await;
    let kes = live_devnet::get(&format!("{}/api/v1/node", devnet.rest(2)))["kes"].clone();
    assert_eq!(kes[0]["warning"], true, "{kes}");
    let days = kes[0]["seconds_left"].as_u64().unwrap() / 86_400;
    let shown = text(&c, "#kes-warning").await;
    assert!(
        shown.contains(&format!("{days} d left")) || shown.contains(&format!("{} d left", days.saturating_sub(1))),
        "{shown:?} for {kes}"
    );
    assert_eq!(
        attr(&c, "#kes-warning", "data-leaders").await.as_deref(),
        kes[0]["leader"].as_str()
    );
    screenshot(&c, "node-kes-warning").await;
    c.close().await.unwrap();
}
