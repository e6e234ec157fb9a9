//! The satisfaction rating (好差评) after every transaction, not only after
//! a print: seed 003's guides end every flow with “进行好差评”, and the
//! catalogue's kiosk requirement is “after each transaction, offer the
//! 4-level satisfaction rating”. A transaction that ends without a print
//! (an enrollment query, a look at the guides, a filing change, extension
//! or cancellation) is remembered; when the citizen taps 返回首页 the
//! rating screen comes first, skippable in one tap (跳过). The printed
//! screen carries its own rating, so a print settles it.

use super::{Command, Prompt, RatingState, Screen, Session};

/// What was done, as the rating records it (`RatingInput::service`).
pub mod transaction {
    /// The enrollment query (参保信息查询).
    pub const ENROLLMENT_QUERY: &str = "enrollment_query";
    /// The service guides (办事指南).
    pub const GUIDES: &str = "guides";
    /// A change, extension, cancellation, suspension or resumption of a
    /// remote-care filing.
    pub const FILING_CHANGE: &str = "filing_change";
    /// A look at my filings (我的备案).
    pub const FILING_QUERY: &str = "filing_query";
    /// A look at the registered chronic / special diseases (no change).
    pub const CHRONIC_QUERY: &str = "chronic_query";
}

impl Session {
    /// A transaction finished without a print: ask for a rating before
    /// the citizen leaves. A later transaction replaces an earlier one.
    pub(super) fn transaction_done(&mut self, transaction: &'static str) {
        self.unrated = Some(transaction);
    }

    /// The transaction the rating screen asks about.
    pub fn unrated(&self) -> Option<&'static str> {
        self.unrated
    }

    /// 返回首页 with a transaction not rated yet: the rating screen, once.
    /// `None` when the session should just end.
    pub(super) fn rate_before_leaving(&mut self) -> Option<Vec<Command>> {
        if self.unrated.is_none() || self.screen == Screen::Rate || self.screen.busy() {
            return None;
        }
        self.rating = RatingState::Open;
        self.screen = Screen::Rate;
        Some(vec![Command::Say(Prompt::Rate)])
    }

    /// The transaction a rating given now is about.
    pub(super) fn rated_transaction(&self) -> &'static str {
        match (self.screen, self.unrated) {
            (Screen::Rate, Some(t)) => t,
            _ => self
                .last_document
                .as_ref()
                .map(super::Document::transaction)
                .unwrap_or(transaction::ENROLLMENT_QUERY),
        }
    }

    /// Whether the rating block is on screen (printed or rating screen).
    pub(super) fn rating_on_screen(&self) -> bool {
        matches!(self.screen, Screen::Printed | Screen::Rate)
    }
}
