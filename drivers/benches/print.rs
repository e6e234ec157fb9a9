//! Print benchmark (`cargo bench -p kiosk-drivers`): the transfer
//! certificate in text mode (GB18030, printer-drawn QR) against the same
//! certificate sent as one raster image, on 58 mm and 80 mm paper.
//!
//! Reports bytes on the wire, time to build the job, time to first byte of
//! the job on a loopback TCP link (the printer end answers the status
//! query that precedes every job), time to send the whole job to the
//! printer simulator, and the time the bytes alone need on a 115200-baud
//! serial link. The raster image is the simulator's own render of the text
//! job, thresholded to 1 bit, so both variants show the same paper.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use kiosk_core::documents::Bitmap;
use kiosk_core::region::CertificateLayout;
use kiosk_drivers::printer::{EscPos, Job, Paper, PrinterLink, PrinterProfile, layout};
use kiosk_sim::printer::{PaperWidth, PrinterSim, PrinterSimConfig};

const ROUNDS: usize = 200;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn fmt(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{:.1} µs", d.as_secs_f64() * 1e6)
    } else {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    }
}

/// A loopback "printer" that answers every `DLE EOT n` with 0x12 and
/// reports the instant the first byte that is not a status query arrives.
fn first_byte_printer() -> (String, mpsc::Receiver<Instant>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = vec![0u8; 64 * 1024];
            let mut reported = false;
            loop {
                let n = match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let mut i = 0;
                while i < n {
                    if buf[i..n].starts_with(&[0x10, 0x04]) && i + 2 < n {
                        let _ = s.write_all(&[0x12]);
                        i += 3;
                    } else {
                        if !reported {
                            let _ = tx.send(Instant::now());
                            reported = true;
                        }
                        i += 1;
                    }
                }
            }
        }
    });
    (format!("tcp://{addr}"), rx)
}

fn time_to_first_byte(
    uri: &str,
    rx: &mpsc::Receiver<Instant>,
    build: &dyn Fn() -> Job,
) -> Duration {
    let mut samples = Vec::new();
    for _ in 0..30 {
        let mut link = PrinterLink::open(uri, Duration::from_secs(5)).expect("link");
        let start = Instant::now();
        let job = build();
        link.print(&job).expect("print");
        let first = rx.recv_timeout(Duration::from_secs(5)).expect("first byte");
        samples.push(first.duration_since(start));
    }
    median(samples)
}

fn send_to_simulator(paper: Paper, job: &Job) -> (Duration, Vec<u8>) {
    let sim = PrinterSim::start(PrinterSimConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        out_dir: None,
        paper: match paper {
            Paper::Mm58 => PaperWidth::Mm58,
            Paper::Mm80 => PaperWidth::Mm80,
        },
    })
    .expect("simulator (needs fonts-noto-cjk)");
    let mut link = PrinterLink::open(
        &format!("tcp://{}", sim.local_addr()),
        Duration::from_secs(30),
    )
    .expect("link");
    let start = Instant::now();
    link.print(job).expect("print");
    let took = start.elapsed();
    drop(link);
    assert!(sim.wait_for_receipts(1, Duration::from_secs(30)));
    (took, sim.receipts().remove(0).png)
}

/// The simulator's grey-scale PNG as a 1-bit bitmap (dark = black).
fn png_to_bitmap(png_bytes: &[u8]) -> Bitmap {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("png");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("frame");
    let channels = info.color_type.samples();
    let (w, h) = (info.width, info.height);
    let mut bitmap = Bitmap::blank(w, h).expect("bitmap");
    for y in 0..h {
        for x in 0..w {
            let i = (y as usize * w as usize + x as usize) * channels;
            if buf[i] < 128 {
                bitmap.set(x, y, true);
            }
        }
    }
    bitmap
}

fn main() {
    let cert = common::certificate(CertificateLayout::Transfer);
    let (uri, rx) = first_byte_printer();
    println!("Transfer certificate (参保凭证, transfer layout), {ROUNDS} rounds, median.\n");
    println!(
        "| paper | mode | bytes on the wire | build the job | first byte on loopback TCP | send to the printer simulator | bytes at 115200 baud |"
    );
    println!("|---|---|---|---|---|---|---|");
    for paper in [Paper::Mm58, Paper::Mm80] {
        let profile = PrinterProfile::new(paper);
        let mm = if paper == Paper::Mm58 { 58 } else { 80 };

        // Text mode.
        let build_text = || layout::certificate(&cert, &profile);
        let text_build = median(
            (0..ROUNDS)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(build_text());
                    t.elapsed()
                })
                .collect(),
        );
        let text_job = build_text();
        let text_ttfb = time_to_first_byte(&uri, &rx, &build_text);
        let (text_send, png) = send_to_simulator(paper, &text_job);
        let serial = |bytes: usize| Duration::from_secs_f64(bytes as f64 * 10.0 / 115_200.0);
        println!(
            "| {mm} mm | text (GB18030, printer QR) | {} | {} | {} | {} | {} |",
            text_job.bytes.len(),
            fmt(text_build),
            fmt(text_ttfb),
            fmt(text_send),
            fmt(serial(text_job.bytes.len())),
        );

        // The same paper as one raster image.
        let bitmap = png_to_bitmap(&png);
        let build_raster = || {
            let mut job = EscPos::new();
            job.raster(&bitmap, paper.dots()).cut();
            job.finish()
        };
        let raster_build = median(
            (0..ROUNDS / 4)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(build_raster());
                    t.elapsed()
                })
                .collect(),
        );
        let raster_job = build_raster();
        let raster_ttfb = time_to_first_byte(&uri, &rx, &build_raster);
        let (raster_send, _) = send_to_simulator(paper, &raster_job);
        println!(
            "| {mm} mm | raster image ({}×{} dots) | {} | {} | {} | {} | {} |",
            bitmap.width(),
            bitmap.height(),
            raster_job.bytes.len(),
            fmt(raster_build),
            fmt(raster_ttfb),
            fmt(raster_send),
            fmt(serial(raster_job.bytes.len())),
        );
    }
    // Keep the loopback printer's connection count bounded: nothing else.
    let _ = TcpStream::connect(uri.trim_start_matches("tcp://"));
}
