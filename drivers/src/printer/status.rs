//! Real-time status (`DLE EOT n`, n = 1..4) mapped to a typed state.
//!
//! The request is written here (3 bytes: the `escpos` crate appends a
//! fourth parameter byte that only `DLE EOT 7/8/18` take); the reply bits
//! are decoded with the crate's `RealTimeStatusResponse::parse`, which also
//! checks the fixed bits (0 and 7 clear, 1 and 4 set).

use escpos::utils::{RealTimeStatusRequest, RealTimeStatusResponse};

use kiosk_core::print_job::FailCause;

/// `DLE EOT n`.
pub fn request(n: u8) -> [u8; 3] {
    [0x10, 0x04, n]
}

/// The four status bytes, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PrinterStatus {
    /// `DLE EOT 1` bit 3.
    pub offline: bool,
    /// `DLE EOT 2` bit 2.
    pub cover_open: bool,
    /// `DLE EOT 2` bit 5, or `DLE EOT 4` bits 5-6.
    pub paper_out: bool,
    /// `DLE EOT 4` bits 2-3.
    pub paper_near_end: bool,
    /// `DLE EOT 3` bit 3.
    pub cutter_error: bool,
    /// `DLE EOT 3` bit 5.
    pub unrecoverable: bool,
    /// `DLE EOT 3` bit 6 (e.g. head too hot; clears by itself).
    pub auto_recoverable: bool,
}

/// What the kiosk does with the printer now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrinterState {
    /// Ready to print.
    Ready,
    /// Ready, but the roll is nearly empty: print, and tell the staff.
    PaperNearEnd,
    /// The roll is empty.
    PaperOut,
    /// The cover is open.
    CoverOpen,
    /// The auto-cutter failed.
    CutterError,
    /// Offline for another reason (unrecoverable error, head hot, …).
    Offline,
}

impl PrinterState {
    /// Whether a job may be sent.
    pub fn can_print(self) -> bool {
        matches!(self, PrinterState::Ready | PrinterState::PaperNearEnd)
    }

    /// The print-journal cause for a state that cannot print.
    pub fn fail_cause(self) -> Option<FailCause> {
        match self {
            PrinterState::Ready | PrinterState::PaperNearEnd => None,
            PrinterState::PaperOut => Some(FailCause::PaperOut),
            PrinterState::CoverOpen => Some(FailCause::CoverOpen),
            PrinterState::CutterError => Some(FailCause::CutterError),
            PrinterState::Offline => Some(FailCause::Offline),
        }
    }

    /// Short Chinese text for the health report and the technician.
    pub fn label(self) -> &'static str {
        match self {
            PrinterState::Ready => "正常",
            PrinterState::PaperNearEnd => "纸将尽",
            PrinterState::PaperOut => "缺纸",
            PrinterState::CoverOpen => "机盖打开",
            PrinterState::CutterError => "切刀故障",
            PrinterState::Offline => "脱机",
        }
    }
}

impl PrinterStatus {
    /// Decodes the replies to `DLE EOT 1`, `2`, `3`, `4`; `None` when a
    /// byte does not have the fixed bits of a status reply.
    pub fn decode(replies: [u8; 4]) -> Option<PrinterStatus> {
        use RealTimeStatusRequest as Q;
        use RealTimeStatusResponse as R;
        let p = RealTimeStatusResponse::parse(Q::Printer, replies[0]).ok()?;
        let o = RealTimeStatusResponse::parse(Q::OfflineCause, replies[1]).ok()?;
        let e = RealTimeStatusResponse::parse(Q::ErrorCause, replies[2]).ok()?;
        let r = RealTimeStatusResponse::parse(Q::RollPaperSensor, replies[3]).ok()?;
        let flag = |m: &std::collections::HashMap<R, bool>, k: R| m.get(&k).copied();
        Some(PrinterStatus {
            offline: !flag(&p, R::Online)?,
            cover_open: !flag(&o, R::CoverClosed)?,
            paper_out: flag(&o, R::PrintingStopsDueToPaperEnd)?
                || !flag(&r, R::RollPaperEndSensorPaperPresent)?,
            paper_near_end: !flag(&r, R::RollPaperNearEndSensorPaperAdequate)?,
            cutter_error: flag(&e, R::AutocutterErrorOccurred)?,
            unrecoverable: flag(&e, R::UnrecoverableErrorOccurred)?,
            auto_recoverable: flag(&e, R::AutoRecoverableErrorOccurred)?,
        })
    }

    /// The four replies a printer in this state sends to `DLE EOT 1`..`4`
    /// (the fixed bits set, every bit this type does not keep clear;
    /// `paper_out` as both the paper-end stop and the end sensor). The
    /// inverse of [`decode`](Self::decode): `decode(s.encode()) == Some(s)`.
    pub fn encode(&self) -> [u8; 4] {
        const FIXED: u8 = 0x12;
        let bit = |on: bool, mask: u8| if on { mask } else { 0 };
        [
            FIXED | bit(self.offline, 0x08),
            FIXED | bit(self.cover_open, 0x04) | bit(self.paper_out, 0x20),
            FIXED
                | bit(self.cutter_error, 0x08)
                | bit(self.unrecoverable, 0x20)
                | bit(self.auto_recoverable, 0x40),
            FIXED | bit(self.paper_near_end, 0x0C) | bit(self.paper_out, 0x60),
        ]
    }

    /// The state, most specific cause first.
    pub fn state(&self) -> PrinterState {
        if self.cover_open {
            PrinterState::CoverOpen
        } else if self.paper_out {
            PrinterState::PaperOut
        } else if self.cutter_error {
            PrinterState::CutterError
        } else if self.offline || self.unrecoverable || self.auto_recoverable {
            PrinterState::Offline
        } else if self.paper_near_end {
            PrinterState::PaperNearEnd
        } else {
            PrinterState::Ready
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_clear_is_ready() {
        let s = PrinterStatus::decode([0x12; 4]).unwrap();
        assert_eq!(s, PrinterStatus::default());
        assert_eq!(s.state(), PrinterState::Ready);
    }

    #[test]
    fn each_fault_maps_to_its_state() {
        // Paper out: offline, stopped by paper end, sensors.
        let s = PrinterStatus::decode([0x1A, 0x32, 0x12, 0x7E]).unwrap();
        assert_eq!(s.state(), PrinterState::PaperOut);
        // Cover open.
        let s = PrinterStatus::decode([0x1A, 0x16, 0x12, 0x12]).unwrap();
        assert_eq!(s.state(), PrinterState::CoverOpen);
        // Near end only: still prints.
        let s = PrinterStatus::decode([0x12, 0x12, 0x12, 0x1E]).unwrap();
        assert_eq!(s.state(), PrinterState::PaperNearEnd);
        assert!(s.state().can_print());
        // Cutter error: offline cause bit 6, error cause bit 3.
        let s = PrinterStatus::decode([0x1A, 0x52, 0x1A, 0x12]).unwrap();
        assert_eq!(s.state(), PrinterState::CutterError);
        assert_eq!(s.state().fail_cause(), Some(FailCause::CutterError));
        // Offline without a known cause.
        let s = PrinterStatus::decode([0x1A, 0x12, 0x12, 0x12]).unwrap();
        assert_eq!(s.state(), PrinterState::Offline);
    }

    /// Every one of the 128 statuses survives encode → decode.
    #[test]
    fn every_status_round_trips() {
        for n in 0u8..128 {
            let s = PrinterStatus {
                offline: n & 1 != 0,
                cover_open: n & 2 != 0,
                paper_out: n & 4 != 0,
                paper_near_end: n & 8 != 0,
                cutter_error: n & 16 != 0,
                unrecoverable: n & 32 != 0,
                auto_recoverable: n & 64 != 0,
            };
            assert_eq!(PrinterStatus::decode(s.encode()), Some(s), "{n}");
        }
    }

    /// A reply byte is accepted exactly when its fixed bits are right
    /// (0 and 7 clear, 1 and 4 set), in each of the four positions.
    #[test]
    fn only_the_fixed_bits_decide_whether_a_byte_is_a_reply() {
        for position in 0..4 {
            for b in 0..=255u8 {
                let mut replies = [0x12; 4];
                replies[position] = b;
                assert_eq!(
                    PrinterStatus::decode(replies).is_some(),
                    b & 0x93 == 0x12,
                    "byte {b:#04x} at {position}"
                );
            }
        }
    }

    #[test]
    fn bytes_without_the_fixed_bits_are_refused() {
        assert!(PrinterStatus::decode([0x00, 0x12, 0x12, 0x12]).is_none());
        assert!(PrinterStatus::decode([0x12, 0x12, 0x12, 0x93]).is_none());
    }
}
