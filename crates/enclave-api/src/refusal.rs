//! Why the enclave refuses: the stable reasons of the `.proto`'s table, as one enum that the
//! enclave answers with, the client decodes into, and the node acts on (`unknown_epoch`: send
//! the epoch again; `kes_expired`: the slot is missed for that reason). On the wire a reason is
//! its snake_case name; nowhere else is it a string.

use tonic::Code;

macro_rules! reasons {
    ($($variant:ident => $name:literal, $code:ident;)*) => {
        /// A refusal's stable reason (see the table at the top of `enclave.proto`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum RefusalReason {
            $(
                #[doc = concat!("`", $name, "` (`", stringify!($code), "`).")]
                $variant,
            )*
        }

        impl RefusalReason {
            /// Every reason, in the `.proto`'s order.
            pub const ALL: &'static [RefusalReason] = &[$(RefusalReason::$variant),*];

            /// The reason's name on the wire, in the audit log and in metrics.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(RefusalReason::$variant => $name,)*
                }
            }

            /// The gRPC status code a refusal of this reason is sent with.
            pub fn code(self) -> Code {
                match self {
                    $(RefusalReason::$variant => Code::$code,)*
                }
            }

            /// The reason a wire name stands for; None for a name this client does not know.
            pub fn from_wire(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(RefusalReason::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

reasons! {
    UnknownLeader => "unknown_leader", NotFound;
    MalformedRequest => "malformed_request", InvalidArgument;
    MalformedBody => "malformed_body", InvalidArgument;
    BadParameters => "bad_parameters", InvalidArgument;
    WrongConsensus => "wrong_consensus", InvalidArgument;
    SlotOutOfRange => "slot_out_of_range", InvalidArgument;
    NotAuthorized => "not_authorized", PermissionDenied;
    UnknownEpoch => "unknown_epoch", FailedPrecondition;
    NotLeader => "not_leader", FailedPrecondition;
    VrfMismatch => "vrf_mismatch", FailedPrecondition;
    ForeignBody => "foreign_body", FailedPrecondition;
    KesPeriodBeforeOpcert => "kes_period_before_opcert", FailedPrecondition;
    KesExpired => "kes_expired", FailedPrecondition;
    KesKeyPastPeriod => "kes_key_past_period", FailedPrecondition;
    SlotInFuture => "slot_in_future", FailedPrecondition;
    DoubleSign => "double_sign", Aborted;
    Regression => "regression", Aborted;
    GuardFailure => "guard_failure", Internal;
    KesStoreFailure => "kes_store_failure", Internal;
    ForgeFailure => "forge_failure", Internal;
    AuditFailure => "audit_failure", Internal;
    GuardUnavailable => "guard_unavailable", Unavailable;
}

impl std::fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reason equals its wire name (so logs, tests and JSON can compare with the name).
impl PartialEq<str> for RefusalReason {
    fn eq(&self, name: &str) -> bool {
        self.as_str() == name
    }
}

impl PartialEq<&str> for RefusalReason {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

#[cfg(test)]
mod tests {
    use super::RefusalReason;

    #[test]
    fn every_reason_round_trips_through_its_wire_name() {
        for r in RefusalReason::ALL {
            assert_eq!(RefusalReason::from_wire(r.as_str()), Some(*r));
        }
        assert_eq!(RefusalReason::from_wire("no_such_reason"), None);
    }

    #[test]
    fn the_proto_lists_every_reason() {
        let proto = include_str!("../proto/slotforge/enclave/v1/enclave.proto");
        let table = &proto[..proto.find("syntax =").unwrap()];
        for r in RefusalReason::ALL {
            assert!(table.contains(r.as_str()), "{r} is not in the .proto's table");
        }
    }
}
