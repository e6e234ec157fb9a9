//! Stable-Rust stand-in for the cargo-fuzz targets (fuzz/, nightly): each
//! fuzz harness of `kiosk_drivers::fuzzing` on bounded random input, plus
//! every committed input: the regression inputs under
//! fuzz/regressions/<target>/, the minimised corpora under
//! fuzz/corpus/<target>/ and the seeds under fuzz/seeds/<target>/. So CI,
//! which has no nightly, replays what the fuzzer found on every run.

use proptest::prelude::*;

use kiosk_drivers::fuzzing;

#[path = "../../fuzz/replay.rs"]
mod replay;

/// A fuzz harness: never panics, whatever the bytes.
type Harness = fn(&[u8]);

const TARGETS: [(&str, Harness); 7] = [
    ("idcard_frame", fuzzing::idcard_frame),
    ("idcard_text", fuzzing::idcard_text),
    ("ccid", fuzzing::ccid),
    ("apdu_tlv", fuzzing::apdu_tlv),
    ("scanner_lines", fuzzing::scanner_lines),
    ("evoucher", fuzzing::evoucher),
    ("printer_status", fuzzing::printer_status),
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

    #[test]
    fn evoucher(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        fuzzing::evoucher(&data);
    }

    /// Mostly bytes with the fixed bits of a status reply, so that the
    /// decoded side is reached, with `FE FE` cuts between the replies.
    #[test]
    fn printer_status(data in proptest::collection::vec(
        prop_oneof![3 => (0u8..128).prop_map(|b| (b & !0x93) | 0x12), 1 => Just(0xFE), 1 => any::<u8>()],
        0..400,
    )) {
        fuzzing::printer_status(&data);
    }

    /// Lines shaped like tokens (with the demo prefix), besides random bytes.
    #[test]
    fn evoucher_token_shaped(
        min_len in 0u8..40,
        line in "[ \t]{0,2}(ECV1-)?[A-Za-z0-9_.:=+/-]{0,80}[ \t]{0,2}",
    ) {
        let mut data = vec![min_len, 100, 1, 5];
        data.extend_from_slice(b"ECV1-");
        data.extend_from_slice(line.as_bytes());
        fuzzing::evoucher(&data);
    }
}

/// Inputs that once crashed a target (or are worth keeping) are committed
/// under fuzz/regressions/<target>/, and the corpora the fuzzer built
/// (minimised) under fuzz/corpus/<target>/: all replayed here on stable.
/// Every target has a committed corpus, so this never passes vacuously.
#[test]
fn committed_regression_inputs_and_corpora() {
    let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    for (name, target) in TARGETS {
        replay::replay_committed(&fuzz, name, target);
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

/// The committed printer seeds reach the job: all clear prints it whole,
/// paper out between two segments stops it, a bad reply is refused.
#[test]
fn printer_seeds_reach_the_job() {
    use kiosk_drivers::Error;
    use kiosk_drivers::printer::PrinterState;
    let seed = |name: &str| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/seeds/printer_status")
            .join(name);
        std::fs::read(path).unwrap_or_default()
    };
    let report = fuzzing::printer_print(&seed("ready-job"));
    assert!(
        matches!(&report, Ok(r) if r.status_checks >= 3 && r.state == PrinterState::Ready),
        "{report:?}"
    );
    let report = fuzzing::printer_print(&seed("near-end-job"));
    assert!(
        matches!(&report, Ok(r) if r.state == PrinterState::PaperNearEnd),
        "{report:?}"
    );
    let report = fuzzing::printer_print(&seed("paper-out-mid-job"));
    assert!(
        matches!(report, Err(Error::PrinterNotReady(PrinterState::PaperOut))),
        "{report:?}"
    );
    let report = fuzzing::printer_print(&seed("bad-reply"));
    assert!(
        matches!(report, Err(Error::PrinterBadStatus { .. })),
        "{report:?}"
    );
}
