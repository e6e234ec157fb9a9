//! Blocking client of the central service. One `POST` per message, the
//! national envelope around every payload, sign-in on first use and again
//! when the centre says the sign number is stale.
//!
//! Hardening: every message has a unique `msgid`, reused on every retry and
//! on the repeat after a renewed sign-in (the centre's idempotency key);
//! queries are retried with exponential backoff and jitter, commands never
//! (the outbox resends them with their stored `msgid`); a circuit breaker
//! fails fast while the centre is down and lets one probe through after a
//! cool-down; answers that are too large, not JSON or of the wrong shape
//! give a typed error. Sleeping, randomness and monotonic time come in
//! through [`ClientOptions`].

use kiosk_core::tr_mark;
use std::io::Read;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use kiosk_core::clock::Clock;
use kiosk_core::enrollment::InsuredPerson;
use kiosk_core::identity::Credential;

use crate::envelope::{INFVER, OPTER_TYPE_SELF_SERVICE, Request, Response, infcode};
use crate::error::Error;
use crate::gateway::GatewaySigner;
use crate::link::{LinkFault, TlsLink};
use crate::platform::{OsRandom, Random, Sleeper, SystemTicker, ThreadSleeper, Ticker};
use crate::signing::{NoSigner, Signer, sign_envelope};
use crate::transactions::{InfnoMap, Transaction};
use crate::wire::{
    CertificateIssueInput, CertificateIssueOutput, CertificateVerifyInput, CertificateVerifyOutput,
    ContributionHistoryInput, ContributionHistoryOutput, EnrollmentDetailInput,
    EnrollmentDetailOutput, FilingQueryInput, FilingQueryOutput, PersonQueryData, PersonQueryInput,
    PersonQueryOutput, ReferenceDataInput, ReferenceDataOutput, SignInData, SignInInput,
    SignInOutput,
};

/// The largest answer the client reads by default; anything longer is refused.
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
    /// Per-request timeout (connect, send and read the whole answer).
    pub timeout: Duration,
}

/// Retries of queries: exponential backoff with jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (1 = no retry).
    pub max_attempts: u32,
    /// Delay before the first retry (before jitter).
    pub base_delay: Duration,
    /// Largest delay (before jitter).
    pub max_delay: Duration,
    /// No retry starts once this much time has passed since the first
    /// attempt (with the delay before it): bounds how long a tap waits.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            budget: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The delay before retry number `retry` (0-based): `base * 2^retry`
    /// capped at `max`, then "equal jitter": half fixed, half random.
    pub fn delay(&self, retry: u32, random: &dyn Random) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX))
            .min(self.max_delay);
        let half = exp / 2;
        let span = half.as_micros() as u64;
        let jitter = if span == 0 {
            0
        } else {
            random.next_u64() % (span + 1)
        };
        half + Duration::from_micros(jitter)
    }
}

/// When the circuit breaker opens and how long it stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Consecutive failed exchanges that open the breaker.
    pub failure_threshold: u32,
    /// How long it stays open before one probe is let through.
    pub cool_down: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        BreakerPolicy {
            failure_threshold: 5,
            cool_down: Duration::from_secs(30),
        }
    }
}

/// What the circuit breaker is doing, for `kiosk sync status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Messages go through; `failures` consecutive failures so far.
    Closed {
        /// Consecutive failures.
        failures: u32,
    },
    /// Messages fail fast until the cool-down ends.
    Open {
        /// Time left.
        retry_in: Duration,
    },
    /// One probe is on its way; others fail fast.
    HalfOpen,
}

#[derive(Debug, Clone, Copy)]
enum Breaker {
    Closed { failures: u32 },
    Open { until: Duration },
    HalfOpen,
}

/// Everything beyond [`ClientConfig`]: retry and breaker policies, the
/// answer size limit, the province's transaction codes, and the injected
/// randomness, sleeping and monotonic time.
#[derive(Clone)]
pub struct ClientOptions {
    /// Retries of queries.
    pub retry: RetryPolicy,
    /// The circuit breaker.
    pub breaker: BreakerPolicy,
    /// Largest answer read, in bytes.
    pub max_response_bytes: usize,
    /// The deployment's transaction codes.
    pub infno: InfnoMap,
    /// Jitter and the msgid sequence start.
    pub random: Arc<dyn Random>,
    /// Waits between retries.
    pub sleeper: Arc<dyn Sleeper>,
    /// Monotonic time for the breaker.
    pub ticker: Arc<dyn Ticker>,
    /// How requests are secured: TLS, signature, gateway headers.
    pub security: LinkSecurity,
}

/// How the client secures its requests. The default is what the
/// simulated centre on loopback accepts: no TLS settings (an `https://`
/// URL still verifies against the system's trust store), no signature,
/// no gateway headers.
#[derive(Clone)]
pub struct LinkSecurity {
    /// TLS trust, client certificate and pin (`None`: the system's trust
    /// store, no client certificate).
    pub tls: Option<TlsLink>,
    /// Signs every envelope (`cainfo`, `signtype`).
    pub signer: Arc<dyn Signer>,
    /// Gateway headers on every request.
    pub gateway: Option<GatewaySigner>,
    /// `dev_safe_info` (absent: the signer's key id).
    pub device_safe_info: Option<String>,
}

impl Default for LinkSecurity {
    fn default() -> Self {
        LinkSecurity {
            tls: None,
            signer: Arc::new(NoSigner),
            gateway: None,
            device_safe_info: None,
        }
    }
}

impl std::fmt::Debug for LinkSecurity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkSecurity")
            .field("tls", &self.tls.is_some())
            .field("signtype", &self.signer.signtype())
            .field("gateway", &self.gateway)
            .finish_non_exhaustive()
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            retry: RetryPolicy::default(),
            breaker: BreakerPolicy::default(),
            max_response_bytes: MAX_RESPONSE_BYTES,
            infno: InfnoMap::defaults(),
            random: Arc::new(OsRandom),
            sleeper: Arc::new(ThreadSleeper),
            ticker: Arc::new(SystemTicker::new()),
            security: LinkSecurity::default(),
        }
    }
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("retry", &self.retry)
            .field("breaker", &self.breaker)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("infno", &self.infno)
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}

/// The centre's final answer to a command sent by the outbox.
#[derive(Debug, Clone, PartialEq)]
pub enum Submitted {
    /// Accepted; the transaction's output.
    Accepted(Value),
    /// Refused by the centre's rules, with its code and reason.
    Rejected {
        /// `infcode`.
        code: i32,
        /// `err_msg`.
        reason: String,
    },
}

/// The client. Cheap to share behind an `Arc`; calls may come from any thread.
pub struct CentralClient {
    http: reqwest::blocking::Client,
    config: ClientConfig,
    options: ClientOptions,
    clock: Arc<dyn Clock>,
    sequence: AtomicU64,
    sign_no: Mutex<Option<String>>,
    breaker: Mutex<Breaker>,
    link_fault: Mutex<Option<LinkFault>>,
    /// How the last exchange failed when the centre itself did not answer
    /// usably (unreachable, timeout, HTTP 5xx, malformed answer).
    centre_failure: Mutex<Option<&'static str>>,
    /// Centre time minus kiosk time, seconds; `i64::MIN`: not known yet.
    clock_skew: AtomicI64,
}

/// Clock skew beyond which TLS and signatures start to fail (and staff
/// are told).
pub const MAX_CLOCK_SKEW_S: i64 = 300;

impl CentralClient {
    /// Builds a client with the default [`ClientOptions`]; no message is
    /// sent until the first call.
    pub fn new(config: ClientConfig, clock: Arc<dyn Clock>) -> Result<CentralClient, Error> {
        CentralClient::with_options(config, clock, ClientOptions::default())
    }

    /// Builds a client with explicit options.
    pub fn with_options(
        config: ClientConfig,
        clock: Arc<dyn Clock>,
        options: ClientOptions,
    ) -> Result<CentralClient, Error> {
        if !(config.base_url.starts_with("http://") || config.base_url.starts_with("https://")) {
            return Err(Error::Config(
                "base_url must start with http:// or https://".into(),
            ));
        }
        crate::link::install_crypto_provider();
        let mut builder = reqwest::blocking::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout);
        if config.base_url.starts_with("https://") {
            let tls = match &options.security.tls {
                Some(link) => link.client_config(),
                None => crate::link::TlsSettings::default()
                    .load()
                    .map_err(|p| Error::Config(p.iter().map(ToString::to_string).collect()))?
                    .client_config(),
            };
            builder = builder.tls_backend_preconfigured(tls).https_only(true);
        }
        let http = builder.build().map_err(|e| Error::Config(e.to_string()))?;
        // The sequence starts at a random point so that a restart within
        // the same second does not repeat a msgid of the previous run.
        let start = options.random.next_u64() % MSGID_SEQ_SPAN;
        Ok(CentralClient {
            http,
            config,
            clock,
            sequence: AtomicU64::new(start),
            sign_no: Mutex::new(None),
            breaker: Mutex::new(Breaker::Closed { failures: 0 }),
            link_fault: Mutex::new(None),
            centre_failure: Mutex::new(None),
            clock_skew: AtomicI64::new(i64::MIN),
            options,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The options in use.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// A new message id: terminal id + `yyyyMMddHHmmss` + 6-digit sequence
    /// in 000000-499999 (the outbox uses 500000-999999).
    pub fn next_msgid(&self) -> String {
        let seq = self.sequence.fetch_add(1, Ordering::Relaxed) % MSGID_SEQ_SPAN;
        format!(
            "{}{}{seq:06}",
            self.config.terminal_id,
            self.clock.now().format("%Y%m%d%H%M%S")
        )
    }

    /// The link fault of the last exchange, if it failed with one (cleared
    /// by the next exchange that gets an answer).
    pub fn link_fault(&self) -> Option<LinkFault> {
        self.link_fault.lock().ok().and_then(|g| *g)
    }

    /// How the last exchange failed when the centre did not answer usably:
    /// `unreachable`, `timeout`, `http_5xx` (`http_500` …), `too_large`,
    /// `malformed_answer` or `wrong_reference`; `None` once an exchange
    /// gets an answer (or meets a misconfigured link: [`Self::link_fault`]).
    /// For the health board; no personal data.
    pub fn centre_failure(&self) -> Option<&'static str> {
        self.centre_failure.lock().ok().and_then(|g| *g)
    }

    /// Centre time minus kiosk time in seconds, from the last answer's
    /// `respond_time`; `None` before the first answer.
    pub fn clock_skew_s(&self) -> Option<i64> {
        match self.clock_skew.load(Ordering::Relaxed) {
            i64::MIN => None,
            s => Some(s),
        }
    }

    /// Remembers the link's state after an exchange: a link fault is
    /// logged once when it starts (or changes), and once when it ends.
    fn note_link<T>(&self, result: &Result<T, Error>) {
        self.note_centre(result);
        let now = match result {
            Err(Error::Link { fault, .. }) => Some(*fault),
            Err(e) if is_centre_failure(e) => return,
            _ => None,
        };
        let mut guard = match self.link_fault.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if *guard != now {
            match (now, result) {
                (Some(fault), Err(e)) => {
                    tracing::error!(
                        fault = fault.as_str(),
                        "central link misconfigured: {e}; {}",
                        fault.explain()
                    );
                }
                _ => tracing::info!("central link working again"),
            }
            *guard = now;
        }
    }

    /// Remembers whether the centre answered usably; logged once when it
    /// stops (or fails differently) and once when it answers again.
    fn note_centre<T>(&self, result: &Result<T, Error>) {
        let now = match result {
            Err(e) if is_centre_failure(e) => Some(failure_kind(e)),
            _ => None,
        };
        let mut guard = match self.centre_failure.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if *guard != now {
            match now {
                Some(kind) => tracing::warn!(kind, "central service not answering usably"),
                None => tracing::info!("central service answering again"),
            }
            *guard = now;
        }
    }

    fn note_skew(&self, respond_time: &str) {
        let Some(skew) = clock_skew(respond_time, self.clock.now()) else {
            return;
        };
        let before = self.clock_skew.swap(skew, Ordering::Relaxed);
        let was_bad = before != i64::MIN && before.abs() > MAX_CLOCK_SKEW_S;
        if skew.abs() > MAX_CLOCK_SKEW_S && !was_bad {
            tracing::warn!(
                skew_s = skew,
                "kiosk clock differs from the central service's by more than 5 minutes; TLS and signatures may fail: set the time (NTP)"
            );
        }
    }

    /// The circuit breaker's state.
    pub fn breaker_state(&self) -> BreakerState {
        let now = self.options.ticker.elapsed();
        match *self.lock_breaker() {
            Breaker::Closed { failures } => BreakerState::Closed { failures },
            Breaker::Open { until } => BreakerState::Open {
                retry_in: until.saturating_sub(now),
            },
            Breaker::HalfOpen => BreakerState::HalfOpen,
        }
    }

    fn lock_breaker(&self) -> std::sync::MutexGuard<'_, Breaker> {
        match self.breaker.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Lets a message through, or fails fast while the breaker is open.
    fn admit(&self) -> Result<(), Error> {
        let now = self.options.ticker.elapsed();
        let mut b = self.lock_breaker();
        match *b {
            Breaker::Closed { .. } => Ok(()),
            Breaker::Open { until } if now >= until => {
                *b = Breaker::HalfOpen;
                Ok(())
            }
            Breaker::Open { until } => Err(Error::CircuitOpen {
                retry_in_ms: until.saturating_sub(now).as_millis() as u64,
            }),
            Breaker::HalfOpen => Err(Error::CircuitOpen { retry_in_ms: 0 }),
        }
    }

    /// Records how an exchange went.
    fn record(&self, healthy: bool) {
        let now = self.options.ticker.elapsed();
        let policy = self.options.breaker;
        let mut b = self.lock_breaker();
        *b = match (*b, healthy) {
            (_, true) => Breaker::Closed { failures: 0 },
            (Breaker::Closed { failures }, false) if failures + 1 < policy.failure_threshold => {
                Breaker::Closed {
                    failures: failures + 1,
                }
            }
            (_, false) => {
                tracing::warn!("central service circuit breaker opened");
                Breaker::Open {
                    until: now + policy.cool_down,
                }
            }
        };
    }

    /// Signs in (9001) and remembers the sign number.
    pub fn sign_in(&self) -> Result<String, Error> {
        self.with_retries(Transaction::SignIn, || self.sign_in_once())
    }

    fn sign_in_once(&self) -> Result<String, Error> {
        let input = SignInInput {
            sign_in: SignInData {
                opter_no: self.config.terminal_id.clone(),
                mac: String::new(),
                ip: String::new(),
            },
        };
        let response: Response<SignInOutput> =
            self.exchange(Transaction::SignIn, &input, "", "", &self.next_msgid())?;
        let sign_no = sign_no_of(response)?;
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

    /// KS02 contribution history.
    pub fn query_contribution_history(
        &self,
        input: &ContributionHistoryInput,
    ) -> Result<ContributionHistoryOutput, Error> {
        self.call(Transaction::ContributionHistory, input)
    }

    /// KS06 personal account statement over a range of months.
    pub fn query_account_statement(
        &self,
        input: &crate::wire::AccountStatementInput,
    ) -> Result<crate::wire::AccountStatementOutput, Error> {
        self.call(Transaction::AccountStatement, input)
    }

    /// KS07 the person's settlements over a range of dates.
    pub fn query_settlements(
        &self,
        input: &crate::wire::SettlementQueryInput,
    ) -> Result<crate::wire::SettlementQueryOutput, Error> {
        self.call(Transaction::SettlementQuery, input)
    }

    /// KS03 certificate issue. Not retried: the caller asks again (a new
    /// certificate number) if the answer is lost.
    pub fn issue_certificate(
        &self,
        input: &CertificateIssueInput,
    ) -> Result<CertificateIssueOutput, Error> {
        self.call(Transaction::CertificateIssue, input)
    }

    /// KS04 certificate verification.
    pub fn verify_certificate(
        &self,
        input: &CertificateVerifyInput,
    ) -> Result<CertificateVerifyOutput, Error> {
        self.call(Transaction::CertificateVerify, input)
    }

    /// KS12 remote-care filings of a person, as the centre holds them.
    pub fn query_filings(&self, psn_no: &str) -> Result<FilingQueryOutput, Error> {
        self.call(
            Transaction::FilingQuery,
            &FilingQueryInput {
                psn_no: psn_no.to_string(),
            },
        )
    }

    /// KS15 the archived commitment letter of a filing (for a reprint).
    pub fn query_filing_letter(
        &self,
        input: &crate::wire::FilingLetterInput,
    ) -> Result<crate::wire::FilingLetterOutput, Error> {
        self.call(Transaction::FilingLetter, input)
    }

    /// KS17 the person's registered outpatient chronic and special diseases.
    pub fn query_chronic(
        &self,
        input: &crate::wire::ChronicQueryInput,
    ) -> Result<crate::wire::ChronicQueryOutput, Error> {
        self.call(Transaction::ChronicQuery, input)
    }

    /// KS41 one page of changes of a reference dataset after `since_version`.
    pub fn reference_data(
        &self,
        dataset: &str,
        since_version: &str,
    ) -> Result<ReferenceDataOutput, Error> {
        self.call(
            Transaction::ReferenceData,
            &ReferenceDataInput {
                dataset: dataset.to_string(),
                since_version: since_version.to_string(),
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

    /// Sends one stored command for the outbox with its stored `msgid`
    /// (the idempotency key) and JSON input. A rule refusal is an
    /// [`Submitted::Rejected`] answer, not an error; errors mean the answer
    /// is unknown and the record must be sent again, with the same `msgid`.
    pub fn submit(
        &self,
        transaction: Transaction,
        msgid: &str,
        input_json: &[u8],
    ) -> Result<Submitted, Error> {
        let input: Value = serde_json::from_slice(input_json)
            .map_err(|_| Error::Store("outbox payload is not JSON".into()))?;
        let response: Response<Value> = self.with_retries(transaction, || {
            self.exchange_signed(transaction, &input, msgid)
        })?;
        submitted(response)
    }

    /// Sends one transaction with sign-in handled, retries (queries only)
    /// and the breaker, and maps the centre's codes to errors.
    fn call<I: Serialize, O: DeserializeOwned>(
        &self,
        transaction: Transaction,
        input: &I,
    ) -> Result<O, Error> {
        let msgid = self.next_msgid();
        let response: Response<O> = self.with_retries(transaction, || {
            self.exchange_signed(transaction, input, &msgid)
        })?;
        answer_output(response)
    }

    /// Runs `attempt` through the breaker, retrying transient failures of
    /// idempotent queries with backoff and jitter. Bounded by
    /// [`RetryPolicy::max_attempts`].
    fn with_retries<T>(
        &self,
        transaction: Transaction,
        attempt: impl Fn() -> Result<T, Error>,
    ) -> Result<T, Error> {
        let attempts = if transaction.is_retryable() {
            self.options.retry.max_attempts.max(1)
        } else {
            1
        };
        let mut retry = 0;
        let started = self.options.ticker.elapsed();
        loop {
            self.admit()?;
            let result = attempt();
            self.note_link(&result);
            let failed = matches!(&result, Err(e) if is_centre_failure(e));
            self.record(!failed);
            let delay = self.options.retry.delay(retry, &*self.options.random);
            let within_budget = self.options.ticker.elapsed().saturating_sub(started) + delay
                <= self.options.retry.budget;
            match result {
                Err(e) if is_transient(&e) && retry + 1 < attempts && within_budget => {
                    tracing::debug!(infno = transaction.infno(), retry, ?delay, "retrying");
                    self.options.sleeper.sleep(delay);
                    retry += 1;
                }
                other => return other,
            }
        }
    }

    /// One message with its sign number: signs in first when there is
    /// none, and once more when the centre calls it stale; the repeat
    /// carries the same `msgid`, so the centre sees one message.
    fn exchange_signed<I: Serialize, O: DeserializeOwned>(
        &self,
        transaction: Transaction,
        input: &I,
        msgid: &str,
    ) -> Result<Response<O>, Error> {
        let sign_no = self.current_sign_no()?;
        let response: Response<O> = self.exchange(transaction, input, &sign_no, "", msgid)?;
        if response.infcode != infcode::SIGN_NO_INVALID {
            return Ok(response);
        }
        tracing::info!("sign number stale; signing in again");
        let sign_no = self.sign_in_once()?;
        self.exchange(transaction, input, &sign_no, "", msgid)
    }

    fn current_sign_no(&self) -> Result<String, Error> {
        let existing = self.sign_no.lock().ok().and_then(|g| g.clone());
        match existing {
            Some(sign_no) => Ok(sign_no),
            None => self.sign_in_once(),
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
        let infno = self.options.infno.infno(transaction);
        let security = &self.options.security;
        let request = Request {
            infno: infno.to_string(),
            msgid: msgid.to_string(),
            mdtrtarea_admvs: self.config.area_code.clone(),
            insuplc_admdvs: insured_area.to_string(),
            recer_sys_code: "KIOSK".into(),
            dev_no: self.config.terminal_id.clone(),
            dev_safe_info: security
                .device_safe_info
                .clone()
                .unwrap_or_else(|| security.signer.key_id().to_string()),
            cainfo: String::new(),
            signtype: security.signer.signtype().to_string(),
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
        let body = if security.signer.signtype().is_empty() {
            serde_json::to_vec(&request)
        } else {
            let mut envelope = serde_json::to_value(&request)
                .map_err(|_| Error::Config("request cannot be encoded".into()))?;
            sign_envelope(&mut envelope, &*security.signer)?;
            serde_json::to_vec(&envelope)
        }
        .map_err(|_| Error::Config("request cannot be encoded".into()))?;
        let path = format!("/fsi/api/{infno}");
        let url = format!("{}{path}", self.config.base_url.trim_end_matches('/'));
        let mut post = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        if let Some(gateway) = &security.gateway {
            let mut nonce = [0u8; 16];
            self.options.random.fill(&mut nonce);
            let headers = gateway.sign(
                crate::gateway::unix_time(self.clock.now()),
                &hex::encode(nonce),
                &path,
                &body,
            )?;
            for (name, value) in headers {
                post = post.header(name, value);
            }
        }
        let response = post.body(body).send().map_err(classify)?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(gateway_refusal(status.as_u16(), response));
        }
        if !status.is_success() {
            return Err(Error::HttpStatus(status.as_u16()));
        }
        let limit = self.options.max_response_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(Error::TooLarge { limit });
        }
        let mut body = Vec::new();
        response
            .take(limit as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|e| {
                if let Some((fault, detail)) = crate::link::classify_tls(&e) {
                    Error::Link { fault, detail }
                } else if e.kind() == std::io::ErrorKind::TimedOut {
                    Error::Timeout
                } else {
                    Error::Unreachable("connection lost while reading the answer".into())
                }
            })?;
        let envelope: Response<O> = decode_answer(&body, msgid, limit)?;
        self.note_skew(&envelope.respond_time);
        Ok(envelope)
    }
}

/// The longest text of the centre's (`err_msg`) an error carries, in
/// characters.
pub(crate) const MAX_ERR_MSG_CHARS: usize = 200;

fn centre_text(message: String) -> String {
    message.chars().take(MAX_ERR_MSG_CHARS).collect()
}

/// The centre's answer body as an envelope: at most `limit` bytes, JSON
/// of the expected shape, and the answer to `msgid`. Pure: what the
/// client does with every answer body, and what the `envelope` fuzz
/// target feeds.
pub(crate) fn decode_answer<O: DeserializeOwned>(
    body: &[u8],
    msgid: &str,
    limit: usize,
) -> Result<Response<O>, Error> {
    if body.len() > limit {
        return Err(Error::TooLarge { limit });
    }
    let envelope: Response<O> = serde_json::from_slice(body).map_err(|e| malformed(&e))?;
    if envelope.inf_refmsgid != msgid {
        return Err(Error::WrongReference);
    }
    Ok(envelope)
}

/// What an answer to a transaction comes to: its output on `infcode` 0,
/// the centre's codes as errors otherwise.
pub(crate) fn answer_output<O>(response: Response<O>) -> Result<O, Error> {
    match response.infcode {
        infcode::OK => response
            .output
            .ok_or_else(|| Error::Malformed("answer without output".into())),
        infcode::SIGN_NO_INVALID => Err(Error::SignIn("sign number refused after sign-in".into())),
        infcode::SIGNATURE_INVALID => Err(signature_rejected(response.err_msg)),
        infcode::PERSON_NOT_FOUND => Err(Error::PersonNotFound),
        infcode::EVOUCHER_EXPIRED => Err(Error::EVoucherExpired),
        other => Err(Error::Refused {
            infcode: other,
            message: centre_text(response.err_msg.unwrap_or_default()),
        }),
    }
}

/// What an answer to a command of the outbox comes to: accepted, refused
/// by the centre's rules (a final answer), or an error (sent again later).
pub(crate) fn submitted(response: Response<Value>) -> Result<Submitted, Error> {
    match response.infcode {
        infcode::OK => Ok(Submitted::Accepted(response.output.unwrap_or(Value::Null))),
        infcode::SIGN_NO_INVALID => Err(Error::SignIn("sign number refused after sign-in".into())),
        // Not the record's fault: it stays pending until the key is fixed.
        infcode::SIGNATURE_INVALID => Err(signature_rejected(response.err_msg)),
        // A blank `err_msg` says no more than a missing one.
        code => Ok(Submitted::Rejected {
            code,
            reason: centre_text(
                response
                    .err_msg
                    .filter(|m| !m.trim().is_empty())
                    .unwrap_or_else(|| tr_mark!("医保中心未说明原因").to_string()),
            ),
        }),
    }
}

/// The sign number of a 9001 answer (1 to 64 bytes), or why not.
pub(crate) fn sign_no_of(response: Response<SignInOutput>) -> Result<String, Error> {
    if response.infcode == infcode::SIGNATURE_INVALID {
        return Err(signature_rejected(response.err_msg));
    }
    if response.infcode != infcode::OK {
        return Err(Error::SignIn(centre_text(
            response.err_msg.unwrap_or_default(),
        )));
    }
    let output = response
        .output
        .ok_or_else(|| Error::Malformed("9001 answer without output".into()))?;
    let sign_no = output.signinoutb.sign_no;
    if sign_no.is_empty() || sign_no.len() > 64 {
        return Err(Error::SignIn("unusable sign number".into()));
    }
    Ok(sign_no)
}

/// Centre time minus kiosk time `now`, in seconds, from an answer's
/// `respond_time` (`yyyyMMddHHmmss`); `None` when it is not such a time.
pub(crate) fn clock_skew(respond_time: &str, now: chrono::NaiveDateTime) -> Option<i64> {
    let centre = chrono::NaiveDateTime::parse_from_str(respond_time, "%Y%m%d%H%M%S").ok()?;
    Some((centre - now).num_seconds())
}

/// Sequence numbers of the client's own msgids: 000000-499999.
const MSGID_SEQ_SPAN: u64 = 500_000;

/// Failures that say the centre is not healthy (they count for the breaker).
fn is_centre_failure(e: &Error) -> bool {
    match e {
        Error::Unreachable(_)
        | Error::Timeout
        | Error::TooLarge { .. }
        | Error::Malformed(_)
        | Error::WrongReference => true,
        Error::HttpStatus(code) => *code >= 500 || *code == 429,
        _ => false,
    }
}

/// The health board's name for a centre failure ([`is_centre_failure`]).
fn failure_kind(e: &Error) -> &'static str {
    match e {
        Error::Unreachable(_) => "unreachable",
        Error::Timeout => "timeout",
        Error::TooLarge { .. } => "too_large",
        Error::Malformed(_) => "malformed_answer",
        Error::WrongReference => "wrong_reference",
        Error::HttpStatus(429) => "http_429",
        Error::HttpStatus(code) if *code >= 500 && *code < 600 => match code {
            500 => "http_500",
            502 => "http_502",
            503 => "http_503",
            504 => "http_504",
            _ => "http_5xx",
        },
        _ => "failed",
    }
}

/// Failures worth a retry of an idempotent query.
fn is_transient(e: &Error) -> bool {
    match e {
        Error::Unreachable(_) | Error::Timeout => true,
        Error::HttpStatus(code) => *code >= 500 || *code == 429,
        _ => false,
    }
}

fn classify(error: reqwest::Error) -> Error {
    if let Some((fault, detail)) = crate::link::classify_tls(&error) {
        Error::Link { fault, detail }
    } else if error.is_timeout() {
        Error::Timeout
    } else {
        Error::Unreachable(error.without_url().to_string())
    }
}

fn signature_rejected(message: Option<String>) -> Error {
    Error::Link {
        fault: LinkFault::SignatureRejected,
        detail: centre_text(message.unwrap_or_else(|| "signature refused".into())),
    }
}

/// A 401/403: the gateway (or the centre acting as one) refused the
/// request; its JSON answer names the reason (`gateway_code`).
fn gateway_refusal(status: u16, response: reqwest::blocking::Response) -> Error {
    let mut body = Vec::new();
    let _ = response.take(4096).read_to_end(&mut body);
    let code = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("gateway_code")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| format!("HTTP {status}"));
    Error::Link {
        fault: LinkFault::GatewayRejected,
        detail: code.chars().take(80).collect(),
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

// The records journeys (issue 15): their transactions in one block.
impl CentralClient {
    /// KS05 contribution record: the centre numbers and signs the months it
    /// returns. Not retried (a command): a lost answer is asked again,
    /// which numbers a new record.
    pub fn issue_contribution_record(
        &self,
        input: &crate::wire::ContributionRecordInput,
    ) -> Result<crate::wire::ContributionRecordOutput, Error> {
        self.call(Transaction::ContributionRecordIssue, input)
    }
}

// Resident premium payment (issue 15, KS51–KS54). KS52 and KS54 are keyed
// on the kiosk's order number, so the client retries them like queries: a
// repeat finds the same order and never creates or charges a second one.
impl CentralClient {
    /// KS51 the resident premium the person owes for `year`.
    pub fn query_premium_due(
        &self,
        input: &crate::wire::PremiumDueInput,
    ) -> Result<crate::wire::PremiumDueOutput, Error> {
        self.call(Transaction::PremiumDue, input)
    }

    /// KS33 the terminal's remote configuration.
    pub fn terminal_config(
        &self,
        input: &crate::wire::TerminalConfigInput,
    ) -> Result<crate::wire::TerminalConfigOutput, Error> {
        self.call(Transaction::TerminalConfig, input)
    }

    /// KS52 creates the payment order `input.order_no`, or answers it again
    /// as it stands when the centre has it already.
    pub fn create_premium_order(
        &self,
        input: &crate::wire::PremiumOrderInput,
    ) -> Result<crate::wire::PremiumOrderOutput, Error> {
        self.call(Transaction::PremiumOrder, input)
    }

    /// KS53 the state of a payment order.
    pub fn query_premium_order(
        &self,
        order_no: &str,
    ) -> Result<crate::wire::PremiumOrderOutput, Error> {
        self.call(
            Transaction::PremiumOrderQuery,
            &crate::wire::PremiumOrderRef {
                order_no: order_no.to_string(),
            },
        )
    }

    /// KS54 cancels a payment order; the answer is the order as it then
    /// stands (paid, when the payment arrived first).
    pub fn cancel_premium_order(
        &self,
        order_no: &str,
    ) -> Result<crate::wire::PremiumOrderOutput, Error> {
        self.call(
            Transaction::PremiumOrderCancel,
            &crate::wire::PremiumOrderRef {
                order_no: order_no.to_string(),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn answer(infcode: i32, err_msg: Option<&str>) -> Response<Value> {
        Response {
            infcode,
            inf_refmsgid: "M1".into(),
            refmsg_time: String::new(),
            respond_time: String::new(),
            err_msg: err_msg.map(str::to_string),
            output: None,
        }
    }

    /// Found by the `envelope` harness (fuzz/regressions/envelope/
    /// rejected-with-blank-err-msg): a refusal whose `err_msg` is empty or
    /// blank was kept with an empty reason; it now reads like one without.
    #[test]
    fn a_refusal_with_a_blank_reason_gets_the_default_one() {
        for blank in [Some(""), Some("  \t"), None] {
            match submitted(answer(-1, blank)).unwrap() {
                Submitted::Rejected { code, reason } => {
                    assert_eq!(code, -1);
                    assert_eq!(reason, tr_mark!("医保中心未说明原因"));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    /// The centre's texts in errors are cut to 200 characters, sign-in's
    /// too (it used to keep the whole `err_msg`).
    #[test]
    fn the_centres_texts_are_cut_to_200_characters() {
        let long = "错".repeat(5000);
        let sign_in = Response::<SignInOutput> {
            infcode: -1,
            inf_refmsgid: "M1".into(),
            refmsg_time: String::new(),
            respond_time: String::new(),
            err_msg: Some(long.clone()),
            output: None,
        };
        match sign_no_of(sign_in) {
            Err(Error::SignIn(m)) => assert_eq!(m.chars().count(), MAX_ERR_MSG_CHARS),
            other => panic!("{other:?}"),
        }
        match submitted(answer(-7, Some(&long))).unwrap() {
            Submitted::Rejected { reason, .. } => {
                assert_eq!(reason.chars().count(), MAX_ERR_MSG_CHARS);
            }
            other => panic!("{other:?}"),
        }
        match answer_output(answer(-7, Some(&long))) {
            Err(Error::Refused { message, .. }) => {
                assert_eq!(message.chars().count(), MAX_ERR_MSG_CHARS);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_answer_body_is_checked_for_size_shape_and_reference() {
        let body = br#"{"infcode":0,"inf_refmsgid":"M1","output":{"x":1}}"#;
        assert!(decode_answer::<Value>(body, "M1", body.len()).is_ok());
        assert!(matches!(
            decode_answer::<Value>(body, "M1", body.len() - 1),
            Err(Error::TooLarge { .. })
        ));
        assert!(matches!(
            decode_answer::<Value>(body, "M2", 4096),
            Err(Error::WrongReference)
        ));
        assert!(matches!(
            decode_answer::<Value>(b"{\"infcode\":", "M1", 4096),
            Err(Error::Malformed(_))
        ));
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
            .and_then(|d| d.and_hms_opt(9, 30, 0))
            .unwrap();
        assert_eq!(clock_skew("20261122093500", now), Some(300));
        assert_eq!(clock_skew("2026-11-22 09:35", now), None);
    }
}
