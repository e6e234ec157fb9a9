//! The reference centre's resident premium payment 城乡居民医保缴费
//! (KS51–KS54, docs/transactions.md): KS51 assesses a year from the demo
//! data's `[[premium_years]]` and the person's `premium_subsidy`; KS52
//! opens a payment order keyed on the kiosk's order number; KS53 reads an
//! order; KS54 cancels an open one. The payment itself is made by a phone
//! against the tax bureau in real life; here it is simulated by
//! [`Central::simulate_payment`] and its route `POST /sim/premium/{order_no}`
//! with `{"result": "paid", "channel": "微信支付"}` or `{"result": "failed",
//! "reason": "余额不足"}` (200 with the order, 404 for no such order, 409
//! with the order when it is not open, 400 for a body that is neither).
//!
//! Rules:
//! - `due` = max(0, standard − subsidy); a year is `paid` when an order of
//!   the person and year is paid at the centre, or when the person's
//!   resident contributions of that year are recorded paid (the demo data;
//!   receipt number `<admdvs>-<year>-C<psn_no>`); paid wins over `closed`;
//!   outside its collection period (or not published at all) a year is
//!   `closed`.
//! - KS51 `year` 0: the year whose collection period contains today, else
//!   the next year whose period has not begun; the answer's `year` says
//!   which.
//! - An open order expires [`ORDER_VALID_MINUTES`] after it was created;
//!   expiry is computed from the clock whenever an order is read, never
//!   stored.
//! - A number KS53 or KS54 found unknown is barred (`premium_order_void`):
//!   a KS52 arriving later with it is refused, so an order the kiosk gave
//!   up on can never be paid behind its back.
//! - A paid order's receipt number is `<admdvs>-<year>-R<6-digit serial>`,
//!   a series per pooling area and year.

use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response as HttpResponse};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use kiosk_sync::envelope::Request;
use kiosk_sync::wire::{
    PremiumDueInput, PremiumDueOutput, PremiumOrderInput, PremiumOrderOutput, PremiumOrderRef,
};

use super::{Central, Handled, MSGID_CONFLICT, bad, not_found, ok, parse, rule};
use crate::Error;
use crate::data::{DemoPerson, PremiumYear};
use crate::db::db_error;

/// Minutes an open payment order stays payable after it was created.
pub const ORDER_VALID_MINUTES: i64 = 15;

/// Where the payment QR code points by default: `{pay_base}/{order_no}`.
/// A reserved top-level domain (RFC 2606), so it is plainly no real
/// payment page.
pub const DEFAULT_PAY_BASE: &str = "https://pay.demo.invalid/resident-premium";

/// The resident scheme's insurance type.
const RESIDENT: &str = "390";

/// Longest order number accepted.
const MAX_ORDER_NO: usize = 40;

const TIME: &str = "%Y-%m-%d %H:%M:%S";

/// A simulated payment's outcome: the body of `POST /sim/premium/{order_no}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "result", rename_all = "lowercase", deny_unknown_fields)]
pub enum SimulatedPayment {
    /// Paid through `channel` (default 微信支付).
    Paid {
        /// How it was paid, e.g. 微信支付, 支付宝, 银联.
        #[serde(default = "wechat")]
        channel: String,
    },
    /// The payment failed for `reason` (default 支付失败).
    Failed {
        /// Why, e.g. 余额不足.
        #[serde(default = "failure")]
        reason: String,
    },
}

fn wechat() -> String {
    "微信支付".to_string()
}

fn failure() -> String {
    "支付失败".to_string()
}

/// One stored order.
struct OrderRow {
    order_no: String,
    psn_no: String,
    year: i32,
    admdvs: String,
    amount: Decimal,
    state: String,
    pay_url: String,
    expires_at: String,
    paid_at: String,
    receipt_no: String,
    channel: String,
    reason: String,
}

/// Amounts on the wire with two decimals.
fn yuan(mut d: Decimal) -> Decimal {
    d.rescale(2);
    d
}

fn valid_order_no(order_no: &str) -> bool {
    !order_no.is_empty()
        && order_no.len() <= MAX_ORDER_NO
        && order_no
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn unknown(order_no: &str) -> PremiumOrderOutput {
    PremiumOrderOutput {
        order_no: order_no.to_string(),
        state: "unknown".into(),
        year: 0,
        insutype: String::new(),
        amount: Decimal::ZERO,
        pay_url: String::new(),
        expires_at: String::new(),
        paid_at: String::new(),
        receipt_no: String::new(),
        channel: String::new(),
        reason: String::new(),
    }
}

/// The customary collection period of a year not in the data:
/// Y-1-09-01 to the end of February of Y.
fn customary_period(year: i32) -> (NaiveDate, NaiveDate) {
    let begin = NaiveDate::from_ymd_opt(year - 1, 9, 1).unwrap_or(NaiveDate::MIN);
    let end = NaiveDate::from_ymd_opt(year, 3, 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(NaiveDate::MIN);
    (begin, end)
}

/// What a year looks like for one person.
enum Assessment {
    /// Not in the resident scheme.
    NotResident,
    /// Paid: the receipt.
    Paid(Box<PremiumOrderOutput>),
    /// Outside the collection period, or not published.
    Closed,
    /// Payable now.
    Due,
}

impl Central {
    fn resident_area(p: &DemoPerson) -> Option<&str> {
        p.insurance
            .iter()
            .find(|i| i.insutype == RESIDENT)
            .map(|i| i.pooling_area.as_str())
    }

    /// KS51 `year` 0: the year being collected today, else the next one
    /// whose period has not begun (the customary calendar when the data
    /// publishes none).
    fn premium_year_now(&self) -> i32 {
        let today = self.clock.today();
        let years = &self.data.premium_years;
        if let Some(y) = years.iter().find(|y| y.is_open_on(today)) {
            return y.year;
        }
        if let Some(y) = years
            .iter()
            .filter(|y| y.period_begin > today)
            .min_by_key(|y| y.period_begin)
        {
            return y.year;
        }
        if today.month() <= 2 {
            today.year()
        } else {
            today.year() + 1
        }
    }

    fn premium_period(&self, year: i32) -> (Option<&PremiumYear>, NaiveDate, NaiveDate) {
        match self.data.premium_year(year) {
            Some(y) => (Some(y), y.period_begin, y.period_end),
            None => {
                let (b, e) = customary_period(year);
                (None, b, e)
            }
        }
    }

    /// The order as it stands now: an open one past its expiry is
    /// `expired`.
    fn order_output(&self, row: OrderRow) -> PremiumOrderOutput {
        let now = self.clock.now();
        let expired = NaiveDateTime::parse_from_str(&row.expires_at, TIME)
            .map(|at| now >= at)
            .unwrap_or(true);
        let state = if row.state == "open" && expired {
            "expired".to_string()
        } else {
            row.state
        };
        let open = state == "open";
        PremiumOrderOutput {
            order_no: row.order_no,
            year: row.year,
            insutype: RESIDENT.into(),
            amount: yuan(row.amount),
            pay_url: if open { row.pay_url } else { String::new() },
            expires_at: if open || state == "expired" {
                row.expires_at
            } else {
                String::new()
            },
            paid_at: row.paid_at,
            receipt_no: row.receipt_no,
            channel: row.channel,
            reason: row.reason,
            state,
        }
    }

    fn load_order(&self, conn: &Connection, order_no: &str) -> Result<Option<OrderRow>, Error> {
        let row = conn
            .query_row(
                "SELECT order_no, psn_no, year, admdvs, amount, state, pay_url, expires_at,
                        paid_at, receipt_no, channel, reason
                 FROM premium_order WHERE order_no = ?1",
                [order_no],
                |r| {
                    Ok((
                        OrderRow {
                            order_no: r.get(0)?,
                            psn_no: r.get(1)?,
                            year: r.get(2)?,
                            admdvs: r.get(3)?,
                            amount: Decimal::ZERO,
                            state: r.get(5)?,
                            pay_url: r.get(6)?,
                            expires_at: r.get(7)?,
                            paid_at: r.get(8)?,
                            receipt_no: r.get(9)?,
                            channel: r.get(10)?,
                            reason: r.get(11)?,
                        },
                        r.get::<_, String>(4)?,
                    ))
                },
            )
            .optional()
            .map_err(db_error)?;
        row.map(|(mut row, amount)| {
            row.amount = Decimal::from_str(&amount).map_err(|_| {
                Error::Database(format!("premium order {order_no}: amount unreadable"))
            })?;
            Ok(row)
        })
        .transpose()
    }

    /// The person's orders of `year` in `state` (stored state), newest
    /// first.
    fn orders_of(
        &self,
        conn: &Connection,
        psn_no: &str,
        year: i32,
        state: &str,
    ) -> Result<Vec<PremiumOrderOutput>, Error> {
        let numbers: Vec<String> = {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT order_no FROM premium_order WHERE psn_no = ?1 AND year = ?2
                       AND state = ?3 ORDER BY created_at DESC, order_no DESC",
                )
                .map_err(db_error)?;
            stmt.query_map(params![psn_no, year, state], |r| r.get(0))
                .map_err(db_error)?
                .collect::<Result<_, _>>()
                .map_err(db_error)?
        };
        let mut out = Vec::new();
        for n in numbers {
            if let Some(row) = self.load_order(conn, &n)? {
                out.push(self.order_output(row));
            }
        }
        Ok(out)
    }

    /// The year paid from the recorded contributions: at least one month
    /// of it paid and none unpaid; the receipt as far as the record knows.
    fn paid_by_contributions(
        p: &DemoPerson,
        year: i32,
        admdvs: &str,
    ) -> Option<PremiumOrderOutput> {
        let ins = p.insurance.iter().find(|i| i.insutype == RESIDENT)?;
        let mut paid = false;
        let mut amount = Decimal::ZERO;
        for c in &ins.contributions {
            for (y, _) in c.months() {
                if y != year {
                    continue;
                }
                if c.unpaid {
                    return None;
                }
                paid = true;
                amount += c.personal;
            }
        }
        paid.then(|| PremiumOrderOutput {
            order_no: String::new(),
            state: "paid".into(),
            year,
            insutype: RESIDENT.into(),
            amount: yuan(amount),
            pay_url: String::new(),
            expires_at: String::new(),
            paid_at: String::new(),
            receipt_no: format!("{admdvs}-{year}-C{}", p.person_number),
            channel: String::new(),
            reason: String::new(),
        })
    }

    fn assess(&self, conn: &Connection, p: &DemoPerson, year: i32) -> Result<Assessment, Error> {
        let Some(admdvs) = Central::resident_area(p) else {
            return Ok(Assessment::NotResident);
        };
        if let Some(order) = self
            .orders_of(conn, &p.person_number, year, "paid")?
            .into_iter()
            .next()
        {
            return Ok(Assessment::Paid(Box::new(order)));
        }
        if let Some(receipt) = Central::paid_by_contributions(p, year, admdvs) {
            return Ok(Assessment::Paid(Box::new(receipt)));
        }
        let today = self.clock.today();
        match self.data.premium_year(year) {
            Some(y) if y.is_open_on(today) => Ok(Assessment::Due),
            _ => Ok(Assessment::Closed),
        }
    }

    /// The subsidy of the person: (amount, kind).
    fn subsidy_of(p: &DemoPerson) -> (Decimal, String) {
        match &p.premium_subsidy {
            Some(s) => (s.amount, s.kind.clone()),
            None => (Decimal::ZERO, String::new()),
        }
    }

    /// What the person pays for the year: standard − subsidy, never below 0.
    fn premium_due_amount(&self, p: &DemoPerson, year: i32) -> Decimal {
        let standard = self
            .data
            .premium_year(year)
            .map(|y| y.standard)
            .unwrap_or_default();
        yuan((standard - Central::subsidy_of(p).0).max(Decimal::ZERO))
    }

    /// KS51: the year's standard, subsidy and amount due, and its state.
    pub(super) fn premium_due(&self, input: &Value) -> Handled {
        let Some(q) = parse::<PremiumDueInput>(input) else {
            return Ok(bad("KS51 输入格式错误"));
        };
        if q.year != 0 && !(1900..=2200).contains(&q.year) {
            return Ok(bad("缴费年度无效"));
        }
        let Some(p) = self.person(&q.psn_no) else {
            return Ok(not_found());
        };
        let year = if q.year == 0 {
            self.premium_year_now()
        } else {
            q.year
        };
        let (published, begin, end) = self.premium_period(year);
        let assessment = self.assess(&self.conn(), p, year)?;
        let admdvs = Central::resident_area(p)
            .or_else(|| p.insurance.first().map(|i| i.pooling_area.as_str()))
            .unwrap_or_default()
            .to_string();
        let resident = !matches!(assessment, Assessment::NotResident);
        let (subsidy, subsidy_kind) = if resident {
            Central::subsidy_of(p)
        } else {
            (Decimal::ZERO, String::new())
        };
        let standard = match published {
            Some(y) if resident => y.standard,
            _ => Decimal::ZERO,
        };
        let due = if resident {
            self.premium_due_amount(p, year)
        } else {
            Decimal::ZERO
        };
        let (state, paid) = match assessment {
            Assessment::NotResident => ("not_resident", None),
            Assessment::Paid(receipt) => ("paid", Some(*receipt)),
            Assessment::Closed => ("closed", None),
            Assessment::Due => ("due", None),
        };
        Ok(ok(PremiumDueOutput {
            year,
            insutype: RESIDENT.into(),
            admdvs,
            state: state.into(),
            standard: yuan(standard),
            subsidy: yuan(subsidy.min(standard)),
            subsidy_kind,
            due,
            period_begin: begin.format("%Y-%m-%d").to_string(),
            period_end: end.format("%Y-%m-%d").to_string(),
            paid,
        }))
    }

    fn is_void(conn: &Connection, order_no: &str) -> Result<bool, Error> {
        conn.query_row(
            "SELECT 1 FROM premium_order_void WHERE order_no = ?1",
            [order_no],
            |_| Ok(()),
        )
        .optional()
        .map(|found| found.is_some())
        .map_err(db_error)
    }

    /// Bars a number the centre never saw (KS53/KS54 answered `unknown`).
    fn bar(&self, conn: &Connection, order_no: &str) -> Result<(), Error> {
        conn.execute(
            "INSERT OR IGNORE INTO premium_order_void (order_no, at) VALUES (?1, ?2)",
            params![order_no, self.now_text()],
        )
        .map_err(db_error)?;
        Ok(())
    }

    /// KS52: opens the payment order `order_no`, or answers it as it
    /// stands when the centre has it already.
    pub(super) fn premium_order(&self, tx: &Connection, request: &Request<Value>) -> Handled {
        let Some(q) = parse::<PremiumOrderInput>(&request.input) else {
            return Ok(bad("KS52 输入格式错误"));
        };
        if !valid_order_no(&q.order_no) {
            return Ok(bad("订单号格式错误"));
        }
        if let Some(row) = self.load_order(tx, &q.order_no)? {
            if row.psn_no == q.psn_no && row.year == q.year && row.amount == q.amount {
                return Ok(ok(self.order_output(row)));
            }
            return Ok((MSGID_CONFLICT, None, Some("订单号已用于另一笔缴费".into())));
        }
        if Central::is_void(tx, &q.order_no)? {
            return Ok(rule(
                "该订单号已作废（医保中心未收到过该订单），请重新发起缴费",
            ));
        }
        let Some(p) = self.person(&q.psn_no) else {
            return Ok(not_found());
        };
        let year = q.year;
        let (begin, end) = match self.premium_period(year) {
            (Some(_), b, e) => (b, e),
            (None, _, _) => {
                return Ok(rule(&format!(
                    "{year}年度城乡居民医保缴费标准尚未公布，暂不能缴费"
                )));
            }
        };
        let admdvs = match self.assess(tx, p, year)? {
            Assessment::NotResident => {
                return Ok(rule(
                    "未参加城乡居民基本医疗保险，不能在此缴纳居民医保费；职工医保由单位申报缴纳",
                ));
            }
            Assessment::Paid(_) => {
                return Ok(rule(&format!(
                    "{year}年度城乡居民医保费已缴纳，无需重复缴费"
                )));
            }
            Assessment::Closed => {
                return Ok(rule(&format!(
                    "{year}年度集中缴费期为{}至{}，现在不在缴费期内，不能缴费",
                    begin.format("%Y年%-m月%-d日"),
                    end.format("%Y年%-m月%-d日")
                )));
            }
            Assessment::Due => Central::resident_area(p).unwrap_or_default().to_string(),
        };
        let due = self.premium_due_amount(p, year);
        if due.is_zero() {
            return Ok(rule(&format!(
                "{year}年度个人缴费已由政府全额资助，无需缴费"
            )));
        }
        if q.amount != due {
            return Ok(rule(&format!(
                "缴费金额与应缴金额不符，{year}年度应缴{due}元，请重新查询后缴费"
            )));
        }
        if let Some(open) = self
            .orders_of(tx, &q.psn_no, year, "open")?
            .into_iter()
            .find(|o| o.state == "open")
        {
            return Ok(rule(&format!(
                "已有待支付的{year}年度缴费订单{}，请先完成支付或取消该订单",
                open.order_no
            )));
        }
        let now = self.clock.now();
        let expires = now + chrono::Duration::minutes(ORDER_VALID_MINUTES);
        let pay_url = format!(
            "{}/{}",
            self.options.pay_base.trim_end_matches('/'),
            q.order_no
        );
        tx.execute(
            "INSERT INTO premium_order (order_no, psn_no, year, admdvs, amount, state, pay_url,
                 created_at, expires_at, agnter, msgid, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6, ?7, ?8, ?9, ?10, ?7)",
            params![
                q.order_no,
                q.psn_no,
                year,
                admdvs,
                due.to_string(),
                pay_url,
                now.format(TIME).to_string(),
                expires.format(TIME).to_string(),
                q.agnter,
                request.msgid,
            ],
        )
        .map_err(db_error)?;
        match self.load_order(tx, &q.order_no)? {
            Some(row) => Ok(ok(self.order_output(row))),
            None => Err(Error::Database("premium order not stored".into())),
        }
    }

    /// KS53: the order as it stands, or `unknown` (and the number barred).
    pub(super) fn premium_order_query(&self, input: &Value) -> Handled {
        let Some(q) = parse::<PremiumOrderRef>(input) else {
            return Ok(bad("KS53 输入格式错误"));
        };
        if !valid_order_no(&q.order_no) {
            return Ok(bad("订单号格式错误"));
        }
        let conn = self.conn();
        match self.load_order(&conn, &q.order_no)? {
            Some(row) => Ok(ok(self.order_output(row))),
            None => {
                self.bar(&conn, &q.order_no)?;
                Ok(ok(unknown(&q.order_no)))
            }
        }
    }

    /// KS54: cancels an open order; answers the order as it then stands
    /// (paid when the payment came first), `unknown` as KS53.
    pub(super) fn premium_order_cancel(
        &self,
        tx: &Connection,
        request: &Request<Value>,
    ) -> Handled {
        let Some(q) = parse::<PremiumOrderRef>(&request.input) else {
            return Ok(bad("KS54 输入格式错误"));
        };
        if !valid_order_no(&q.order_no) {
            return Ok(bad("订单号格式错误"));
        }
        let Some(row) = self.load_order(tx, &q.order_no)? else {
            self.bar(tx, &q.order_no)?;
            return Ok(ok(unknown(&q.order_no)));
        };
        let order = self.order_output(row);
        if order.state != "open" {
            return Ok(ok(order));
        }
        tx.execute(
            "UPDATE premium_order SET state = 'cancelled', updated_at = ?2 WHERE order_no = ?1",
            params![q.order_no, self.now_text()],
        )
        .map_err(db_error)?;
        match self.load_order(tx, &q.order_no)? {
            Some(row) => Ok(ok(self.order_output(row))),
            None => Err(Error::Database("premium order vanished".into())),
        }
    }

    /// The payment a citizen's phone makes for an open order (simulation
    /// and automation): paid, with a receipt number, the clock's time and
    /// the channel, or failed with its reason. Answers the order as it then
    /// stands; [`Error::NoSuchOrder`] when the centre has no such order,
    /// [`Error::OrderNotOpen`] (with the order) when it is not open (paid,
    /// failed, expired, cancelled).
    pub fn simulate_payment(
        &self,
        order_no: &str,
        result: &SimulatedPayment,
    ) -> Result<PremiumOrderOutput, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(db_error)?;
        let Some(row) = self.load_order(&tx, order_no)? else {
            return Err(Error::NoSuchOrder(order_no.to_string()));
        };
        let (admdvs, year) = (row.admdvs.clone(), row.year);
        let order = self.order_output(row);
        if order.state != "open" {
            return Err(Error::OrderNotOpen(Box::new(order)));
        }
        let now = self.now_text();
        match result {
            SimulatedPayment::Paid { channel } => {
                let prefix = format!("{admdvs}-{year}-R");
                let count: i64 = tx
                    .query_row(
                        "SELECT COUNT(*) FROM premium_order WHERE receipt_no LIKE ?1 || '%'",
                        [&prefix],
                        |r| r.get(0),
                    )
                    .map_err(db_error)?;
                let receipt_no = format!("{prefix}{:06}", count + 1);
                tx.execute(
                    "UPDATE premium_order SET state = 'paid', paid_at = ?2, receipt_no = ?3,
                         channel = ?4, updated_at = ?2 WHERE order_no = ?1",
                    params![order_no, now, receipt_no, channel],
                )
                .map_err(db_error)?;
            }
            SimulatedPayment::Failed { reason } => {
                tx.execute(
                    "UPDATE premium_order SET state = 'failed', reason = ?2, updated_at = ?3
                     WHERE order_no = ?1",
                    params![order_no, reason, now],
                )
                .map_err(db_error)?;
            }
        }
        let Some(row) = self.load_order(&tx, order_no)? else {
            return Err(Error::Database("premium order vanished".into()));
        };
        let order = self.order_output(row);
        tx.commit().map_err(db_error)?;
        tracing::info!(order_no, state = order.state, "simulated premium payment");
        Ok(order)
    }
}

fn message(status: StatusCode, text: &str) -> HttpResponse {
    (status, axum::Json(serde_json::json!({ "error": text }))).into_response()
}

/// `POST /sim/premium/{order_no}`: [`Central::simulate_payment`] over HTTP.
pub(super) async fn simulate_route(
    State(central): State<std::sync::Arc<Central>>,
    Path(order_no): Path<String>,
    body: Bytes,
) -> HttpResponse {
    let Ok(result) = serde_json::from_slice::<SimulatedPayment>(&body) else {
        return message(
            StatusCode::BAD_REQUEST,
            r#"body must be {"result":"paid","channel":…} or {"result":"failed","reason":…}"#,
        );
    };
    match central.simulate_payment(&order_no, &result) {
        Ok(order) => axum::Json(order).into_response(),
        Err(Error::NoSuchOrder(n)) => {
            message(StatusCode::NOT_FOUND, &format!("no payment order {n}"))
        }
        Err(Error::OrderNotOpen(order)) => {
            (StatusCode::CONFLICT, axum::Json(*order)).into_response()
        }
        Err(e) => {
            tracing::error!("simulated payment failed: {e}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
