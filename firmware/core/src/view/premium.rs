//! What the resident premium payment shows (session/premium.rs): the
//! year's assessment and the payment QR code with its countdown.

use std::time::Instant;

use crate::documents::format_date;
use crate::session::premium::DueState;
use crate::session::{Screen, Session};
use crate::tr;

/// The journey's screens.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PremiumView {
    /// "2027 年度城乡居民医保".
    pub title: String,
    /// 待缴 / 已缴费 / 不在缴费期 / 未参加城乡居民医保.
    pub state: String,
    /// Lines label → amount: 个人缴费标准, 政府资助 (then its kind, a
    /// line with no amount), 应缴金额.
    pub lines: Vec<(String, String)>,
    /// The amount due, large: "¥400.00".
    pub due: String,
    /// The collection period.
    pub period: String,
    /// Offer the pay button.
    pub can_pay: bool,
    /// Offer the receipt print (paid at the centre).
    pub can_print: bool,
    /// Payment screen: what the QR code holds.
    pub pay_url: String,
    /// Payment screen: the order number.
    pub order_no: String,
    /// Payment screen: "剩余 4:32".
    pub time_left: String,
    /// Payment screen: the cancel is under way.
    pub cancelling: bool,
}

impl PremiumView {
    /// The journey's view at `now`, while one of its screens shows.
    pub fn of(session: &Session, now: Instant) -> Option<PremiumView> {
        if !matches!(session.screen(), Screen::PremiumDue | Screen::PremiumPay) {
            return None;
        }
        let due = session.premium_due()?;
        let mut view = PremiumView {
            title: tr!("{} 年度城乡居民基本医疗保险", due.year),
            state: match &due.state {
                DueState::Due if due.due.is_zero() => tr!("全额资助，无需缴费").into(),
                DueState::Due => tr!("待缴费").into(),
                DueState::Paid(_) => tr!("已缴费").into(),
                DueState::Closed => tr!("不在集中缴费期").into(),
                DueState::NotResident => tr!("未参加城乡居民医保").into(),
            },
            period: tr!(
                "集中缴费期：{} 至 {}",
                format_date(due.period.0),
                format_date(due.period.1)
            ),
            can_pay: due.state == DueState::Due && !due.due.is_zero(),
            can_print: matches!(due.state, DueState::Paid(_)),
            ..PremiumView::default()
        };
        if due.state != DueState::NotResident {
            view.lines.push((
                tr!("个人缴费标准").into(),
                format!("¥{}", due.standard.display_digits()),
            ));
            if !due.subsidy.is_zero() {
                view.lines.push((
                    tr!("政府资助").into(),
                    format!("−¥{}", due.subsidy.display_digits()),
                ));
                if !due.subsidy_kind.is_empty() {
                    // A line of its own, without an amount: the why.
                    view.lines
                        .push((tr!("资助类别：{}", due.subsidy_kind), String::new()));
                }
            }
            view.due = format!("¥{}", due.due.display_digits());
            view.lines.push((tr!("应缴金额").into(), view.due.clone()));
        }
        if let DueState::Paid(receipt) = &due.state {
            if !receipt.receipt_no.is_empty() {
                view.lines
                    .push((tr!("票据号").into(), receipt.receipt_no.clone()));
            }
            if let Some(at) = receipt.paid_at {
                view.lines.push((
                    tr!("缴费时间").into(),
                    at.format("%Y-%m-%d %H:%M").to_string(),
                ));
            }
        }
        if session.screen() == Screen::PremiumPay
            && let Some(order) = session.premium_order()
        {
            view.pay_url = order.pay_url.clone();
            view.order_no = order.order_no.clone();
            view.due = format!("¥{}", order.amount.display_digits());
            let left = session.premium_seconds_left(now).unwrap_or(0);
            view.time_left = tr!("剩余 {}", format!("{}:{:02}", left / 60, left % 60));
            view.cancelling = session.premium_cancelling();
        }
        Some(view)
    }
}
