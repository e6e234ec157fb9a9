//! Names with rare characters (生僻字) on every document, through the
//! printer simulator, on a GBK-only printer and on a GB18030 printer, with
//! the production glyph source (`FontGlyphs` over the system's CJK fonts:
//! fonts-noto-cjk and fonts-babelstone-han, installed by .ci/run).
//! The ignored test writes the PNGs to target/rare-names/ (and one to
//! docs/screenshots/) to look at.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use kiosk_core::region::CertificateLayout;
use kiosk_drivers::printer::escpos::{GlyphSource, has_non_gbk_text};
use kiosk_drivers::printer::layout::{self, NAME_AS_ON_DOCUMENT};
use kiosk_drivers::printer::{FontGlyphs, Job, Paper, PrinterLink, PrinterProfile};
use kiosk_sim::printer::{PaperWidth, PrinterSim, PrinterSimConfig, PrinterSimHandle, Receipt};

/// Real rare characters of personal names: CJK Extension A (䶮, the name
/// of 刘䶮), B (𠇔, 𡒄, 𪚥), C (𫖮), E (𬣙, 𬱖, 𬀩; name characters of the
/// 通用规范汉字表), F (𮯠), and GBK-extension characters common in names
/// (堃, 喆, 燊, 昇) that plain GB2312 lacks. 𡒄 and 𪚥 are not in Noto
/// Sans CJK: they come from BabelStone Han.
const RARE_NAMES: &[&str] = &[
    "刘䶮",
    "王𠇔",
    "张𡒄",
    "李堃",
    "陶喆",
    "何燊",
    "赵昇",
    "杨𪚥",
    "孙𫖮",
    "鲁𬣙",
    "周𬱖",
    "陈𬀩",
    "吴𮯠",
    "欧阳𪚥𡒄",
];

/// A name with a CJK Extension I character (Unicode 15.1), which no font
/// installed here has.
const NO_FONT_NAME: &str = "郑𮯰";
const NO_FONT_CHAR: char = '𮯰';

fn glyphs() -> &'static FontGlyphs {
    FontGlyphs::system().expect("fonts-noto-cjk and fonts-babelstone-han are installed")
}

fn profiles(paper: Paper) -> [(&'static str, PrinterProfile); 2] {
    [
        (
            "gbk",
            PrinterProfile {
                glyphs: Some(glyphs()),
                ..PrinterProfile::gbk(paper)
            },
        ),
        (
            "gb18030",
            PrinterProfile {
                glyphs: Some(glyphs()),
                ..PrinterProfile::new(paper)
            },
        ),
    ]
}

/// Every document that carries the citizen's name.
fn documents(name: &str, profile: &PrinterProfile) -> Vec<(&'static str, Job)> {
    let mut slip = common::slip();
    slip.name = name.into();
    let mut receipt = common::filing_receipt();
    receipt.name = name.into();
    vec![
        (
            "certificate-transfer",
            layout::certificate(
                &common::certificate_for(CertificateLayout::Transfer, name),
                profile,
            ),
        ),
        (
            "certificate-simple",
            layout::certificate(
                &common::certificate_for(CertificateLayout::Simple, name),
                profile,
            ),
        ),
        ("business-slip", layout::business_slip_job(&slip, profile)),
        ("filing-receipt", layout::filing_receipt(&receipt, profile)),
        (
            "commitment-letter",
            layout::commitment_letter(&common::commitment_letter_for(name), profile),
        ),
    ]
}

fn simulator(paper: Paper) -> PrinterSimHandle {
    PrinterSim::start(PrinterSimConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        out_dir: None,
        paper: match paper {
            Paper::Mm58 => PaperWidth::Mm58,
            Paper::Mm80 => PaperWidth::Mm80,
        },
    })
    .expect("simulator (needs fonts-noto-cjk)")
}

/// Prints `job` on `sim` (which has printed `done` receipts so far).
fn print(sim: &PrinterSimHandle, done: usize, job: &Job) -> Receipt {
    let uri = format!("tcp://{}", sim.local_addr());
    let mut link = PrinterLink::open(&uri, Duration::from_secs(5)).expect("link");
    link.print(job).expect("printed");
    drop(link);
    assert!(sim.wait_for_receipts(done + 1, Duration::from_secs(20)));
    sim.receipts().remove(done)
}

/// The simulator's text with each user-defined character (FE A1 + i)
/// read back as the character the job defined it for.
fn restore(text: &str, job: &Job) -> String {
    let mut out = text.to_string();
    for (i, c) in job.user_glyphs.iter().enumerate() {
        let code = [0xFE, 0xA1 + i as u8];
        let (shown, _, _) = encoding_rs::GB18030.decode(&code);
        out = out.replace(shown.as_ref(), &c.to_string());
    }
    out
}

/// The characters of `name` the printer of `profile` cannot print itself.
fn beyond_the_printer(name: &str, profile: &PrinterProfile) -> Vec<char> {
    name.chars()
        .filter(|&c| match profile.charset {
            kiosk_drivers::printer::Charset::Gbk => {
                let mut buf = [0u8; 4];
                encoding_rs::GBK.encode(c.encode_utf8(&mut buf)).2
            }
            kiosk_drivers::printer::Charset::Gb18030 => u32::from(c) >= 0x2_0000,
        })
        .collect()
}

#[test]
fn every_rare_name_prints_whole_on_every_document_on_gbk_and_gb18030() {
    let sim = simulator(Paper::Mm58);
    let mut done = 0;
    for (kind, profile) in profiles(Paper::Mm58) {
        for name in RARE_NAMES {
            for (doc, job) in documents(name, &profile) {
                let what = format!("{name} {doc} {kind}");
                assert!(
                    job.substitutions.is_empty(),
                    "{what}: {:?}",
                    job.substitutions
                );
                if kind == "gbk" {
                    assert!(!has_non_gbk_text(&job.bytes), "{what}");
                }
                // Each character the printer lacks is defined once, with
                // the font's glyph.
                let mut expected = beyond_the_printer(name, &profile);
                expected.dedup();
                for c in &expected {
                    assert!(job.user_glyphs.contains(c), "{what}: {c}");
                    let glyph = glyphs().glyph(*c).expect("glyph");
                    let mut definition = vec![0x1C, 0x32];
                    definition.push(0xFE);
                    let i = job.user_glyphs.iter().position(|u| u == c).unwrap();
                    definition.push(0xA1 + i as u8);
                    definition.extend_from_slice(&glyph);
                    assert!(
                        job.bytes
                            .windows(definition.len())
                            .any(|w| w == definition.as_slice()),
                        "{what}: FS 2 of {c}"
                    );
                }
                if doc.starts_with("certificate") {
                    assert!(job.bytes.len() <= 2048, "{what}: {} bytes", job.bytes.len());
                }
                let receipt = print(&sim, done, &job);
                done += 1;
                assert!(
                    !receipt.text.contains("[WARNING"),
                    "{what}:\n{}",
                    receipt.text
                );
                let text = restore(&receipt.text, &job);
                assert!(!text.contains('〓'), "{what}:\n{text}");
                assert!(!text.contains(NAME_AS_ON_DOCUMENT), "{what}:\n{text}");
                assert!(text.contains(name), "{what}:\n{text}");
            }
        }
    }
}

#[test]
fn a_character_no_font_has_prints_as_the_mark_and_the_certificate_says_so() {
    assert_eq!(glyphs().glyph(NO_FONT_CHAR), None);
    let sim = simulator(Paper::Mm58);
    let mut done = 0;
    for (kind, profile) in profiles(Paper::Mm58) {
        for (doc, job) in documents(NO_FONT_NAME, &profile) {
            let what = format!("{doc} {kind}");
            assert!(!job.substitutions.is_empty(), "{what}");
            assert!(
                job.substitutions.iter().all(|&c| c == NO_FONT_CHAR),
                "{what}"
            );
            assert!(job.user_glyphs.is_empty(), "{what}");
            let receipt = print(&sim, done, &job);
            done += 1;
            assert!(receipt.text.contains("郑〓"), "{what}:\n{}", receipt.text);
            let compact = receipt.text.replace(' ', "");
            if doc.starts_with("certificate") {
                assert!(job.bytes.len() <= 2048, "{what}: {} bytes", job.bytes.len());
                // The note stands right under the name.
                let lines: Vec<&str> = compact.lines().collect();
                let at = lines
                    .iter()
                    .position(|l| l.starts_with("参保人姓名"))
                    .expect("name line");
                assert_eq!(
                    lines[at + 1],
                    NAME_AS_ON_DOCUMENT,
                    "{what}:\n{}",
                    receipt.text
                );
            } else {
                assert!(!compact.contains(NAME_AS_ON_DOCUMENT), "{what}");
            }
        }
    }
}

#[test]
fn the_transfer_certificate_stays_within_two_kilobytes_with_three_rare_characters() {
    // Each character beyond the printer costs 76 bytes (FS 2 c1 c2 and a
    // 72-byte glyph) plus its 2-byte code.
    for paper in [Paper::Mm58, Paper::Mm80] {
        for (kind, profile) in profiles(paper) {
            let cert = common::certificate_for(CertificateLayout::Transfer, "欧阳𪚥𡒄𠇔");
            let job = layout::certificate(&cert, &profile);
            assert_eq!(job.user_glyphs.len(), 3, "{kind} {paper:?}");
            assert!(
                job.bytes.len() <= 2048,
                "{kind} {paper:?}: {} bytes",
                job.bytes.len()
            );
        }
    }
}

/// Writes target/rare-names/<name>-<document>-<profile>.png and
/// docs/screenshots/print-certificate-rare-names-gbk-58.png.
#[test]
#[ignore = "writes PNGs; run with --ignored"]
fn render_rare_names_to_png() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = root.join("target/rare-names");
    std::fs::create_dir_all(&dir).expect("dir");
    let sim = simulator(Paper::Mm58);
    let mut done = 0;
    for (kind, profile) in profiles(Paper::Mm58) {
        for name in RARE_NAMES.iter().chain(&[NO_FONT_NAME]) {
            for (doc, job) in documents(name, &profile) {
                let receipt = print(&sim, done, &job);
                done += 1;
                let path = dir.join(format!("{name}-{doc}-{kind}.png"));
                std::fs::write(&path, &receipt.png).expect("png");
            }
        }
    }
    // For the docs: a simple certificate on a GBK-only printer for a name
    // with one character from Noto Sans CJK (𠇔) and one from BabelStone
    // Han (𡒄).
    let (_, profile) = profiles(Paper::Mm58)[0];
    let cert = common::certificate_for(CertificateLayout::Simple, "欧阳𠇔𡒄");
    let receipt = print(&sim, done, &layout::certificate(&cert, &profile));
    std::fs::write(
        root.join("docs/screenshots/print-certificate-rare-names-gbk-58.png"),
        &receipt.png,
    )
    .expect("png");
    eprintln!("PNGs in {}", dir.display());
}
