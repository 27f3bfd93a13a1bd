//! Operational certificate CBOR: decode arbitrary bytes; what decodes re-encodes to a value
//! that decodes to the same certificate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotforge_crypto::opcert::OperationalCertificate;

fuzz_target!(|data: &[u8]| {
    if let Ok(cert) = OperationalCertificate::from_cbor(data) {
        let again = OperationalCertificate::from_cbor(&cert.to_cbor()).expect("re-encoding decodes");
        assert_eq!(again, cert);
        let _ = cert.verify();
    }
});
