//! The console's pages, server-rendered with maud (every value escaped by
//! construction). Chinese for hall staff; no external assets.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::auth::{Role, Staff};
use super::fleet::{Alert, Counters, KioskRow, Problem, Stored};

const STYLE: &str = "
body{font-family:'Noto Sans CJK SC',sans-serif;margin:0;background:#f2f5f9;color:#1d2733}
header{background:#0b5cad;color:#fff;padding:12px 24px;display:flex;gap:24px;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:700}
header form{margin-left:auto}
main{padding:16px 24px}
.hall{margin:16px 0 8px;font-size:20px}
.grid{display:flex;flex-wrap:wrap;gap:10px}
.kiosk{display:block;width:190px;padding:10px;border-radius:8px;color:#fff;text-decoration:none}
.kiosk small{display:block;opacity:.9}
.ok{background:#1c7c3a}.degraded{background:#b25e00}.down{background:#c0262d}.offline{background:#5b2a86}.unknown{background:#7a828c}
table{border-collapse:collapse;background:#fff}
td,th{border:1px solid #d5dbe3;padding:6px 10px;text-align:left}
.err{color:#c0262d;font-weight:700}
svg{background:#fff;border:1px solid #d5dbe3}
";

/// The page frame: header with the staff member and log-out.
pub fn layout(title: &str, staff: Option<&Staff>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                title { (title) " · 医保自助终端运维" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    strong { "医保自助终端运维" }
                    @if let Some(s) = staff {
                        a href="/console" { "终端总览" }
                        a href="/console/alerts" { "告警" }
                        @if s.role == Role::Admin { a href="/console/audit" { "审计日志" } }
                        form method="post" action="/console/logout" {
                            input type="hidden" name="csrf" value=(s.csrf);
                            span { (s.name) " " }
                            button type="submit" { "退出" }
                        }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

/// The login page.
pub fn login(error: Option<&str>) -> Markup {
    layout(
        "登录",
        None,
        html! {
            @if let Some(e) = error { p.err { (e) } }
            form method="post" action="/console/login" {
                p { label { "用户名 " input type="text" name="name" autocomplete="username"; } }
                p { label { "密码 " input type="password" name="password" autocomplete="current-password"; } }
                button type="submit" { "登录" }
            }
        },
    )
}

/// The state's name for staff (a kiosk's, or a device's).
pub fn state_label(state: &str) -> &'static str {
    match state {
        "ok" => "正常",
        "degraded" => "部分故障",
        "offline" => "离线",
        "down" => "暂停服务",
        _ => "未知",
    }
}

/// A device's name for staff.
pub fn device_label(device: &str) -> &str {
    match device {
        "id_card_reader" => "身份证读卡器",
        "ss_card_reader" => "社保卡读卡器",
        "qr_scanner" => "扫码器",
        "printer" => "打印机",
        "printer_glyphs" => "打印生僻字",
        "central_link" => "医保中心链路",
        "store" => "本地数据库",
        other => other,
    }
}

fn paper_label(paper: &str) -> &'static str {
    match paper {
        "ok" => "纸张正常",
        "low" => "纸将尽",
        "out" => "缺纸",
        _ => "纸张未知",
    }
}

/// The grid, grouped by hall; `console.js` refreshes it every 5 s.
pub fn grid(staff: &Staff, rows: &[KioskRow], halls: &[String], hall: &str, state: &str) -> Markup {
    let mut groups: Vec<(&str, Vec<&KioskRow>)> = Vec::new();
    for r in rows {
        match groups.last_mut() {
            Some((h, list)) if *h == r.hall => list.push(r),
            _ => groups.push((&r.hall, vec![r])),
        }
    }
    layout(
        "终端总览",
        Some(staff),
        html! {
            form method="get" action="/console" {
                label { "服务大厅 " select name="hall" {
                    option value="" { "全部" }
                    @for h in halls { option value=(h) selected[h == hall] { (h) } }
                } }
                " "
                label { "状态 " select name="state" {
                    option value="" { "全部" }
                    @for s in ["ok", "degraded", "down", "offline", "unknown"] {
                        option value=(s) selected[s == state] { (state_label(s)) }
                    }
                } }
                " " button type="submit" { "筛选" }
            }
            p { "共 " span #count { (rows.len()) } " 台终端" }
            div #fleet data-hall=(hall) data-state=(state) {
                @for (h, list) in &groups {
                    h2.hall { (h) }
                    div.grid {
                        @for r in list {
                            a.kiosk.(r.state) #(format!("k-{}", r.terminal)) href=(format!("/console/kiosk/{}", r.terminal))
                                data-state=(r.state) aria-label=(format!("{} {}", r.terminal, state_label(r.state))) {
                                strong { (r.terminal) }
                                small.st { (state_label(r.state)) }
                                small.paper { (paper_label(r.paper)) }
                                small.queue { "待上传 " (r.queue) }
                                small.seen { "最近上报 " (r.last_seen) }
                            }
                        }
                    }
                }
            }
            script src="/console/static/console.js" {}
        },
    )
}

/// A bar chart as inline SVG.
fn bars(values: &[u64], label: &str) -> Markup {
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    let w = 12usize;
    let h = 80u64;
    html! {
        figure {
            svg width=(values.len() * w + 10) height=(h + 10) role="img" aria-label=(label) {
                @for (i, v) in values.iter().enumerate() {
                    @let bh = v * h / max;
                    rect x=(i * w + 5) y=(h + 5 - bh) width=(w - 2) height=(bh) fill="#0b5cad" {
                        title { (v) }
                    }
                }
            }
            figcaption { (label) "（最高 " (max) "）" }
        }
    }
}

/// One kiosk: devices, counters, alerts, configuration.
pub fn kiosk(
    staff: &Staff,
    row: &KioskRow,
    latest: &Stored,
    counters: &Counters,
    problems: &[Problem],
    alerts: &[Alert],
    error: Option<&str>,
) -> Markup {
    let r = &latest.report;
    layout(
        &format!("终端 {}", row.terminal),
        Some(staff),
        html! {
            p { (row.hall) " · " (state_label(row.state)) " · 最近上报 " (row.last_seen)
                " · 版本 " (r.app_version) " · 已运行 " (r.uptime_s) " 秒" }
            h2 { "设备" }
            table {
                tr { th { "设备" } th { "状态" } th { "说明" } }
                @for d in &r.devices {
                    tr { td { (device_label(&d.device)) } td { (state_label(&d.state)) } td { (d.detail) } }
                }
            }
            h2 { "运行" }
            table {
                tr { td { "待上传记录" } td { (r.outbox_pending) } }
                tr { td { "最早待上传（秒）" } td { (r.outbox_oldest_age_s.map(|a| a.to_string()).unwrap_or_else(|| "—".into())) } }
                tr { td { "与医保中心时钟偏差（秒）" } td { (r.clock_skew_s.map(|a| a.to_string()).unwrap_or_else(|| "—".into())) } }
                tr { td { "启动次数 / 异常重启" } td { (r.starts) " / " (r.crashes) } }
                tr { td { "本地库大小（字节）" } td { (r.store_bytes) } }
                tr { td { "配置摘要" } td { code { (r.config_hash) } } }
                tr { td { "远程配置版本" } td { (r.remote_config_version) } }
                @if !r.remote_config_refused.is_empty() {
                    tr { td { "远程配置被拒绝" } td.err { (r.remote_config_refused) } }
                }
            }
            h2 { "业务量" }
            (bars(&counters.hourly, "最近24小时每小时办理次数"))
            (bars(&counters.daily, "最近30天每天办理次数"))
            (bars(&counters.prints_hourly, "最近24小时每小时打印张数"))
            (bars(&counters.prints_daily, "最近30天每天打印张数"))
            (bars(&counters.paper_daily, "最近30天每天换纸次数"))
            h3 { "失败（30天，按业务 / 原因）" }
            table {
                @for (k, n) in &counters.failures { tr { td { (k) } td { (n) } } }
            }
            h2 { "近期问题（24小时）" }
            @if problems.is_empty() { p { "没有" } } @else {
                table {
                    tr { th { "时间" } th { "设备" } th { "状态" } th { "说明" } }
                    @for p in problems {
                        tr { td { (p.at) } td { (device_label(&p.device)) } td { (state_label(&p.state)) } td { (p.detail) } }
                    }
                }
            }
            h2 { "告警" }
            (alert_table(staff, alerts))
            h2 { "远程配置" }
            @if let Some(e) = error { p.err { (e) } }
            (config_form(staff, &format!("/console/kiosk/{}/config", row.terminal)))
        },
    )
}

/// The settings form (admin: every whitelisted setting; hall staff:
/// maintenance only).
pub fn config_form(staff: &Staff, action: &str) -> Markup {
    html! {
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(staff.csrf);
            p { label { input type="checkbox" name="maintenance" value="on"; " 维护模式（终端维护中，请到窗口办理）" } }
            @if staff.role == Role::Admin {
                p { label { "空闲超时（秒，30–600，留空为终端默认） " input type="number" name="idle_timeout_s" min="30" max="600"; } }
                p { label { "首页通知（最多120字） " input type="text" name="notice" maxlength="120" size="60"; } }
                p { label { input type="checkbox" name="elderly_default" value="on"; " 默认长辈模式" } }
                p { label { "语音提示音量（0–100，留空为原音量） " input type="number" name="voice_volume" min="0" max="100"; } }
                p { "停用业务："
                    @for (id, name) in super::JOURNEYS {
                        label { input type="checkbox" name=(format!("off_{id}")) value="on"; " " (name) " " }
                    }
                }
            }
            button type="submit" { "保存并下发" }
        }
    }
}

/// The alerts, with an acknowledge button each.
pub fn alert_table(staff: &Staff, alerts: &[Alert]) -> Markup {
    html! {
        @if alerts.is_empty() { p { "没有告警" } } @else {
            table {
                tr { th { "终端" } th { "服务大厅" } th { "告警" } th { "说明" } th { "开始时间" } th { "处理" } }
                @for a in alerts {
                    tr {
                        td { a href=(format!("/console/kiosk/{}", a.terminal)) { (a.terminal) } }
                        td { (a.hall) } td { (a.label()) } td { (a.detail) } td { (a.since) }
                        td {
                            @if let Some(by) = &a.acknowledged_by { "已确认（" (by) "）" } @else {
                                form method="post" action="/console/alerts/ack" {
                                    input type="hidden" name="csrf" value=(staff.csrf);
                                    input type="hidden" name="terminal" value=(a.terminal);
                                    input type="hidden" name="kind" value=(a.kind);
                                    input type="hidden" name="since" value=(a.since);
                                    button type="submit" aria-label=(format!("确认 {} {}", a.terminal, a.label())) { "确认" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The alerts page.
pub fn alerts(staff: &Staff, alerts: &[Alert], halls: &[String]) -> Markup {
    layout(
        "告警",
        Some(staff),
        html! {
            (alert_table(staff, alerts))
            @if !halls.is_empty() {
                h2 { "按服务大厅下发配置" }
                @for h in halls {
                    h3 { (h) }
                    (config_form(staff, &format!("/console/hall/{}/config", urlencode(h))))
                }
            }
        },
    )
}

/// The audit log.
pub fn audit(staff: &Staff, rows: &[(String, String, String, String)]) -> Markup {
    layout(
        "审计日志",
        Some(staff),
        html! {
            table {
                tr { th { "时间" } th { "人员" } th { "操作" } th { "内容" } }
                @for (at, who, what, detail) in rows {
                    tr { td { (at) } td { (who) } td { (what) } td { (detail) } }
                }
            }
        },
    )
}

/// Percent-encodes a path segment.
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The grid's live update: polls `/console/api/grid` every 5 s and
/// repaints each kiosk's tile (no page reload).
pub const SCRIPT: &str = r#"
(function () {
  var fleet = document.getElementById('fleet');
  if (!fleet) return;
  var labels = {ok: '正常', degraded: '部分故障', down: '暂停服务', offline: '离线', unknown: '未知'};
  var paper = {ok: '纸张正常', low: '纸将尽', out: '缺纸', unknown: '纸张未知'};
  function paint(rows) {
    rows.forEach(function (r) {
      var el = document.getElementById('k-' + r.terminal);
      if (!el) return;
      el.className = 'kiosk ' + r.state;
      el.dataset.state = r.state;
      el.setAttribute('aria-label', r.terminal + ' ' + labels[r.state]);
      el.querySelector('.st').textContent = labels[r.state];
      el.querySelector('.paper').textContent = paper[r.paper];
      el.querySelector('.queue').textContent = '待上传 ' + r.queue;
      el.querySelector('.seen').textContent = '最近上报 ' + r.last_seen;
    });
  }
  function poll() {
    fetch('/console/api/grid', {credentials: 'same-origin'})
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(paint)
      .catch(function () {});
  }
  setInterval(poll, 5000);
})();
"#;
