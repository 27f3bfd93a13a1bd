//! What the ledger reads of addresses: payment and stake credentials, reward accounts and
//! their network.

use pallas_addresses::{Address, Network, ShelleyDelegationPart, ShelleyPaymentPart, StakePayload};

use crate::error::LedgerError;
use crate::state::Credential;

/// The network tag of an address (0 testnet, 1 mainnet).
pub fn network_byte(n: Network) -> u8 {
    match n {
        Network::Testnet => 0,
        Network::Mainnet => 1,
        Network::Other(x) => x,
    }
}

/// The payment key hash of a Shelley address; Err for a script, None for Byron or malformed.
pub fn payment_key(address: &[u8]) -> Option<Result<[u8; 28], ()>> {
    match Address::from_bytes(address).ok()? {
        Address::Shelley(a) => Some(match a.payment() {
            ShelleyPaymentPart::Key(h) => Ok(**h),
            ShelleyPaymentPart::Script(_) => Err(()),
        }),
        _ => None,
    }
}

/// The address root of a Byron address (the key hash its bootstrap witness proves).
pub fn byron_root(address: &[u8]) -> Option<[u8; 28]> {
    match Address::from_bytes(address).ok()? {
        Address::Byron(b) => b.decode().ok().map(|p| *p.root),
        _ => None,
    }
}

/// The payment script hash of a Shelley address, `None` for a key address, Byron or malformed.
pub fn payment_script(address: &[u8]) -> Option<[u8; 28]> {
    match Address::from_bytes(address).ok()? {
        Address::Shelley(a) => match a.payment() {
            ShelleyPaymentPart::Script(h) => Some(**h),
            ShelleyPaymentPart::Key(_) => None,
        },
        _ => None,
    }
}

/// The stake credential of a base address (pointer and enterprise addresses have none here).
pub fn stake_credential(address: &[u8]) -> Option<Credential> {
    match Address::from_bytes(address).ok()? {
        Address::Shelley(a) => match a.delegation() {
            ShelleyDelegationPart::Key(h) => Some(Credential::Key(**h)),
            ShelleyDelegationPart::Script(h) => Some(Credential::Script(**h)),
            _ => None,
        },
        _ => None,
    }
}

/// The credential of a reward account, on this network.
pub fn reward_credential(account: &[u8], network: u8) -> Result<Credential, LedgerError> {
    let wrong = || LedgerError::WrongNetworkWithdrawal(hex::encode(account));
    match Address::from_bytes(account) {
        Ok(Address::Stake(s)) => {
            if network_byte(s.network()) != network {
                return Err(wrong());
            }
            Ok(match s.payload() {
                StakePayload::Stake(h) => Credential::Key(**h),
                StakePayload::Script(h) => Credential::Script(**h),
            })
        }
        _ => Err(wrong()),
    }
}

/// The credential of a reward account, whatever network its header names (a pool's reward
/// account, paid at the epoch boundary).
pub fn account_credential(account: &[u8]) -> Option<Credential> {
    let network = account.first().map_or(0, |h| h & 0x0f);
    reward_credential(account, network).ok()
}

/// The reward address of a credential (header 0xe0/0xf0 | network).
pub fn reward_address(network: u8, c: &Credential) -> Vec<u8> {
    let (tag, h) = match c {
        Credential::Key(h) => (0xe0, h),
        Credential::Script(h) => (0xf0, h),
    };
    let mut v = vec![tag | (network & 0x0f)];
    v.extend_from_slice(h);
    v
}
