//! The transactions the reference central service answers, its
//! idempotency on `msgid`, the remote-care filing rules and the fault
//! switches tests use.
//!
//! Routes: `POST /fsi/api/{infno}` (the envelope) and, for the payment a
//! citizen's phone would make, `POST /sim/premium/{order_no}` with
//! `{"result": "paid", "channel": "微信支付"}` or `{"result": "failed",
//! "reason": "余额不足"}` (service/premium.rs; also
//! [`Central::simulate_payment`] in-process).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::post;
use chrono::{Datelike, NaiveDate};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use kiosk_core::clock::Clock;
use kiosk_core::identity::mask_name;
use kiosk_sync::envelope::{Request, Response, infcode};
use kiosk_sync::gateway::GatewayCheck;
use kiosk_sync::signing::{SignatureCheck, Sm2Verifier, verify_envelope};
use kiosk_sync::transactions::{InfnoMap, Transaction};
use kiosk_sync::wire::{
    AckOutput, AgencyWire, AuditUploadInput, BaseInfo, CertificateFactsWire, CertificateIssueInput,
    CertificateIssueOutput, CertificateVerifyInput, CertificateVerifyOutput, CommitmentLetterWire,
    ContributionHistoryInput, ContributionHistoryOutput, ContributionItem, EnrollmentDetailInput,
    EnrollmentDetailItem, EnrollmentDetailOutput, FilingCancelInput, FilingChangeInput,
    FilingLetterInput, FilingLetterOutput, FilingOutput, FilingQueryInput, FilingQueryOutput,
    FilingRecord, FilingSubmitInput, FilingSuspendInput, HealthReportInput, InsuInfo,
    PersonQueryInput, PersonQueryOutput, RatingInput, RatingOutput, ReferenceDataInput,
    ReferenceDataItem, ReferenceDataOutput, SignInOutput, SignInResult, filing_status, filing_type,
};

use crate::Error;

mod chronic;
mod config;
mod ledger;
mod premium;
mod records;
use crate::data::{DemoData, DemoPerson};
use crate::db::{self, db_error, fingerprint};
pub use premium::{DEFAULT_PAY_BASE, ORDER_VALID_MINUTES, SimulatedPayment};

/// The reference dataset of pushed region profiles.
pub const REGION_PROFILES: &str = "region_profiles";

/// Largest request body accepted.
const MAX_BODY: usize = 256 * 1024;
/// Reference items per KS41 page (a page never splits a version).
const REFERENCE_PAGE: usize = 200;
/// `infcode` for a refusal by a business rule.
pub const RULE_REFUSED: i32 = -6;
/// `infcode` for a `msgid` reused with another input.
pub const MSGID_CONFLICT: i32 = -7;

/// How the centre runs.
#[derive(Debug, Clone)]
pub struct CentralOptions {
    /// Database file; `None` keeps everything in memory.
    pub db: Option<PathBuf>,
    /// Days after filing during which a long-term remote-care filing can be
    /// neither changed nor cancelled.
    pub filing_lock_days: u32,
    /// The deployment's transaction codes.
    pub infno: InfnoMap,
    /// HTTP worker threads (1: one thread serves everything).
    pub worker_threads: usize,
    /// Key of the certificate signatures (HMAC-SHA256; only the centre
    /// holds it).
    pub certificate_key: Vec<u8>,
    /// Registered terminals' public keys by `dev_no`: envelopes from these
    /// terminals must carry a valid SM2 signature.
    pub terminal_keys: std::collections::HashMap<String, Sm2Verifier>,
    /// Every envelope must be signed by a registered terminal (else only
    /// the registered terminals' are checked).
    pub require_signatures: bool,
    /// Gateway headers required on every request.
    pub gateway: Option<Arc<GatewayCheck>>,
    /// How long dated filings must run, from the region profile.
    pub filing_limits: crate::FilingLimits,
    /// Base of the payment page a KS52 order's QR code points to:
    /// `{pay_base}/{order_no}` (default [`DEFAULT_PAY_BASE`], a reserved
    /// domain).
    pub pay_base: String,
}

/// The reference centre's certificate key. Demo only: a real centre keeps
/// its key in its own key store.
pub const DEMO_CERTIFICATE_KEY: &[u8] = b"kiosk-central-demo-certificate-key";

impl Default for CentralOptions {
    fn default() -> Self {
        CentralOptions {
            db: None,
            filing_lock_days: 180,
            infno: InfnoMap::defaults(),
            worker_threads: 2,
            certificate_key: DEMO_CERTIFICATE_KEY.to_vec(),
            terminal_keys: std::collections::HashMap::new(),
            require_signatures: false,
            gateway: None,
            filing_limits: crate::FilingLimits::builtin(),
            pay_base: DEFAULT_PAY_BASE.to_string(),
        }
    }
}

/// Fault switches for tests. Counters apply to the next N messages.
#[derive(Debug, Default)]
pub struct Faults {
    latency_ms: AtomicU64,
    fail_next: AtomicU32,
    drop_next: AtomicU32,
    drop_after_commit_next: AtomicU32,
    refuse_sign_no: AtomicBool,
    unreachable: AtomicBool,
    cut_next: AtomicU32,
    cut_only: Mutex<Option<String>>,
    garbage_next: AtomicU32,
    hollow_next: AtomicU32,
}

fn take(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

impl Faults {
    /// Delays every answer.
    pub fn set_latency(&self, latency: Duration) {
        self.latency_ms
            .store(latency.as_millis() as u64, Ordering::SeqCst);
    }

    /// Answers the next `n` messages with HTTP 500, applying nothing.
    pub fn fail_next(&self, n: u32) {
        self.fail_next.store(n, Ordering::SeqCst);
    }

    /// Drops the connection of the next `n` messages before applying them.
    pub fn drop_next(&self, n: u32) {
        self.drop_next.store(n, Ordering::SeqCst);
    }

    /// Applies the next `n` command messages (sign-in and queries do not
    /// count), then drops the connection instead of answering: the answer
    /// is lost, the effect is not.
    pub fn drop_after_commit_next(&self, n: u32) {
        self.drop_after_commit_next.store(n, Ordering::SeqCst);
    }

    /// Refuses every sign number (answers -2) while set.
    pub fn set_refuse_sign_numbers(&self, on: bool) {
        self.refuse_sign_no.store(on, Ordering::SeqCst);
    }

    /// Drops every connection while set: a network partition.
    pub fn set_unreachable(&self, on: bool) {
        self.unreachable.store(on, Ordering::SeqCst);
    }

    /// Applies the next `n` messages (of transaction `infno` only, when
    /// given: the code in the URL, e.g. `KS11`), then sends the answer's
    /// headers and the first half of its body and closes the connection:
    /// the effect is kept, the answer is cut in the middle.
    pub fn cut_next(&self, n: u32, infno: Option<&str>) {
        *self.cut_only.lock().unwrap_or_else(|p| p.into_inner()) = infno.map(str::to_string);
        self.cut_next.store(n, Ordering::SeqCst);
    }

    /// Answers the next `n` messages with HTTP 200 and a body that is not
    /// JSON (a proxy's error page), applying nothing.
    pub fn garbage_next(&self, n: u32) {
        self.garbage_next.store(n, Ordering::SeqCst);
    }

    /// Answers the next `n` messages that succeed with `infcode` 0 and an
    /// empty output object (`"output": {}`): every output field missing.
    /// Queries only change nothing; a command is applied.
    pub fn hollow_next(&self, n: u32) {
        self.hollow_next.store(n, Ordering::SeqCst);
    }

    /// Whether the answer to `infno` is to be cut (takes one from the
    /// counter when it is).
    fn take_cut(&self, infno: &str) -> bool {
        let only = self
            .cut_only
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match only {
            Some(wanted) if wanted != infno => false,
            _ => take(&self.cut_next),
        }
    }

    /// Clears every switch.
    pub fn clear(&self) {
        self.set_latency(Duration::ZERO);
        self.fail_next(0);
        self.drop_next(0);
        self.drop_after_commit_next(0);
        self.set_refuse_sign_numbers(false);
        self.set_unreachable(false);
        self.cut_next(0, None);
        self.garbage_next(0);
        self.hollow_next(0);
    }
}

/// The service state: the people it knows, the sign numbers it issued,
/// its database and its fault switches.
pub struct Central {
    data: DemoData,
    clock: Arc<dyn Clock>,
    sign_nos: Mutex<HashSet<String>>,
    counter: AtomicU64,
    db: Mutex<Connection>,
    options: CentralOptions,
    faults: Faults,
    repeats: AtomicU64,
    received: AtomicU64,
    signature_refusals: AtomicU64,
    gateway_refusals: AtomicU64,
}

type Answer = (i32, Option<Value>, Option<String>);

/// What a handler decided: an answer, or an internal failure (HTTP 500,
/// nothing stored, the sender may repeat).
type Handled = Result<Answer, Error>;

impl Central {
    /// A centre answering from `data` (already parsed; `seed_text` is
    /// stored in the database when given), with time from `clock`.
    pub fn open(
        data: DemoData,
        seed_name: &str,
        seed_text: Option<&str>,
        clock: Arc<dyn Clock>,
        options: CentralOptions,
    ) -> Result<Central, Error> {
        let mut conn = db::open(options.db.as_deref())?;
        let now = clock.now().format("%Y-%m-%d %H:%M:%S").to_string();
        db::load_seed(&mut conn, seed_name, seed_text, &data, &now)?;
        Ok(Central {
            data,
            clock,
            sign_nos: Mutex::new(HashSet::new()),
            counter: AtomicU64::new(0),
            db: Mutex::new(conn),
            options,
            faults: Faults::default(),
            repeats: AtomicU64::new(0),
            received: AtomicU64::new(0),
            signature_refusals: AtomicU64::new(0),
            gateway_refusals: AtomicU64::new(0),
        })
    }

    /// Opens the centre with `options.db`: seeded from `seed` (file name,
    /// text) when given, else from the seed stored in the database, else
    /// from the built-in demo data. The seed used is stored.
    pub fn open_seeded(
        seed: Option<(String, String)>,
        clock: Arc<dyn Clock>,
        options: CentralOptions,
    ) -> Result<Central, Error> {
        let stored = match options.db.as_deref() {
            Some(path) => db::stored_seed(&db::open(Some(path))?)?,
            None => None,
        };
        let (name, text) = seed.or(stored).unwrap_or_else(|| {
            (
                crate::data::BUILTIN_NAME.to_string(),
                crate::data::BUILTIN_TEXT.to_string(),
            )
        });
        let data = DemoData::parse(&name, &text)?;
        Central::open(data, &name, Some(&text), clock, options)
    }

    /// The options it runs with.
    pub fn options(&self) -> &CentralOptions {
        &self.options
    }

    /// The fault switches.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Repeated command messages answered from the stored answer (not
    /// applied again) since start.
    pub fn repeats_answered(&self) -> u64 {
        self.repeats.load(Ordering::Relaxed)
    }

    /// The demo data in use.
    pub fn data(&self) -> &DemoData {
        &self.data
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        match self.db.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Runs a read-only query on the database (for tests and tools).
    pub fn query_db<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, Error> {
        f(&self.conn()).map_err(db_error)
    }

    /// The health reports (KS31) of `terminal`, oldest first, as sent.
    pub fn health_reports(&self, terminal: &str) -> Result<Vec<HealthReportInput>, Error> {
        let bodies = self.query_db(|c| {
            let mut stmt =
                c.prepare("SELECT body FROM health_report WHERE terminal = ?1 ORDER BY id")?;
            let rows = stmt.query_map([terminal], |r| r.get::<_, String>(0))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        Ok(bodies
            .iter()
            .filter_map(|b| serde_json::from_str(b).ok())
            .collect())
    }

    /// Publishes (adds or changes) a reference item under a new version.
    pub fn publish_reference(
        &self,
        dataset: &str,
        key: &str,
        area: &str,
        data: &Value,
    ) -> Result<i64, Error> {
        db::publish_reference(&self.conn(), dataset, key, area, data)
    }

    /// Removes a reference item under a new version.
    pub fn retract_reference(&self, dataset: &str, key: &str) -> Result<i64, Error> {
        db::retract_reference(&self.conn(), dataset, key)
    }

    /// Publishes a region profile (the TOML text of
    /// docs/region-profiles.md) for the kiosks of region `region_id` in
    /// the `region_profiles` reference dataset: item key = region id, data
    /// `{"version": version, "text": text}`. The kiosk pulls it with the
    /// other reference data and uses it from its next start when it parses
    /// and its version is higher than the one it has. Publishing the same
    /// text and version again changes nothing (no new dataset version).
    /// The text is not checked here, so tests can publish a broken one;
    /// the `kiosk-central` binary checks files before publishing.
    pub fn publish_region_profile(
        &self,
        region_id: &str,
        version: u32,
        text: &str,
    ) -> Result<Option<i64>, Error> {
        let data = serde_json::json!({ "version": version, "text": text });
        let conn = self.conn();
        let existing: Option<(String, i64)> = conn
            .query_row(
                "SELECT data, deleted FROM ref_item WHERE dataset = 'region_profiles' AND key = ?1",
                params![region_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db_error)?;
        if existing == Some((data.to_string(), 0)) {
            return Ok(None);
        }
        db::publish_reference(&conn, REGION_PROFILES, region_id, "", &data).map(Some)
    }

    pub(crate) fn now_text(&self) -> String {
        self.clock.now().format("%Y-%m-%d %H:%M:%S").to_string()
    }

    /// The centre's clock now.
    pub(crate) fn now(&self) -> chrono::NaiveDateTime {
        self.clock.now()
    }

    /// Handles one envelope; `infno` is the one from the URL. `None` is an
    /// internal failure: answer HTTP 500, nothing was stored.
    pub fn handle(&self, infno: &str, body: &[u8]) -> Option<Value> {
        let received = self.clock.now().format("%Y%m%d%H%M%S").to_string();
        self.received.fetch_add(1, Ordering::Relaxed);
        let raw: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(_) => return Some(self.reply("", &received, bad("报文不是有效的JSON信封"))),
        };
        let signature = self.check_signature(&raw);
        let request: Request<Value> = match serde_json::from_value(raw) {
            Ok(r) => r,
            Err(_) => return Some(self.reply("", &received, bad("报文不是有效的JSON信封"))),
        };
        if let Err(reason) = signature {
            self.signature_refusals.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(dev_no = %request.dev_no, "envelope signature refused: {reason}");
            let answer = (infcode::SIGNATURE_INVALID, None, Some(reason.to_string()));
            return Some(self.reply(&request.msgid, &received, answer));
        }
        let transaction = self.options.infno.resolve(infno);
        let answer = match transaction {
            _ if request.infno != infno => bad("交易编号与地址不一致"),
            None => bad("不支持的交易编号"),
            Some(Transaction::SignIn) => self.sign_in(),
            Some(_)
                if self.faults.refuse_sign_no.load(Ordering::SeqCst)
                    || !self.sign_no_valid(&request.sign_no) =>
            {
                (
                    infcode::SIGN_NO_INVALID,
                    None,
                    Some("签到编号无效或已过期，请重新签到".into()),
                )
            }
            Some(t) if t.is_idempotent_query() => match self.query(t, &request.input) {
                Ok(a) => a,
                Err(e) => {
                    tracing::error!("central query failed: {e}");
                    return None;
                }
            },
            Some(t) => return self.command(t, &request, &received),
        };
        Some(self.reply(&request.msgid, &received, answer))
    }

    /// Checks the envelope's signature against the registered key of its
    /// `dev_no`; the reason is the platform's message on failure.
    fn check_signature(&self, envelope: &Value) -> Result<(), &'static str> {
        let dev_no = envelope.get("dev_no").and_then(Value::as_str).unwrap_or("");
        let Some(verifier) = self.options.terminal_keys.get(dev_no) else {
            return if self.options.require_signatures {
                Err("终端未登记，签名验证失败")
            } else {
                Ok(())
            };
        };
        match verify_envelope(envelope, verifier) {
            SignatureCheck::Valid => Ok(()),
            SignatureCheck::Missing => Err("报文未签名，签名验证失败"),
            SignatureCheck::UnsupportedType => Err("不支持的签名算法，签名验证失败"),
            SignatureCheck::UnknownKey => Err("签名密钥不是该终端登记的密钥，签名验证失败"),
            SignatureCheck::Invalid => Err("报文签名不正确，签名验证失败"),
        }
    }

    /// Envelopes received since start (every transaction, every outcome).
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// Envelopes refused for their signature since start.
    pub fn signature_refusals(&self) -> u64 {
        self.signature_refusals.load(Ordering::Relaxed)
    }

    /// Requests refused by the gateway check since start.
    pub fn gateway_refusals(&self) -> u64 {
        self.gateway_refusals.load(Ordering::Relaxed)
    }

    fn reply(&self, msgid: &str, received: &str, (code, output, err_msg): Answer) -> Value {
        let response = Response {
            infcode: code,
            inf_refmsgid: msgid.to_string(),
            refmsg_time: received.to_string(),
            respond_time: self.clock.now().format("%Y%m%d%H%M%S").to_string(),
            err_msg,
            output,
        };
        serde_json::to_value(response).unwrap_or(Value::Null)
    }

    /// A command: answered once per `msgid`; a repeat gets the stored
    /// answer, a repeat with another input is refused.
    fn command(&self, t: Transaction, request: &Request<Value>, received: &str) -> Option<Value> {
        let hash = fingerprint(&request.input.to_string());
        let mut conn = self.conn();
        let result = (|| -> Result<Value, Error> {
            let tx = conn.transaction().map_err(db_error)?;
            let stored: Option<(String, String)> = tx
                .prepare_cached("SELECT input_hash, response FROM message WHERE msgid = ?1")
                .and_then(|mut stmt| {
                    stmt.query_row([&request.msgid], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                })
                .map_err(db_error)?;
            if let Some((stored_hash, response)) = stored {
                if stored_hash == hash {
                    self.repeats.fetch_add(1, Ordering::Relaxed);
                    return serde_json::from_str(&response)
                        .map_err(|e| Error::Database(e.to_string()));
                }
                return Ok(self.reply(
                    &request.msgid,
                    received,
                    (
                        MSGID_CONFLICT,
                        None,
                        Some("报文编号已用于另一笔业务".into()),
                    ),
                ));
            }
            let answer = match t {
                Transaction::FilingSubmit => self.filing_submit(&tx, request),
                Transaction::FilingChange => self.filing_change(&tx, request),
                Transaction::FilingCancel => self.filing_cancel(&tx, request),
                Transaction::FilingSuspend => self.filing_suspend(&tx, request),
                Transaction::ChronicChange => self.chronic_change(&tx, request),
                Transaction::PremiumOrder => self.premium_order(&tx, request),
                Transaction::PremiumOrderCancel => self.premium_order_cancel(&tx, request),
                Transaction::RatingUpload => self.rating(&tx, request),
                Transaction::HealthReport => self.health(&tx, request),
                Transaction::AuditUpload => self.audit(&tx, request),
                Transaction::CertificateIssue => self.certificate_issue(&tx, request),
                Transaction::ContributionRecordIssue => {
                    self.contribution_record_issue(&tx, request)
                }
                _ => Ok(bad("不支持的交易编号")),
            }?;
            let reply = self.reply(&request.msgid, received, answer);
            tx.prepare_cached(
                "INSERT INTO message (msgid, infno, input_hash, response, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    request.msgid,
                    request.infno,
                    hash,
                    reply.to_string(),
                    self.now_text()
                ])
            })
            .map_err(db_error)?;
            tx.commit().map_err(db_error)?;
            Ok(reply)
        })();
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::error!("central command failed: {e}");
                None
            }
        }
    }

    fn query(&self, t: Transaction, input: &Value) -> Handled {
        Ok(match t {
            Transaction::PersonQuery => self.person_query(input),
            Transaction::EnrollmentDetail => self.enrollment_detail(input),
            Transaction::ContributionHistory => self.contribution_history(input),
            Transaction::CertificateVerify => return self.certificate_verify(input),
            Transaction::FilingQuery => return self.filing_query(input),
            Transaction::FilingLetter => return self.filing_letter(input),
            Transaction::ChronicQuery => return self.chronic_query(input),
            Transaction::PremiumDue => return self.premium_due(input),
            Transaction::PremiumOrderQuery => return self.premium_order_query(input),
            Transaction::ReferenceData => return self.reference_data(input),
            Transaction::TerminalConfig => return self.terminal_config(input),
            Transaction::AccountStatement => self.account_statement(input),
            Transaction::SettlementQuery => self.settlement_query(input),
            _ => bad("不支持的交易编号"),
        })
    }

    fn sign_in(&self) -> Answer {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let sign_no = format!("{}{n:06}", self.clock.now().format("%Y%m%d%H%M%S"));
        if let Ok(mut set) = self.sign_nos.lock() {
            set.insert(sign_no.clone());
        }
        ok(SignInOutput {
            signinoutb: SignInResult {
                sign_time: self.clock.now().format("%Y-%m-%d %H:%M:%S").to_string(),
                sign_no,
            },
        })
    }

    /// Forgets every sign number issued so far, as a centre does when its
    /// sign-in period rolls over: the next message gets `SIGN_NO_INVALID`.
    pub fn revoke_sign_numbers(&self) {
        if let Ok(mut set) = self.sign_nos.lock() {
            set.clear();
        }
    }

    fn sign_no_valid(&self, sign_no: &str) -> bool {
        self.sign_nos
            .lock()
            .map(|set| set.contains(sign_no))
            .unwrap_or(false)
    }

    fn person(&self, psn_no: &str) -> Option<&DemoPerson> {
        self.data.people.iter().find(|p| p.person_number == psn_no)
    }

    fn person_query(&self, input: &Value) -> Answer {
        let Ok(query) = serde_json::from_value::<PersonQueryInput>(input.clone()) else {
            return bad("1101 输入格式错误");
        };
        let q = query.data;
        let now = self.clock.now();
        let person = match q.mdtrt_cert_type.as_str() {
            "01" => {
                let found = self.data.people.iter().find_map(|p| {
                    p.evouchers
                        .iter()
                        .find(|v| v.token == q.mdtrt_cert_no)
                        .map(|v| (p, v))
                });
                match found {
                    Some((_, v)) if v.expires_at < now => {
                        return (
                            infcode::EVOUCHER_EXPIRED,
                            None,
                            Some("医保电子凭证已过期".into()),
                        );
                    }
                    Some((p, _)) => Some(p),
                    None => None,
                }
            }
            "02" => self.data.by_id_number(&q.mdtrt_cert_no),
            "03" => self.data.people.iter().find(|p| {
                p.card.as_ref().is_some_and(|c| {
                    c.card_number == q.mdtrt_cert_no
                        && (q.card_sn.is_empty() || c.card_sn == q.card_sn)
                })
            }),
            _ => return bad("不支持的就诊凭证类型"),
        };
        match person {
            Some(p) => ok(self.person_output(p, now.date())),
            None => not_found(),
        }
    }

    fn person_output(&self, p: &DemoPerson, today: NaiveDate) -> PersonQueryOutput {
        let mut age = today.year() - p.birth_date.year();
        if (today.month(), today.day()) < (p.birth_date.month(), p.birth_date.day()) {
            age -= 1;
        }
        PersonQueryOutput {
            baseinfo: BaseInfo {
                psn_no: p.person_number.clone(),
                psn_cert_type: p.id_kind.clone(),
                certno: p.id_number.clone(),
                psn_name: p.name.clone(),
                gend: p.sex.clone(),
                naty: p.nation.clone(),
                brdy: p.birth_date.format("%Y-%m-%d").to_string(),
                age: age.into(),
            },
            insuinfo: p
                .insurance
                .iter()
                .map(|i| InsuInfo {
                    balc: i.balance,
                    insutype: i.insutype.clone(),
                    psn_type: i.psn_type.clone(),
                    psn_insu_stas: i.status.clone(),
                    psn_insu_date: i.enrolled_from.format("%Y-%m-%d").to_string(),
                    paus_insu_date: i.suspended_from.map(|d| d.format("%Y-%m-%d").to_string()),
                    cvlserv_flag: "0".into(),
                    insuplc_admdvs: i.pooling_area.clone(),
                    emp_name: i.employer.clone(),
                })
                .collect(),
            idetinfo: Vec::new(),
        }
    }

    fn enrollment_detail(&self, input: &Value) -> Answer {
        let Ok(query) = serde_json::from_value::<EnrollmentDetailInput>(input.clone()) else {
            return bad("KS01 输入格式错误");
        };
        let Some(p) = self.person(&query.psn_no) else {
            return not_found();
        };
        ok(EnrollmentDetailOutput {
            items: p
                .insurance
                .iter()
                .map(|i| EnrollmentDetailItem {
                    insutype: i.insutype.clone(),
                    paym_stas: i.payment.clone(),
                    acml_paid_mons: i.paid_months,
                    psn_type_name: self
                        .data
                        .person_categories
                        .get(&i.psn_type)
                        .cloned()
                        .unwrap_or_default(),
                    insuplc_admdvs_name: self
                        .data
                        .areas
                        .get(&i.pooling_area)
                        .cloned()
                        .unwrap_or_default(),
                })
                .collect(),
        })
    }

    fn contribution_history(&self, input: &Value) -> Answer {
        let Ok(q) = serde_json::from_value::<ContributionHistoryInput>(input.clone()) else {
            return bad("KS02 输入格式错误");
        };
        let ym = |t: &str| -> Option<(i32, u32)> {
            let y = t.get(..4)?.parse().ok()?;
            let m = t.get(4..6)?.parse().ok()?;
            (t.len() == 6 && (1..=12).contains(&m)).then_some((y, m))
        };
        let (Some(from), Some(to)) = (ym(&q.begn_ym), ym(&q.end_ym)) else {
            return bad("起止年月应为yyyyMM");
        };
        let Some(p) = self.person(&q.psn_no) else {
            return not_found();
        };
        let mut items = Vec::new();
        for i in &p.insurance {
            if !q.insutype.is_empty() && q.insutype != i.insutype {
                continue;
            }
            for c in &i.contributions {
                for (y, m) in c.months() {
                    if (y, m) < from || (y, m) > to {
                        continue;
                    }
                    items.push(ContributionItem {
                        ym: format!("{y:04}{m:02}"),
                        insutype: i.insutype.clone(),
                        clct_base: c.base,
                        psn_amt: c.personal,
                        emp_amt: c.employer,
                        acct_amt: if c.unpaid {
                            Default::default()
                        } else {
                            c.account
                        },
                        clct_stas: if c.unpaid { "0" } else { "1" }.into(),
                    });
                }
            }
        }
        items.sort_by(|a, b| (&a.ym, &a.insutype).cmp(&(&b.ym, &b.insutype)));
        ok(ContributionHistoryOutput { items })
    }

    fn certificate_issue(&self, tx: &Connection, request: &Request<Value>) -> Handled {
        use kiosk_core::documents::{AgencyBlock, CertificateFacts, CertificateNumber};
        use kiosk_core::region::CertificateLayout;
        let Some(q) = parse::<CertificateIssueInput>(&request.input) else {
            return Ok(bad("KS03 输入格式错误"));
        };
        let Some(p) = self.person(&q.psn_no) else {
            return Ok(not_found());
        };
        let layout = match q.layout.as_str() {
            "simple" => CertificateLayout::Simple,
            "transfer" => CertificateLayout::Transfer,
            _ => return Ok(bad("KS03 layout 只能是 simple 或 transfer")),
        };
        // The basic insurance the certificate covers: the one asked for,
        // else employee basic, else resident basic.
        let wanted: Vec<&str> = if q.insutype.is_empty() {
            vec!["310", "390"]
        } else {
            vec![q.insutype.as_str()]
        };
        let Some(ins) = wanted
            .iter()
            .find_map(|t| p.insurance.iter().find(|i| i.insutype == *t))
        else {
            return Ok(rule("无基本医疗保险参保记录，不能开具参保凭证"));
        };
        let area_name = self
            .data
            .areas
            .get(&ins.pooling_area)
            .cloned()
            .unwrap_or_default();
        let agency = self.data.agencies.get(&ins.pooling_area);
        if layout == CertificateLayout::Transfer && agency.is_none() {
            return Ok(rule(
                "该统筹区经办机构信息未登记，不能开具转移接续版参保凭证，请到人工窗口办理",
            ));
        }
        let today = self.clock.today();
        let year = today.year();
        let prefix = format!("{}-{year}-", ins.pooling_area);
        let count: i64 = tx
            .query_row(
                "SELECT COUNT(*) FROM certificate WHERE cert_no LIKE ?1 || '%'",
                [&prefix],
                |r| r.get(0),
            )
            .map_err(db_error)?;
        let serial = u32::try_from(count + 1).unwrap_or(u32::MAX);
        let insurance_name = kiosk_core::enrollment::InsuranceType::from_code(&ins.insutype)
            .map(|t| t.label().to_string())
            .unwrap_or_default();
        let to = match (ins.status.as_str(), ins.suspended_from) {
            ("1", _) | (_, None) => None,
            (_, Some(d)) => Some(d),
        };
        let facts = CertificateFacts {
            number: CertificateNumber {
                province: kiosk_core::identity::province_name(
                    ins.pooling_area.get(..2).unwrap_or_default(),
                )
                .unwrap_or_default()
                .to_string(),
                pooling_area: area_name.clone(),
                pooling_area_code: ins.pooling_area.clone(),
                year,
                serial,
            },
            generated_on: today,
            name: p.name.clone(),
            id_number: p.id_number.clone(),
            hukou_place: p.hukou_place.clone().unwrap_or_else(|| p.address.clone()),
            hukou_type: p.hukou_type.clone(),
            insurance_type: insurance_name.clone(),
            area: area_name.clone(),
            from: ins.enrolled_from,
            to,
            paid_months: ins.paid_months,
            balance: match kiosk_core::money::Yuan::new(ins.balance) {
                Ok(y) => y,
                Err(_) => return Ok(bad("账户余额超出范围")),
            },
            agency: agency.map(|a| AgencyBlock {
                name: a.name.clone(),
                address: a.address.clone(),
                area_code: ins.pooling_area.clone(),
                postcode: a.postcode.clone(),
                contact: a.contact.clone(),
                phone: a.phone.clone(),
            }),
        };
        let Ok(payload) = facts.verification(layout, &self.options.certificate_key) else {
            return Ok(bad("证书签名密钥无效"));
        };
        let cert_no = facts.number.machine();
        let verify_code = payload.rsplit('|').next().unwrap_or_default().to_string();
        let issued_at = self.now_text();
        let valid_until = (today + chrono::Days::new(90))
            .format("%Y-%m-%d")
            .to_string();
        tx.execute(
            "INSERT INTO certificate (cert_no, verify_code, psn_no, psn_name, cert_kind, insutype, issued_at, valid_until, msgid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![cert_no, verify_code, p.person_number, p.name, q.cert_kind, ins.insutype, issued_at, valid_until, request.msgid],
        )
        .map_err(db_error)?;
        Ok(ok(CertificateIssueOutput {
            cert_no,
            verify_code,
            issued_at,
            valid_until,
            facts: Some(CertificateFactsWire {
                prov_name: facts.number.province.clone(),
                poolarea_name: area_name.clone(),
                poolarea_code: ins.pooling_area.clone(),
                year,
                serial,
                gen_date: today.format("%Y-%m-%d").to_string(),
                psn_name: facts.name.clone(),
                certno: facts.id_number.clone(),
                hsreg_addr: facts.hukou_place.clone(),
                hsreg_type: facts.hukou_type.clone(),
                insutype_name: insurance_name,
                area_name,
                begn_ym: facts.from.format("%Y-%m").to_string(),
                end_ym: facts
                    .to
                    .map(|d| d.format("%Y-%m").to_string())
                    .unwrap_or_default(),
                paid_mons: facts.paid_months,
                balc: ins.balance,
                agency: facts.agency.as_ref().map(|a| AgencyWire {
                    name: a.name.clone(),
                    addr: a.address.clone(),
                    admdvs: a.area_code.clone(),
                    poscode: a.postcode.clone(),
                    cont: a.contact.clone(),
                    tel: a.phone.clone(),
                }),
            }),
        }))
    }

    fn certificate_verify(&self, input: &Value) -> Handled {
        let Some(q) = parse::<CertificateVerifyInput>(input) else {
            return Ok(bad("KS04 输入格式错误"));
        };
        let found: Option<(String, String, String, String, String)> = self
            .conn()
            .query_row(
                "SELECT verify_code, cert_kind, issued_at, valid_until, psn_name FROM certificate WHERE cert_no = ?1",
                [&q.cert_no],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(db_error)?;
        let out = match found {
            Some((code, kind, issued_at, valid_until, name))
                if code == q.verify_code.trim().rsplit('|').next().unwrap_or_default() =>
            {
                let expired = NaiveDate::parse_from_str(&valid_until, "%Y-%m-%d")
                    .map(|d| self.clock.today() > d)
                    .unwrap_or(true);
                CertificateVerifyOutput {
                    status: if expired { "expired" } else { "valid" }.into(),
                    cert_kind: kind,
                    issued_at,
                    valid_until,
                    psn_name_masked: mask_name(&name),
                }
            }
            _ => CertificateVerifyOutput {
                status: "unknown".into(),
                cert_kind: String::new(),
                issued_at: String::new(),
                valid_until: String::new(),
                psn_name_masked: String::new(),
            },
        };
        Ok(ok(out))
    }

    fn lock_until(&self, filing_type_code: &str, filed_on: &str) -> String {
        if !filing_type::is_long_term(filing_type_code) {
            return String::new();
        }
        NaiveDate::parse_from_str(filed_on, "%Y-%m-%d")
            .ok()
            .and_then(|d| {
                d.checked_add_days(chrono::Days::new(self.options.filing_lock_days.into()))
            })
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    }

    fn insured_area(p: &DemoPerson) -> Option<&str> {
        p.insurance
            .iter()
            .find(|i| matches!(i.insutype.as_str(), "310" | "390"))
            .map(|i| i.pooling_area.as_str())
    }

    fn filing_submit(&self, tx: &Connection, request: &Request<Value>) -> Handled {
        let Some(q) = parse::<FilingSubmitInput>(&request.input) else {
            return Ok(bad("KS11 输入格式错误"));
        };
        let Some(p) = self.person(&q.psn_no) else {
            return Ok(not_found());
        };
        if !q.certno.is_empty() && q.certno != p.id_number {
            return Ok(rule("证件号码与参保人员不一致"));
        }
        let normal_basic = p
            .insurance
            .iter()
            .any(|i| matches!(i.insutype.as_str(), "310" | "390") && i.status == "1");
        if !normal_basic {
            return Ok(rule("参保状态非正常参保，不能办理异地就医备案"));
        }
        let insured = Central::insured_area(p).unwrap_or_default().to_string();
        if !self.data.areas.contains_key(&q.mdtrtarea_admdvs) {
            return Ok(rule("就医地区划代码无效"));
        }
        if q.mdtrtarea_admdvs == insured {
            return Ok(rule("就医地与参保地相同，无需备案"));
        }
        if !q.commitment {
            return Ok(rule("请先签署个人承诺书"));
        }
        // A proxy needs the insured person's written authorisation (the
        // region's proxy rule): the kiosk says how it was checked.
        if !q.agnter.is_empty() && q.agnt_authz.is_empty() {
            return Ok(rule(
                "代办备案须提供参保人的书面委托，请由工作人员核验后再提交",
            ));
        }
        // The signed letter, archived with the filing (000 附件2).
        let letter = match &q.letter {
            Some(wire) => match kiosk_sync::mapping::letter_of(wire) {
                Some(letter) => Some(letter),
                None => return Ok(rule("个人承诺书校验不一致，请重新签署")),
            },
            None => None,
        };
        if !matches!(q.filing_type.as_str(), "1" | "2" | "3" | "4" | "5") {
            return Ok(bad("备案类型无效"));
        }
        let Ok(begin) = NaiveDate::parse_from_str(&q.begndate, "%Y-%m-%d") else {
            return Ok(bad("开始日期格式错误"));
        };
        let end = if q.enddate.is_empty() {
            None
        } else {
            match NaiveDate::parse_from_str(&q.enddate, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => return Ok(bad("结束日期格式错误")),
            }
        };
        if end.is_some_and(|e| e < begin) {
            return Ok(rule("结束日期早于开始日期"));
        }
        if filing_type::is_long_term(&q.filing_type) {
            let active: i64 = tx
                .query_row(
                    "SELECT COUNT(*) FROM filing WHERE psn_no = ?1 AND status IN ('1','2') AND filing_type IN ('1','2','3')
                       AND (enddate = '' OR enddate >= ?2)",
                    params![&q.psn_no, begin.format("%Y-%m-%d").to_string()],
                    |r| r.get(0),
                )
                .map_err(db_error)?;
            if active > 0 {
                return Ok(rule("已有有效的长期异地就医备案，如需更改请办理备案变更"));
            }
        }
        if let Err(refusal) = self.options.filing_limits.check(&q.filing_type, begin, end) {
            return Ok(rule(&refusal));
        }
        let today = self.clock.today();
        let count: i64 = tx
            .query_row("SELECT COUNT(*) FROM filing", [], |r| r.get(0))
            .map_err(db_error)?;
        let filing_no = format!("BA{}{:06}", today.format("%Y%m%d"), count + 1);
        let filed_on = today.format("%Y-%m-%d").to_string();
        tx.execute(
            "INSERT INTO filing (filing_no, psn_no, filing_type, insuplc_admdvs, mdtrtarea_admdvs,
                 begndate, enddate, tel, fixmedins_code, status, filed_on, msgid, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, '1', ?10, ?11, ?12)",
            params![
                filing_no,
                q.psn_no,
                q.filing_type,
                insured,
                q.mdtrtarea_admdvs,
                q.begndate,
                q.enddate,
                q.tel,
                q.fixmedins_code,
                filed_on,
                request.msgid,
                self.now_text()
            ],
        )
        .map_err(db_error)?;
        if let Some(letter) = &letter {
            self.archive_letter(tx, &filing_no, &q.psn_no, letter)?;
        }
        Ok(ok(FilingOutput {
            lock_until: self.lock_until(&q.filing_type, &filed_on),
            filing_no,
            status: "1".into(),
            begndate: q.begndate,
            enddate: q.enddate,
        }))
    }

    /// Stores a signed letter with its filing, kept two years from the day
    /// it was signed; letters past that are deleted at the same time.
    fn archive_letter(
        &self,
        tx: &Connection,
        filing_no: &str,
        psn_no: &str,
        letter: &kiosk_core::letter::SignedLetter,
    ) -> Result<(), Error> {
        self.purge_letters(tx)?;
        let wire = kiosk_sync::mapping::letter_wire(letter);
        tx.execute(
            "INSERT INTO commitment_letter (filing_no, psn_no, letter_version, letter_text,
                 sign_format, sign_data, sign_date, sha256, keep_until)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                filing_no,
                psn_no,
                wire.letter_version,
                wire.letter_text,
                wire.sign_format,
                wire.sign_data,
                wire.sign_date,
                wire.sha256,
                letter.keep_until().format("%Y-%m-%d").to_string(),
            ],
        )
        .map_err(db_error)?;
        Ok(())
    }

    /// Deletes the letters whose retention period is over.
    fn purge_letters(&self, conn: &Connection) -> Result<usize, Error> {
        let today = self.clock.today().format("%Y-%m-%d").to_string();
        conn.execute(
            "DELETE FROM commitment_letter WHERE keep_until < ?1",
            [today],
        )
        .map_err(db_error)
    }

    /// KS15: the archived letter of a filing, for a reprint.
    fn filing_letter(&self, input: &Value) -> Handled {
        let Some(q) = parse::<FilingLetterInput>(input) else {
            return Ok(bad("KS15 输入格式错误"));
        };
        let conn = self.conn();
        self.purge_letters(&conn)?;
        let row: Option<[String; 7]> = conn
            .query_row(
                "SELECT letter_version, letter_text, sign_format, sign_data, sign_date, sha256,
                        keep_until
                 FROM commitment_letter WHERE filing_no = ?1 AND psn_no = ?2",
                params![q.filing_no, q.psn_no],
                |r| {
                    Ok([
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ])
                },
            )
            .optional()
            .map_err(db_error)?;
        let Some(
            [
                letter_version,
                letter_text,
                sign_format,
                sign_data,
                sign_date,
                sha256,
                keep,
            ],
        ) = row
        else {
            return Ok(rule("未找到该备案的个人承诺书存档"));
        };
        Ok(ok(FilingLetterOutput {
            filing_no: q.filing_no,
            keep_until: keep,
            letter: CommitmentLetterWire {
                letter_version,
                letter_text,
                sign_format,
                sign_data,
                sign_date,
                sha256,
            },
        }))
    }

    /// Loads a filing of `psn_no` for change or cancel and applies the
    /// rules common to both. `Err(answer)` when refused.
    fn open_filing(
        &self,
        tx: &Connection,
        psn_no: &str,
        filing_no: &str,
        action: &str,
    ) -> Result<Result<FilingRecord, Answer>, Error> {
        let record = self.filing_record(tx, filing_no)?;
        let Some((owner, record)) = record else {
            return Ok(Err(rule("未找到该备案")));
        };
        if owner != psn_no {
            return Ok(Err(rule("未找到该备案")));
        }
        if record.filing_type == filing_type::REFERRAL {
            // Seed 001 #15: the referring hospital files it (and changes it).
            return Ok(Err(rule(&format!(
                "转诊备案由办理转诊的定点医疗机构办理，不能在自助终端{action}"
            ))));
        }
        if record.status == filing_status::EXPIRED {
            return Ok(Err(rule(&format!(
                "备案已于{}到期终止，不能{action}，请重新办理备案",
                record.enddate
            ))));
        }
        if record.status == filing_status::SUSPENDED {
            return Ok(Err(rule(&format!("备案已暂停，请先恢复后再{action}"))));
        }
        if record.status != filing_status::VALID {
            return Ok(Err(rule(&format!("备案已取消，不能{action}"))));
        }
        if !record.lock_until.is_empty() {
            let locked = NaiveDate::parse_from_str(&record.lock_until, "%Y-%m-%d")
                .map(|until| self.clock.today() < until)
                .unwrap_or(false);
            if locked {
                return Ok(Err(rule(&format!(
                    "长期备案{}天内不能{action}，{}起可办理",
                    self.options.filing_lock_days, record.lock_until
                ))));
            }
        }
        Ok(Ok(record))
    }

    fn filing_record(
        &self,
        conn: &Connection,
        filing_no: &str,
    ) -> Result<Option<(String, FilingRecord)>, Error> {
        let row: Option<(String, String, String, String, String, String, String)> = conn
            .query_row(
                "SELECT psn_no, filing_type, mdtrtarea_admdvs, begndate, enddate, status, filed_on
                 FROM filing WHERE filing_no = ?1",
                [filing_no],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                },
            )
            .optional()
            .map_err(db_error)?;
        let today = self.clock.today();
        Ok(row.map(|(psn, ftype, area, begin, end, status, filed_on)| {
            // 000 E2–E4 8.1: a dated filing not extended by its end date
            // ends by itself; it is valid through that date.
            let expired = NaiveDate::parse_from_str(&end, "%Y-%m-%d").is_ok_and(|e| e < today);
            let in_force = status == filing_status::VALID || status == filing_status::SUSPENDED;
            let status = if in_force && expired {
                filing_status::EXPIRED.to_string()
            } else {
                status
            };
            (
                psn,
                FilingRecord {
                    filing_no: filing_no.to_string(),
                    lock_until: if status == "1" {
                        self.lock_until(&ftype, &filed_on)
                    } else {
                        String::new()
                    },
                    filing_type: ftype,
                    mdtrtarea_admdvs: area,
                    begndate: begin,
                    enddate: end,
                    status,
                    filed_on,
                },
            )
        }))
    }

    fn filing_change(&self, tx: &Connection, request: &Request<Value>) -> Handled {
        let Some(q) = parse::<FilingChangeInput>(&request.input) else {
            return Ok(bad("KS13 输入格式错误"));
        };
        let Some(p) = self.person(&q.psn_no) else {
            return Ok(not_found());
        };
        let record = match self.open_filing(tx, &q.psn_no, &q.filing_no, "变更")? {
            Ok(r) => r,
            Err(answer) => return Ok(answer),
        };
        let area = if q.mdtrtarea_admdvs.is_empty() {
            record.mdtrtarea_admdvs.clone()
        } else {
            if !self.data.areas.contains_key(&q.mdtrtarea_admdvs) {
                return Ok(rule("就医地区划代码无效"));
            }
            if Some(q.mdtrtarea_admdvs.as_str()) == Central::insured_area(p) {
                return Ok(rule("就医地与参保地相同，无需备案"));
            }
            q.mdtrtarea_admdvs.clone()
        };
        let end = if q.enddate.is_empty() {
            record.enddate.clone()
        } else {
            if NaiveDate::parse_from_str(&q.enddate, "%Y-%m-%d").is_err() {
                return Ok(bad("结束日期格式错误"));
            }
            if q.enddate < record.begndate {
                return Ok(rule("结束日期早于开始日期"));
            }
            q.enddate.clone()
        };
        tx.execute(
            "UPDATE filing SET mdtrtarea_admdvs = ?2, enddate = ?3,
                 tel = CASE WHEN ?4 = '' THEN tel ELSE ?4 END, updated_at = ?5
             WHERE filing_no = ?1",
            params![q.filing_no, area, end, q.tel, self.now_text()],
        )
        .map_err(db_error)?;
        Ok(ok(FilingOutput {
            filing_no: q.filing_no,
            status: "1".into(),
            begndate: record.begndate,
            enddate: end,
            lock_until: record.lock_until,
        }))
    }

    fn filing_cancel(&self, tx: &Connection, request: &Request<Value>) -> Handled {
        let Some(q) = parse::<FilingCancelInput>(&request.input) else {
            return Ok(bad("KS14 输入格式错误"));
        };
        if self.person(&q.psn_no).is_none() {
            return Ok(not_found());
        }
        let record = match self.open_filing(tx, &q.psn_no, &q.filing_no, "取消")? {
            Ok(r) => r,
            Err(answer) => return Ok(answer),
        };
        tx.execute(
            "UPDATE filing SET status = '3', updated_at = ?2 WHERE filing_no = ?1",
            params![q.filing_no, self.now_text()],
        )
        .map_err(db_error)?;
        Ok(ok(FilingOutput {
            filing_no: q.filing_no,
            status: "3".into(),
            begndate: record.begndate,
            enddate: record.enddate,
            lock_until: String::new(),
        }))
    }

    /// KS16: suspend a filing in force, or resume a suspended one (seed
    /// 001 备注2 “办理更改、暂停、恢复和终止的只需医保电子凭证或有效身份证件”),
    /// where the region profile offers it. No lock period: it applies to
    /// change and cancellation only.
    fn filing_suspend(&self, tx: &Connection, request: &Request<Value>) -> Handled {
        let Some(q) = parse::<FilingSuspendInput>(&request.input) else {
            return Ok(bad("KS16 输入格式错误"));
        };
        if self.person(&q.psn_no).is_none() {
            return Ok(not_found());
        }
        if !self.options.filing_limits.suspension() {
            return Ok(rule("本地区不办理备案暂停和恢复，如需停用请办理备案取消"));
        }
        let (from, to, verb) = match q.action.as_str() {
            "suspend" => (filing_status::VALID, filing_status::SUSPENDED, "暂停"),
            "resume" => (filing_status::SUSPENDED, filing_status::VALID, "恢复"),
            _ => return Ok(bad("KS16 action 须为 suspend 或 resume")),
        };
        let Some((owner, record)) = self.filing_record(tx, &q.filing_no)? else {
            return Ok(rule("未找到该备案"));
        };
        if owner != q.psn_no {
            return Ok(rule("未找到该备案"));
        }
        if record.filing_type == filing_type::REFERRAL {
            return Ok(rule(&format!(
                "转诊备案由办理转诊的定点医疗机构办理，不能在自助终端{verb}"
            )));
        }
        if record.status == filing_status::EXPIRED {
            return Ok(rule(&format!(
                "备案已于{}到期终止，不能{verb}",
                record.enddate
            )));
        }
        if record.status != from {
            return Ok(rule(if to == filing_status::SUSPENDED {
                "备案不在有效状态，不能暂停"
            } else {
                "备案未暂停，无需恢复"
            }));
        }
        tx.execute(
            "UPDATE filing SET status = ?2, updated_at = ?3 WHERE filing_no = ?1",
            params![q.filing_no, to, self.now_text()],
        )
        .map_err(db_error)?;
        Ok(ok(FilingOutput {
            filing_no: q.filing_no,
            status: to.to_string(),
            begndate: record.begndate,
            enddate: record.enddate,
            lock_until: record.lock_until,
        }))
    }

    fn filing_query(&self, input: &Value) -> Handled {
        let Some(q) = parse::<FilingQueryInput>(input) else {
            return Ok(bad("KS12 输入格式错误"));
        };
        if self.person(&q.psn_no).is_none() {
            return Ok(not_found());
        }
        let conn = self.conn();
        let numbers: Vec<String> = {
            let mut stmt = conn
                .prepare("SELECT filing_no FROM filing WHERE psn_no = ?1 ORDER BY filed_on DESC, filing_no DESC")
                .map_err(db_error)?;
            stmt.query_map([&q.psn_no], |r| r.get(0))
                .map_err(db_error)?
                .collect::<Result<_, _>>()
                .map_err(db_error)?
        };
        let mut filings = Vec::new();
        for n in numbers {
            if let Some((_, record)) = self.filing_record(&conn, &n)? {
                filings.push(record);
            }
        }
        Ok(ok(FilingQueryOutput { filings }))
    }

    fn rating(&self, tx: &Connection, request: &Request<Value>) -> Handled {
        let Some(q) = parse::<RatingInput>(&request.input) else {
            return Ok(bad("KS21 输入格式错误"));
        };
        if !(1..=5).contains(&q.score) {
            return Ok(bad("评价分值应为1至5"));
        }
        tx.prepare_cached(
            "INSERT INTO rating (rating_id, msgid, terminal, service, score, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                q.rating_id,
                request.msgid,
                request.opter,
                q.service,
                q.score,
                self.now_text()
            ])
        })
        .map_err(db_error)?;
        let id = tx.last_insert_rowid();
        Ok(ok(RatingOutput {
            rating_no: format!("PJ{id:010}"),
        }))
    }

    fn health(&self, tx: &Connection, request: &Request<Value>) -> Handled {
        let Some(q) = parse::<HealthReportInput>(&request.input) else {
            return Ok(bad("KS31 输入格式错误"));
        };
        tx.execute(
            "INSERT INTO health_report (terminal, msgid, body, at) VALUES (?1, ?2, ?3, ?4)",
            params![
                q.terminal_id,
                request.msgid,
                request.input.to_string(),
                self.now_text()
            ],
        )
        .map_err(db_error)?;
        Ok(ok(AckOutput { received: 1 }))
    }

    fn audit(&self, tx: &Connection, request: &Request<Value>) -> Handled {
        let Some(q) = parse::<AuditUploadInput>(&request.input) else {
            return Ok(bad("KS32 输入格式错误"));
        };
        for e in &q.entries {
            tx.execute(
                "INSERT INTO audit_entry (terminal, msgid, entry_id, at, event, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![q.terminal_id, request.msgid, e.id, e.at, e.event, e.detail],
            )
            .map_err(db_error)?;
        }
        Ok(ok(AckOutput {
            received: q.entries.len() as u64,
        }))
    }

    fn reference_data(&self, input: &Value) -> Handled {
        let Some(q) = parse::<ReferenceDataInput>(input) else {
            return Ok(bad("KS41 输入格式错误"));
        };
        let since: i64 = if q.since_version.is_empty() {
            0
        } else {
            match q.since_version.parse() {
                Ok(v) => v,
                Err(_) => return Ok(bad("版本号无效")),
            }
        };
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT key, area, data, version, deleted FROM ref_item
                 WHERE dataset = ?1 AND version > ?2 ORDER BY version, key",
            )
            .map_err(db_error)?;
        let rows = stmt
            .query_map(params![q.dataset, since], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .map_err(db_error)?;
        let mut out = ReferenceDataOutput {
            version: since.to_string(),
            items: Vec::new(),
            deleted: Vec::new(),
            more: false,
        };
        let mut last_version = since;
        for (count, row) in rows.enumerate() {
            let (key, area, data, version, deleted) = row.map_err(db_error)?;
            if count >= REFERENCE_PAGE && version != last_version {
                out.more = true;
                break;
            }
            last_version = version;
            if deleted != 0 {
                out.deleted.push(key);
            } else {
                out.items.push(ReferenceDataItem {
                    key,
                    area,
                    data: serde_json::from_str(&data).unwrap_or(Value::Null),
                });
            }
        }
        out.version = last_version.to_string();
        Ok(ok(out))
    }
}

fn parse<T: DeserializeOwned>(input: &Value) -> Option<T> {
    T::deserialize(input).ok()
}

fn ok<T: Serialize>(output: T) -> Answer {
    match serde_json::to_value(output) {
        Ok(v) => (infcode::OK, Some(v), None),
        Err(_) => (infcode::FAILED, None, Some("内部错误".into())),
    }
}

fn bad(message: &str) -> Answer {
    (infcode::BAD_REQUEST, None, Some(message.to_string()))
}

fn rule(message: &str) -> Answer {
    (RULE_REFUSED, None, Some(message.to_string()))
}

fn not_found() -> Answer {
    (
        infcode::PERSON_NOT_FOUND,
        None,
        Some("未查询到参保人员信息".into()),
    )
}

/// The HTTP routes.
pub fn router(central: Arc<Central>) -> Router {
    Router::new()
        .route("/fsi/api/{infno}", post(handle))
        .route("/sim/premium/{order_no}", post(premium::simulate_route))
        .route("/sim/terminal-config/{terminal}", post(config::set_route))
        .merge(crate::console::routes())
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(central)
}

/// A 200 whose body fails at once: the server closes the connection
/// without a complete answer.
fn dropped() -> HttpResponse {
    let failing = futures_util::stream::iter([Err::<Bytes, std::io::Error>(
        std::io::Error::other("connection dropped by fault switch"),
    )]);
    HttpResponse::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(failing))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

async fn handle(
    State(central): State<Arc<Central>>,
    Path(infno): Path<String>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> HttpResponse {
    if let Some(gateway) = &central.options.gateway {
        let now = kiosk_sync::gateway::unix_time(central.clock.now());
        let get = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let path = format!("/fsi/api/{infno}");
        if let Err(refusal) = gateway.check(get, now, &path, &body) {
            central.gateway_refusals.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(code = refusal.code(), "gateway headers refused");
            let answer = serde_json::json!({
                "gateway_code": refusal.code(),
                "message": "网关鉴权失败",
            });
            return (StatusCode::UNAUTHORIZED, axum::Json(answer)).into_response();
        }
    }
    let faults = &central.faults;
    let latency = faults.latency_ms.load(Ordering::SeqCst);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if faults.unreachable.load(Ordering::SeqCst) || take(&faults.drop_next) {
        return dropped();
    }
    if take(&faults.fail_next) {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    if take(&faults.garbage_next) {
        return garbage();
    }
    let mut answer = central.handle(&infno, &body);
    let is_command = central
        .options
        .infno
        .resolve(&infno)
        .is_some_and(|t| !t.is_idempotent_query());
    if is_command && take(&faults.drop_after_commit_next) {
        return dropped();
    }
    if let Some(value) = answer.as_mut()
        && value.get("infcode").and_then(Value::as_i64) == Some(0)
        && take(&faults.hollow_next)
    {
        value["output"] = serde_json::json!({});
    }
    match answer {
        Some(value) if faults.take_cut(&infno) => cut(&value),
        Some(value) => axum::Json(value).into_response(),
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// A 200 that is not JSON: what a misconfigured proxy in front of the
/// centre answers.
fn garbage() -> HttpResponse {
    HttpResponse::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
        ))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// The answer's headers (with its full length) and the first half of its
/// body, then the connection fails: the client has a 200 and half an
/// envelope. The pause lets the first half leave before the failure.
fn cut(value: &Value) -> HttpResponse {
    let whole = serde_json::to_vec(value).unwrap_or_default();
    let half = Bytes::copy_from_slice(&whole[..whole.len() / 2]);
    let first = futures_util::stream::iter([Ok::<Bytes, std::io::Error>(half)]);
    let failure = futures_util::stream::once(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err::<Bytes, std::io::Error>(std::io::Error::other("answer cut by fault switch"))
    });
    use futures_util::StreamExt;
    HttpResponse::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, whole.len())
        .body(Body::from_stream(first.chain(failure)))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
