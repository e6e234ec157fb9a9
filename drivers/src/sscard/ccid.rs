//! The CCID message layer (USB CCID 1.1): 10-byte headers with
//! little-endian lengths, bSeq matching, slot status, time extensions.
//!
//! ```text
//! bMessageType | dwLength(4, LE) | bSlot | bSeq | 3 message-specific bytes | data(dwLength)
//! ```
//!
//! [`CcidReader`] drives one slot of a reader through any [`BulkPipe`]
//! (real USB bulk endpoints, or a simulated reader in tests).

use std::fmt;
use std::time::{Duration, Instant};

use crate::Error;
use crate::error::Device;

/// Size of every CCID header.
pub const HEADER_LEN: usize = 10;

/// The largest message data the driver accepts (abData of a short APDU
/// reply is at most 258 bytes; extended ones up to 65538). Anything beyond
/// is a corrupted length field.
pub const MAX_DATA_LEN: usize = 65_538;

/// Host → reader: PC_to_RDR_IccPowerOn.
pub const PC_TO_RDR_ICC_POWER_ON: u8 = 0x62;
/// Host → reader: PC_to_RDR_IccPowerOff.
pub const PC_TO_RDR_ICC_POWER_OFF: u8 = 0x63;
/// Host → reader: PC_to_RDR_GetSlotStatus.
pub const PC_TO_RDR_GET_SLOT_STATUS: u8 = 0x65;
/// Host → reader: PC_to_RDR_XfrBlock.
pub const PC_TO_RDR_XFR_BLOCK: u8 = 0x6F;
/// Reader → host: RDR_to_PC_DataBlock.
pub const RDR_TO_PC_DATA_BLOCK: u8 = 0x80;
/// Reader → host: RDR_to_PC_SlotStatus.
pub const RDR_TO_PC_SLOT_STATUS: u8 = 0x81;
/// Interrupt IN: RDR_to_PC_NotifySlotChange.
pub const RDR_TO_PC_NOTIFY_SLOT_CHANGE: u8 = 0x50;

/// bError: the card does not answer (no card, or it is mute).
pub const ERR_ICC_MUTE: u8 = 0xFE;
/// bError: the card was removed or a transfer was aborted.
pub const ERR_CMD_ABORTED: u8 = 0xFF;

/// How many time-extension replies one command may receive before the
/// driver gives up (each one normally grants the card another waiting time
/// of around a second; 60 is a generous bound that still ends).
pub const MAX_TIME_EXTENSIONS: u32 = 60;

/// How far behind the current bSeq a reply may be to count as the late
/// answer of an earlier, abandoned command (dropped, not an error).
const MAX_STALE_BEHIND: u8 = 4;
/// How many such late answers one command skips at most.
const MAX_STALE_REPLIES: usize = 4;

/// A short English description of a CCID bError, for logs.
pub fn error_description(error: u8) -> &'static str {
    match error {
        0xFF => "command aborted",
        0xFE => "ICC mute (no card or no answer)",
        0xFD => "parity error in transfer",
        0xFC => "overrun",
        0xFB => "hardware error",
        0xF8 => "bad ATR TS",
        0xF7 => "bad ATR TCK",
        0xF6 => "ICC protocol not supported",
        0xF5 => "ICC class not supported",
        0xF4 => "procedure byte conflict",
        0xF3 => "deactivated protocol",
        0xF2 => "busy with auto sequence",
        0xE0 => "slot busy",
        0x00 => "command not supported",
        0x01..=0x0F => "bad parameter in the command",
        _ => "unknown error",
    }
}

/// The ICC status of a slot (bStatus bits 0-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IccStatus {
    /// A card is present and powered (active).
    PresentActive,
    /// A card is present but not powered.
    PresentInactive,
    /// No card.
    Absent,
}

impl IccStatus {
    /// Decodes bits 0-1 of bStatus (3 is reserved: reported as a protocol error).
    pub fn from_bits(bits: u8) -> Result<IccStatus, Error> {
        match bits & 0x03 {
            0 => Ok(IccStatus::PresentActive),
            1 => Ok(IccStatus::PresentInactive),
            2 => Ok(IccStatus::Absent),
            _ => Err(Error::CcidProtocol {
                what: "reserved ICC status 3 in bStatus",
            }),
        }
    }

    /// Whether a card is in the slot.
    pub fn card_present(self) -> bool {
        !matches!(self, IccStatus::Absent)
    }
}

/// The command status of a reply (bStatus bits 6-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandStatus {
    /// Processed without error.
    Ok,
    /// Failed; bError says why.
    Failed,
    /// Time extension requested: the final reply comes later.
    TimeExtension,
}

/// One reply message from the reader (bulk IN).
#[derive(Clone, PartialEq, Eq)]
pub struct Reply {
    /// 80 DataBlock or 81 SlotStatus (others are refused by [`parse_reply`]).
    pub message_type: u8,
    /// bSlot.
    pub slot: u8,
    /// bSeq.
    pub seq: u8,
    /// ICC status (bStatus bits 0-1).
    pub icc: IccStatus,
    /// Command status (bStatus bits 6-7).
    pub command: CommandStatus,
    /// bError (meaningful when `command` is `Failed`; for a time extension
    /// it is the BWI multiplier).
    pub error: u8,
    /// Third message-specific byte (bChainParameter / bClockStatus).
    pub specific: u8,
    /// abData: the ATR, an R-APDU, or nothing.
    pub data: Vec<u8>,
}

impl fmt::Debug for Reply {
    /// The header only: the data can be card contents.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("message_type", &format_args!("{:#04x}", self.message_type))
            .field("slot", &self.slot)
            .field("seq", &self.seq)
            .field("icc", &self.icc)
            .field("command", &self.command)
            .field("error", &format_args!("{:#04x}", self.error))
            .field("data_len", &self.data.len())
            .finish()
    }
}

/// Encodes a host → reader message: header (`dwLength` = `data.len()`,
/// little-endian) then data.
pub fn encode_message(
    message_type: u8,
    slot: u8,
    seq: u8,
    specific: [u8; 3],
    data: &[u8],
) -> Vec<u8> {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    let mut msg = Vec::with_capacity(HEADER_LEN + data.len());
    msg.push(message_type);
    msg.extend_from_slice(&len.to_le_bytes());
    msg.push(slot);
    msg.push(seq);
    msg.extend_from_slice(&specific);
    msg.extend_from_slice(data);
    msg
}

/// The `dwLength` a buffer starting with a header announces, if at least a
/// header is there.
pub fn announced_len(bytes: &[u8]) -> Option<usize> {
    if bytes.len() < HEADER_LEN {
        return None;
    }
    let len = u32::from_le_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    usize::try_from(len).ok()
}

/// Parses one complete reply message. Refuses a short header, a message
/// type other than 80/81, a length field that does not match the bytes,
/// and a reserved status value. Does not check bSeq (the caller knows it).
pub fn parse_reply(bytes: &[u8]) -> Result<Reply, Error> {
    if bytes.len() < HEADER_LEN {
        return Err(Error::CcidProtocol {
            what: "reply shorter than the 10-byte header",
        });
    }
    let message_type = bytes[0];
    if !matches!(message_type, RDR_TO_PC_DATA_BLOCK | RDR_TO_PC_SLOT_STATUS) {
        return Err(Error::CcidProtocol {
            what: "unexpected reply message type",
        });
    }
    let len = announced_len(bytes).unwrap_or(usize::MAX);
    if len > MAX_DATA_LEN {
        return Err(Error::CcidProtocol {
            what: "reply length field out of range",
        });
    }
    if bytes.len() != HEADER_LEN + len {
        return Err(Error::CcidProtocol {
            what: "reply length field does not match the bytes received",
        });
    }
    if message_type == RDR_TO_PC_SLOT_STATUS && len != 0 {
        return Err(Error::CcidProtocol {
            what: "SlotStatus reply carries data",
        });
    }
    let status = bytes[7];
    let icc = IccStatus::from_bits(status)?;
    let command = match status >> 6 {
        0 => CommandStatus::Ok,
        1 => CommandStatus::Failed,
        2 => CommandStatus::TimeExtension,
        _ => {
            return Err(Error::CcidProtocol {
                what: "reserved command status 3 in bStatus",
            });
        }
    };
    Ok(Reply {
        message_type,
        slot: bytes[5],
        seq: bytes[6],
        icc,
        command,
        error: bytes[8],
        specific: bytes[9],
        data: bytes[HEADER_LEN..].to_vec(),
    })
}

/// A slot change announced on the interrupt endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotChange {
    /// The slot.
    pub slot: u8,
    /// Whether a card is in it now.
    pub present: bool,
    /// Whether it changed since the last notification.
    pub changed: bool,
}

/// Parses RDR_to_PC_NotifySlotChange (`50` then 2 bits per slot: bit 0
/// present, bit 1 changed). Other interrupt messages (hardware error 51)
/// yield an empty list.
pub fn parse_notify_slot_change(bytes: &[u8]) -> Result<Vec<SlotChange>, Error> {
    match bytes.first() {
        None => Err(Error::CcidProtocol {
            what: "empty interrupt message",
        }),
        Some(&RDR_TO_PC_NOTIFY_SLOT_CHANGE) => {
            if bytes.len() < 2 {
                return Err(Error::CcidProtocol {
                    what: "NotifySlotChange without slot bits",
                });
            }
            let mut changes = Vec::new();
            for (i, byte) in bytes[1..].iter().enumerate() {
                for j in 0..4u8 {
                    let bits = byte >> (2 * j);
                    let slot = u8::try_from(i * 4).unwrap_or(u8::MAX).saturating_add(j);
                    changes.push(SlotChange {
                        slot,
                        present: bits & 0x01 != 0,
                        changed: bits & 0x02 != 0,
                    });
                }
            }
            Ok(changes)
        }
        Some(_) => Ok(Vec::new()),
    }
}

/// The USB side of a CCID reader: one bulk OUT, one bulk IN and one
/// interrupt IN endpoint. Real readers: [`super::usb::UsbPipe`] (feature
/// `usb`); tests and simulation implement it over a simulated reader.
pub trait BulkPipe {
    /// Writes one message on bulk OUT within `timeout`.
    fn write_bulk(&mut self, data: &[u8], timeout: Duration) -> Result<(), Error>;

    /// Reads one bulk IN transfer into `buf` within `timeout`; returns the
    /// number of bytes. Nothing within the timeout is
    /// [`Error::Timeout`] with [`Device::SsCardReader`].
    fn read_bulk(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error>;

    /// Reads one interrupt IN transfer within `timeout`; `Ok(0)` when
    /// nothing came (no slot change).
    fn read_interrupt(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error>;
}

impl<P: BulkPipe + ?Sized> BulkPipe for Box<P> {
    fn write_bulk(&mut self, data: &[u8], timeout: Duration) -> Result<(), Error> {
        (**self).write_bulk(data, timeout)
    }
    fn read_bulk(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error> {
        (**self).read_bulk(buf, timeout)
    }
    fn read_interrupt(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error> {
        (**self).read_interrupt(buf, timeout)
    }
}

/// One pipe shared by several [`CcidReader`]s, one per slot: the card in
/// slot 0 and the PSAM in slot 1 of the same USB reader. Commands are
/// serialised by the lock; each reader keeps its own bSeq, which the
/// reader echoes per message.
pub struct SharedPipe<P: BulkPipe>(std::sync::Arc<std::sync::Mutex<P>>);

impl<P: BulkPipe> SharedPipe<P> {
    /// Shares `pipe`.
    pub fn new(pipe: P) -> SharedPipe<P> {
        SharedPipe(std::sync::Arc::new(std::sync::Mutex::new(pipe)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, P> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<P: BulkPipe> Clone for SharedPipe<P> {
    fn clone(&self) -> SharedPipe<P> {
        SharedPipe(std::sync::Arc::clone(&self.0))
    }
}

impl<P: BulkPipe> BulkPipe for SharedPipe<P> {
    fn write_bulk(&mut self, data: &[u8], timeout: Duration) -> Result<(), Error> {
        self.lock().write_bulk(data, timeout)
    }
    fn read_bulk(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error> {
        self.lock().read_bulk(buf, timeout)
    }
    fn read_interrupt(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error> {
        self.lock().read_interrupt(buf, timeout)
    }
}

/// One slot of a CCID reader over a [`BulkPipe`].
pub struct CcidReader<P: BulkPipe> {
    pipe: P,
    slot: u8,
    seq: u8,
    timeout: Duration,
    max_time_extensions: u32,
}

impl<P: BulkPipe> CcidReader<P> {
    /// Slot 0 of the reader on `pipe`; `timeout` bounds each command
    /// (time extensions included).
    pub fn new(pipe: P, timeout: Duration) -> CcidReader<P> {
        CcidReader {
            pipe,
            slot: 0,
            seq: 0,
            timeout,
            max_time_extensions: MAX_TIME_EXTENSIONS,
        }
    }

    /// Uses another slot.
    pub fn with_slot(mut self, slot: u8) -> CcidReader<P> {
        self.slot = slot;
        self
    }

    /// Changes the bound on time-extension replies per command.
    pub fn set_max_time_extensions(&mut self, max: u32) {
        self.max_time_extensions = max;
    }

    /// The per-command deadline.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The pipe.
    pub fn pipe_mut(&mut self) -> &mut P {
        &mut self.pipe
    }

    /// Gives the pipe back.
    pub fn into_inner(self) -> P {
        self.pipe
    }

    /// GetSlotStatus: whether a card is there and powered.
    pub fn slot_status(&mut self) -> Result<IccStatus, Error> {
        let reply = self.exchange(PC_TO_RDR_GET_SLOT_STATUS, [0; 3], &[])?;
        if reply.message_type != RDR_TO_PC_SLOT_STATUS {
            return Err(Error::CcidProtocol {
                what: "GetSlotStatus not answered with SlotStatus",
            });
        }
        match reply.command {
            CommandStatus::Ok => Ok(reply.icc),
            // Some readers report "failed, absent, ICC mute" for an empty slot.
            CommandStatus::Failed if reply.icc == IccStatus::Absent => Ok(IccStatus::Absent),
            _ => Err(Error::CcidCommandFailed { error: reply.error }),
        }
    }

    /// IccPowerOn (automatic voltage): returns the ATR.
    pub fn power_on(&mut self) -> Result<Vec<u8>, Error> {
        let reply = self.exchange(PC_TO_RDR_ICC_POWER_ON, [0; 3], &[])?;
        let data = expect_data_block(reply)?;
        if data.is_empty() {
            return Err(Error::CcidProtocol {
                what: "power-on answered without an ATR",
            });
        }
        Ok(data)
    }

    /// IccPowerOff. A card already gone is not an error.
    pub fn power_off(&mut self) -> Result<IccStatus, Error> {
        let reply = self.exchange(PC_TO_RDR_ICC_POWER_OFF, [0; 3], &[])?;
        match reply.command {
            CommandStatus::Ok => Ok(reply.icc),
            _ if reply.icc == IccStatus::Absent => Ok(IccStatus::Absent),
            _ => Err(Error::CcidCommandFailed { error: reply.error }),
        }
    }

    /// XfrBlock: sends a command APDU, returns the response APDU (data + SW).
    pub fn xfr_block(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error> {
        let reply = self.exchange(PC_TO_RDR_XFR_BLOCK, [0; 3], apdu)?;
        let data = expect_data_block(reply)?;
        if data.len() < 2 {
            return Err(Error::CcidProtocol {
                what: "response APDU shorter than its status word",
            });
        }
        Ok(data)
    }

    /// Waits up to `timeout` for a slot change on the interrupt endpoint:
    /// `Some(present)` for this slot when one came, `None` otherwise.
    pub fn wait_slot_change(&mut self, timeout: Duration) -> Result<Option<bool>, Error> {
        let mut buf = [0u8; 16];
        let n = self.pipe.read_interrupt(&mut buf, timeout)?;
        if n == 0 {
            return Ok(None);
        }
        let changes = parse_notify_slot_change(&buf[..n])?;
        Ok(changes
            .into_iter()
            .find(|c| c.slot == self.slot && c.changed)
            .map(|c| c.present))
    }

    /// Sends one message and returns its final reply (after any time
    /// extensions), with bSeq and bSlot checked.
    pub fn exchange(
        &mut self,
        message_type: u8,
        specific: [u8; 3],
        data: &[u8],
    ) -> Result<Reply, Error> {
        let deadline = Instant::now() + self.timeout;
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let msg = encode_message(message_type, self.slot, seq, specific, data);
        self.pipe.write_bulk(&msg, self.timeout)?;
        let mut extensions = 0u32;
        let mut stale = 0usize;
        loop {
            let bytes = self.read_message(deadline)?;
            let reply = parse_reply(&bytes)?;
            if reply.seq != seq {
                // The late answer of an earlier command that timed out is
                // dropped (a few at most); any other bSeq is an error.
                let behind = seq.wrapping_sub(reply.seq);
                if (1..=MAX_STALE_BEHIND).contains(&behind) && stale < MAX_STALE_REPLIES {
                    stale += 1;
                    continue;
                }
                return Err(Error::CcidSequence {
                    expected: seq,
                    received: reply.seq,
                });
            }
            if reply.slot != self.slot {
                return Err(Error::CcidProtocol {
                    what: "reply for another slot",
                });
            }
            if reply.command == CommandStatus::TimeExtension {
                extensions += 1;
                if extensions > self.max_time_extensions {
                    return Err(Error::CcidTimeExtensionLimit { count: extensions });
                }
                continue;
            }
            return Ok(reply);
        }
    }

    /// Reads one whole message: a header first, then as many further bulk
    /// transfers as `dwLength` needs, all before `deadline`.
    fn read_message(&mut self, deadline: Instant) -> Result<Vec<u8>, Error> {
        let mut buf = vec![0u8; HEADER_LEN + MAX_DATA_LEN];
        let left = remaining(deadline)?;
        let n = self.pipe.read_bulk(&mut buf, left)?;
        if n < HEADER_LEN {
            return Err(Error::CcidProtocol {
                what: "reply shorter than the 10-byte header",
            });
        }
        let mut have = n;
        let want = announced_len(&buf[..have])
            .filter(|len| *len <= MAX_DATA_LEN)
            .map(|len| HEADER_LEN + len)
            .ok_or(Error::CcidProtocol {
                what: "reply length field out of range",
            })?;
        while have < want {
            let left = remaining(deadline)?;
            let n = self.pipe.read_bulk(&mut buf[have..], left)?;
            if n == 0 {
                return Err(Error::CcidProtocol {
                    what: "reply ended before its announced length",
                });
            }
            have += n;
        }
        buf.truncate(have);
        Ok(buf)
    }
}

impl<P: BulkPipe> fmt::Debug for CcidReader<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CcidReader")
            .field("slot", &self.slot)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<P: BulkPipe> super::apdu::CardChannel for CcidReader<P> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error> {
        self.xfr_block(apdu)
    }
}

fn remaining(deadline: Instant) -> Result<Duration, Error> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(Error::Timeout {
            device: Device::SsCardReader,
        })
    } else {
        Ok(left)
    }
}

/// The data of a successful DataBlock; failures become typed errors (an
/// absent card or a mute one is [`Error::SsCardAbsent`]).
fn expect_data_block(reply: Reply) -> Result<Vec<u8>, Error> {
    if reply.command == CommandStatus::Failed {
        if reply.icc == IccStatus::Absent || matches!(reply.error, ERR_ICC_MUTE | ERR_CMD_ABORTED) {
            return Err(Error::SsCardAbsent);
        }
        return Err(Error::CcidCommandFailed { error: reply.error });
    }
    if reply.message_type != RDR_TO_PC_DATA_BLOCK {
        return Err(Error::CcidProtocol {
            what: "expected a DataBlock reply",
        });
    }
    Ok(reply.data)
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use proptest::prelude::*;

    use super::*;

    /// Scripted reader: every write pops the next list of bulk IN transfers.
    #[derive(Default)]
    struct Script {
        replies: VecDeque<Vec<Vec<u8>>>,
        pending: VecDeque<Vec<u8>>,
        written: Vec<Vec<u8>>,
        interrupts: VecDeque<Vec<u8>>,
    }

    impl BulkPipe for Script {
        fn write_bulk(&mut self, data: &[u8], _: Duration) -> Result<(), Error> {
            self.written.push(data.to_vec());
            if let Some(r) = self.replies.pop_front() {
                self.pending.extend(r);
            }
            Ok(())
        }
        fn read_bulk(&mut self, buf: &mut [u8], _: Duration) -> Result<usize, Error> {
            let Some(next) = self.pending.pop_front() else {
                return Err(Error::Timeout {
                    device: Device::SsCardReader,
                });
            };
            buf[..next.len()].copy_from_slice(&next);
            Ok(next.len())
        }
        fn read_interrupt(&mut self, buf: &mut [u8], _: Duration) -> Result<usize, Error> {
            match self.interrupts.pop_front() {
                Some(m) => {
                    buf[..m.len()].copy_from_slice(&m);
                    Ok(m.len())
                }
                None => Ok(0),
            }
        }
    }

    fn reply(t: u8, seq: u8, status: u8, error: u8, data: &[u8]) -> Vec<u8> {
        let mut m = vec![t];
        m.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
        m.extend_from_slice(&[0, seq, status, error, 0]);
        m.extend_from_slice(data);
        m
    }

    fn reader(replies: Vec<Vec<Vec<u8>>>) -> CcidReader<Script> {
        CcidReader::new(
            Script {
                replies: replies.into(),
                ..Script::default()
            },
            Duration::from_secs(1),
        )
    }

    #[test]
    fn messages_match_the_spec_byte_for_byte() {
        assert_eq!(
            encode_message(0x62, 0, 7, [0; 3], &[]),
            [0x62, 0, 0, 0, 0, 0, 7, 0, 0, 0]
        );
        assert_eq!(
            encode_message(0x6F, 0, 1, [0; 3], &[0x00, 0xB2, 0x07, 0x2C, 0x0B]),
            [
                0x6F, 5, 0, 0, 0, 0, 1, 0, 0, 0, 0x00, 0xB2, 0x07, 0x2C, 0x0B
            ]
        );
    }

    #[test]
    fn power_on_xfr_and_sequence_numbers() {
        let atr = [0x3B, 0x6C, 0x00, 0x00];
        let mut r = reader(vec![
            vec![reply(0x80, 0, 0x00, 0, &atr)],
            vec![reply(0x80, 1, 0x00, 0, &[0x90, 0x00])],
            vec![reply(0x81, 2, 0x01, 0, &[])],
        ]);
        assert_eq!(r.power_on().unwrap(), atr);
        assert_eq!(r.xfr_block(&[0, 0xA4, 4, 0]).unwrap(), [0x90, 0x00]);
        assert_eq!(r.power_off().unwrap(), IccStatus::PresentInactive);
        let written = &r.pipe_mut().written;
        assert_eq!(written[0][0], 0x62);
        assert_eq!(written[1][0], 0x6F);
        assert_eq!(written[2][0], 0x63);
        assert_eq!(written.iter().map(|m| m[6]).collect::<Vec<_>>(), [0, 1, 2]);
    }

    #[test]
    fn wrong_sequence_short_header_and_bad_length_are_protocol_errors() {
        let mut r = reader(vec![
            vec![reply(0x81, 9, 0, 0, &[])],
            vec![vec![0x81, 0, 0]],
            vec![{
                let mut m = reply(0x80, 2, 0, 0, &[0x90, 0x00]);
                m.push(0xEE);
                m
            }],
            vec![reply(0x83, 3, 0, 0, &[])],
        ]);
        assert!(matches!(
            r.slot_status(),
            Err(Error::CcidSequence {
                expected: 0,
                received: 9
            })
        ));
        assert!(matches!(r.slot_status(), Err(Error::CcidProtocol { .. })));
        assert!(matches!(
            r.xfr_block(&[0; 4]),
            Err(Error::CcidProtocol { .. })
        ));
        assert!(matches!(r.slot_status(), Err(Error::CcidProtocol { .. })));
    }

    #[test]
    fn a_late_reply_of_an_abandoned_command_is_skipped() {
        let mut r = reader(vec![
            vec![],
            vec![reply(0x81, 0, 0x00, 0, &[]), reply(0x81, 1, 0x01, 0, &[])],
        ]);
        // First command: the reader is slow, the driver gives up.
        assert!(matches!(r.slot_status(), Err(Error::Timeout { .. })));
        // Second: the late answer to the first (bSeq 0) comes first.
        assert_eq!(r.slot_status().unwrap(), IccStatus::PresentInactive);
    }

    #[test]
    fn time_extensions_are_waited_for_and_bounded() {
        let mut r = reader(vec![
            vec![
                reply(0x80, 0, 0x80, 1, &[]),
                reply(0x80, 0, 0x80, 1, &[]),
                reply(0x80, 0, 0x00, 0, &[0x90, 0x00]),
            ],
            vec![
                reply(0x80, 1, 0x80, 1, &[]),
                reply(0x80, 1, 0x80, 1, &[]),
                reply(0x80, 1, 0x80, 1, &[]),
            ],
        ]);
        assert_eq!(r.xfr_block(&[0; 4]).unwrap(), [0x90, 0x00]);
        r.set_max_time_extensions(2);
        assert!(matches!(
            r.xfr_block(&[0; 4]),
            Err(Error::CcidTimeExtensionLimit { count: 3 })
        ));
    }

    #[test]
    fn failures_absent_card_and_silence() {
        let mut r = reader(vec![
            vec![reply(0x80, 0, 0x42, ERR_ICC_MUTE, &[])],
            vec![reply(0x80, 1, 0x40, 0xFB, &[])],
            vec![reply(0x81, 2, 0x42, ERR_ICC_MUTE, &[])],
            vec![],
        ]);
        assert!(matches!(r.power_on(), Err(Error::SsCardAbsent)));
        assert!(matches!(
            r.xfr_block(&[0; 4]),
            Err(Error::CcidCommandFailed { error: 0xFB })
        ));
        assert_eq!(r.slot_status().unwrap(), IccStatus::Absent);
        assert!(matches!(
            r.slot_status(),
            Err(Error::Timeout {
                device: Device::SsCardReader
            })
        ));
    }

    #[test]
    fn a_reply_split_over_transfers_is_joined() {
        let full = reply(0x80, 0, 0, 0, &[1, 2, 3, 4, 5, 0x90, 0x00]);
        let mut r = reader(vec![vec![full[..12].to_vec(), full[12..].to_vec()]]);
        assert_eq!(r.xfr_block(&[0; 4]).unwrap(), [1, 2, 3, 4, 5, 0x90, 0x00]);
    }

    #[test]
    fn notify_slot_change() {
        assert_eq!(
            parse_notify_slot_change(&[0x50, 0x03]).unwrap()[0],
            SlotChange {
                slot: 0,
                present: true,
                changed: true
            }
        );
        assert!(!parse_notify_slot_change(&[0x50, 0x02]).unwrap()[0].present);
        assert!(
            parse_notify_slot_change(&[0x51, 0x00, 0x01])
                .unwrap()
                .is_empty()
        );
        assert!(parse_notify_slot_change(&[]).is_err());
        assert!(parse_notify_slot_change(&[0x50]).is_err());
        let mut r = reader(vec![]);
        r.pipe_mut().interrupts.push_back(vec![0x50, 0x02]);
        assert_eq!(r.wait_slot_change(Duration::ZERO).unwrap(), Some(false));
        assert_eq!(r.wait_slot_change(Duration::ZERO).unwrap(), None);
    }

    #[test]
    fn debug_hides_data() {
        let r = parse_reply(&reply(0x80, 0, 0, 0, b"secret")).unwrap();
        assert!(!format!("{r:?}").contains("secret"));
        assert!(format!("{r:?}").contains("data_len: 6"));
    }

    proptest! {
        #[test]
        fn parse_reply_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = parse_reply(&bytes);
            let _ = parse_notify_slot_change(&bytes);
        }

        #[test]
        fn encoded_replies_round_trip(
            t in prop_oneof![Just(0x80u8), Just(0x81u8)],
            seq: u8,
            icc in 0u8..3,
            cmd in 0u8..3,
            error: u8,
            data in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let data = if t == 0x81 { Vec::new() } else { data };
            let bytes = reply(t, seq, (cmd << 6) | icc, error, &data);
            let r = parse_reply(&bytes).unwrap();
            prop_assert_eq!(r.seq, seq);
            prop_assert_eq!(r.error, error);
            prop_assert_eq!(r.data, data);
        }

        #[test]
        fn truncated_or_extended_replies_are_refused(
            data in proptest::collection::vec(any::<u8>(), 1..100),
            cut in 1usize..100,
        ) {
            let bytes = reply(0x80, 0, 0, 0, &data);
            let cut = cut.min(bytes.len() - 1);
            prop_assert!(parse_reply(&bytes[..bytes.len() - cut]).is_err());
            let mut longer = bytes.clone();
            longer.push(0);
            prop_assert!(parse_reply(&longer).is_err());
        }
    }
}
