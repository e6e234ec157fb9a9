//! Remote configuration (issue 18, KS33): staff set whitelisted settings
//! for a kiosk or for every kiosk at the centre; this kiosk asks at start
//! and every `[store] config_interval_s`, validates what it gets, applies
//! a valid version without a restart (the session's idle timeout,
//! maintenance mode, journeys switched off, the hall's notice, elderly
//! mode by default, the voice prompts' volume) and reports the version and hash in its health
//! reports — or, for an invalid version, that it refused it and why (the
//! settings in effect stay).

use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};
use serde_json::Value;

use kiosk_core::session::journey::Journey;
use kiosk_core::session::settings::Settings;
use kiosk_sync::wire::{HealthReportInput, RemoteSettings, TerminalConfigInput};

use crate::health::DeviceBoard;

/// The idle timeout staff may set, seconds.
pub const IDLE_RANGE: std::ops::RangeInclusive<u64> = 30..=600;
/// The journeys staff may switch off: those with a tile of their own,
/// which the screen then hides.
pub const SWITCHABLE: [Journey; 4] = [
    Journey::Certificate,
    Journey::Filing,
    Journey::Chronic,
    Journey::Premium,
];

/// The longest notice, characters.
pub const NOTICE_MAX: usize = 120;

/// The remote configuration in effect, for the health reports.
#[derive(Debug, Default)]
pub struct RemoteConfig {
    state: Mutex<Applied>,
}

#[derive(Debug, Default, Clone)]
struct Applied {
    version: i64,
    hash: String,
    refused_version: i64,
    refused: String,
}

impl RemoteConfig {
    /// The version in effect (0: none).
    pub fn version(&self) -> i64 {
        self.lock().version
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Applied> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The report's remote-configuration fields.
    pub fn fill_report(&self, report: &mut HealthReportInput) {
        let a = self.lock().clone();
        report.remote_config_version = a.version;
        report.remote_config_hash = a.hash;
        if a.refused_version > a.version {
            report.remote_config_refused = format!("version {}: {}", a.refused_version, a.refused);
        }
    }
}

/// Checks staff's settings: only known keys, values in range. Returns
/// what the session applies and the hash of the settings as applied.
pub fn validate(settings: &Value) -> Result<(Settings, String), String> {
    let remote: RemoteSettings =
        serde_json::from_value(settings.clone()).map_err(|e| format!("settings: {e}"))?;
    if let Some(s) = remote.idle_timeout_s
        && !IDLE_RANGE.contains(&s)
    {
        return Err(format!(
            "idle_timeout_s {s} outside {}–{}",
            IDLE_RANGE.start(),
            IDLE_RANGE.end()
        ));
    }
    if let Some(v) = remote.voice_volume
        && v > 100
    {
        return Err(format!("voice_volume {v} above 100"));
    }
    if remote.notice.chars().count() > NOTICE_MAX {
        return Err(format!("notice longer than {NOTICE_MAX} characters"));
    }
    if remote.notice.chars().any(|c| {
        c.is_control()
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    }) {
        return Err("notice has control or bidi characters".into());
    }
    let mut disabled = Vec::new();
    for id in &remote.disabled_journeys {
        match Journey::ALL.iter().find(|j| j.id() == id) {
            Some(j) if SWITCHABLE.contains(j) => disabled.push(*j),
            // The enrollment query is what a kiosk is for; the lookups
            // have no tile of their own to hide.
            Some(_) => return Err(format!("{id} cannot be switched off")),
            None => return Err(format!("unknown journey {id:?}")),
        }
    }
    let canonical = serde_json::to_vec(&remote).map_err(|e| e.to_string())?;
    Ok((
        Settings {
            idle_after: remote.idle_timeout_s.map(Duration::from_secs),
            maintenance: remote.maintenance,
            disabled,
            notice: remote.notice,
            elderly_default: remote.elderly_default.unwrap_or(false),
            voice_volume: remote.voice_volume,
        },
        crate::metrics::config_hash(&canonical),
    ))
}

/// Asks the centre once and applies a new valid version with `apply`.
/// Returns whether anything changed (applied or refused).
pub fn check_once(
    client: &kiosk_sync::CentralClient,
    terminal_id: &str,
    config: &RemoteConfig,
    apply: &dyn Fn(Settings),
) -> Result<bool, kiosk_sync::Error> {
    let applied = config.lock().clone();
    let answer = client.terminal_config(&TerminalConfigInput {
        terminal_id: terminal_id.to_string(),
        applied_version: applied.version,
    })?;
    if answer.version == applied.version || answer.version == applied.refused_version {
        return Ok(false);
    }
    if answer.version == 0 {
        // Staff removed it: back to the file's settings.
        apply(Settings::default());
        *config.lock() = Applied::default();
        tracing::info!("remote configuration removed: the file's settings apply");
        return Ok(true);
    }
    match validate(&answer.settings) {
        Ok((settings, hash)) => {
            tracing::info!(version = answer.version, "remote configuration applied");
            apply(settings);
            let mut a = config.lock();
            a.version = answer.version;
            a.hash = hash;
        }
        Err(reason) => {
            tracing::warn!(version = answer.version, %reason, "remote configuration refused");
            let mut a = config.lock();
            a.refused_version = answer.version;
            a.refused = reason;
        }
    }
    Ok(true)
}

/// Starts the poller: at once, then every `interval`, until `stop`.
/// A change wakes the health reporter (`board`), so the centre learns
/// within seconds what was applied or refused.
pub fn spawn(
    client: Arc<kiosk_sync::CentralClient>,
    terminal_id: String,
    interval: Duration,
    config: Arc<RemoteConfig>,
    apply: Box<dyn Fn(Settings) + Send>,
    board: DeviceBoard,
    stop: Receiver<()>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("remote-config".into())
        .spawn(move || {
            loop {
                match check_once(&client, &terminal_id, &config, apply.as_ref()) {
                    Ok(true) => board.wake(crate::health::trigger::CONFIG_CHANGE),
                    Ok(false) => {}
                    Err(e) => tracing::debug!("remote configuration not fetched: {e}"),
                }
                match stop.recv_timeout(interval) {
                    Err(RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
            }
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn valid_settings_apply_and_hash_the_same_whatever_the_key_order() {
        let (s, hash) = validate(&json!({
            "idle_timeout_s": 90, "maintenance": true, "notice": "今日 16:00 停止服务",
            "disabled_journeys": ["premium"], "elderly_default": true
        }))
        .unwrap();
        assert_eq!(s.idle_after, Some(Duration::from_secs(90)));
        assert!(s.maintenance && s.elderly_default);
        assert_eq!(s.disabled, vec![Journey::Premium]);
        let (_, again) = validate(&json!({
            "elderly_default": true, "disabled_journeys": ["premium"],
            "notice": "今日 16:00 停止服务", "maintenance": true, "idle_timeout_s": 90
        }))
        .unwrap();
        assert_eq!(hash, again);
        assert_eq!(hash.len(), 64);
    }

    #[test]
    fn invalid_settings_are_refused_with_the_reason() {
        for (settings, why) in [
            (json!({"idle_timeout_s": 5}), "outside"),
            (json!({"idle_timeout_s": "90"}), "settings"),
            (json!({"voice_volume": 150}), "above 100"),
            (json!({"volume": 3}), "unknown field"),
            (json!({"disabled_journeys": ["lottery"]}), "unknown journey"),
            (json!({"disabled_journeys": ["enrollment_query"]}), "cannot"),
            (json!({"disabled_journeys": ["guides"]}), "cannot"),
            (json!({"notice": "x".repeat(121)}), "longer"),
            (json!({"notice": "a\u{202e}b"}), "bidi"),
            (json!({"notice": "a\nb"}), "control"),
        ] {
            let err = validate(&settings).unwrap_err();
            assert!(err.contains(why), "{settings}: {err}");
        }
    }
}
