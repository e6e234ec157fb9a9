//! The print journal against the printer simulator: paper out, cover open,
//! cutter jam, a dropped link and a restart. A job interrupted by any of
//! them stays pending and is printed again whole when the printer is
//! ready; after a restart nothing is printed without confirmation.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use kiosk_core::print_job::{
    DocumentKind, FailCause, JobEvent, JobState, MemoryJournal, PrintJournal,
};
use kiosk_core::region::CertificateLayout;
use kiosk_drivers::Error;
use kiosk_drivers::printer::link::Transport;
use kiosk_drivers::printer::spool::{print_job, retry_when_ready};
use kiosk_drivers::printer::{Job, Paper, PrinterLink, PrinterProfile, layout};
use kiosk_sim::printer::{
    PaperWidth, PrinterFaults, PrinterSim, PrinterSimConfig, PrinterSimHandle,
};

const TIMEOUT: Duration = Duration::from_secs(5);
/// The certificate's last printed line: a receipt with it is complete.
const LAST_LINE: &str = "吉林省社会医疗保险管理局";

fn now() -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
        .and_then(|d| d.and_hms_opt(9, 30, 0))
        .expect("time")
}

fn sim() -> Arc<PrinterSimHandle> {
    Arc::new(
        PrinterSim::start(PrinterSimConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            out_dir: None,
            paper: PaperWidth::Mm58,
        })
        .expect("simulator"),
    )
}

fn certificate_job() -> Job {
    layout::certificate(
        &common::certificate(CertificateLayout::Transfer),
        &PrinterProfile::new(Paper::Mm58),
    )
}

fn link(sim: &PrinterSimHandle) -> PrinterLink {
    PrinterLink::open(&format!("tcp://{}", sim.local_addr()), TIMEOUT).expect("link")
}

/// A TCP transport that injects `faults` into the simulator once `after`
/// bytes of the job have been written: a fault in the middle of a job.
struct FaultAfter {
    stream: TcpStream,
    written: usize,
    after: usize,
    faults: Option<PrinterFaults>,
    sim: Arc<PrinterSimHandle>,
}

impl Transport for FaultAfter {
    fn write_all(&mut self, data: &[u8]) -> Result<(), Error> {
        self.stream.write_all(data)?;
        self.written += data.len();
        if self.written >= self.after
            && let Some(f) = self.faults.take()
        {
            self.sim.set_faults(f);
        }
        Ok(())
    }

    fn read_some(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error> {
        self.stream
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
        match self.stream.read(buf) {
            Ok(0) => Err(Error::PrinterLinkLost),
            Ok(n) => Ok(n),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    fn kind(&self) -> &'static str {
        "fault-injecting tcp"
    }
}

fn faulty_link(sim: &Arc<PrinterSimHandle>, after: usize, faults: PrinterFaults) -> PrinterLink {
    let stream = TcpStream::connect(sim.local_addr()).expect("connect");
    PrinterLink::from_transport(
        Box::new(FaultAfter {
            stream,
            written: 0,
            after,
            faults: Some(faults),
            sim: Arc::clone(sim),
        }),
        TIMEOUT,
    )
}

fn complete_receipts(sim: &PrinterSimHandle) -> usize {
    sim.receipts()
        .iter()
        .filter(|r| r.text.contains(LAST_LINE) && r.text.contains("注意事项"))
        .count()
}

/// Interrupted mid-job by `fault`: pending with `cause`, nothing complete
/// on paper; after the fault clears, printed again whole, exactly once.
fn interrupted_mid_job(fault: PrinterFaults, cause: FailCause) {
    let sim = sim();
    let mut journal = PrintJournal::new(MemoryJournal::new());
    let job = certificate_job();
    let id = journal
        .enqueue(DocumentKind::CertificateTransfer, job.bytes.clone(), now())
        .expect("enqueue");
    let mut link = faulty_link(&sim, 400, fault);
    let after = print_job(&mut journal, id, &mut link, now).expect("journal");
    assert_eq!(after.state, JobState::Pending { cause });
    drop(link);
    assert_eq!(complete_receipts(&sim), 0, "nothing complete came out");
    assert!(
        sim.discarded_bytes() > 0 || sim.receipts().iter().all(|r| !r.text.contains(LAST_LINE))
    );

    // Still faulty: stays pending, nothing sent.
    let mut link2 = self::link(&sim);
    let still = retry_when_ready(&mut journal, id, &mut link2, now).expect("journal");
    assert_eq!(still.state, JobState::Pending { cause });

    // Fixed: printed again, whole.
    sim.set_faults(PrinterFaults::default());
    let done = retry_when_ready(&mut journal, id, &mut link2, now).expect("journal");
    assert_eq!(done.state, JobState::Done);
    assert_eq!(done.attempts, 2);
    drop(link2);
    let receipts_before = sim.receipts().len();
    assert!(sim.wait_for_receipts(receipts_before.max(1), TIMEOUT));
    assert_eq!(complete_receipts(&sim), 1, "printed once, whole");
}

#[test]
fn paper_out_mid_job_keeps_the_job_pending_and_reprints_it_whole() {
    interrupted_mid_job(
        PrinterFaults {
            paper_out: true,
            ..Default::default()
        },
        FailCause::PaperOut,
    );
}

#[test]
fn cover_open_mid_job_keeps_the_job_pending_and_reprints_it_whole() {
    interrupted_mid_job(
        PrinterFaults {
            cover_open: true,
            ..Default::default()
        },
        FailCause::CoverOpen,
    );
}

#[test]
fn cutter_error_mid_job_keeps_the_job_pending() {
    interrupted_mid_job(
        PrinterFaults {
            cutter_error: true,
            ..Default::default()
        },
        FailCause::CutterError,
    );
}

#[test]
fn paper_out_before_the_job_sends_nothing() {
    let sim = sim();
    sim.set_faults(PrinterFaults {
        paper_out: true,
        ..Default::default()
    });
    let mut journal = PrintJournal::new(MemoryJournal::new());
    let id = journal
        .enqueue(
            DocumentKind::CertificateTransfer,
            certificate_job().bytes,
            now(),
        )
        .expect("enqueue");
    let mut link = link(&sim);
    let after = print_job(&mut journal, id, &mut link, now).expect("journal");
    assert_eq!(
        after.state,
        JobState::Pending {
            cause: FailCause::PaperOut
        }
    );
    assert_eq!(sim.discarded_bytes(), 0, "not one byte of the job was sent");
}

#[test]
fn link_dropped_mid_job_keeps_the_job_pending_and_reprints_it_whole() {
    let sim = sim();
    let mut journal = PrintJournal::new(MemoryJournal::new());
    let id = journal
        .enqueue(
            DocumentKind::CertificateTransfer,
            certificate_job().bytes,
            now(),
        )
        .expect("enqueue");
    sim.set_faults(PrinterFaults {
        drop_link_after_bytes: Some(700),
        ..Default::default()
    });
    let mut link = link(&sim);
    let after = print_job(&mut journal, id, &mut link, now).expect("journal");
    assert_eq!(
        after.state,
        JobState::Pending {
            cause: FailCause::LinkLost
        }
    );
    drop(link);
    // The torn-off part came out without the end.
    assert!(sim.wait_for_receipts(1, TIMEOUT));
    assert_eq!(complete_receipts(&sim), 0);

    sim.set_faults(PrinterFaults::default());
    let mut link = self::link(&sim);
    let done = retry_when_ready(&mut journal, id, &mut link, now).expect("journal");
    assert_eq!(done.state, JobState::Done);
    drop(link);
    assert!(sim.wait_for_receipts(2, TIMEOUT));
    assert_eq!(complete_receipts(&sim), 1);
}

#[test]
fn after_a_restart_nothing_prints_without_confirmation() {
    let sim = sim();
    let mut store = MemoryJournal::new();
    {
        // The kiosk was killed while sending: the job stays `Sending`.
        let mut journal = PrintJournal::new(&mut store);
        let id = journal
            .enqueue(
                DocumentKind::CertificateTransfer,
                certificate_job().bytes,
                now(),
            )
            .expect("enqueue");
        journal.apply(id, JobEvent::Start, now()).expect("start");
    }
    let mut journal = PrintJournal::new(&mut store);
    let offered = journal.recover(now()).expect("recover");
    assert_eq!(offered.len(), 1);
    let id = offered[0].id;
    assert_eq!(offered[0].state, JobState::AwaitingConfirmation);

    // Trying to print it without asking is refused, and nothing is sent.
    let mut link = link(&sim);
    assert!(print_job(&mut journal, id, &mut link, now).is_err());
    assert!(retry_when_ready(&mut journal, id, &mut link, now).is_ok());
    assert_eq!(
        journal.job(id).expect("job").state,
        JobState::AwaitingConfirmation
    );

    // Confirmed: printed once, whole.
    journal.confirm(id, now()).expect("confirm");
    let done = print_job(&mut journal, id, &mut link, now).expect("journal");
    assert_eq!(done.state, JobState::Done);
    drop(link);
    assert!(sim.wait_for_receipts(1, TIMEOUT));
    assert_eq!(sim.receipts().len(), 1);
    assert_eq!(complete_receipts(&sim), 1);
    // A second restart offers nothing.
    assert!(journal.recover(now()).expect("recover").is_empty());
}

#[test]
fn serial_link_prints_with_status_checks() {
    let sim = PrinterSim::start_pty(PaperWidth::Mm58, None).expect("pty simulator");
    let path = sim.pty_path().expect("pty").display().to_string();
    let uri = format!("serial://{path}?baud=115200");
    let mut journal = PrintJournal::new(MemoryJournal::new());
    let id = journal
        .enqueue(
            DocumentKind::CertificateTransfer,
            certificate_job().bytes,
            now(),
        )
        .expect("enqueue");
    // Cover open: pending, nothing printed.
    sim.set_faults(PrinterFaults {
        cover_open: true,
        ..Default::default()
    });
    let mut link = PrinterLink::open(&uri, TIMEOUT).expect("serial link");
    let after = print_job(&mut journal, id, &mut link, now).expect("journal");
    assert_eq!(
        after.state,
        JobState::Pending {
            cause: FailCause::CoverOpen
        }
    );
    sim.set_faults(PrinterFaults::default());
    let done = retry_when_ready(&mut journal, id, &mut link, now).expect("journal");
    assert_eq!(done.state, JobState::Done);
    // The cut ended the receipt before the final status reply came back.
    assert_eq!(sim.receipts().len(), 1);
    assert_eq!(complete_receipts(&sim), 1);
}

/// The simulator's own mid-job switches (what the kiosk's end-to-end
/// fault tests use, tests/faults.rs): the cover opening after some bytes
/// of a connection, the blade jamming on the cut.
#[test]
fn the_simulators_cover_opening_and_cutter_jam_mid_job_keep_the_job_pending() {
    for (faults, cause) in [
        (
            PrinterFaults {
                cover_open_after_bytes: Some(400),
                ..Default::default()
            },
            FailCause::CoverOpen,
        ),
        (
            PrinterFaults {
                cutter_jam_at_next_cut: true,
                ..Default::default()
            },
            FailCause::CutterError,
        ),
    ] {
        let sim = sim();
        sim.set_faults(faults);
        let mut journal = PrintJournal::new(MemoryJournal::new());
        let id = journal
            .enqueue(
                DocumentKind::CertificateTransfer,
                certificate_job().bytes,
                now(),
            )
            .expect("enqueue");
        let mut link = link(&sim);
        let after = print_job(&mut journal, id, &mut link, now).expect("journal");
        assert_eq!(after.state, JobState::Pending { cause }, "{cause:?}");
        drop(link);
        // The fault stays until it is cleared: a retry waits.
        let mut link = self::link(&sim);
        let still = retry_when_ready(&mut journal, id, &mut link, now).expect("journal");
        assert_eq!(still.state, JobState::Pending { cause });
        assert!(sim.faults().offline(), "{:?}", sim.faults());
        // Nothing cut and complete came out.
        assert!(sim.receipts().iter().all(|r| !r.cut), "{cause:?}");
        sim.set_faults(PrinterFaults::default());
        let done = retry_when_ready(&mut journal, id, &mut link, now).expect("journal");
        assert_eq!(done.state, JobState::Done);
        drop(link);
        let cut = || sim.receipts().iter().filter(|r| r.cut).count();
        assert!(sim.wait_for_receipts(1, TIMEOUT));
        let deadline = std::time::Instant::now() + TIMEOUT;
        while cut() < 1 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(cut(), 1, "reprinted whole once: {cause:?}");
        let whole_and_cut = sim
            .receipts()
            .iter()
            .filter(|r| r.cut && r.text.contains(LAST_LINE) && r.text.contains("注意事项"))
            .count();
        assert_eq!(whole_and_cut, 1, "{cause:?}");
    }
}
