//! The simulated ESC/POS printer over real TCP connections on 127.0.0.1.

// Test helpers outside #[test] functions may panic on setup failures.
#![allow(clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use kiosk_sim::printer::{
    PaperWidth, PrinterFaults, PrinterSim, PrinterSimConfig, PrinterSimHandle,
};

const WAIT: Duration = Duration::from_secs(20);

fn start(paper: PaperWidth, out_dir: Option<std::path::PathBuf>) -> PrinterSimHandle {
    PrinterSim::start(PrinterSimConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        out_dir,
        paper,
    })
    .expect("printer simulator starts")
}

fn connect(sim: &PrinterSimHandle) -> TcpStream {
    let s = TcpStream::connect(sim.local_addr()).expect("connect");
    s.set_read_timeout(Some(WAIT)).expect("timeout");
    s.set_nodelay(true).expect("nodelay");
    s
}

/// Sends a job on its own connection and closes it.
fn send(sim: &PrinterSimHandle, job: &[u8]) {
    let mut s = connect(sim);
    s.write_all(job).expect("write");
    s.shutdown(Shutdown::Write).expect("shutdown");
    // The printer closes its side once it has consumed everything.
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
}

fn gb(s: &str) -> Vec<u8> {
    encoding_rs::GB18030.encode(s).0.into_owned()
}

/// `GS ( k` with cn = 49 and the given function and parameters.
fn qr_fn(fun: u8, params: &[u8]) -> Vec<u8> {
    let p = params.len() + 2;
    let mut v = vec![0x1d, b'(', b'k', (p & 0xff) as u8, (p >> 8) as u8, 49, fun];
    v.extend_from_slice(params);
    v
}

fn qr(data: &str, module: u8) -> Vec<u8> {
    let mut v = qr_fn(65, &[50, 0]);
    v.extend(qr_fn(67, &[module]));
    v.extend(qr_fn(69, &[49]));
    let mut store = vec![48];
    store.extend_from_slice(data.as_bytes());
    v.extend(qr_fn(80, &store));
    v.extend(qr_fn(81, &[48]));
    v
}

const QR_DATA: &str = "https://fuwu.nhsa.gov.cn/verify?no=2024051800012301";

/// A kiosk settlement slip: Chinese text in GB18030, bold double-size
/// centred title, a QR code and a partial cut.
fn settlement_job() -> Vec<u8> {
    let mut j = Vec::new();
    j.extend(b"\x1b@\x1c&");
    j.extend(b"\x1ba\x01\x1d!\x11\x1bE\x01");
    j.extend(gb("医保结算单"));
    j.extend(b"\n\x1d!\x00\x1bE\x00");
    j.extend(gb("某某市医疗保障局 自助服务终端"));
    j.extend(b"\n\x1ba\x00");
    j.extend(b"--------------------------------\n");
    j.extend(gb("终端号：ZZJ-0107\n"));
    j.extend(gb("流水号：20240518000123\n"));
    j.extend(gb("姓名：张三          性别：男\n"));
    j.extend(gb("证件号码：110101********1234\n"));
    j.extend(gb("险种：职工基本医疗保险\n"));
    j.extend(gb("业务：门诊费用结算\n"));
    j.extend(b"--------------------------------\n");
    j.extend(gb("医疗费用总额              356.80\n"));
    j.extend(gb("统筹基金支付              214.08\n"));
    j.extend(gb("个人账户支付              102.72\n"));
    j.extend(gb("现金支付                   40.00\n"));
    j.extend(b"--------------------------------\n");
    j.extend(b"\x1bE\x01");
    j.extend(gb("个人账户余额            1,893.26\n"));
    j.extend(b"\x1bE\x00");
    j.extend(gb("结算时间：2024-05-18 10:32:07\n"));
    j.extend(b"\n\x1ba\x01");
    j.extend(qr(QR_DATA, 5));
    j.extend(b"\n");
    j.extend(gb("扫码查验电子结算凭证\n"));
    j.extend(gb("请妥善保管，遗失不补\n"));
    j.extend(b"\x1ba\x00\x1bd\x03\x1dVB\x00");
    j
}

struct Gray {
    w: u32,
    h: u32,
    px: Vec<u8>,
}

impl Gray {
    fn decode(png_bytes: &[u8]) -> Gray {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("PNG header");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("PNG frame");
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        buf.truncate(info.buffer_size());
        Gray {
            w: info.width,
            h: info.height,
            px: buf,
        }
    }

    fn black(&self, x: u32, y: u32) -> bool {
        self.px[(y * self.w + x) as usize] < 128
    }

    /// Runs of consecutive rows holding black dots: (first row, rows,
    /// leftmost dot, rightmost dot).
    fn bands(&self) -> Vec<(u32, u32, u32, u32)> {
        let mut bands = Vec::new();
        let mut cur: Option<(u32, u32, u32, u32)> = None;
        for y in 0..self.h {
            let xs: Vec<u32> = (0..self.w).filter(|&x| self.black(x, y)).collect();
            match (xs.first(), xs.last(), cur.as_mut()) {
                (Some(&l), Some(&r), Some(b)) => {
                    b.1 += 1;
                    b.2 = b.2.min(l);
                    b.3 = b.3.max(r);
                }
                (Some(&l), Some(&r), None) => cur = Some((y, 1, l, r)),
                (None, _, _) => {
                    if let Some(b) = cur.take() {
                        bands.push(b);
                    }
                }
                _ => {}
            }
        }
        bands.extend(cur);
        bands
    }
}

#[test]
fn settlement_slip_over_tcp() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = start(PaperWidth::Mm58, Some(dir.path().to_path_buf()));
    let job = settlement_job();
    send(&sim, &job);
    assert!(sim.wait_for_receipts(1, WAIT));
    let receipts = sim.receipts();
    assert_eq!(receipts.len(), 1);
    let r = &receipts[0];
    assert_eq!(r.id, 1);
    assert_eq!(r.bytes_received, job.len());

    let lines: Vec<&str> = r.text.lines().collect();
    // Double-size title: 5 characters of 48 dots centred on 384 dots.
    assert_eq!(lines[0], format!("{}医保结算单", " ".repeat(6)));
    // 348 dots centred: 18 dots of margin, shown as 2 cells.
    assert_eq!(lines[1], "  某某市医疗保障局 自助服务终端");
    assert_eq!(lines[2], "-".repeat(32));
    assert!(lines.contains(&"姓名：张三          性别：男"));
    assert!(lines.contains(&"个人账户余额            1,893.26"));
    assert!(lines.contains(&format!("[QR: {QR_DATA}]").as_str()));
    assert!(lines.contains(&"      扫码查验电子结算凭证"));
    assert!(!r.text.contains("WARNING"), "{}", r.text);

    // Files on disk match.
    let png_path = r.png_path.as_ref().expect("png path");
    assert_eq!(png_path, &dir.path().join("receipt-0001.png"));
    assert_eq!(std::fs::read(png_path).expect("png file"), r.png);
    let text_path = r.text_path.as_ref().expect("text path");
    assert_eq!(std::fs::read_to_string(text_path).expect("txt"), r.text);

    let img = Gray::decode(&r.png);
    assert_eq!(img.w, 384);
    let bands = img.bands();
    // Title: double height (glyphs up to 48 dots tall), centred, bold.
    let (_, title_h, l, rgt) = bands[0];
    assert!((36..=48).contains(&title_h), "title band {:?}", bands[0]);
    let (left_margin, right_margin) = (l, 383 - rgt);
    assert!(left_margin.abs_diff(right_margin) <= 12, "{:?}", bands[0]);
    assert!((60..=84).contains(&left_margin), "{:?}", bands[0]);
    // Second line: normal size, nearly full width.
    let (_, h2, l2, _) = bands[1];
    assert!((16..=24).contains(&h2), "{:?}", bands[1]);
    assert!((12..=24).contains(&l2), "{:?}", bands[1]);
    // The QR code is the only band taller than 100 dots: square, centred.
    let qr_bands: Vec<_> = bands.iter().filter(|b| b.1 > 100).collect();
    assert_eq!(qr_bands.len(), 1, "{bands:?}");
    let &&(_, qh, ql, qr) = &qr_bands[0];
    assert_eq!(qr - ql + 1, qh, "QR is square");
    assert_eq!(qh % 5, 0, "module size 5");
    assert!(ql.abs_diff(383 - qr) <= 1);
    // And a QR reader gets the payload back from the picture of the slip.
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(img.w as usize, img.h as usize, |x, y| {
            img.px[y * img.w as usize + x]
        });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, content) = grids[0].decode().expect("printed QR decodes");
    assert_eq!(content, QR_DATA);
}

#[test]
fn eighty_mm_paper_is_576_dots_wide() {
    let sim = start(PaperWidth::Mm80, None);
    let mut job = b"\x1c&".to_vec();
    job.extend(gb(&"宽".repeat(30)));
    job.extend(b"\n\x1dV\x00");
    send(&sim, &job);
    assert!(sim.wait_for_receipts(1, WAIT));
    let r = &sim.receipts()[0];
    assert_eq!(r.png_path, None);
    let lines: Vec<&str> = r.text.lines().collect();
    assert_eq!(lines, vec!["宽".repeat(24), "宽".repeat(6)]);
    let img = Gray::decode(&r.png);
    assert_eq!(img.w, 576);
    // 宽 has a blank row under its roof: merge bands closer than 4 rows.
    let mut lines_ink: Vec<(u32, u32, u32, u32)> = Vec::new();
    for b in img.bands() {
        match lines_ink.last_mut() {
            Some(l) if b.0 < l.0 + l.1 + 4 => {
                l.1 = b.0 + b.1 - l.0;
                l.2 = l.2.min(b.2);
                l.3 = l.3.max(b.3);
            }
            _ => lines_ink.push(b),
        }
    }
    assert_eq!(lines_ink.len(), 2, "{lines_ink:?}");
    assert!(lines_ink[0].3 > 560, "first line runs to the right edge");
    assert!(lines_ink[1].3 < 6 * 24, "second line holds 6 characters");
}

/// Reads one status byte per `DLE EOT n`.
fn statuses(s: &mut TcpStream) -> [u8; 4] {
    s.write_all(b"\x10\x04\x01\x10\x04\x02\x10\x04\x03\x10\x04\x04")
        .expect("write");
    let mut r = [0u8; 4];
    s.read_exact(&mut r).expect("status replies");
    r
}

#[test]
fn status_replies_for_each_fault() {
    let sim = start(PaperWidth::Mm58, None);
    let mut s = connect(&sim);
    assert_eq!(statuses(&mut s), [0x12, 0x12, 0x12, 0x12]);
    sim.set_faults(PrinterFaults {
        paper_near_end: true,
        ..Default::default()
    });
    assert_eq!(statuses(&mut s), [0x12, 0x12, 0x12, 0x1E]);
    sim.set_faults(PrinterFaults {
        paper_out: true,
        ..Default::default()
    });
    assert_eq!(statuses(&mut s), [0x1A, 0x32, 0x12, 0x7E]);
    sim.set_faults(PrinterFaults {
        cover_open: true,
        ..Default::default()
    });
    assert_eq!(statuses(&mut s), [0x1A, 0x16, 0x12, 0x12]);
    sim.set_faults(PrinterFaults {
        cover_open: true,
        paper_out: true,
        ..Default::default()
    });
    assert_eq!(statuses(&mut s), [0x1A, 0x36, 0x12, 0x7E]);
    sim.set_faults(PrinterFaults {
        cutter_error: true,
        ..Default::default()
    });
    assert_eq!(statuses(&mut s), [0x1A, 0x52, 0x1A, 0x12]);
    sim.set_faults(PrinterFaults::default());
    assert_eq!(statuses(&mut s), [0x12, 0x12, 0x12, 0x12]);
    // GS a is accepted and recorded without a reply.
    s.write_all(b"\x1da\x02\x10\x04\x01").expect("write");
    let mut b = [0u8; 1];
    s.read_exact(&mut b).expect("reply");
    assert_eq!(b[0], 0x12);
    assert_eq!(sim.auto_status_back(), Some(2));
}

#[test]
fn nothing_prints_while_paper_is_out() {
    let sim = start(PaperWidth::Mm58, None);
    sim.set_faults(PrinterFaults {
        paper_out: true,
        ..Default::default()
    });
    let mut s = connect(&sim);
    s.write_all(b"\x1b@lost line\n\x1dV\x00\x10\x04\x01")
        .expect("write");
    let mut b = [0u8; 1];
    // The reply comes after the job was consumed.
    s.read_exact(&mut b).expect("reply");
    assert_eq!(b[0], 0x1A);
    assert!(sim.receipts().is_empty());
    assert_eq!(sim.discarded_bytes(), "lost line\n".len() + 3);

    sim.set_faults(PrinterFaults::default());
    s.write_all(b"printed\n\x1dV\x00").expect("write");
    assert!(sim.wait_for_receipts(1, WAIT));
    assert_eq!(sim.receipts()[0].text, "printed\n");
}

#[test]
fn job_split_across_many_small_writes() {
    let sim = start(PaperWidth::Mm58, None);
    let job = settlement_job();
    send(&sim, &job);
    let mut s = connect(&sim);
    // With Nagle off every write is its own segment; how many the printer
    // reads at once varies, which is the point.
    for chunk in job.chunks(3) {
        s.write_all(chunk).expect("write");
    }
    s.shutdown(Shutdown::Write).expect("shutdown");
    assert!(sim.wait_for_receipts(2, WAIT));
    let receipts = sim.receipts();
    assert_eq!(receipts[1].text, receipts[0].text);
    assert_eq!(receipts[1].png, receipts[0].png);
    assert_eq!(receipts[1].bytes_received, job.len());
}

#[test]
fn dropped_link_tears_off_what_was_printed() {
    let sim = start(PaperWidth::Mm58, None);
    let job = b"first line\nsecond line\n\x1dV\x00";
    sim.set_faults(PrinterFaults {
        drop_link_after_bytes: Some(15),
        ..Default::default()
    });
    let mut s = connect(&sim);
    s.write_all(job).expect("write");
    let mut rest = Vec::new();
    // The printer hangs up: EOF or reset.
    let _ = s.read_to_end(&mut rest);
    assert!(sim.wait_for_receipts(1, WAIT));
    let r = &sim.receipts()[0];
    assert_eq!(r.bytes_received, 15);
    let lines: Vec<&str> = r.text.lines().collect();
    assert_eq!(lines[0], "first line");
    assert_eq!(lines[1], "seco");
    assert!(lines[2].contains("unterminated"));
}

#[test]
fn random_bytes_do_not_break_the_printer() {
    let sim = start(PaperWidth::Mm58, None);
    // xorshift: deterministic garbage.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..8 {
        let mut junk = Vec::with_capacity(4096);
        for _ in 0..4096 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            junk.push((x >> 24) as u8);
        }
        send(&sim, &junk);
    }
    let before = sim.receipts().len();
    send(&sim, b"\x1b@still alive\n\x1dV\x00");
    assert!(sim.wait_for_receipts(before + 1, WAIT));
    let receipts = sim.receipts();
    let last = receipts.last().expect("receipt");
    assert!(last.text.starts_with("still alive\n"), "{}", last.text);
}

#[test]
fn idle_client_does_not_block_the_next_one() {
    let sim = start(PaperWidth::Mm58, None);
    // Connects and sends half a command, then says nothing.
    let mut stuck = connect(&sim);
    stuck.write_all(b"\x1d(k").expect("write");
    let mut s = connect(&sim);
    s.write_all(b"next job\n\x1dV\x00").expect("write");
    assert!(sim.wait_for_receipts(1, WAIT));
    assert!(sim.receipts()[0].text.starts_with("next job\n"));
}

#[test]
fn stop_is_bounded_with_a_client_connected() {
    let mut sim = start(PaperWidth::Mm58, None);
    let mut s = connect(&sim);
    s.write_all(b"pending text").expect("write");
    // Make sure the bytes were consumed before stopping.
    s.write_all(b"\x10\x04\x01").expect("write");
    let mut b = [0u8; 1];
    s.read_exact(&mut b).expect("reply");
    let t = Instant::now();
    sim.stop();
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    // The pending content became a torn-off receipt.
    assert_eq!(sim.receipts().len(), 1);
    assert!(sim.receipts()[0].text.starts_with("pending text\n"));
    drop(sim);
    assert!(TcpStream::connect_timeout(&s.peer_addr().expect("addr"), WAIT).is_err());
}

/// Writes the sample slip for a human to look at:
/// `cargo test -p kiosk-sim --test printer_tcp -- --ignored` (the path can
/// be changed with PRINTER_SAMPLE_PNG).
#[test]
#[ignore = "writes a sample PNG outside the build tree"]
fn write_sample_receipt() {
    let sim = start(PaperWidth::Mm58, None);
    send(&sim, &settlement_job());
    assert!(sim.wait_for_receipts(1, WAIT));
    let path = std::env::var("PRINTER_SAMPLE_PNG")
        .unwrap_or_else(|_| "/tmp/printer-sample.png".to_owned());
    let r = &sim.receipts()[0];
    std::fs::write(&path, &r.png).expect("write sample");
    println!("{path}\n{}", r.text);
}
