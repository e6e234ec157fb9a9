//! Resident premium payment 城乡居民医保缴费 (issue 15 part 5). From the
//! enrollment screen of a resident-scheme member (in person, or a proxy
//! for a family member through the proxy path): the year's amount due from
//! the centre (KS51: standard, government subsidy 资助, amount due,
//! collection period), then a payment order (KS52) whose QR code the
//! citizen pays with their phone, polled (KS53) every [`POLL_EVERY`] until
//! the centre says paid, failed or expired, at most [`WAIT_FOR`], with a
//! cancel button (KS54). The receipt 缴费凭证 is printed once the centre
//! confirms, and only then.
//!
//! Invariants:
//! - "paid" is shown and printed only from the centre's answer (seeds:
//!   only the tax bureau confirms a payment; the kiosk never marks
//!   anything paid);
//! - an order whose result is unknown (link lost) says so, with its
//!   number, and tells the citizen not to pay again; the edges keep it in
//!   the store and reconcile it later ([`PremiumCommand::GiveUp`] hands an
//!   order the session stops watching to them);
//! - the order number is the kiosk's own, written to its store before the
//!   message leaves, and KS52 is idempotent on it: a repeat never creates
//!   or charges a second order.
//! - the state is the person's and leaves with them
//!   ([`Premium::default`] from `clear_personal_data`); only the order
//!   number outlives it, to be handed over.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};

use crate::documents::BusinessSlip;
use crate::enrollment::InsuranceType;
use crate::money::Yuan;
use crate::tr;

use super::{Command, Document, Prompt, Screen, Session};

/// How often an open order is asked about.
pub const POLL_EVERY: Duration = Duration::from_secs(3);

/// How long the payment screen waits for the phone before it cancels the
/// order (the centre's own expiry is longer).
pub const WAIT_FOR: Duration = Duration::from_secs(300);

/// The rating's transaction name.
pub const TRANSACTION: &str = "premium_payment";

/// What KS51 says about the year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DueState {
    /// 待缴: the amount is due and the collection period is open.
    Due,
    /// 已缴: the centre has the payment.
    Paid(PaidReceipt),
    /// Outside the collection period 集中缴费期.
    Closed,
    /// Not in the resident scheme (employees pay through their employer).
    NotResident,
}

/// The assessment of one year's resident premium (KS51).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PremiumDue {
    /// The year paid for.
    pub year: i32,
    /// 个人缴费标准.
    pub standard: Yuan,
    /// 政府资助.
    pub subsidy: Yuan,
    /// Why the subsidy (低保对象, …), empty when none.
    pub subsidy_kind: String,
    /// What the person pays.
    pub due: Yuan,
    /// The collection period.
    pub period: (NaiveDate, NaiveDate),
    /// Due, paid, closed or not resident.
    pub state: DueState,
}

/// An open payment order (KS52).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PremiumOrder {
    /// The kiosk's order number.
    pub order_no: String,
    /// The amount.
    pub amount: Yuan,
    /// What the payment QR code holds.
    pub pay_url: String,
    /// When the centre lets it expire.
    pub expires_at: Option<NaiveDateTime>,
}

/// A payment the centre confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidReceipt {
    /// The kiosk's order number (empty for a payment made elsewhere).
    pub order_no: String,
    /// 票据号.
    pub receipt_no: String,
    /// When it was paid.
    pub paid_at: Option<NaiveDateTime>,
    /// How (微信支付, …).
    pub channel: String,
    /// The amount.
    pub amount: Yuan,
}

/// An order as the centre holds it (KS52/KS53/KS54).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderState {
    /// 待支付.
    Open(PremiumOrder),
    /// 已缴费.
    Paid(PaidReceipt),
    /// 支付失败, with the reason.
    Failed(String),
    /// The order expired unpaid.
    Expired,
    /// Cancelled unpaid.
    Cancelled,
    /// The centre has no such order.
    Unknown,
}

/// Why no order could be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderProblem {
    /// The centre refused (the reason for the citizen); nothing is open.
    Refused(String),
    /// The answer was lost: the order may exist. Its number is kept by
    /// the edges and reconciled later.
    Unknown {
        /// The kiosk's order number.
        order_no: String,
    },
}

/// Answers for the premium journey.
#[derive(Debug, Clone)]
pub enum PremiumEvent {
    /// KS51 answered, or why not (message for the citizen).
    Due {
        /// The request number.
        request: u64,
        /// The assessment.
        result: Result<PremiumDue, String>,
    },
    /// KS52 answered (an open order, or a reused one that was paid
    /// meanwhile), or why not.
    Ordered {
        /// The request number.
        request: u64,
        /// The order.
        result: Result<OrderState, OrderProblem>,
    },
    /// KS53 answered, or the link failed (message; the poll goes on).
    Polled {
        /// The order number.
        order_no: String,
        /// The order's state.
        result: Result<OrderState, String>,
    },
    /// KS54 answered, or the link failed (the result is unknown).
    Cancelled {
        /// The order number.
        order_no: String,
        /// The order's state.
        result: Result<OrderState, String>,
    },
}

/// What the premium journey asks the edges to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PremiumCommand {
    /// KS51 for the year being collected.
    Due {
        /// Request number.
        request: u64,
        /// 人员编号.
        person_number: String,
    },
    /// KS52: the edges number the order, store it, then send it (or
    /// answer an open order of the same person and year again).
    Order {
        /// Request number.
        request: u64,
        /// 人员编号.
        person_number: String,
        /// The year.
        year: i32,
        /// The amount shown.
        amount: Yuan,
        /// The proxy, masked, when one pays.
        proxy: Option<String>,
    },
    /// KS53.
    Poll {
        /// The order number.
        order_no: String,
    },
    /// KS54.
    Cancel {
        /// The order number.
        order_no: String,
    },
    /// The session stopped watching the order (card removed, home, idle):
    /// the edges cancel it and reconcile it in the background.
    GiveUp {
        /// The order number.
        order_no: String,
    },
}

/// The journey's state.
#[derive(Debug, Clone, Default)]
pub struct Premium {
    pub(super) due: Option<PremiumDue>,
    pub(super) order: Option<PremiumOrder>,
    pub(super) poll_at: Option<Instant>,
    pub(super) wait_until: Option<Instant>,
    pub(super) polling: bool,
    pub(super) cancelling: bool,
    pub(super) paid: Option<PaidReceipt>,
}

impl Session {
    /// Whether the person on screen may pay a resident premium here.
    pub fn offers_premium(&self) -> bool {
        self.person
            .as_ref()
            .is_some_and(|p| p.enrollment(InsuranceType::ResidentBasic).is_some())
    }

    /// The year's assessment on screen.
    pub fn premium_due(&self) -> Option<&PremiumDue> {
        self.premium.due.as_ref()
    }

    /// The open order on the payment screen.
    pub fn premium_order(&self) -> Option<&PremiumOrder> {
        self.premium.order.as_ref()
    }

    /// Whether the cancel is under way.
    pub fn premium_cancelling(&self) -> bool {
        self.premium.cancelling
    }

    /// Seconds the payment screen still waits, at `now`.
    pub fn premium_seconds_left(&self, now: Instant) -> Option<u64> {
        let until = self.premium.wait_until?;
        Some(
            until
                .saturating_duration_since(now)
                .as_millis()
                .div_ceil(1000) as u64,
        )
    }

    /// The next moment the journey must act (a poll, the end of the wait).
    pub(super) fn premium_deadline(&self, now: Instant) -> Option<Instant> {
        if self.screen != Screen::PremiumPay {
            return None;
        }
        let mut next: Vec<Instant> = Vec::with_capacity(3);
        if !self.premium.polling {
            next.extend(self.premium.poll_at);
        }
        if !self.premium.cancelling {
            next.extend(self.premium.wait_until);
            // The countdown on screen changes every whole second.
            if let Some(until) = self.premium.wait_until {
                let left = until.saturating_duration_since(now);
                let frac = Duration::from_nanos((left.as_nanos() % 1_000_000_000) as u64);
                next.push(
                    now + if frac.is_zero() {
                        Duration::from_secs(1)
                    } else {
                        frac
                    },
                );
            }
        }
        next.into_iter().min()
    }

    /// The journey's part of a tick: poll, or give up waiting.
    pub(super) fn premium_tick(&mut self, now: Instant) -> Vec<Command> {
        if self.screen != Screen::PremiumPay || self.premium.cancelling {
            return Vec::new();
        }
        let Some(order_no) = self.premium.order.as_ref().map(|o| o.order_no.clone()) else {
            return Vec::new();
        };
        if self.premium.wait_until.is_some_and(|until| now >= until) {
            self.note = tr!("等待支付超时，正在取消订单……").into();
            return self.cancel_order(order_no);
        }
        if !self.premium.polling && self.premium.poll_at.is_some_and(|at| now >= at) {
            self.premium.polling = true;
            self.premium.poll_at = Some(now + POLL_EVERY);
            return vec![Command::Premium(PremiumCommand::Poll { order_no })];
        }
        Vec::new()
    }

    /// A tap of the premium journey.
    pub(super) fn premium_action(&mut self, id: &str, wall: NaiveDateTime) -> Vec<Command> {
        match (id, self.screen) {
            ("premium", Screen::Enrollment) => self.query_premium(),
            ("premium-pay", Screen::PremiumDue) => self.order_premium(),
            ("premium-cancel", Screen::PremiumPay) if !self.premium.cancelling => {
                let Some(order_no) = self.premium.order.as_ref().map(|o| o.order_no.clone()) else {
                    return Vec::new();
                };
                self.note = tr!("正在取消订单，请稍候……").into();
                self.cancel_order(order_no)
            }
            ("premium-print", Screen::PremiumDue) => {
                let receipt = match &self.premium.due {
                    Some(PremiumDue {
                        state: DueState::Paid(receipt),
                        ..
                    }) => receipt.clone(),
                    _ => return Vec::new(),
                };
                self.print_receipt(&receipt, wall)
            }
            _ => Vec::new(),
        }
    }

    /// Back inside the premium journey; `true` when handled.
    pub(super) fn premium_back(&mut self) -> bool {
        match self.screen {
            Screen::PremiumDue if self.person.is_some() => {
                self.note.clear();
                self.premium.due = None;
                self.screen = Screen::Enrollment;
                true
            }
            // The payment screen leaves only through its cancel button.
            Screen::PremiumPay => true,
            _ => false,
        }
    }

    fn query_premium(&mut self) -> Vec<Command> {
        if !self.offers_premium() {
            return Vec::new();
        }
        let Some(person) = &self.person else {
            return Vec::new();
        };
        let person_number = person.person_number.clone();
        self.request += 1;
        self.premium = Premium::default();
        self.note.clear();
        self.message = tr!("正在查询您的城乡居民医保缴费信息，请稍候").into();
        self.screen = Screen::RecordsLoading;
        vec![
            Command::Premium(PremiumCommand::Due {
                request: self.request,
                person_number,
            }),
            Command::Say(Prompt::Querying),
        ]
    }

    fn order_premium(&mut self) -> Vec<Command> {
        let (Some(person), Some(due)) = (&self.person, &self.premium.due) else {
            return Vec::new();
        };
        if due.state != DueState::Due || due.due.is_zero() {
            return Vec::new();
        }
        let command = PremiumCommand::Order {
            request: self.request + 1,
            person_number: person.person_number.clone(),
            year: due.year,
            amount: due.due,
            proxy: self.proxy.as_ref().map(|p| p.masked()),
        };
        self.request += 1;
        self.note.clear();
        self.message = tr!("正在生成缴费二维码，请稍候").into();
        self.screen = Screen::RecordsLoading;
        vec![Command::Premium(command), Command::Say(Prompt::Querying)]
    }

    fn cancel_order(&mut self, order_no: String) -> Vec<Command> {
        self.premium.cancelling = true;
        vec![Command::Premium(PremiumCommand::Cancel { order_no })]
    }

    /// An answer of the premium journey.
    pub(super) fn premium_event(
        &mut self,
        event: PremiumEvent,
        now: Instant,
        wall: NaiveDateTime,
    ) -> Vec<Command> {
        match event {
            PremiumEvent::Due { request, result } => {
                if request != self.request || self.screen != Screen::RecordsLoading {
                    return Vec::new();
                }
                self.touch(now);
                self.message.clear();
                match result {
                    Ok(due) => {
                        self.note = match &due.state {
                            DueState::Due if due.due.is_zero() => tr!(
                                "您本年度的个人缴费已由政府全额资助，无需缴费。"
                            )
                            .into(),
                            DueState::Due => String::new(),
                            DueState::Paid(_) => {
                                tr!("您本年度的城乡居民医保已缴费，可以打印缴费凭证。").into()
                            }
                            DueState::Closed => tr!(
                                "现在不在集中缴费期内，本机暂不能缴费。集中缴费期开始后再来办理，或到人工窗口咨询。"
                            )
                            .into(),
                            DueState::NotResident => tr!(
                                "您没有参加城乡居民基本医疗保险。职工医保由单位申报缴纳，灵活就业人员请到人工窗口办理。"
                            )
                            .into(),
                        };
                        self.premium.due = Some(due);
                        self.screen = Screen::PremiumDue;
                        self.transaction_done(TRANSACTION);
                        vec![Command::Say(Prompt::Premium)]
                    }
                    Err(message) => {
                        self.show_error(message);
                        vec![Command::Say(Prompt::Problem)]
                    }
                }
            }
            PremiumEvent::Ordered { request, result } => {
                if request != self.request || self.screen != Screen::RecordsLoading {
                    if let Ok(OrderState::Open(order)) = result {
                        // Nobody waits for it any more.
                        return vec![Command::Premium(PremiumCommand::GiveUp {
                            order_no: order.order_no,
                        })];
                    }
                    return Vec::new();
                }
                self.touch(now);
                self.message.clear();
                match result {
                    Ok(OrderState::Open(order)) => {
                        self.premium_watch = Some(order.order_no.clone());
                        self.premium.order = Some(order);
                        self.premium.poll_at = Some(now + POLL_EVERY);
                        self.premium.wait_until = Some(now + WAIT_FOR);
                        self.premium.polling = false;
                        self.premium.cancelling = false;
                        self.note.clear();
                        self.screen = Screen::PremiumPay;
                        vec![Command::Say(Prompt::PremiumPay)]
                    }
                    Ok(state) => self.order_settled(state, wall),
                    Err(OrderProblem::Refused(reason)) => {
                        self.note = reason;
                        self.screen = Screen::PremiumDue;
                        vec![Command::Say(Prompt::Refused)]
                    }
                    Err(OrderProblem::Unknown { order_no }) => {
                        self.premium_unknown(&order_no);
                        vec![Command::Say(Prompt::Problem)]
                    }
                }
            }
            PremiumEvent::Polled { order_no, result } => {
                if !self.watching(&order_no) {
                    return Vec::new();
                }
                self.premium.polling = false;
                match result {
                    Ok(OrderState::Open(order)) => {
                        if let Some(current) = &mut self.premium.order {
                            current.expires_at = order.expires_at.or(current.expires_at);
                        }
                        Vec::new()
                    }
                    // A cancel under way decides (unless the payment came first).
                    Ok(state @ OrderState::Paid(_)) => {
                        self.touch(now);
                        self.order_settled(state, wall)
                    }
                    Ok(_) if self.premium.cancelling => Vec::new(),
                    Ok(state) => {
                        self.touch(now);
                        self.order_settled(state, wall)
                    }
                    // The link failed: the next poll asks again.
                    Err(_) => Vec::new(),
                }
            }
            PremiumEvent::Cancelled { order_no, result } => {
                if !self.watching(&order_no) {
                    return Vec::new();
                }
                self.touch(now);
                self.premium.cancelling = false;
                match result {
                    Ok(OrderState::Open(_)) | Err(_) => {
                        self.premium_unknown(&order_no);
                        vec![Command::Say(Prompt::Problem)]
                    }
                    Ok(state) => self.order_settled(state, wall),
                }
            }
        }
    }

    fn watching(&self, order_no: &str) -> bool {
        self.screen == Screen::PremiumPay
            && self
                .premium
                .order
                .as_ref()
                .is_some_and(|o| o.order_no == order_no)
    }

    /// The order reached a final state at the centre.
    fn order_settled(&mut self, state: OrderState, wall: NaiveDateTime) -> Vec<Command> {
        self.premium_watch = None;
        self.premium.order = None;
        self.premium.poll_at = None;
        self.premium.wait_until = None;
        self.premium.polling = false;
        self.premium.cancelling = false;
        let note = match state {
            OrderState::Paid(receipt) => {
                if let Some(due) = &mut self.premium.due {
                    due.state = DueState::Paid(receipt.clone());
                }
                self.premium.paid = Some(receipt.clone());
                return self.print_receipt(&receipt, wall);
            }
            OrderState::Failed(reason) if reason.is_empty() => {
                tr!("支付未成功，未扣款。可以重新生成二维码再缴费。").to_string()
            }
            OrderState::Failed(reason) => tr!(
                "支付未成功（{}），未扣款。可以重新生成二维码再缴费。",
                reason
            ),
            OrderState::Expired => {
                tr!("二维码已过期，未扣款。如需缴费，请重新生成二维码。").to_string()
            }
            OrderState::Cancelled => tr!("订单已取消，未扣款。").to_string(),
            OrderState::Unknown | OrderState::Open(_) => {
                tr!("订单已失效，未扣款。如需缴费，请重新生成二维码。").to_string()
            }
        };
        self.note = note;
        self.screen = Screen::PremiumDue;
        vec![Command::Say(Prompt::Refused)]
    }

    /// The answer is lost: say so, with the number, and never "paid".
    fn premium_unknown(&mut self, order_no: &str) {
        // The edges keep the order and reconcile it.
        self.premium_watch = None;
        self.premium.order = None;
        self.premium.poll_at = None;
        self.premium.wait_until = None;
        self.title = tr!("缴费结果待确认").into();
        self.message = tr!(
            "暂时无法与医保中心确认订单 {} 的支付结果。请不要重复支付。",
            order_no
        );
        self.note = tr!(
            "本机会自动向医保中心核实这笔订单；如已扣款，以医保中心（税务部门）的缴费记录为准。您可以稍后凭证件在本机查询缴费状态、打印缴费凭证，或到人工窗口咨询。"
        )
        .into();
        self.screen = Screen::Error;
    }

    /// The receipt 缴费凭证 of a payment the centre confirmed (printed:
    /// stays Chinese).
    fn print_receipt(&mut self, receipt: &PaidReceipt, wall: NaiveDateTime) -> Vec<Command> {
        let (Some(person), Some(due)) = (&self.person, &self.premium.due) else {
            return Vec::new();
        };
        let name = person.name.clone();
        let id_number_masked = crate::identity::mask_number(&person.id_number);
        let due = due.clone();
        self.slips_printed += 1;
        let fact = |label: &str, value: String| (label.to_string(), value);
        let mut facts = vec![
            fact("险种", "城乡居民基本医疗保险".to_string()),
            fact("缴费年度", format!("{}年度", due.year)),
            fact(
                "个人缴费标准",
                format!("¥{}", due.standard.display_digits()),
            ),
        ];
        if !due.subsidy.is_zero() {
            facts.push(fact(
                "政府资助",
                format!("¥{}", due.subsidy.display_digits()),
            ));
            if !due.subsidy_kind.is_empty() {
                facts.push(fact("资助类别", due.subsidy_kind.clone()));
            }
        }
        facts.push(fact(
            "实缴金额",
            format!("¥{}", receipt.amount.display_digits()),
        ));
        facts.push(fact("金额大写", receipt.amount.to_capital()));
        if !receipt.channel.is_empty() {
            facts.push(fact("支付方式", receipt.channel.clone()));
        }
        if let Some(at) = receipt.paid_at {
            facts.push(fact("缴费时间", at.format("%Y-%m-%d %H:%M:%S").to_string()));
        }
        if !receipt.receipt_no.is_empty() {
            facts.push(fact("票据号", receipt.receipt_no.clone()));
        }
        if !receipt.order_no.is_empty() {
            facts.push(fact("订单号", receipt.order_no.clone()));
        }
        let notes =
            vec!["缴费结果由医保中心（税务部门）确认；电子票据以税务部门开具的为准。".to_string()];
        let serial = format!(
            "{}-{}{:02}",
            self.terminal.terminal_id,
            wall.format("%y%m%d%H%M%S"),
            self.slips_printed % 100
        );
        let slip = BusinessSlip {
            title: "城乡居民基本医疗保险缴费凭证".into(),
            business: "城乡居民医保缴费".into(),
            serial,
            printed_at: wall,
            terminal_id: self.terminal.terminal_id.clone(),
            hall_name: self.terminal.hall_name.clone(),
            name,
            id_number_masked,
            proxy: self.proxy.as_ref().map(|p| p.masked()),
            enrollments: Vec::new(),
            facts,
            notes,
        };
        self.print(Document::PremiumReceipt(Box::new(slip)))
    }
}
