//! The simulated CCID reader: answers bulk OUT messages with bulk IN
//! messages and reports slot changes on a simulated interrupt endpoint.
//!
//! CCID header (USB CCID 1.1), little-endian lengths:
//! `bMessageType | dwLength(4) | bSlot | bSeq | 3 specific | data`.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use super::applet::{CardApplet, MasterKeys, PSAM_ATR, PsamApplet};
use super::card::SsCardImage;

/// The card slot: a cloneable shared handle. Every insertion gets a new
/// generation number, so the reader notices a card swapped between two
/// of its messages.
#[derive(Clone, Default)]
pub struct SsCardSlot(Arc<(Mutex<SlotState>, Condvar)>);

#[derive(Default)]
struct SlotState {
    card: Option<SsCardImage>,
    generation: u64,
}

impl SsCardSlot {
    /// An empty slot.
    pub fn new() -> SsCardSlot {
        SsCardSlot::default()
    }

    /// Inserts a card (replacing any card there).
    pub fn insert(&self, card: SsCardImage) {
        let mut s = self.lock();
        s.card = Some(card);
        s.generation += 1;
        self.0.1.notify_all();
    }

    /// Pulls the card out, returning it.
    pub fn remove(&self) -> Option<SsCardImage> {
        let mut s = self.lock();
        s.generation += 1;
        self.0.1.notify_all();
        s.card.take()
    }

    /// Whether a card is in the slot.
    pub fn is_present(&self) -> bool {
        self.lock().card.is_some()
    }

    pub(crate) fn snapshot(&self) -> (Option<SsCardImage>, u64) {
        let s = self.lock();
        (s.card.clone(), s.generation)
    }

    fn lock(&self) -> MutexGuard<'_, SlotState> {
        self.0.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The slot's change counter (every insert and removal counts).
    pub(crate) fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Waits until the change counter differs from `seen`, at most until
    /// `deadline`.
    pub(crate) fn wait_change(&self, seen: u64, deadline: std::time::Instant) {
        let mut s = self.lock();
        while s.generation == seen {
            let now = std::time::Instant::now();
            if now >= deadline {
                return;
            }
            s = match self.0.1.wait_timeout(s, deadline - now) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }
}

impl fmt::Debug for SsCardSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsCardSlot")
            .field("present", &self.is_present())
            .finish()
    }
}

/// Faults the simulated reader can inject.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SsSimFaults {
    /// Answer with a bSeq one higher than the request's.
    pub wrong_seq: bool,
    /// Send this many time-extension replies (bStatus 0x80) before the answer.
    pub time_extensions: u32,
    /// Pull the card out of the slot after this many APDUs since power-on
    /// (the citizen pulls the card mid-read). Stays armed until it fires,
    /// also when given as a one-shot fault.
    pub pull_card_after_apdus: Option<u32>,
    /// Send only the first 5 bytes of the reply (a short header).
    pub short_header: bool,
    /// Send nothing.
    pub no_reply: bool,
    /// Apply only to this message type (0x6F XfrBlock, 0x62 power on, ...).
    pub only_message: Option<u8>,
}

impl SsSimFaults {
    fn applies_to(&self, message_type: u8) -> bool {
        self.only_message.is_none_or(|m| m == message_type)
    }
}

#[derive(Default)]
struct ReaderState {
    powered_generation: Option<u64>,
    /// The card whose applet state this is (a new card starts afresh).
    applet_generation: u64,
    applet: CardApplet,
    /// Slot 1: the PSAM, when the reader has one (`Some(powered)`).
    psam: Option<(PsamApplet, bool)>,
    apdus_since_power_on: u32,
    last_reported_present: Option<bool>,
    always: SsSimFaults,
    next: Option<SsSimFaults>,
    unplugged: bool,
    messages: u64,
    /// A pending "pull the card after n APDUs" (kept until it fires, also
    /// when it came with a one-shot fault).
    armed_pull: Option<u32>,
}

/// A simulated CCID reader with one slot. Cloneable handle; all methods
/// take `&self`.
#[derive(Clone)]
pub struct SimCcidReader {
    slot: SsCardSlot,
    state: Arc<Mutex<ReaderState>>,
}

impl fmt::Debug for SimCcidReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimCcidReader")
            .field("slot", &self.slot)
            .field("unplugged", &self.is_unplugged())
            .finish()
    }
}

/// bStatus ICC bits.
const ICC_ACTIVE: u8 = 0;
const ICC_INACTIVE: u8 = 1;
const ICC_ABSENT: u8 = 2;
/// bStatus command bits.
const CMD_FAILED: u8 = 0x40;
const CMD_TIME_EXTENSION: u8 = 0x80;
/// bError values.
const ERR_ICC_MUTE: u8 = 0xFE;
const ERR_DEACTIVATED: u8 = 0xF3;
const ERR_NOT_SUPPORTED: u8 = 0x00;

fn message(t: u8, slot: u8, seq: u8, status: u8, error: u8, specific: u8, data: &[u8]) -> Vec<u8> {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    let mut m = Vec::with_capacity(10 + data.len());
    m.push(t);
    m.extend_from_slice(&len.to_le_bytes());
    m.extend_from_slice(&[slot, seq, status, error, specific]);
    m.extend_from_slice(data);
    m
}

impl SimCcidReader {
    /// A reader on `slot`.
    pub fn new(slot: SsCardSlot) -> SimCcidReader {
        SimCcidReader {
            slot,
            state: Arc::new(Mutex::new(ReaderState::default())),
        }
    }

    /// A reader with a PSAM holding `master` in its slot 1 (bSlot 1).
    pub fn with_psam(slot: SsCardSlot, master: MasterKeys) -> SimCcidReader {
        let reader = SimCcidReader::new(slot);
        reader.lock().psam = Some((PsamApplet::new(master), false));
        reader
    }

    /// Takes the PSAM out of slot 1 (`None`) or puts one holding `master`
    /// in.
    pub fn set_psam(&self, master: Option<MasterKeys>) {
        self.lock().psam = master.map(|m| (PsamApplet::new(m), false));
    }

    /// The card slot.
    pub fn slot(&self) -> &SsCardSlot {
        &self.slot
    }

    /// Faults for every reply from now on.
    pub fn set_faults(&self, faults: SsSimFaults) {
        self.lock().always = faults;
    }

    /// Faults for the next matching reply only.
    pub fn fault_next_reply(&self, faults: SsSimFaults) {
        self.lock().next = Some(faults);
    }

    /// Unplugs (true) or re-plugs (false) the reader: an adapter should
    /// then report the USB device as gone.
    pub fn set_unplugged(&self, unplugged: bool) {
        let mut s = self.lock();
        s.unplugged = unplugged;
        s.powered_generation = None;
        s.last_reported_present = None;
    }

    /// Whether the reader is unplugged.
    pub fn is_unplugged(&self) -> bool {
        self.lock().unplugged
    }

    /// How many bulk OUT messages were handled so far.
    pub fn messages_handled(&self) -> u64 {
        self.lock().messages
    }

    /// The interrupt endpoint: `50 03` / `50 02` (slot 0 present/absent,
    /// changed) when the slot changed since the last call, else `None`.
    /// The first call reports the current state.
    pub fn poll_interrupt(&self) -> Option<Vec<u8>> {
        let present = self.slot.is_present();
        let mut s = self.lock();
        if s.unplugged || s.last_reported_present == Some(present) {
            return None;
        }
        s.last_reported_present = Some(present);
        Some(vec![0x50, 0x02 | u8::from(present)])
    }

    /// The interrupt endpoint as a USB host reads it: waits up to
    /// `timeout` for a slot change and returns its notification, `None`
    /// when none came (as a real interrupt IN transfer times out).
    pub fn wait_interrupt(&self, timeout: std::time::Duration) -> Option<Vec<u8>> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let seen = self.slot.generation();
            if let Some(message) = self.poll_interrupt() {
                return Some(message);
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            self.slot.wait_change(seen, deadline);
        }
    }

    /// Handles one bulk OUT message; returns the bulk IN transfers it
    /// causes, in order (several with time extensions, none for a message
    /// too short to answer or when the fault says so).
    pub fn handle_bulk_out(&self, msg: &[u8]) -> Vec<Vec<u8>> {
        let mut s = self.lock();
        s.messages += 1;
        if s.unplugged || msg.len() < 10 {
            return Vec::new();
        }
        let (t, slot, seq) = (msg[0], msg[5], msg[6]);
        let len = u32::from_le_bytes([msg[1], msg[2], msg[3], msg[4]]) as usize;
        let data = msg.get(10..10 + len).unwrap_or(&[]);
        let faults = match s.next.take() {
            Some(once) if once.applies_to(t) => once,
            Some(once) => {
                s.next = Some(once);
                if s.always.applies_to(t) {
                    s.always.clone()
                } else {
                    SsSimFaults::default()
                }
            }
            None if s.always.applies_to(t) => s.always.clone(),
            None => SsSimFaults::default(),
        };
        if faults.no_reply {
            return Vec::new();
        }
        let reply_seq = if faults.wrong_seq {
            seq.wrapping_add(1)
        } else {
            seq
        };

        let (card, generation) = self.slot.snapshot();
        // A card swapped or pulled since power-on is no longer powered.
        if s.powered_generation.is_some_and(|g| g != generation) {
            s.powered_generation = None;
        }
        if s.applet_generation != generation {
            s.applet_generation = generation;
            s.applet = CardApplet::default();
        }
        let icc = match (&card, s.powered_generation) {
            (None, _) => ICC_ABSENT,
            (Some(_), Some(_)) => ICC_ACTIVE,
            (Some(_), None) => ICC_INACTIVE,
        };
        let mut out = Vec::new();
        let reply = if slot == 1 && s.psam.is_some() {
            psam_message(&mut s, t, reply_seq, data)
        } else if slot != 0 {
            // Only slot 0 exists: bError 5 = bad bSlot.
            message(0x81, slot, reply_seq, CMD_FAILED | ICC_ABSENT, 0x05, 0, &[])
        } else {
            match t {
                0x65 => message(0x81, 0, reply_seq, icc, 0, u8::from(icc != ICC_ACTIVE), &[]),
                0x62 => match &card {
                    None => message(
                        0x80,
                        0,
                        reply_seq,
                        CMD_FAILED | ICC_ABSENT,
                        ERR_ICC_MUTE,
                        0,
                        &[],
                    ),
                    Some(card) => {
                        s.powered_generation = Some(generation);
                        s.applet.reset();
                        s.apdus_since_power_on = 0;
                        message(0x80, 0, reply_seq, ICC_ACTIVE, 0, 0, &card.atr)
                    }
                },
                0x63 => {
                    s.powered_generation = None;
                    s.applet.reset();
                    let icc = if card.is_some() {
                        ICC_INACTIVE
                    } else {
                        ICC_ABSENT
                    };
                    message(0x81, 0, reply_seq, icc, 0, 1, &[])
                }
                0x6F => match (&card, icc) {
                    (None, _) => message(
                        0x80,
                        0,
                        reply_seq,
                        CMD_FAILED | ICC_ABSENT,
                        ERR_ICC_MUTE,
                        0,
                        &[],
                    ),
                    (Some(_), ICC_INACTIVE) => message(
                        0x80,
                        0,
                        reply_seq,
                        CMD_FAILED | ICC_INACTIVE,
                        ERR_DEACTIVATED,
                        0,
                        &[],
                    ),
                    (Some(card), _) => {
                        s.apdus_since_power_on += 1;
                        if let Some(n) = faults.pull_card_after_apdus {
                            s.armed_pull = Some(n);
                        }
                        let pull = s.armed_pull.is_some_and(|n| s.apdus_since_power_on > n);
                        if pull {
                            s.armed_pull = None;
                            drop(s);
                            self.slot.remove();
                            s = self.lock();
                            s.powered_generation = None;
                            message(
                                0x80,
                                0,
                                reply_seq,
                                CMD_FAILED | ICC_ABSENT,
                                ERR_ICC_MUTE,
                                0,
                                &[],
                            )
                        } else {
                            for _ in 0..faults.time_extensions {
                                out.push(message(
                                    0x80,
                                    0,
                                    reply_seq,
                                    CMD_TIME_EXTENSION | ICC_ACTIVE,
                                    1,
                                    0,
                                    &[],
                                ));
                            }
                            let r_apdu = s.applet.process(card, data);
                            message(0x80, 0, reply_seq, ICC_ACTIVE, 0, 0, &r_apdu)
                        }
                    }
                },
                _ => message(
                    0x81,
                    0,
                    reply_seq,
                    CMD_FAILED | icc,
                    ERR_NOT_SUPPORTED,
                    0,
                    &[],
                ),
            }
        };
        let reply = if faults.short_header {
            reply[..5].to_vec()
        } else {
            reply
        };
        out.push(reply);
        out
    }

    fn lock(&self) -> MutexGuard<'_, ReaderState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Slot 1 (the PSAM, always present): status, power on/off, XfrBlock.
fn psam_message(s: &mut ReaderState, t: u8, seq: u8, data: &[u8]) -> Vec<u8> {
    let Some((psam, powered)) = s.psam.as_mut() else {
        return message(0x81, 1, seq, CMD_FAILED | ICC_ABSENT, 0x05, 0, &[]);
    };
    let icc = if *powered { ICC_ACTIVE } else { ICC_INACTIVE };
    match t {
        0x65 => message(0x81, 1, seq, icc, 0, u8::from(!*powered), &[]),
        0x62 => {
            *powered = true;
            psam.reset();
            message(0x80, 1, seq, ICC_ACTIVE, 0, 0, &PSAM_ATR)
        }
        0x63 => {
            *powered = false;
            message(0x81, 1, seq, ICC_INACTIVE, 0, 1, &[])
        }
        0x6F if *powered => {
            let r_apdu = psam.process(data);
            message(0x80, 1, seq, ICC_ACTIVE, 0, 0, &r_apdu)
        }
        0x6F => message(
            0x80,
            1,
            seq,
            CMD_FAILED | ICC_INACTIVE,
            ERR_DEACTIVATED,
            0,
            &[],
        ),
        _ => message(0x81, 1, seq, CMD_FAILED | icc, ERR_NOT_SUPPORTED, 0, &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sscard::SSSE_DF_NAME;
    use std::time::Duration;

    fn cmd(t: u8, seq: u8, data: &[u8]) -> Vec<u8> {
        let mut m = vec![t];
        m.extend_from_slice(&(data.len() as u32).to_le_bytes());
        m.extend_from_slice(&[0, seq, 0, 0, 0]);
        m.extend_from_slice(data);
        m
    }

    fn one(r: &SimCcidReader, m: &[u8]) -> Vec<u8> {
        let mut out = r.handle_bulk_out(m);
        assert_eq!(out.len(), 1);
        out.remove(0)
    }

    #[test]
    fn session_by_hand() {
        let slot = SsCardSlot::new();
        let r = SimCcidReader::new(slot.clone());
        assert_eq!(r.poll_interrupt(), Some(vec![0x50, 0x02]));
        assert_eq!(r.poll_interrupt(), None);
        assert_eq!(one(&r, &cmd(0x65, 1, &[]))[7], ICC_ABSENT);
        slot.insert(SsCardImage::demo());
        assert_eq!(r.poll_interrupt(), Some(vec![0x50, 0x03]));
        assert_eq!(one(&r, &cmd(0x65, 2, &[]))[7], ICC_INACTIVE);
        let atr = one(&r, &cmd(0x62, 3, &[]));
        assert_eq!(&atr[10..], super::super::card::DEFAULT_ATR);
        assert_eq!(atr[6], 3);
        // READ RECORD before SELECT.
        assert_eq!(
            &one(&r, &cmd(0x6F, 4, &[0, 0xB2, 7, 0x2C, 11]))[10..],
            [0x69, 0x86]
        );
        let mut select = vec![0x00, 0xA4, 0x04, 0x00, 0x0F];
        select.extend_from_slice(&SSSE_DF_NAME);
        assert_eq!(&one(&r, &cmd(0x6F, 5, &select))[10..], [0x61, 19]);
        assert_eq!(
            &one(&r, &cmd(0x6F, 6, &[0, 0xC0, 0, 0, 19]))[10..][..2],
            [0x6F, 17]
        );
        // Wrong Le → 6C 0B; right Le → the record.
        assert_eq!(
            &one(&r, &cmd(0x6F, 7, &[0, 0xB2, 7, 0x2C, 0]))[10..],
            [0x6C, 0x0B]
        );
        let rec = one(&r, &cmd(0x6F, 8, &[0, 0xB2, 7, 0x2C, 0x0B]));
        assert_eq!(&rec[10..12], [0x07, 0x09]);
        assert_eq!(&rec[rec.len() - 2..], [0x90, 0x00]);
        assert_eq!(
            &one(&r, &cmd(0x6F, 9, &[0, 0xB2, 0x0E, 0x34, 2]))[10..],
            [0x6A, 0x83]
        );
        slot.remove();
        let gone = one(&r, &cmd(0x6F, 10, &[0, 0xB2, 7, 0x2C, 0x0B]));
        assert_eq!((gone[7], gone[8]), (CMD_FAILED | ICC_ABSENT, ERR_ICC_MUTE));
    }

    #[test]
    fn faults() {
        let slot = SsCardSlot::new();
        slot.insert(SsCardImage::demo());
        let r = SimCcidReader::new(slot.clone());
        r.fault_next_reply(SsSimFaults {
            wrong_seq: true,
            ..SsSimFaults::default()
        });
        assert_eq!(one(&r, &cmd(0x65, 1, &[]))[6], 2);
        assert_eq!(one(&r, &cmd(0x65, 1, &[]))[6], 1);
        r.fault_next_reply(SsSimFaults {
            short_header: true,
            ..SsSimFaults::default()
        });
        assert_eq!(one(&r, &cmd(0x65, 1, &[])).len(), 5);
        one(&r, &cmd(0x62, 2, &[]));
        r.set_faults(SsSimFaults {
            time_extensions: 3,
            only_message: Some(0x6F),
            ..SsSimFaults::default()
        });
        let replies = r.handle_bulk_out(&cmd(0x6F, 3, &[0, 0xB2, 7, 0x2C, 0x0B]));
        assert_eq!(replies.len(), 4);
        assert!(replies[..3].iter().all(|m| m[7] == 0x80));
        assert_eq!(r.handle_bulk_out(&cmd(0x65, 4, &[])).len(), 1);
        r.set_faults(SsSimFaults {
            pull_card_after_apdus: Some(2),
            ..SsSimFaults::default()
        });
        one(&r, &cmd(0x6F, 5, &[0, 0xB2, 7, 0x2C, 0x0B]));
        let pulled = one(&r, &cmd(0x6F, 6, &[0, 0xB2, 7, 0x2C, 0x0B]));
        assert_eq!(pulled[8], ERR_ICC_MUTE);
        assert!(!slot.is_present());
        r.set_faults(SsSimFaults {
            no_reply: true,
            ..SsSimFaults::default()
        });
        assert!(r.handle_bulk_out(&cmd(0x65, 7, &[])).is_empty());
        r.set_faults(SsSimFaults::default());
        r.set_unplugged(true);
        assert!(r.handle_bulk_out(&cmd(0x65, 8, &[])).is_empty());
        assert!(r.handle_bulk_out(&[0x65, 0]).is_empty());
    }

    #[test]
    fn the_interrupt_endpoint_waits_for_a_slot_change() {
        let slot = SsCardSlot::new();
        let r = SimCcidReader::new(slot.clone());
        // The first read reports the current state; then nothing changes.
        assert_eq!(r.wait_interrupt(Duration::ZERO), Some(vec![0x50, 0x02]));
        assert_eq!(r.wait_interrupt(Duration::from_millis(20)), None);
        // A card inserted by another thread wakes the waiting host.
        let inserter = std::thread::spawn(move || slot.insert(SsCardImage::demo()));
        assert_eq!(
            r.wait_interrupt(Duration::from_secs(10)),
            Some(vec![0x50, 0x03])
        );
        inserter.join().unwrap();
    }
}
