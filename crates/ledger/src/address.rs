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
    let wrong = || LedgerError::WrongNetworkWithdrawal {
        expected: network,
        accounts: vec![account.to_vec()],
    };
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

/// The reference's order of addresses (`Ord Addr`, for its sets of them): Shelley before
/// Byron; then network (testnet first), payment credential (scripts before keys), stake
/// reference (base by credential, then pointers, then none).
pub fn address_order(address: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(64);
    match Address::from_bytes(address) {
        Ok(Address::Shelley(a)) => {
            key.push(0);
            key.push(network_byte(a.network()));
            let (kind, h) = match a.payment() {
                ShelleyPaymentPart::Script(h) => (0, h),
                ShelleyPaymentPart::Key(h) => (1, h),
            };
            key.push(kind);
            key.extend_from_slice(h.as_ref());
            match a.delegation() {
                ShelleyDelegationPart::Script(h) => {
                    key.extend([0, 0]);
                    key.extend_from_slice(h.as_ref());
                }
                ShelleyDelegationPart::Key(h) => {
                    key.extend([0, 1]);
                    key.extend_from_slice(h.as_ref());
                }
                ShelleyDelegationPart::Pointer(p) => {
                    key.push(1);
                    for n in [p.slot(), p.tx_idx(), p.cert_idx()] {
                        key.extend(n.to_be_bytes());
                    }
                }
                ShelleyDelegationPart::Null => key.push(2),
            }
        }
        _ => {
            key.push(1);
            key.extend_from_slice(address);
        }
    }
    key
}

/// The reference's order of reward accounts (`Ord RewardAccount`): by network (testnet
/// first), then credential (script hashes before key hashes), for the sets and maps it writes.
pub fn reward_account_order(account: &[u8]) -> (u8, bool, &[u8]) {
    let header = account.first().copied().unwrap_or(0);
    (header & 0x0f, header & 0x10 == 0, account.get(1..).unwrap_or_default())
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
