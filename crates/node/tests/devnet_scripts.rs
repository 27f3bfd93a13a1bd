//! Scripts on a devnet of real processes, with transactions built by pycardano (PyPI, installed
//! by scripts/install-test-tools.sh): native-script minting of two policies, a multi-asset
//! transfer (and its resubmission, refused for its spent inputs), a Plutus V3 lock and unlock
//! with an inline datum (and a spend whose script fails, refused with the script's error), a
//! Plutus V2 spend through a reference script and a Plutus minting policy
//! (`scripts/interop/pycardano-scripts.py`). Then `/utxos` shows the assets, datums and
//! reference scripts, both nodes hold the same chain, and cardano-serialization-lib and oura
//! 2.2.1 (over node-to-node) read every block, each landed transaction found.

mod live_devnet;
#[path = "../../network/tests/oura_daemon/mod.rs"]
mod oura_daemon;

/// What the oura helper takes from the network tests' loopback module: the devnet's magic.
mod loopback {
    pub const MAGIC: u32 = 42;
}

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use live_devnet::{eventually, get, LiveDevnet};
use serde_json::Value;

/// Succeeds when its redeemer (the context's second field) is the integer 42, else errors.
const V3_REDEEMER_IS_42: &str = r#"
(program 1.1.0
  (lam ctx
    [ (lam fields
        (force [ [ [ (force (builtin ifThenElse))
                     [ [ (builtin equalsData)
                         [ (force (builtin headList)) [ (force (builtin tailList)) fields ] ] ]
                       (con data (I 42)) ] ]
                   (delay (con unit ())) ]
                 (delay (error)) ]))
      [ (force (force (builtin sndPair))) [ (builtin unConstrData) ctx ] ] ]))
"#;

/// Always succeeds (datum, redeemer, context).
const V2_ALWAYS: &str = "(program 1.0.0 (lam d (lam r (lam ctx (con unit ())))))";

fn script_hex(text: &str) -> String {
    let p = uplc::parser::program(text).expect("the script parses");
    let p: uplc::ast::Program<uplc::ast::DeBruijn> = p.try_into().expect("no free variable");
    hex::encode(p.to_cbor().expect("the script encodes"))
}

fn tools() -> PathBuf {
    std::env::var_os("SLOTFORGE_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/slotforge-tools"))
}

fn utxos(rest: &str, address: &str) -> Vec<Value> {
    get(&format!("{rest}/api/v1/utxos?address={address}&limit=1000"))["utxos"]
        .as_array()
        .unwrap()
        .clone()
}

fn quantity(utxos: &[Value], policy: &str, name: &[u8]) -> u64 {
    utxos
        .iter()
        .flat_map(|u| u["assets"].as_array().unwrap().clone())
        .filter(|a| a["policy"] == policy)
        .flat_map(|a| a["assets"].as_array().unwrap().clone())
        .filter(|a| a["name"] == hex::encode(name))
        .map(|a| a["quantity"].as_u64().unwrap())
        .sum()
}

#[test]
fn pycardano_builds_script_transactions_that_a_devnet_judges_and_carries() {
    let python = tools().join("py/bin/python");
    assert!(
        Command::new(&python)
            .args(["-c", "import pycardano"])
            .status()
            .is_ok_and(|s| s.success()),
        "pycardano is not installed in {}: run scripts/test.sh, which installs it",
        python.display()
    );
    let devnet = LiveDevnet::up(&[
        "--pools",
        "2",
        "--slot-length",
        "0.2",
        "--epoch-length",
        "100",
        "--k",
        "5",
    ]);
    let rest = devnet.rest(0);
    eventually(Duration::from_secs(60), "the first block", || {
        get(&format!("{rest}/api/v1/tip"))["slot"].as_u64()
    });

    let v3 = script_hex(V3_REDEEMER_IS_42);
    let v2 = script_hex(V2_ALWAYS);
    let driver = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/interop/pycardano-scripts.py");
    let devnet_json = devnet.dir.path().join("devnet.json");
    let out = Command::new(&python)
        .arg(&driver)
        .arg(&devnet_json)
        .arg(&v3)
        .arg(&v2)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "pycardano's driver failed:\n{stdout}\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        devnet.logs_tail()
    );
    let steps: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let step = |name: &str| {
        steps
            .iter()
            .find(|s| s["step"] == name)
            .unwrap_or_else(|| panic!("no step {name} in {stdout}"))
            .clone()
    };
    let done = steps.last().unwrap();
    assert_eq!(done["done"], true, "{stdout}");

    // The failing spend: 400, the reference's name, the evaluator's message.
    let refused = step("v3-failing-spend");
    assert_eq!(refused["status"], 400, "{refused}");
    assert_eq!(refused["refusal"]["kind"], "ValidationTagMismatch", "{refused}");
    let message = refused["refusal"]["message"].as_str().unwrap();
    assert!(message.contains("marked valid but scripts fail"), "{message}");
    assert!(message.contains("The PlutusV3 script failed"), "{message}");
    assert!(
        refused["refusal"]["failures"][0]["predicate"] == "ValidationTagMismatch",
        "{refused}"
    );

    // The transfer submitted again at once: a duplicate carrying the ledger's verdict (its
    // inputs spent), or the ledger's refusal alone had a block taken it first.
    let again = step("resubmission");
    assert_eq!(again["status"], 400, "{again}");
    let kind = again["refusal"]["kind"].as_str().unwrap();
    assert!(["Duplicate", "BadInputsUTxO"].contains(&kind), "{again}");
    let failures = again["refusal"]["failures"].as_array().unwrap();
    assert!(failures.iter().any(|f| f["predicate"] == "BadInputsUTxO"), "{again}");

    // What /utxos shows: both native policies' and the Plutus policy's tokens at `other`, the
    // reference script at `me`, nothing left at the V2 script, the second V3 lock's inline datum.
    let other = done["other"].as_str().unwrap();
    let me = done["me"].as_str().unwrap();
    let at_other = utxos(&rest, other);
    let policies = step("native-mint")["policies"].as_array().unwrap().clone();
    assert_eq!(quantity(&at_other, policies[0].as_str().unwrap(), b"tokenA"), 100);
    assert_eq!(quantity(&at_other, policies[1].as_str().unwrap(), b"tokenB"), 2);
    let plutus_policy = step("plutus-mint")["policy"].as_str().unwrap().to_string();
    assert_eq!(quantity(&at_other, &plutus_policy, b"plutusToken"), 10);
    let at_me = utxos(&rest, me);
    assert_eq!(quantity(&at_me, policies[0].as_str().unwrap(), b"tokenA"), 900);
    let v2_hash = step("v2-reference-script")["script_hash"].as_str().unwrap().to_string();
    assert!(
        at_me.iter().any(|u| u["reference_script_hash"] == v2_hash.as_str()),
        "no output at {me} carries the V2 reference script: {at_me:?}"
    );
    assert!(utxos(&rest, done["v2_address"].as_str().unwrap()).is_empty());
    let v3_left = utxos(&rest, done["v3_address"].as_str().unwrap());
    assert_eq!(v3_left.len(), 1, "one of the two V3 locks is left: {v3_left:?}");
    assert_eq!(v3_left[0]["inline_datum"], "07");
    assert!(v3_left[0]["datum_hash"].is_string());

    // Both nodes agree on every block below the shallower tip's last five slots.
    let chains: Vec<Vec<Value>> = (0..2)
        .map(|i| {
            get(&format!("{}/api/v1/blocks?from_slot=0&limit=1000", devnet.rest(i)))["blocks"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|b| b["selected"] == true)
                .cloned()
                .collect()
        })
        .collect();
    let horizon = chains
        .iter()
        .map(|c| c.last().unwrap()["slot"].as_u64().unwrap())
        .min()
        .unwrap()
        - 5;
    let below = |c: &Vec<Value>| -> Vec<String> {
        c.iter()
            .filter(|b| b["slot"].as_u64().unwrap() <= horizon)
            .map(|b| b["hash"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        below(&chains[0]),
        below(&chains[1]),
        "the nodes disagree below slot {horizon}"
    );

    // cardano-serialization-lib reads every block as we do, script transactions included.
    let modules = tools().join("npm/node_modules");
    let cbor: Vec<String> = chains[0]
        .iter()
        .map(|b| {
            get(&format!("{rest}/api/v1/blocks/{}", b["hash"].as_str().unwrap()))["block_cbor"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let file = devnet.dir.path().join("blocks.hex");
    std::fs::write(&file, cbor.join("\n") + "\n").unwrap();
    let csl = Command::new("node")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/interop/csl-blocks.js"))
        .arg(&file)
        .env("NODE_PATH", &modules)
        .output()
        .expect("node runs");
    assert!(csl.status.success(), "{}", String::from_utf8_lossy(&csl.stderr));
    let read: Vec<Value> = String::from_utf8(csl.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(read.len(), chains[0].len());
    let mut ids = Vec::new();
    for (ours, theirs) in chains[0].iter().zip(&read) {
        assert_eq!(theirs["hash"], ours["hash"]);
        assert_eq!(theirs["slot"], ours["slot"].as_u64().unwrap().to_string());
        // CSL re-encodes what it reads; where its bytes are ours, the body hash must agree.
        if !theirs["bodyHashComputed"].is_null() {
            assert_eq!(theirs["bodyHashComputed"], theirs["bodyHashDeclared"], "{theirs}");
        }
        ids.extend(
            theirs["txs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_string()),
        );
    }
    // Every transaction the driver landed is in a block CSL read; the refused one is in none.
    for s in steps.iter().filter(|s| s["tx"].is_string()) {
        assert!(
            ids.contains(&s["tx"].as_str().unwrap().to_string()),
            "CSL did not read {s}"
        );
    }
    assert_eq!(ids.len(), steps.iter().filter(|s| s["tx"].is_string()).count());

    // oura follows node 0 over node-to-node and parses every block: it sees every landed
    // transaction in the block we have it in.
    let n2n: u16 = devnet.nodes()[0]["node_to_node"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let oura = oura_daemon::Oura::start(n2n, true);
    let want: Vec<String> = steps
        .iter()
        .filter_map(|s| s["tx"].as_str().map(String::from))
        .collect();
    let seen = |events: &[Value]| -> Vec<String> {
        use base64::Engine;
        events
            .iter()
            .filter(|e| e["event"] == "apply")
            .flat_map(|e| e["record"]["body"]["tx"].as_array().cloned().unwrap_or_default())
            .filter_map(|t| {
                base64::engine::general_purpose::STANDARD
                    .decode(t["hash"].as_str()?)
                    .ok()
                    .map(hex::encode)
            })
            .collect()
    };
    eventually(
        Duration::from_secs(120),
        "oura to parse every landed transaction",
        || {
            let got = seen(&oura.events());
            want.iter().all(|t| got.contains(t)).then_some(())
        },
    );
}
