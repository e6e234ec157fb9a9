//! Stable-Rust stand-in for the cargo-fuzz targets (fuzz/, nightly): each
//! fuzz harness of `kiosk_drivers::fuzzing` on bounded random input, plus
//! every committed regression input under fuzz/regressions/<target>/.

use proptest::prelude::*;

use kiosk_drivers::fuzzing;

/// A fuzz harness: never panics, whatever the bytes.
type Harness = fn(&[u8]);

const TARGETS: [(&str, Harness); 5] = [
    ("idcard_frame", fuzzing::idcard_frame),
    ("idcard_text", fuzzing::idcard_text),
    ("ccid", fuzzing::ccid),
    ("apdu_tlv", fuzzing::apdu_tlv),
    ("scanner_lines", fuzzing::scanner_lines),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn idcard_frame(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        fuzzing::idcard_frame(&data);
    }

    #[test]
    fn idcard_text(data in proptest::collection::vec(any::<u8>(), 0..1400)) {
        fuzzing::idcard_text(&data);
    }

    #[test]
    fn ccid(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        fuzzing::ccid(&data);
    }

    #[test]
    fn apdu_tlv(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        fuzzing::apdu_tlv(&data);
    }

    #[test]
    fn scanner_lines(data in proptest::collection::vec(any::<u8>(), 0..1024)) {
        fuzzing::scanner_lines(&data);
    }
}

/// Inputs that once crashed a target (or are worth keeping) are committed
/// under fuzz/regressions/<target>/ and replayed here on stable.
#[test]
fn committed_regression_inputs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    for (name, target) in TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(name)) else {
            continue;
        };
        for entry in entries.flatten() {
            if let Ok(data) = std::fs::read(entry.path()) {
                target(&data);
            }
        }
    }
}

/// The committed CCID seed (fuzz/seeds/ccid/demo-card-read) is a complete,
/// valid exchange, so the fuzzer starts from inputs that reach the APDU
/// layer through CCID.
#[test]
fn ccid_seed_reads_the_demo_card() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/ccid/demo-card-read");
    let data = std::fs::read(path).unwrap_or_default();
    let record = fuzzing::ccid_read(&data);
    assert!(
        matches!(&record, Ok(Some(r)) if r.card_number == "220100001" && r.name == "王建国"),
        "{record:?}"
    );
}
