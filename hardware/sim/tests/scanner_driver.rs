//! The scanner driver against the scanner simulator on a real
//! pseudo-terminal. (The social security card driver's tests, against
//! both card backends, are in `card_backends.rs`.)

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use kiosk_drivers::Error;
use kiosk_drivers::error::Device;
use kiosk_drivers::scanner::{self, Rejection, ScanOutcome, Scanner, TokenRule};
use kiosk_sim::scanner::{ScanFaults, ScannerSim, Terminator};

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
