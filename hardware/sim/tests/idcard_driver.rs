//! The ID card reader driver (`kiosk_drivers::idcard`) against the
//! independently written simulator, over a real pseudo-terminal and the
//! serialport crate: both sides checked against the GA 467 protocol.

// Test helpers outside `#[test]` functions unwrap too.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use kiosk_core::identity::{Expiry, IdDocumentKind, Sex, check_character, parse_yyyymmdd};
use kiosk_drivers::Error;
use kiosk_drivers::idcard::{IdCardReader, open_serial};
use kiosk_sim::idcard::{
    CardSlot, Foreigner2023Fields, ForeignerFields, IdReaderSim, IdReaderSimHandle, PermitFields,
    ResidentFields, SimCard, SimFaults, placeholder_photo,
};

const TIMEOUT: Duration = Duration::from_secs(3);

/// A date from `YYYYMMDD`, through the domain's own parser (no date crate
/// needed here).
macro_rules! date {
    ($yyyymmdd:literal) => {
        parse_yyyymmdd($yyyymmdd).unwrap()
    };
}

fn resident_card() -> SimCard {
    SimCard::resident(&ResidentFields {
        name: "王小明".into(),
        // The 17th digit of the number is even: a woman (GB 11643), which
        // the driver checks against the sex field.
        sex: '2',
        nation: 3,
        birth: "19491231".into(),
        address: "北京市西城区演示胡同12号院3号楼2单元101室".into(),
        id_number: "11010519491231002X".into(),
        issuer: "北京市公安局西城分局".into(),
        valid_from: "20150601".into(),
        valid_to: "20350601".into(),
    })
    .unwrap()
    .with_photo((0..1024u32).map(|i| (i * 7 % 256) as u8).collect())
}

fn permit_card() -> (SimCard, String) {
    let first17 = "82000019880808124";
    let number = format!("{first17}{}", check_character(first17).unwrap());
    let card = SimCard::permit(&PermitFields {
        name: "何美玲".into(),
        sex: '2',
        birth: "19880808".into(),
        address: "广东省珠海市香洲区演示路8号".into(),
        id_number: number.clone(),
        issuer: "珠海市公安局".into(),
        valid_from: "20210301".into(),
        valid_to: "20260301".into(),
        pass_number: "M87654321".into(),
        issue_count: 2,
    })
    .unwrap();
    (card, number)
}

fn foreigner_card() -> SimCard {
    SimCard::foreigner(&ForeignerFields {
        name_en: "MUSTERMANN, ERIKA".into(),
        sex: '2',
        permit_number: "DEU310019750415".into(),
        nationality: "DEU".into(),
        name: "艾丽卡".into(),
        valid_from: "20190101".into(),
        valid_to: "20290101".into(),
        birth: "19750415".into(),
        card_version: "01".into(),
        authority_code: "1500".into(),
    })
    .unwrap()
}

fn start(card: Option<SimCard>) -> (IdReaderSimHandle, CardSlot, IdCardReader<impl Read + Write>) {
    let slot = match card {
        Some(card) => CardSlot::with_card(card),
        None => CardSlot::new(),
    };
    let sim = IdReaderSim::spawn(slot.clone(), None).unwrap();
    let reader = open_serial(sim.path().to_str().unwrap(), 115_200, TIMEOUT).unwrap();
    (sim, slot, reader)
}

#[test]
fn resident_card_every_field() {
    let card = resident_card();
    let (_sim, _slot, mut reader) = start(Some(card.clone()));
    reader.sam_status().unwrap();
    assert_eq!(&reader.sam_id().unwrap(), b"SIM-SAM-00000001");
    let doc = reader.read_document().unwrap().unwrap();
    assert_eq!(doc.kind, IdDocumentKind::ResidentIdCard);
    assert_eq!(doc.name, "王小明");
    assert_eq!(doc.name_en, None);
    assert_eq!(doc.sex, Sex::Female);
    assert_eq!(doc.nation, Some(3));
    assert_eq!(doc.nationality, None);
    assert_eq!(doc.birth_date, date!("19491231"));
    assert_eq!(
        doc.address.as_deref(),
        Some("北京市西城区演示胡同12号院3号楼2单元101室")
    );
    assert_eq!(doc.number, "11010519491231002X");
    assert_eq!(doc.issuer, "北京市公安局西城分局");
    assert_eq!(doc.valid_from, date!("20150601"));
    assert_eq!(doc.valid_to, Expiry::Until(date!("20350601")));
    assert_eq!(doc.pass_number, None);
    assert_eq!(doc.issue_count, None);
    assert_eq!(doc.photo_wlt, card.photo);
    assert_eq!(reader.select_card().unwrap(), card.serial());
}

#[test]
fn removing_the_card_gives_none_and_placing_it_back_reads_again() {
    let (_sim, slot, mut reader) = start(Some(SimCard::demo()));
    let doc = reader.read_document().unwrap().unwrap();
    assert_eq!(doc.valid_to, Expiry::LongTerm);
    assert_eq!(doc.photo_wlt, placeholder_photo());
    slot.remove();
    assert!(reader.read_document().unwrap().is_none());
    assert!(!reader.find_card().unwrap());
    assert!(matches!(
        reader.select_card(),
        Err(Error::IdCardSelectFailed)
    ));
    assert!(matches!(
        reader.read_text_photo(),
        Err(Error::IdCardReadFailed)
    ));
    slot.place(SimCard::demo());
    assert!(reader.read_document().unwrap().is_some());
}

#[test]
fn residence_permit_decodes() {
    let (card, number) = permit_card();
    let (_sim, _slot, mut reader) = start(Some(card));
    let doc = reader.read_document().unwrap().unwrap();
    assert_eq!(doc.kind, IdDocumentKind::HkMacaoTaiwanResidencePermit);
    assert_eq!(doc.name, "何美玲");
    assert_eq!(doc.sex, Sex::Female);
    assert_eq!(doc.nation, None);
    assert_eq!(doc.birth_date, date!("19880808"));
    assert_eq!(doc.address.as_deref(), Some("广东省珠海市香洲区演示路8号"));
    assert_eq!(doc.number, number);
    assert_eq!(doc.issuer, "珠海市公安局");
    assert_eq!(doc.valid_from, date!("20210301"));
    assert_eq!(doc.valid_to, Expiry::Until(date!("20260301")));
    assert_eq!(doc.pass_number.as_deref(), Some("M87654321"));
    assert_eq!(doc.issue_count, Some(2));
    assert_eq!(doc.id_number().unwrap().province(), "澳门特别行政区");
}

#[test]
fn foreigner_card_decodes() {
    let (_sim, _slot, mut reader) = start(Some(foreigner_card()));
    let doc = reader.read_document().unwrap().unwrap();
    assert_eq!(doc.kind, IdDocumentKind::ForeignPermanentResidenceCard);
    assert_eq!(doc.name_en.as_deref(), Some("MUSTERMANN, ERIKA"));
    assert_eq!(doc.name, "艾丽卡");
    assert_eq!(doc.sex, Sex::Female);
    assert_eq!(doc.number, "DEU310019750415");
    assert_eq!(doc.nationality.as_deref(), Some("DEU"));
    assert_eq!(doc.birth_date, date!("19750415"));
    assert_eq!(doc.valid_from, date!("20190101"));
    assert_eq!(doc.valid_to, Expiry::Until(date!("20290101")));
    assert_eq!(doc.issuer, "1500");
    assert_eq!(doc.address, None);
    assert_eq!(doc.nation, None);
}

/// Issue 19 item 8: the 2023 foreigner's card (flag `Y`) through the
/// simulated reader, decoded like the 2017 one.
#[test]
fn foreigner_card_2023_decodes() {
    let card = SimCard::foreigner_2023(&Foreigner2023Fields {
        name: "史安娜".into(),
        sex: '2',
        renewals: 1,
        birth: "19880512".into(),
        name_en: "SMITH-WORTHINGTON, ANNA CHARLOTTE ELIZABETH".into(),
        id_number: "922826198805120029".into(),
        nationality: "GBR".into(),
        valid_from: "20230901".into(),
        valid_to: "20330831".into(),
    })
    .unwrap();
    let (_sim, _slot, mut reader) = start(Some(card));
    let doc = reader.read_document().unwrap().unwrap();
    assert_eq!(doc.kind, IdDocumentKind::ForeignPermanentResidenceCard);
    assert_eq!(doc.number, "922826198805120029");
    assert_eq!(doc.name, "史安娜");
    assert_eq!(
        doc.name_en.as_deref(),
        Some("SMITH-WORTHINGTON, ANNA CHARLOTTE ELIZABETH")
    );
    assert_eq!(doc.sex, Sex::Female);
    assert_eq!(doc.nationality.as_deref(), Some("GBR"));
    assert_eq!(doc.birth_date, date!("19880512"));
    assert_eq!(doc.valid_to, Expiry::Until(date!("20330831")));
    assert_eq!(doc.issue_count, Some(1));
}

#[test]
fn unknown_kind_and_bad_number_are_typed_errors() {
    let mut text = SimCard::demo().text;
    text[248..250].copy_from_slice(&[b'Z', 0]);
    let (_sim, slot, mut reader) = start(Some(SimCard::from_text(text)));
    let err = reader.read_document().unwrap_err();
    assert!(matches!(err, Error::IdCardUnknownKind { flag: 'Z' }));

    let mut fields = ResidentFields {
        name: "测试".into(),
        sex: '2',
        nation: 1,
        birth: "19491231".into(),
        address: "北京".into(),
        id_number: "110105194912310021".into(),
        issuer: "北京".into(),
        valid_from: "20200101".into(),
        valid_to: "长期".into(),
    };
    slot.place(SimCard::resident(&fields).unwrap());
    assert!(matches!(
        reader.read_document(),
        Err(Error::IdCardBadNumber(
            kiosk_core::Error::IdNumberCheckDigit
        ))
    ));
    fields.id_number = "11010519491231002X".into();
    slot.place(SimCard::resident(&fields).unwrap());
    assert!(reader.read_document().unwrap().is_some());
}

#[test]
fn corrupted_checksum_is_typed_and_the_next_read_succeeds() {
    let (sim, _slot, mut reader) = start(Some(resident_card()));
    sim.fault_next_reply(SimFaults {
        corrupt_checksum: true,
        ..SimFaults::default()
    });
    let err = reader.read_document().unwrap_err();
    assert!(matches!(err, Error::IdCardChecksum { .. }), "{err:?}");
    assert!(err.user_message().contains("身份证读取失败"));
    assert_eq!(reader.read_document().unwrap().unwrap().name, "王小明");

    // The same on the long read: find and select pass, the 1295-byte reply
    // is corrupted.
    assert!(reader.find_card().unwrap());
    reader.select_card().unwrap();
    sim.fault_next_reply(SimFaults {
        corrupt_checksum: true,
        ..SimFaults::default()
    });
    assert!(matches!(
        reader.read_text_photo(),
        Err(Error::IdCardChecksum { .. })
    ));
    assert!(reader.read_document().unwrap().is_some());
}

#[test]
fn noise_and_fragmented_replies_are_tolerated() {
    let (sim, _slot, mut reader) = start(Some(resident_card()));
    sim.set_faults(SimFaults {
        noise_before_reply: vec![0x00, 0xAA, 0xAA, 0x13, 0x96, 0x69, 0xFF],
        split_reply: Some((97, Duration::from_millis(3))),
        ..SimFaults::default()
    });
    for _ in 0..3 {
        let doc = reader.read_document().unwrap().unwrap();
        assert_eq!(doc.number, "11010519491231002X");
        assert_eq!(doc.photo_wlt, resident_card().photo);
    }
}

#[test]
fn silent_reader_times_out_and_recovers() {
    let (sim, _slot, mut reader) = start(Some(resident_card()));
    reader.set_timeout(Duration::from_millis(300));
    sim.fault_next_reply(SimFaults {
        no_reply: true,
        ..SimFaults::default()
    });
    let start = Instant::now();
    let err = reader.read_document().unwrap_err();
    let elapsed = start.elapsed();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(elapsed >= Duration::from_millis(300));
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    reader.set_timeout(TIMEOUT);
    assert!(reader.read_document().unwrap().is_some());
}

#[test]
fn stale_reply_from_a_timed_out_command_is_discarded() {
    // The reply to the first command arrives after the driver gave up; the
    // next command must not take it for its own answer.
    let (sim, slot, mut reader) = start(Some(resident_card()));
    reader.set_timeout(Duration::from_millis(100));
    sim.fault_next_reply(SimFaults {
        split_reply: Some((8, Duration::from_millis(150))),
        ..SimFaults::default()
    });
    assert!(matches!(reader.find_card(), Err(Error::Timeout { .. })));
    slot.remove();
    reader.set_timeout(TIMEOUT);
    // Wait out the late tail of the "card found" reply (2 chunks, 150 ms
    // apart) by asking until the answer is the current one: no card.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match reader.find_card() {
            Ok(false) => break,
            Ok(true) | Err(_) => assert!(Instant::now() < deadline, "stale reply never cleared"),
        }
    }
    assert!(reader.read_document().unwrap().is_none());
}

#[test]
fn driver_opens_the_symlink_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("idcard-reader");
    let sim = IdReaderSim::spawn(CardSlot::with_card(SimCard::demo()), Some(&link)).unwrap();
    for _ in 0..2 {
        let mut reader = open_serial(link.to_str().unwrap(), 115_200, TIMEOUT).unwrap();
        assert!(reader.read_document().unwrap().is_some());
    }
    drop(sim);
    assert!(std::fs::symlink_metadata(&link).is_err());
    assert!(matches!(
        open_serial(link.to_str().unwrap(), 115_200, TIMEOUT),
        Err(Error::SerialOpen { .. })
    ));
}

#[test]
fn unplugged_reader_is_a_typed_disconnection_and_replug_is_picked_up_at_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("idcard-reader");
    let link_str = link.to_str().unwrap();
    let sim = IdReaderSim::spawn(CardSlot::with_card(SimCard::demo()), Some(&link)).unwrap();
    let mut reader = open_serial(link_str, 115_200, TIMEOUT).unwrap();
    assert!(reader.find_card().unwrap());

    sim.unplug();
    let start = Instant::now();
    let lost = reader.find_card().unwrap_err();
    // Reported at once, not after the command deadline.
    assert!(start.elapsed() < Duration::from_secs(1), "{lost}");
    assert!(
        matches!(
            lost,
            Error::Disconnected {
                device: kiosk_drivers::error::Device::IdCardReader,
                ..
            }
        ),
        "{lost:?}"
    );
    assert!(lost.is_link_lost());
    assert!(lost.user_message().contains("身份证读卡器连接中断"));
    // The port is gone until the reader comes back.
    let absent = open_serial(link_str, 115_200, TIMEOUT).unwrap_err();
    assert!(matches!(absent, Error::SerialOpen { .. }) && absent.is_link_lost());

    sim.replug().unwrap();
    let mut reader = open_serial(link_str, 115_200, TIMEOUT).unwrap();
    assert!(reader.read_document().unwrap().is_some());
}

#[test]
fn fingerprint_appended_address_and_baud_rate_commands() {
    let mut card = resident_card();
    // Without a fingerprint or an appended address the reader says so (91).
    let (_sim, slot, mut reader) = start(Some(card.clone()));
    assert!(reader.find_card().unwrap());
    reader.select_card().unwrap();
    assert_eq!(reader.read_text_photo_fingerprint().unwrap(), None);
    assert_eq!(reader.read_appended_address().unwrap(), None);
    // With them: the three blocks raw, the address decoded from UCS-2.
    card.fingerprint = Some(vec![0x43; 1024]);
    let address = "北京市海淀区演示路8号";
    card.appended_address = Some(
        address
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect(),
    );
    slot.place(card.clone());
    assert!(reader.find_card().unwrap());
    reader.select_card().unwrap();
    let (text, photo, fingerprint) = reader.read_text_photo_fingerprint().unwrap().unwrap();
    assert_eq!(text, card.text.to_vec());
    assert_eq!(photo, card.photo);
    assert_eq!(fingerprint.len(), 1024);
    assert_eq!(
        reader.read_appended_address().unwrap().as_deref(),
        Some(address)
    );
    reader.set_baud_rate(115_200).unwrap();
    assert!(reader.set_baud_rate(4_800).is_err());
}
