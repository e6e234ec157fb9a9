//! Signed envelopes. Every request carries a signature over its
//! **canonical envelope**: the request envelope as JSON with the `cainfo`
//! member removed, object members sorted by the UTF-8 bytes of their names
//! (recursively, `input` included), no whitespace, strings written with
//! only the escapes JSON requires (non-ASCII as UTF-8), numbers as
//! serde_json writes them. The signature goes into `cainfo` as
//! `<key id>:<base64 of the DER signature>`; `signtype` names the
//! algorithm and is itself signed, as are `dev_no`, `dev_safe_info`,
//! `msgid` and `inf_time`.
//!
//! The SM2 signer uses SM2 with the SM3 digest (GB/T 32918, GM/T 0009: Z
//! value over the default distinguishing identifier `1234567812345678`),
//! RustCrypto's `sm2` crate, deterministic nonces (RFC 6979); the key id is
//! the first 8 bytes of SM3 over the uncompressed public key, in hex.
//! The reference centre checks signatures with [`Sm2Verifier`].

use std::path::Path;

use base64::Engine as _;
use serde_json::Value;
use sm2::dsa::signature::{Signer as _, Verifier as _};
use sm2::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use sm3::Digest;

use crate::error::Error;
use crate::link::{LinkProblem, check_private_file};

/// `signtype` of SM2 signatures.
pub const SIGNTYPE_SM2: &str = "SM2";
/// The SM2 distinguishing identifier (GM/T 0009 default user id).
pub const SM2_DISTID: &str = "1234567812345678";

/// Signs request envelopes.
pub trait Signer: Send + Sync {
    /// `signtype`, empty when the signer does not sign.
    fn signtype(&self) -> &str;
    /// The key id that goes in `cainfo` (and, unless configured otherwise,
    /// in `dev_safe_info`).
    fn key_id(&self) -> &str;
    /// The signature of `message`; empty when the signer does not sign.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error>;
}

/// No signature: allowed only with the simulated / loopback centre.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSigner;

impl Signer for NoSigner {
    fn signtype(&self) -> &str {
        ""
    }
    fn key_id(&self) -> &str {
        ""
    }
    fn sign(&self, _message: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(Vec::new())
    }
}

/// SM2/SM3 with the terminal's key.
pub struct Sm2Signer {
    key: sm2::dsa::SigningKey,
    key_id: String,
}

impl std::fmt::Debug for Sm2Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sm2Signer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Sm2Signer {
    /// From a secret key.
    pub fn new(secret: &sm2::SecretKey) -> Result<Sm2Signer, Error> {
        let key = sm2::dsa::SigningKey::new(SM2_DISTID, secret)
            .map_err(|_| Error::Config("unusable SM2 key".into()))?;
        let key_id = key_id(&secret.public_key());
        Ok(Sm2Signer { key, key_id })
    }

    /// From a PKCS#8 PEM file that only its owner may read (0600).
    pub fn from_file(path: &Path) -> Result<Sm2Signer, LinkProblem> {
        if let Some(problem) = check_private_file("[central] key_file", path) {
            return Err(problem);
        }
        let text = std::fs::read_to_string(path).map_err(|_| {
            LinkProblem::new(
                "[central] key_file",
                Some(path),
                "无法读取终端密钥",
                "用 kiosk keygen 生成终端密钥，或改正 key_file",
            )
        })?;
        let secret = sm2::SecretKey::from_pkcs8_pem(&text).map_err(|_| {
            LinkProblem::new(
                "[central] key_file",
                Some(path),
                "不是 SM2 私钥（PKCS#8 PEM）",
                "用 kiosk keygen 生成终端密钥",
            )
        })?;
        Sm2Signer::new(&secret).map_err(|_| {
            LinkProblem::new(
                "[central] key_file",
                Some(path),
                "SM2 私钥不可用",
                "用 kiosk keygen 重新生成终端密钥并在省平台重新登记",
            )
        })
    }

    /// The public key, for the centre's registration.
    pub fn verifying_key(&self) -> &sm2::dsa::VerifyingKey {
        self.key.verifying_key()
    }
}

impl Signer for Sm2Signer {
    fn signtype(&self) -> &str {
        SIGNTYPE_SM2
    }
    fn key_id(&self) -> &str {
        &self.key_id
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        let signature: sm2::dsa::Signature = self.key.sign(message);
        Ok(signature.to_der().as_bytes().to_vec())
    }
}

/// The key id of a public key: first 8 bytes of SM3 over its uncompressed
/// SEC1 encoding, hex.
pub fn key_id(public: &sm2::PublicKey) -> String {
    let digest = sm3::Sm3::digest(public.to_sec1_bytes());
    hex::encode(&digest[..8])
}

/// A new terminal key pair as PEM texts (PKCS#8 private key, SPKI public
/// key) and its key id. Randomness from the operating system.
pub fn generate_sm2_key() -> Result<(String, String, String), Error> {
    use sm2::elliptic_curve::Generate as _;
    let secret = sm2::SecretKey::generate();
    let private = secret
        .to_pkcs8_pem(sm2::pkcs8::LineEnding::LF)
        .map_err(|_| Error::Config("cannot encode the new key".into()))?;
    let public = secret
        .public_key()
        .to_public_key_pem(sm2::pkcs8::LineEnding::LF)
        .map_err(|_| Error::Config("cannot encode the new public key".into()))?;
    Ok((private.to_string(), public, key_id(&secret.public_key())))
}

/// Checks SM2 signatures of a registered terminal's public key.
#[derive(Debug, Clone)]
pub struct Sm2Verifier {
    key: sm2::dsa::VerifyingKey,
    key_id: String,
}

impl Sm2Verifier {
    /// From a public key.
    pub fn new(public: sm2::PublicKey) -> Result<Sm2Verifier, Error> {
        let key_id = key_id(&public);
        let key = sm2::dsa::VerifyingKey::new(SM2_DISTID, public)
            .map_err(|_| Error::Config("unusable SM2 public key".into()))?;
        Ok(Sm2Verifier { key, key_id })
    }

    /// From an SPKI PEM text (as `kiosk keygen` writes it).
    pub fn from_pem(text: &str) -> Result<Sm2Verifier, Error> {
        let public = sm2::PublicKey::from_public_key_pem(text)
            .map_err(|_| Error::Config("not an SM2 public key (SPKI PEM)".into()))?;
        Sm2Verifier::new(public)
    }

    /// The key id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Whether `signature` (DER) signs `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        sm2::dsa::Signature::from_der(signature)
            .is_ok_and(|sig| self.key.verify(message, &sig).is_ok())
    }
}

/// The bytes an envelope's signature covers (see the module docs).
pub fn signed_bytes(envelope: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    match envelope {
        Value::Object(map) => {
            let mut stripped = map.clone();
            stripped.remove("cainfo");
            write_canonical(&Value::Object(stripped), &mut out);
        }
        other => write_canonical(other, &mut out),
    }
    out
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (name, member)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_scalar(&Value::String(name.clone()), out);
                out.push(b':');
                write_canonical(member, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => write_scalar(scalar, out),
    }
}

fn write_scalar(value: &Value, out: &mut Vec<u8>) {
    // Writing a scalar JSON value into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

/// Fills `cainfo` / `signtype` of an envelope (already holding every other
/// member, `signtype` included) with `signer`'s signature.
pub fn sign_envelope(envelope: &mut Value, signer: &dyn Signer) -> Result<(), Error> {
    if signer.signtype().is_empty() {
        return Ok(());
    }
    let message = signed_bytes(envelope);
    let signature = signer.sign(&message)?;
    let cainfo = format!(
        "{}:{}",
        signer.key_id(),
        base64::engine::general_purpose::STANDARD.encode(signature)
    );
    if let Value::Object(map) = envelope {
        map.insert("cainfo".into(), Value::String(cainfo));
    }
    Ok(())
}

/// Why an envelope's signature does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureCheck {
    /// It holds.
    Valid,
    /// No `cainfo` or `signtype`.
    Missing,
    /// `signtype` is not SM2.
    UnsupportedType,
    /// The key id is not the registered terminal's.
    UnknownKey,
    /// The signature does not verify.
    Invalid,
}

/// Checks an envelope's signature against the terminal's registered key.
pub fn verify_envelope(envelope: &Value, verifier: &Sm2Verifier) -> SignatureCheck {
    let cainfo = envelope.get("cainfo").and_then(Value::as_str).unwrap_or("");
    let signtype = envelope
        .get("signtype")
        .and_then(Value::as_str)
        .unwrap_or("");
    if cainfo.is_empty() || signtype.is_empty() {
        return SignatureCheck::Missing;
    }
    if signtype != SIGNTYPE_SM2 {
        return SignatureCheck::UnsupportedType;
    }
    let Some((key, sig)) = cainfo.split_once(':') else {
        return SignatureCheck::Invalid;
    };
    if key != verifier.key_id() {
        return SignatureCheck::UnknownKey;
    }
    let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(sig) else {
        return SignatureCheck::Invalid;
    };
    if verifier.verify(&signed_bytes(envelope), &sig) {
        SignatureCheck::Valid
    } else {
        SignatureCheck::Invalid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed_key() -> sm2::SecretKey {
        let bytes: [u8; 32] = core::array::from_fn(|i| (i as u8).wrapping_mul(7).wrapping_add(1));
        sm2::SecretKey::from_slice(&bytes).unwrap_or_else(|_| unreachable!("a valid scalar"))
    }

    fn envelope() -> Value {
        serde_json::json!({
            "infno": "1101", "msgid": "K2201-A00120261204120000000001",
            "mdtrtarea_admvs": "220100", "insuplc_admdvs": "", "recer_sys_code": "KIOSK",
            "dev_no": "K2201-A001", "dev_safe_info": "", "cainfo": "", "signtype": "SM2",
            "infver": "V1.0", "opter_type": "2", "opter": "K2201-A001",
            "opter_name": "医保自助服务终端", "inf_time": "2026-12-04 12:00:00",
            "fixmedins_code": "H22010000001", "fixmedins_name": "长春市医疗保障服务大厅",
            "sign_no": "S1", "input": {"data": {"mdtrt_cert_type": "02", "b": [1, "x\"y"], "a": null}}
        })
    }

    const FIXED_CAINFO: &str = "373a45387a6e86e4:MEUCIACUdkwgsbfj+hmuHkx61LmpHwkNkzcoEtTZVDZ5PZa2AiEAw3fWvZBAYW5hYWftjKmU1hNudmFxnk28qbopWy2iIIc=";

    /// The signature test vector: fixed key and envelope → fixed bytes
    /// signed and a fixed (RFC 6979) signature; the centre's verifier
    /// accepts it and refuses it after one byte of the envelope changes.
    #[test]
    fn signature_test_vector() {
        let signed = String::from_utf8(signed_bytes(&envelope())).unwrap_or_default();
        assert_eq!(
            signed,
            concat!(
                r#"{"dev_no":"K2201-A001","dev_safe_info":"","fixmedins_code":"H22010000001","#,
                r#""fixmedins_name":"长春市医疗保障服务大厅","inf_time":"2026-12-04 12:00:00","#,
                r#""infno":"1101","infver":"V1.0","input":{"data":{"a":null,"b":[1,"x\"y"],"#,
                r#""mdtrt_cert_type":"02"}},"insuplc_admdvs":"","mdtrtarea_admvs":"220100","#,
                r#""msgid":"K2201-A00120261204120000000001","opter":"K2201-A001","#,
                r#""opter_name":"医保自助服务终端","opter_type":"2","recer_sys_code":"KIOSK","#,
                r#""sign_no":"S1","signtype":"SM2"}"#
            )
        );
        let signer = Sm2Signer::new(&fixed_key()).unwrap_or_else(|_| unreachable!());
        assert_eq!(signer.key_id(), "373a45387a6e86e4");
        let mut env = envelope();
        sign_envelope(&mut env, &signer).unwrap_or_else(|_| unreachable!());
        let cainfo = env["cainfo"].as_str().unwrap_or_default().to_string();
        assert!(cainfo.starts_with("373a45387a6e86e4:"), "{cainfo}");
        assert_eq!(
            cainfo, FIXED_CAINFO,
            "RFC 6979: the fixed vector signs to fixed bytes"
        );
        // Deterministic: the same envelope signs to the same bytes.
        let mut again = envelope();
        sign_envelope(&mut again, &signer).unwrap_or_else(|_| unreachable!());
        assert_eq!(again["cainfo"], env["cainfo"]);

        let verifier =
            Sm2Verifier::new(fixed_key().public_key()).unwrap_or_else(|_| unreachable!());
        assert_eq!(verify_envelope(&env, &verifier), SignatureCheck::Valid);
        // One byte changed anywhere that is signed: refused.
        let mut tampered = env.clone();
        tampered["input"]["data"]["mdtrt_cert_type"] = Value::String("03".into());
        assert_eq!(
            verify_envelope(&tampered, &verifier),
            SignatureCheck::Invalid
        );
        let mut tampered = env.clone();
        tampered["msgid"] = Value::String("K2201-A00120261204120000000002".into());
        assert_eq!(
            verify_envelope(&tampered, &verifier),
            SignatureCheck::Invalid
        );
        // Another key's verifier: the key id does not match.
        let other = sm2::SecretKey::from_slice(&[9u8; 32]).unwrap_or_else(|_| unreachable!());
        let other = Sm2Verifier::new(other.public_key()).unwrap_or_else(|_| unreachable!());
        assert_eq!(verify_envelope(&env, &other), SignatureCheck::UnknownKey);
        // Unsigned.
        assert_eq!(
            verify_envelope(&envelope(), &verifier),
            SignatureCheck::Missing
        );
    }

    #[test]
    fn generated_keys_round_trip_through_pem() {
        let (private, public, id) = generate_sm2_key().unwrap_or_else(|_| unreachable!());
        let secret = sm2::SecretKey::from_pkcs8_pem(&private).unwrap_or_else(|_| unreachable!());
        let signer = Sm2Signer::new(&secret).unwrap_or_else(|_| unreachable!());
        let verifier = Sm2Verifier::from_pem(&public).unwrap_or_else(|_| unreachable!());
        assert_eq!(signer.key_id(), id);
        assert_eq!(verifier.key_id(), id);
        let sig = signer.sign(b"abc").unwrap_or_default();
        assert!(verifier.verify(b"abc", &sig));
        assert!(!verifier.verify(b"abd", &sig));
    }
}
