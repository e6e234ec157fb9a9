//! Resident premium payment orders in the store (schema v6,
//! `premium_order`). An order is written, numbered, before KS52 leaves;
//! its state follows the centre's answers; one left `creating` or `open`
//! is reconciled by the sync engine ([`crate::outbox::Outbox::reconcile_premium_orders`]).

use chrono::NaiveDateTime;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{Store, fmt_time, parse_time};
use crate::error::Error;

/// Where a stored order stands, as far as the kiosk knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderRecordState {
    /// Written; KS52 not answered yet (or its answer was lost).
    Creating,
    /// The centre holds it open (the QR code may be paid).
    Open,
    /// The centre confirmed the payment.
    Paid,
    /// The payment failed.
    Failed,
    /// Expired unpaid.
    Expired,
    /// Cancelled unpaid.
    Cancelled,
    /// The centre never created it (KS53 answered unknown).
    Void,
}

impl OrderRecordState {
    /// The stored (and wire) name.
    pub fn name(self) -> &'static str {
        match self {
            OrderRecordState::Creating => "creating",
            OrderRecordState::Open => "open",
            OrderRecordState::Paid => "paid",
            OrderRecordState::Failed => "failed",
            OrderRecordState::Expired => "expired",
            OrderRecordState::Cancelled => "cancelled",
            OrderRecordState::Void => "void",
        }
    }

    /// From the stored name, or from the centre's `state` (`unknown` is
    /// [`OrderRecordState::Void`]).
    pub fn from_name(name: &str) -> Option<OrderRecordState> {
        Some(match name {
            "creating" => OrderRecordState::Creating,
            "open" => OrderRecordState::Open,
            "paid" => OrderRecordState::Paid,
            "failed" => OrderRecordState::Failed,
            "expired" => OrderRecordState::Expired,
            "cancelled" => OrderRecordState::Cancelled,
            "void" | "unknown" => OrderRecordState::Void,
            _ => return None,
        })
    }

    /// Whether nothing can change it any more.
    pub fn is_settled(self) -> bool {
        !matches!(self, OrderRecordState::Creating | OrderRecordState::Open)
    }
}

/// A stored payment order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOrder {
    /// The kiosk's order number.
    pub order_no: String,
    /// The year paid for.
    pub year: i32,
    /// The amount (`"400.00"`).
    pub amount: String,
    /// Its state.
    pub state: OrderRecordState,
    /// No session watches it.
    pub abandoned: bool,
    /// The receipt number, once paid.
    pub receipt_no: Option<String>,
    /// Times the sync engine asked the centre about it.
    pub checks: u32,
    /// Written at.
    pub created_at: Option<NaiveDateTime>,
    /// Last changed at.
    pub updated_at: Option<NaiveDateTime>,
}

/// Counts for the status page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrderStats {
    /// Orders not settled yet (creating or open).
    pub unsettled: u64,
    /// Of which no session watches.
    pub abandoned: u64,
}

const COLUMNS: &str =
    "order_no, year, amount, state, abandoned, receipt_no, checks, created_at, updated_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredOrder> {
    let state: String = r.get(3)?;
    let created: String = r.get(7)?;
    let updated: String = r.get(8)?;
    Ok(StoredOrder {
        order_no: r.get(0)?,
        year: r.get(1)?,
        amount: r.get(2)?,
        // An unreadable state is treated as unsettled: asked about again.
        state: OrderRecordState::from_name(&state).unwrap_or(OrderRecordState::Creating),
        abandoned: r.get::<_, i64>(4)? != 0,
        receipt_no: r.get(5)?,
        checks: r.get::<_, i64>(6)?.clamp(0, i64::from(u32::MAX)) as u32,
        created_at: parse_time(&created),
        updated_at: parse_time(&updated),
    })
}

impl Store {
    /// Numbers and writes a new order (state `creating`) in one fsync'd
    /// transaction, before KS52 is sent. The number is `<terminal id>P
    /// <yyyyMMdd><6-digit serial>`, the serial from a row id never reused.
    pub fn premium_order_new(
        &self,
        terminal_id: &str,
        person_number: &str,
        year: i32,
        amount: &str,
        now: NaiveDateTime,
    ) -> Result<String, Error> {
        self.adding(|| {
            let mut conn = self.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let last: i64 = tx
                .query_row(
                    "SELECT seq FROM sqlite_sequence WHERE name = 'premium_order'",
                    [],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0);
            let id = last + 1;
            let order_no = format!(
                "{terminal_id}P{}{:06}",
                now.format("%Y%m%d"),
                id.rem_euclid(1_000_000)
            );
            let stamp = fmt_time(now);
            tx.execute(
                "INSERT INTO premium_order (id, order_no, subject, year, amount, state, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'creating', ?6, ?6)",
                params![id, order_no, self.key.subject_tag(person_number), year, amount, stamp],
            )?;
            tx.commit()?;
            Ok(order_no)
        })
    }

    /// The newest order of the person for `year` that is not settled
    /// (creating or open): the one to show again rather than a second.
    pub fn premium_order_unsettled_for(
        &self,
        person_number: &str,
        year: i32,
    ) -> Result<Option<StoredOrder>, Error> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {COLUMNS} FROM premium_order
             WHERE subject = ?1 AND year = ?2 AND state IN ('creating', 'open')
             ORDER BY id DESC LIMIT 1"
        );
        Ok(conn
            .query_row(
                &sql,
                params![self.key.subject_tag(person_number), year],
                row,
            )
            .optional()?)
    }

    /// One order by number.
    pub fn premium_order(&self, order_no: &str) -> Result<Option<StoredOrder>, Error> {
        let conn = self.conn();
        let sql = format!("SELECT {COLUMNS} FROM premium_order WHERE order_no = ?1");
        Ok(conn.query_row(&sql, [order_no], row).optional()?)
    }

    /// Records what the centre said about an order. A settled order stays
    /// as it is (a late answer never turns a payment back).
    pub fn premium_order_update(
        &self,
        order_no: &str,
        state: OrderRecordState,
        receipt_no: Option<&str>,
        now: NaiveDateTime,
    ) -> Result<(), Error> {
        self.conn().execute(
            "UPDATE premium_order
             SET state = ?2, receipt_no = COALESCE(?3, receipt_no), updated_at = ?4
             WHERE order_no = ?1 AND state IN ('creating', 'open')",
            params![order_no, state.name(), receipt_no, fmt_time(now)],
        )?;
        Ok(())
    }

    /// No session watches the order any more: the sync engine takes it.
    pub fn premium_order_abandon(&self, order_no: &str, now: NaiveDateTime) -> Result<(), Error> {
        self.conn().execute(
            "UPDATE premium_order SET abandoned = 1, updated_at = ?2 WHERE order_no = ?1",
            params![order_no, fmt_time(now)],
        )?;
        Ok(())
    }

    /// Notes one more check by the sync engine.
    pub fn premium_order_checked(&self, order_no: &str) -> Result<(), Error> {
        self.conn().execute(
            "UPDATE premium_order SET checks = checks + 1 WHERE order_no = ?1",
            [order_no],
        )?;
        Ok(())
    }

    /// Orders to reconcile, oldest first: unsettled and abandoned, or
    /// unsettled and untouched since `stale_before` (a kiosk that stopped
    /// while a session watched it).
    pub fn premium_orders_to_reconcile(
        &self,
        stale_before: NaiveDateTime,
        limit: usize,
    ) -> Result<Vec<StoredOrder>, Error> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {COLUMNS} FROM premium_order
             WHERE state IN ('creating', 'open') AND (abandoned = 1 OR updated_at < ?1)
             ORDER BY id LIMIT ?2"
        );
        let mut stmt = conn.prepare(&sql)?;
        let out = stmt
            .query_map(
                params![fmt_time(stale_before), limit.min(i64::MAX as usize) as i64],
                row,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(out)
    }

    /// Unsettled and abandoned counts.
    pub fn premium_order_stats(&self) -> Result<OrderStats, Error> {
        let conn = self.conn();
        let (unsettled, abandoned): (i64, i64) = conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(abandoned), 0) FROM premium_order
             WHERE state IN ('creating', 'open')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(OrderStats {
            unsettled: unsettled.max(0) as u64,
            abandoned: abandoned.max(0) as u64,
        })
    }

    /// Deletes settled orders last changed before `before`; returns how
    /// many. Unsettled ones stay whatever their age.
    pub fn premium_order_purge(&self, before: NaiveDateTime) -> Result<usize, Error> {
        Ok(self.conn().execute(
            "DELETE FROM premium_order
             WHERE state NOT IN ('creating', 'open') AND updated_at < ?1",
            [fmt_time(before)],
        )?)
    }
}
