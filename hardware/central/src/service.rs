//! The transactions the reference central service answers.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::post;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::Value;

use kiosk_core::clock::Clock;
use kiosk_sync::envelope::{Request, Response, infcode};
use kiosk_sync::wire::{
    BaseInfo, EnrollmentDetailInput, EnrollmentDetailItem, EnrollmentDetailOutput, InsuInfo,
    PersonQueryInput, PersonQueryOutput, SignInOutput, SignInResult,
};

use crate::data::{DemoData, DemoPerson};

/// Largest request body accepted.
const MAX_BODY: usize = 256 * 1024;

/// The service state: the people it knows and the sign numbers it issued.
pub struct Central {
    data: DemoData,
    clock: Arc<dyn Clock>,
    sign_nos: Mutex<HashSet<String>>,
    counter: AtomicU64,
}

type Answer = (i32, Option<Value>, Option<String>);

impl Central {
    /// A service answering from `data`, with time from `clock`.
    pub fn new(data: DemoData, clock: Arc<dyn Clock>) -> Central {
        Central {
            data,
            clock,
            sign_nos: Mutex::new(HashSet::new()),
            counter: AtomicU64::new(0),
        }
    }

    /// Handles one envelope; `infno` is the one from the URL.
    pub fn handle(&self, infno: &str, body: &[u8]) -> Value {
        let received = self.clock.now().format("%Y%m%d%H%M%S").to_string();
        let request: Request<Value> = match serde_json::from_slice(body) {
            Ok(r) => r,
            Err(_) => return self.reply("", &received, bad("报文不是有效的JSON信封")),
        };
        let answer = if request.infno != infno {
            bad("交易编号与地址不一致")
        } else if infno == "9001" {
            self.sign_in()
        } else if !self.sign_no_valid(&request.sign_no) {
            (
                infcode::SIGN_NO_INVALID,
                None,
                Some("签到编号无效或已过期，请重新签到".into()),
            )
        } else {
            match infno {
                "1101" => self.person_query(&request.input),
                "KS01" => self.enrollment_detail(&request.input),
                _ => bad("不支持的交易编号"),
            }
        };
        self.reply(&request.msgid, &received, answer)
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
            None => (
                infcode::PERSON_NOT_FOUND,
                None,
                Some("未查询到参保人员信息".into()),
            ),
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
        let Some(p) = self
            .data
            .people
            .iter()
            .find(|p| p.person_number == query.psn_no)
        else {
            return (
                infcode::PERSON_NOT_FOUND,
                None,
                Some("未查询到参保人员信息".into()),
            );
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

/// The HTTP routes.
pub fn router(central: Arc<Central>) -> Router {
    Router::new()
        .route("/fsi/api/{infno}", post(handle))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(central)
}

async fn handle(
    State(central): State<Arc<Central>>,
    Path(infno): Path<String>,
    body: Bytes,
) -> Json<Value> {
    Json(central.handle(&infno, &body))
}
