//! A test PKI made fresh by each test (feature `test-pki`): a CA, the
//! centre's server certificate for `localhost` / `127.0.0.1`, a client CA
//! and a terminal's client certificate, written as PEM files (keys 0600)
//! into a folder the test owns. Variants make the certificates a
//! misconfigured link meets: another CA, expired, not yet valid, another
//! host's name.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use crate::Error;

/// How the server certificate is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerCert {
    /// Valid now, for `localhost` and `127.0.0.1`.
    #[default]
    Good,
    /// Expired last year.
    Expired,
    /// Valid only from next year.
    NotYetValid,
    /// For `centre.example` only.
    OtherName,
}

/// The files of one PKI.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The CA that signs the centre's certificate.
    pub ca: PathBuf,
    /// The centre's certificate (PEM).
    pub server_cert: PathBuf,
    /// The centre's key (PEM).
    pub server_key: PathBuf,
    /// The CA that signs terminals' client certificates.
    pub client_ca: PathBuf,
    /// A terminal's client certificate.
    pub client_cert: PathBuf,
    /// Its key (0600).
    pub client_key: PathBuf,
    /// A CA that signed nothing here (a wrong `ca_file`).
    pub other_ca: PathBuf,
}

/// The current year from the system clock, which TLS verification uses.
fn current_year() -> i32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    1970 + (secs / 31_556_952) as i32
}

fn tls(e: rcgen::Error) -> Error {
    Error::Tls(e.to_string())
}

fn ca(name: &str) -> Result<(CertificateParams, KeyPair, String), Error> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(tls)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().map_err(tls)?;
    let pem = params.self_signed(&key).map_err(tls)?.pem();
    Ok((params, key, pem))
}

fn write(path: &Path, text: &str, private: bool) -> Result<(), Error> {
    std::fs::write(path, text)?;
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = private;
    Ok(())
}

impl TestPki {
    /// Makes a PKI in `dir` with the server certificate `server`.
    pub fn create(dir: &Path, server: ServerCert) -> Result<TestPki, Error> {
        let (ca_params, ca_key, ca_pem) = ca("医保测试根CA")?;
        let ca_issuer = Issuer::new(ca_params, ca_key);
        let names = match server {
            ServerCert::OtherName => vec!["centre.example".to_string()],
            _ => vec!["localhost".to_string(), "127.0.0.1".to_string()],
        };
        let mut params = CertificateParams::new(names).map_err(tls)?;
        let this_year = current_year();
        match server {
            ServerCert::Expired => {
                params.not_before = rcgen::date_time_ymd(this_year - 3, 1, 1);
                params.not_after = rcgen::date_time_ymd(this_year - 1, 1, 1);
            }
            ServerCert::NotYetValid => {
                params.not_before = rcgen::date_time_ymd(this_year + 5, 1, 1);
                params.not_after = rcgen::date_time_ymd(this_year + 6, 1, 1);
            }
            _ => {
                params.not_before = rcgen::date_time_ymd(this_year - 1, 1, 1);
                params.not_after = rcgen::date_time_ymd(this_year + 20, 1, 1);
            }
        }
        let server_key = KeyPair::generate().map_err(tls)?;
        let server_pem = params
            .signed_by(&server_key, &ca_issuer)
            .map_err(tls)?
            .pem();

        let (client_ca_params, client_ca_key, client_ca_pem) = ca("医保测试终端CA")?;
        let client_issuer = Issuer::new(client_ca_params, client_ca_key);
        let mut client = CertificateParams::new(Vec::<String>::new()).map_err(tls)?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "K220100001");
        client.distinguished_name = dn;
        client.not_before = rcgen::date_time_ymd(this_year - 1, 1, 1);
        client.not_after = rcgen::date_time_ymd(this_year + 20, 1, 1);
        let client_key = KeyPair::generate().map_err(tls)?;
        let client_pem = client
            .signed_by(&client_key, &client_issuer)
            .map_err(tls)?
            .pem();

        let (_, _, other_pem) = ca("无关的CA")?;
        let pki = TestPki {
            ca: dir.join("ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
            client_ca: dir.join("client-ca.pem"),
            client_cert: dir.join("terminal.pem"),
            client_key: dir.join("terminal.key"),
            other_ca: dir.join("other-ca.pem"),
        };
        write(&pki.ca, &ca_pem, false)?;
        write(&pki.server_cert, &server_pem, false)?;
        write(&pki.server_key, &server_key.serialize_pem(), true)?;
        write(&pki.client_ca, &client_ca_pem, false)?;
        write(&pki.client_cert, &client_pem, false)?;
        write(&pki.client_key, &client_key.serialize_pem(), true)?;
        write(&pki.other_ca, &other_pem, false)?;
        Ok(pki)
    }

    /// The centre's TLS configuration, requiring client certificates of
    /// the client CA when `mutual`.
    pub fn server_config(&self, mutual: bool) -> Result<rustls::ServerConfig, Error> {
        let cert = std::fs::read(&self.server_cert)?;
        let key = std::fs::read(&self.server_key)?;
        let client_ca = if mutual {
            Some(std::fs::read(&self.client_ca)?)
        } else {
            None
        };
        crate::tls_server_config(&cert, &key, client_ca.as_deref())
    }
}
