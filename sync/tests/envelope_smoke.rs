//! Stable-Rust stand-in for the cargo-fuzz target `envelope` (fuzz/,
//! nightly): the harness `kiosk_sync::fuzzing::envelope` on bounded random
//! input — raw bytes, envelopes of random JSON, and the committed seeds
//! with bytes changed — plus every committed input: the regression inputs
//! under fuzz/regressions/envelope/, the minimised corpus under
//! fuzz/corpus/envelope/ and the seeds under fuzz/seeds/envelope/. So CI,
//! which has no nightly, replays what the fuzzer found on every run.

use proptest::prelude::*;
use serde_json::{Value, json};

use kiosk_sync::fuzzing;

#[path = "../../fuzz/replay.rs"]
mod replay;

const TARGET: &str = "envelope";

/// The fuzz folder (corpora, seeds, regression inputs).
fn fuzz_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z0-9_ .:-]{0,12}".prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("baseinfo".to_string()),
                    Just("items".to_string()),
                    Just("psn_no".to_string()),
                    Just("balc".to_string()),
                    Just("signinoutb".to_string()),
                    Just("sign_no".to_string()),
                    "[a-z_]{1,10}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(data in proptest::collection::vec(any::<u8>(), 0..1024)) {
        fuzzing::envelope(&data);
    }

    /// Envelopes of the right shape around random outputs and texts.
    #[test]
    fn random_envelopes(
        infcode in prop_oneof![Just(0), Just(-1), Just(-2), Just(-3), Just(-4), Just(-5), Just(-8), any::<i32>()],
        msgid in "[A-Z0-9-]{0,30}",
        respond_time in prop_oneof![Just("20261122093000".to_string()), "[0-9]{0,16}"],
        err_msg in proptest::option::of("\\PC{0,300}"),
        output in proptest::option::of(json_value()),
    ) {
        let envelope = json!({
            "infcode": infcode,
            "inf_refmsgid": msgid,
            "refmsg_time": respond_time,
            "respond_time": respond_time,
            "err_msg": err_msg,
            "output": output,
        });
        fuzzing::envelope(envelope.to_string().as_bytes());
    }

    /// The committed seeds (real answers of the reference centre) with a
    /// few bytes changed.
    #[test]
    fn changed_seeds(
        pick in any::<prop::sample::Index>(),
        changes in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let seeds = replay::committed_inputs(&fuzz_dir(), TARGET, &["seeds"]);
        prop_assume!(!seeds.is_empty());
        let mut data = seeds[pick.index(seeds.len())].1.clone();
        prop_assume!(!data.is_empty());
        for (at, byte) in changes {
            let i = at.index(data.len());
            data[i] = byte;
        }
        fuzzing::envelope(&data);
    }
}

/// Inputs that once crashed the target (or are worth keeping) and the
/// corpus the fuzzer built (minimised), replayed on stable. The target has
/// a committed corpus, so this never passes vacuously.
#[test]
fn committed_regression_inputs_and_corpus() {
    replay::replay_committed(&fuzz_dir(), TARGET, fuzzing::envelope);
}
