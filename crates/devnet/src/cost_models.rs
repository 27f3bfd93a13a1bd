//! The Plutus cost models a devnet's genesis carries: mainnet's current values, read from the
//! file the mainnet parameter update `mainnet/2026-05-12-ppu-plutus` of
//! IntersectMBO/governance-actions enacts (`data/mainnet-cost-models.json`, copied unchanged:
//! V1 and V2 332 parameters, V3 350). Amaru's mainnet defaults carry the same values.

use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The cost models by language, in the parameters' order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostModels {
    /// Plutus V1's parameters.
    pub plutus_v1: Vec<i64>,
    /// Plutus V2's parameters.
    pub plutus_v2: Vec<i64>,
    /// Plutus V3's parameters.
    pub plutus_v3: Vec<i64>,
}

const MAINNET_FILE: &str = include_str!("../data/mainnet-cost-models.json");

static MAINNET: LazyLock<CostModels> = LazyLock::new(|| parse(MAINNET_FILE));

/// Mainnet's current cost models.
pub fn mainnet() -> &'static CostModels {
    &MAINNET
}

/// Reads cardano-cli's cost-model file (`{"PlutusV1": [...], "PlutusV2": [...], "PlutusV3": [...]}`).
/// Only ever given the file compiled in, whose reading the tests below check.
fn parse(text: &str) -> CostModels {
    let mut by_name: BTreeMap<String, Vec<i64>> = serde_json::from_str(text).unwrap_or_default();
    let mut take = |name: &str| by_name.remove(name).unwrap_or_default();
    CostModels {
        plutus_v1: take("PlutusV1"),
        plutus_v2: take("PlutusV2"),
        plutus_v3: take("PlutusV3"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mainnet_file_is_read_whole() {
        let m = mainnet();
        assert_eq!(
            (m.plutus_v1.len(), m.plutus_v2.len(), m.plutus_v3.len()),
            (332, 332, 350)
        );
        // Spot values from the update: V3's first parameter and its last (a new builtin's).
        assert_eq!(m.plutus_v3[0], 100_788);
        assert_eq!(m.plutus_v3[349], 21);
    }
}
