//! The fleet console for hall staff and the city's medical-insurance IT
//! (issue 18), served by the reference centre under `/console`: the grid
//! of kiosks by hall with live updates, one kiosk's devices, counters and
//! configuration, the alerts with acknowledgement, remote configuration
//! per kiosk or per hall (KS33), and the audit log. Staff log in
//! (Argon2id), every form carries the session's CSRF token, hall staff see
//! and change only their hall's kiosks. docs/console.md.

// The handlers' helpers return the early HTTP answer (axum's `Response`)
// as their error: boxing it would only add noise at every call.
#![allow(clippy::result_large_err)]

pub mod auth;
pub mod fleet;
pub mod pages;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value};

use crate::service::Central;
use auth::{COOKIE, Role, Staff};

/// The journeys staff may switch off (with a tile of their own on the
/// kiosk), and their names.
pub const JOURNEYS: [(&str, &str); 4] = [
    ("certificate", "参保凭证"),
    ("filing", "异地就医备案"),
    ("chronic", "慢特病定点变更"),
    ("premium", "居民医保缴费"),
];

/// The console's routes.
pub fn routes() -> Router<Arc<Central>> {
    Router::new()
        .route("/console", get(grid_page))
        .route("/console/api/grid", get(grid_api))
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", post(logout))
        .route("/console/kiosk/{terminal}", get(kiosk_page))
        .route("/console/kiosk/{terminal}/config", post(kiosk_config))
        .route("/console/hall/{hall}/config", post(hall_config))
        .route("/console/alerts", get(alerts_page))
        .route("/console/alerts/ack", post(acknowledge))
        .route("/console/audit", get(audit_page))
        .route("/console/static/console.js", get(script))
}

type Fields = Form<HashMap<String, String>>;

fn token_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// The logged-in staff member, or the response that sends them to log in.
fn staff_of(central: &Central, headers: &HeaderMap) -> Result<Staff, Response> {
    let found = token_of(headers).map(|t| central.console_session(&t));
    match found {
        Some(Ok(Some(staff))) => Ok(staff),
        Some(Err(e)) => Err(internal(e)),
        _ => Err(Redirect::to("/console/login").into_response()),
    }
}

/// The staff member of a form post whose CSRF token matches.
fn poster(
    central: &Central,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Staff, Response> {
    let staff = staff_of(central, headers)?;
    if form.get("csrf").map(String::as_str) != Some(staff.csrf.as_str()) {
        return Err((StatusCode::FORBIDDEN, "CSRF token missing or wrong").into_response());
    }
    Ok(staff)
}

fn internal(e: crate::Error) -> Response {
    tracing::error!("console: {e}");
    (StatusCode::INTERNAL_SERVER_ERROR, "内部错误").into_response()
}

fn html(markup: maud::Markup) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        markup.into_string(),
    )
        .into_response()
}

fn visible(staff: &Staff, rows: Vec<fleet::KioskRow>) -> Vec<fleet::KioskRow> {
    rows.into_iter().filter(|r| staff.sees(&r.hall)).collect()
}

async fn login_page() -> Response {
    html(pages::login(None))
}

async fn login(State(central): State<Arc<Central>>, Form(form): Fields) -> Response {
    let name = form.get("name").cloned().unwrap_or_default();
    let password = form.get("password").cloned().unwrap_or_default();
    match central.console_login(&name, &password) {
        Ok(Some((token, _))) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, "/console".to_string()),
                (
                    header::SET_COOKIE,
                    format!(
                        "{COOKIE}={token}; HttpOnly; Secure; SameSite=Strict; Path=/console; Max-Age={}",
                        auth::SESSION_HOURS * 3600
                    ),
                ),
            ],
        )
            .into_response(),
        Ok(None) => (StatusCode::UNAUTHORIZED, html(pages::login(Some("用户名或密码错误")))).into_response(),
        Err(e) => internal(e),
    }
}

async fn logout(
    State(central): State<Arc<Central>>,
    headers: HeaderMap,
    Form(form): Fields,
) -> Response {
    let staff = match poster(&central, &headers, &form) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Some(token) = token_of(&headers)
        && let Err(e) = central.console_logout(&token, &staff.name)
    {
        return internal(e);
    }
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/console/login".to_string()),
            (
                header::SET_COOKIE,
                format!("{COOKIE}=; Max-Age=0; Path=/console"),
            ),
        ],
    )
        .into_response()
}

async fn grid_page(
    State(central): State<Arc<Central>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let staff = match staff_of(&central, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let rows = match central.console_grid() {
        Ok(rows) => visible(&staff, rows),
        Err(e) => return internal(e),
    };
    let mut halls: Vec<String> = rows.iter().map(|r| r.hall.clone()).collect();
    halls.dedup();
    let hall = q.get("hall").cloned().unwrap_or_default();
    let state = q.get("state").cloned().unwrap_or_default();
    let shown: Vec<_> = rows
        .into_iter()
        .filter(|r| hall.is_empty() || r.hall == hall)
        .filter(|r| state.is_empty() || r.state == state)
        .collect();
    html(pages::grid(&staff, &shown, &halls, &hall, &state))
}

async fn grid_api(State(central): State<Arc<Central>>, headers: HeaderMap) -> Response {
    let staff = match staff_of(&central, &headers) {
        Ok(s) => s,
        Err(_) => return StatusCode::UNAUTHORIZED.into_response(),
    };
    match central.console_grid() {
        Ok(rows) => axum::Json(visible(&staff, rows)).into_response(),
        Err(e) => internal(e),
    }
}

/// The kiosk `terminal` if `staff` may see it.
fn kiosk_for(
    central: &Central,
    staff: &Staff,
    terminal: &str,
) -> Result<(fleet::KioskRow, fleet::Stored), Response> {
    let row = central
        .console_grid()
        .map_err(internal)?
        .into_iter()
        .find(|r| r.terminal == terminal && staff.sees(&r.hall));
    let latest = central.console_latest().map_err(internal)?.remove(terminal);
    match (row, latest) {
        (Some(row), Some(latest)) => Ok((row, latest)),
        _ => Err((StatusCode::NOT_FOUND, "没有这台终端").into_response()),
    }
}

fn kiosk_view(central: &Central, staff: &Staff, terminal: &str, error: Option<&str>) -> Response {
    let (row, latest) = match kiosk_for(central, staff, terminal) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let counters = match central.console_counters(terminal) {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    let alerts = match central.console_alerts(Some(terminal)) {
        Ok(a) => a,
        Err(e) => return internal(e),
    };
    let problems = match central.console_problems(terminal) {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    let page = html(pages::kiosk(
        staff, &row, &latest, &counters, &problems, &alerts, error,
    ));
    if error.is_some() {
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    } else {
        page
    }
}

async fn kiosk_page(
    State(central): State<Arc<Central>>,
    headers: HeaderMap,
    Path(terminal): Path<String>,
) -> Response {
    match staff_of(&central, &headers) {
        Ok(staff) => kiosk_view(&central, &staff, &terminal, None),
        Err(r) => r,
    }
}

/// The whitelisted settings of a form, checked by the kiosk's rules.
/// Hall staff may set maintenance only.
pub fn settings_of(staff: &Staff, form: &HashMap<String, String>) -> Result<Value, String> {
    let mut s = Map::new();
    s.insert(
        "maintenance".into(),
        Value::Bool(form.get("maintenance").is_some_and(|v| v == "on")),
    );
    if staff.role != Role::Admin {
        return Ok(Value::Object(s));
    }
    if let Some(idle) = form.get("idle_timeout_s").filter(|v| !v.trim().is_empty()) {
        let n: u64 = idle
            .trim()
            .parse()
            .map_err(|_| "空闲超时必须是整数".to_string())?;
        if !(30..=600).contains(&n) {
            return Err("空闲超时应在30到600秒之间".into());
        }
        s.insert("idle_timeout_s".into(), Value::from(n));
    }
    if let Some(notice) = form.get("notice").filter(|v| !v.is_empty()) {
        if notice.chars().count() > 120 {
            return Err("首页通知最多120字".into());
        }
        if notice.chars().any(|c| {
            c.is_control()
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        }) {
            return Err("首页通知不能含控制字符".into());
        }
        s.insert("notice".into(), Value::String(notice.clone()));
    }
    if let Some(v) = form.get("voice_volume").filter(|v| !v.trim().is_empty()) {
        let n: u8 = v
            .trim()
            .parse()
            .ok()
            .filter(|n| *n <= 100)
            .ok_or_else(|| "语音音量应在0到100之间".to_string())?;
        s.insert("voice_volume".into(), Value::from(n));
    }
    if form.get("elderly_default").is_some_and(|v| v == "on") {
        s.insert("elderly_default".into(), Value::Bool(true));
    }
    let off: Vec<Value> = JOURNEYS
        .iter()
        .filter(|(id, _)| form.get(&format!("off_{id}")).is_some_and(|v| v == "on"))
        .map(|(id, _)| Value::String((*id).to_string()))
        .collect();
    if !off.is_empty() {
        s.insert("disabled_journeys".into(), Value::Array(off));
    }
    Ok(Value::Object(s))
}

async fn kiosk_config(
    State(central): State<Arc<Central>>,
    headers: HeaderMap,
    Path(terminal): Path<String>,
    Form(form): Fields,
) -> Response {
    let staff = match poster(&central, &headers, &form) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = kiosk_for(&central, &staff, &terminal) {
        return r;
    }
    let settings = match settings_of(&staff, &form) {
        Ok(s) => s,
        Err(why) => return kiosk_view(&central, &staff, &terminal, Some(&why)),
    };
    let stored = central
        .set_terminal_config(&terminal, &settings)
        .and_then(|v| {
            central.console_audit(
                &staff.name,
                "config",
                &format!("{terminal} v{v} {settings}"),
            )
        });
    match stored {
        Ok(()) => Redirect::to(&format!("/console/kiosk/{terminal}")).into_response(),
        Err(e) => internal(e),
    }
}

async fn hall_config(
    State(central): State<Arc<Central>>,
    headers: HeaderMap,
    Path(hall): Path<String>,
    Form(form): Fields,
) -> Response {
    let staff = match poster(&central, &headers, &form) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !staff.sees(&hall) {
        return (StatusCode::FORBIDDEN, "不能管理其他服务大厅").into_response();
    }
    let settings = match settings_of(&staff, &form) {
        Ok(s) => s,
        Err(why) => return (StatusCode::UNPROCESSABLE_ENTITY, why).into_response(),
    };
    let terminals = match central.console_grid() {
        Ok(rows) => rows
            .into_iter()
            .filter(|r| r.hall == hall)
            .map(|r| r.terminal)
            .collect::<Vec<_>>(),
        Err(e) => return internal(e),
    };
    for t in &terminals {
        if let Err(e) = central.set_terminal_config(t, &settings) {
            return internal(e);
        }
    }
    if let Err(e) = central.console_audit(
        &staff.name,
        "config",
        &format!("hall {hall} ({} kiosks) {settings}", terminals.len()),
    ) {
        return internal(e);
    }
    Redirect::to("/console/alerts").into_response()
}

async fn alerts_page(State(central): State<Arc<Central>>, headers: HeaderMap) -> Response {
    let staff = match staff_of(&central, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let alerts: Vec<_> = match central.console_alerts(None) {
        Ok(a) => a.into_iter().filter(|a| staff.sees(&a.hall)).collect(),
        Err(e) => return internal(e),
    };
    let mut halls: Vec<String> = match central.console_grid() {
        Ok(rows) => visible(&staff, rows).into_iter().map(|r| r.hall).collect(),
        Err(e) => return internal(e),
    };
    halls.dedup();
    html(pages::alerts(&staff, &alerts, &halls))
}

async fn acknowledge(
    State(central): State<Arc<Central>>,
    headers: HeaderMap,
    Form(form): Fields,
) -> Response {
    let staff = match poster(&central, &headers, &form) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let (terminal, kind, since) = (get("terminal"), get("kind"), get("since"));
    let open = match central.console_alerts(Some(&terminal)) {
        Ok(a) => a
            .into_iter()
            .any(|a| a.kind == kind && a.since == since && staff.sees(&a.hall)),
        Err(e) => return internal(e),
    };
    if !open {
        return (StatusCode::NOT_FOUND, "没有这条告警").into_response();
    }
    match central.console_acknowledge(&staff.name, &terminal, &kind, &since) {
        Ok(()) => Redirect::to("/console/alerts").into_response(),
        Err(e) => internal(e),
    }
}

async fn audit_page(State(central): State<Arc<Central>>, headers: HeaderMap) -> Response {
    let staff = match staff_of(&central, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if staff.role != Role::Admin {
        return (StatusCode::FORBIDDEN, "仅管理员可查看").into_response();
    }
    match central.console_audit_log(500) {
        Ok(rows) => html(pages::audit(&staff, &rows)),
        Err(e) => internal(e),
    }
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        pages::SCRIPT,
    )
        .into_response()
}
