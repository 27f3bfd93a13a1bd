//! The client's side of the enclave's mutual TLS: its PEM files, read and checked.

use std::fs;
use std::path::{Path, PathBuf};

use tonic::transport::{Certificate, ClientTlsConfig, Identity};

/// Why a TLS file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsFileError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file that could not be read.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A private key file with a group or other permission bit set (mode & 0o077 ≠ 0); holds its
    /// path.
    #[error("{} holds a private key but is accessible by group or others; run `chmod 600 {}`", .0.display(), .0.display())]
    Permissions(PathBuf),
    /// The file holds no `-----BEGIN ` line; holds its path.
    #[error("{}: no PEM certificate in the file", .0.display())]
    NotPem(PathBuf),
}

/// Reads a PEM file.
pub fn read_pem(path: &Path) -> Result<Vec<u8>, TlsFileError> {
    let bytes = fs::read(path).map_err(|source| TlsFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        return Err(TlsFileError::NotPem(path.to_path_buf()));
    }
    Ok(bytes)
}

/// Reads a PEM private key, refusing one that group or others can access.
pub fn read_private_key(path: &Path) -> Result<Vec<u8>, TlsFileError> {
    if slotforge_crypto::key_file::secret_permissions_warning(path).is_some() {
        return Err(TlsFileError::Permissions(path.to_path_buf()));
    }
    read_pem(path)
}

/// The client side: trust `ca` for the server named `domain`, and present `cert`/`key`.
pub fn client_config(ca: &Path, cert: &Path, key: &Path, domain: &str) -> Result<ClientTlsConfig, TlsFileError> {
    Ok(ClientTlsConfig::new()
        .domain_name(domain)
        .ca_certificate(Certificate::from_pem(read_pem(ca)?))
        .identity(Identity::from_pem(read_pem(cert)?, read_private_key(key)?)))
}
