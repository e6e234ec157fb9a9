//! The national medical-insurance platform's message envelope
//! (devices-and-protocols.md §5). Every transaction, the platform's and the
//! kiosk's own, travels in it. Field names are the wire names.

use serde::{Deserialize, Serialize};

/// `opter_type` of a self-service terminal (自助终端).
pub const OPTER_TYPE_SELF_SERVICE: &str = "2";
/// The interface version the kiosk speaks.
pub const INFVER: &str = "V1.0";

/// A request envelope around the transaction's `input`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request<T> {
    /// Transaction code (4 characters).
    pub infno: String,
    /// Sender message id: terminal code + yyyyMMddHHmmss + sequence. Unique per
    /// message and reused on retries: it is the idempotency key.
    pub msgid: String,
    /// Area code where the citizen is served (就医地).
    pub mdtrtarea_admvs: String,
    /// Insured area code (参保地), when known.
    pub insuplc_admdvs: String,
    /// Receiving system code.
    pub recer_sys_code: String,
    /// Device number.
    pub dev_no: String,
    /// Device security information.
    pub dev_safe_info: String,
    /// Signature over the message (empty when the deployment does not sign).
    pub cainfo: String,
    /// Signature algorithm (SM2/SM3 recommended).
    pub signtype: String,
    /// Interface version.
    pub infver: String,
    /// 1 staff, 2 self-service terminal, 3 mobile.
    pub opter_type: String,
    /// Terminal id.
    pub opter: String,
    /// Terminal name.
    pub opter_name: String,
    /// Time the message was made, `yyyy-MM-dd HH:mm:ss`.
    pub inf_time: String,
    /// Institution code of the service hall.
    pub fixmedins_code: String,
    /// Institution name of the service hall.
    pub fixmedins_name: String,
    /// Sign number from sign-in (9001); empty for 9001 itself.
    pub sign_no: String,
    /// The transaction's payload.
    pub input: T,
}

/// A response envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response<T> {
    /// 0 success, negative failure.
    pub infcode: i32,
    /// The request's `msgid`.
    #[serde(default)]
    pub inf_refmsgid: String,
    /// Time the centre received the message.
    #[serde(default)]
    pub refmsg_time: String,
    /// Time the centre answered.
    #[serde(default)]
    pub respond_time: String,
    /// Error text from the centre, when `infcode` is not 0.
    #[serde(default)]
    pub err_msg: Option<String>,
    /// The transaction's output (absent on failure).
    #[serde(default = "Option::default")]
    pub output: Option<T>,
}

/// `infcode` values the reference central service uses beyond 0 / -1, so the
/// client can react to them. A province mapping may translate its own codes.
pub mod infcode {
    /// Success.
    pub const OK: i32 = 0;
    /// Generic failure; `err_msg` says why.
    pub const FAILED: i32 = -1;
    /// The sign number is unknown or stale: sign in again.
    pub const SIGN_NO_INVALID: i32 = -2;
    /// No insured person matches the credential.
    pub const PERSON_NOT_FOUND: i32 = -3;
    /// The e-voucher token has expired.
    pub const EVOUCHER_EXPIRED: i32 = -4;
    /// The request is malformed (unknown transaction, bad input).
    pub const BAD_REQUEST: i32 = -5;
    /// The envelope's signature is missing, of an unregistered key or
    /// does not verify (the platform's 签名验证失败).
    pub const SIGNATURE_INVALID: i32 = -8;
}
