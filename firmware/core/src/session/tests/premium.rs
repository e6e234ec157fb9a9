//! Session tests of the resident premium payment (session/premium.rs).

use super::*;
use crate::session::premium::{
    DueState, OrderProblem, OrderState, POLL_EVERY, PaidReceipt, PremiumCommand, PremiumDue,
    PremiumEvent, PremiumOrder, WAIT_FOR,
};
use std::time::Duration;

fn resident() -> InsuredPerson {
    let mut p = person(EnrollmentStatus::Normal, None);
    p.name = "张德福".into();
    let e = &mut p.enrollments[0];
    e.insurance_type = InsuranceType::ResidentBasic;
    e.person_category_code = "1402".into();
    e.person_category = "城乡居民（成年）".into();
    e.employer = None;
    p
}

fn yuan(s: &str) -> Yuan {
    s.parse().unwrap()
}

fn due(state: DueState) -> PremiumDue {
    PremiumDue {
        year: 2027,
        standard: yuan("400.00"),
        subsidy: yuan("200.00"),
        subsidy_kind: "低收入家庭60周岁以上老年人".into(),
        due: yuan("200.00"),
        period: (
            NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
            NaiveDate::from_ymd_opt(2027, 2, 28).unwrap(),
        ),
        state,
    }
}

fn order(no: &str) -> PremiumOrder {
    PremiumOrder {
        order_no: no.into(),
        amount: yuan("200.00"),
        pay_url: format!("https://pay.demo.invalid/resident-premium/{no}"),
        expires_at: None,
    }
}

fn paid(no: &str) -> PaidReceipt {
    PaidReceipt {
        order_no: no.into(),
        receipt_no: "220100-2027-R000001".into(),
        paid_at: Some(wall()),
        channel: "微信支付".into(),
        amount: yuan("200.00"),
    }
}

fn premium_commands(cmds: &[Command]) -> Vec<PremiumCommand> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Premium(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

fn ev(s: &mut Session, e: PremiumEvent, t: Instant) -> Vec<Command> {
    s.handle(Event::Premium(e), t, wall())
}

/// Resident on the due screen (KS51 answered `due`).
fn at_due(s: &mut Session, t: Instant) {
    loaded_with(s, t, resident());
    assert!(s.offers_premium());
    let cmds = tap(s, "premium", t);
    let [
        PremiumCommand::Due {
            request,
            person_number,
        },
    ] = &premium_commands(&cmds)[..]
    else {
        panic!("expected KS51, got {cmds:?}")
    };
    assert_eq!(person_number, "22020000000002");
    assert_eq!(s.screen(), Screen::RecordsLoading);
    ev(
        s,
        PremiumEvent::Due {
            request: *request,
            result: Ok(due(DueState::Due)),
        },
        t,
    );
    assert_eq!(s.screen(), Screen::PremiumDue);
}

/// On the payment screen with order `no` open.
fn at_pay(s: &mut Session, t: Instant, no: &str) {
    at_due(s, t);
    let cmds = tap(s, "premium-pay", t);
    let [
        PremiumCommand::Order {
            request,
            year,
            amount,
            ..
        },
    ] = &premium_commands(&cmds)[..]
    else {
        panic!("expected KS52, got {cmds:?}")
    };
    assert_eq!((*year, amount.plain()), (2027, "200.00".to_string()));
    let cmds = ev(
        s,
        PremiumEvent::Ordered {
            request: *request,
            result: Ok(OrderState::Open(order(no))),
        },
        t,
    );
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::Say(Prompt::PremiumPay)))
    );
    assert_eq!(s.screen(), Screen::PremiumPay);
}

#[test]
fn an_employee_is_not_offered_the_premium_payment() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    loaded(&mut s, t);
    assert!(!s.offers_premium());
    assert!(premium_commands(&tap(&mut s, "premium", t)).is_empty());
    assert_eq!(s.screen(), Screen::Enrollment);
}

#[test]
fn the_due_screen_shows_standard_subsidy_and_amount_due() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    at_due(&mut s, t);
    let view = crate::view::View::of(&s, t);
    let p = view.premium.unwrap();
    assert!(p.can_pay && !p.can_print);
    assert_eq!(p.due, "¥200.00");
    let lines: Vec<String> = p.lines.iter().map(|(a, b)| format!("{a} {b}")).collect();
    assert!(lines.iter().any(|l| l.contains("400.00")), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("低收入家庭")), "{lines:?}");
    assert!(
        p.period.contains("2026-09-01") || p.period.contains("2026年9月1日"),
        "{}",
        p.period
    );
    tap(&mut s, "back", t);
    assert_eq!(s.screen(), Screen::Enrollment);
}

#[test]
fn a_paid_order_prints_the_receipt_from_the_centres_answer_only() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    at_pay(&mut s, t, "K1P20261122000001");
    // Nothing before the first poll is due.
    assert!(premium_commands(&s.handle(Event::Tick, t, wall())).is_empty());
    assert_eq!(s.next_deadline(t).map(|d| d <= t + POLL_EVERY), Some(true));
    let t1 = t + POLL_EVERY;
    let cmds = s.handle(Event::Tick, t1, wall());
    assert_eq!(
        premium_commands(&cmds),
        vec![PremiumCommand::Poll {
            order_no: "K1P20261122000001".into()
        }]
    );
    // A second tick while the poll is out sends nothing more.
    assert!(premium_commands(&s.handle(Event::Tick, t1, wall())).is_empty());
    // Still open: keep waiting.
    ev(
        &mut s,
        PremiumEvent::Polled {
            order_no: "K1P20261122000001".into(),
            result: Ok(OrderState::Open(order("K1P20261122000001"))),
        },
        t1,
    );
    assert_eq!(s.screen(), Screen::PremiumPay);
    // The link fails once: still waiting, never "paid".
    let t2 = t1 + POLL_EVERY;
    s.handle(Event::Tick, t2, wall());
    ev(
        &mut s,
        PremiumEvent::Polled {
            order_no: "K1P20261122000001".into(),
            result: Err("网络中断".into()),
        },
        t2,
    );
    assert_eq!(s.screen(), Screen::PremiumPay);
    let t3 = t2 + POLL_EVERY;
    s.handle(Event::Tick, t3, wall());
    let cmds = ev(
        &mut s,
        PremiumEvent::Polled {
            order_no: "K1P20261122000001".into(),
            result: Ok(OrderState::Paid(paid("K1P20261122000001"))),
        },
        t3,
    );
    let Some(Command::Print(doc)) = cmds.iter().find(|c| matches!(c, Command::Print(_))) else {
        panic!("expected the receipt, got {cmds:?}")
    };
    let Document::PremiumReceipt(slip) = doc.as_ref() else {
        panic!("expected a premium receipt")
    };
    assert_eq!(slip.title, "城乡居民基本医疗保险缴费凭证");
    let fact = |label: &str| {
        slip.facts
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(fact("实缴金额"), Some("¥200.00"));
    assert_eq!(fact("金额大写"), Some("贰佰元整"));
    assert_eq!(fact("票据号"), Some("220100-2027-R000001"));
    assert_eq!(fact("政府资助"), Some("¥200.00"));
    assert_eq!(fact("资助类别"), Some("低收入家庭60周岁以上老年人"));
    assert_eq!(slip.id_number_masked, "220203********2046");
    // Printed, then the rating asks about the payment.
    s.handle(Event::PrintFinished, t3, wall());
    assert_eq!(s.screen(), Screen::Printed);
    // The fleet counters: the premium journey started and completed.
    use crate::session::journey::{Journey, Outcome};
    let premium: Vec<Outcome> = s
        .take_journey_outcomes()
        .into_iter()
        .filter(|o| o.journey == Journey::Premium)
        .map(|o| o.outcome)
        .collect();
    assert_eq!(premium, vec![Outcome::Started, Outcome::Completed]);
    assert_eq!(s.unrated(), None);
    // The order is settled: leaving hands nothing over.
    let cmds = tap(&mut s, "home", t3);
    assert!(premium_commands(&cmds).is_empty(), "{cmds:?}");
}

#[test]
fn cancel_answers_cancelled_or_paid_when_the_payment_came_first() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    at_pay(&mut s, t, "O1");
    let cmds = tap(&mut s, "premium-cancel", t);
    assert_eq!(
        premium_commands(&cmds),
        vec![PremiumCommand::Cancel {
            order_no: "O1".into()
        }]
    );
    // Back does not leave the payment screen; a second cancel is not sent.
    tap(&mut s, "back", t);
    assert_eq!(s.screen(), Screen::PremiumPay);
    assert!(premium_commands(&tap(&mut s, "premium-cancel", t)).is_empty());
    ev(
        &mut s,
        PremiumEvent::Cancelled {
            order_no: "O1".into(),
            result: Ok(OrderState::Cancelled),
        },
        t,
    );
    assert_eq!(s.screen(), Screen::PremiumDue);
    assert!(s.note().contains("未扣款"), "{}", s.note());

    // Again, but the citizen had paid just before the cancel arrived.
    let cmds = tap(&mut s, "premium-pay", t);
    let [PremiumCommand::Order { request, .. }] = &premium_commands(&cmds)[..] else {
        panic!()
    };
    ev(
        &mut s,
        PremiumEvent::Ordered {
            request: *request,
            result: Ok(OrderState::Open(order("O2"))),
        },
        t,
    );
    tap(&mut s, "premium-cancel", t);
    let cmds = ev(
        &mut s,
        PremiumEvent::Cancelled {
            order_no: "O2".into(),
            result: Ok(OrderState::Paid(paid("O2"))),
        },
        t,
    );
    assert!(
        cmds.iter().any(|c| matches!(c, Command::Print(_))),
        "{cmds:?}"
    );
}

#[test]
fn the_wait_ends_with_a_cancel_and_a_lost_cancel_is_reported_as_unknown() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    at_pay(&mut s, t, "O3");
    assert_eq!(s.premium_seconds_left(t), Some(WAIT_FOR.as_secs()));
    let view = crate::view::View::of(&s, t + Duration::from_secs(28));
    assert_eq!(view.premium.unwrap().time_left, "剩余 4:32");
    // No idle timeout while the phone pays.
    assert!(s.countdown(t + Duration::from_secs(120)).is_none());
    let end = t + WAIT_FOR;
    let cmds = s.handle(Event::Tick, end, wall());
    assert!(
        premium_commands(&cmds).contains(&PremiumCommand::Cancel {
            order_no: "O3".into()
        }),
        "{cmds:?}"
    );
    ev(
        &mut s,
        PremiumEvent::Cancelled {
            order_no: "O3".into(),
            result: Err("网络中断".into()),
        },
        end,
    );
    assert_eq!(s.screen(), Screen::Error);
    assert_eq!(s.title(), "缴费结果待确认");
    assert!(s.message().contains("O3") && s.message().contains("请不要重复支付"));
    assert!(!s.message().contains("已缴费") && !s.note().contains("缴费成功"));
}

#[test]
fn an_order_whose_answer_is_lost_is_never_shown_as_paid() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    at_due(&mut s, t);
    let cmds = tap(&mut s, "premium-pay", t);
    let [PremiumCommand::Order { request, .. }] = &premium_commands(&cmds)[..] else {
        panic!()
    };
    ev(
        &mut s,
        PremiumEvent::Ordered {
            request: *request,
            result: Err(OrderProblem::Unknown {
                order_no: "O4".into(),
            }),
        },
        t,
    );
    assert_eq!(s.screen(), Screen::Error);
    assert!(s.message().contains("O4"));
    // A refusal goes back to the due screen with the reason.
    tap(&mut s, "home", t);
    let mut s = session_in("jilin", t);
    at_due(&mut s, t);
    let cmds = tap(&mut s, "premium-pay", t);
    let [PremiumCommand::Order { request, .. }] = &premium_commands(&cmds)[..] else {
        panic!()
    };
    ev(
        &mut s,
        PremiumEvent::Ordered {
            request: *request,
            result: Err(OrderProblem::Refused("应缴金额已变更为 ¥220.00".into())),
        },
        t,
    );
    assert_eq!(s.screen(), Screen::PremiumDue);
    assert!(s.note().contains("220.00"));
}

#[test]
fn removing_the_card_while_the_qr_code_shows_hands_the_order_over() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    at_pay(&mut s, t, "O5");
    let cmds = s.handle(Event::CredentialRemoved, t, wall());
    assert_eq!(s.screen(), Screen::Home);
    assert!(s.person().is_none());
    assert_eq!(
        premium_commands(&cmds),
        vec![PremiumCommand::GiveUp {
            order_no: "O5".into()
        }]
    );
    // A late poll answer is dropped.
    let cmds = ev(
        &mut s,
        PremiumEvent::Polled {
            order_no: "O5".into(),
            result: Ok(OrderState::Paid(paid("O5"))),
        },
        t,
    );
    assert!(cmds.is_empty());
    assert_eq!(s.screen(), Screen::Home);
}

#[test]
fn a_year_paid_elsewhere_offers_the_receipt_and_a_closed_period_says_when() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    loaded_with(&mut s, t, resident());
    let cmds = tap(&mut s, "premium", t);
    let [PremiumCommand::Due { request, .. }] = &premium_commands(&cmds)[..] else {
        panic!()
    };
    ev(
        &mut s,
        PremiumEvent::Due {
            request: *request,
            result: Ok(due(DueState::Paid(paid("")))),
        },
        t,
    );
    let view = crate::view::View::of(&s, t).premium.unwrap();
    assert!(view.can_print && !view.can_pay);
    assert!(premium_commands(&tap(&mut s, "premium-pay", t)).is_empty());
    let cmds = tap(&mut s, "premium-print", t);
    assert!(cmds.iter().any(|c| matches!(c, Command::Print(_))));

    let mut s = session_in("jilin", t);
    loaded_with(&mut s, t, resident());
    let cmds = tap(&mut s, "premium", t);
    let [PremiumCommand::Due { request, .. }] = &premium_commands(&cmds)[..] else {
        panic!()
    };
    ev(
        &mut s,
        PremiumEvent::Due {
            request: *request,
            result: Ok(due(DueState::Closed)),
        },
        t,
    );
    assert_eq!(s.screen(), Screen::PremiumDue);
    assert!(s.note().contains("集中缴费期"));
    let view = crate::view::View::of(&s, t).premium.unwrap();
    assert!(!view.can_pay && !view.can_print);
}

/// A proxy (代办人) pays for a family member: the order names the proxy,
/// masked, and so does the receipt.
#[test]
fn a_proxy_pays_for_a_family_member_and_is_named_on_the_receipt() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    tap(&mut s, "proxy", t);
    loaded_with(&mut s, t, resident());
    s.handle(Event::CredentialRemoved, t, wall());
    s.handle(
        Event::CredentialPresented(Credential::IdDocument {
            kind: IdDocumentKind::ResidentIdCard,
            number: "220102196205141234".into(),
            name: "王建国".into(),
        }),
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::ProxyAuthorisation);
    tap(&mut s, "proxy-auth-tick", t);
    tap(&mut s, "proxy-auth-confirm", t);
    assert_eq!(s.screen(), Screen::Enrollment);
    assert!(s.offers_premium());
    let cmds = tap(&mut s, "premium", t);
    let [PremiumCommand::Due { request, .. }] = &premium_commands(&cmds)[..] else {
        panic!("expected KS51, got {cmds:?}")
    };
    ev(
        &mut s,
        PremiumEvent::Due {
            request: *request,
            result: Ok(due(DueState::Due)),
        },
        t,
    );
    let cmds = tap(&mut s, "premium-pay", t);
    let [PremiumCommand::Order { request, proxy, .. }] = &premium_commands(&cmds)[..] else {
        panic!("expected KS52, got {cmds:?}")
    };
    assert_eq!(proxy.as_deref(), Some("王**（220102********1234）"));
    // (An order the centre already knows as paid, e.g. paid on an
    // earlier visit, settles at once.)
    let cmds = ev(
        &mut s,
        PremiumEvent::Ordered {
            request: *request,
            result: Ok(OrderState::Paid(paid("K1P20261122000009"))),
        },
        t,
    );
    let Some(Command::Print(doc)) = cmds.iter().find(|c| matches!(c, Command::Print(_))) else {
        panic!("expected the receipt, got {cmds:?}")
    };
    let Document::PremiumReceipt(slip) = doc.as_ref() else {
        panic!("expected a premium receipt")
    };
    assert_eq!(slip.proxy.as_deref(), Some("王**（220102********1234）"));
    assert_eq!(slip.name, "张德福");
}
