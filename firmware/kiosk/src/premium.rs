//! The edges of the resident premium payment (session/premium.rs): KS51
//! straight through the client; KS52–KS54 through the store-backed
//! [`PaymentDesk`] of kiosk-sync, so every order is numbered and written
//! before it leaves and an order whose answer is lost is reconciled by
//! the sync engine. Each command runs on its own short-lived worker
//! thread; logs name order numbers and states only, never the person.

use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use crossbeam_channel::Sender;

use kiosk_core::money::Yuan;
use kiosk_core::session::Event;
use kiosk_core::session::premium::{
    DueState, OrderProblem, OrderState, PaidReceipt, PremiumCommand, PremiumDue, PremiumEvent,
    PremiumOrder,
};
use kiosk_core::tr;
use kiosk_sync::CentralClient;
use kiosk_sync::premium::{OrderAttempt, PaymentDesk};
use kiosk_sync::wire::{PremiumDueInput, PremiumDueOutput, PremiumOrderOutput};

fn time(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok()
}

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn yuan(value: impl TryInto<Yuan>) -> Option<Yuan> {
    value.try_into().ok()
}

/// The centre's message when an answer cannot be used.
fn malformed() -> String {
    tr!("医保中心返回的信息有误，请稍后再试；如多次出现，请联系工作人员。").to_string()
}

/// A wire order as the session knows it (`None`: unusable).
pub fn order_state(o: &PremiumOrderOutput) -> Option<OrderState> {
    Some(match o.state.as_str() {
        "open" => OrderState::Open(PremiumOrder {
            order_no: o.order_no.clone(),
            amount: yuan(o.amount)?,
            pay_url: (!o.pay_url.is_empty()).then(|| o.pay_url.clone())?,
            expires_at: time(&o.expires_at),
        }),
        "paid" => OrderState::Paid(receipt(o)?),
        "failed" => OrderState::Failed(o.reason.chars().take(60).collect()),
        "expired" => OrderState::Expired,
        "cancelled" => OrderState::Cancelled,
        "unknown" => OrderState::Unknown,
        _ => return None,
    })
}

fn receipt(o: &PremiumOrderOutput) -> Option<PaidReceipt> {
    Some(PaidReceipt {
        order_no: o.order_no.clone(),
        receipt_no: o.receipt_no.clone(),
        paid_at: time(&o.paid_at),
        channel: o.channel.chars().take(20).collect(),
        amount: yuan(o.amount)?,
    })
}

/// A wire assessment as the session knows it (`None`: unusable).
pub fn due(d: &PremiumDueOutput) -> Option<PremiumDue> {
    let state = match d.state.as_str() {
        "due" => DueState::Due,
        "paid" => DueState::Paid(match &d.paid {
            Some(p) => receipt(p)?,
            None => PaidReceipt {
                order_no: String::new(),
                receipt_no: String::new(),
                paid_at: None,
                channel: String::new(),
                amount: yuan(d.due)?,
            },
        }),
        "closed" => DueState::Closed,
        "not_resident" => DueState::NotResident,
        _ => return None,
    };
    Some(PremiumDue {
        year: d.year,
        standard: yuan(d.standard)?,
        subsidy: yuan(d.subsidy)?,
        subsidy_kind: d.subsidy_kind.chars().take(30).collect(),
        due: yuan(d.due)?,
        period: (date(&d.period_begin)?, date(&d.period_end)?),
        state,
    })
}

/// Carries out a command of the premium journey on a worker thread.
/// Without a payment desk (no store) only KS51 works; an order is refused
/// with a message.
pub fn execute(
    command: PremiumCommand,
    client: Arc<CentralClient>,
    desk: Option<Arc<PaymentDesk>>,
    events: Sender<Event>,
) {
    let work = move || {
        let event = match command {
            PremiumCommand::Due {
                request,
                person_number,
            } => {
                let result = match client.query_premium_due(&PremiumDueInput {
                    psn_no: person_number,
                    year: 0,
                }) {
                    Ok(answer) => due(&answer).ok_or_else(malformed),
                    Err(e) => {
                        tracing::warn!(request, "premium due query failed: {e}");
                        Err(e.user_message())
                    }
                };
                Some(PremiumEvent::Due { request, result })
            }
            PremiumCommand::Order {
                request,
                person_number,
                year,
                amount,
                proxy,
            } => {
                let result = match &desk {
                    None => Err(OrderProblem::Refused(
                        tr!("本终端暂不能办理缴费，请到人工窗口办理。").to_string(),
                    )),
                    Some(desk) => match desk.order(
                        &person_number,
                        year,
                        amount.to_decimal(),
                        proxy.as_deref().unwrap_or_default(),
                    ) {
                        Ok(OrderAttempt::Answered(answer)) => {
                            tracing::info!(
                                request,
                                order_no = answer.order_no,
                                state = answer.state,
                                "premium order answered"
                            );
                            order_state(&answer).ok_or(OrderProblem::Unknown {
                                order_no: answer.order_no.clone(),
                            })
                        }
                        Ok(OrderAttempt::Refused(reason)) => {
                            tracing::info!(request, "premium order refused by the centre");
                            Err(OrderProblem::Refused(tr!(
                                "医保中心未能生成缴费订单：{}",
                                reason
                            )))
                        }
                        Ok(OrderAttempt::Unknown { order_no, error }) => {
                            tracing::warn!(request, order_no, "premium order unknown: {error}");
                            Err(OrderProblem::Unknown { order_no })
                        }
                        Err(e) => {
                            tracing::error!(request, "premium order not stored: {e}");
                            Err(OrderProblem::Refused(e.user_message()))
                        }
                    },
                };
                Some(PremiumEvent::Ordered { request, result })
            }
            PremiumCommand::Poll { order_no } => {
                let result = match &desk {
                    None => Err(malformed()),
                    Some(desk) => match desk.poll(&order_no) {
                        Ok(answer) => order_state(&answer).ok_or_else(malformed),
                        Err(e) => {
                            tracing::warn!(order_no, "premium order poll failed: {e}");
                            Err(e.user_message())
                        }
                    },
                };
                Some(PremiumEvent::Polled { order_no, result })
            }
            PremiumCommand::Cancel { order_no } => {
                let result = match &desk {
                    None => Err(malformed()),
                    Some(desk) => match desk.cancel(&order_no) {
                        Ok(answer) => {
                            tracing::info!(
                                order_no,
                                state = answer.state,
                                "premium order cancel answered"
                            );
                            order_state(&answer).ok_or_else(malformed)
                        }
                        Err(e) => {
                            tracing::warn!(order_no, "premium order cancel failed: {e}");
                            Err(e.user_message())
                        }
                    },
                };
                Some(PremiumEvent::Cancelled { order_no, result })
            }
            PremiumCommand::GiveUp { order_no } => {
                if let Some(desk) = &desk
                    && let Err(e) = desk.give_up(&order_no)
                {
                    tracing::error!(order_no, "abandoned premium order not recorded: {e}");
                }
                None
            }
        };
        if let Some(event) = event {
            let _ = events.send(Event::Premium(event));
        }
    };
    if let Err(e) = std::thread::Builder::new()
        .name("premium".into())
        .spawn(work)
    {
        tracing::error!("cannot start the premium worker: {e}");
    }
}
