//! Kiosk configuration (`kiosk.toml`). Every section is optional: a device
//! or service that is not configured is simulated, so `kiosk` with no
//! configuration at all runs in simulation mode. See docs/configuration.md.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Who and where this kiosk is.
    #[serde(default)]
    pub terminal: TerminalConfig,
    /// Hardware.
    #[serde(default)]
    pub devices: DevicesConfig,
    /// The central service.
    #[serde(default)]
    pub central: CentralConfig,
    /// The local automation API.
    #[serde(default)]
    pub automation: AutomationConfig,
    /// Screen.
    #[serde(default)]
    pub ui: UiConfig,
    /// The local store, the outbox and the sync schedule.
    #[serde(default)]
    pub store: StoreConfig,
    /// Simulation with a configuration file (development only).
    #[serde(default)]
    pub simulation: SimulationConfig,
}

/// `[simulation]`: a configuration file normally means production mode
/// (nothing simulated, see `startup`); `enabled = true` asks for
/// simulation mode instead, where every part not configured is simulated
/// and the screen shows the demo badge (builds with the `simulators`
/// feature only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimulationConfig {
    /// Simulation mode with this file.
    pub enabled: bool,
}

/// `[terminal]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TerminalConfig {
    /// Terminal id (also the `msgid` prefix).
    pub id: String,
    /// Terminal name.
    pub name: String,
    /// Service hall shown in the header and printed on slips.
    pub hall_name: String,
    /// Area code where the kiosk stands.
    pub area_code: String,
    /// Institution code of the hall.
    pub institution_code: String,
    /// Region profile id: `jilin`, `linkou` or `yunnan`.
    pub region: String,
    /// A region profile file to use instead of the built-in one.
    pub region_file: Option<PathBuf>,
}

impl Default for TerminalConfig {
    fn default() -> Self {
        TerminalConfig {
            id: "K2201-A001".into(),
            name: "医保自助服务终端（演示）".into(),
            hall_name: "长春市医疗保障服务大厅（演示）".into(),
            area_code: "220100".into(),
            institution_code: "H22010000001".into(),
            region: "jilin".into(),
            region_file: None,
        }
    }
}

/// `[devices]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DevicesConfig {
    /// Serial port of the ID card reader (absent: simulated).
    pub id_reader: Option<String>,
    /// Its baud rate.
    pub id_reader_baud: u32,
    /// How often the reader is asked whether a card is present.
    pub id_reader_poll_ms: u64,
    /// Printer URI, e.g. `tcp://192.168.1.50:9100` (absent: simulated).
    pub printer: Option<String>,
    /// Paper width in mm: 58 or 80.
    pub paper_mm: u32,
    /// The printer's Chinese character set: `gb18030` or `gbk` (a
    /// GBK-only printer). Either way, characters the printer lacks (rare
    /// characters in names) are sent as user-defined characters drawn from
    /// the installed CJK fonts.
    pub printer_charset: String,
    /// The printer has no QR command (`GS ( k`): QR codes are sent as
    /// raster images drawn by the kiosk.
    pub printer_raster_qr: bool,
    /// Social security card reader: `pcsc` (the first reader of pcscd) or
    /// `pcsc:NAME` (the reader whose name contains NAME); `ccid` / `usb`
    /// (the kiosk's own CCID driver on the first USB CCID reader,
    /// interface class 0B) or `ccid:VID:PID` / `usb:VID:PID` in hex;
    /// `auto` (pcsc when pcscd answers, else ccid). Absent: simulated.
    pub ss_card_reader: Option<String>,
    /// The reader's PSAM for terminal authentication: `slot:N` (slot N of
    /// the CCID reader) or `pcsc:NAME` (a pcscd reader). Absent: no PSAM
    /// (fields the card protects are not read).
    pub ss_card_psam: Option<String>,
    /// How often the card slot is polled.
    pub ss_card_poll_ms: u64,
    /// Serial port of the e-voucher QR scanner (absent: simulated).
    pub scanner: Option<String>,
    /// Its baud rate.
    pub scanner_baud: u32,
    /// The same code scanned again within this window is one scan.
    pub scanner_debounce_ms: u64,
    /// Prefixes an e-voucher token must start with (empty: any opaque
    /// token). Provisional: the default accepts the demo tokens; see
    /// `kiosk_drivers::scanner::TokenRule`.
    pub evoucher_prefixes: Vec<String>,
    /// Document camera (高拍仪) for a proxy's written authorisation
    /// (absent: staff check the paper and tick it on the screen). This
    /// build has no driver: a configured camera is reported at start and
    /// staff confirm instead (firmware/kiosk/src/camera.rs).
    pub document_camera: Option<String>,
}

impl Default for DevicesConfig {
    fn default() -> Self {
        DevicesConfig {
            id_reader: None,
            id_reader_baud: 115_200,
            id_reader_poll_ms: 125,
            printer: None,
            paper_mm: 58,
            printer_charset: "gb18030".into(),
            printer_raster_qr: false,
            ss_card_reader: None,
            ss_card_psam: None,
            ss_card_poll_ms: 300,
            scanner: None,
            scanner_baud: 9600,
            scanner_debounce_ms: 3000,
            evoucher_prefixes: kiosk_drivers::scanner::TokenRule::default().prefixes,
            document_camera: None,
        }
    }
}

/// `[central]`: where the central service is and how the link to it is
/// secured (TLS, client certificate, pin, envelope signatures, gateway
/// headers). See docs/configuration.md "Connecting to a province's
/// platform"; `firmware/kiosk/src/centrallink.rs` checks it at start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CentralConfig {
    /// Base URL of the central service (absent: the built-in reference service).
    pub url: Option<String>,
    /// Per-request timeout.
    pub timeout_ms: u64,
    /// PEM bundle of the CAs to trust (absent: the system's trust store).
    pub ca_file: Option<PathBuf>,
    /// PEM certificate of this terminal, for mutual TLS.
    pub client_cert: Option<PathBuf>,
    /// PEM private key of `client_cert` (mode 0600).
    pub client_key: Option<PathBuf>,
    /// SPKI pins (base64 SHA-256) of the centre's certificate; any may match.
    pub pin_sha256: Vec<String>,
    /// Envelope signatures: `sm2` (SM2/SM3 with `key_file`) or `none`
    /// (only for a reference centre on loopback `http://`). Absent: `none`
    /// for loopback `http://`, else `sm2`.
    pub signer: Option<String>,
    /// The terminal's SM2 key (PKCS#8 PEM, mode 0600; `kiosk keygen`).
    pub key_file: Option<PathBuf>,
    /// `dev_safe_info` as the province registered it (absent: the key id).
    pub device_safe_info: Option<String>,
    /// Gateway headers, when the province's gateway requires them.
    pub gateway: Option<GatewayConfig>,
}

impl Default for CentralConfig {
    fn default() -> Self {
        CentralConfig {
            url: None,
            timeout_ms: 5_000,
            ca_file: None,
            client_cert: None,
            client_key: None,
            pin_sha256: Vec::new(),
            signer: None,
            key_file: None,
            device_safe_info: None,
            gateway: None,
        }
    }
}

/// `[central.gateway]`: the provincial gateway's request headers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// The service id the province issued.
    pub service_id: String,
    /// File holding the shared secret (mode 0600).
    pub secret_file: PathBuf,
    /// `sha256` (default) or `sm3`.
    #[serde(default = "default_gateway_digest")]
    pub digest: String,
    /// Header carrying the service id.
    #[serde(default = "header_service_id")]
    pub header_service_id: String,
    /// Header carrying the timestamp.
    #[serde(default = "header_timestamp")]
    pub header_timestamp: String,
    /// Header carrying the nonce.
    #[serde(default = "header_nonce")]
    pub header_nonce: String,
    /// Header carrying the signature.
    #[serde(default = "header_signature")]
    pub header_signature: String,
}

fn default_gateway_digest() -> String {
    "sha256".into()
}
fn header_service_id() -> String {
    kiosk_sync::gateway::GatewayHeaders::default().service_id
}
fn header_timestamp() -> String {
    kiosk_sync::gateway::GatewayHeaders::default().timestamp
}
fn header_nonce() -> String {
    kiosk_sync::gateway::GatewayHeaders::default().nonce
}
fn header_signature() -> String {
    kiosk_sync::gateway::GatewayHeaders::default().signature
}

/// `[automation]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AutomationConfig {
    /// On or off; default: on in simulation mode only.
    pub enabled: Option<bool>,
    /// Port on 127.0.0.1 (0 picks a free port; the port is printed at start).
    pub port: u16,
    /// When set, every request needs `Authorization: Bearer <token>`.
    pub token: Option<String>,
}

impl Default for AutomationConfig {
    fn default() -> Self {
        AutomationConfig {
            enabled: None,
            port: 8765,
            token: None,
        }
    }
}

/// `[ui]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// `portrait` (1080×1920) or `landscape` (1920×1080).
    pub orientation: String,
    /// Seconds without a touch before a session ends (the last
    /// `countdown_s` show a countdown with a button to continue).
    pub idle_timeout_s: u64,
    /// Length of the visible countdown.
    pub countdown_s: u64,
    /// Voice prompts on or off.
    pub voice: bool,
    /// Folder of the prompt recordings (`<prompt id>.wav`).
    pub voice_dir: PathBuf,
    /// The program that plays a WAV file.
    pub voice_player: String,
    /// Screen language: `zh-CN` (default) or one bundled under `i18n/`
    /// (`en`). Printed documents stay in Chinese.
    pub language: String,
    /// Display: `auto` (a window with a display server, else headless),
    /// `linuxkms` (the panel, no compositor), `winit`, `headless`.
    /// `SLINT_BACKEND` wins. See `display`.
    pub backend: String,
    /// Picture rotation for linuxkms (0, 90, 180, 270 degrees): a portrait
    /// panel mounted sideways.
    pub rotation: u32,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            orientation: "portrait".into(),
            idle_timeout_s: 60,
            countdown_s: 10,
            voice: true,
            voice_dir: PathBuf::from("data/voice"),
            voice_player: "aplay".into(),
            language: kiosk_core::texts::SOURCE_LANGUAGE.into(),
            backend: "auto".into(),
            rotation: 0,
        }
    }
}

/// `[store]`: the local SQLite store, the outbox key and the sync
/// schedule. See docs/configuration.md and docs/store.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// The SQLite file (absent: `kiosk.db` in `$XDG_DATA_HOME/kiosk/`,
    /// else `~/.local/share/kiosk/`, else a temporary directory).
    pub path: Option<PathBuf>,
    /// The outbox key file, 64 hex digits, created (mode 0600) on first
    /// start; never inside the database (absent: `outbox.key` beside the
    /// database).
    pub key_file: Option<PathBuf>,
    /// Seconds between scheduled reference-data pulls (and purges).
    pub sync_interval_s: u64,
    /// Seconds before the engine tries again after the centre was unreachable.
    pub retry_interval_s: u64,
    /// Days answered outbox records and finished print jobs are kept.
    pub retention_days: u64,
    /// Seconds between terminal health reports (0: none).
    pub health_interval_s: u64,
    /// Seconds between asks for the remote configuration (KS33; 0: never).
    pub config_interval_s: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: None,
            key_file: None,
            sync_interval_s: 15 * 60,
            retry_interval_s: 5,
            retention_days: 30,
            health_interval_s: 15 * 60,
            config_interval_s: 60,
        }
    }
}

impl Config {
    /// Reads a configuration file.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
            file: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let config = Config::parse(&text).map_err(|e| Error::Config {
            file: path.display().to_string(),
            reason: e.to_string(),
        })?;
        config.check_terminal().map_err(|reason| Error::Config {
            file: path.display().to_string(),
            reason,
        })?;
        Ok(config)
    }

    /// What every mode needs of `[terminal]`: the id goes into every
    /// `msgid`, file name and log line, the hall's name onto every screen
    /// and slip, so the id is 1–32 ASCII letters, digits, `-` or `_`, and
    /// the name 1–64 characters without control or bidirectional-formatting
    /// characters (tests/hostile.rs tries both).
    pub fn check_terminal(&self) -> Result<(), String> {
        let id = &self.terminal.id;
        let id_ok = (1..=32).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_ok {
            return Err(
                "[terminal] id: 1 to 32 ASCII letters, digits, '-' or '_' (e.g. \"K2201-A001\")"
                    .into(),
            );
        }
        let name = &self.terminal.hall_name;
        let hidden = |c: char| {
            c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
        };
        if name.trim().is_empty() || name.chars().count() > 64 || name.chars().any(hidden) {
            return Err(
                "[terminal] hall_name: 1 to 64 characters, no control or bidi characters".into(),
            );
        }
        Ok(())
    }

    /// Parses the text of a configuration file: TOML, only known keys,
    /// every value of its type. (What the production checks make of the
    /// values is [`startup::check_production`](crate::startup::check_production)'s.)
    pub fn parse(text: &str) -> Result<Config, toml::de::Error> {
        toml::from_str(text)
    }

    /// Whether any device or service is simulated.
    pub fn simulates_anything(&self) -> bool {
        self.devices.id_reader.is_none()
            || self.devices.printer.is_none()
            || self.devices.ss_card_reader.is_none()
            || self.devices.scanner.is_none()
            || self.central.url.is_none()
    }

    /// Whether the automation API runs.
    pub fn automation_enabled(&self) -> bool {
        self.automation
            .enabled
            .unwrap_or_else(|| self.simulates_anything())
    }

    /// The central-service timeout.
    pub fn central_timeout(&self) -> Duration {
        Duration::from_millis(self.central.timeout_ms.max(100))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn store_section_has_working_defaults_and_reads_every_key() {
        let config: Config = toml::from_str("").unwrap();
        assert_eq!(config.store.path, None);
        assert_eq!(config.store.sync_interval_s, 900);
        assert_eq!(config.store.health_interval_s, 900);
        let config: Config = toml::from_str(
            "[store]\npath = \"/var/lib/kiosk/kiosk.db\"\nkey_file = \"/etc/kiosk/outbox.key\"\n\
             sync_interval_s = 60\nretry_interval_s = 2\nretention_days = 7\nhealth_interval_s = 0\n",
        )
        .unwrap();
        assert_eq!(
            config.store.path.as_deref(),
            Some(Path::new("/var/lib/kiosk/kiosk.db"))
        );
        assert_eq!(
            config.store.key_file.as_deref(),
            Some(Path::new("/etc/kiosk/outbox.key"))
        );
        assert_eq!(config.store.sync_interval_s, 60);
        assert_eq!(config.store.retention_days, 7);
        assert_eq!(config.store.health_interval_s, 0);
        assert!(toml::from_str::<Config>("[store]\nkey = \"00\"\n").is_err());
    }
}
