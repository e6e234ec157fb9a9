//! Designated-institution search latency per keystroke (issue 15 target:
//! ≤ 20 ms) on the demo centre's full sample, measured the way the kiosk
//! does the work: the session handles the key tap and the view of the
//! lookup screen is built (search, paging, formatting).
//!
//! `cargo bench -p kiosk-central --bench institution_search`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_central::DemoData;
use kiosk_core::institutions::{DesignatedInstitution, InstitutionIndex, InstitutionKind};
use kiosk_core::region::RegionProfile;
use kiosk_core::session::{
    Action, Event, RecordsCommand, RecordsEvent, Session, SessionConfig, TerminalInfo,
};
use kiosk_core::view::View;

fn main() {
    let data = DemoData::builtin().unwrap();
    let items: Vec<DesignatedInstitution> = data
        .institutions
        .iter()
        .map(|i| DesignatedInstitution {
            code: i.code.clone(),
            name: i.name.clone(),
            area: i.area.clone(),
            kind: InstitutionKind::from_code(&i.kind).unwrap_or(InstitutionKind::Hospital),
            level: i.level.clone(),
            address: i.address.clone(),
            phone: i.phone.clone(),
            cross_province: i.remote_settlement,
        })
        .collect();
    let n = items.len();
    let started = Instant::now();
    let index = Arc::new(InstitutionIndex::new(items));
    let build = started.elapsed();

    let region = Arc::new(
        RegionProfile::parse("jilin", include_str!("../../../data/regions/jilin.toml")).unwrap(),
    );
    let wall = chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    let t0 = Instant::now();
    let mut session = Session::new(
        SessionConfig::default(),
        TerminalInfo {
            terminal_id: "BENCH".into(),
            hall_name: "bench".into(),
        },
        region,
        t0,
    );
    let tap = |s: &mut Session, id: &str| {
        s.handle(
            Event::Action(Action::from_id(id).unwrap()),
            Instant::now(),
            wall,
        )
    };
    let cmds = tap(&mut session, "institutions");
    let Some(kiosk_core::session::Command::Records(RecordsCommand::LoadInstitutions { request })) =
        cmds.first()
    else {
        panic!("no load command")
    };
    session.handle(
        Event::Records(RecordsEvent::InstitutionsLoaded {
            request: *request,
            index,
            version: Some("bench".into()),
        }),
        Instant::now(),
        wall,
    );

    // Typing three queries key by key, then clearing, 200 rounds.
    let words = ["hksrmyy", "lbxdyf", "szs", "bjxh", "cczyyy"];
    let mut samples: Vec<Duration> = Vec::new();
    for _ in 0..200 {
        for word in words {
            for c in word.chars() {
                let id = format!("inst-key:{c}");
                let at = Instant::now();
                tap(&mut session, &id);
                let view = View::of(&session, Instant::now());
                std::hint::black_box(&view);
                samples.push(at.elapsed());
            }
            tap(&mut session, "inst-key:clear");
        }
    }
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize];
    println!("institutions in the sample: {n}");
    println!(
        "index build (pinyin initials): {:.2} ms",
        build.as_secs_f64() * 1e3
    );
    println!(
        "per keystroke (tap + view), {} keystrokes: median {:.3} ms, p95 {:.3} ms, max {:.3} ms",
        samples.len(),
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.95).as_secs_f64() * 1e3,
        samples.last().unwrap().as_secs_f64() * 1e3
    );
}
