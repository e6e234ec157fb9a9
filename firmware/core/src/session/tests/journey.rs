//! Session tests of the journey outcomes (session/journey.rs) the fleet
//! counters are made of.

use super::*;
use crate::session::journey::{Journey, JourneyOutcome, Outcome};

fn outcomes(s: &mut Session) -> Vec<(Journey, Outcome)> {
    s.take_journey_outcomes()
        .into_iter()
        .map(|JourneyOutcome { journey, outcome }| (journey, outcome))
        .collect()
}

#[test]
fn a_card_on_the_reader_starts_the_enrollment_query_and_the_answer_completes_it() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    loaded(&mut s, t);
    assert_eq!(
        outcomes(&mut s),
        vec![
            (Journey::EnrollmentQuery, Outcome::Started),
            (Journey::EnrollmentQuery, Outcome::Completed),
        ]
    );
    // Leaving a settled journey adds nothing.
    s.handle(Event::CredentialRemoved, t, wall());
    assert_eq!(s.screen(), Screen::Home);
    assert!(outcomes(&mut s).is_empty());
}

#[test]
fn a_card_taken_before_the_answer_is_an_abandoned_query() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    s.handle(Event::CredentialPresented(card()), t, wall());
    s.handle(Event::CredentialRemoved, t, wall());
    assert_eq!(
        outcomes(&mut s),
        vec![
            (Journey::EnrollmentQuery, Outcome::Started),
            (Journey::EnrollmentQuery, Outcome::Abandoned),
        ]
    );
}

#[test]
fn a_certificate_printed_completes_and_a_failed_issue_fails_with_its_kind() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    loaded(&mut s, t);
    outcomes(&mut s);
    let cmds = tap(&mut s, "certificate", t);
    issued(&mut s, &cmds, t);
    tap(&mut s, "print-certificate", t);
    s.handle(Event::PrintFinished, t, wall());
    assert_eq!(s.screen(), Screen::Printed);
    assert_eq!(
        outcomes(&mut s),
        vec![
            (Journey::Certificate, Outcome::Started),
            (Journey::Certificate, Outcome::Completed),
        ]
    );

    let mut s = session_in("jilin", t);
    loaded(&mut s, t);
    outcomes(&mut s);
    let cmds = tap(&mut s, "certificate", t);
    let Some(Command::IssueCertificate { request, .. }) = cmds.first() else {
        panic!("{cmds:?}")
    };
    s.handle(
        Event::CertificateFailed {
            request: *request,
            message: "医保中心暂时无法访问".into(),
        },
        t,
        wall(),
    );
    assert_eq!(s.screen(), Screen::Error);
    // Home after the failure: one outcome only.
    tap(&mut s, "home", t);
    assert_eq!(
        outcomes(&mut s),
        vec![
            (Journey::Certificate, Outcome::Started),
            (Journey::Certificate, Outcome::Failed("certificate_issue")),
        ]
    );
}

#[test]
fn a_refusal_by_the_regions_rule_is_a_failure_and_leaving_a_preview_is_abandoning() {
    let t = Instant::now();
    let mut s = session_in("yunnan", t);
    loaded(&mut s, t);
    outcomes(&mut s);
    tap(&mut s, "certificate", t);
    assert_eq!(s.screen(), Screen::CertificateRefused);
    assert_eq!(
        outcomes(&mut s),
        vec![
            (Journey::Certificate, Outcome::Started),
            (Journey::Certificate, Outcome::Failed("refused")),
        ]
    );

    let mut s = session_in("jilin", t);
    loaded(&mut s, t);
    outcomes(&mut s);
    let cmds = tap(&mut s, "certificate", t);
    issued(&mut s, &cmds, t);
    // Another journey begins: the certificate was left unprinted.
    tap(&mut s, "back", t);
    tap(&mut s, "contributions", t);
    assert_eq!(s.screen(), Screen::RecordsLoading);
    assert_eq!(
        outcomes(&mut s),
        vec![
            (Journey::Certificate, Outcome::Started),
            (Journey::Certificate, Outcome::Abandoned),
            (Journey::Contributions, Outcome::Started),
        ]
    );
}

#[test]
fn a_tap_that_opens_nothing_starts_nothing() {
    let t = Instant::now();
    let mut s = session_in("jilin", t);
    // No person: the certificate cannot be asked for from home.
    tap(&mut s, "certificate", t);
    assert_eq!(s.screen(), Screen::Home);
    assert!(outcomes(&mut s).is_empty());
}

#[test]
fn every_journey_and_outcome_has_a_distinct_id() {
    let ids: std::collections::BTreeSet<_> = Journey::ALL.iter().map(|j| j.id()).collect();
    assert_eq!(ids.len(), Journey::ALL.len());
    let outcomes = [
        Outcome::Started,
        Outcome::Completed,
        Outcome::Failed("x"),
        Outcome::Abandoned,
    ];
    let ids: std::collections::BTreeSet<_> = outcomes.iter().map(|o| o.id()).collect();
    assert_eq!(ids.len(), 4);
}

mod remote_settings {
    use super::*;
    use crate::session::settings::Settings;

    fn apply(s: &mut Session, settings: Settings, t: Instant) {
        s.handle(Event::Settings(Box::new(settings)), t, wall());
    }

    #[test]
    fn maintenance_ends_the_session_and_ignores_credentials_until_lifted() {
        let t = Instant::now();
        let mut s = session_in("jilin", t);
        loaded(&mut s, t);
        assert_eq!(s.screen(), Screen::Enrollment);
        apply(
            &mut s,
            Settings {
                maintenance: true,
                ..Settings::default()
            },
            t,
        );
        assert_eq!(s.screen(), Screen::Home);
        assert!(s.person().is_none(), "personal data cleared");
        assert!(crate::view::View::of(&s, t).maintenance);
        assert!(
            s.handle(Event::CredentialPresented(card()), t, wall())
                .is_empty()
        );
        assert_eq!(s.screen(), Screen::Home);
        apply(&mut s, Settings::default(), t);
        assert!(!crate::view::View::of(&s, t).maintenance);
        let cmds = s.handle(Event::CredentialPresented(card()), t, wall());
        assert!(matches!(cmds.first(), Some(Command::QueryPerson { .. })));
    }

    #[test]
    fn a_switched_off_journey_explains_and_goes_nowhere() {
        let t = Instant::now();
        let mut s = session_in("jilin", t);
        apply(
            &mut s,
            Settings {
                disabled: vec![Journey::Certificate],
                notice: "今日 16:00 后暂停服务".into(),
                ..Settings::default()
            },
            t,
        );
        assert_eq!(
            crate::view::View::of(&s, t).hall_notice,
            "今日 16:00 后暂停服务"
        );
        loaded(&mut s, t);
        outcomes(&mut s);
        // The tile is hidden; a tap that comes anyway is explained.
        assert!(!crate::view::View::of(&s, t).offers_certificate);
        let cmds = tap(&mut s, "certificate", t);
        assert!(only_speech(&cmds), "{cmds:?}");
        assert_eq!(s.screen(), Screen::Enrollment);
        assert!(s.note().contains("人工窗口"), "{}", s.note());
        assert!(outcomes(&mut s).is_empty(), "not a started journey");
    }

    #[test]
    fn the_idle_timeout_follows_the_settings_and_falls_back_to_the_file() {
        let t = Instant::now();
        let mut s = session_in("jilin", t);
        let file = s.config().idle_after;
        apply(
            &mut s,
            Settings {
                idle_after: Some(Duration::from_secs(45)),
                ..Settings::default()
            },
            t,
        );
        assert_eq!(s.config().idle_after, Duration::from_secs(45));
        assert!(s.config().countdown <= Duration::from_secs(45));
        apply(&mut s, Settings::default(), t);
        assert_eq!(s.config().idle_after, file);
    }
}
