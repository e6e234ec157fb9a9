//! The fleet as the console shows it, computed from the kiosks' KS31
//! health reports: each kiosk's state, paper level and queue; the alerts
//! with since-when; the journey counters over time. The reports carry no
//! personal data, and nothing here adds any.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use rusqlite::params;
use serde::Serialize;

use kiosk_sync::wire::HealthReportInput;

use crate::Error;
use crate::service::Central;

/// A kiosk silent this long is offline.
pub const OFFLINE_AFTER_MIN: i64 = 10;
/// An outbox record older than this raises an alert.
pub const OUTBOX_OLD_S: i64 = 3600;
/// A clock further off than this raises an alert.
pub const CLOCK_SKEW_S: i64 = 300;
/// This many crashes within 24 h raise an alert.
pub const CRASHES_PER_DAY: u64 = 3;

const TIME: &str = "%Y-%m-%d %H:%M:%S";

/// One kiosk in the grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KioskRow {
    /// Terminal id.
    pub terminal: String,
    /// Its hall (from its reports).
    pub hall: String,
    /// `ok`, `degraded` (a device down or warning, citizens still
    /// served), `down` (out of service: printer down or no reader
    /// working), `offline`, `unknown`.
    pub state: &'static str,
    /// Paper: `ok`, `low`, `out`, `unknown`.
    pub paper: &'static str,
    /// Outbox records waiting.
    pub queue: u64,
    /// When the centre last heard from it.
    pub last_seen: String,
    /// Software version.
    pub version: String,
}

/// A problem the console lists until it ends (or staff acknowledge it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// Terminal id.
    pub terminal: String,
    /// Its hall.
    pub hall: String,
    /// `paper_out`, `printer_fault`, `reader_missing`, `offline`,
    /// `outbox_old`, `clock_skew`, `crashes`, `config_refused`.
    pub kind: &'static str,
    /// What the kiosk said (device detail, figure).
    pub detail: String,
    /// Since when (the first report that showed it).
    pub since: String,
    /// Who acknowledged it, if anyone.
    pub acknowledged_by: Option<String>,
}

impl Alert {
    /// The alert's name for staff.
    pub fn label(&self) -> &'static str {
        match self.kind {
            "paper_out" => "打印机缺纸",
            "printer_fault" => "打印机故障",
            "reader_missing" => "身份证读卡器离线",
            "offline" => "终端离线",
            "outbox_old" => "待上传记录积压超过1小时",
            "clock_skew" => "终端时钟偏差",
            "crashes" => "24小时内多次异常重启",
            "config_refused" => "远程配置被终端拒绝",
            _ => "其他",
        }
    }
}

/// A stored report with when the centre got it.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Received at (the centre's clock).
    pub at: NaiveDateTime,
    /// The report.
    pub report: HealthReportInput,
}

fn db(e: rusqlite::Error) -> Error {
    Error::Database(e.to_string())
}

fn parse_time(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, TIME).ok()
}

fn device<'a>(r: &'a HealthReportInput, name: &str) -> Option<&'a kiosk_sync::wire::DeviceHealth> {
    r.devices.iter().find(|d| d.device == name)
}

/// The paper level a report says.
pub fn paper_of(r: &HealthReportInput) -> &'static str {
    match device(r, "printer") {
        None => "unknown",
        Some(p) if p.detail.contains("PaperOut") || p.detail.contains("缺纸") => "out",
        Some(p) if p.detail.contains("PaperNearEnd") || p.detail.contains("纸将尽") => "low",
        Some(p) if p.state == "ok" || p.state == "degraded" => "ok",
        Some(_) => "unknown",
    }
}

/// The devices that identify a citizen: one of them must work.
const IDENTIFIERS: [&str; 3] = ["id_card_reader", "ss_card_reader", "qr_scanner"];

/// Whether the kiosk cannot serve citizens, by the kiosk's own rule for
/// `/v1/health` 503: the printer down, or no identification device
/// working (of those it reports).
pub fn out_of_service(r: &HealthReportInput) -> bool {
    let printer_down = device(r, "printer").is_some_and(|p| p.state == "down");
    let readers: Vec<_> = r
        .devices
        .iter()
        .filter(|d| IDENTIFIERS.contains(&d.device.as_str()))
        .collect();
    let no_reader = !readers.is_empty() && readers.iter().all(|d| d.state == "down");
    printer_down || no_reader
}

/// The alerts one report shows by itself (kind, detail).
fn report_alerts(r: &HealthReportInput) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(p) = device(r, "printer")
        && p.state == "down"
    {
        let kind = if paper_of(r) == "out" {
            "paper_out"
        } else {
            "printer_fault"
        };
        out.push((kind, p.detail.clone()));
    }
    if let Some(d) = device(r, "id_card_reader")
        && d.state == "down"
    {
        out.push(("reader_missing", d.detail.clone()));
    }
    if let Some(age) = r.outbox_oldest_age_s
        && age > OUTBOX_OLD_S
    {
        out.push(("outbox_old", format!("{age} s")));
    }
    if let Some(skew) = r.clock_skew_s
        && skew.abs() > CLOCK_SKEW_S
    {
        out.push(("clock_skew", format!("{skew} s")));
    }
    if !r.remote_config_refused.is_empty() {
        out.push(("config_refused", r.remote_config_refused.clone()));
    }
    out
}

impl Central {
    /// The reports of `terminal` received since `since`, oldest first.
    pub fn console_reports(
        &self,
        terminal: &str,
        since: NaiveDateTime,
    ) -> Result<Vec<Stored>, Error> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT at, body FROM health_report WHERE terminal = ?1 AND at >= ?2 ORDER BY id",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map(params![terminal, since.format(TIME).to_string()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(db)?;
        let mut out = Vec::new();
        for row in rows {
            let (at, body) = row.map_err(db)?;
            if let (Some(at), Ok(report)) = (parse_time(&at), serde_json::from_str(&body)) {
                out.push(Stored { at, report });
            }
        }
        Ok(out)
    }

    /// Every terminal's latest report.
    pub fn console_latest(&self) -> Result<BTreeMap<String, Stored>, Error> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT h.terminal, h.at, h.body FROM health_report h
                 JOIN (SELECT terminal, MAX(id) AS id FROM health_report GROUP BY terminal) l
                 ON l.id = h.id",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(db)?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (terminal, at, body) = row.map_err(db)?;
            if let (Some(at), Ok(report)) = (parse_time(&at), serde_json::from_str(&body)) {
                out.insert(terminal, Stored { at, report });
            }
        }
        Ok(out)
    }

    /// The grid: every kiosk with its state, by hall then terminal.
    pub fn console_grid(&self) -> Result<Vec<KioskRow>, Error> {
        let now = self.now();
        let mut rows: Vec<KioskRow> = self
            .console_latest()?
            .into_iter()
            .map(|(terminal, s)| {
                let offline = now - s.at > chrono::Duration::minutes(OFFLINE_AFTER_MIN);
                let degraded = s
                    .report
                    .devices
                    .iter()
                    .any(|d| d.state == "down" || d.state == "degraded");
                KioskRow {
                    terminal,
                    hall: s.report.hall_name.clone(),
                    state: if offline {
                        "offline"
                    } else if out_of_service(&s.report) {
                        "down"
                    } else if degraded {
                        "degraded"
                    } else {
                        "ok"
                    },
                    paper: paper_of(&s.report),
                    queue: s.report.outbox_pending,
                    last_seen: s.at.format(TIME).to_string(),
                    version: s.report.app_version.clone(),
                }
            })
            .collect();
        rows.sort_by(|a, b| (&a.hall, &a.terminal).cmp(&(&b.hall, &b.terminal)));
        Ok(rows)
    }

    /// The open alerts of every kiosk (or those of `terminal`), with
    /// since-when and acknowledgements.
    pub fn console_alerts(&self, terminal: Option<&str>) -> Result<Vec<Alert>, Error> {
        let now = self.now();
        let day_ago = now - chrono::Duration::hours(24);
        let mut out = Vec::new();
        for (t, latest) in self.console_latest()? {
            if terminal.is_some_and(|only| only != t) {
                continue;
            }
            let hall = latest.report.hall_name.clone();
            let mut found: Vec<(&'static str, String, String)> = Vec::new();
            if now - latest.at > chrono::Duration::minutes(OFFLINE_AFTER_MIN) {
                found.push(("offline", String::new(), latest.at.format(TIME).to_string()));
            }
            let history = self.console_reports(&t, day_ago)?;
            for (kind, detail) in report_alerts(&latest.report) {
                // Since: the first of the latest run of reports showing it.
                let since = history
                    .iter()
                    .rev()
                    .take_while(|s| report_alerts(&s.report).iter().any(|(k, _)| *k == kind))
                    .last()
                    .map(|s| s.at)
                    .unwrap_or(latest.at);
                found.push((kind, detail, since.format(TIME).to_string()));
            }
            if let Some(first) = history.first() {
                let crashes = latest.report.crashes.saturating_sub(first.report.crashes);
                if crashes >= CRASHES_PER_DAY {
                    found.push((
                        "crashes",
                        format!("{crashes} 次"),
                        first.at.format(TIME).to_string(),
                    ));
                }
            }
            for (kind, detail, since) in found {
                let acknowledged_by = self
                    .conn()
                    .query_row(
                        "SELECT staff FROM console_ack WHERE terminal = ?1 AND kind = ?2 AND since = ?3",
                        params![t, kind, since],
                        |r| r.get::<_, String>(0),
                    )
                    .ok();
                out.push(Alert {
                    terminal: t.clone(),
                    hall: hall.clone(),
                    kind,
                    detail,
                    since,
                    acknowledged_by,
                });
            }
        }
        Ok(out)
    }

    /// The kiosk's recent problems, newest first: when a device's state
    /// turned down or degraded over the last 24 h, and what the kiosk said
    /// (device details and driver errors: never personal data).
    pub fn console_problems(&self, terminal: &str) -> Result<Vec<Problem>, Error> {
        let since = self.now() - chrono::Duration::hours(24);
        let mut out: Vec<Problem> = Vec::new();
        let mut last: BTreeMap<String, (String, String)> = BTreeMap::new();
        for s in self.console_reports(terminal, since)? {
            for d in &s.report.devices {
                let now = (d.state.clone(), d.detail.clone());
                let changed = last.get(&d.device) != Some(&now);
                if changed && (d.state == "down" || d.state == "degraded") {
                    out.push(Problem {
                        at: s.at.format(TIME).to_string(),
                        device: d.device.clone(),
                        state: d.state.clone(),
                        detail: d.detail.clone(),
                    });
                }
                last.insert(d.device.clone(), now);
            }
        }
        out.reverse();
        out.truncate(20);
        Ok(out)
    }

    /// Staff acknowledge an alert.
    pub fn console_acknowledge(
        &self,
        staff: &str,
        terminal: &str,
        kind: &str,
        since: &str,
    ) -> Result<(), Error> {
        self.conn()
            .execute(
                "INSERT OR IGNORE INTO console_ack (terminal, kind, since, staff, at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![terminal, kind, since, staff, self.now_text()],
            )
            .map_err(db)?;
        self.console_audit(
            staff,
            "acknowledge",
            &format!("{terminal} {kind} since {since}"),
        )
    }

    /// Journeys (started) per hour over the last 24 h and per day over the
    /// last 30 days, and failures by kind over 30 days, of `terminal`.
    pub fn console_counters(&self, terminal: &str) -> Result<Counters, Error> {
        let now = self.now();
        let mut c = Counters {
            hourly: vec![0; 24],
            daily: vec![0; 30],
            prints_hourly: vec![0; 24],
            prints_daily: vec![0; 30],
            paper_daily: vec![0; 30],
            failures: BTreeMap::new(),
        };
        for s in self.console_reports(terminal, now - chrono::Duration::days(30))? {
            let age = now - s.at;
            let (h, d) = (age.num_hours(), age.num_days());
            if (0..24).contains(&h) {
                c.prints_hourly[23 - h as usize] += s.report.print_jobs;
            }
            if (0..30).contains(&d) {
                c.prints_daily[29 - d as usize] += s.report.print_jobs;
                c.paper_daily[29 - d as usize] += s.report.paper_changes;
            }
            for j in &s.report.journeys {
                if j.outcome == "started" {
                    let h = age.num_hours();
                    if (0..24).contains(&h) {
                        c.hourly[23 - h as usize] += j.count;
                    }
                    let d = age.num_days();
                    if (0..30).contains(&d) {
                        c.daily[29 - d as usize] += j.count;
                    }
                }
                if j.outcome == "failed" {
                    *c.failures
                        .entry(format!("{} / {}", j.journey, j.kind))
                        .or_default() += j.count;
                }
            }
        }
        Ok(c)
    }
}

/// A kiosk's counters for its charts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Journeys started per hour, the oldest hour first (24).
    pub hourly: Vec<u64>,
    /// Journeys started per day, the oldest day first (30).
    pub daily: Vec<u64>,
    /// Print jobs printed per hour (24).
    pub prints_hourly: Vec<u64>,
    /// Print jobs printed per day (30).
    pub prints_daily: Vec<u64>,
    /// Paper rolls changed per day (30).
    pub paper_daily: Vec<u64>,
    /// Failures by journey / kind over 30 days.
    pub failures: BTreeMap<String, u64>,
}

/// A device problem a kiosk reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// When the centre got the report.
    pub at: String,
    /// Device.
    pub device: String,
    /// `down` or `degraded`.
    pub state: String,
    /// What the kiosk said.
    pub detail: String,
}
