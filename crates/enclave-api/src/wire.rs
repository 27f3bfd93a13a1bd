//! The gRPC wire types (generated from `proto/slotforge/enclave/v1/enclave.proto`) and their
//! conversions to and from the domain types, shared by the service and its clients.

use crate::refusal::RefusalReason;
use std::ops::Range;

use prost::Message;
use slotforge_crypto::kes::KesPublicKey;
use slotforge_crypto::opcert::OperationalCertificate;
use slotforge_crypto::vrf::{VrfOutput, VrfProof};
use slotforge_praos::leader::{ActiveSlotCoeff, LeaderThreshold, VrfVariant};
use slotforge_praos::nonce::Nonce;
use slotforge_praos::schedule::PraosEpoch;
use tonic::Status;

use crate::types::{BftEpoch, EpochParams, Identity, PraosIdentity, ScheduledSlot};

/// The generated protobuf messages and gRPC service/client.
#[allow(clippy::all, missing_docs)]
pub mod proto {
    tonic::include_proto!("slotforge.enclave.v1");
}

/// The protobuf codec of the enclave's service: prost's, except that a message that does not
/// decode is answered INVALID_ARGUMENT with a `malformed_request` refusal (prost's codec says
/// INTERNAL, which the .proto keeps for the enclave's own faults).
#[derive(Debug, Clone, Default)]
pub struct RefusalCodec<T, U>(tonic_prost::ProstCodec<T, U>);

/// [`RefusalCodec`]'s decoder.
#[derive(Debug, Clone, Default)]
pub struct RefusalDecoder<U>(tonic_prost::ProstDecoder<U>);

impl<T, U> tonic::codec::Codec for RefusalCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = tonic_prost::ProstEncoder<T>;
    type Decoder = RefusalDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        self.0.encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        RefusalDecoder(self.0.decoder())
    }
}

impl<U: Message + Default> tonic::codec::Decoder for RefusalDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut tonic::codec::DecodeBuf<'_>) -> Result<Option<U>, Status> {
        self.0.decode(buf).map_err(|e| {
            refusal_status(
                RefusalReason::MalformedRequest,
                format!("the message does not decode as protobuf: {}", e.message()),
                None,
            )
        })
    }

    fn buffer_settings(&self) -> tonic::codec::BufferSettings {
        self.0.buffer_settings()
    }
}

/// The longest epoch a schedule request may name (the `leaderlog` limit).
pub const MAX_EPOCH_SLOTS: u64 = 100_000_000;
/// The most BFT leaders an epoch may list.
pub const MAX_BFT_LEADERS: usize = 100_000;

/// An epoch's leadership parameters as the blockchain gives them, before the enclave turns
/// them into a threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleParams {
    /// The epoch these parameters are for, counted from 0 at the chain's start.
    pub epoch: u64,
    /// The absolute slot the epoch starts at.
    pub first_slot: u64,
    /// The number of slots in the epoch, at most [`MAX_EPOCH_SLOTS`].
    pub epoch_length: u64,
    /// The consensus the epoch runs and its leadership inputs.
    pub consensus: ScheduleConsensus,
}

/// The consensus-specific part of [`ScheduleParams`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleConsensus {
    /// Praos, CPraos or TPraos: the pool's stake test.
    Praos {
        /// The VRF construction of the epoch's era.
        variant: VrfVariant,
        /// The epoch nonce.
        nonce: Nonce,
        /// The active slot coefficient f as (numerator, denominator).
        active_slot_coeff: (u64, u64),
        /// The pool's active stake in the epoch's snapshot, in lovelace.
        pool_stake: u64,
        /// The total active stake of the snapshot, in lovelace.
        total_stake: u64,
        /// TPraos d as (numerator, denominator); (0, 1) otherwise.
        decentralisation: (u64, u64),
    },
    /// BFT: round-robin over a leader list.
    Bft {
        /// The leaders' Ed25519 verification keys in round-robin order, at most
        /// [`MAX_BFT_LEADERS`].
        leaders: Vec<[u8; 32]>,
    },
}

/// Why schedule parameters are unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad schedule parameters: {0}")]
pub struct ParamsError(pub String);

fn bad(m: impl Into<String>) -> ParamsError {
    ParamsError(m.into())
}

impl ScheduleParams {
    /// Checks the parameters and builds what the signer computes with.
    pub fn to_epoch_params(&self) -> Result<EpochParams, ParamsError> {
        if self.epoch_length == 0 || self.epoch_length > MAX_EPOCH_SLOTS {
            return Err(bad(format!(
                "epoch_length {} is not in 1..={MAX_EPOCH_SLOTS}",
                self.epoch_length
            )));
        }
        if self.first_slot.checked_add(self.epoch_length).is_none() {
            return Err(bad("first_slot + epoch_length overflows"));
        }
        Ok(match &self.consensus {
            ScheduleConsensus::Praos {
                variant,
                nonce,
                active_slot_coeff: (f_num, f_den),
                pool_stake,
                total_stake,
                decentralisation: (d_num, d_den),
            } => {
                let f = ActiveSlotCoeff::new(*f_num, *f_den).map_err(|e| bad(e.to_string()))?;
                let threshold = LeaderThreshold::new(*pool_stake, *total_stake, f).map_err(|e| bad(e.to_string()))?;
                if *d_den == 0 || d_num > d_den {
                    return Err(bad(format!("decentralisation {d_num}/{d_den} is not in [0, 1]")));
                }
                EpochParams::Praos(PraosEpoch {
                    epoch: self.epoch,
                    first_slot: self.first_slot,
                    epoch_length: self.epoch_length,
                    nonce: *nonce,
                    variant: *variant,
                    threshold,
                    decentralisation: (*d_num, *d_den),
                })
            }
            ScheduleConsensus::Bft { leaders } => {
                if leaders.is_empty() || leaders.len() > MAX_BFT_LEADERS {
                    return Err(bad(format!("a BFT epoch needs 1 to {MAX_BFT_LEADERS} leaders")));
                }
                EpochParams::Bft(BftEpoch {
                    epoch: self.epoch,
                    first_slot: self.first_slot,
                    epoch_length: self.epoch_length,
                    leaders: leaders.clone(),
                })
            }
        })
    }

    /// The request for `leader`'s won slots in `slots` (an empty range end means the epoch's end).
    pub fn to_request(&self, leader: &str, slots: Range<u64>) -> proto::ScheduleRequest {
        let consensus = match &self.consensus {
            ScheduleConsensus::Praos {
                variant,
                nonce,
                active_slot_coeff,
                pool_stake,
                total_stake,
                decentralisation,
            } => proto::schedule_request::Consensus::Praos(proto::PraosParameters {
                variant: match variant {
                    VrfVariant::TPraos => proto::VrfVariant::Tpraos,
                    VrfVariant::Praos => proto::VrfVariant::Praos,
                    VrfVariant::CPraos => proto::VrfVariant::Cpraos,
                } as i32,
                epoch_nonce: match nonce {
                    Nonce::Neutral => Vec::new(),
                    Nonce::Hash(h) => h.to_vec(),
                },
                active_slot_coeff: Some(ratio(*active_slot_coeff)),
                pool_stake: *pool_stake,
                total_stake: *total_stake,
                decentralisation: Some(ratio(*decentralisation)),
            }),
            ScheduleConsensus::Bft { leaders } => proto::schedule_request::Consensus::Bft(proto::BftParameters {
                leaders: leaders.iter().map(|l| l.to_vec()).collect(),
            }),
        };
        proto::ScheduleRequest {
            leader: leader.to_string(),
            epoch: self.epoch,
            first_slot: self.first_slot,
            epoch_length: self.epoch_length,
            from_slot: slots.start,
            to_slot: slots.end,
            consensus: Some(consensus),
        }
    }

    /// Reads a request's parameters and slot range.
    pub fn from_request(r: &proto::ScheduleRequest) -> Result<(Self, Range<u64>), ParamsError> {
        let consensus = match &r.consensus {
            None => return Err(bad("no consensus parameters (praos or bft)")),
            Some(proto::schedule_request::Consensus::Praos(p)) => {
                let variant = match proto::VrfVariant::try_from(p.variant) {
                    Ok(proto::VrfVariant::Tpraos) => VrfVariant::TPraos,
                    Ok(proto::VrfVariant::Praos) => VrfVariant::Praos,
                    Ok(proto::VrfVariant::Cpraos) => VrfVariant::CPraos,
                    _ => return Err(bad(format!("unknown VRF variant {}", p.variant))),
                };
                let nonce = match p.epoch_nonce.len() {
                    0 => Nonce::Neutral,
                    32 => Nonce::Hash(p.epoch_nonce[..].try_into().map_err(|_| bad("nonce"))?),
                    n => return Err(bad(format!("epoch_nonce has {n} bytes; 32 or none expected"))),
                };
                let f = p.active_slot_coeff.ok_or_else(|| bad("active_slot_coeff is missing"))?;
                let d = p.decentralisation.unwrap_or(proto::Ratio {
                    numerator: 0,
                    denominator: 1,
                });
                ScheduleConsensus::Praos {
                    variant,
                    nonce,
                    active_slot_coeff: (f.numerator, f.denominator),
                    pool_stake: p.pool_stake,
                    total_stake: p.total_stake,
                    decentralisation: (d.numerator, d.denominator),
                }
            }
            Some(proto::schedule_request::Consensus::Bft(b)) => ScheduleConsensus::Bft {
                leaders: b
                    .leaders
                    .iter()
                    .map(|l| {
                        <[u8; 32]>::try_from(&l[..])
                            .map_err(|_| bad(format!("a BFT leader key has {} bytes; 32 expected", l.len())))
                    })
                    .collect::<Result<_, _>>()?,
            },
        };
        let params = ScheduleParams {
            epoch: r.epoch,
            first_slot: r.first_slot,
            epoch_length: r.epoch_length,
            consensus,
        };
        let end = if r.to_slot == 0 { u64::MAX } else { r.to_slot };
        if r.from_slot > end {
            return Err(bad(format!("from_slot {} is after to_slot {}", r.from_slot, r.to_slot)));
        }
        Ok((params, r.from_slot..end))
    }
}

fn ratio((numerator, denominator): (u64, u64)) -> proto::Ratio {
    proto::Ratio { numerator, denominator }
}

impl From<&ScheduledSlot> for proto::ScheduledSlot {
    fn from(s: &ScheduledSlot) -> Self {
        proto::ScheduledSlot {
            slot: s.slot,
            vrf_output: s.output.map(|o| o.0.to_vec()).unwrap_or_default(),
            vrf_proof: s.proof.map(|p| p.0.to_vec()).unwrap_or_default(),
        }
    }
}

/// A streamed slot as the domain type; a wrong-length VRF field is a protocol error.
pub fn scheduled_slot(s: &proto::ScheduledSlot) -> Result<ScheduledSlot, ParamsError> {
    let opt = |b: &[u8], what: &str, n: usize| -> Result<Option<Vec<u8>>, ParamsError> {
        match b.len() {
            0 => Ok(None),
            l if l == n => Ok(Some(b.to_vec())),
            l => Err(bad(format!("{what} has {l} bytes; {n} expected"))),
        }
    };
    Ok(ScheduledSlot {
        slot: s.slot,
        output: opt(&s.vrf_output, "vrf_output", 64)?.map(|b| VrfOutput(b.try_into().unwrap_or([0; 64]))),
        proof: opt(&s.vrf_proof, "vrf_proof", 80)?.map(|b| VrfProof(b.try_into().unwrap_or([0; 80]))),
    })
}

impl From<(&str, &Identity)> for proto::IdentityResponse {
    fn from((leader, id): (&str, &Identity)) -> Self {
        let kind = match id {
            Identity::Praos(p) => proto::identity_response::Kind::Praos(proto::PraosIdentity {
                pool_id: p.pool_id.to_vec(),
                vrf_vkey: p.vrf_vkey.to_vec(),
                cold_vkey: p.cold_vkey.to_vec(),
                opcert: Some(proto::OperationalCertificate {
                    hot_vkey: p.opcert.hot_vkey.0.to_vec(),
                    sequence_number: p.opcert.sequence_number,
                    kes_period: p.opcert.kes_period,
                    sigma: p.opcert.sigma.to_vec(),
                }),
                kes_period: p.kes_period,
                periods_left: p.periods_left,
                slots_per_kes_period: p.slots_per_kes_period,
            }),
            Identity::Bft { vkey } => proto::identity_response::Kind::Bft(proto::BftIdentity { vkey: vkey.to_vec() }),
        };
        proto::IdentityResponse {
            leader: leader.to_string(),
            kind: Some(kind),
        }
    }
}

/// An identity response as the domain type.
pub fn identity(r: &proto::IdentityResponse) -> Result<Identity, ParamsError> {
    fn arr<const N: usize>(b: &[u8], what: &str) -> Result<[u8; N], ParamsError> {
        b.try_into()
            .map_err(|_| bad(format!("{what} has {} bytes; {N} expected", b.len())))
    }
    match &r.kind {
        Some(proto::identity_response::Kind::Praos(p)) => {
            let oc = p.opcert.as_ref().ok_or_else(|| bad("opcert is missing"))?;
            let cold_vkey = arr(&p.cold_vkey, "cold_vkey")?;
            Ok(Identity::Praos(Box::new(PraosIdentity {
                pool_id: arr(&p.pool_id, "pool_id")?,
                vrf_vkey: arr(&p.vrf_vkey, "vrf_vkey")?,
                cold_vkey,
                opcert: OperationalCertificate {
                    hot_vkey: KesPublicKey(arr(&oc.hot_vkey, "hot_vkey")?),
                    sequence_number: oc.sequence_number,
                    kes_period: oc.kes_period,
                    sigma: arr(&oc.sigma, "sigma")?,
                    cold_vkey,
                },
                kes_period: p.kes_period,
                periods_left: p.periods_left,
                slots_per_kes_period: p.slots_per_kes_period,
            })))
        }
        Some(proto::identity_response::Kind::Bft(b)) => Ok(Identity::Bft {
            vkey: arr(&b.vkey, "vkey")?,
        }),
        None => Err(bad("the identity names no consensus")),
    }
}

/// A status carrying a [`proto::Refusal`] in its details.
pub fn refusal_status(reason: RefusalReason, message: String, slot: Option<u64>) -> Status {
    let details = proto::Refusal {
        reason: reason.as_str().to_string(),
        message: message.clone(),
        slot: slot.unwrap_or(0),
    }
    .encode_to_vec();
    Status::with_details(reason.code(), message, details.into())
}

impl From<ParamsError> for Status {
    fn from(e: ParamsError) -> Self {
        refusal_status(RefusalReason::BadParameters, e.to_string(), None)
    }
}

/// The refusal a status carries, if it is one of the enclave's.
pub fn refusal(status: &Status) -> Option<proto::Refusal> {
    if status.details().is_empty() {
        return None;
    }
    proto::Refusal::decode(status.details()).ok()
}
