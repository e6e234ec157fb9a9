//! Documents through the printer simulator: layouts checked as text on
//! 58 mm and 80 mm paper, GBK profiles scanned byte by byte, and (ignored
//! test) PNG renders written to docs/screenshots/print-*.png.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use kiosk_core::documents::verify;
use kiosk_core::region::CertificateLayout;
use kiosk_drivers::printer::escpos::has_non_gbk_text;
use kiosk_drivers::printer::layout::{self, TestPageInfo};
use kiosk_drivers::printer::{Job, Paper, PrinterLink, PrinterProfile};
use kiosk_sim::printer::{PaperWidth, PrinterSim, PrinterSimConfig, Receipt};

fn documents(profile: &PrinterProfile) -> Vec<(&'static str, Job)> {
    vec![
        (
            "certificate-transfer",
            layout::certificate(&common::certificate(CertificateLayout::Transfer), profile),
        ),
        (
            "certificate-simple",
            layout::certificate(&common::certificate(CertificateLayout::Simple), profile),
        ),
        (
            "business-slip",
            layout::business_slip_job(&common::slip(), profile),
        ),
        (
            "filing-receipt",
            layout::filing_receipt(&common::filing_receipt(), profile),
        ),
        (
            "commitment-letter",
            layout::commitment_letter(&common::commitment_letter(), profile),
        ),
        (
            "test-page",
            layout::test_page(
                profile,
                &TestPageInfo {
                    terminal_id: "K220100001".into(),
                    printed_at: "2026-11-22 09:30".into(),
                    printer: "tcp://127.0.0.1:9100".into(),
                },
            ),
        ),
    ]
}

fn print(paper: Paper, job: &Job) -> Receipt {
    let sim = PrinterSim::start(PrinterSimConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        out_dir: None,
        paper: match paper {
            Paper::Mm58 => PaperWidth::Mm58,
            Paper::Mm80 => PaperWidth::Mm80,
        },
    })
    .expect("simulator (needs fonts-noto-cjk)");
    let uri = format!("tcp://{}", sim.local_addr());
    let mut link = PrinterLink::open(&uri, Duration::from_secs(5)).expect("link");
    link.print(job).expect("printed");
    drop(link);
    assert!(sim.wait_for_receipts(1, Duration::from_secs(20)));
    sim.receipts().remove(0)
}

#[test]
fn every_document_prints_cleanly_on_both_papers() {
    for paper in [Paper::Mm58, Paper::Mm80] {
        let profile = PrinterProfile::new(paper);
        for (name, job) in documents(&profile) {
            let receipt = print(paper, &job);
            assert!(
                !receipt.text.contains("[WARNING"),
                "{name} {paper:?}:\n{}",
                receipt.text
            );
            // No line ran over the paper (the simulator would wrap it and
            // the wrapped tail would start a line of its own).
            for line in receipt.text.lines().filter(|l| !l.contains("[QR: ")) {
                assert!(
                    kiosk_drivers::printer::escpos::cell_width(line) <= paper.cells(),
                    "{name} {paper:?}: {line:?}"
                );
            }
        }
    }
}

#[test]
fn transfer_certificate_has_every_field_of_the_seed_layout() {
    let cert = common::certificate(CertificateLayout::Transfer);
    let receipt = print(
        Paper::Mm58,
        &layout::certificate(&cert, &PrinterProfile::new(Paper::Mm58)),
    );
    let text = receipt.text.replace([' ', '\n'], "");
    for needle in [
        "基本医疗保险参保凭证",
        "凭证号：",
        "（吉林省）（长春市）（2026）",
        "（第0042号）",
        "生成日期2026-11-22",
        "基本信息",
        "参保人姓名李秀兰",
        "身份证件号码220203198508232046",
        "户籍所在地",
        "户籍类型非农业户口",
        "基本医疗保险类型",
        "转出地长春市",
        "参保时间起2012-07止2026-10",
        "其中累计实际缴费月数172月",
        "（大写）壹万陆仟捌佰元零叁角贰分",
        "（小写）¥16,800.32",
        "转出地医疗保险经办机构信息",
        "机构名称长春市社会医疗保险管理局",
        "（盖章）",
        "行政区划代码220100",
        "邮政编码130022",
        "联系人关系转移接续窗口",
        "联系电话0431-12393",
        "注意事项：",
        "1.本凭证是根据国家有关规定制发",
        "4.本凭证如不慎遗失",
        "扫码核验220100-2026-0042",
    ] {
        assert!(text.contains(needle), "missing {needle}:\n{}", receipt.text);
    }
    // The QR code the printer drew carries the signed payload, and it
    // verifies against the certificate's content.
    let qr = receipt
        .text
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("[QR: ")
                .and_then(|r| r.strip_suffix(']'))
        })
        .expect("QR code printed");
    assert_eq!(qr, cert.verification);
    assert!(verify(
        common::KEY,
        qr,
        "220100-2026-0042",
        &cert.signed_content()
    ));
    assert!(!verify(
        b"another-key-of-enough-length",
        qr,
        "220100-2026-0042",
        &cert.signed_content()
    ));
}

/// The QR codes found on a rendered receipt, decoded.
fn qr_codes_on_paper(png_bytes: &[u8]) -> Vec<String> {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("png");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("frame");
    let channels = info.color_type.samples();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[(y * w + x) * channels]);
    prepared
        .detect_grids()
        .iter()
        .filter_map(|g| g.decode().ok().map(|(_, content)| content))
        .collect()
}

#[test]
fn the_printed_qr_code_scans_and_verifies_on_both_papers() {
    for layout_kind in [CertificateLayout::Transfer, CertificateLayout::Simple] {
        let cert = common::certificate(layout_kind);
        for paper in [Paper::Mm58, Paper::Mm80] {
            let receipt = print(
                paper,
                &layout::certificate(&cert, &PrinterProfile::new(paper)),
            );
            let codes = qr_codes_on_paper(&receipt.png);
            assert_eq!(
                codes,
                vec![cert.verification.clone()],
                "{layout_kind:?} {paper:?}"
            );
            assert!(verify(
                common::KEY,
                &codes[0],
                "220100-2026-0042",
                &cert.signed_content()
            ));
        }
    }
}

#[test]
fn a_printer_without_qr_commands_gets_a_raster_code_that_scans_and_verifies() {
    let cert = common::certificate(CertificateLayout::Transfer);
    for paper in [Paper::Mm58, Paper::Mm80] {
        let profile = PrinterProfile {
            raster_qr: true,
            ..PrinterProfile::new(paper)
        };
        let job = layout::certificate(&cert, &profile);
        assert!(job.omitted.is_empty(), "{:?}", job.omitted);
        let receipt = print(paper, &job);
        assert!(!receipt.text.contains("[QR: "), "drawn by the kiosk");
        assert!(receipt.text.contains("[IMAGE "), "{}", receipt.text);
        let codes = qr_codes_on_paper(&receipt.png);
        assert_eq!(codes, vec![cert.verification.clone()], "{paper:?}");
        assert!(verify(
            common::KEY,
            &codes[0],
            "220100-2026-0042",
            &cert.signed_content()
        ));
    }
}

#[test]
fn simple_certificate_has_no_number_agency_or_notes() {
    let cert = common::certificate(CertificateLayout::Simple);
    let receipt = print(
        Paper::Mm80,
        &layout::certificate(&cert, &PrinterProfile::new(Paper::Mm80)),
    );
    let text = receipt.text.replace(' ', "");
    assert!(text.contains("统筹区长春市"));
    assert!(text.contains("参保时间起2012-07止至今"));
    assert!(!text.contains("凭证号"));
    assert!(!text.contains("盖章"));
    assert!(!text.contains("注意事项"));
    assert!(text.contains("[QR:KCV1|220100-2026-0042|"));
}

#[test]
fn gbk_profile_never_sends_four_byte_sequences() {
    for paper in [Paper::Mm58, Paper::Mm80] {
        let profile = PrinterProfile::gbk(paper);
        for (name, job) in documents(&profile) {
            assert!(!has_non_gbk_text(&job.bytes), "{name}");
            let receipt = print(paper, &job);
            assert!(!receipt.text.contains('?'), "{name}: {}", receipt.text);
            if name.starts_with("certificate") {
                assert!(receipt.text.contains("￥16,800.32"), "{}", receipt.text);
            }
        }
    }
}

#[test]
fn transfer_certificate_fits_in_two_kilobytes() {
    let cert = common::certificate(CertificateLayout::Transfer);
    for paper in [Paper::Mm58, Paper::Mm80] {
        let job = layout::certificate(&cert, &PrinterProfile::new(paper));
        assert!(
            job.bytes.len() <= 2048,
            "{paper:?}: {} bytes",
            job.bytes.len()
        );
    }
}

/// Writes docs/screenshots/print-<document>-<58|80>.png.
#[test]
#[ignore = "writes docs/screenshots; run with --ignored"]
fn render_documents_to_png() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
    std::fs::create_dir_all(&dir).expect("dir");
    for paper in [Paper::Mm58, Paper::Mm80] {
        let profile = PrinterProfile::new(paper);
        let mm = if paper == Paper::Mm58 { 58 } else { 80 };
        for (name, job) in documents(&profile) {
            let receipt = print(paper, &job);
            let path = dir.join(format!("print-{name}-{mm}.png"));
            std::fs::write(&path, &receipt.png).expect("write png");
            eprintln!("{} ({} bytes sent)", path.display(), job.bytes.len());
        }
    }
    // A GBK-only printer and a name with a character outside GBK, printed
    // as a user-defined character from a (test) glyph source.
    let mut cert = common::certificate(CertificateLayout::Simple);
    cert.facts.name = "李𠮷".into();
    let profile = PrinterProfile {
        glyphs: Some(&RARE_BOX),
        ..PrinterProfile::gbk(Paper::Mm58)
    };
    let receipt = print(Paper::Mm58, &layout::certificate(&cert, &profile));
    let path = dir.join("print-certificate-simple-gbk-user-glyph-58.png");
    std::fs::write(&path, &receipt.png).expect("write png");
}

/// A glyph source for the test: a hollow box for the rare character.
struct RareBox;

impl kiosk_drivers::printer::escpos::GlyphSource for RareBox {
    fn glyph(&self, c: char) -> Option<[u8; 72]> {
        (c == '𠮷').then(|| {
            let mut g = [0u8; 72];
            for col in 0..24 {
                let bits: [u8; 3] = if col == 2 || col == 21 {
                    [0x3F, 0xFF, 0xFC]
                } else if (2..22).contains(&col) {
                    [0x20, 0x00, 0x04]
                } else {
                    [0, 0, 0]
                };
                g[col * 3..col * 3 + 3].copy_from_slice(&bits);
            }
            g
        })
    }
}

static RARE_BOX: RareBox = RareBox;

#[test]
fn a_rare_character_in_a_name_prints_on_a_gbk_printer() {
    let mut cert = common::certificate(CertificateLayout::Simple);
    cert.facts.name = "李𠮷".into();
    // Without a glyph source: the missing-glyph mark, reported.
    let plain = layout::certificate(&cert, &PrinterProfile::gbk(Paper::Mm58));
    assert_eq!(plain.substitutions, vec!['𠮷']);
    assert!(print(Paper::Mm58, &plain).text.contains("李〓"));
    // With one: a user-defined character (FS 2), in line with the text.
    let profile = PrinterProfile {
        glyphs: Some(&RARE_BOX),
        ..PrinterProfile::gbk(Paper::Mm58)
    };
    let job = layout::certificate(&cert, &profile);
    assert!(job.substitutions.is_empty());
    assert_eq!(job.user_glyphs, vec!['𠮷']);
    assert!(!has_non_gbk_text(&job.bytes));
    let receipt = print(Paper::Mm58, &job);
    assert!(!receipt.text.contains("[WARNING"), "{}", receipt.text);
    assert!(!receipt.text.contains('〓'), "{}", receipt.text);
    let name_line = receipt
        .text
        .lines()
        .find(|l| l.starts_with("参保人姓名"))
        .expect("name line");
    assert!(
        name_line.trim_end().ends_with(|c: char| !c.is_ascii()),
        "{name_line}"
    );
}
