//! Fuzz harness of the central service's answers, shared by the cargo-fuzz
//! target `envelope` in `fuzz/` (nightly, libFuzzer) and the stable-Rust
//! smoke test `sync/tests/envelope_smoke.rs` (proptest, bounded random
//! input, and every committed input). It takes arbitrary bytes as the body
//! of an answer and panics only on a broken invariant; see docs/fuzzing.md.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::Value;

use kiosk_core::records::YearMonth;

use crate::client::{
    MAX_ERR_MSG_CHARS, MAX_RESPONSE_BYTES, Submitted, answer_output, clock_skew, decode_answer,
    sign_no_of, submitted,
};
use crate::envelope::{Response, infcode};
use crate::error::Error;
use crate::wire::{
    AccountStatementOutput, CertificateIssueOutput, CertificateVerifyOutput, ChronicQueryOutput,
    ContributionHistoryOutput, ContributionRecordOutput, EnrollmentDetailOutput,
    FilingLetterOutput, FilingQueryOutput, PersonQueryOutput, PremiumDueOutput, PremiumOrderOutput,
    ReferenceDataOutput, RemoteSettings, SettlementQueryOutput, SignInOutput, TerminalConfigOutput,
};

/// Texts of the centre's that an error carries stay within the bound.
fn check_error(error: &Error) {
    let text = match error {
        Error::Refused { message, .. } => message,
        Error::SignIn(message) => message,
        Error::Link { detail, .. } => detail,
        _ => return,
    };
    assert!(text.chars().count() <= MAX_ERR_MSG_CHARS, "{error}");
}

/// Whether two JSON values are the same, floats within 2 ULP: serde_json
/// (without its `float_roundtrip` feature, as this workspace builds it)
/// reads some long floats one ULP off, so a float that went out and back
/// may differ in the last bit. Amounts are decimals (as strings, or read
/// through their shortest float text) and are compared exactly.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => {
                    x == y || (x.signum() == y.signum() && x.to_bits().abs_diff(y.to_bits()) <= 2)
                }
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kx, vx), (ky, vy))| kx == ky && same_json(vx, vy))
        }
        _ => a == b,
    }
}

/// The body decoded as an answer with output `O`: the reference is checked,
/// the envelope re-encodes to one that decodes to itself, and the output
/// (if any) comes out only on `infcode` 0.
fn typed<O>(body: &[u8], msgid: &str) -> Option<O>
where
    O: DeserializeOwned + Serialize + std::fmt::Debug,
{
    let response = match decode_answer::<O>(body, msgid, MAX_RESPONSE_BYTES) {
        Ok(r) => r,
        Err(e) => {
            assert!(
                matches!(e, Error::Malformed(_)),
                "typed decode of a parsed envelope: {e:?}"
            );
            return None;
        }
    };
    assert_eq!(response.inf_refmsgid, msgid);
    let again = serde_json::to_vec(&response).map(|b| decode_answer::<O>(&b, msgid, usize::MAX));
    match again {
        Ok(Ok(again)) => {
            let (x, y) = (
                serde_json::to_value(&again),
                serde_json::to_value(&response),
            );
            assert!(
                matches!((&x, &y), (Ok(x), Ok(y)) if same_json(x, y)),
                "answer does not survive re-encoding: {again:?} != {response:?}"
            );
        }
        other => panic!("re-encoded answer refused: {other:?}"),
    }
    let code = response.infcode;
    let had_output = response.output.is_some();
    match answer_output(response) {
        Ok(output) => {
            assert!(code == infcode::OK && had_output);
            Some(output)
        }
        Err(e) => {
            assert!(code != infcode::OK || !had_output, "{e:?}");
            check_error(&e);
            match code {
                infcode::PERSON_NOT_FOUND => assert!(matches!(e, Error::PersonNotFound)),
                infcode::EVOUCHER_EXPIRED => assert!(matches!(e, Error::EVoucherExpired)),
                infcode::SIGN_NO_INVALID => assert!(matches!(e, Error::SignIn(_))),
                _ => {}
            }
            None
        }
    }
}

/// Outputs mapped to the domain: typed errors only, and what maps once maps
/// the same again from its wire form where there is one.
fn map_outputs(body: &[u8], msgid: &str) {
    let from = YearMonth {
        year: 2025,
        month: 1,
    };
    let to = YearMonth {
        year: 2026,
        month: 12,
    };
    // One answer may carry 1101's and KS01's fields side by side: the
    // fuzzer reaches the person mapping with one input.
    let person = typed::<PersonQueryOutput>(body, msgid);
    let detail = typed::<EnrollmentDetailOutput>(body, msgid);
    if let (Some(person), Some(detail)) = (&person, &detail)
        && let Ok(insured) = crate::mapping::insured_person(person, detail)
    {
        assert!(insured.enrollments.len() <= person.insuinfo.len());
        assert_eq!(insured.person_number, person.baseinfo.psn_no);
    }
    if let Some(out) = typed::<ContributionHistoryOutput>(body, msgid) {
        for item in &out.items {
            let _ = crate::records::contribution_month(item);
        }
    }
    if let Some(out) = typed::<ContributionRecordOutput>(body, msgid) {
        for item in &out.items {
            let _ = crate::records::contribution_month(item);
        }
    }
    if let Some(out) = typed::<AccountStatementOutput>(body, msgid) {
        let _ = crate::records::statement_of(from, to, &out);
    }
    if let Some(out) = typed::<SettlementQueryOutput>(body, msgid)
        && let (Some(a), Some(b)) = (
            NaiveDate::from_ymd_opt(2025, 1, 1),
            NaiveDate::from_ymd_opt(2026, 12, 31),
        )
    {
        let _ = crate::records::settlements_of(a, b, &out);
    }
    if let Some(out) = typed::<CertificateIssueOutput>(body, msgid)
        && let Some(facts) = &out.facts
    {
        let _ = crate::mapping::certificate_facts(facts);
    }
    if let Some(out) = typed::<FilingLetterOutput>(body, msgid)
        && let Some(letter) = crate::mapping::letter_of(&out.letter)
    {
        let wire = crate::mapping::letter_wire(&letter);
        assert_eq!(crate::mapping::letter_of(&wire), Some(letter));
    }
    if let Some(out) = typed::<TerminalConfigOutput>(body, msgid) {
        let _ = serde_json::from_value::<RemoteSettings>(out.settings);
    }
    let _ = typed::<CertificateVerifyOutput>(body, msgid);
    let _ = typed::<FilingQueryOutput>(body, msgid);
    let _ = typed::<ChronicQueryOutput>(body, msgid);
    let _ = typed::<ReferenceDataOutput>(body, msgid);
    let _ = typed::<PremiumDueOutput>(body, msgid);
    let _ = typed::<PremiumOrderOutput>(body, msgid);
}

/// An answer body of the central service through everything the client
/// does with one: the size limit, the JSON envelope, the reference check,
/// the `infcode` rules of queries, of outbox commands and of sign-in, the
/// clock skew from `respond_time`, and the typed outputs of every
/// transaction with their mapping to the domain.
///
/// Besides "no panic": an answer to another message is refused, one over
/// the limit too; a decoded envelope re-encodes to itself; an output comes
/// out only on `infcode` 0; a rule refusal of a command is final only for
/// codes that are not the link's; the centre's texts in errors are cut to
/// [`MAX_ERR_MSG_CHARS`]; a sign number is 1 to 64 bytes.
pub fn envelope(body: &[u8]) {
    // The reference the answer gives (when it is an envelope at all), so
    // that the rest is reached without the fuzzer guessing a msgid.
    let Ok(shape) = serde_json::from_slice::<Response<IgnoredAny>>(body) else {
        let e = decode_answer::<Value>(body, "", MAX_RESPONSE_BYTES);
        assert!(matches!(e, Err(Error::Malformed(_))), "{e:?}");
        return;
    };
    let msgid = shape.inf_refmsgid;
    let other = format!("{msgid}0");
    assert!(matches!(
        decode_answer::<Value>(body, &other, MAX_RESPONSE_BYTES),
        Err(Error::WrongReference | Error::Malformed(_))
    ));
    if let Some(limit) = body.len().checked_sub(1) {
        assert!(matches!(
            decode_answer::<Value>(body, &msgid, limit),
            Err(Error::TooLarge { .. })
        ));
    }
    if let Ok(generic) = decode_answer::<Value>(body, &msgid, MAX_RESPONSE_BYTES) {
        let now = NaiveDate::from_ymd_opt(2026, 11, 22)
            .and_then(|d| d.and_hms_opt(9, 30, 0))
            .unwrap_or(NaiveDateTime::MIN);
        if let Some(skew) = clock_skew(&generic.respond_time, now) {
            let later = now + chrono::TimeDelta::seconds(1);
            assert_eq!(clock_skew(&generic.respond_time, later), Some(skew - 1));
        }
        let code = generic.infcode;
        match submitted(generic.clone()) {
            Ok(Submitted::Accepted(_)) => assert_eq!(code, infcode::OK),
            Ok(Submitted::Rejected { code: c, reason }) => {
                assert_eq!(c, code);
                assert!(
                    ![
                        infcode::OK,
                        infcode::SIGN_NO_INVALID,
                        infcode::SIGNATURE_INVALID
                    ]
                    .contains(&c)
                );
                assert!(!reason.is_empty() && reason.chars().count() <= MAX_ERR_MSG_CHARS);
            }
            Err(e) => {
                assert!([infcode::SIGN_NO_INVALID, infcode::SIGNATURE_INVALID].contains(&code));
                check_error(&e);
            }
        }
        let _ = answer_output(generic);
    }
    if let Ok(sign_in) = decode_answer::<SignInOutput>(body, &msgid, MAX_RESPONSE_BYTES) {
        match sign_no_of(sign_in) {
            Ok(sign_no) => assert!(!sign_no.is_empty() && sign_no.len() <= 64),
            Err(e) => check_error(&e),
        }
    }
    map_outputs(body, &msgid);
}
