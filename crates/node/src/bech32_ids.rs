//! Bech32 names as cardano-cli prints them: pool ids (`pool1…`), addresses (`addr…`,
//! `addr_test…`), and stake addresses.

use bech32::{Bech32, Hrp};
use slotforge_praos::nonce::blake2b224;

/// A pool's id: the Blake2b-224 hash of its cold verification key.
pub fn pool_id_of(cold_vkey: &[u8; 32]) -> [u8; 28] {
    blake2b224(cold_vkey)
}

fn encode(hrp: &str, bytes: &[u8]) -> String {
    bech32::encode::<Bech32>(Hrp::parse_unchecked(hrp), bytes).expect("short payloads encode")
}

/// `pool1…`.
pub fn pool_bech32(id: &[u8; 28]) -> String {
    encode("pool", id)
}

/// A pool id given as bech32 (`pool1…`) or as 56 hex digits.
pub fn parse_pool_id(text: &str) -> Result<[u8; 28], String> {
    let bytes = match bech32::decode(text) {
        Ok((hrp, bytes)) if hrp.as_str() == "pool" => bytes,
        Ok((hrp, _)) => {
            return Err(format!(
                "{text:?} is a bech32 {:?}, not a pool id (pool1…)",
                hrp.as_str()
            ))
        }
        Err(_) => {
            hex::decode(text).map_err(|_| format!("{text:?} is neither a bech32 pool id (pool1…) nor 56 hex digits"))?
        }
    };
    <[u8; 28]>::try_from(bytes).map_err(|b| format!("{text:?} is {} bytes; a pool id is 28", b.len()))
}

/// An address in bech32, with the prefix its header byte calls for (CIP-5).
pub fn address_bech32(address: &[u8]) -> String {
    let Some(header) = address.first() else {
        return String::new();
    };
    let mainnet = header & 0x0f == 1;
    let hrp = match (header >> 4, mainnet) {
        (0xe | 0xf, true) => "stake",
        (0xe | 0xf, false) => "stake_test",
        (_, true) => "addr",
        (_, false) => "addr_test",
    };
    encode(hrp, address)
}

/// A stake address (reward account) given as bech32 (`stake…`, `stake_test…`) or hex: its 29
/// bytes, header `0xe0`/`0xe1` (key) or `0xf0`/`0xf1` (script).
pub fn parse_stake_address(text: &str) -> Result<Vec<u8>, String> {
    let bytes = match bech32::decode(text) {
        Ok((hrp, bytes)) if hrp.as_str().starts_with("stake") => bytes,
        Ok((hrp, _)) => return Err(format!("{text:?} is a bech32 {:?}, not a stake address", hrp.as_str())),
        Err(_) => hex::decode(text)
            .map_err(|_| format!("{text:?} is not a stake address (bech32 stake…/stake_test… or hex)"))?,
    };
    match bytes.first() {
        Some(h) if bytes.len() == 29 && matches!(h >> 4, 0xe | 0xf) => Ok(bytes),
        _ => Err(format!(
            "{text:?} is not a stake address: 29 bytes with header 0xe0/0xe1/0xf0/0xf1"
        )),
    }
}

/// An address given as bech32 (`addr…`, `addr_test…`) or hex.
pub fn parse_address(text: &str) -> Result<Vec<u8>, String> {
    if let Ok((hrp, bytes)) = bech32::decode(text) {
        if !hrp.as_str().starts_with("addr") {
            return Err(format!("{text:?} is a bech32 {:?}, not an address", hrp.as_str()));
        }
        return Ok(bytes);
    }
    match hex::decode(text) {
        Ok(b) if !b.is_empty() && b.len() <= 128 => Ok(b),
        _ => Err(format!("{text:?} is not an address (bech32 addr…/addr_test… or hex)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_ids_and_addresses_match_cardano_cli() {
        // CIP-19's test vectors: key hash 9493315cd92eb5d8c4304e67b7e16ae36d61d34502694657811a2c8e
        // and stake hash 337b62cfff6403a06a3acbc34f8c46003c69fe79a3628cefa9c47251.
        let pay = hex::decode("9493315cd92eb5d8c4304e67b7e16ae36d61d34502694657811a2c8e").unwrap();
        let stake = hex::decode("337b62cfff6403a06a3acbc34f8c46003c69fe79a3628cefa9c47251").unwrap();
        let mut base = vec![0x00];
        base.extend(&pay);
        base.extend(&stake);
        assert_eq!(
            address_bech32(&base),
            "addr_test1qz2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzer3n0d3vllmyqwsx5wktcd8cc3sq835lu7drv2xwl2wywfgs68faae"
        );
        let mut enterprise = vec![0x61];
        enterprise.extend(&pay);
        assert_eq!(
            address_bech32(&enterprise),
            "addr1vx2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzers66hrl8"
        );
        assert_eq!(parse_address(&address_bech32(&base)).unwrap(), base);
        assert_eq!(parse_address(&hex::encode(&base)).unwrap(), base);
        assert!(parse_address("pool1xyz").is_err());
        // A mainnet pool id: cardano-cli's bech32 of its 28-byte hash.
        let id: [u8; 28] = hex::decode("153806dbcd134ddee69a8c5204e38ac80448f62342f8c23cfe4b7edf")
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(
            pool_bech32(&id),
            "pool1z5uqdk7dzdxaae5633fqfcu2eqzy3a3rgtuvy087fdld7yws0xt"
        );
    }
}
