//! Production mode and the start-up report.
//!
//! `kiosk --config FILE` (the packaged service) runs in **production
//! mode**: nothing is simulated, every device and the centre must be
//! configured. What is missing or wrong becomes a [`Problem`] in the
//! [`StartupReport`], one line each (what, where, what to do), printed at
//! start, sent to the log and to systemd's `STATUS=`. A [`Severity::Fatal`]
//! problem refuses start-up (the kiosk cannot run honestly without it: the
//! centre, the terminal's identity, an automation API without a token); a
//! [`Severity::Degraded`] one takes its part out of service
//! ([`OutOfService`]): the journeys that need it tell the citizen to go to
//! the counter, and the rest of the kiosk runs.
//!
//! With no configuration file, or a file that asks for it with
//! `[simulation] enabled = true`, the kiosk runs in **simulation mode**
//! (only in a build with the `simulators` feature): whatever is not
//! configured is simulated, and the screen says so (演示模式 badge).
//!
//! Other checks (the central link's TLS and keys) add their own
//! [`Problem`]s with [`StartupReport::push`].

use std::fmt;
use std::path::Path;

use kiosk_core::tr;

use crate::config::Config;

/// How the kiosk runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every part real; nothing simulated, no demo people.
    Production,
    /// What is not configured is simulated; the screen shows the demo badge.
    Simulation,
}

impl Mode {
    /// The mode for `config`, read from `file` (`None`: no file at all).
    pub fn of(config: &Config, file: Option<&Path>) -> Mode {
        if file.is_none() || config.simulation.enabled {
            Mode::Simulation
        } else {
            Mode::Production
        }
    }
}

/// Whether the binary carries the simulators and the demo centre (cargo
/// feature `simulators`; off in the Debian package).
pub const HAS_SIMULATORS: bool = cfg!(feature = "simulators");

/// A part of the kiosk a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The ID card reader.
    IdCardReader,
    /// The social security card reader.
    SsCardReader,
    /// The e-voucher QR scanner.
    QrScanner,
    /// The receipt printer.
    Printer,
    /// The central service.
    Central,
    /// The automation API.
    Automation,
    /// The terminal's identity, the display, anything else.
    Terminal,
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Start-up is refused.
    Fatal,
    /// The part is out of service (when it is a device that is not
    /// configured) or may fail; the kiosk runs.
    Degraded,
}

/// One line of the start-up report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong ("printer not configured").
    pub what: String,
    /// Where ("[devices] printer in /etc/kiosk/kiosk.toml", a device path).
    pub where_: String,
    /// What to do about it.
    pub todo: String,
    /// The part concerned.
    pub part: Part,
    /// Fatal or degraded.
    pub severity: Severity,
    /// The part is taken out of service for this run (its journeys are
    /// disabled with a message for the citizen).
    pub disables: bool,
}

impl Problem {
    /// A problem that refuses start-up.
    pub fn fatal(
        part: Part,
        what: impl Into<String>,
        where_: impl Into<String>,
        todo: impl Into<String>,
    ) -> Problem {
        Problem {
            what: what.into(),
            where_: where_.into(),
            todo: todo.into(),
            part,
            severity: Severity::Fatal,
            disables: false,
        }
    }

    /// A problem the kiosk runs with.
    pub fn degraded(
        part: Part,
        what: impl Into<String>,
        where_: impl Into<String>,
        todo: impl Into<String>,
    ) -> Problem {
        Problem {
            severity: Severity::Degraded,
            ..Problem::fatal(part, what, where_, todo)
        }
    }

    /// The part is out of service for this run.
    pub fn disabling(mut self) -> Problem {
        self.disables = true;
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Fatal => "error",
            Severity::Degraded => "problem",
        };
        write!(
            f,
            "{level}: {} — {} — {}",
            self.what, self.where_, self.todo
        )
    }
}

/// Every problem found at start.
#[derive(Debug, Clone, Default)]
pub struct StartupReport {
    problems: Vec<Problem>,
}

impl StartupReport {
    /// Adds a problem.
    pub fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// The problems, in the order found.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Whether start-up must be refused.
    pub fn is_fatal(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Fatal)
    }

    /// The parts taken out of service.
    pub fn out_of_service(&self) -> OutOfService {
        let mut out = OutOfService::default();
        for p in self.problems.iter().filter(|p| p.disables) {
            out.parts.push(p.part);
        }
        out
    }

    /// Prints the report (one line each) and logs it.
    pub fn print(&self) {
        for p in &self.problems {
            println!("kiosk: {p}");
            match p.severity {
                Severity::Fatal => tracing::error!(part = ?p.part, "start-up: {p}"),
                Severity::Degraded => tracing::warn!(part = ?p.part, "start-up: {p}"),
            }
        }
    }

    /// A short summary for systemd's `STATUS=`: what is degraded.
    pub fn status(&self) -> String {
        if self.problems.is_empty() {
            return "ready".into();
        }
        let what: Vec<&str> = self.problems.iter().map(|p| p.what.as_str()).collect();
        format!("degraded: {}", what.join("; "))
    }
}

/// The parts that are out of service for this run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutOfService {
    parts: Vec<Part>,
}

impl OutOfService {
    /// Whether `part` is out of service.
    pub fn has(&self, part: Part) -> bool {
        self.parts.contains(&part)
    }

    /// The citizen's notices for the home screen, one per part.
    pub fn notices(&self) -> Vec<String> {
        self.parts
            .iter()
            .filter_map(|p| citizen_notice(*p))
            .map(str::to_string)
            .collect()
    }
}

/// What a citizen is told about a part that is out of service.
pub fn citizen_notice(part: Part) -> Option<&'static str> {
    Some(match part {
        Part::IdCardReader => tr!("身份证读卡器暂停服务，请使用社保卡或医保电子凭证"),
        Part::SsCardReader => tr!("社保卡读卡器暂停服务，请使用身份证或医保电子凭证"),
        Part::QrScanner => tr!("扫码器暂停服务，请使用身份证或社保卡"),
        Part::Printer => tr!("打印机暂停服务，请到窗口办理打印"),
        Part::Central | Part::Automation | Part::Terminal => return None,
    })
}

/// The production checks of the configuration `config` read from `file`:
/// every device and the centre configured, the terminal's identity set,
/// the automation API off or protected, configured serial devices present.
pub fn check_production(config: &Config, file: &Path) -> StartupReport {
    let mut report = StartupReport::default();
    let file = file.display();
    let d = &config.devices;
    let devices: [(Part, &str, &Option<String>, &str); 4] = [
        (
            Part::IdCardReader,
            "id_reader",
            &d.id_reader,
            "\"/dev/kiosk/id-reader\"",
        ),
        (
            Part::SsCardReader,
            "ss_card_reader",
            &d.ss_card_reader,
            "\"usb\" or \"usb:VID:PID\"",
        ),
        (
            Part::QrScanner,
            "scanner",
            &d.scanner,
            "\"/dev/kiosk/qr-scanner\"",
        ),
        (
            Part::Printer,
            "printer",
            &d.printer,
            "\"usb://VID:PID\", \"tcp://HOST:9100\" or \"serial:///dev/kiosk/printer?baud=115200\"",
        ),
    ];
    for (part, key, setting, example) in devices {
        match setting {
            None => report.push(
                Problem::degraded(
                    part,
                    format!("{} not configured", part_name(part)),
                    format!("[devices] {key} in {file}"),
                    format!("set {key} = {example}; until then its journeys are out of service"),
                )
                .disabling(),
            ),
            Some(path) if path.starts_with('/') && !Path::new(path).exists() => {
                report.push(Problem::degraded(
                    part,
                    format!("{} not found", part_name(part)),
                    path.clone(),
                    "check its cable and the udev rule (ls -l /dev/kiosk/); the kiosk keeps looking for it",
                ));
            }
            Some(_) => {}
        }
    }
    if let Some(camera) = &d.document_camera {
        report.push(Problem::degraded(
            Part::Terminal,
            "document camera configured, but this build has no driver for it",
            format!("{camera} ([devices] document_camera in {file})"),
            "a proxy's written authorisation is checked by staff and ticked on the screen; remove the setting or install a build with the camera's driver",
        ));
    }
    if config.central.url.is_none() {
        report.push(Problem::fatal(
            Part::Central,
            "central service not configured",
            format!("[central] url in {file}"),
            "set url = \"https://…\" (the province's medical-insurance platform)",
        ));
    }
    if config.terminal.id == crate::config::TerminalConfig::default().id
        || config.terminal.hall_name == crate::config::TerminalConfig::default().hall_name
    {
        report.push(Problem::fatal(
            Part::Terminal,
            "terminal identity not configured (the demo id or hall is in use)",
            format!("[terminal] id and hall_name in {file}"),
            "set the id the centre registered for this kiosk and the hall's name",
        ));
    }
    if let Some(problem) = check_automation(config, &file.to_string()) {
        report.push(problem);
    }
    report
}

/// The automation API in production: off unless `[automation] enabled =
/// true`, and then only with a token of at least 16 characters.
fn check_automation(config: &Config, file: &str) -> Option<Problem> {
    if config.automation.enabled != Some(true) {
        return None;
    }
    match config.automation.token.as_deref().map(str::trim) {
        Some(token) if token.chars().count() >= MIN_TOKEN_CHARS => None,
        Some(_) => Some(Problem::fatal(
            Part::Automation,
            "automation API token too short",
            format!("[automation] token in {file}"),
            format!(
                "use at least {MIN_TOKEN_CHARS} random characters (e.g. openssl rand -hex 16), or set enabled = false"
            ),
        )),
        None => Some(Problem::fatal(
            Part::Automation,
            "automation API enabled without a token",
            format!("[automation] token in {file}"),
            "set token = \"…\" (e.g. openssl rand -hex 16), or set enabled = false",
        )),
    }
}

/// The shortest automation token production accepts.
pub const MIN_TOKEN_CHARS: usize = 16;

fn part_name(part: Part) -> &'static str {
    match part {
        Part::IdCardReader => "ID card reader",
        Part::SsCardReader => "social security card reader",
        Part::QrScanner => "QR scanner",
        Part::Printer => "printer",
        Part::Central => "central service",
        Part::Automation => "automation API",
        Part::Terminal => "terminal",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const FULL: &str = "[terminal]\nid = \"K2201-B007\"\nhall_name = \"长春市医疗保障服务大厅\"\n\
        [devices]\nid_reader = \"/dev/null\"\nss_card_reader = \"usb\"\nscanner = \"/dev/null\"\n\
        printer = \"tcp://127.0.0.1:9100\"\n[central]\nurl = \"https://fsi.example.gov.cn\"\n";

    fn report(text: &str) -> StartupReport {
        check_production(
            &toml::from_str(text).unwrap(),
            Path::new("/etc/kiosk/kiosk.toml"),
        )
    }

    #[test]
    fn a_complete_configuration_has_no_problem() {
        let r = report(FULL);
        assert!(r.problems().is_empty(), "{:?}", r.problems());
        assert_eq!(r.status(), "ready");
        assert!(r.out_of_service().notices().is_empty());
    }

    #[test]
    fn a_missing_device_is_a_degraded_line_that_takes_it_out_of_service() {
        let r = report(&FULL.replace("printer = \"tcp://127.0.0.1:9100\"\n", ""));
        assert!(!r.is_fatal());
        assert_eq!(r.problems().len(), 1);
        let line = r.problems()[0].to_string();
        assert!(line.contains("printer not configured"), "{line}");
        assert!(
            line.contains("[devices] printer in /etc/kiosk/kiosk.toml"),
            "{line}"
        );
        assert!(line.contains("set printer = "), "{line}");
        let out = r.out_of_service();
        assert!(out.has(Part::Printer));
        assert!(!out.has(Part::IdCardReader));
        assert_eq!(
            out.notices(),
            vec!["打印机暂停服务，请到窗口办理打印".to_string()]
        );
        assert!(r.status().contains("printer not configured"));
    }

    #[test]
    fn a_configured_device_that_is_absent_is_reported_but_kept() {
        let r = report(&FULL.replace(
            "scanner = \"/dev/null\"",
            "scanner = \"/dev/kiosk/no-such-scanner\"",
        ));
        assert_eq!(r.problems().len(), 1);
        assert_eq!(r.problems()[0].what, "QR scanner not found");
        assert_eq!(r.problems()[0].where_, "/dev/kiosk/no-such-scanner");
        assert!(!r.out_of_service().has(Part::QrScanner));
    }

    #[test]
    fn no_centre_or_no_identity_refuses_start_up() {
        let r = report(&FULL.replace("[central]\nurl = \"https://fsi.example.gov.cn\"\n", ""));
        assert!(r.is_fatal());
        assert_eq!(r.problems()[0].part, Part::Central);
        let r = report(&FULL.replace("id = \"K2201-B007\"\n", ""));
        assert!(r.is_fatal());
        assert_eq!(r.problems()[0].part, Part::Terminal);
    }

    #[test]
    fn the_automation_api_needs_a_long_token_in_production() {
        assert!(
            report(&format!("{FULL}[automation]\nenabled = false\n"))
                .problems()
                .is_empty()
        );
        let r = report(&format!("{FULL}[automation]\nenabled = true\n"));
        assert!(r.is_fatal());
        assert!(r.problems()[0].what.contains("without a token"));
        let r = report(&format!(
            "{FULL}[automation]\nenabled = true\ntoken = \"short\"\n"
        ));
        assert!(r.is_fatal());
        let r = report(&format!(
            "{FULL}[automation]\nenabled = true\ntoken = \"0123456789abcdef\"\n"
        ));
        assert!(r.problems().is_empty());
    }

    #[test]
    fn the_mode_is_production_for_a_file_unless_it_asks_for_simulation() {
        let full: Config = toml::from_str(FULL).unwrap();
        assert_eq!(Mode::of(&full, None), Mode::Simulation);
        assert_eq!(Mode::of(&full, Some(Path::new("k.toml"))), Mode::Production);
        let sim: Config = toml::from_str("[simulation]\nenabled = true\n").unwrap();
        assert_eq!(Mode::of(&sim, Some(Path::new("k.toml"))), Mode::Simulation);
    }
}
