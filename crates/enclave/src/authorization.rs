//! Which client may use which leader. A client is named as the audit log names it: the subject
//! of its TLS certificate (`CN=…`), or `unix` on the local socket. Without rules every client
//! the transport admits may use every leader — the simple setup of one node per enclave.

use std::collections::BTreeMap;

/// The name the Unix socket's clients have.
pub const UNIX_CLIENT: &str = "unix";

/// The leaders each client may schedule, ask the identity of, and have sign.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Authorization {
    /// None: every admitted client may use every leader.
    rules: Option<BTreeMap<String, Leaders>>,
}

/// The leaders one client may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leaders {
    /// Every leader (`"*"`).
    All,
    /// Only these leaders, by name.
    Named(Vec<String>),
}

impl Authorization {
    /// Every client the transport admits may use every leader.
    pub fn allow_all() -> Self {
        Self::default()
    }

    /// Only the listed clients, each for its leaders (`"*"` names them all).
    pub fn rules(rules: impl IntoIterator<Item = (String, Vec<String>)>) -> Self {
        let rules = rules
            .into_iter()
            .map(|(client, leaders)| {
                let leaders = if leaders.iter().any(|l| l == "*") {
                    Leaders::All
                } else {
                    Leaders::Named(leaders)
                };
                (client, leaders)
            })
            .collect();
        Authorization { rules: Some(rules) }
    }

    /// Whether `client` may use `leader`.
    pub fn allows(&self, client: &str, leader: &str) -> bool {
        let Some(rules) = &self.rules else { return true };
        match rules.get(client) {
            Some(Leaders::All) => true,
            Some(Leaders::Named(names)) => names.iter().any(|n| n == leader),
            None => false,
        }
    }

    /// Whether rules are configured (false: everyone may use everything).
    pub fn is_restricted(&self) -> bool {
        self.rules.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_name_clients_and_their_leaders() {
        assert!(Authorization::allow_all().allows("CN=anyone", "pool"));
        let a = Authorization::rules([
            ("CN=node-a".to_string(), vec!["pool-a".to_string()]),
            ("unix".to_string(), vec!["*".to_string()]),
        ]);
        assert!(a.allows("CN=node-a", "pool-a"));
        assert!(!a.allows("CN=node-a", "pool-b"));
        assert!(!a.allows("CN=node-b", "pool-a"), "an unlisted client may use nothing");
        assert!(a.allows(UNIX_CLIENT, "pool-b"));
        assert!(a.is_restricted() && !Authorization::allow_all().is_restricted());
    }
}
