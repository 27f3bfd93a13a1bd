//! Mutual TLS: a quick-start certificate set (`slotforge-enclave tls init`), more client
//! certificates from its CA (`tls client`), and the rustls configurations of the server and its
//! clients.

use std::fs;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use tonic::transport::{Certificate, Identity, ServerTlsConfig};

pub use slotforge_enclave_api::tls::{client_config, read_pem, read_private_key, TlsFileError};

/// Why certificates could not be made or loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// A PEM file does not read or parse.
    #[error(transparent)]
    File(#[from] TlsFileError),
    /// A file to be written already exists.
    #[error("{} already exists; choose an empty directory", .0.display())]
    Exists(PathBuf),
    /// A certificate or key could not be made.
    #[error("making certificates: {0}")]
    Generate(#[from] rcgen::Error),
    /// A client name that is not safe as a file name.
    #[error("client name {0:?} is not allowed: use 1 to 64 letters, digits, '-', '_' or '.', not starting with '.'")]
    BadName(String),
}

/// The files `tls init` writes, relative to its output directory.
pub const INIT_FILES: [&str; 6] = [
    "ca.pem",
    "ca.key",
    "server.pem",
    "server.key",
    "client.pem",
    "client.key",
];

fn write_new(path: &Path, contents: &str, secret: bool) -> Result<(), TlsError> {
    use std::io::Write;
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if secret { 0o600 } else { 0o644 });
    }
    let err = |source| TlsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = opts.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => TlsError::Exists(path.to_path_buf()),
        _ => err(e),
    })?;
    f.write_all(contents.as_bytes()).map_err(err)?;
    f.sync_all().map_err(err)
}

/// Makes a CA, a server certificate for `server_names` (DNS names or IP addresses) and a
/// client certificate with common name `client_name`, all signed by the CA, in `out`.
pub fn init(out: &Path, server_names: &[String], client_name: &str) -> Result<Vec<PathBuf>, TlsError> {
    fs::create_dir_all(out).map_err(|source| TlsError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    for f in INIT_FILES {
        if out.join(f).exists() {
            return Err(TlsError::Exists(out.join(f)));
        }
    }
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::default();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "slotforge enclave CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, &ca_key);

    let leaf = |names, cn: &str, eku| leaf(&issuer, names, cn, eku);
    let (server_pem, server_key) = leaf(
        server_names.to_vec(),
        "slotforge-enclave",
        ExtendedKeyUsagePurpose::ServerAuth,
    )?;
    let (client_pem, client_key) = leaf(Vec::new(), client_name, ExtendedKeyUsagePurpose::ClientAuth)?;
    let contents = [
        (ca_cert.pem(), false),
        (ca_key.serialize_pem(), true),
        (server_pem, false),
        (server_key, true),
        (client_pem, false),
        (client_key, true),
    ];
    let mut written = Vec::new();
    for (name, (text, secret)) in INIT_FILES.iter().zip(contents) {
        let path = out.join(name);
        write_new(&path, &text, secret)?;
        written.push(path);
    }
    Ok(written)
}

/// A certificate for `names` with common name `cn`, signed by `issuer`, and its key (PEM).
fn leaf<S: rcgen::SigningKey>(
    issuer: &Issuer<'_, S>,
    names: Vec<String>,
    cn: &str,
    eku: ExtendedKeyUsagePurpose,
) -> Result<(String, String), TlsError> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(names)?;
    params.distinguished_name.push(DnType::CommonName, cn);
    params.extended_key_usages = vec![eku];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    Ok((params.signed_by(&key, issuer)?.pem(), key.serialize_pem()))
}

/// Issues another client certificate, with common name `name`, from the CA that `tls init`
/// wrote into `dir` (ca.pem, ca.key); writes `dir/NAME.pem` and `dir/NAME.key`. Its subject,
/// `CN=NAME`, is what `[[client]]` rules and the audit log name it by.
pub fn issue_client(dir: &Path, name: &str) -> Result<Vec<PathBuf>, TlsError> {
    if !crate::leader_store::is_plain_name(name) || ["ca", "server"].contains(&name) {
        return Err(TlsError::BadName(name.into()));
    }
    let ca_key = zeroize::Zeroizing::new(read_private_key(&dir.join("ca.key"))?);
    let ca_key = KeyPair::from_pem(&String::from_utf8_lossy(&ca_key))?;
    let ca_pem = read(&dir.join("ca.pem"))?;
    let issuer = Issuer::from_ca_cert_pem(&String::from_utf8_lossy(&ca_pem), ca_key)?;
    let (pem, key) = leaf(&issuer, Vec::new(), name, ExtendedKeyUsagePurpose::ClientAuth)?;
    let (pem_path, key_path) = (dir.join(format!("{name}.pem")), dir.join(format!("{name}.key")));
    for p in [&pem_path, &key_path] {
        if p.exists() {
            return Err(TlsError::Exists(p.clone()));
        }
    }
    write_new(&pem_path, &pem, false)?;
    write_new(&key_path, &key, true)?;
    Ok(vec![pem_path, key_path])
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    Ok(read_pem(path)?)
}

/// The server side: present `cert`/`key`, and serve only clients whose certificate chains to
/// `ca` (client authentication is mandatory).
pub fn server_config(ca: &Path, cert: &Path, key: &Path) -> Result<ServerTlsConfig, TlsError> {
    Ok(ServerTlsConfig::new()
        .identity(Identity::from_pem(read(cert)?, read_private_key(key)?))
        .client_ca_root(Certificate::from_pem(read(ca)?)))
}

/// The subject of a DER certificate, as the audit log names a client ("CN=…").
pub fn subject(der: &[u8]) -> Option<String> {
    x509_parser::parse_x509_certificate(der)
        .ok()
        .map(|(_, c)| c.subject().to_string())
}
