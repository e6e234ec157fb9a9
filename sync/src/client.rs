//! Blocking client of the central service. One `POST` per message, the
//! national envelope around every payload, sign-in on first use and again
//! when the centre says the sign number is stale.

use std::io::Read;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use kiosk_core::clock::Clock;
use kiosk_core::enrollment::InsuredPerson;
use kiosk_core::identity::Credential;

use crate::envelope::{INFVER, OPTER_TYPE_SELF_SERVICE, Request, Response, infcode};
use crate::error::Error;
use crate::transactions::Transaction;
use crate::wire::{
    EnrollmentDetailInput, EnrollmentDetailOutput, PersonQueryData, PersonQueryInput,
    PersonQueryOutput, SignInData, SignInInput, SignInOutput,
};

/// The largest answer the client reads; anything longer is refused.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Where the centre is and who this terminal is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Base URL; messages go to `{base_url}/fsi/api/{infno}`.
    pub base_url: String,
    /// Terminal id (`opter`), also the prefix of every `msgid`.
    pub terminal_id: String,
    /// Terminal name (`opter_name`).
    pub terminal_name: String,
    /// Area code where the kiosk stands (`mdtrtarea_admvs`).
    pub area_code: String,
    /// Institution code of the service hall (`fixmedins_code`).
    pub institution_code: String,
    /// Institution name of the service hall (`fixmedins_name`).
    pub institution_name: String,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// The client. Cheap to share behind an `Arc`; calls may come from any thread.
pub struct CentralClient {
    http: reqwest::blocking::Client,
    config: ClientConfig,
    clock: Arc<dyn Clock>,
    sequence: AtomicU32,
    sign_no: Mutex<Option<String>>,
}

impl CentralClient {
    /// Builds a client; no message is sent until the first call.
    pub fn new(config: ClientConfig, clock: Arc<dyn Clock>) -> Result<CentralClient, Error> {
        let http = reqwest::blocking::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .map_err(|e| Error::Config(e.to_string()))?;
        Ok(CentralClient {
            http,
            config,
            clock,
            sequence: AtomicU32::new(0),
            sign_no: Mutex::new(None),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// A new message id: terminal id + `yyyyMMddHHmmss` + 4-digit sequence.
    pub fn next_msgid(&self) -> String {
        let seq = self.sequence.fetch_add(1, Ordering::Relaxed) % 10_000;
        format!(
            "{}{}{seq:04}",
            self.config.terminal_id,
            self.clock.now().format("%Y%m%d%H%M%S")
        )
    }

    /// Signs in (9001) and remembers the sign number.
    pub fn sign_in(&self) -> Result<String, Error> {
        let input = SignInInput {
            sign_in: SignInData {
                opter_no: self.config.terminal_id.clone(),
                mac: String::new(),
                ip: String::new(),
            },
        };
        let response: Response<SignInOutput> =
            self.exchange(Transaction::SignIn, &input, "", "", &self.next_msgid())?;
        if response.infcode != infcode::OK {
            return Err(Error::SignIn(response.err_msg.unwrap_or_default()));
        }
        let output = response
            .output
            .ok_or_else(|| Error::Malformed("9001 answer without output".into()))?;
        let sign_no = output.signinoutb.sign_no;
        if sign_no.is_empty() {
            return Err(Error::SignIn("empty sign number".into()));
        }
        if let Ok(mut guard) = self.sign_no.lock() {
            *guard = Some(sign_no.clone());
        }
        Ok(sign_no)
    }

    /// Whether the client holds a sign number.
    pub fn is_signed_in(&self) -> bool {
        self.sign_no.lock().map(|g| g.is_some()).unwrap_or(false)
    }

    /// 1101 person information for a credential.
    pub fn query_person(&self, credential: &Credential) -> Result<PersonQueryOutput, Error> {
        let data = match credential {
            Credential::EVoucher { token } => PersonQueryData {
                mdtrt_cert_type: "01".into(),
                mdtrt_cert_no: token.clone(),
                ..PersonQueryData::default()
            },
            Credential::IdDocument { number, name, kind } => PersonQueryData {
                mdtrt_cert_type: "02".into(),
                mdtrt_cert_no: number.clone(),
                psn_cert_type: crate::mapping::psn_cert_type(*kind).to_string(),
                certno: number.clone(),
                psn_name: name.clone(),
                ..PersonQueryData::default()
            },
            Credential::SocialSecurityCard {
                card_number,
                card_sn,
                ss_number,
                name,
            } => PersonQueryData {
                mdtrt_cert_type: "03".into(),
                mdtrt_cert_no: card_number.clone(),
                card_sn: card_sn.clone(),
                psn_cert_type: "01".into(),
                certno: ss_number.clone(),
                psn_name: name.clone(),
                ..PersonQueryData::default()
            },
        };
        self.call(Transaction::PersonQuery, &PersonQueryInput { data })
    }

    /// KS01 enrollment detail for a person number.
    pub fn query_enrollment_detail(&self, psn_no: &str) -> Result<EnrollmentDetailOutput, Error> {
        self.call(
            Transaction::EnrollmentDetail,
            &EnrollmentDetailInput {
                psn_no: psn_no.to_string(),
            },
        )
    }

    /// The insured person behind a credential: 1101 then KS01, mapped to
    /// the domain.
    pub fn fetch_insured_person(&self, credential: &Credential) -> Result<InsuredPerson, Error> {
        let person = self.query_person(credential)?;
        let detail = self.query_enrollment_detail(&person.baseinfo.psn_no)?;
        crate::mapping::insured_person(&person, &detail)
    }

    /// Sends one transaction with sign-in handled: signs in first when there
    /// is no sign number, and once more when the centre calls it stale. The
    /// same `msgid` is reused for the repeat, so the centre sees one message.
    fn call<I: Serialize, O: DeserializeOwned>(
        &self,
        transaction: Transaction,
        input: &I,
    ) -> Result<O, Error> {
        let msgid = self.next_msgid();
        let mut sign_no = self.current_sign_no()?;
        for attempt in 0..2 {
            let response: Response<O> = self.exchange(transaction, input, &sign_no, "", &msgid)?;
            match response.infcode {
                infcode::OK => {
                    return response
                        .output
                        .ok_or_else(|| Error::Malformed("answer without output".into()));
                }
                infcode::SIGN_NO_INVALID if attempt == 0 => {
                    sign_no = self.sign_in()?;
                }
                infcode::SIGN_NO_INVALID => {
                    return Err(Error::SignIn("sign number refused after sign-in".into()));
                }
                infcode::PERSON_NOT_FOUND => return Err(Error::PersonNotFound),
                infcode::EVOUCHER_EXPIRED => return Err(Error::EVoucherExpired),
                other => {
                    return Err(Error::Refused {
                        infcode: other,
                        message: response.err_msg.unwrap_or_default(),
                    });
                }
            }
        }
        Err(Error::SignIn("sign-in loop ended".into()))
    }

    fn current_sign_no(&self) -> Result<String, Error> {
        let existing = self.sign_no.lock().ok().and_then(|g| g.clone());
        match existing {
            Some(sign_no) => Ok(sign_no),
            None => self.sign_in(),
        }
    }

    /// One HTTP exchange: envelope out, envelope in, with size and
    /// reference checks.
    fn exchange<I: Serialize, O: DeserializeOwned>(
        &self,
        transaction: Transaction,
        input: &I,
        sign_no: &str,
        insured_area: &str,
        msgid: &str,
    ) -> Result<Response<O>, Error> {
        let request = Request {
            infno: transaction.infno().to_string(),
            msgid: msgid.to_string(),
            mdtrtarea_admvs: self.config.area_code.clone(),
            insuplc_admdvs: insured_area.to_string(),
            recer_sys_code: "KIOSK".into(),
            dev_no: self.config.terminal_id.clone(),
            dev_safe_info: String::new(),
            cainfo: String::new(),
            signtype: String::new(),
            infver: INFVER.into(),
            opter_type: OPTER_TYPE_SELF_SERVICE.into(),
            opter: self.config.terminal_id.clone(),
            opter_name: self.config.terminal_name.clone(),
            inf_time: self.clock.now().format("%Y-%m-%d %H:%M:%S").to_string(),
            fixmedins_code: self.config.institution_code.clone(),
            fixmedins_name: self.config.institution_name.clone(),
            sign_no: sign_no.to_string(),
            input,
        };
        let url = format!(
            "{}/fsi/api/{}",
            self.config.base_url.trim_end_matches('/'),
            transaction.infno()
        );
        let response = self
            .http
            .post(url)
            .json(&request)
            .send()
            .map_err(classify)?;
        let status = response.status();
        if !status.is_success() {
            return Err(Error::HttpStatus(status.as_u16()));
        }
        let mut body = Vec::new();
        response
            .take(MAX_RESPONSE_BYTES as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|e| Error::Unreachable(e.to_string()))?;
        if body.len() > MAX_RESPONSE_BYTES {
            return Err(Error::TooLarge {
                limit: MAX_RESPONSE_BYTES,
            });
        }
        let envelope: Response<O> = serde_json::from_slice(&body).map_err(|e| malformed(&e))?;
        if !envelope.inf_refmsgid.is_empty() && envelope.inf_refmsgid != msgid {
            return Err(Error::WrongReference);
        }
        Ok(envelope)
    }
}

fn classify(error: reqwest::Error) -> Error {
    if error.is_timeout() {
        Error::Timeout
    } else {
        Error::Unreachable(error.without_url().to_string())
    }
}

/// Describes a JSON error without quoting the offending value, which may be
/// personal data.
fn malformed(error: &serde_json::Error) -> Error {
    Error::Malformed(format!(
        "{:?} error at line {} column {}",
        error.classify(),
        error.line(),
        error.column()
    ))
}
