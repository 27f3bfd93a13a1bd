//! Prometheus metrics: signatures by outcome, sign latency, and per leader the KES period and
//! the slots left before its operational certificate expires.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::signer::Signer;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LeaderLabels {
    leader: String,
}

/// The enclave's metrics registry.
pub struct Metrics {
    registry: Registry,
    signatures: Family<OutcomeLabels, Counter>,
    sign_latency: Histogram,
    kes_period: Family<LeaderLabels, Gauge>,
    kes_periods_left: Family<LeaderLabels, Gauge>,
    slots_until_expiry: Family<LeaderLabels, Gauge>,
    expiry_time: Family<LeaderLabels, Gauge>,
    leaders: Gauge,
    guard_available: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every metric at zero, registered under the `slotforge_enclave` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("slotforge_enclave");
        let signatures = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "sign_requests",
            "SignBlock requests by outcome: signed, replayed, or the refusal reason",
            signatures.clone(),
        );
        // 0.25 ms to ~1 s.
        let sign_latency = Histogram::new(exponential_buckets(0.000_25, 2.0, 13));
        registry.register(
            "sign_latency_seconds",
            "Time to answer a SignBlock request, checks and durable record included",
            sign_latency.clone(),
        );
        let kes_period = Family::<LeaderLabels, Gauge>::default();
        registry.register(
            "kes_period",
            "The absolute KES period the leader's key is at",
            kes_period.clone(),
        );
        let kes_periods_left = Family::<LeaderLabels, Gauge>::default();
        registry.register(
            "kes_periods_left",
            "KES periods, the current one included, before the leader's operational certificate expires (needs `network`)",
            kes_periods_left.clone(),
        );
        let expiry_time = Family::<LeaderLabels, Gauge>::default();
        registry.register(
            "opcert_expiry_timestamp_seconds",
            "When the leader's operational certificate expires (its KES window's end), Unix seconds (needs `network`)",
            expiry_time.clone(),
        );
        let slots_until_expiry = Family::<LeaderLabels, Gauge>::default();
        registry.register(
            "slots_until_opcert_expiry",
            "Slots left before the operational certificate's KES window ends (needs `network`)",
            slots_until_expiry.clone(),
        );
        let leaders = Gauge::default();
        registry.register("leaders", "Leaders the enclave holds", leaders.clone());
        let guard_available = Gauge::default();
        registry.register(
            "guard_available",
            "1 when the sign guard's database answers, 0 when every SignBlock is refused with guard_unavailable",
            guard_available.clone(),
        );
        guard_available.set(1);
        Metrics {
            registry,
            signatures,
            sign_latency,
            kes_period,
            kes_periods_left,
            slots_until_expiry,
            expiry_time,
            leaders,
            guard_available,
        }
    }

    /// Records whether the sign guard's database answered last.
    pub fn set_guard_available(&self, available: bool) {
        self.guard_available.set(i64::from(available));
    }

    /// Counts one SignBlock answer.
    pub fn record_sign(&self, outcome: &str, seconds: f64) {
        self.signatures
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_string(),
            })
            .inc();
        self.sign_latency.observe(seconds);
    }

    /// Renders the text exposition, refreshing the per-leader gauges from `signer` first
    /// (the slots and the time left need the signer's clock).
    pub fn render(&self, signer: &Arc<Signer>) -> String {
        for family in [
            &self.kes_period,
            &self.kes_periods_left,
            &self.slots_until_expiry,
            &self.expiry_time,
        ] {
            family.clear();
        }
        self.leaders.set(signer.leader_ids().len() as i64);
        for k in signer.kes_expiries() {
            let labels = LeaderLabels { leader: k.leader };
            let gauge = |v: u64| v.min(i64::MAX as u64) as i64;
            self.kes_period.get_or_create(&labels).set(gauge(k.kes_period));
            if let Some(left) = k.periods_left {
                self.kes_periods_left.get_or_create(&labels).set(gauge(left));
            }
            if let Some(left) = k.slots_left {
                self.slots_until_expiry.get_or_create(&labels).set(gauge(left));
            }
            if let Some(ms) = k.expires_unix_ms {
                self.expiry_time.get_or_create(&labels).set(ms.div_euclid(1000));
            }
        }
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign_guard::SignGuard;
    use crate::signer::PraosLeader;
    use slotforge_crypto::ed25519::SigningKey;
    use slotforge_crypto::kes::KesSecretKey;
    use slotforge_crypto::opcert::OperationalCertificate;
    use slotforge_crypto::vrf::VrfSecretKey;

    #[test]
    fn per_leader_gauges_follow_the_kes_state_and_the_current_slot() {
        let dir = tempfile::tempdir().unwrap();
        // The enclave's clock at slot 7000 of a chain of 1 s slots from the Unix epoch.
        struct At7000;
        impl crate::clock::WallClock for At7000 {
            fn now_ms(&self) -> i64 {
                7_000_000
            }
        }
        let history = slotforge_praos::time::EraHistory::single(0, 1000, 432_000).unwrap();
        let clock = crate::clock::SlotClock::new(history, 0, Arc::new(At7000));
        let signer = Signer::new(SignGuard::create(&dir.path().join("g.db")).unwrap());
        let signer = Arc::new(signer.with_clock(clock));
        let mut kes = KesSecretKey::from_seed(&mut [1; 32]);
        kes.evolve_to(3).unwrap();
        let opcert = OperationalCertificate::issue(&SigningKey::from_bytes(&[2; 32]), kes.public_key(), 0, 10);
        signer.add_leader(
            "p",
            PraosLeader {
                vrf: VrfSecretKey::from_seed(&[3; 32]),
                kes,
                kes_store: None,
                opcert,
                slots_per_kes_period: 100,
                max_kes_evolutions: 62,
            },
        );
        let m = Metrics::new();
        m.record_sign("signed", 0.001);
        m.record_sign("double_sign", 0.002);
        // Window: periods 10..72, i.e. slots up to 7200; the key is at period 13.
        let text = m.render(&signer);
        assert!(text.contains("slotforge_enclave_kes_period{leader=\"p\"} 13"), "{text}");
        // Slot 7000 is in period 70 of 100-slot periods: 70 and 71 are left.
        assert!(
            text.contains("slotforge_enclave_kes_periods_left{leader=\"p\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("slotforge_enclave_slots_until_opcert_expiry{leader=\"p\"} 200"),
            "{text}"
        );
        assert!(
            text.contains("slotforge_enclave_opcert_expiry_timestamp_seconds{leader=\"p\"} 7200"),
            "{text}"
        );
        assert!(text.contains("slotforge_enclave_sign_requests_total{outcome=\"double_sign\"} 1"));
        assert!(text.contains("slotforge_enclave_sign_latency_seconds_count 2"));
        // A removed leader disappears.
        signer.remove_leader("p");
        let text = m.render(&signer);
        assert!(!text.contains("leader=\"p\""), "{text}");
        assert!(text.contains("slotforge_enclave_leaders 0"));
    }
}
