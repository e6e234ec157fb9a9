//! The social security card driver (`kiosk_drivers::sscard`) against the
//! independently written CCID simulator, and the scanner driver against the
//! scanner simulator on a real pseudo-terminal.

#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use kiosk_core::identity::Sex;
use kiosk_drivers::Error;
use kiosk_drivers::error::Device;
use kiosk_drivers::scanner::{self, Rejection, ScanOutcome, Scanner, TokenRule};
use kiosk_drivers::sscard::{BulkPipe, SsCardReader};
use kiosk_sim::scanner::{ScanFaults, ScannerSim, Terminator};
use kiosk_sim::sscard::{SimCcidReader, SsCardImage, SsCardSlot, SsSimFaults};

/// The adapter: the driver's pipe trait over the simulated reader.
struct Pipe {
    sim: SimCcidReader,
    pending: VecDeque<Vec<u8>>,
}

impl BulkPipe for Pipe {
    fn write_bulk(&mut self, data: &[u8], _: Duration) -> Result<(), Error> {
        if self.sim.is_unplugged() {
            return Err(Error::Disconnected {
                device: Device::SsCardReader,
                source: std::io::ErrorKind::BrokenPipe.into(),
            });
        }
        self.pending.extend(self.sim.handle_bulk_out(data));
        Ok(())
    }
    fn read_bulk(&mut self, buf: &mut [u8], _: Duration) -> Result<usize, Error> {
        let m = self.pending.pop_front().ok_or(Error::Timeout {
            device: Device::SsCardReader,
        })?;
        let n = m.len().min(buf.len());
        buf[..n].copy_from_slice(&m[..n]);
        Ok(n)
    }
    fn read_interrupt(&mut self, buf: &mut [u8], _: Duration) -> Result<usize, Error> {
        Ok(match self.sim.poll_interrupt() {
            Some(m) => {
                buf[..m.len()].copy_from_slice(&m);
                m.len()
            }
            None => 0,
        })
    }
}

fn reader(slot: &SsCardSlot) -> (SimCcidReader, SsCardReader<Pipe>) {
    let sim = SimCcidReader::new(slot.clone());
    let pipe = Pipe {
        sim: sim.clone(),
        pending: VecDeque::new(),
    };
    (sim, SsCardReader::new(pipe, Duration::from_secs(1)))
}

#[test]
fn demo_card_reads_through_ccid() {
    let slot = SsCardSlot::new();
    let (_, mut r) = reader(&slot);
    assert!(r.read_card().unwrap().is_none());
    assert_eq!(r.wait_slot_change(Duration::ZERO).unwrap(), Some(false));
    slot.insert(SsCardImage::demo());
    assert_eq!(r.wait_slot_change(Duration::ZERO).unwrap(), Some(true));
    let record = r.read_card().unwrap().unwrap();
    assert_eq!(record.card_number, "220100001");
    assert_eq!(record.card_sn, "220100D156000005");
    assert_eq!(record.ss_number, "220102196205141234");
    assert_eq!(record.name, "王建国");
    assert_eq!(record.sex, Some(Sex::Male));
    assert_eq!(record.birthplace.as_deref(), Some("220102"));
    assert_eq!(
        record.atr,
        hex::encode_upper(kiosk_sim::sscard::DEFAULT_ATR)
    );
    // Powered off after the read.
    assert!(r.card_present().unwrap());
}

#[test]
fn byte_level_image_and_psam_fields() {
    let slot = SsCardSlot::new();
    let (_, mut r) = reader(&slot);
    let mut card = SsCardImage::demo();
    card.psam_protected = vec![0x0D];
    slot.insert(card);
    let record = r.read_card().unwrap().unwrap();
    assert_eq!(record.needs_psam, ["birth_date"]);
    let mut card = SsCardImage::demo();
    card.psam_protected = vec![0x08];
    slot.insert(card);
    let err = r.read_card().unwrap_err();
    assert!(matches!(err, Error::SsCardNeedsPsam { field: "ss_number" }));
    // A bank card: no social security application.
    let mut card = SsCardImage::demo();
    card.has_application = false;
    slot.insert(card);
    assert!(matches!(r.read_card(), Err(Error::SsCardNotSocialSecurity)));
    // A record given byte for byte with a broken TLV length.
    let mut card = SsCardImage::demo();
    card.ef05.insert(0x07, vec![0x07, 0x20, b'1']);
    slot.insert(card);
    assert!(matches!(r.read_card(), Err(Error::SsCardBadField { .. })));
}

#[test]
fn every_fault_is_a_typed_error_and_the_next_read_works() {
    let slot = SsCardSlot::new();
    slot.insert(SsCardImage::demo());
    let (sim, mut r) = reader(&slot);
    type Check = fn(&Error) -> bool;
    let cases: Vec<(SsSimFaults, Check)> = vec![
        (
            SsSimFaults {
                wrong_seq: true,
                only_message: Some(0x6F),
                ..SsSimFaults::default()
            },
            |e| matches!(e, Error::CcidSequence { .. }),
        ),
        (
            SsSimFaults {
                short_header: true,
                only_message: Some(0x6F),
                ..SsSimFaults::default()
            },
            |e| matches!(e, Error::CcidProtocol { .. }),
        ),
        (
            SsSimFaults {
                no_reply: true,
                only_message: Some(0x62),
                ..SsSimFaults::default()
            },
            |e| matches!(e, Error::Timeout { .. }),
        ),
        (
            SsSimFaults {
                time_extensions: 100,
                only_message: Some(0x6F),
                ..SsSimFaults::default()
            },
            |e| matches!(e, Error::CcidTimeExtensionLimit { .. }),
        ),
    ];
    for (fault, expected) in cases {
        sim.fault_next_reply(fault.clone());
        let err = r.read_card().unwrap_err();
        assert!(expected(&err), "{fault:?} gave {err}");
        assert!(!err.user_message().is_empty());
        // A stale message may be left behind; the next read starts clean.
        r.ccid().pipe_mut().pending.clear();
        assert_eq!(r.read_card().unwrap().unwrap().card_number, "220100001");
    }
    // A few time extensions are simply waited for.
    sim.fault_next_reply(SsSimFaults {
        time_extensions: 5,
        only_message: Some(0x6F),
        ..SsSimFaults::default()
    });
    assert!(r.read_card().unwrap().is_some());
    // Card pulled in the middle of the read.
    sim.fault_next_reply(SsSimFaults {
        pull_card_after_apdus: Some(4),
        only_message: Some(0x6F),
        ..SsSimFaults::default()
    });
    assert!(matches!(r.read_card(), Err(Error::SsCardAbsent)));
    assert!(!slot.is_present());
    assert!(r.read_card().unwrap().is_none());
    // Unplugged reader: a link error; re-plugged: works again.
    slot.insert(SsCardImage::demo());
    sim.set_unplugged(true);
    assert!(matches!(
        r.read_card(),
        Err(Error::Disconnected {
            device: Device::SsCardReader,
            ..
        })
    ));
    sim.set_unplugged(false);
    assert!(r.read_card().unwrap().is_some());
}

#[test]
fn scanner_driver_on_the_simulated_pty() {
    let sim = ScannerSim::spawn(None).unwrap();
    let port = scanner::open_serial(&sim.path().display().to_string(), 9600).unwrap();
    let mut s = Scanner::new(port, TokenRule::default(), Duration::from_secs(2));
    let token = "ECV1-7Q2M4K9T3W8R5Y1B6N0P2D4F";
    let collect = |s: &mut Scanner<_>, n: usize, now: Instant| {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut out = Vec::new();
        while out.len() < n {
            assert!(Instant::now() < deadline, "got {out:?}");
            out.extend(s.poll(now).unwrap());
        }
        out
    };
    let t = Instant::now();
    sim.scan_with(
        token,
        &ScanFaults {
            terminator: Terminator::CrLf,
            repeats: 2,
            ..ScanFaults::default()
        },
    )
    .unwrap();
    sim.scan("https://example.com/").unwrap();
    assert_eq!(
        collect(&mut s, 2, t),
        vec![
            ScanOutcome::Voucher(token.into()),
            ScanOutcome::Rejected(Rejection::Url)
        ]
    );
    sim.scan("6901234567892").unwrap();
    assert_eq!(
        collect(&mut s, 1, t),
        vec![ScanOutcome::Rejected(Rejection::ProductBarcode)]
    );
}

#[test]
fn unplugged_scanner_is_a_typed_disconnection_and_replug_is_picked_up_at_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("scanner");
    let link_str = link.to_str().unwrap();
    let sim = ScannerSim::spawn(Some(&link)).unwrap();
    let port = scanner::open_serial(link_str, 9600).unwrap();
    let mut s = Scanner::new(port, TokenRule::default(), Duration::from_secs(2));
    assert!(s.poll(Instant::now()).unwrap().is_empty());

    sim.unplug();
    let lost = s.poll(Instant::now()).unwrap_err();
    assert!(
        matches!(
            lost,
            Error::Disconnected {
                device: Device::Scanner,
                ..
            }
        ),
        "{lost:?}"
    );
    assert!(lost.is_link_lost());
    assert!(matches!(
        scanner::open_serial(link_str, 9600),
        Err(Error::SerialOpen { .. })
    ));

    sim.replug().unwrap();
    let port = scanner::open_serial(link_str, 9600).unwrap();
    let mut s = Scanner::new(port, TokenRule::default(), Duration::from_secs(2));
    let token = "ECV1-7Q2M4K9T3W8R5Y1B6N0P2D4F";
    sim.scan(token).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut out = Vec::new();
    while out.is_empty() {
        assert!(Instant::now() < deadline, "no scan after replug");
        out.extend(s.poll(Instant::now()).unwrap());
    }
    assert_eq!(out, vec![ScanOutcome::Voucher(token.into())]);
}
