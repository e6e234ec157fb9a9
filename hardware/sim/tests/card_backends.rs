//! The social security card driver (`kiosk_drivers::sscard`), one
//! conformance suite run against both card backends:
//! - **CCID**: our own CCID driver against the independently written CCID
//!   simulator (PSAM in the reader's slot 1);
//! - **PC/SC**: the `pcsc` backend against a real `pcscd` started by the
//!   test, with vsmartcard's `vpcd` reader driver; the card and the PSAM
//!   are virtual cards of `kiosk-sim` connected to vpcd's two readers.
//!
//! The PC/SC half needs `pcscd` and `vsmartcard-vpcd` (Debian packages;
//! `.ci/run` and the README's set-up install them). pcsc-lite 1.9 has one
//! fixed socket (`/run/pcscd/pcscd.comm`): with no pcscd running, each
//! PC/SC test starts its own, waits until its two readers are listed, and
//! stops it; where the machine runs one (socket activation), the tests
//! use it and the vpcd readers the package configured.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/pcscd.rs"]
mod pcscd;
#[path = "common/pipe.rs"]
mod pipe;

use std::collections::VecDeque;
use std::sync::MutexGuard;
use std::time::{Duration, Instant};

use kiosk_core::identity::Sex;
use kiosk_drivers::Error;
use kiosk_drivers::error::Device;
use kiosk_drivers::sscard::pcsc::{PcscSlot, ReaderPattern};
use kiosk_drivers::sscard::psam::PsamScheme;
use kiosk_drivers::sscard::{
    ApduPsam, CardSlot, CcidReader, SharedPipe, SsCardReader, SsCardRecord,
};
use kiosk_sim::sscard::{
    MasterKeys, SimCcidReader, SsCardImage, SsCardSlot, SsSimFaults, VirtualCard, VirtualPsam,
};
use pcscd::Pcscd;
use pipe::Pipe;

const TIMEOUT: Duration = Duration::from_secs(2);
/// How long a PC/SC card may take to appear after insertion.
const APPEAR: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Ccid,
    Pcsc,
}

/// One reader on one backend, with the handles to play the citizen.
struct Rig {
    backend: Backend,
    slot: SsCardSlot,
    reader: SsCardReader<Box<dyn CardSlot + Send>>,
    sim: Option<SimCcidReader>,
    card: Option<VirtualCard>,
    _psam: Option<VirtualPsam>,
    // Dropped last: the virtual cards disconnect first.
    _pcscd: Option<(Pcscd, MutexGuard<'static, ()>)>,
}

impl Rig {
    /// A reader on `backend`; with `psam`, a PSAM holding those keys is
    /// in the reader and configured.
    fn new(backend: Backend, psam: Option<MasterKeys>) -> Rig {
        let slot = SsCardSlot::new();
        match backend {
            Backend::Ccid => {
                let sim = match &psam {
                    Some(keys) => SimCcidReader::with_psam(slot.clone(), keys.clone()),
                    None => SimCcidReader::new(slot.clone()),
                };
                let pipe = SharedPipe::new(Pipe {
                    sim: sim.clone(),
                    pending: VecDeque::new(),
                });
                let card: Box<dyn CardSlot + Send> =
                    Box::new(CcidReader::new(pipe.clone(), TIMEOUT));
                let mut reader = SsCardReader::new(card);
                if psam.is_some() {
                    let psam_slot = CcidReader::new(pipe, TIMEOUT).with_slot(1);
                    reader =
                        reader.with_psam(Box::new(ApduPsam::new(psam_slot, PsamScheme::default())));
                }
                Rig {
                    backend,
                    slot,
                    reader,
                    sim: Some(sim),
                    card: None,
                    _psam: None,
                    _pcscd: None,
                }
            }
            Backend::Pcsc => {
                let (pcscd, turn) = Pcscd::start();
                let card = VirtualCard::spawn(pcscd.card_port, slot.clone()).unwrap();
                let vpsam = psam
                    .as_ref()
                    .map(|keys| VirtualPsam::spawn(pcscd.psam_port, keys.clone()).unwrap());
                let slot_card: Box<dyn CardSlot + Send> =
                    Box::new(PcscSlot::open(&ReaderPattern::new("Virtual PCD 00 00")).unwrap());
                let mut reader = SsCardReader::new(slot_card);
                if psam.is_some() {
                    let psam_slot =
                        PcscSlot::open(&ReaderPattern::new("Virtual PCD 00 01")).unwrap();
                    reader =
                        reader.with_psam(Box::new(ApduPsam::new(psam_slot, PsamScheme::default())));
                }
                Rig {
                    backend,
                    slot,
                    reader,
                    sim: None,
                    card: Some(card),
                    _psam: vpsam,
                    _pcscd: Some((pcscd, turn)),
                }
            }
        }
    }

    /// Inserts `card` and waits (by the reader's notification) until the
    /// reader sees it.
    fn insert(&mut self, card: SsCardImage) {
        if self.slot.is_present() {
            self.remove();
        }
        self.slot.insert(card);
        self.wait_for(true);
    }

    fn remove(&mut self) {
        self.slot.remove();
        self.wait_for(false);
    }

    fn wait_for(&mut self, present: bool) {
        let deadline = Instant::now() + APPEAR;
        while self.reader.card_present().unwrap() != present {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{:?}: card present={present} not seen; pcscd log:\n{}",
                self.backend,
                self._pcscd.as_ref().map(|p| p.0.log()).unwrap_or_default()
            );
            let _ = self.reader.wait_slot_change(left).unwrap();
        }
    }

    /// The citizen pulls the card after `n` more APDUs.
    fn pull_after(&self, n: u32) {
        match (&self.sim, &self.card) {
            (Some(sim), _) => sim.fault_next_reply(SsSimFaults {
                pull_card_after_apdus: Some(n),
                only_message: Some(0x6F),
                ..SsSimFaults::default()
            }),
            (None, Some(card)) => card.pull_after_apdus(n),
            (None, None) => unreachable!(),
        }
    }

    fn read(&mut self) -> Result<Option<SsCardRecord>, Error> {
        self.reader.read_card()
    }
}

fn demo_fields(record: &SsCardRecord) {
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
}

fn demo_card_reads(backend: Backend) {
    let mut r = Rig::new(backend, None);
    assert!(r.read().unwrap().is_none());
    // Insert and removal are seen through the reader's notification.
    r.slot.insert(SsCardImage::demo());
    let deadline = Instant::now() + APPEAR;
    let mut seen = None;
    while seen != Some(true) && Instant::now() < deadline {
        seen = r.reader.wait_slot_change(APPEAR).unwrap();
    }
    assert_eq!(seen, Some(true), "{backend:?}: insertion not notified");
    demo_fields(&r.read().unwrap().unwrap());
    // Powered off after the read, still there; read again.
    assert!(r.reader.card_present().unwrap());
    demo_fields(&r.read().unwrap().unwrap());
    r.remove();
    assert!(r.read().unwrap().is_none());
    // Notifications already queued (the removal) are taken first.
    for _ in 0..4 {
        if r.reader.wait_slot_change(Duration::ZERO).unwrap().is_none() {
            break;
        }
    }
    // A wait with nothing happening ends at its timeout.
    let started = Instant::now();
    assert_eq!(
        r.reader
            .wait_slot_change(Duration::from_millis(200))
            .unwrap(),
        None
    );
    assert!(started.elapsed() >= Duration::from_millis(150));
}

fn byte_level_images(backend: Backend) {
    let mut r = Rig::new(backend, None);
    let mut card = SsCardImage::demo();
    card.psam_protected = vec![0x0D];
    r.insert(card);
    let record = r.read().unwrap().unwrap();
    assert_eq!(record.needs_psam, ["birth_date"]);
    assert_eq!(record.birth_date, None);
    let mut card = SsCardImage::demo();
    card.psam_protected = vec![0x08];
    r.insert(card);
    let err = r.read().unwrap_err();
    assert!(matches!(err, Error::SsCardNeedsPsam { field: "ss_number" }));
    assert!(err.user_message().contains("安全模块"));
    // A bank card: no social security application.
    let mut card = SsCardImage::demo();
    card.has_application = false;
    r.insert(card);
    assert!(matches!(r.read(), Err(Error::SsCardNotSocialSecurity)));
    // A record given byte for byte with a broken TLV length (and so a
    // wrong Le: the card answers 6C xx first).
    let mut card = SsCardImage::demo();
    card.ef05.insert(0x07, vec![0x07, 0x20, b'1']);
    r.insert(card);
    assert!(matches!(r.read(), Err(Error::SsCardBadField { .. })));
}

fn card_pulled_mid_read(backend: Backend) {
    let mut r = Rig::new(backend, None);
    r.insert(SsCardImage::demo());
    r.pull_after(4);
    let err = r.read().unwrap_err();
    assert!(matches!(err, Error::SsCardAbsent), "{backend:?}: {err}");
    assert!(err.user_message().contains("读取完成前不要拔出"));
    r.wait_for(false);
    assert!(r.read().unwrap().is_none());
    r.insert(SsCardImage::demo());
    demo_fields(&r.read().unwrap().unwrap());
}

fn psam_authentication(backend: Backend) {
    // The right PSAM: protected records are read after authentication.
    let mut r = Rig::new(backend, Some(MasterKeys::TEST));
    assert!(r.reader.has_psam());
    let mut card = SsCardImage::demo();
    card.psam_protected = vec![0x08, 0x09, 0x0D];
    r.insert(card.clone());
    let record = r.read().unwrap().unwrap();
    demo_fields(&record);
    assert!(record.needs_psam.is_empty());
    // A forged card (keys of another issuer): refused, nothing returned.
    r.insert(card.clone().issued_under(&MasterKeys::OTHER));
    let err = r.read().unwrap_err();
    assert!(matches!(err, Error::SsCardAuthFailed { .. }), "{err}");
    assert!(err.user_message().contains("未通过安全校验"));
    // A card with no terminal authentication at all: refused too.
    let mut old = card.clone();
    old.keys = None;
    r.insert(old);
    assert!(matches!(r.read(), Err(Error::SsCardAuthFailed { .. })));
    // Pulled in the middle of the authentication (after SELECT, the
    // identification code and the internal authentication's first APDU).
    r.insert(card.clone());
    r.pull_after(3);
    let err = r.read().unwrap_err();
    assert!(matches!(err, Error::SsCardAbsent), "{backend:?}: {err}");
    r.wait_for(false);
    r.insert(card.clone());
    demo_fields(&r.read().unwrap().unwrap());
    drop(r);

    // A PSAM of another issuer: the card is not recognised.
    let mut r = Rig::new(backend, Some(MasterKeys::OTHER));
    r.insert(card.clone());
    let err = r.read().unwrap_err();
    assert!(matches!(err, Error::SsCardAuthFailed { .. }), "{err}");
    drop(r);

    // No PSAM configured: the protected required fields cannot be read.
    let mut r = Rig::new(backend, None);
    r.insert(card);
    assert!(matches!(
        r.read(),
        Err(Error::SsCardNeedsPsam { field: "ss_number" })
    ));
}

/// Each suite function as one test per backend: `ccid_NAME`, `pcsc_NAME`.
macro_rules! on_both_backends {
    ($($suite:ident),+ $(,)?) => {
        mod ccid {
            $(#[test]
            fn $suite() {
                super::$suite(super::Backend::Ccid);
            })+
        }
        mod pcsc {
            $(#[test]
            fn $suite() {
                super::$suite(super::Backend::Pcsc);
            })+
        }
    };
}

on_both_backends!(
    demo_card_reads,
    byte_level_images,
    card_pulled_mid_read,
    psam_authentication
);

/// The PSAM missing from its slot: a clear error, on the CCID reader.
#[test]
fn ccid_psam_missing_from_its_slot() {
    let mut r = Rig::new(Backend::Ccid, Some(MasterKeys::TEST));
    r.sim.as_ref().unwrap().set_psam(None);
    r.insert(SsCardImage::demo());
    let err = r.read().unwrap_err();
    assert!(matches!(err, Error::PsamUnavailable { .. }), "{err}");
    assert!(err.user_message().contains("安全模块"));
}

/// A reader name no reader has: the report lists what pcscd has.
#[test]
fn pcsc_unknown_reader_name_lists_the_readers() {
    let _pcscd = Pcscd::start();
    let err = PcscSlot::open(&ReaderPattern::new("ACS ACR39U")).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("Virtual PCD 00 00"), "{text}");
    assert!(err.is_link_lost());
}

/// CCID-only faults (bSeq, headers, time extensions, silence, unplug).
#[test]
fn ccid_every_fault_is_a_typed_error_and_the_next_read_works() {
    let mut rig = Rig::new(Backend::Ccid, None);
    rig.insert(SsCardImage::demo());
    let sim = rig.sim.clone().unwrap();
    let slot = rig.slot.clone();
    let r = &mut rig.reader;
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
        // A stale message left behind is dropped by the next command.
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
