//! Prometheus metrics of the leadership module.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LeaderLabels {
    leader: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    leader: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MissedLabels {
    leader: String,
    reason: String,
}

/// The metrics leadership updates.
pub struct Metrics {
    assigned: Family<LeaderLabels, Counter>,
    blocks: Family<OutcomeLabels, Counter>,
    missed: Family<MissedLabels, Counter>,
    slot_to_block: Histogram,
    schedule_seconds: Histogram,
    schedule_computations: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// The metrics, all at zero.
    pub fn new() -> Self {
        Metrics {
            assigned: Family::default(),
            blocks: Family::default(),
            missed: Family::default(),
            slot_to_block: Histogram::new(exponential_buckets(0.000_25, 2.0, 14)),
            schedule_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 16)),
            schedule_computations: Counter::default(),
        }
    }

    /// Registers these metrics into `registry` (a node's, under its `leadership` prefix): the
    /// same counters, so every registry they are in shows the same values.
    pub fn register(&self, registry: &mut Registry) {
        registry.register("slots_assigned", "Leader slots scheduled", self.assigned.clone());
        registry.register(
            "blocks",
            "Blocks by outcome: forged, adopted, orphaned, rejected, immutable",
            self.blocks.clone(),
        );
        registry.register(
            "slots_missed",
            "Leader slots not forged, by reason",
            self.missed.clone(),
        );
        registry.register(
            "slot_to_block_seconds",
            "From the start of a leader slot to the block handed to the blockchain",
            self.slot_to_block.clone(),
        );
        registry.register(
            "schedule_computation_seconds",
            "Time to stream one leader's schedule of one epoch from the enclave",
            self.schedule_seconds.clone(),
        );
        registry.register(
            "schedule_computations",
            "Schedule computations requested from the enclave (duplicates are not recomputed)",
            self.schedule_computations.clone(),
        );
    }

    /// A leader slot was scheduled for `leader`.
    pub fn slot_assigned(&self, leader: &str) {
        self.assigned
            .get_or_create(&LeaderLabels { leader: leader.into() })
            .inc();
    }

    /// One of `leader`'s blocks reached `outcome` (forged, adopted, orphaned, rejected,
    /// immutable).
    pub fn block(&self, leader: &str, outcome: &str) {
        self.blocks
            .get_or_create(&OutcomeLabels {
                leader: leader.into(),
                outcome: outcome.into(),
            })
            .inc();
    }

    /// One of `leader`'s slots was missed; `reason` is a short class (late, tip_ahead,
    /// enclave_unreachable, kes_expired, …).
    pub fn missed(&self, leader: &str, reason: &str) {
        self.missed
            .get_or_create(&MissedLabels {
                leader: leader.into(),
                reason: reason.into(),
            })
            .inc();
    }

    /// A block was handed to the blockchain `seconds` after its slot began.
    pub fn slot_to_block(&self, seconds: f64) {
        self.slot_to_block.observe(seconds);
    }

    /// A schedule computation was asked of the enclave.
    pub fn schedule_started(&self) {
        self.schedule_computations.inc();
    }

    /// A schedule stream ended after `seconds`.
    pub fn schedule_finished(&self, seconds: f64) {
        self.schedule_seconds.observe(seconds);
    }

    /// How many schedule computations were started.
    pub fn schedule_computations(&self) -> u64 {
        self.schedule_computations.get()
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut registry = Registry::with_prefix("slotforge_leadership");
        self.register(&mut registry);
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    }
}
