//! Card placed → record decoded, through the ID card reader simulator on a
//! pty with the driver at 115200 baud, next to the wire time of the frames
//! exchanged (the physical floor of a real reader).
//!
//! ```text
//! cargo bench -p kiosk-sim --bench idcard_read
//! ```
//!
//! A pty does not throttle to the baud rate, so the measured time is the
//! software's share (driver + pty + simulator); the wire time is what the
//! same bytes take on a real 115200 8N1 line (10 bits per byte). A real
//! reader costs at least wire time + this overhead.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use kiosk_drivers::idcard::{frame::encode_command, open_serial};
use kiosk_sim::idcard::{CardSlot, IdReaderSim, SimCard};

const BAUD: u32 = 115_200;
const RUNS: usize = 200;

fn main() {
    let slot = CardSlot::new();
    slot.place(SimCard::demo());
    let sim = IdReaderSim::spawn(slot.clone(), None).expect("simulator");
    let path = sim.path().display().to_string();
    let mut reader = open_serial(&path, BAUD, Duration::from_secs(2)).expect("open pty");

    // Bytes on the wire for one read: find, select, read (commands + replies).
    let commands = encode_command(0x20, 0x01, &[]).len()
        + encode_command(0x20, 0x02, &[]).len()
        + encode_command(0x30, 0x01, &[]).len();
    // Replies: find 5+2+3+4+1, select 5+2+3+8+1, read 5+2+3+4+256+1024+1.
    let replies = (5 + 2 + 3 + 4 + 1) + (5 + 2 + 3 + 8 + 1) + (5 + 2 + 3 + 4 + 256 + 1024 + 1);
    let wire_bytes = commands + replies;
    let wire = Duration::from_secs_f64(wire_bytes as f64 * 10.0 / f64::from(BAUD));

    // Warm up once, then measure.
    reader.read_document().expect("read").expect("card");
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        let doc = reader.read_document().expect("read").expect("card");
        times.push(started.elapsed());
        assert_eq!(doc.photo_wlt.len(), 1024);
    }
    times.sort();
    let median = times[RUNS / 2];
    let p95 = times[RUNS * 95 / 100];
    println!("ID card read through the pty simulator, {RUNS} runs");
    println!("  bytes exchanged per read : {wire_bytes}");
    println!(
        "  wire time at {BAUD} 8N1 : {:.1} ms (physical floor)",
        wire.as_secs_f64() * 1e3
    );
    println!(
        "  measured median          : {:.2} ms",
        median.as_secs_f64() * 1e3
    );
    println!(
        "  measured p95             : {:.2} ms",
        p95.as_secs_f64() * 1e3
    );
    println!(
        "  ratio median / wire      : {:.3} (software share of a real read: wire + median)",
        median.as_secs_f64() / wire.as_secs_f64()
    );
}
