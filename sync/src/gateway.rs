//! Gateway headers. Provincial gateways in front of the platform
//! authenticate each HTTP request with headers carrying a service id, a
//! timestamp, a nonce and a signature over them with a shared secret. The
//! header names and the digest differ by province, so both are
//! configuration; the signature is
//!
//! ```text
//! hex( HMAC-<digest>( secret, service_id "\n" timestamp "\n" nonce "\n" path "\n" hex(<digest>(body)) ) )
//! ```
//!
//! with `timestamp` in Unix seconds, `nonce` 32 hex digits, `path` the
//! request path (`/fsi/api/1101`). The same code checks them on the
//! reference centre ([`GatewayCheck`]): a stale timestamp (more than
//! 5 minutes away from the centre's clock) or a nonce seen before is
//! refused.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::link::{LinkProblem, check_private_file};

/// Unix seconds of a local wall-clock time (the kiosk's and the centre's
/// clocks give local time; the gateway's timestamp is UTC-based).
pub fn unix_time(local: chrono::NaiveDateTime) -> i64 {
    use chrono::TimeZone as _;
    chrono::Local
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.timestamp())
        .unwrap_or_else(|| local.and_utc().timestamp())
}

/// The digest of the gateway signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayDigest {
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SM3.
    Sm3,
}

impl GatewayDigest {
    /// From the configuration's name (`sha256`, `sm3`).
    pub fn parse(name: &str) -> Option<GatewayDigest> {
        match name.to_ascii_lowercase().as_str() {
            "sha256" | "sha-256" => Some(GatewayDigest::Sha256),
            "sm3" => Some(GatewayDigest::Sm3),
            _ => None,
        }
    }
}

/// The header names a gateway expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayHeaders {
    /// Service (application) id header.
    pub service_id: String,
    /// Timestamp header.
    pub timestamp: String,
    /// Nonce header.
    pub nonce: String,
    /// Signature header.
    pub signature: String,
}

impl Default for GatewayHeaders {
    fn default() -> Self {
        GatewayHeaders {
            service_id: "x-tif-paasid".into(),
            timestamp: "x-tif-timestamp".into(),
            nonce: "x-tif-nonce".into(),
            signature: "x-tif-signature".into(),
        }
    }
}

/// The gateway settings of the kiosk's `[central.gateway]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewaySettings {
    /// The service id the province issued.
    pub service_id: String,
    /// File holding the shared secret (mode 0600).
    pub secret_file: PathBuf,
    /// The digest.
    pub digest: GatewayDigest,
    /// The header names.
    pub headers: GatewayHeaders,
}

/// Signs (kiosk) and checks (centre) gateway headers.
#[derive(Clone)]
pub struct GatewaySigner {
    service_id: String,
    secret: Vec<u8>,
    digest: GatewayDigest,
    headers: GatewayHeaders,
}

impl std::fmt::Debug for GatewaySigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewaySigner")
            .field("service_id", &self.service_id)
            .field("digest", &self.digest)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

impl GatewaySettings {
    /// Reads the secret and builds the signer, or says what is wrong.
    pub fn load(&self) -> Result<GatewaySigner, LinkProblem> {
        if self.service_id.trim().is_empty() {
            return Err(LinkProblem::new(
                "[central.gateway] service_id",
                None,
                "为空",
                "填写省平台网关分配的服务编号",
            ));
        }
        if let Some(p) = check_private_file("[central.gateway] secret_file", &self.secret_file) {
            return Err(p);
        }
        let secret = std::fs::read_to_string(&self.secret_file).map_err(|_| {
            LinkProblem::new(
                "[central.gateway] secret_file",
                Some(&self.secret_file),
                "无法读取网关密钥",
                "把省平台网关分配的密钥写入该文件（一行）",
            )
        })?;
        let secret = secret.trim();
        if secret.len() < 16 {
            return Err(LinkProblem::new(
                "[central.gateway] secret_file",
                Some(&self.secret_file),
                "网关密钥过短（至少 16 个字符）",
                "把省平台网关分配的完整密钥写入该文件",
            ));
        }
        Ok(GatewaySigner::new(
            &self.service_id,
            secret.as_bytes(),
            self.digest,
            self.headers.clone(),
        ))
    }
}

impl GatewaySigner {
    /// A signer from its parts.
    pub fn new(
        service_id: &str,
        secret: &[u8],
        digest: GatewayDigest,
        headers: GatewayHeaders,
    ) -> GatewaySigner {
        GatewaySigner {
            service_id: service_id.to_string(),
            secret: secret.to_vec(),
            digest,
            headers,
        }
    }

    /// The header names.
    pub fn headers(&self) -> &GatewayHeaders {
        &self.headers
    }

    fn body_digest(&self, body: &[u8]) -> String {
        match self.digest {
            GatewayDigest::Sha256 => hex::encode(Sha256::digest(body)),
            GatewayDigest::Sm3 => hex::encode(sm3::Sm3::digest(body)),
        }
    }

    fn signed_text(&self, timestamp: &str, nonce: &str, path: &str, body: &[u8]) -> String {
        format!(
            "{}\n{timestamp}\n{nonce}\n{path}\n{}",
            self.service_id,
            self.body_digest(body)
        )
    }

    fn mac(&self, timestamp: &str, nonce: &str, path: &str, body: &[u8]) -> Result<Vec<u8>, Error> {
        let text = self.signed_text(timestamp, nonce, path, body);
        let bad_key = |_| Error::Config("unusable gateway secret".into());
        Ok(match self.digest {
            GatewayDigest::Sha256 => {
                let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).map_err(bad_key)?;
                mac.update(text.as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
            GatewayDigest::Sm3 => {
                let mut mac = Hmac::<sm3::Sm3>::new_from_slice(&self.secret).map_err(bad_key)?;
                mac.update(text.as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
        })
    }

    /// Whether `given` is the MAC of these fields (constant-time, by the
    /// `hmac` crate's own comparison).
    fn verify(&self, timestamp: &str, nonce: &str, path: &str, body: &[u8], given: &[u8]) -> bool {
        let text = self.signed_text(timestamp, nonce, path, body);
        match self.digest {
            GatewayDigest::Sha256 => Hmac::<Sha256>::new_from_slice(&self.secret)
                .map(|mut mac| {
                    mac.update(text.as_bytes());
                    mac.verify_slice(given).is_ok()
                })
                .unwrap_or(false),
            GatewayDigest::Sm3 => Hmac::<sm3::Sm3>::new_from_slice(&self.secret)
                .map(|mut mac| {
                    mac.update(text.as_bytes());
                    mac.verify_slice(given).is_ok()
                })
                .unwrap_or(false),
        }
    }

    /// The four headers (name, value) of one request.
    pub fn sign(
        &self,
        unix_time: i64,
        nonce: &str,
        path: &str,
        body: &[u8],
    ) -> Result<Vec<(String, String)>, Error> {
        let timestamp = unix_time.to_string();
        let signature = hex::encode(self.mac(&timestamp, nonce, path, body)?);
        Ok(vec![
            (self.headers.service_id.clone(), self.service_id.clone()),
            (self.headers.timestamp.clone(), timestamp),
            (self.headers.nonce.clone(), nonce.to_string()),
            (self.headers.signature.clone(), signature),
        ])
    }
}

/// Why the centre refuses a request's gateway headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayRefusal {
    /// A header is missing or not the expected shape.
    Missing,
    /// The service id is not the registered one.
    UnknownService,
    /// The timestamp is more than the allowed skew away.
    Stale,
    /// The nonce was used before.
    Replayed,
    /// The signature does not match.
    BadSignature,
}

impl GatewayRefusal {
    /// Stable code in the gateway's answer body.
    pub fn code(self) -> &'static str {
        match self {
            GatewayRefusal::Missing => "missing_headers",
            GatewayRefusal::UnknownService => "unknown_service",
            GatewayRefusal::Stale => "stale_timestamp",
            GatewayRefusal::Replayed => "replayed_nonce",
            GatewayRefusal::BadSignature => "bad_signature",
        }
    }
}

/// The centre's side: checks headers, remembers nonces for twice the
/// allowed skew (bounded).
#[derive(Debug)]
pub struct GatewayCheck {
    signer: GatewaySigner,
    max_skew_s: i64,
    seen: Mutex<HashMap<String, i64>>,
}

/// Nonces remembered at most (older ones are forgotten first).
const MAX_NONCES: usize = 100_000;

impl GatewayCheck {
    /// Checks with `signer`'s secret; timestamps more than `max_skew_s`
    /// seconds away are stale.
    pub fn new(signer: GatewaySigner, max_skew_s: i64) -> GatewayCheck {
        GatewayCheck {
            signer,
            max_skew_s,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Checks one request's headers (`get` looks a header up by name).
    pub fn check(
        &self,
        get: impl Fn(&str) -> Option<String>,
        now_unix: i64,
        path: &str,
        body: &[u8],
    ) -> Result<(), GatewayRefusal> {
        let h = &self.signer.headers;
        let (Some(service), Some(ts), Some(nonce), Some(sig)) = (
            get(&h.service_id),
            get(&h.timestamp),
            get(&h.nonce),
            get(&h.signature),
        ) else {
            return Err(GatewayRefusal::Missing);
        };
        if service != self.signer.service_id {
            return Err(GatewayRefusal::UnknownService);
        }
        let Ok(ts_value) = ts.parse::<i64>() else {
            return Err(GatewayRefusal::Missing);
        };
        if (now_unix - ts_value).abs() > self.max_skew_s {
            return Err(GatewayRefusal::Stale);
        }
        let Ok(given) = hex::decode(sig.trim()) else {
            return Err(GatewayRefusal::BadSignature);
        };
        if !self.signer.verify(&ts, &nonce, path, body, &given) {
            return Err(GatewayRefusal::BadSignature);
        }
        let mut seen = match self.seen.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let horizon = now_unix - 2 * self.max_skew_s;
        if seen.len() >= MAX_NONCES {
            seen.retain(|_, t| *t >= horizon);
        }
        if seen.contains_key(&nonce) {
            return Err(GatewayRefusal::Replayed);
        }
        seen.insert(nonce, ts_value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(digest: GatewayDigest) -> GatewaySigner {
        GatewaySigner::new(
            "svc-220100",
            b"0123456789abcdef",
            digest,
            GatewayHeaders::default(),
        )
    }

    fn lookup(headers: &[(String, String)]) -> impl Fn(&str) -> Option<String> + '_ {
        move |name| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn signed_headers_pass_once_and_replays_stale_and_tampering_do_not() {
        for digest in [GatewayDigest::Sha256, GatewayDigest::Sm3] {
            let s = signer(digest);
            let check = GatewayCheck::new(s.clone(), 300);
            let body = br#"{"infno":"1101"}"#;
            let headers = s
                .sign(
                    1_000_000,
                    "00112233445566778899aabbccddeeff",
                    "/fsi/api/1101",
                    body,
                )
                .unwrap_or_default();
            assert_eq!(headers.len(), 4);
            assert_eq!(
                check.check(lookup(&headers), 1_000_100, "/fsi/api/1101", body),
                Ok(())
            );
            assert_eq!(
                check.check(lookup(&headers), 1_000_100, "/fsi/api/1101", body),
                Err(GatewayRefusal::Replayed)
            );
            let fresh = s
                .sign(
                    1_000_000,
                    "ffeeddccbbaa99887766554433221100",
                    "/fsi/api/1101",
                    body,
                )
                .unwrap_or_default();
            assert_eq!(
                check.check(lookup(&fresh), 1_000_301, "/fsi/api/1101", body),
                Err(GatewayRefusal::Stale)
            );
            assert_eq!(
                check.check(lookup(&fresh), 1_000_000, "/fsi/api/1101", b"{}"),
                Err(GatewayRefusal::BadSignature)
            );
            let other = GatewaySigner::new(
                "svc-220100",
                b"another-secret-16",
                digest,
                GatewayHeaders::default(),
            )
            .sign(1_000_000, "0000", "/fsi/api/1101", body)
            .unwrap_or_default();
            assert_eq!(
                check.check(lookup(&other), 1_000_000, "/fsi/api/1101", body),
                Err(GatewayRefusal::BadSignature)
            );
            assert_eq!(
                check.check(|_| None, 1_000_000, "/fsi/api/1101", body),
                Err(GatewayRefusal::Missing)
            );
        }
    }
}
