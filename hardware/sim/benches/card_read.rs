//! Card inserted → record read, through each card backend, on the
//! simulators: the CCID driver against the simulated CCID reader, and the
//! PC/SC backend against a real pcscd with vpcd and the virtual card (the
//! same card image). Each run inserts the card, waits for the reader's
//! notification, reads the card and removes it; the figure is insertion
//! to record (the kiosk shows the person within one session-loop turn of
//! the record; see BENCHMARKS.md "card to screen"). With and without the
//! PSAM's terminal authentication.
//!
//! `cargo bench -p kiosk-sim --bench card_read` (needs pcscd and
//! vsmartcard-vpcd, as the tests do). Prints median, p95 and max per case.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/pcscd.rs"]
mod pcscd;
#[path = "../tests/common/pipe.rs"]
mod pipe;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use kiosk_drivers::sscard::pcsc::{PcscSlot, ReaderPattern};
use kiosk_drivers::sscard::psam::PsamScheme;
use kiosk_drivers::sscard::{ApduPsam, CardSlot, CcidReader, SharedPipe, SsCardReader};
use kiosk_sim::sscard::{
    MasterKeys, SimCcidReader, SsCardImage, SsCardSlot, VirtualCard, VirtualPsam,
};
use pipe::Pipe;

const RUNS: usize = 100;
const TIMEOUT: Duration = Duration::from_secs(2);

type Reader = SsCardReader<Box<dyn CardSlot + Send>>;

/// Insert → notification → read, `RUNS` times: the whole durations, and
/// the reads alone (power on → record → power off, the card already seen).
fn measure(
    slot: &SsCardSlot,
    reader: &mut Reader,
    card: &SsCardImage,
) -> (Vec<Duration>, Vec<Duration>) {
    let mut out = Vec::with_capacity(RUNS);
    let mut reads = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        // Empty and seen empty.
        slot.remove();
        while reader.card_present().unwrap() {
            let _ = reader.wait_slot_change(TIMEOUT).unwrap();
        }
        let started = Instant::now();
        slot.insert(card.clone());
        let deadline = started + Duration::from_secs(10);
        let record = loop {
            assert!(Instant::now() < deadline, "card not seen");
            if reader.card_present().unwrap() {
                let read_started = Instant::now();
                if let Some(record) = reader.read_card().unwrap() {
                    reads.push(read_started.elapsed());
                    break record;
                }
            }
            let _ = reader.wait_slot_change(TIMEOUT).unwrap();
        };
        out.push(started.elapsed());
        assert_eq!(record.card_number, "220100001");
    }
    (out, reads)
}

fn report(case: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{case:<34} runs {:>3}  median {:>7.2} ms  p95 {:>7.2} ms  max {:>7.2} ms",
        times.len(),
        ms(p(0.5)),
        ms(p(0.95)),
        ms(times[times.len() - 1])
    );
}

fn ccid(psam: bool, card: &SsCardImage) -> (Vec<Duration>, Vec<Duration>) {
    let slot = SsCardSlot::new();
    let sim = SimCcidReader::with_psam(slot.clone(), MasterKeys::TEST);
    let pipe = SharedPipe::new(Pipe {
        sim,
        pending: VecDeque::new(),
    });
    let card_slot: Box<dyn CardSlot + Send> = Box::new(CcidReader::new(pipe.clone(), TIMEOUT));
    let mut reader = SsCardReader::new(card_slot);
    if psam {
        let psam = ApduPsam::new(
            CcidReader::new(pipe, TIMEOUT).with_slot(1),
            PsamScheme::default(),
        );
        reader = reader.with_psam(Box::new(psam));
    }
    measure(&slot, &mut reader, card)
}

fn pcsc(psam: bool, card: &SsCardImage) -> (Vec<Duration>, Vec<Duration>) {
    let (pcscd, _turn) = pcscd::Pcscd::start();
    let slot = SsCardSlot::new();
    let _card = VirtualCard::spawn(pcscd.card_port, slot.clone()).unwrap();
    let _psam = VirtualPsam::spawn(pcscd.psam_port, MasterKeys::TEST).unwrap();
    let card_slot: Box<dyn CardSlot + Send> =
        Box::new(PcscSlot::open(&ReaderPattern::new("Virtual PCD 00 00")).unwrap());
    let mut reader = SsCardReader::new(card_slot);
    if psam {
        // The virtual PSAM connects on its own time: wait until it is in.
        let mut psam_slot = PcscSlot::open(&ReaderPattern::new("Virtual PCD 00 01")).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !psam_slot.card_present().unwrap() {
            assert!(Instant::now() < deadline, "virtual PSAM not in its reader");
            let _ = psam_slot.wait_slot_change(TIMEOUT).unwrap();
        }
        reader = reader.with_psam(Box::new(ApduPsam::new(psam_slot, PsamScheme::default())));
    }
    measure(&slot, &mut reader, card)
}

fn main() {
    let mut protected = SsCardImage::demo();
    protected.psam_protected = vec![0x08, 0x09];
    let plain = SsCardImage::demo();
    let cases: [(&str, bool, bool); 4] = [
        ("CCID, no PSAM", false, false),
        ("CCID, PSAM", false, true),
        ("PC/SC (pcscd + vpcd), no PSAM", true, false),
        ("PC/SC (pcscd + vpcd), PSAM", true, true),
    ];
    for (name, via_pcsc, psam) in cases {
        let card = if psam { &protected } else { &plain };
        let (whole, reads) = if via_pcsc {
            pcsc(psam, card)
        } else {
            ccid(psam, card)
        };
        report(&format!("{name}: insert → record"), whole);
        report(&format!("{name}: read only"), reads);
    }
}
