//! The secure link to the central service: TLS on rustls (ring provider,
//! TLS 1.2 minimum), the CA to trust, the client certificate for mutual
//! TLS, an optional SPKI pin, and the start-up checks that refuse a link
//! that cannot work. A TLS failure is classified into a [`LinkFault`], so
//! that a certificate set up wrong is never reported as "the network is
//! down".
//!
//! Trust: with `ca_file` the kiosk trusts exactly the CAs in that file
//! (provincial platforms use private CAs); without it the operating
//! system's trust store, through `rustls-platform-verifier` (on Debian it
//! reads `/etc/ssl/certs`, which the kiosk image updates with
//! `update-ca-certificates`, unlike a root list compiled into the binary).
//! There is no switch to turn verification off.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::error::Error;

/// What a link fault is. Each has its own error kind, staff explanation and
/// health-report name; none of them is "unreachable".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkFault {
    /// The centre's certificate is not signed by a trusted CA.
    UntrustedCertificate,
    /// The centre's certificate has expired.
    CertificateExpired,
    /// The centre's certificate is not valid yet (often: the kiosk's clock).
    CertificateNotYetValid,
    /// The centre's certificate is for another host name.
    NameMismatch,
    /// The centre's key is not the pinned one.
    PinMismatch,
    /// The centre refused the kiosk's client certificate (or its absence).
    ClientCertificateRefused,
    /// Another TLS failure (protocol version, cipher, bad certificate).
    Tls,
    /// The centre refused the envelope's signature.
    SignatureRejected,
    /// The provincial gateway refused the request's gateway signature
    /// (bad signature, stale timestamp, replayed nonce, unknown service id).
    GatewayRejected,
}

impl LinkFault {
    /// Every fault.
    pub const ALL: [LinkFault; 9] = [
        LinkFault::UntrustedCertificate,
        LinkFault::CertificateExpired,
        LinkFault::CertificateNotYetValid,
        LinkFault::NameMismatch,
        LinkFault::PinMismatch,
        LinkFault::ClientCertificateRefused,
        LinkFault::Tls,
        LinkFault::SignatureRejected,
        LinkFault::GatewayRejected,
    ];

    /// Stable name, for logs, health reports and `--json` output.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkFault::UntrustedCertificate => "untrusted_certificate",
            LinkFault::CertificateExpired => "certificate_expired",
            LinkFault::CertificateNotYetValid => "certificate_not_yet_valid",
            LinkFault::NameMismatch => "name_mismatch",
            LinkFault::PinMismatch => "pin_mismatch",
            LinkFault::ClientCertificateRefused => "client_certificate_refused",
            LinkFault::Tls => "tls",
            LinkFault::SignatureRejected => "signature_rejected",
            LinkFault::GatewayRejected => "gateway_rejected",
        }
    }

    /// What is wrong and what to do, for staff (field tools, start-up).
    pub fn explain(self) -> &'static str {
        match self {
            LinkFault::UntrustedCertificate => {
                "医保中心的服务器证书不是由信任的CA签发：检查 [central] ca_file 是否为省平台提供的CA证书"
            }
            LinkFault::CertificateExpired => {
                "医保中心的服务器证书已过期：请省平台更新证书；若证书未过期，检查本机时钟"
            }
            LinkFault::CertificateNotYetValid => {
                "医保中心的服务器证书尚未生效：多为本机时钟错误，请校准时间（NTP）"
            }
            LinkFault::NameMismatch => {
                "医保中心的服务器证书与地址中的主机名不符：检查 [central] url 的主机名"
            }
            LinkFault::PinMismatch => {
                "医保中心的公钥与 [central] pin_sha256 不符：核实省平台是否换了证书，再更新 pin"
            }
            LinkFault::ClientCertificateRefused => {
                "医保中心拒绝了本终端的客户端证书：检查 [central] client_cert / client_key 是否为省平台为本终端签发的证书"
            }
            LinkFault::Tls => "与医保中心的TLS握手失败：检查地址、端口和省平台的TLS要求",
            LinkFault::SignatureRejected => {
                "医保中心拒绝了报文签名：检查 [central] key_file 是否为在省平台登记的终端密钥，以及 [terminal] id"
            }
            LinkFault::GatewayRejected => {
                "省平台网关拒绝了请求：检查 [central.gateway] 的 service_id 和密钥文件，并校准本机时钟"
            }
        }
    }
}

impl fmt::Display for LinkFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the link's files are (from the kiosk's `[central]` section).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// PEM bundle of the CAs to trust; `None`: the system's trust store.
    pub ca_file: Option<PathBuf>,
    /// PEM certificate (chain) of this terminal, for mutual TLS.
    pub client_cert: Option<PathBuf>,
    /// PEM private key of `client_cert` (mode 0600 or stricter).
    pub client_key: Option<PathBuf>,
    /// SPKI pins of the centre's certificate: base64 of SHA-256 of the
    /// SubjectPublicKeyInfo, optionally prefixed `sha256/`. Any one may match.
    pub pin_sha256: Vec<String>,
}

/// One thing that stops the link from working, found before start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkProblem {
    /// The setting concerned, e.g. `[central] ca_file`.
    pub setting: String,
    /// The file concerned, when there is one.
    pub file: Option<PathBuf>,
    /// What is wrong.
    pub what: String,
    /// What to do.
    pub todo: String,
}

impl fmt::Display for LinkProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(
                f,
                "{} {}: {}；{}",
                self.setting,
                file.display(),
                self.what,
                self.todo
            ),
            None => write!(f, "{}: {}；{}", self.setting, self.what, self.todo),
        }
    }
}

impl LinkProblem {
    pub(crate) fn new(setting: &str, file: Option<&Path>, what: &str, todo: &str) -> LinkProblem {
        LinkProblem {
            setting: setting.to_string(),
            file: file.map(Path::to_path_buf),
            what: what.to_string(),
            todo: todo.to_string(),
        }
    }
}

/// The crypto provider of every TLS config the project builds: ring
/// (builds with the C compiler alone; aws-lc-rs would need cmake and
/// triples the build). rustls deprecates ring's provider for lacking
/// post-quantum key exchange, which no provincial platform offers.
#[allow(deprecated)]
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Installs [`provider`] as the process's default rustls provider (once;
/// later calls do nothing). reqwest is built without a provider of its own
/// (`rustls-no-provider`), so every process that builds an HTTP client —
/// the kiosk, its field tools, tests talking to the automation API — calls
/// this first; [`crate::CentralClient`] does it itself.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err: another provider was installed first; that one is used.
        let _ = Arc::unwrap_or_clone(provider()).install_default();
    });
}

/// Whether `url` is plain `http://` to a loopback address (`127.0.0.0/8`,
/// `[::1]`, `localhost`): the only plain link allowed in production.
pub fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// Refuses a secret file that others than its owner may read (wider than
/// 0600).
pub fn check_private_file(setting: &str, path: &Path) -> Option<LinkProblem> {
    match std::fs::metadata(path) {
        Err(e) => Some(LinkProblem::new(
            setting,
            Some(path),
            &format!("无法读取（{}）", io_reason(&e)),
            "把文件放到该路径，或改正配置中的路径",
        )),
        Ok(meta) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    return Some(LinkProblem::new(
                        setting,
                        Some(path),
                        &format!("权限 {mode:04o} 过宽，其他用户可读取密钥"),
                        &format!(
                            "执行 chmod 600 {}（属主为运行 kiosk 的用户）",
                            path.display()
                        ),
                    ));
                }
            }
            #[cfg(not(unix))]
            let _ = meta;
            None
        }
    }
}

fn io_reason(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => "文件不存在",
        std::io::ErrorKind::PermissionDenied => "没有读取权限",
        _ => "读取失败",
    }
}

fn read_certs(setting: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, LinkProblem> {
    let bytes = std::fs::read(path).map_err(|e| {
        LinkProblem::new(
            setting,
            Some(path),
            &format!("无法读取（{}）", io_reason(&e)),
            "把省平台提供的证书文件放到该路径，或改正配置中的路径",
        )
    })?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|_| {
            LinkProblem::new(
                setting,
                Some(path),
                "不是有效的PEM证书文件",
                "使用 PEM 格式（-----BEGIN CERTIFICATE-----）的证书",
            )
        })?;
    if certs.is_empty() {
        return Err(LinkProblem::new(
            setting,
            Some(path),
            "文件中没有证书",
            "使用 PEM 格式（-----BEGIN CERTIFICATE-----）的证书",
        ));
    }
    Ok(certs)
}

fn read_key(setting: &str, path: &Path) -> Result<PrivateKeyDer<'static>, LinkProblem> {
    if let Some(p) = check_private_file(setting, path) {
        return Err(p);
    }
    let bytes = std::fs::read(path).map_err(|e| {
        LinkProblem::new(
            setting,
            Some(path),
            &format!("无法读取（{}）", io_reason(&e)),
            "把终端私钥放到该路径，或改正配置中的路径",
        )
    })?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|_| {
        LinkProblem::new(
            setting,
            Some(path),
            "不是有效的PEM私钥",
            "使用 PEM 格式（PKCS#8、RSA 或 EC）的私钥",
        )
    })
}

/// A pin in the configuration, decoded.
fn decode_pin(pin: &str) -> Option<[u8; 32]> {
    let b64 = pin.strip_prefix("sha256/").unwrap_or(pin);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    bytes.try_into().ok()
}

/// The SPKI pin of a certificate: base64 of SHA-256 of its
/// SubjectPublicKeyInfo, as `pin_sha256` expects it.
pub fn spki_pin(cert: &CertificateDer<'_>) -> Result<String, Error> {
    let ee = webpki::EndEntityCert::try_from(cert)
        .map_err(|_| Error::Config("not an X.509 certificate".into()))?;
    let spki = ee.subject_public_key_info();
    Ok(base64::engine::general_purpose::STANDARD.encode(Sha256::digest(spki.as_ref())))
}

/// A loaded, checked link: the rustls client config to give reqwest.
#[derive(Debug, Clone)]
pub struct TlsLink {
    config: rustls::ClientConfig,
}

impl TlsLink {
    /// The rustls configuration.
    pub fn client_config(&self) -> rustls::ClientConfig {
        self.config.clone()
    }
}

impl TlsSettings {
    /// Every problem that stops these settings from working, one per
    /// setting, without connecting anywhere.
    pub fn check(&self) -> Vec<LinkProblem> {
        match self.load() {
            Ok(_) => Vec::new(),
            Err(problems) => problems,
        }
    }

    /// Loads the files and builds the TLS configuration, or says every
    /// problem found.
    pub fn load(&self) -> Result<TlsLink, Vec<LinkProblem>> {
        let mut problems = Vec::new();
        let roots = match &self.ca_file {
            Some(path) => match read_certs("[central] ca_file", path) {
                Ok(certs) => {
                    let mut store = rustls::RootCertStore::empty();
                    let (_, ignored) = store.add_parsable_certificates(certs);
                    if ignored > 0 || store.is_empty() {
                        problems.push(LinkProblem::new(
                            "[central] ca_file",
                            Some(path),
                            "有证书无法作为CA使用",
                            "使用省平台提供的CA证书（PEM）",
                        ));
                    }
                    Some(store)
                }
                Err(p) => {
                    problems.push(p);
                    None
                }
            },
            None => None,
        };
        let mut pins = Vec::new();
        for pin in &self.pin_sha256 {
            match decode_pin(pin) {
                Some(p) => pins.push(p),
                None => problems.push(LinkProblem::new(
                    "[central] pin_sha256",
                    None,
                    &format!("“{pin}”不是 SHA-256 的 base64"),
                    "用 kiosk doctor 显示的医保中心证书 pin（44 个字符的 base64）",
                )),
            }
        }
        let identity = match (&self.client_cert, &self.client_key) {
            (None, None) => None,
            (Some(_), None) => {
                problems.push(LinkProblem::new(
                    "[central] client_key",
                    None,
                    "配置了 client_cert 但没有 client_key",
                    "同时配置终端证书和它的私钥",
                ));
                None
            }
            (None, Some(_)) => {
                problems.push(LinkProblem::new(
                    "[central] client_cert",
                    None,
                    "配置了 client_key 但没有 client_cert",
                    "同时配置终端证书和它的私钥",
                ));
                None
            }
            (Some(cert_path), Some(key_path)) => {
                let certs = read_certs("[central] client_cert", cert_path);
                let key = read_key("[central] client_key", key_path);
                match (certs, key) {
                    (Ok(certs), Ok(key)) => match check_key_pair(&certs, &key) {
                        Ok(()) => Some((certs, key)),
                        Err(what) => {
                            problems.push(LinkProblem::new(
                                "[central] client_key",
                                Some(key_path),
                                what,
                                &format!(
                                    "使用与 {} 配对的私钥（省平台签发证书时的那把密钥）",
                                    cert_path.display()
                                ),
                            ));
                            None
                        }
                    },
                    (certs, key) => {
                        problems.extend(certs.err());
                        problems.extend(key.err());
                        None
                    }
                }
            }
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        match build_client_config(roots, pins, identity) {
            Ok(config) => Ok(TlsLink { config }),
            Err(e) => Err(vec![LinkProblem::new(
                "[central]",
                None,
                &format!("无法建立TLS配置（{e}）"),
                "检查证书和私钥的格式与算法",
            )]),
        }
    }
}

fn check_key_pair(
    certs: &[CertificateDer<'static>],
    key: &PrivateKeyDer<'static>,
) -> Result<(), &'static str> {
    let signing = provider()
        .key_provider
        .load_private_key(key.clone_key())
        .map_err(|_| "私钥的算法不受支持")?;
    rustls::sign::CertifiedKey::new(certs.to_vec(), signing)
        .keys_match()
        .map_err(|_| "私钥与证书不匹配")
}

fn build_client_config(
    roots: Option<rustls::RootCertStore>,
    pins: Vec<[u8; 32]>,
    identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
) -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = provider();
    let inner: Arc<dyn ServerCertVerifier> = match roots {
        Some(roots) => rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::clone(&provider),
        )
        .build()
        .map_err(|e| rustls::Error::General(e.to_string()))?,
        None => Arc::new(
            rustls_platform_verifier::Verifier::new(Arc::clone(&provider))
                .map_err(|e| rustls::Error::General(e.to_string()))?,
        ),
    };
    let verifier: Arc<dyn ServerCertVerifier> = if pins.is_empty() {
        inner
    } else {
        Arc::new(PinningVerifier { inner, pins })
    };
    // TLS 1.2 minimum: the provider's safe defaults are TLS 1.2 and 1.3.
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    match identity {
        Some((certs, key)) => builder.with_client_auth_cert(certs, key),
        None => Ok(builder.with_no_client_auth()),
    }
}

/// The error a pin mismatch carries inside rustls's certificate error.
#[derive(Debug)]
pub struct PinMismatch;

impl fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the centre's public key does not match pin_sha256")
    }
}

impl std::error::Error for PinMismatch {}

/// Full verification first (chain, dates, name), then the SPKI pin.
#[derive(Debug)]
struct PinningVerifier {
    inner: Arc<dyn ServerCertVerifier>,
    pins: Vec<[u8; 32]>,
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verified = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        let ee = webpki::EndEntityCert::try_from(end_entity)
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        let digest: [u8; 32] = Sha256::digest(ee.subject_public_key_info().as_ref()).into();
        if self.pins.contains(&digest) {
            Ok(verified)
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                rustls::OtherError(Arc::new(PinMismatch)),
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Finds the TLS failure in an error's source chain, if there is one.
pub fn classify_tls(error: &(dyn std::error::Error + 'static)) -> Option<(LinkFault, String)> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    for _ in 0..16 {
        let e = current?;
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(fault_of(tls));
        }
        // An I/O error's `source()` skips the error it wraps: descend
        // through `get_ref` (TLS errors arrive as io::Error(io::Error(rustls))).
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
        {
            current = Some(inner as &(dyn std::error::Error + 'static));
            continue;
        }
        current = e.source();
    }
    None
}

fn fault_of(error: &rustls::Error) -> (LinkFault, String) {
    use rustls::AlertDescription as A;
    let fault = match error {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                LinkFault::UntrustedCertificate
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                LinkFault::CertificateExpired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                LinkFault::CertificateNotYetValid
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                LinkFault::NameMismatch
            }
            CertificateError::Other(other) if other.0.downcast_ref::<PinMismatch>().is_some() => {
                LinkFault::PinMismatch
            }
            _ => LinkFault::Tls,
        },
        rustls::Error::AlertReceived(
            A::CertificateRequired
            | A::BadCertificate
            | A::UnknownCA
            | A::CertificateUnknown
            | A::CertificateRevoked
            | A::CertificateExpired
            | A::UnsupportedCertificate
            | A::AccessDenied,
        ) => LinkFault::ClientCertificateRefused,
        _ => LinkFault::Tls,
    };
    // rustls errors name certificates' problems, never message content.
    (fault, error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_http_is_recognised() {
        assert!(is_loopback_http("http://127.0.0.1:8080"));
        assert!(is_loopback_http("http://127.3.4.5/fsi"));
        assert!(is_loopback_http("http://localhost:1"));
        assert!(is_loopback_http("http://[::1]:9"));
        assert!(!is_loopback_http("https://127.0.0.1"));
        assert!(!is_loopback_http("http://10.1.2.3:8080"));
        assert!(!is_loopback_http("http://127.0.0.1.evil.example/"));
        assert!(!is_loopback_http("http://localhost.example:80"));
    }

    #[test]
    fn pins_decode_with_and_without_prefix() {
        let pin = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert_eq!(decode_pin(&pin), Some([7u8; 32]));
        assert_eq!(decode_pin(&format!("sha256/{pin}")), Some([7u8; 32]));
        assert_eq!(decode_pin("abc"), None);
    }

    #[test]
    fn missing_files_are_each_one_problem() {
        let settings = TlsSettings {
            ca_file: Some("/nonexistent/ca.pem".into()),
            client_cert: Some("/nonexistent/cert.pem".into()),
            client_key: Some("/nonexistent/key.pem".into()),
            pin_sha256: vec!["nope".into()],
        };
        let problems = settings.check();
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(
            problems[0]
                .to_string()
                .contains("ca_file /nonexistent/ca.pem")
        );
        assert!(problems.iter().any(|p| p.setting == "[central] pin_sha256"));
    }
}
