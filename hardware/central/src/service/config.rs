//! KS33 terminal configuration: the whitelisted settings staff set for
//! one terminal, or for every terminal (`*`), each set numbered with a
//! version. The centre stores the settings as staff wrote them; the kiosk
//! validates them (an invalid set is refused by the kiosk and reported as
//! refused in its health reports). `POST /sim/terminal-config/{terminal}`
//! sets one (the console will, with a staff login; issue 18).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response as HttpResponse};
use rusqlite::{OptionalExtension, params};
use serde_json::Value;

use kiosk_sync::wire::{TerminalConfigInput, TerminalConfigOutput};

use super::{Central, Handled, bad, db_error, ok, parse};
use crate::Error;

/// The scope that applies to every terminal without one of its own.
pub const EVERY_TERMINAL: &str = "*";

impl Central {
    /// Sets `terminal`'s settings (or every terminal's, `*`): a new
    /// version, higher than any before. Returns it.
    pub fn set_terminal_config(&self, terminal: &str, settings: &Value) -> Result<i64, Error> {
        let conn = self.conn();
        let version: i64 = conn
            .query_row(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM terminal_config",
                [],
                |r| r.get(0),
            )
            .map_err(db_error)?;
        conn.execute(
            "INSERT INTO terminal_config (scope, version, settings, at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (scope) DO UPDATE SET version = excluded.version,
                 settings = excluded.settings, at = excluded.at",
            params![terminal, version, settings.to_string(), self.now_text()],
        )
        .map_err(db_error)?;
        Ok(version)
    }

    /// KS33: the terminal's own settings, else those for every terminal.
    pub(super) fn terminal_config(&self, input: &Value) -> Handled {
        let Some(q) = parse::<TerminalConfigInput>(input) else {
            return Ok(bad("KS33 输入格式错误"));
        };
        let conn = self.conn();
        let row = |scope: &str| {
            conn.query_row(
                "SELECT version, settings FROM terminal_config WHERE scope = ?1",
                [scope],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()
        };
        let found = match row(&q.terminal_id).map_err(db_error)? {
            Some(r) => Some(r),
            None => row(EVERY_TERMINAL).map_err(db_error)?,
        };
        Ok(ok(match found {
            Some((version, settings)) => TerminalConfigOutput {
                version,
                settings: serde_json::from_str(&settings).unwrap_or(Value::Null),
            },
            None => TerminalConfigOutput::default(),
        }))
    }
}

/// `POST /sim/terminal-config/{terminal}` `{"settings": {...}}`.
pub(super) async fn set_route(
    State(central): State<std::sync::Arc<Central>>,
    Path(terminal): Path<String>,
    body: Bytes,
) -> HttpResponse {
    let settings = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("settings").cloned());
    let Some(settings) = settings.filter(Value::is_object) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({ "error": "body must be {\"settings\": {...}}" })),
        )
            .into_response();
    };
    match central.set_terminal_config(&terminal, &settings) {
        Ok(version) => axum::Json(serde_json::json!({ "version": version })).into_response(),
        Err(e) => {
            tracing::error!("terminal configuration not stored: {e}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
