//! Fuzz harnesses of the kiosk's own parsers, shared by the cargo-fuzz
//! targets `kiosk_config` and `remote_config` in `fuzz/` (nightly,
//! libFuzzer) and the stable-Rust smoke test
//! `firmware/kiosk/tests/config_smoke.rs` (proptest, bounded random
//! input, and every committed input). Each takes arbitrary bytes and
//! panics only on a broken invariant; see docs/fuzzing.md.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use kiosk_drivers::printer::PrinterUri;
use kiosk_drivers::scanner::TokenRule;
use kiosk_sync::gateway::GatewayDigest;
use kiosk_sync::wire::RemoteSettings;

use crate::config::Config;
use crate::remoteconfig::{IDLE_RANGE, NOTICE_MAX, SWITCHABLE, validate};
use crate::startup::{MIN_TOKEN_CHARS, Mode, check_production};

/// `kiosk.toml`: the text (invalid UTF-8 replaced, as no file read would
/// let it through) through [`Config::parse`], then the production checks
/// and the parsers of single settings (printer URI and charset, gateway
/// digest, e-voucher prefixes).
///
/// Besides "no panic": a parsed configuration written out as TOML parses
/// to itself, and the production checks say the same of both; no centre,
/// the demo identity or an automation API without a long token are
/// fatal; the timeout is never below 100 ms; a configured demo prefix
/// accepts the demo token. The checks only look whether configured device
/// paths exist; files named in `[central]` are not read (they could be
/// anything, e.g. `/dev/zero`).
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(config) = Config::parse(&text) else {
        return;
    };
    let written = match toml::to_string(&config) {
        Ok(t) => t,
        Err(e) => panic!("a parsed configuration cannot be written: {e}"),
    };
    match Config::parse(&written) {
        Ok(again) => assert_eq!(again, config, "re-read differs:\n{written}"),
        Err(e) => panic!("a written configuration does not parse: {e}\n{written}"),
    }
    let file = Path::new("/etc/kiosk/kiosk.toml");
    let report = check_production(&config, file);
    if config.central.url.is_none() {
        assert!(report.is_fatal(), "no centre: {}", report.status());
    }
    let demo = crate::config::TerminalConfig::default();
    if config.terminal.id == demo.id || config.terminal.hall_name == demo.hall_name {
        assert!(report.is_fatal(), "demo identity: {}", report.status());
    }
    let weak_token = config
        .automation
        .token
        .as_deref()
        .is_none_or(|t| t.trim().chars().count() < MIN_TOKEN_CHARS);
    if config.automation.enabled == Some(true) && weak_token {
        assert!(report.is_fatal(), "weak token: {}", report.status());
    }
    assert_eq!(
        Mode::of(&config, Some(file)) == Mode::Simulation,
        config.simulation.enabled
    );
    assert!(config.central_timeout() >= Duration::from_millis(100));
    let _ = config.automation_enabled();
    if let Some(uri) = &config.devices.printer {
        let _ = PrinterUri::parse(uri);
    }
    let _ = crate::printglyphs::parse_charset(&config.devices.printer_charset);
    if let Some(gateway) = &config.central.gateway {
        let _ = GatewayDigest::parse(&gateway.digest);
    }
    let rule = TokenRule {
        prefixes: config.devices.evoucher_prefixes.clone(),
        ..TokenRule::default()
    };
    if rule.prefixes.is_empty() || rule.prefixes.iter().any(|p| p == "ECV1-") {
        let demo_token = "ECV1-7Q2M4K9T3W8R5Y1B6N0P2D4F";
        assert_eq!(
            rule.classify(demo_token.as_bytes()).as_deref(),
            Ok(demo_token)
        );
    }
}

/// The settings of a remote configuration (KS33 `settings`), as JSON,
/// through [`validate`].
///
/// Besides "no panic": what is accepted is in range (idle timeout, volume,
/// notice length and characters, only journeys that may be switched off),
/// and its canonical form validates again to the same settings and hash.
pub fn remote_config(data: &[u8]) {
    let Ok(settings) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok((applied, hash)) = validate(&settings) else {
        return;
    };
    if let Some(idle) = applied.idle_after {
        assert!(IDLE_RANGE.contains(&idle.as_secs()));
    }
    assert!(applied.voice_volume.is_none_or(|v| v <= 100));
    assert!(applied.notice.chars().count() <= NOTICE_MAX);
    assert!(!applied.notice.chars().any(char::is_control));
    assert!(applied.disabled.iter().all(|j| SWITCHABLE.contains(j)));
    let canonical = serde_json::from_value::<RemoteSettings>(settings)
        .ok()
        .and_then(|r| serde_json::to_value(r).ok());
    match canonical.as_ref().map(validate) {
        Some(Ok((again, hash_again))) => {
            assert_eq!(hash_again, hash);
            assert_eq!(again, applied);
        }
        other => panic!("canonical settings refused: {other:?}"),
    }
}
