//! Technicians' command-line tools on the `kiosk` binary.

use clap::Args;

use kiosk_core::region::{KioskAction, ServiceItem};

use crate::app::load_region;
use crate::config::Config;
use crate::error::Error;

/// `kiosk guides`.
#[derive(Debug, Args)]
pub struct GuidesArgs {
    /// Region id (jilin, linkou, yunnan); default: the configured one.
    #[arg(long)]
    pub region: Option<String>,
    /// Print one item (its profile code or seed code) in full.
    #[arg(long)]
    pub item: Option<String>,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

fn actions(item: &ServiceItem) -> String {
    item.kiosk
        .iter()
        .map(|a| match a {
            KioskAction::Query => "可查询",
            KioskAction::Print => "可打印",
            KioskAction::File => "可办理",
            KioskAction::Guide => "仅指南",
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// Appends a line to a text being built (writing to a `String` cannot fail).
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

/// Writes a tool's output; a closed pipe (`kiosk guides | head`) is not an error.
fn emit(text: &str) -> Result<(), Error> {
    use std::io::Write as _;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Io(e)),
        _ => Ok(()),
    }
}

/// Lists or prints service guides.
pub fn guides(config: &Config, args: &GuidesArgs) -> Result<(), Error> {
    let mut config = config.clone();
    if let Some(region) = &args.region {
        config.terminal.region = region.clone();
        config.terminal.region_file = None;
    }
    let profile = load_region(&config)?;
    let mut out = String::new();
    match &args.item {
        Some(code) => {
            let item = profile.item(code).ok_or_else(|| Error::Config {
                file: profile.id().to_string(),
                reason: format!("no service item {code:?} in region {}", profile.id()),
            })?;
            if args.json {
                outln!(out, "{}", json(item));
                return emit(&out);
            }
            outln!(out, "{}  {}", item.code, item.name);
            outln!(out, "办理方式: {}", actions(item));
            outln!(out, "服务对象: {}", item.service_object);
            if let Some(p) = item.processing {
                outln!(out, "办件类型: {}", p.label());
            }
            outln!(out, "办理时限: {}", item.time_limit);
            if let Some(c) = &item.conditions {
                outln!(out, "受理条件: {c}");
            }
            outln!(out, "申请材料:");
            for m in &item.materials {
                outln!(out, "  - {m}");
            }
            for case in &item.material_cases {
                outln!(out, "  [{}]", case.case);
                for m in &case.materials {
                    outln!(out, "    - {m}");
                }
            }
            if let Some(proxy) = &item.proxy {
                outln!(out, "代办: {proxy}");
            }
            if !item.process.is_empty() {
                outln!(out, "办理流程:");
                for s in &item.process {
                    outln!(
                        out,
                        "  {}{}",
                        s.step,
                        s.text
                            .as_deref()
                            .map(|t| format!("：{t}"))
                            .unwrap_or_default()
                    );
                }
            }
            if !item.channels.is_empty() {
                outln!(out, "办理渠道: {}", item.channels.join("；"));
            }
            if let Some(fees) = &item.fees {
                outln!(out, "收费: {fees}");
            }
            for office in profile.offices_for(item) {
                outln!(out, "办理地点: {} {}", office.area, office.address);
            }
            for basis in &item.legal_basis {
                outln!(out, "设定依据: {basis}");
            }
            outln!(out, "来源: {}", item.source);
        }
        None => {
            if args.json {
                outln!(out, "{}", json(profile.items()));
                return emit(&out);
            }
            outln!(
                out,
                "{} 办事指南，共 {} 项",
                profile.name(),
                profile.items().len()
            );
            for item in profile.items() {
                outln!(out, "{:<8} {}  [{}]", item.code, item.name, actions(item));
            }
        }
    }
    emit(&out)
}

fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// `kiosk read-id`.
#[derive(Debug, Args)]
pub struct ReadIdArgs {
    /// Serial port of the ID card reader (e.g. /dev/ttyUSB0).
    #[arg(long)]
    pub port: String,
    /// Baud rate.
    #[arg(long, default_value_t = 115_200)]
    pub baud: u32,
    /// How long to wait for a card, in seconds.
    #[arg(long, default_value_t = 10)]
    pub wait: u64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// How often the field tools ask a reader whether a card is there.
const TOOL_POLL: std::time::Duration = std::time::Duration::from_millis(300);

/// Polls `read` until it yields a card or `wait` runs out.
fn poll_for<T>(
    wait: std::time::Duration,
    mut read: impl FnMut() -> Result<Option<T>, kiosk_drivers::Error>,
) -> Result<T, ToolFailure> {
    let deadline = std::time::Instant::now() + wait;
    loop {
        if let Some(value) = read().map_err(ToolFailure::Device)? {
            return Ok(value);
        }
        if std::time::Instant::now() + TOOL_POLL > deadline {
            return Err(ToolFailure::NoCard);
        }
        std::thread::sleep(TOOL_POLL);
    }
}

/// Why a field tool failed (printed with a Chinese explanation).
#[derive(Debug)]
pub enum ToolFailure {
    /// The device failed.
    Device(kiosk_drivers::Error),
    /// No card arrived within the wait.
    NoCard,
    /// Anything else.
    Other(Error),
}

impl ToolFailure {
    /// Prints the failure for the technician (technical detail and the
    /// Chinese explanation) on standard error, or as JSON on standard output.
    pub fn report(&self, json: bool) {
        let (technical, chinese) = match self {
            ToolFailure::Device(e) => (e.to_string(), e.user_message()),
            ToolFailure::NoCard => (
                "no card within the wait".to_string(),
                "等待期间未检测到卡片，请放好（插好）卡片后重试。".to_string(),
            ),
            ToolFailure::Other(e) => (e.to_string(), "操作失败，请检查参数和设备连接。".into()),
        };
        if json {
            println!(
                "{}",
                serde_json::json!({ "ok": false, "error": technical, "message": chinese })
            );
        } else {
            eprintln!("kiosk: {technical}\n{chinese}");
        }
    }
}

/// Reads one ID card and prints it.
pub fn read_id(args: &ReadIdArgs) -> Result<(), ToolFailure> {
    use kiosk_core::identity::Expiry;
    let mut reader = kiosk_drivers::idcard::open_serial(
        &args.port,
        args.baud,
        std::time::Duration::from_millis(1500),
    )
    .map_err(ToolFailure::Device)?;
    let doc = poll_for(std::time::Duration::from_secs(args.wait), || {
        reader.read_document()
    })?;
    let valid_to = match doc.valid_to {
        Expiry::Until(d) => d.format("%Y%m%d").to_string(),
        Expiry::LongTerm => "长期".to_string(),
    };
    let record = serde_json::json!({
        "kind": doc.kind,
        "name": doc.name,
        "name_en": doc.name_en,
        "sex": doc.sex.code().to_string(),
        "nation": doc.nation,
        "nationality": doc.nationality,
        "birth": doc.birth_date.format("%Y%m%d").to_string(),
        "address": doc.address,
        "id_number": doc.number,
        "issuer": doc.issuer,
        "valid_from": doc.valid_from.format("%Y%m%d").to_string(),
        "valid_to": valid_to,
        "pass_number": doc.pass_number,
        "photo_bytes": doc.photo_wlt.len(),
    });
    print_record(&record, args.json);
    Ok(())
}

fn print_record(record: &serde_json::Value, as_json: bool) {
    if as_json {
        println!("{}", json(record));
    } else if let Some(map) = record.as_object() {
        for (k, v) in map {
            match v {
                serde_json::Value::Null => {}
                serde_json::Value::String(s) => println!("{k}: {s}"),
                other => println!("{k}: {other}"),
            }
        }
    }
}

/// `kiosk read-card`.
#[derive(Debug, Args)]
pub struct ReadCardArgs {
    /// USB reader by VID:PID in hex (default: the first CCID reader, class 0B).
    #[arg(long, value_name = "VID:PID", conflicts_with = "sim_image")]
    pub usb: Option<String>,
    /// Read a simulated card from this card image file (JSON) instead.
    #[arg(long, value_name = "FILE")]
    pub sim_image: Option<std::path::PathBuf>,
    /// How long to wait for a card, in seconds.
    #[arg(long, default_value_t = 10)]
    pub wait: u64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Reads one social security card and prints it.
pub fn read_card(args: &ReadCardArgs) -> Result<(), ToolFailure> {
    use crate::sscardreader::{ReaderSource, parse_vid_pid};
    let source = match (&args.sim_image, &args.usb) {
        #[cfg(feature = "simulators")]
        (Some(path), _) => {
            use kiosk_sim::sscard::{SimCcidReader, SsCardImage, SsCardSlot};
            let image = SsCardImage::load(path).map_err(|e| ToolFailure::Other(e.into()))?;
            let slot = SsCardSlot::new();
            slot.insert(image);
            ReaderSource::Sim(SimCcidReader::new(slot))
        }
        #[cfg(not(feature = "simulators"))]
        (Some(_), _) => {
            return Err(ToolFailure::Other(Error::NoSimulators(
                "--sim-image needs a build with the simulators feature".into(),
            )));
        }
        (None, Some(ids)) => ReaderSource::Ccid(Some(parse_vid_pid(ids).ok_or_else(|| {
            ToolFailure::Other(Error::Config {
                file: "--usb".into(),
                reason: format!("{ids:?} is not VID:PID in hex (e.g. 076b:3031)"),
            })
        })?)),
        (None, None) => ReaderSource::Ccid(None),
    };
    let mut reader = source.open(None).map_err(ToolFailure::Device)?;
    let record = poll_for(std::time::Duration::from_secs(args.wait), || {
        reader.read_card()
    })?;
    let value = serde_json::to_value(&record).unwrap_or_default();
    print_record(&value, args.json);
    Ok(())
}

/// `kiosk scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Serial port of the QR scanner.
    #[arg(long)]
    pub port: String,
    /// Baud rate.
    #[arg(long, default_value_t = 9600)]
    pub baud: u32,
    /// Stop after this many codes (default: run until interrupted).
    #[arg(long)]
    pub count: Option<usize>,
    /// Stop after this many seconds.
    #[arg(long)]
    pub seconds: Option<u64>,
}

/// Prints each scanned code with its verdict.
pub fn scan(args: &ScanArgs, rule: kiosk_drivers::scanner::TokenRule) -> Result<(), ToolFailure> {
    use kiosk_drivers::scanner::{Debouncer, LineDecoder};
    use std::io::Read;
    let mut port =
        kiosk_drivers::scanner::open_serial(&args.port, args.baud).map_err(ToolFailure::Device)?;
    let deadline = args
        .seconds
        .map(|s| std::time::Instant::now() + std::time::Duration::from_secs(s));
    let mut decoder = LineDecoder::new(rule.max_len);
    // No debouncing beyond exact repeats within half a second: a technician
    // wants to see every scan.
    let mut debouncer = Debouncer::new(std::time::Duration::from_millis(500));
    let mut seen = 0usize;
    let mut buf = [0u8; 512];
    loop {
        if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
            return Ok(());
        }
        match port.read(&mut buf) {
            Ok(n) => decoder.push(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) => {}
            Err(e) => return Err(ToolFailure::Device(kiosk_drivers::Error::Io(e))),
        }
        while let Some(line) = decoder.next_line() {
            let now = std::time::Instant::now();
            match line {
                Ok(bytes) => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    if !debouncer.accept(&text, now) {
                        continue;
                    }
                    match rule.classify(&bytes) {
                        Ok(token) => println!("e-voucher\t{token}"),
                        Err(r) => println!("rejected ({r})\t{text}\t{}", r.user_message()),
                    }
                }
                Err(r) => println!("rejected ({r})\t\t{}", r.user_message()),
            }
            seen += 1;
            if args.count.is_some_and(|c| seen >= c) {
                return Ok(());
            }
        }
    }
}

/// One device's state in `kiosk doctor`.
#[derive(Debug, serde::Serialize)]
pub struct DeviceReport {
    /// Device name.
    pub device: &'static str,
    /// Where it is configured (or "simulated").
    pub at: String,
    /// ok / simulated / warning / failed.
    pub state: &'static str,
    /// Detail.
    pub detail: String,
}

/// `kiosk doctor`: checks every configured device once; simulated ones are
/// listed as such. Returns whether every configured device answered.
pub fn doctor(config: &Config, as_json: bool) -> bool {
    let d = &config.devices;
    let mut reports = Vec::new();
    let failed = |device, at: &str, e: &dyn std::fmt::Display| DeviceReport {
        device,
        at: at.to_string(),
        state: "failed",
        detail: e.to_string(),
    };
    let simulated = |device| DeviceReport {
        device,
        at: "simulated".into(),
        state: "simulated",
        detail: "not configured: simulated in simulation mode, out of service in production".into(),
    };
    reports.push(match &d.id_reader {
        None => simulated("id_card_reader"),
        Some(path) => {
            match kiosk_drivers::idcard::open_serial(
                path,
                d.id_reader_baud,
                std::time::Duration::from_millis(1500),
            )
            .and_then(|mut r| {
                r.sam_status()?;
                let card = r.find_card()?;
                Ok(card)
            }) {
                Ok(card) => DeviceReport {
                    device: "id_card_reader",
                    at: path.clone(),
                    state: "ok",
                    detail: format!(
                        "SAM self-check passed; {}",
                        if card {
                            "a card is on the reader"
                        } else {
                            "no card"
                        }
                    ),
                },
                Err(e) => failed("id_card_reader", path, &e),
            }
        }
    });
    reports.push(match &d.ss_card_reader {
        None => simulated("ss_card_reader"),
        Some(setting) => match crate::sscardreader::ReaderSource::parse(setting) {
            None => failed(
                "ss_card_reader",
                setting,
                &"not pcsc, pcsc:NAME, ccid, ccid:VID:PID or auto",
            ),
            Some(source) => {
                let psam = d
                    .ss_card_psam
                    .as_deref()
                    .and_then(crate::sscardreader::PsamSetting::parse);
                match source.open(psam.as_ref()).and_then(|mut r| {
                    let present = r.card_present()?;
                    Ok((present, r.has_psam()))
                }) {
                    Ok((present, psam)) => DeviceReport {
                        device: "ss_card_reader",
                        at: setting.clone(),
                        state: "ok",
                        detail: format!(
                            "{:?}: slot answered; {}{}",
                            source.resolved(),
                            if present {
                                "a card is inserted"
                            } else {
                                "no card"
                            },
                            if psam { "; PSAM answered" } else { "" }
                        ),
                    },
                    Err(e) => {
                        let (what, todo) = crate::sscardreader::explain(setting, &e);
                        failed("ss_card_reader", setting, &format!("{what}; {todo}"))
                    }
                }
            }
        },
    });
    reports.push(match &d.scanner {
        None => simulated("qr_scanner"),
        Some(path) => match kiosk_drivers::scanner::open_serial(path, d.scanner_baud) {
            Ok(_) => DeviceReport {
                device: "qr_scanner",
                at: path.clone(),
                state: "ok",
                detail:
                    "port opens (a scanner only talks when it scans: scan a code with `kiosk scan`)"
                        .into(),
            },
            Err(e) => failed("qr_scanner", path, &e),
        },
    });
    reports.push(match &d.printer {
        None => simulated("printer"),
        Some(uri) => {
            // The real-time status (DLE EOT 1-4) as a typed state.
            match kiosk_drivers::printer::PrinterLink::open(uri, std::time::Duration::from_secs(3))
                .and_then(|mut link| link.state())
            {
                Ok(printer_state) if printer_state.can_print() => DeviceReport {
                    device: "printer",
                    at: uri.clone(),
                    state: "ok",
                    detail: format!("status {} ({printer_state:?})", printer_state.label()),
                },
                Ok(printer_state) => failed(
                    "printer",
                    uri,
                    &format!("status {} ({printer_state:?})", printer_state.label()),
                ),
                Err(e) => failed("printer", uri, &e),
            }
        }
    });
    reports.extend(central_link_reports(config));
    reports.push(glyph_report());
    let all_ok = reports.iter().all(|r| r.state != "failed");
    // What the udev rules named (packaging/udev/60-kiosk.rules).
    reports.extend(stable_names(std::path::Path::new(STABLE_NAMES)));
    if as_json {
        println!("{}", json(&reports));
    } else {
        for r in &reports {
            println!("{:<16} {:<10} {:<24} {}", r.device, r.state, r.at, r.detail);
        }
    }
    all_ok
}

/// The central link in `kiosk doctor`: each configuration problem on its
/// own line (the same ones that stop `kiosk` from starting), else one
/// sign-in (9001) that says exactly what is wrong with the link, and the
/// clock skew against the centre.
fn central_link_reports(config: &Config) -> Vec<DeviceReport> {
    let Some(url) = &config.central.url else {
        return vec![DeviceReport {
            device: "central_link",
            at: "simulated".into(),
            state: "simulated",
            detail: "not configured: the kiosk starts the built-in reference centre".into(),
        }];
    };
    let security = match crate::centrallink::security(&config.central, url) {
        Ok(s) => s,
        Err(problems) => {
            return problems
                .iter()
                .map(|p| DeviceReport {
                    device: "central_link",
                    at: url.clone(),
                    state: "failed",
                    detail: p.to_string(),
                })
                .collect();
        }
    };
    let signtype = security.signer.signtype().to_string();
    let key_id = security.signer.key_id().to_string();
    let client = kiosk_sync::CentralClient::with_options(
        crate::backend::client_config(config, url.clone()),
        std::sync::Arc::new(kiosk_sync::clock::SystemClock),
        kiosk_sync::client::ClientOptions {
            security,
            ..kiosk_sync::client::ClientOptions::default()
        },
    );
    let report = |state, detail: String| DeviceReport {
        device: "central_link",
        at: url.clone(),
        state,
        detail,
    };
    let client = match client {
        Ok(c) => c,
        Err(e) => return vec![report("failed", e.to_string())],
    };
    let signing = if signtype.is_empty() {
        "envelopes unsigned (loopback reference centre)".to_string()
    } else {
        format!("{signtype} signatures, key id {key_id}")
    };
    let mut reports = vec![match client.sign_in() {
        Ok(_) => report("ok", format!("signed in (9001); {signing}")),
        Err(e) => match e.link_fault() {
            Some(fault) => report(
                "failed",
                format!("{}: {} ({e})", fault.as_str(), fault.explain()),
            ),
            None => report("failed", format!("{e}")),
        },
    }];
    if let Some(skew) = client.clock_skew_s() {
        let bad = skew.abs() > kiosk_sync::client::MAX_CLOCK_SKEW_S;
        reports.push(DeviceReport {
            device: "clock",
            at: url.clone(),
            state: if bad { "failed" } else { "ok" },
            detail: if bad {
                format!("本机时钟与医保中心相差 {skew} 秒（超过 5 分钟）：TLS 和签名会失败，请校准时间（NTP）")
            } else {
                format!("skew against the centre {skew} s")
            },
        });
    }
    reports
}

/// Where the package's udev rules put the kiosk's devices.
pub const STABLE_NAMES: &str = "/dev/kiosk";

/// The devices under `dir` (`/dev/kiosk`), each with what it points to;
/// one line saying there are none when the directory is empty or absent.
pub fn stable_names(dir: &std::path::Path) -> Vec<DeviceReport> {
    let mut found: Vec<DeviceReport> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let path = e.path();
                    let target = std::fs::read_link(&path)
                        .map(|t| dir.join(t))
                        .and_then(|t| t.canonicalize());
                    DeviceReport {
                        device: "udev",
                        at: path.display().to_string(),
                        state: if target.is_ok() { "found" } else { "broken" },
                        detail: match target {
                            Ok(t) => format!("-> {}", t.display()),
                            Err(e) => format!("link does not resolve: {e}"),
                        },
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort_by(|a, b| a.at.cmp(&b.at));
    if found.is_empty() {
        found.push(DeviceReport {
            device: "udev",
            at: dir.display().to_string(),
            state: "none",
            detail: "no device named by the kiosk's udev rules (check VID:PID in /usr/lib/udev/rules.d/60-kiosk.rules, lsusb)".into(),
        });
    }
    found
}

/// The fonts that give the printer glyphs for rare characters in names.
fn glyph_report() -> DeviceReport {
    let at = "system fonts".to_string();
    match kiosk_drivers::printer::FontGlyphs::system() {
        Err(e) => DeviceReport {
            device: crate::printglyphs::KEY,
            at,
            state: "failed",
            detail: format!("{e}; rare characters in names print as 〓"),
        },
        Ok(glyphs) => {
            let unreadable = glyphs.check();
            let missing = glyphs.missing_families();
            let mut detail = format!("glyphs from {}", glyphs.families().join(", "));
            if !unreadable.is_empty() {
                detail.push_str(&format!("; unreadable: {}", unreadable.join(", ")));
            }
            if !missing.is_empty() {
                detail.push_str(&format!(
                    "; not installed: {} (Debian: fonts-noto-cjk fonts-babelstone-han), fewer rare characters print",
                    missing.join(", ")
                ));
            }
            DeviceReport {
                device: crate::printglyphs::KEY,
                at,
                state: if unreadable.is_empty() && missing.is_empty() {
                    "ok"
                } else {
                    "warning"
                },
                detail,
            }
        }
    }
}

/// `kiosk print-test`.
#[derive(Debug, Args)]
pub struct PrintTestArgs {
    /// Printer URI: tcp://host:9100, serial:///dev/ttyUSB0?baud=115200 or usb://VID:PID.
    #[arg(long)]
    pub printer: String,
    /// Paper width in mm: 58 (32 cells) or 80 (48 cells).
    #[arg(long, default_value = "58", value_parser = parse_paper)]
    pub paper: kiosk_drivers::printer::Paper,
    /// The printer knows GBK only (no 4-byte GB18030 sequences are sent).
    #[arg(long)]
    pub gbk: bool,
}

fn parse_paper(text: &str) -> Result<kiosk_drivers::printer::Paper, String> {
    kiosk_drivers::printer::Paper::parse(text)
        .ok_or_else(|| format!("paper must be 58 or 80 (mm), not {text:?}"))
}

/// Prints the technicians' test page (ruler, alignment, Chinese, QR, cut)
/// with a status check before, during and after, and reports the state.
pub fn print_test(config: &Config, args: &PrintTestArgs) -> Result<(), ToolFailure> {
    use kiosk_core::clock::Clock as _;
    use kiosk_drivers::printer::{PrinterLink, PrinterProfile, layout};
    let profile = if args.gbk {
        PrinterProfile::gbk(args.paper)
    } else {
        PrinterProfile::new(args.paper)
    };
    let now = kiosk_sync::clock::SystemClock.now();
    let job = layout::test_page(
        &profile,
        &layout::TestPageInfo {
            terminal_id: config.terminal.id.clone(),
            printed_at: now.format("%Y-%m-%d %H:%M:%S").to_string(),
            printer: args.printer.clone(),
        },
    );
    let mut link = PrinterLink::open(&args.printer, std::time::Duration::from_secs(5))
        .map_err(ToolFailure::Device)?;
    let before = link.state().map_err(ToolFailure::Device)?;
    println!("打印机状态: {} ({before:?})", before.label());
    let report = link.print(&job).map_err(ToolFailure::Device)?;
    println!(
        "测试页已发送: {} 字节, 状态查询 {} 次, 打印后状态: {} ({:?})",
        report.bytes,
        report.status_checks,
        report.state.label(),
        report.state
    );
    if !job.substitutions.is_empty() {
        println!(
            "GBK 打印机无法打印的字符已以〓代替: {}",
            job.substitutions.iter().collect::<String>()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_stable_names_are_listed_with_their_devices() {
        let dir = tempfile::tempdir().unwrap();
        let none = stable_names(&dir.path().join("kiosk"));
        assert_eq!(none.len(), 1);
        assert_eq!(none[0].state, "none");
        let names = dir.path().join("kiosk");
        std::fs::create_dir(&names).unwrap();
        let device = dir.path().join("ttyUSB0");
        std::fs::write(&device, b"").unwrap();
        std::os::unix::fs::symlink("../ttyUSB0", names.join("id-reader")).unwrap();
        std::os::unix::fs::symlink("../gone", names.join("qr-scanner")).unwrap();
        let found = stable_names(&names);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].state, "found");
        assert!(found[0].at.ends_with("/kiosk/id-reader"));
        assert!(found[0].detail.ends_with("/ttyUSB0"), "{}", found[0].detail);
        assert_eq!(found[1].state, "broken");
    }
}
