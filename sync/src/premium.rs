//! Resident premium payment orders (KS52–KS54) with the store behind
//! them: nothing about an order is only in memory. The kiosk numbers an
//! order and writes it before KS52 leaves; every answer updates it; an
//! order whose answer was lost, or that no session watches any more, is
//! reconciled by the sync engine ([`PaymentDesk::reconcile`]) until the
//! centre has settled it. Never paid twice: KS52 is idempotent on the
//! kiosk's order number, a person's unsettled order is shown again rather
//! than a second one created, and an order the centre never saw is barred
//! by the KS53 that finds it unknown.

use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;

use crate::client::CentralClient;
use crate::error::Error;
use crate::store::{OrderRecordState, Store};
use crate::wire::{PremiumOrderInput, PremiumOrderOutput};
use kiosk_core::clock::Clock;

/// An order untouched this long, unsettled, is taken by the sync engine
/// even if no session gave it up (the kiosk stopped while one watched).
pub const STALE_AFTER: Duration = Duration::from_secs(30 * 60);

/// Orders reconciled per sync cycle at most.
pub const RECONCILE_BATCH: usize = 20;

/// What [`PaymentDesk::order`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderAttempt {
    /// The centre's answer: an open order (new, or the person's earlier
    /// one shown again), or one settled meanwhile (paid, …).
    Answered(PremiumOrderOutput),
    /// The centre refused to create it (its reason, for the citizen).
    Refused(String),
    /// The answer is unknown: the order is kept and reconciled later.
    Unknown {
        /// The kiosk's order number.
        order_no: String,
        /// What failed (no personal data).
        error: String,
    },
}

/// What one reconciliation pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Orders asked about.
    pub checked: usize,
    /// Of which the centre has settled now (paid, failed, expired,
    /// cancelled, void).
    pub settled: usize,
    /// Of which found paid.
    pub paid: usize,
    /// Abandoned open orders cancelled.
    pub cancelled: usize,
    /// The pass stopped at a transport failure.
    pub unreachable: bool,
}

/// Orders through the client, recorded in the store.
pub struct PaymentDesk {
    store: Arc<Store>,
    client: Arc<CentralClient>,
    clock: Arc<dyn Clock>,
    terminal_id: String,
}

impl PaymentDesk {
    /// A desk numbering orders with `terminal_id`.
    pub fn new(
        store: Arc<Store>,
        client: Arc<CentralClient>,
        clock: Arc<dyn Clock>,
        terminal_id: &str,
    ) -> PaymentDesk {
        PaymentDesk {
            store,
            client,
            clock,
            terminal_id: terminal_id.to_string(),
        }
    }

    /// An order for `psn_no`'s `year` of `amount`: the person's unsettled
    /// order of that year again when the centre still holds it open (or
    /// has it paid), else a new one, numbered and stored first.
    pub fn order(
        &self,
        psn_no: &str,
        year: i32,
        amount: Decimal,
        agnter: &str,
    ) -> Result<OrderAttempt, Error> {
        if let Some(earlier) = self.store.premium_order_unsettled_for(psn_no, year)? {
            match self.client.query_premium_order(&earlier.order_no) {
                Ok(answer) => {
                    self.record(&answer)?;
                    if matches!(answer.state.as_str(), "open" | "paid") {
                        return Ok(OrderAttempt::Answered(answer));
                    }
                }
                Err(e) if is_refusal(&e) => {}
                // The centre cannot say: do not open a second order now.
                Err(e) => {
                    return Ok(OrderAttempt::Unknown {
                        order_no: earlier.order_no,
                        error: e.to_string(),
                    });
                }
            }
        }
        let amount_text = amount.round_dp(2).to_string();
        let order_no = self.store.premium_order_new(
            &self.terminal_id,
            psn_no,
            year,
            &amount_text,
            self.clock.now(),
        )?;
        let input = PremiumOrderInput {
            order_no: order_no.clone(),
            psn_no: psn_no.to_string(),
            year,
            amount,
            agnter: agnter.to_string(),
        };
        match self.client.create_premium_order(&input) {
            Ok(answer) => {
                self.record(&answer)?;
                Ok(OrderAttempt::Answered(answer))
            }
            Err(Error::Refused { message, .. }) => {
                // Nothing was created: the number is spent.
                self.store.premium_order_update(
                    &order_no,
                    OrderRecordState::Void,
                    None,
                    self.clock.now(),
                )?;
                Ok(OrderAttempt::Refused(message))
            }
            Err(e) => {
                tracing::warn!(order_no, "premium order answer lost: {e}");
                self.store
                    .premium_order_abandon(&order_no, self.clock.now())?;
                Ok(OrderAttempt::Unknown {
                    order_no,
                    error: e.to_string(),
                })
            }
        }
    }

    /// KS53, recorded.
    pub fn poll(&self, order_no: &str) -> Result<PremiumOrderOutput, Error> {
        let answer = self.client.query_premium_order(order_no)?;
        self.record(&answer)?;
        Ok(answer)
    }

    /// KS54, recorded. A lost answer leaves the order to the sync engine.
    pub fn cancel(&self, order_no: &str) -> Result<PremiumOrderOutput, Error> {
        self.store
            .premium_order_abandon(order_no, self.clock.now())?;
        let answer = self.client.cancel_premium_order(order_no)?;
        self.record(&answer)?;
        Ok(answer)
    }

    /// No session watches the order any more: cancel it now if the centre
    /// can be reached, else the sync engine does it later.
    pub fn give_up(&self, order_no: &str) -> Result<(), Error> {
        self.store
            .premium_order_abandon(order_no, self.clock.now())?;
        if let Err(e) = self.cancel(order_no) {
            tracing::warn!(order_no, "abandoned order not cancelled yet: {e}");
        }
        Ok(())
    }

    /// Asks the centre about every order that needs it (abandoned or
    /// stale, unsettled), cancels the abandoned ones still open. Stops at
    /// the first transport failure.
    pub fn reconcile(&self) -> Result<ReconcileReport, Error> {
        let mut report = ReconcileReport::default();
        let now = self.clock.now();
        let stale_before = chrono::Duration::from_std(STALE_AFTER)
            .ok()
            .and_then(|d| now.checked_sub_signed(d))
            .unwrap_or(now);
        for order in self
            .store
            .premium_orders_to_reconcile(stale_before, RECONCILE_BATCH)?
        {
            report.checked += 1;
            self.store.premium_order_checked(&order.order_no)?;
            let answer = match self.client.query_premium_order(&order.order_no) {
                Ok(a) => a,
                Err(e) if is_refusal(&e) => continue,
                Err(e) => {
                    tracing::warn!("premium reconciliation stopped: {e}");
                    report.unreachable = true;
                    break;
                }
            };
            let answer = if answer.state == "open" {
                // Abandoned, or stale: nobody shows its QR code any more.
                match self.client.cancel_premium_order(&order.order_no) {
                    Ok(a) => {
                        if a.state == "cancelled" {
                            report.cancelled += 1;
                        }
                        a
                    }
                    Err(e) if is_refusal(&e) => answer,
                    Err(e) => {
                        tracing::warn!("premium reconciliation stopped: {e}");
                        report.unreachable = true;
                        break;
                    }
                }
            } else {
                answer
            };
            self.record(&answer)?;
            if OrderRecordState::from_name(&answer.state).is_some_and(|s| s.is_settled()) {
                report.settled += 1;
                if answer.state == "paid" {
                    report.paid += 1;
                }
            }
            tracing::info!(
                order_no = order.order_no,
                state = answer.state,
                "premium order reconciled"
            );
        }
        Ok(report)
    }

    fn record(&self, answer: &PremiumOrderOutput) -> Result<(), Error> {
        let Some(state) = OrderRecordState::from_name(&answer.state) else {
            return Err(Error::Malformed(format!(
                "unknown order state {}",
                answer.state.chars().take(16).collect::<String>()
            )));
        };
        let receipt = (!answer.receipt_no.is_empty()).then_some(answer.receipt_no.as_str());
        self.store
            .premium_order_update(&answer.order_no, state, receipt, self.clock.now())
    }
}

/// The centre answered and refused (not a transport failure).
fn is_refusal(e: &Error) -> bool {
    matches!(e, Error::Refused { .. })
}
