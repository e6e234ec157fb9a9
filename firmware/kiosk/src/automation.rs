//! The automation API: local HTTP + JSON on 127.0.0.1 for field testing
//! and CI. Off unless simulation mode or the configuration enables it;
//! requires `Authorization: Bearer <token>` when a token is configured.
//!
//! | method | path | what |
//! |---|---|---|
//! | GET | /v1/screen | screen id, visible texts, actionable elements by accessible label |
//! | GET | /v1/screen/id | the screen id only (cheap to poll) |
//! | POST | /v1/tap | `{"label": ...}`: tap the element with that accessible label |
//! | POST | /v1/input | `{"label": ..., "text": ...}`: type into an input |
//! | POST | /v1/draw | `{"label": ..., "points": [[x, y], ...]}`: draw a stroke with a finger on that element (the signature box) |
//! | GET | /v1/screenshot | PNG of the current screen (software renderer) |
//! | POST | /v1/sim/idcard | place an ID card on the simulated reader (card JSON: fields or `text_hex`) |
//! | DELETE | /v1/sim/idcard | take the card away |
//! | POST | /v1/sim/idcard/fault | make the simulated reader misbehave (see [`FaultRequest`]); `{"unplugged": true}` pulls its cable (the port disappears), `{"unplugged": false}` plugs it back in at the same path |
//! | POST | /v1/sim/sscard | insert a social security card (card JSON: fields or raw `atr_hex` + `ef05`/`ef06`; empty body: the demo card of 王建国) |
//! | DELETE | /v1/sim/sscard | pull the card out |
//! | POST | /v1/sim/sscard/fault | make the simulated CCID reader misbehave (see [`SsFaultRequest`]) |
//! | POST | /v1/sim/scan | `{"text": ...}` (+ `terminator`, `repeats`, `truncate`, `noise_hex`: raw bytes sent before the code): scan a code on the simulated QR scanner |
//! | POST | /v1/sim/scanner/fault | `{"unplugged": true\|false}`: unplug the simulated QR scanner (the port disappears) or plug it back in at the same path (see [`ScannerFaultRequest`]) |
//! | GET | /v1/health | each device loop's view of its device: `ok`, `starting` or `disconnected` (+ `detail`), and `losses` since start; `status` (`ok`, `degraded`, `unavailable`) and `reasons`; HTTP 503 when unavailable (no identification device works, the printer is down, no store) |
//! | GET | /metrics | the fleet counters and gauges in the Prometheus / OpenMetrics text format (metrics.rs) |
//! | POST | /v1/sim/printer/fault | `{"paper_out", "paper_near_end", "cover_open", "cutter_error", "cutter_jam_at_next_cut": bool, "drop_link_after_bytes", "cover_open_after_bytes": n}`: the simulated printer's faults (all fields; absent = off; a jam or a cover opening mid-job stays until the next call) |
//! | POST | /v1/sim/store/fault | `{"full": true\|false}`: the disk under the kiosk's store fills up (the store cannot grow: the next write needing space fails with SQLITE_FULL) or has space again; simulation mode only (404 in production) |
//! | GET | /v1/sim/receipts | receipts the simulated printer printed, with decoded text and whether each was cut |
//! | GET | /v1/sim/receipts/{id}/png | a receipt's paper as PNG |
//! | POST | /v1/sim/central/premium/{order_no} | the built-in centre: the citizen's phone pays an open premium order, `{"result": "paid", "channel": …}` or `{"result": "failed", "reason": …}` (404 no such order, 409 not open) |
//! | POST | /v1/sim/central/fault | `{"unreachable": true\|false}`: the network to the built-in centre goes down or comes back |
//! | GET | /v1/sim/central/health/{terminal} | the KS31 health reports the built-in centre received from `terminal`, oldest first |
//! | POST | /v1/sim/central/config/{terminal} | `{"settings": {...}}`: staff set a remote configuration (KS33) at the built-in centre for `terminal` (`*`: every terminal); answers its `version` |
//! | GET | /v1/sync/status | outbox queue, oldest pending item (kind, age), last contact, dataset versions ([`StatusView`]) |
//! | POST | /v1/sync/now | run a sync cycle now and wait for it (≤ 30 s): sent, accepted, rejected, still pending ([`CycleView`]) |

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use axum::Json;
use axum::Router;
#[cfg(feature = "simulators")]
use axum::body::Bytes;
#[cfg(feature = "simulators")]
use axum::extract::Path;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
#[cfg(feature = "simulators")]
use serde::Serialize;
use serde_json::json;

#[cfg(feature = "simulators")]
use kiosk_sim::idcard::{CardSlot, IdReaderSimHandle, SimCard, SimFaults};
#[cfg(feature = "simulators")]
use kiosk_sim::printer::PrinterSimHandle;
#[cfg(feature = "simulators")]
use kiosk_sim::scanner::{ScanFaults, ScannerSimHandle, Terminator};
#[cfg(feature = "simulators")]
use kiosk_sim::sscard::{SimCcidReader, SsCardImage, SsSimFaults};
use kiosk_ui::UiHandle;

use crate::backend::{Backend, CycleView, StatusView};
use crate::device_loop::DeviceHealth;
use crate::error::Error;

/// What the API reaches.
#[derive(Clone)]
pub struct ApiState {
    /// The screen.
    pub ui: UiHandle,
    /// Token required, if any.
    pub token: Option<String>,
    /// The simulated ID card reader's card slot (simulation only).
    #[cfg(feature = "simulators")]
    pub id_card_slot: Option<CardSlot>,
    /// The simulated ID card reader itself, for fault injection.
    #[cfg(feature = "simulators")]
    pub id_reader: Option<Arc<IdReaderSimHandle>>,
    /// The simulated printer (simulation only).
    #[cfg(feature = "simulators")]
    pub printer: Option<Arc<PrinterSimHandle>>,
    /// The simulated social security card reader (simulation only).
    #[cfg(feature = "simulators")]
    pub ss_card_reader: Option<SimCcidReader>,
    /// The simulated QR scanner (simulation only).
    #[cfg(feature = "simulators")]
    pub scanner: Option<Arc<ScannerSimHandle>>,
    /// The built-in reference central service (simulation only): the
    /// payment a phone makes, the network going down.
    #[cfg(feature = "simulators")]
    pub central: Option<Arc<kiosk_central::Central>>,
    /// Whether `/v1/sim/store/fault` may limit the store (simulation mode
    /// only: a production kiosk's store is never touched).
    #[cfg(feature = "simulators")]
    pub store_faults: bool,
    /// The store, outbox and sync engine.
    pub backend: Option<Arc<Backend>>,
    /// The device loops' health table.
    pub health: DeviceHealth,
    /// The fleet telemetry: `/metrics`, and the verdict of `/v1/health`.
    pub telemetry: Option<Arc<crate::metrics::Telemetry>>,
}

/// The running API server.
pub struct AutomationServer {
    addr: SocketAddr,
    _thread: JoinHandle<()>,
}

impl AutomationServer {
    /// Binds 127.0.0.1:`port` (0: a free port) and serves in the background.
    pub fn start(port: u16, state: ApiState) -> Result<AutomationServer, Error> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| Error::Automation(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("automation".into())
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => {
                            if let Err(e) = axum::serve(listener, router(state)).await {
                                tracing::error!("automation API stopped: {e}");
                            }
                        }
                        Err(e) => tracing::error!("automation API cannot listen: {e}"),
                    }
                });
            })?;
        Ok(AutomationServer {
            addr,
            _thread: thread,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

fn router(state: ApiState) -> Router {
    let router = Router::new()
        .route("/v1/screen", get(screen))
        .route("/v1/screen/id", get(screen_id))
        .route("/v1/tap", post(tap))
        .route("/v1/input", post(input))
        .route("/v1/draw", post(draw))
        .route("/v1/screenshot", get(screenshot))
        .route("/v1/health", get(health))
        .route("/metrics", get(metrics))
        .route("/v1/sync/status", get(sync_status))
        .route("/v1/sync/now", post(sync_now));
    sim_routes(router)
        .layer(middleware::from_fn_with_state(state.clone(), require_token))
        .with_state(state)
}

/// Without simulators there is nothing to place, scan or break: `/v1/sim/*`
/// answers 404 like any unknown path.
#[cfg(not(feature = "simulators"))]
fn sim_routes(router: Router<ApiState>) -> Router<ApiState> {
    router
}

/// The simulators' endpoints (each answers 404 when its device is real).
#[cfg(feature = "simulators")]
fn sim_routes(router: Router<ApiState>) -> Router<ApiState> {
    router
        .route("/v1/sim/idcard", post(place_id_card).delete(remove_id_card))
        .route("/v1/sim/idcard/fault", post(id_reader_fault))
        .route(
            "/v1/sim/sscard",
            post(insert_ss_card).delete(remove_ss_card),
        )
        .route("/v1/sim/sscard/fault", post(ss_card_fault))
        .route("/v1/sim/scan", post(scan))
        .route("/v1/sim/scanner/fault", post(scanner_fault))
        .route("/v1/sim/printer/fault", post(printer_fault))
        .route("/v1/sim/store/fault", post(store_fault))
        .route("/v1/sim/receipts", get(receipts))
        .route("/v1/sim/receipts/{id}/png", get(receipt_png))
        .route("/v1/sim/central/premium/{order_no}", post(central_payment))
        .route("/v1/sim/central/fault", post(central_fault))
        .route("/v1/sim/central/health/{terminal}", get(central_health))
        .route("/v1/sim/central/config/{terminal}", post(central_config))
}

/// `POST /v1/sim/central/premium/{order_no}`: the citizen's phone pays
/// (or fails to pay) an open order at the built-in centre. Body as the
/// centre's `POST /sim/premium/{order_no}`: `{"result": "paid", "channel":
/// "微信支付"}` or `{"result": "failed", "reason": "余额不足"}`.
#[cfg(feature = "simulators")]
async fn central_payment(
    State(state): State<ApiState>,
    Path(order_no): Path<String>,
    body: Bytes,
) -> Response {
    let Some(central) = &state.central else {
        return not_simulated();
    };
    let result: kiosk_central::SimulatedPayment = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return problem(StatusCode::BAD_REQUEST, format!("payment JSON: {e}")),
    };
    match central.simulate_payment(&order_no, &result) {
        Ok(order) => Json(order).into_response(),
        Err(kiosk_central::Error::NoSuchOrder(_)) => {
            problem(StatusCode::NOT_FOUND, "no such order")
        }
        Err(kiosk_central::Error::OrderNotOpen(order)) => {
            (StatusCode::CONFLICT, Json(*order)).into_response()
        }
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `POST /v1/sim/central/fault` `{"unreachable": bool}`: the hall's
/// network to the built-in centre goes down (every connection dropped) or
/// comes back.
#[cfg(feature = "simulators")]
async fn central_fault(State(state): State<ApiState>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct CentralFault {
        unreachable: bool,
    }
    let Some(central) = &state.central else {
        return not_simulated();
    };
    match serde_json::from_slice::<CentralFault>(&body) {
        Ok(f) => {
            central.faults().set_unreachable(f.unreachable);
            Json(json!({ "ok": true })).into_response()
        }
        Err(e) => problem(StatusCode::BAD_REQUEST, format!("fault JSON: {e}")),
    }
}

/// `POST /v1/sim/store/fault` `{"full": bool}`: the disk under the store
/// fills up or has space again. The seam is SQLite's own page limit
/// (`Store::limit_growth`): the kiosk's real write paths meet a real
/// SQLITE_FULL. Simulation mode only.
#[cfg(feature = "simulators")]
async fn store_fault(State(state): State<ApiState>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct StoreFault {
        full: bool,
    }
    let (true, Some(backend)) = (state.store_faults, state.backend.clone()) else {
        return problem(StatusCode::NOT_FOUND, "the store is not simulated");
    };
    let fault = match serde_json::from_slice::<StoreFault>(&body) {
        Ok(f) => f,
        Err(e) => return problem(StatusCode::BAD_REQUEST, format!("fault JSON: {e}")),
    };
    match tokio::task::spawn_blocking(move || backend.store().limit_growth(fault.full)).await {
        Ok(Ok(())) => Json(json!({ "ok": true })).into_response(),
        Ok(Err(e)) => problem(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// The health reports the built-in centre received from `terminal`.
#[cfg(feature = "simulators")]
async fn central_health(State(state): State<ApiState>, Path(terminal): Path<String>) -> Response {
    let Some(central) = &state.central else {
        return not_simulated();
    };
    match central.health_reports(&terminal) {
        Ok(reports) => Json(reports).into_response(),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `POST /v1/sim/central/config/{terminal}` `{"settings": {...}}`: staff
/// set a remote configuration at the built-in centre (KS33).
#[cfg(feature = "simulators")]
async fn central_config(
    State(state): State<ApiState>,
    Path(terminal): Path<String>,
    body: Bytes,
) -> Response {
    let Some(central) = &state.central else {
        return not_simulated();
    };
    let settings = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("settings").cloned())
        .filter(serde_json::Value::is_object);
    let Some(settings) = settings else {
        return problem(
            StatusCode::BAD_REQUEST,
            "body must be {\"settings\": {...}}",
        );
    };
    match central.set_terminal_config(&terminal, &settings) {
        Ok(version) => Json(json!({ "version": version })).into_response(),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// The 404 of a route for the built-in centre when none runs.
#[cfg(feature = "simulators")]
fn not_simulated() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "the central service is not simulated",
    )
}

fn problem(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// Refuses every request without the configured token.
async fn require_token(
    State(state): State<ApiState>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    if let Some(token) = &state.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(token.as_str()) {
            return problem(StatusCode::UNAUTHORIZED, "token required");
        }
    }
    next.run(request).await
}

/// Runs a blocking UI call off the async runtime.
async fn on_ui<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, kiosk_ui::Error> + Send + 'static,
) -> Result<T, Box<Response>> {
    let answer = tokio::task::spawn_blocking(f).await;
    let failure = match answer {
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(kiosk_ui::Error::NoSuchElement(label))) => problem(
            StatusCode::NOT_FOUND,
            format!("no visible element labelled {label:?}"),
        ),
        Ok(Err(kiosk_ui::Error::Disabled(label))) => problem(
            StatusCode::CONFLICT,
            format!("element {label:?} is disabled"),
        ),
        Ok(Err(kiosk_ui::Error::OffScreen(label))) => problem(
            StatusCode::CONFLICT,
            format!("element {label:?} is off screen (outside the content area)"),
        ),
        Ok(Err(e)) => problem(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    Err(Box::new(failure))
}

async fn screen(State(state): State<ApiState>) -> Response {
    let ui = state.ui.clone();
    match on_ui(move || ui.screen()).await {
        Ok(info) => Json(info).into_response(),
        Err(r) => *r,
    }
}

/// Only the screen id: cheap enough to poll at millisecond pace (benchmarks).
async fn screen_id(State(state): State<ApiState>) -> Response {
    let ui = state.ui.clone();
    match on_ui(move || ui.screen_id()).await {
        Ok(id) => Json(serde_json::json!({ "screen": id })).into_response(),
        Err(r) => *r,
    }
}

#[derive(Deserialize)]
struct DrawRequest {
    label: String,
    points: Vec<(f32, f32)>,
}

async fn draw(State(state): State<ApiState>, Json(request): Json<DrawRequest>) -> Response {
    let ui = state.ui.clone();
    let points: Vec<(f32, f32)> = request.points.into_iter().take(2000).collect();
    match on_ui(move || ui.draw(&request.label, points)).await {
        Ok(()) => Json(serde_json::json!({ "ok": true })).into_response(),
        Err(r) => *r,
    }
}

#[derive(Deserialize)]
struct TapRequest {
    label: String,
}

async fn tap(State(state): State<ApiState>, Json(request): Json<TapRequest>) -> Response {
    let ui = state.ui.clone();
    match on_ui(move || ui.tap(&request.label)).await {
        Ok(()) => Json(json!({ "ok": true })).into_response(),
        Err(r) => *r,
    }
}

#[derive(Deserialize)]
struct InputRequest {
    label: String,
    text: String,
}

async fn input(State(state): State<ApiState>, Json(request): Json<InputRequest>) -> Response {
    let ui = state.ui.clone();
    match on_ui(move || ui.input(&request.label, &request.text)).await {
        Ok(()) => Json(json!({ "ok": true })).into_response(),
        Err(r) => *r,
    }
}

async fn screenshot(State(state): State<ApiState>) -> Response {
    let ui = state.ui.clone();
    match on_ui(move || ui.screenshot()).await {
        Ok(png) => ([(header::CONTENT_TYPE, "image/png")], png).into_response(),
        Err(r) => *r,
    }
}

#[cfg(feature = "simulators")]
async fn place_id_card(State(state): State<ApiState>, body: Bytes) -> Response {
    let Some(slot) = &state.id_card_slot else {
        return problem(StatusCode::NOT_FOUND, "the ID card reader is not simulated");
    };
    let text = String::from_utf8_lossy(&body);
    match SimCard::from_json(&text) {
        Ok(card) => {
            slot.place(card);
            Json(json!({ "ok": true })).into_response()
        }
        Err(e) => problem(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

#[cfg(feature = "simulators")]
async fn remove_id_card(State(state): State<ApiState>) -> Response {
    let Some(slot) = &state.id_card_slot else {
        return problem(StatusCode::NOT_FOUND, "the ID card reader is not simulated");
    };
    let removed = slot.remove().is_some();
    Json(json!({ "ok": true, "removed": removed })).into_response()
}

#[cfg(feature = "simulators")]
/// A fault for the simulated ID card reader. With `once`, it applies to
/// the next matching reply only; otherwise to every reply until changed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultRequest {
    /// Flip the checksum byte.
    pub corrupt_checksum: bool,
    /// Keep only this many bytes of the reply.
    pub truncate: Option<usize>,
    /// Do not answer at all.
    pub no_reply: bool,
    /// Line noise before the reply, in hex.
    pub noise_hex: Option<String>,
    /// Only replies to this command byte (48 = 0x30, read).
    pub only_command: Option<u8>,
    /// Unplug (true: the port disappears) or re-plug (false: a new pty at
    /// the same path) the reader. The other fields apply as usual.
    pub unplugged: Option<bool>,
    /// One reply only.
    pub once: bool,
}

#[cfg(feature = "simulators")]
async fn id_reader_fault(
    State(state): State<ApiState>,
    Json(request): Json<FaultRequest>,
) -> Response {
    let Some(reader) = &state.id_reader else {
        return problem(StatusCode::NOT_FOUND, "the ID card reader is not simulated");
    };
    let noise = match request.noise_hex.as_deref().map(hex::decode).transpose() {
        Ok(noise) => noise.unwrap_or_default(),
        Err(e) => return problem(StatusCode::BAD_REQUEST, format!("noise_hex: {e}")),
    };
    if let Some(unplugged) = request.unplugged {
        // Stopping or starting the reader thread: off the runtime.
        let reader = Arc::clone(reader);
        let plugged = tokio::task::spawn_blocking(move || {
            if unplugged {
                reader.unplug();
                Ok(())
            } else {
                reader.replug()
            }
        })
        .await;
        match plugged {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return problem(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
            Err(e) => return problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        }
    }
    let faults = SimFaults {
        noise_before_reply: noise,
        split_reply: None,
        corrupt_checksum: request.corrupt_checksum,
        no_reply: request.no_reply,
        truncate_reply: request.truncate,
        only_command: request.only_command,
    };
    if request.once {
        reader.fault_next_reply(faults);
    } else {
        reader.set_faults(faults);
    }
    Json(json!({ "ok": true })).into_response()
}

#[cfg(feature = "simulators")]
async fn insert_ss_card(State(state): State<ApiState>, body: Bytes) -> Response {
    let Some(reader) = &state.ss_card_reader else {
        return problem(
            StatusCode::NOT_FOUND,
            "the social security card reader is not simulated",
        );
    };
    let text = String::from_utf8_lossy(&body);
    let card = if matches!(text.trim(), "" | "{}" | "null") {
        Ok(SsCardImage::demo())
    } else {
        SsCardImage::from_json(&text)
    };
    match card {
        Ok(card) => {
            reader.slot().insert(card);
            Json(json!({ "ok": true })).into_response()
        }
        Err(e) => problem(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

#[cfg(feature = "simulators")]
async fn remove_ss_card(State(state): State<ApiState>) -> Response {
    let Some(reader) = &state.ss_card_reader else {
        return problem(
            StatusCode::NOT_FOUND,
            "the social security card reader is not simulated",
        );
    };
    let removed = reader.slot().remove().is_some();
    Json(json!({ "ok": true, "removed": removed })).into_response()
}

#[cfg(feature = "simulators")]
/// A fault for the simulated CCID reader. With `once`, it applies to the
/// next matching reply only; otherwise to every reply until changed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SsFaultRequest {
    /// Reply with the wrong bSeq.
    pub wrong_seq: bool,
    /// Time-extension replies before each answer.
    pub time_extensions: u32,
    /// Pull the card out after this many APDUs.
    pub pull_card_after_apdus: Option<u32>,
    /// Reply with a 5-byte header only.
    pub short_header: bool,
    /// No reply.
    pub no_reply: bool,
    /// Only replies to this CCID message type (111 = 0x6F XfrBlock).
    pub only_message: Option<u8>,
    /// Unplug (true) or re-plug (false) the reader.
    pub unplugged: Option<bool>,
    /// Take the PSAM out of slot 1 (false) or put it back (true).
    pub psam_present: Option<bool>,
    /// One reply only.
    pub once: bool,
}

#[cfg(feature = "simulators")]
async fn ss_card_fault(
    State(state): State<ApiState>,
    Json(request): Json<SsFaultRequest>,
) -> Response {
    let Some(reader) = &state.ss_card_reader else {
        return problem(
            StatusCode::NOT_FOUND,
            "the social security card reader is not simulated",
        );
    };
    if let Some(unplugged) = request.unplugged {
        reader.set_unplugged(unplugged);
    }
    if let Some(present) = request.psam_present {
        reader.set_psam(present.then_some(kiosk_sim::sscard::MasterKeys::TEST));
    }
    let faults = SsSimFaults {
        wrong_seq: request.wrong_seq,
        time_extensions: request.time_extensions,
        pull_card_after_apdus: request.pull_card_after_apdus,
        short_header: request.short_header,
        no_reply: request.no_reply,
        only_message: request.only_message,
    };
    if request.once {
        reader.fault_next_reply(faults);
    } else {
        reader.set_faults(faults);
    }
    Json(json!({ "ok": true })).into_response()
}

#[cfg(feature = "simulators")]
/// A code to scan on the simulated QR scanner.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    /// The code's text.
    pub text: String,
    /// `cr` (default), `crlf`, `lf` or `none`.
    #[serde(default)]
    pub terminator: Option<String>,
    /// Extra copies (a scanner repeating).
    #[serde(default)]
    pub repeats: u32,
    /// Keep only this many bytes (a partial read).
    #[serde(default)]
    pub truncate: Option<usize>,
    /// Raw bytes (hex) sent before the code: line noise, or a garbage
    /// line when they end with a CR.
    #[serde(default)]
    pub noise_hex: Option<String>,
}

#[cfg(feature = "simulators")]
async fn scan(State(state): State<ApiState>, Json(request): Json<ScanRequest>) -> Response {
    let Some(scanner) = state.scanner.clone() else {
        return problem(StatusCode::NOT_FOUND, "the QR scanner is not simulated");
    };
    let terminator = match request.terminator.as_deref() {
        None | Some("cr") => Terminator::Cr,
        Some("crlf") => Terminator::CrLf,
        Some("lf") => Terminator::Lf,
        Some("none") => Terminator::None,
        Some(other) => {
            return problem(
                StatusCode::BAD_REQUEST,
                format!("terminator {other:?}: use cr, crlf, lf or none"),
            );
        }
    };
    let noise = match request.noise_hex.as_deref().map(hex::decode).transpose() {
        Ok(noise) => noise.unwrap_or_default(),
        Err(e) => return problem(StatusCode::BAD_REQUEST, format!("noise_hex: {e}")),
    };
    if noise.len() > 64 * 1024 {
        return problem(StatusCode::BAD_REQUEST, "noise_hex: at most 64 KiB");
    }
    let faults = ScanFaults {
        terminator,
        repeats: request.repeats.min(100),
        truncate: request.truncate,
        noise_before: noise,
    };
    let result =
        tokio::task::spawn_blocking(move || scanner.scan_with(&request.text, &faults)).await;
    match result {
        Ok(Ok(())) => Json(json!({ "ok": true })).into_response(),
        Ok(Err(e)) => problem(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

#[cfg(feature = "simulators")]
/// A fault for the simulated QR scanner.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScannerFaultRequest {
    /// Unplug (true: the port disappears) or re-plug (false: a new pty at
    /// the same path) the scanner.
    pub unplugged: Option<bool>,
}

#[cfg(feature = "simulators")]
async fn scanner_fault(
    State(state): State<ApiState>,
    Json(request): Json<ScannerFaultRequest>,
) -> Response {
    let Some(scanner) = state.scanner.clone() else {
        return problem(StatusCode::NOT_FOUND, "the QR scanner is not simulated");
    };
    let result = tokio::task::spawn_blocking(move || match request.unplugged {
        Some(true) => {
            scanner.unplug();
            Ok(())
        }
        Some(false) => scanner.replug(),
        None => Ok(()),
    })
    .await;
    match result {
        Ok(Ok(())) => Json(json!({ "ok": true })).into_response(),
        Ok(Err(e)) => problem(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Every device's entry by name, plus `status` (`ok`, `degraded`,
/// `unavailable`) and `reasons`; HTTP 503 when unavailable (a supervisor
/// or the hall's console can act on the code alone).
async fn health(State(state): State<ApiState>) -> Response {
    let mut body = serde_json::to_value(state.health.snapshot()).unwrap_or_default();
    let verdict = state.telemetry.as_ref().map(|t| t.health());
    let code = match &verdict {
        Some(v) if v.status == crate::metrics::UNAVAILABLE => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    };
    if let (Some(v), Some(map)) = (verdict, body.as_object_mut()) {
        map.insert("status".into(), v.status.into());
        map.insert("reasons".into(), v.reasons.into());
    }
    (code, Json(body)).into_response()
}

/// The Prometheus text format (metrics.rs).
async fn metrics(State(state): State<ApiState>) -> Response {
    match &state.telemetry {
        Some(t) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            t.render(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(feature = "simulators")]
#[derive(Serialize)]
struct ReceiptInfo {
    id: u64,
    text: String,
    /// Ended by a cut (else torn off: the link closed, or the cutter
    /// jammed).
    cut: bool,
    bytes_received: usize,
    png: String,
    png_path: Option<String>,
}

#[cfg(feature = "simulators")]
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct PrinterFaultRequest {
    paper_out: bool,
    paper_near_end: bool,
    cover_open: bool,
    cutter_error: bool,
    cutter_jam_at_next_cut: bool,
    drop_link_after_bytes: Option<usize>,
    cover_open_after_bytes: Option<usize>,
}

#[cfg(feature = "simulators")]
async fn printer_fault(State(state): State<ApiState>, body: Bytes) -> Response {
    let Some(printer) = &state.printer else {
        return problem(StatusCode::NOT_FOUND, "the printer is not simulated");
    };
    let request: PrinterFaultRequest = if body.is_empty() {
        PrinterFaultRequest::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => return problem(StatusCode::BAD_REQUEST, format!("fault JSON: {e}")),
        }
    };
    printer.set_faults(kiosk_sim::printer::PrinterFaults {
        paper_out: request.paper_out,
        paper_near_end: request.paper_near_end,
        cover_open: request.cover_open,
        cutter_error: request.cutter_error,
        cutter_jam_at_next_cut: request.cutter_jam_at_next_cut,
        drop_link_after_bytes: request.drop_link_after_bytes,
        cover_open_after_bytes: request.cover_open_after_bytes,
    });
    Json(json!({ "ok": true })).into_response()
}

#[cfg(feature = "simulators")]
async fn receipts(State(state): State<ApiState>) -> Response {
    let Some(printer) = &state.printer else {
        return problem(StatusCode::NOT_FOUND, "the printer is not simulated");
    };
    let list: Vec<ReceiptInfo> = printer
        .receipts()
        .into_iter()
        .map(|r| ReceiptInfo {
            id: r.id,
            text: r.text,
            cut: r.cut,
            bytes_received: r.bytes_received,
            png: format!("/v1/sim/receipts/{}/png", r.id),
            png_path: r.png_path.map(|p| p.display().to_string()),
        })
        .collect();
    Json(list).into_response()
}

#[cfg(feature = "simulators")]
async fn receipt_png(State(state): State<ApiState>, Path(id): Path<u64>) -> Response {
    let Some(printer) = &state.printer else {
        return problem(StatusCode::NOT_FOUND, "the printer is not simulated");
    };
    match printer.receipts().into_iter().find(|r| r.id == id) {
        Some(r) => ([(header::CONTENT_TYPE, "image/png")], r.png).into_response(),
        None => problem(StatusCode::NOT_FOUND, format!("no receipt {id}")),
    }
}

/// How long `POST /v1/sync/now` waits for its cycle.
const SYNC_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

async fn sync_status(State(state): State<ApiState>) -> Response {
    let Some(backend) = state.backend.clone() else {
        return problem(StatusCode::NOT_FOUND, "no local store");
    };
    match tokio::task::spawn_blocking(move || backend.status()).await {
        Ok(Ok(view)) => Json::<StatusView>(view).into_response(),
        Ok(Err(e)) => problem(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn sync_now(State(state): State<ApiState>) -> Response {
    let Some(backend) = state.backend.clone() else {
        return problem(StatusCode::NOT_FOUND, "no local store");
    };
    let done = tokio::task::spawn_blocking(move || {
        let report = backend.sync_now_and_wait(SYNC_WAIT)?;
        let pending = backend.store().outbox_stats()?.pending;
        Ok::<_, Error>(report.map(|r| CycleView::of(&r, pending)))
    })
    .await;
    match done {
        Ok(Ok(Some(view))) => Json(view).into_response(),
        Ok(Ok(None)) => problem(
            StatusCode::GATEWAY_TIMEOUT,
            format!(
                "the sync cycle did not finish within {} s",
                SYNC_WAIT.as_secs()
            ),
        ),
        Ok(Err(e)) => problem(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
