//! Stable-Rust stand-in for the cargo-fuzz targets `kiosk_config` and
//! `remote_config` (fuzz/, nightly): the harnesses of `kiosk::fuzzing` on
//! bounded random input — raw bytes, configuration files made of known
//! sections and keys, settings made of known keys — plus every committed
//! input: the regression inputs under fuzz/regressions/<target>/, the
//! minimised corpora under fuzz/corpus/<target>/ and the seeds under
//! fuzz/seeds/<target>/. So CI, which has no nightly, replays what the
//! fuzzer found on every run.

use proptest::prelude::*;

use kiosk::fuzzing;

#[path = "../../../fuzz/replay.rs"]
mod replay;

/// A fuzz harness: never panics, whatever the bytes.
type Harness = fn(&[u8]);

const TARGETS: [(&str, Harness); 2] = [
    ("kiosk_config", fuzzing::config),
    ("remote_config", fuzzing::remote_config),
];

/// A TOML value of a kind some key takes, or of none.
fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        (0u64..100_000).prop_map(|n| n.to_string()),
        "[a-zA-Z0-9_:/.-]{0,24}".prop_map(|s| format!("{s:?}")),
        "\\PC{0,12}".prop_map(|s| format!("{s:?}")),
        proptest::collection::vec("[A-Z0-9-]{0,8}", 0..3).prop_map(|v| format!("{v:?}")),
        Just("1.5".to_string()),
        Just("{ a = 1 }".to_string()),
    ]
}

/// Sections and keys of kiosk.toml (and a few it does not have).
fn config_line() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("id"),
        Just("hall_name"),
        Just("region"),
        Just("printer"),
        Just("paper_mm"),
        Just("printer_charset"),
        Just("scanner"),
        Just("evoucher_prefixes"),
        Just("url"),
        Just("timeout_ms"),
        Just("signer"),
        Just("enabled"),
        Just("token"),
        Just("port"),
        Just("orientation"),
        Just("idle_timeout_s"),
        Just("retention_days"),
        Just("digest"),
        Just("service_id"),
        Just("secret_file"),
        Just("nonsense"),
    ];
    prop_oneof![
        prop_oneof![
            Just("[terminal]"),
            Just("[devices]"),
            Just("[central]"),
            Just("[central.gateway]"),
            Just("[automation]"),
            Just("[ui]"),
            Just("[store]"),
            Just("[simulation]"),
            Just("[other]"),
        ]
        .prop_map(str::to_string),
        (key, toml_value()).prop_map(|(k, v)| format!("{k} = {v}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn config_random_bytes(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        fuzzing::config(&data);
    }

    #[test]
    fn config_of_known_keys(lines in proptest::collection::vec(config_line(), 0..16)) {
        fuzzing::config(lines.join("\n").as_bytes());
    }

    #[test]
    fn remote_config_random_bytes(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        fuzzing::remote_config(&data);
    }

    #[test]
    fn remote_config_of_known_keys(
        idle in proptest::option::of(0u64..1000),
        volume in proptest::option::of(0u64..300),
        notice in proptest::option::of("\\PC{0,130}"),
        maintenance in proptest::option::of(any::<bool>()),
        elderly in proptest::option::of(any::<bool>()),
        journeys in proptest::option::of(proptest::collection::vec(
            prop_oneof![Just("certificate"), Just("filing"), Just("chronic"), Just("premium"), Just("enrollment"), Just("x")],
            0..3,
        )),
    ) {
        let mut settings = serde_json::Map::new();
        if let Some(v) = idle { settings.insert("idle_timeout_s".into(), v.into()); }
        if let Some(v) = volume { settings.insert("voice_volume".into(), v.into()); }
        if let Some(v) = notice { settings.insert("notice".into(), v.into()); }
        if let Some(v) = maintenance { settings.insert("maintenance".into(), v.into()); }
        if let Some(v) = elderly { settings.insert("elderly_default".into(), v.into()); }
        if let Some(v) = journeys { settings.insert("disabled_journeys".into(), v.into()); }
        fuzzing::remote_config(serde_json::Value::Object(settings).to_string().as_bytes());
    }
}

/// Inputs that once crashed a target (or are worth keeping) and the
/// corpora the fuzzer built (minimised), replayed on stable. Every target
/// has a committed corpus, so this never passes vacuously.
#[test]
fn committed_regression_inputs_and_corpora() {
    let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    for (name, target) in TARGETS {
        replay::replay_committed(&fuzz, name, target);
    }
}

/// The commented configuration the Debian package installs parses, and
/// passes the harness (it is one of the seeds too).
#[test]
fn the_packaged_configuration_is_a_valid_input() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../packaging/kiosk.toml");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    assert!(kiosk::config::Config::parse(&text).is_ok());
    fuzzing::config(text.as_bytes());
}
