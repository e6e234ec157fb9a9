//! The whole-kiosk crash campaign: the real `kiosk` binary, its devices
//! simulated except the printer and the centre, which live in this test
//! process so that they outlive every kill (the paper roll is the
//! printer simulator's; the centre's own tables are the truth of what
//! arrived). Random journeys (filings submitted, certificates and slips
//! printed, ratings) are driven through the automation API and the kiosk
//! is killed with SIGKILL at seeded random points, biased to the
//! dangerous moments:
//! - at start, before or while the store opens;
//! - between the outbox commit and the centre's answer (the centre made
//!   slow, or applying the message and losing the answer);
//! - between the printer's last byte and the journal's done mark (the
//!   kill fires the moment the paper shows the slip);
//! - while the outbox drains after a partition.
//!
//! After each kill: the store passes `PRAGMA integrity_check`; a slip the
//! kiosk said was printed is on the paper; a filing the kiosk confirmed is
//! in its outbox; at the next start every unfinished print job is offered
//! again (staff choose 重新打印 when the paper lacks it, 不打印 when it is
//! there) and none is offered that was done; the kiosk reaches its home
//! screen. At the end the outbox drains and the centre holds every record
//! the kiosk ever committed, each applied once (`msgid`), and the store
//! holds no personal data in plain text.
//!
//! `CRASH_KILLS` (default 12) sets the number of kills and `CRASH_SEED`
//! the seed; the full campaign is `CRASH_KILLS=200` (RELIABILITY.md).
//! Killing at the start of a schema migration has its own test below.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_central::{Central, CentralOptions, CentralServer, DemoData};
use kiosk_sim::printer::{PaperWidth, PrinterSim, PrinterSimConfig, PrinterSimHandle, Receipt};
use kiosk_sync::clock::SystemClock;
use kiosk_sync::platform::{Random, SeededRandom};
use serde_json::Value;
use support::{Kiosk, WAIT, li_xiulan_card, ouyang_card, texts, zhang_defu_card};

/// Personal data of the people the campaign uses: never in the store in
/// plain text, never in a log.
const SECRETS: &[&str] = &[
    "李秀兰",
    "220203198508232046",
    "张德福",
    "220104195203110010",
    "欧阳",
    "220104199203152024",
    "13812345678",
    "美兰区演示路",
];

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Kills the process `pid` with SIGKILL.
fn kill_9(pid: u32) {
    let status = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -KILL {pid}");
}

/// The store of a kiosk directory.
fn store_of(dir: &Path) -> std::path::PathBuf {
    dir.join("data").join("kiosk").join("kiosk.db")
}

/// What the killed kiosk's store holds.
struct Snapshot {
    /// msgid → (kind, state).
    outbox: BTreeMap<String, (String, String)>,
    /// job id → state.
    jobs: BTreeMap<String, String>,
}

/// Opens the store of a dead kiosk: integrity first, then its outbox and
/// print journal.
fn inspect(dir: &Path) -> Snapshot {
    let path = store_of(dir);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok", "integrity_check of {}", path.display());
    let mut outbox = BTreeMap::new();
    let mut stmt = conn
        .prepare("SELECT msgid, kind, state FROM outbox")
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                (r.get::<_, String>(1)?, r.get::<_, String>(2)?),
            ))
        })
        .unwrap();
    for row in rows {
        let (msgid, v) = row.unwrap();
        outbox.insert(msgid, v);
    }
    let mut jobs = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT job_id, state FROM print_job").unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap();
    for row in rows {
        let (id, state) = row.unwrap();
        jobs.insert(id, state);
    }
    Snapshot { outbox, jobs }
}

/// Where a journey is killed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KillPoint {
    /// `ms` after the process started.
    Start { ms: u64 },
    /// After step `step` of the journey, `ms` later.
    Step { step: usize, ms: u64 },
    /// The moment the paper shows a new slip (before the done mark).
    OnPaper,
}

/// How the centre behaves during the journey.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CentreMood {
    Fine,
    /// Every answer 700 ms late: kills land between commit and answer.
    Slow,
    /// Applies the next command and loses the answer.
    LosesAnswer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Journey {
    Filing,
    Certificate,
    Slip,
    /// Filings queued while the centre is unreachable, then a drain
    /// (`kiosk sync now`) killed `ms` after it starts.
    Drain {
        ms: u64,
    },
}

/// A journey being driven; `step` returns `None` once the kill fired.
struct Run<'a> {
    kiosk: &'a Kiosk,
    printer: &'a PrinterSimHandle,
    kill: KillPoint,
    step: usize,
    killed: bool,
    /// The kiosk said "printed" this many times.
    printed_seen: usize,
    /// The kiosk confirmed a filing (it left the submitting screen).
    filings_confirmed: usize,
    /// The disk the store is on: a kill is a power cut first.
    power: Option<&'a PowerDisk>,
    /// Receipts on the paper when the journey began.
    paper_mark: usize,
}

impl Run<'_> {
    fn step(&mut self) -> Option<()> {
        self.step += 1;
        if let KillPoint::Step { step, ms } = self.kill
            && step == self.step
        {
            std::thread::sleep(Duration::from_millis(ms));
            self.fire();
        }
        if self.killed { None } else { Some(()) }
    }

    fn fire(&mut self) {
        if !self.killed {
            if let Some(disk) = self.power {
                disk.cut();
            }
            kill_9(self.kiosk.pid());
            self.killed = true;
        }
    }

    /// After a tap that prints: with [`KillPoint::OnPaper`], waits
    /// (bounded) for the paper to grow and kills at once.
    fn after_print_tap(&mut self) -> Option<()> {
        if self.kill == KillPoint::OnPaper {
            let before = self.paper_mark;
            let deadline = Instant::now() + WAIT;
            while self.printer.receipt_count() == before && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            self.fire();
        }
        self.step()
    }

    /// Waits for a screen whose id is one of `ids`.
    fn wait_any(&self, ids: &[&str]) -> Value {
        self.kiosk.wait_until(&format!("one of {ids:?}"), |s| {
            ids.iter().any(|id| s["screen"] == *id)
        })
    }

    fn card_session_end(&mut self) -> Option<()> {
        self.kiosk.remove_id_card_and_wait();
        self.wait_any(&["home", "rate"]);
        self.step()
    }

    /// Places `card`: whether the enrollment shows (else the error
    /// screen: the journey ends there).
    fn identified(&mut self, card: Value) -> Option<bool> {
        self.paper_mark = self.printer.receipt_count();
        self.kiosk.place_id_card(card);
        let shown = self.wait_any(&["enrollment", "error"]);
        self.step()?;
        Some(shown["screen"] == "enrollment")
    }

    /// After the tap that prints: waits for the outcome (`printed`,
    /// `print-pending` or `error`) and counts a "printed".
    fn outcome(&mut self) -> Option<bool> {
        self.after_print_tap()?;
        let done = self.wait_any(&["printed", "print-pending", "error"]);
        let printed = done["screen"] == "printed";
        if printed {
            self.printed_seen += 1;
        }
        self.step()?;
        Some(printed)
    }

    /// A filing of `category`: the long-term one is refused by the centre
    /// once the person has one (a refusal is an outcome too); the
    /// temporary trip can be filed again and again.
    fn filing(&mut self, card: Value, category: &str) -> Option<()> {
        let k = self.kiosk;
        if !self.identified(card)? {
            return self.card_session_end();
        }
        k.tap("更多查询与办理");
        k.tap("异地就医备案");
        k.wait_for_screen("filing-category");
        k.tap(category);
        k.wait_for_screen("filing-form");
        self.step()?;
        support::fill_filing_form_and_sign(k);
        self.step()?;
        // Submitted: written to the outbox, then sent; the receipt prints.
        // Confirmed once the kiosk leaves the submitting screen for the
        // printing ones.
        let confirmed = |s: &Value| {
            matches!(
                s["screen"].as_str(),
                Some("printing" | "printed" | "print-pending")
            )
        };
        let after = k.wait_until("the filing leaves the submitting screen", |s| {
            s["screen"] != "filing-submitting" && s["screen"] != "filing-letter"
        });
        if confirmed(&after) {
            self.filings_confirmed += 1;
            self.outcome()?;
        }
        self.card_session_end()
    }

    fn certificate(&mut self) -> Option<()> {
        let k = self.kiosk;
        if !self.identified(li_xiulan_card())? {
            return self.card_session_end();
        }
        k.tap("开具参保凭证");
        // The centre numbers the certificate; an answer it lost is an
        // error the citizen can retry (the journey ends there).
        let issued = self.wait_any(&["certificate", "error"]);
        self.step()?;
        if issued["screen"] == "error" {
            return self.card_session_end();
        }
        k.tap("打印参保凭证");
        if self.outcome()? {
            k.tap("满意");
            k.wait_for_text("感谢您的评价");
            self.step()?;
        }
        self.card_session_end()
    }

    fn slip(&mut self) -> Option<()> {
        if !self.identified(zhang_defu_card())? {
            return self.card_session_end();
        }
        self.kiosk.tap("打印业务办理单");
        self.outcome()?;
        self.card_session_end()
    }
}

/// The campaign's fixed parts: the centre, the printer, the kiosk's
/// directory and configuration.
struct Rig {
    centre: CentralServer,
    printer: PrinterSimHandle,
    config: String,
}

impl Rig {
    fn new(dir: &Path) -> Rig {
        kiosk_sync::link::install_crypto_provider();
        let options = CentralOptions {
            db: Some(dir.join("centre.db")),
            worker_threads: 2,
            ..CentralOptions::default()
        };
        let central = Central::open(
            DemoData::builtin().unwrap(),
            "builtin",
            None,
            Arc::new(SystemClock),
            options,
        )
        .unwrap();
        let centre = CentralServer::start(([127, 0, 0, 1], 0).into(), Arc::new(central)).unwrap();
        let printer = PrinterSim::start(PrinterSimConfig {
            listen: ([127, 0, 0, 1], 0).into(),
            out_dir: Some(dir.join("paper")),
            paper: PaperWidth::Mm80,
        })
        .unwrap();
        let config = format!(
            "[central]\nurl = \"{}\"\ntimeout_ms = 1500\n\n[devices]\nprinter = \"tcp://{}\"\n",
            centre.url(),
            printer.local_addr()
        );
        Rig {
            centre,
            printer,
            config,
        }
    }

    fn central(&self) -> &Arc<Central> {
        self.centre.central()
    }
}

/// Tallies printed at the end (and in RELIABILITY.md).
#[derive(Default, Debug)]
struct Tally {
    kills: usize,
    by_point: BTreeMap<String, usize>,
    lost: Vec<String>,
    duplicated: Vec<String>,
    offered: usize,
    offered_already_on_paper: usize,
    reprinted: usize,
    reprinted_not_needed: usize,
    declined: usize,
    integrity_checks: usize,
    homes: usize,
    filings_confirmed: usize,
    printed_seen: usize,
}

/// Starts the kiosk in `dir`, resolves the print journal's offer (if
/// any) against the paper and the killed run's journal, and returns the
/// kiosk on its home screen.
fn restart(
    rig: &Rig,
    dir: tempfile::TempDir,
    unfinished: usize,
    already_on_paper: usize,
    tally: &mut Tally,
    context: &str,
) -> Kiosk {
    let kiosk = Kiosk::start_in(dir, &rig.config);
    let first = kiosk.wait_until("home or the print offer", |s| {
        s["screen"] == "home" || s["screen"] == "recover-prints"
    });
    if unfinished == 0 {
        // Nothing to offer; an offer now would reprint a finished job.
        // (The offer comes with the start, before the home screen shows.)
        kiosk.wait_for_log("print journal recovered", 1);
        let screen = kiosk.screen();
        if screen["screen"] == "recover-prints" {
            tally
                .duplicated
                .push(format!("{context}: offered with nothing unfinished"));
            kiosk.tap("不打印");
        }
    } else {
        let offer = if first["screen"] == "recover-prints" {
            first
        } else {
            kiosk.wait_until("the print offer", |s| s["screen"] == "recover-prints")
        };
        let shown = texts(&offer);
        if !shown.contains(&format!("有 {unfinished} 份单据未打印完成")) {
            tally.lost.push(format!(
                "{context}: {unfinished} unfinished, offer says {shown}"
            ));
        }
        tally.offered += unfinished;
        tally.offered_already_on_paper += already_on_paper.min(unfinished);
        if already_on_paper >= unfinished {
            // Staff find the slips in the tray.
            kiosk.tap("不打印");
            tally.declined += unfinished;
        } else {
            let before = rig.printer.receipt_count();
            kiosk.tap("重新打印");
            assert!(
                rig.printer
                    .wait_for_receipts(before + unfinished, WAIT + WAIT),
                "{context}: reprint of {unfinished} job(s)"
            );
            tally.reprinted += unfinished;
            tally.reprinted_not_needed += already_on_paper;
        }
    }
    kiosk.wait_for_screen("home");
    tally.homes += 1;
    kiosk
}

/// Whole documents among `receipts`: each ended at its cut, and a
/// filing receipt followed by its commitment letter copy (one print job,
/// two cuts).
fn whole_documents(receipts: &[Receipt]) -> usize {
    let is_letter = |r: &Receipt| r.text.contains("（副本）");
    let mut whole = 0;
    let mut i = 0;
    while i < receipts.len() {
        let r = &receipts[i];
        i += 1;
        if is_letter(r) {
            // A letter without its receipt: part of a document already
            // counted, or a reprint cut short.
            continue;
        }
        let mut ok = r.cut;
        if r.text.contains("异地就医备案回执") {
            match receipts.get(i) {
                Some(letter) if is_letter(letter) => {
                    ok &= letter.cut;
                    i += 1;
                }
                _ => ok = false,
            }
        }
        if ok {
            whole += 1;
        }
    }
    whole
}

/// Every `msgid` the centre has answered (its `message` table).
fn arrived(central: &Central) -> BTreeSet<String> {
    central
        .query_db(|db| {
            let mut stmt = db.prepare("SELECT msgid FROM message")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect::<rusqlite::Result<BTreeSet<_>>>()
        })
        .unwrap()
}

/// Three in four filings are temporary trips (accepted every time), one
/// a long-term residence (refused once the person has one).
fn filing_category(rng: &SeededRandom) -> &'static str {
    if rng.next_u64().is_multiple_of(4) {
        "异地长期居住人员"
    } else {
        "跨省临时外出就医人员"
    }
}

fn pick<T: Copy>(rng: &SeededRandom, weighted: &[(u64, T)]) -> T {
    let total: u64 = weighted.iter().map(|(w, _)| w).sum();
    let mut x = rng.next_u64() % total;
    for (w, v) in weighted {
        if x < *w {
            return *v;
        }
        x -= w;
    }
    weighted[0].1
}

#[test]
fn kill_9_at_random_points_of_random_journeys_loses_nothing_and_doubles_nothing() {
    let kills = env_number("CRASH_KILLS", 12) as usize;
    let seed = env_number("CRASH_SEED", 20_261_207);
    let rng = SeededRandom::new(seed);
    let work = tempfile::tempdir().unwrap();
    let rig = Rig::new(work.path());
    if std::env::var_os("CRASH_KEEP").is_some() {
        println!(
            "crash campaign: centre and paper in {}",
            work.path().display()
        );
        std::mem::forget(work);
    }
    let mut tally = Tally::default();
    let mut ever: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut jobs_before: BTreeSet<String> = BTreeSet::new();
    let started = Instant::now();

    // A first, clean run pulls the reference data (the filing form's
    // pick lists come from it) and stops with SIGTERM.
    let kiosk = Kiosk::start_in(tempfile::tempdir().unwrap(), &rig.config);
    kiosk.wait_for_screen("home");
    for dataset in ["area_codes", "institutions"] {
        kiosk.wait_for_dataset(dataset);
    }
    let (code, _, mut dir) = kiosk.terminate();
    assert_eq!(code, Some(0));
    let mut unfinished = 0;
    let mut already_on_paper = 0;
    for round in 0..kills {
        let journey = pick(
            &rng,
            &[
                (35, Journey::Filing),
                (30, Journey::Certificate),
                (20, Journey::Slip),
                (
                    15,
                    Journey::Drain {
                        ms: rng.next_u64() % 1500,
                    },
                ),
            ],
        );
        let kill = pick(
            &rng,
            &[
                (
                    15,
                    KillPoint::Start {
                        ms: rng.next_u64() % 700,
                    },
                ),
                (
                    55,
                    KillPoint::Step {
                        step: 1 + (rng.next_u64() % 7) as usize,
                        ms: rng.next_u64() % 900,
                    },
                ),
                (30, KillPoint::OnPaper),
            ],
        );
        let mood = pick(
            &rng,
            &[
                (50, CentreMood::Fine),
                (30, CentreMood::Slow),
                (20, CentreMood::LosesAnswer),
            ],
        );
        let context = format!("seed {seed} round {round}: {journey:?}, {kill:?}, {mood:?}");
        eprintln!("crash campaign: {context}");
        let point = format!("{kill:?}");
        let point = point.split([' ', '{']).next().unwrap_or_default();
        *tally.by_point.entry(point.to_string()).or_default() += 1;

        // The start after the previous kill: the offer, then home.
        if let KillPoint::Start { ms } = kill {
            // Killed while starting (store opening, journal recovery).
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.path().join("stderr-start.log"))
                .unwrap();
            let mut child = support::kiosk_command(dir.path(), &[], log)
                .stdout(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(ms));
            kill_9(child.id());
            let _ = child.wait();
            tally.kills += 1;
            inspect(dir.path());
            tally.integrity_checks += 1;
        }
        let kiosk = restart(
            &rig,
            dir,
            unfinished,
            already_on_paper,
            &mut tally,
            &context,
        );
        let paper_at_journey = rig.printer.receipt_count();

        let central = rig.central();
        match mood {
            CentreMood::Fine => central.faults().clear(),
            CentreMood::Slow => central.faults().set_latency(Duration::from_millis(700)),
            CentreMood::LosesAnswer => central.faults().drop_after_commit_next(1),
        }
        let mut run = Run {
            kiosk: &kiosk,
            printer: &rig.printer,
            kill: if matches!(kill, KillPoint::Start { .. }) {
                // Already killed once this round; the journey runs to
                // the end and the kiosk is killed after it.
                KillPoint::Step { step: 99, ms: 0 }
            } else {
                kill
            },
            step: 0,
            killed: false,
            printed_seen: 0,
            filings_confirmed: 0,
            power: None,
            paper_mark: 0,
        };
        let filings_before = ever.values().filter(|(k, _)| k == "filing_submit").count();
        let category = filing_category(&rng);
        let _ = match journey {
            Journey::Filing => {
                let card = if round % 2 == 0 {
                    li_xiulan_card()
                } else {
                    ouyang_card()
                };
                run.filing(card, category)
            }
            Journey::Certificate => run.certificate(),
            Journey::Slip => run.slip(),
            Journey::Drain { ms } => {
                central.faults().set_unreachable(true);
                let done = run.filing(li_xiulan_card(), category);
                central.faults().set_unreachable(false);
                if done.is_some() {
                    // The drain, killed `ms` after it starts.
                    let mut sync = Command::new(support::kiosk_binary())
                        .args(["sync", "now", "--api", &kiosk.api])
                        .arg("--config")
                        .arg(kiosk.dir().join("kiosk.toml"))
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .spawn()
                        .unwrap();
                    std::thread::sleep(Duration::from_millis(ms));
                    run.fire();
                    let _ = sync.wait();
                }
                Some(())
            }
        };
        if !run.killed {
            run.fire();
        }
        let printed_seen = run.printed_seen;
        let filings_confirmed = run.filings_confirmed;
        tally.printed_seen += printed_seen;
        tally.filings_confirmed += filings_confirmed;
        tally.kills += 1;
        central.faults().clear();
        dir = kiosk.stop();

        // The paper after the kill: the printer serves one connection at
        // a time; the dead kiosk's is finished once the printer takes
        // the next, so the paper is read after the restart's first
        // connection (in the next round) — here only what is settled.
        let snapshot = inspect(dir.path());
        tally.integrity_checks += 1;
        for (msgid, v) in &snapshot.outbox {
            ever.insert(msgid.clone(), v.clone());
        }
        let filings_now = ever.values().filter(|(k, _)| k == "filing_submit").count();
        if filings_now < filings_before + filings_confirmed {
            tally.lost.push(format!(
                "{context}: {filings_confirmed} filing(s) confirmed, {} in the outbox",
                filings_now - filings_before
            ));
        }
        let new_jobs: Vec<(&String, &String)> = snapshot
            .jobs
            .iter()
            .filter(|(id, _)| !jobs_before.contains(*id))
            .collect();
        let done_new = new_jobs.iter().filter(|(_, s)| *s == "done").count();
        unfinished = snapshot
            .jobs
            .values()
            .filter(|s| *s == "queued" || *s == "sending")
            .count();
        jobs_before = snapshot.jobs.keys().cloned().collect();

        // Let the printer finish the dead connection: it accepts the next
        // one only then. A probe connection of our own does it.
        let connections = rig.printer.connections();
        drop(std::net::TcpStream::connect(rig.printer.local_addr()));
        let deadline = Instant::now() + WAIT;
        while rig.printer.connections() <= connections && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        let paper = rig.printer.receipts();
        let whole_new = whole_documents(&paper[paper_at_journey..]);
        if done_new > whole_new {
            tally.lost.push(format!(
                "{context}: {done_new} job(s) marked done, {whole_new} whole slip(s) on paper"
            ));
        }
        if printed_seen > whole_new {
            tally.lost.push(format!(
                "{context}: \"printed\" shown {printed_seen} time(s), {whole_new} whole slip(s)"
            ));
        }
        if whole_new > new_jobs.len() {
            tally.duplicated.push(format!(
                "{context}: {whole_new} whole slips for {} new job(s)",
                new_jobs.len()
            ));
        }
        already_on_paper = whole_new.saturating_sub(done_new);
    }

    // The last start: the offer resolved, then the outbox drains.
    let kiosk = restart(
        &rig,
        dir,
        unfinished,
        already_on_paper,
        &mut tally,
        "final start",
    );
    let drained = kiosk.drain_outbox(60);
    assert!(drained, "the outbox did not drain");
    let dir = kiosk.stop();
    let snapshot = inspect(dir.path());
    for (msgid, v) in &snapshot.outbox {
        ever.insert(msgid.clone(), v.clone());
    }

    // The centre's own records: every msgid the kiosk ever committed
    // arrived; each filing and rating applied once, and none the kiosk
    // does not know of.
    let central = rig.central();
    let arrived = arrived(central);
    for (msgid, (kind, state)) in &ever {
        if !arrived.contains(msgid) {
            tally.lost.push(format!(
                "{kind} {msgid} ({state} in the outbox) never arrived"
            ));
        }
    }
    for table in ["filing", "rating"] {
        let rows: Vec<(String, i64)> = central
            .query_db(|db| {
                let mut stmt = db.prepare(&format!(
                    "SELECT msgid, COUNT(*) FROM {table} WHERE msgid IS NOT NULL GROUP BY msgid"
                ))?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
            })
            .unwrap();
        for (msgid, count) in rows {
            if count > 1 {
                tally
                    .duplicated
                    .push(format!("{table} {msgid} applied {count} times"));
            }
            // The demo data's own filings carry no msgid of this kiosk.
            if msgid.starts_with('K') && !ever.contains_key(&msgid) {
                tally
                    .duplicated
                    .push(format!("{table} {msgid} applied, unknown to the kiosk"));
            }
        }
    }

    // Personal data at rest: the store and its WAL hold none in plain
    // text (the outbox is sealed); nor does any log of any run.
    let mut at_rest = Vec::new();
    for entry in std::fs::read_dir(store_of(dir.path()).parent().unwrap()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap_or_default();
        for secret in SECRETS {
            if bytes.windows(secret.len()).any(|w| w == secret.as_bytes()) {
                at_rest.push(format!("{secret:?} in {}", path.display()));
            }
        }
    }
    for log in ["stderr.log", "stderr-start.log"] {
        let text = std::fs::read_to_string(dir.path().join(log)).unwrap_or_default();
        for secret in SECRETS {
            if text.contains(secret) {
                at_rest.push(format!("{secret:?} in {log}"));
            }
        }
    }

    let filings = ever.values().filter(|(k, _)| k == "filing_submit").count();
    let ratings = ever.values().filter(|(k, _)| k == "rating").count();
    println!(
        "crash campaign (seed {seed}): {} kills {:?} in {:.0} s; {} integrity checks ok; {} starts reached home; \
         {} filings confirmed and {} slips shown printed before a kill or the journey's end; \
         outbox records {} ({filings} filings, {ratings} ratings), lost {}, duplicated {}; \
         print jobs offered again {} ({} already on paper: {} declined, {} reprinted not needed), reprinted {}; \
         centre answered {} repeats from its record",
        tally.kills,
        tally.by_point,
        started.elapsed().as_secs_f64(),
        tally.integrity_checks,
        tally.homes,
        tally.filings_confirmed,
        tally.printed_seen,
        ever.len(),
        tally.lost.len(),
        tally.duplicated.len(),
        tally.offered,
        tally.offered_already_on_paper,
        tally.declined,
        tally.reprinted_not_needed,
        tally.reprinted,
        central.repeats_answered(),
    );
    assert!(tally.lost.is_empty(), "lost: {:#?}", tally.lost);
    assert!(
        tally.duplicated.is_empty(),
        "duplicated: {:#?}",
        tally.duplicated
    );
    assert!(at_rest.is_empty(), "personal data at rest: {at_rest:#?}");
    assert!(filings > 0, "the campaign filed nothing: {tally:?}");
}

/// The stores earlier releases left behind (sync/tests/fixtures/store).
const OLD_STORES: &[(u32, &str)] = &[
    (1, include_str!("../sync/tests/fixtures/store/v1.sql")),
    (2, include_str!("../sync/tests/fixtures/store/v2.sql")),
    (3, include_str!("../sync/tests/fixtures/store/v3.sql")),
    (4, include_str!("../sync/tests/fixtures/store/v4.sql")),
    (5, include_str!("../sync/tests/fixtures/store/v5.sql")),
];

/// `CRASH_MIGRATION_KILLS` (default 6) times: a store an earlier release
/// left behind, the kiosk started on it and killed before the first
/// migration step or the moment a step has committed (while the next one
/// runs), then started
/// again: the store is intact, at the current schema version, and still
/// holds the old release's records.
#[test]
fn kill_9_during_the_schema_migration_at_start_keeps_the_old_store() {
    let kills = env_number("CRASH_MIGRATION_KILLS", 6);
    let seed = env_number("CRASH_SEED", 20_261_207);
    let rng = SeededRandom::new(seed ^ 0x6d69_6772);
    let mut before_migration = 0;
    let mut after_migration = 0;
    let mut during_migration = 0;
    let window_us = first_step_time(OLD_STORES[0].1).as_micros() as u64;
    for round in 0..kills {
        let (version, sql) = OLD_STORES[(rng.next_u64() % OLD_STORES.len() as u64) as usize];
        let (dir, config, outbox_rows, audit_rows) = old_store_dir(version, sql);
        let store = store_of(dir.path());
        let log_path = dir.path().join("stderr-start.log");
        let log = std::fs::File::create(&log_path).unwrap();
        // The kill: before the first step (at a random time within the
        // calibration start's time to its first step), or the moment the
        // log says step `after` committed (while the next one runs), plus
        // up to 2 ms.
        let after = version
            + (rng.next_u64() % u64::from(kiosk_sync::store::SCHEMA_VERSION - version + 1)) as u32;
        let extra = Duration::from_micros(rng.next_u64() % 2000);
        let before_us = rng.next_u64() % window_us.max(1);
        let started = Instant::now();
        let mut child = support::kiosk_command(dir.path(), &[], log)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        if after == version {
            std::thread::sleep(Duration::from_micros(before_us));
        } else {
            let step = format!("store migrated version={after}");
            while !std::fs::read_to_string(&log_path)
                .unwrap_or_default()
                .contains(&step)
            {
                assert!(started.elapsed() < WAIT, "{step:?} not logged");
                std::thread::sleep(Duration::from_micros(200));
            }
            std::thread::sleep(extra);
        }
        kill_9(child.id());
        let _ = child.wait();
        let us = started.elapsed().as_micros();
        let context = format!("seed {seed} round {round}: v{version} store, killed after {us} µs");
        let at_kill: i64 = {
            let conn = rusqlite::Connection::open(&store).unwrap();
            let check: String = conn
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            assert_eq!(check, "ok", "{context}");
            conn.query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap()
        };
        // Each migration is its own transaction: the store is at the old
        // version, at a step in between, or at the current one — never a
        // step half applied (integrity and the schema check at the next
        // start say so).
        if at_kill == i64::from(version) {
            before_migration += 1;
        } else if at_kill == i64::from(kiosk_sync::store::SCHEMA_VERSION) {
            after_migration += 1;
        } else {
            during_migration += 1;
        }

        let kiosk = Kiosk::start_in(dir, &config);
        kiosk.wait_for_screen("home");
        let dir = kiosk.stop();
        let conn = rusqlite::Connection::open(store_of(dir.path())).unwrap();
        let version_now: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            version_now,
            i64::from(kiosk_sync::store::SCHEMA_VERSION),
            "{context}"
        );
        let count = |table: &str, old: i64| -> i64 {
            let now: i64 = conn
                .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
                .unwrap();
            assert!(now >= old, "{context}: {table} had {old} rows, now {now}");
            now
        };
        count("outbox", outbox_rows);
        count("audit_log", audit_rows);
        // Not moved aside as damaged: the old store itself was migrated.
        let aside = std::fs::read_dir(store_of(dir.path()).parent().unwrap())
            .unwrap()
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().contains("damaged"));
        assert!(!aside, "{context}: the store was set aside as damaged");
    }
    println!(
        "migration kills (seed {seed}): {kills}, {before_migration} before the first step committed, \
         {during_migration} between steps, {after_migration} after the last; every store intact, \
         migrated on the next start, records kept"
    );
}

/// A kiosk directory with the store an earlier release left (`sql`) and
/// that store's key file; the configuration points at a dead centre.
fn old_store_dir(version: u32, sql: &str) -> (tempfile::TempDir, String, i64, i64) {
    let dir = tempfile::tempdir().unwrap();
    let store = store_of(dir.path());
    std::fs::create_dir_all(store.parent().unwrap()).unwrap();
    let (outbox_rows, audit_rows) = {
        let conn = rusqlite::Connection::open(&store).unwrap();
        conn.execute_batch(sql).unwrap();
        // The fixtures' print jobs hold placeholder bytes, not documents
        // sealed with any key; the kiosk's key check (which opens the
        // first sealed record) would rightly refuse them.
        if version >= 2 {
            conn.execute("DELETE FROM print_job", []).unwrap();
        }
        let count = |table: &str| -> i64 {
            conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
                .unwrap()
        };
        (count("outbox"), count("audit_log"))
    };
    // The fixtures' sealed records were sealed with this key
    // (sync/tests/store_migrations.rs), kept in the kiosk's key file.
    let key = store.with_file_name("outbox.key");
    std::fs::write(&key, "05".repeat(32)).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    // The centre is down: nothing drains the old records meanwhile.
    let config = format!(
        "[central]\nurl = \"http://127.0.0.1:{}\"\ntimeout_ms = 300\n\n[simulation]\nenabled = true\n",
        support::dead_port()
    );
    std::fs::write(dir.path().join("kiosk.toml"), &config).unwrap();
    (dir, config, outbox_rows, audit_rows)
}

/// How long a kiosk takes from its start to the first migration step of
/// the store `sql` (a v1 store), read off its log; it is killed then.
fn first_step_time(sql: &str) -> Duration {
    let (dir, _, _, _) = old_store_dir(1, sql);
    let log_path = dir.path().join("stderr-start.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let started = Instant::now();
    let mut child = support::kiosk_command(dir.path(), &[], log)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let last = "store migrated version=2";
    while !std::fs::read_to_string(&log_path)
        .unwrap_or_default()
        .contains(last)
    {
        assert!(started.elapsed() < WAIT, "no migration logged");
        std::thread::sleep(Duration::from_micros(500));
    }
    let took = started.elapsed();
    kill_9(child.id());
    let _ = child.wait();
    took
}

/// Runs a system command; its standard error when it fails.
fn sh(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!(
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// An ext4 file system on a loop device, mounted where the kiosk keeps
/// its store. [`PowerDisk::cut`] is a power cut: the file system is shut
/// down without flushing its journal or any dirty page (`xfs_io -x -c
/// shutdown`, the `EXT4_IOC_SHUTDOWN` ioctl with `NOLOGFLUSH`, as
/// xfstests simulate power loss), so only what reached the disk — what
/// was fsynced — is there after [`PowerDisk::remount`] replays the
/// journal. Writes after the cut fail, as on a dead machine.
struct PowerDisk {
    device: String,
    mount: std::path::PathBuf,
}

impl PowerDisk {
    fn create(image: &Path, mount: &Path) -> Result<PowerDisk, String> {
        sh("truncate", &["-s", "128M", &image.to_string_lossy()])?;
        let device = sh("losetup", &["-f", "--show", &image.to_string_lossy()])?;
        let disk = PowerDisk {
            device,
            mount: mount.to_path_buf(),
        };
        sh("mkfs.ext4", &["-q", "-F", &disk.device])?;
        std::fs::create_dir_all(mount).map_err(|e| e.to_string())?;
        disk.mount()?;
        Ok(disk)
    }

    fn mount(&self) -> Result<(), String> {
        sh("mount", &[&self.device, &self.mount.to_string_lossy()]).map(drop)
    }

    fn cut(&self) {
        sh(
            "xfs_io",
            &["-x", "-c", "shutdown", &self.mount.to_string_lossy()],
        )
        .unwrap();
    }

    /// After a cut (and the kiosk's death): unmount, mount again.
    fn remount(&self) {
        sh("umount", &[&self.mount.to_string_lossy()]).unwrap();
        self.mount().unwrap();
    }
}

impl Drop for PowerDisk {
    fn drop(&mut self) {
        // Lazily: a kiosk of a failed test may still hold files open.
        let _ = sh("umount", &["-l", &self.mount.to_string_lossy()]);
        let _ = sh("losetup", &["-d", &self.device]);
    }
}

/// Power cuts, harsher than kill -9: the store on its own ext4 file system
/// that is shut down without flushing (see [`PowerDisk`]), `CRASH_POWER_CUTS`
/// (default 6) times, at random points of filings and prints, and at the
/// first start (the store key being written). After each: the store is
/// intact, every filing the kiosk confirmed to the citizen survived, every
/// record seen after an earlier cut is still there, the kiosk starts to
/// its home screen; at the end the outbox drains (the key still opens
/// every sealed record) and the centre holds each record once.
///
/// Needs root (loop devices, mount) and `xfs_io` (xfsprogs; `.ci/run`
/// installs it). Elsewhere it says so and does nothing.
#[test]
fn power_cuts_lose_nothing_the_kiosk_confirmed() {
    let root = sh("id", &["-u"]).is_ok_and(|id| id == "0");
    if !root || !Path::new("/dev/loop-control").exists() {
        println!(
            "power cuts: not run (needs root and loop devices for an ext4 file system to shut down)"
        );
        return;
    }
    let cuts = env_number("CRASH_POWER_CUTS", 6) as usize;
    let seed = env_number("CRASH_SEED", 20_261_207);
    let rng = SeededRandom::new(seed ^ 0x706f_7765);
    let work = tempfile::tempdir().unwrap();
    let rig = Rig::new(work.path());
    let dir = tempfile::tempdir().unwrap();
    let disk = PowerDisk::create(&work.path().join("disk.img"), &dir.path().join("data"))
        .expect("an ext4 file system on a loop device");
    let config = format!("{}\n[simulation]\nenabled = true\n", rig.config);
    std::fs::write(dir.path().join("kiosk.toml"), &config).unwrap();

    // The first start is cut short: the store and its key are being made.
    let ms = rng.next_u64() % 700;
    let log = std::fs::File::create(dir.path().join("stderr-start.log")).unwrap();
    let mut child = support::kiosk_command(dir.path(), &[], log)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(ms));
    disk.cut();
    kill_9(child.id());
    let _ = child.wait();
    disk.remount();
    if store_of(dir.path()).exists() {
        inspect(dir.path());
    }

    let mut dir = dir;
    let mut durable: BTreeSet<String> = BTreeSet::new();
    let mut ever: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut confirmed_total = 0;
    let mut lost = Vec::new();
    let mut offered = 0;
    for round in 0..cuts {
        let kiosk = Kiosk::start_in(dir, &config);
        let first = kiosk.wait_until("home or the print offer", |s| {
            s["screen"] == "home" || s["screen"] == "recover-prints"
        });
        if first["screen"] == "recover-prints" {
            // A job whose done mark the cut took: offered, never lost.
            offered += 1;
            let before = rig.printer.receipt_count();
            kiosk.tap("重新打印");
            assert!(rig.printer.wait_for_receipts(before + 1, WAIT + WAIT));
        }
        kiosk.wait_for_screen("home");
        // Mostly just after a filing is confirmed (steps 3–5: its outbox
        // commit must be on disk by then), else anywhere.
        let kill = KillPoint::Step {
            step: if rng.next_u64().is_multiple_of(4) {
                1 + (rng.next_u64() % 6) as usize
            } else {
                3 + (rng.next_u64() % 3) as usize
            },
            ms: rng.next_u64() % 600,
        };
        let journey = if rng.next_u64().is_multiple_of(3) {
            Journey::Slip
        } else {
            Journey::Filing
        };
        let context = format!("seed {seed} power cut {round}: {journey:?}, {kill:?}");
        eprintln!("power cuts: {context}");
        let mut run = Run {
            kiosk: &kiosk,
            printer: &rig.printer,
            kill,
            step: 0,
            killed: false,
            printed_seen: 0,
            filings_confirmed: 0,
            power: Some(&disk),
            paper_mark: 0,
        };
        let _ = match journey {
            Journey::Slip => run.slip(),
            _ => run.filing(
                if round % 2 == 0 {
                    li_xiulan_card()
                } else {
                    ouyang_card()
                },
                filing_category(&rng),
            ),
        };
        if !run.killed {
            run.fire();
        }
        confirmed_total += run.filings_confirmed;
        dir = kiosk.stop();
        disk.remount();
        let snapshot = inspect(dir.path());
        for msgid in &durable {
            if !snapshot.outbox.contains_key(msgid) {
                lost.push(format!("{context}: {msgid} was on disk, now gone"));
            }
        }
        durable = snapshot.outbox.keys().cloned().collect();
        for (msgid, v) in snapshot.outbox {
            ever.insert(msgid, v);
        }
        let filings = ever.values().filter(|(k, _)| k == "filing_submit").count();
        if filings < confirmed_total {
            lost.push(format!(
                "{context}: {confirmed_total} filings confirmed, {filings} survived"
            ));
        }
    }

    // The last start: the outbox drains; the centre holds each record once.
    let kiosk = Kiosk::start_in(dir, &config);
    kiosk.wait_until("home or the print offer", |s| {
        s["screen"] == "home" || s["screen"] == "recover-prints"
    });
    if kiosk.screen()["screen"] == "recover-prints" {
        offered += 1;
        kiosk.tap("重新打印");
    }
    kiosk.wait_for_screen("home");
    let drained = kiosk.drain_outbox(60);
    assert!(drained, "the outbox did not drain after the power cuts");
    let arrived = arrived(rig.central());
    for msgid in &durable {
        if !arrived.contains(msgid) {
            lost.push(format!("{msgid} never reached the centre"));
        }
    }
    let doubled: i64 = rig
        .central()
        .query_db(|db| {
            db.query_row(
                "SELECT COUNT(*) FROM (SELECT msgid FROM filing WHERE msgid IS NOT NULL \
                 GROUP BY msgid HAVING COUNT(*) > 1)",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
    println!(
        "power cuts (seed {seed}): {} cuts (one at the first start), {confirmed_total} filings confirmed, \
         {} outbox records kept, lost {}, doubled {doubled}, print jobs offered again {offered}",
        cuts + 1,
        durable.len(),
        lost.len()
    );
    let dir = kiosk.stop();
    drop(disk);
    drop(dir);
    assert!(lost.is_empty(), "lost: {lost:#?}");
    assert_eq!(doubled, 0);
}
