//! ISO 7816-4 APDUs: short command encoding, status words, and the two
//! T=0 conventions a card may answer with: `61 xx` (more data: GET
//! RESPONSE with Le = xx) and `6C xx` (wrong Le: repeat with Le = xx).

use crate::Error;

/// Anything that carries a command APDU to a card and brings back the
/// response APDU (data followed by SW1 SW2): the CCID reader, or a fake.
pub trait CardChannel {
    /// Sends `apdu`, returns the raw response (at least two bytes).
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error>;
}

impl<C: CardChannel + ?Sized> CardChannel for &mut C {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error> {
        (**self).transmit(apdu)
    }
}

/// How many `61 xx` / `6C xx` rounds one command may take (a card that
/// keeps answering `61 xx` forever must not hold the driver).
pub const MAX_CHAINED_RESPONSES: usize = 32;

/// A short command APDU (Lc and Le up to 255/256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// CLA.
    pub cla: u8,
    /// INS.
    pub ins: u8,
    /// P1.
    pub p1: u8,
    /// P2.
    pub p2: u8,
    /// Command data (Lc = its length; at most 255 bytes).
    pub data: Vec<u8>,
    /// Le (None: no response data expected; Some(0) means 256).
    pub le: Option<u8>,
}

impl Command {
    /// Encodes the command (cases 1-4, short). Data beyond 255 bytes is cut
    /// (no command of this driver sends more than 20).
    pub fn encode(&self) -> Vec<u8> {
        let data = &self.data[..self.data.len().min(255)];
        let mut out = vec![self.cla, self.ins, self.p1, self.p2];
        if !data.is_empty() {
            out.push(u8::try_from(data.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(data);
        }
        if let Some(le) = self.le {
            out.push(le);
        }
        out
    }

    /// SELECT by DF name (`00 A4 04 00 Lc name`).
    pub fn select_df_name(name: &[u8]) -> Command {
        Command {
            cla: 0x00,
            ins: 0xA4,
            p1: 0x04,
            p2: 0x00,
            data: name.to_vec(),
            le: None,
        }
    }

    /// READ RECORD `record` of the EF with short identifier `sfi`
    /// (`00 B2 record (sfi<<3)|4 Le`).
    pub fn read_record(record: u8, sfi: u8, le: u8) -> Command {
        Command {
            cla: 0x00,
            ins: 0xB2,
            p1: record,
            p2: ((sfi & 0x1F) << 3) | 0x04,
            data: Vec::new(),
            le: Some(le),
        }
    }

    /// GET CHALLENGE (`00 84 00 00 Le`): `le` random bytes from the card.
    pub fn get_challenge(le: u8) -> Command {
        Command {
            cla: 0x00,
            ins: 0x84,
            p1: 0x00,
            p2: 0x00,
            data: Vec::new(),
            le: Some(le),
        }
    }

    /// GET RESPONSE (`00 C0 00 00 Le`).
    pub fn get_response(le: u8) -> Command {
        Command {
            cla: 0x00,
            ins: 0xC0,
            p1: 0x00,
            p2: 0x00,
            data: Vec::new(),
            le: Some(le),
        }
    }
}

/// A response APDU split into data and status word.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// Response data.
    pub data: Vec<u8>,
    /// SW1.
    pub sw1: u8,
    /// SW2.
    pub sw2: u8,
}

impl std::fmt::Debug for Response {
    /// Status and length only: the data is card content.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Response({} bytes, SW {:02X}{:02X})",
            self.data.len(),
            self.sw1,
            self.sw2
        )
    }
}

impl Response {
    /// Splits a raw response; fewer than two bytes is a protocol error.
    pub fn parse(raw: &[u8]) -> Result<Response, Error> {
        match raw {
            [data @ .., sw1, sw2] => Ok(Response {
                data: data.to_vec(),
                sw1: *sw1,
                sw2: *sw2,
            }),
            _ => Err(Error::CcidProtocol {
                what: "response APDU shorter than its status word",
            }),
        }
    }

    /// Whether the status is `90 00`.
    pub fn is_ok(&self) -> bool {
        (self.sw1, self.sw2) == (0x90, 0x00)
    }

    /// The data when the status is `90 00`, the typed error otherwise.
    pub fn into_ok(self) -> Result<Vec<u8>, Error> {
        if self.is_ok() {
            Ok(self.data)
        } else {
            Err(sw_error(self.sw1, self.sw2))
        }
    }
}

/// Sends `command` and follows `61 xx` (GET RESPONSE, data concatenated)
/// and `6C xx` (repeat with the right Le), bounded by
/// [`MAX_CHAINED_RESPONSES`]. Returns the final response whatever its
/// status word; the caller decides which statuses it accepts.
pub fn transmit<C: CardChannel + ?Sized>(
    channel: &mut C,
    command: &Command,
) -> Result<Response, Error> {
    let mut current = command.clone();
    let mut data = Vec::new();
    for _ in 0..MAX_CHAINED_RESPONSES {
        let response = Response::parse(&channel.transmit(&current.encode())?)?;
        match response.sw1 {
            0x61 => {
                data.extend_from_slice(&response.data);
                current = Command::get_response(response.sw2);
            }
            0x6C => {
                current.le = Some(response.sw2);
            }
            _ => {
                data.extend_from_slice(&response.data);
                return Ok(Response {
                    data,
                    sw1: response.sw1,
                    sw2: response.sw2,
                });
            }
        }
    }
    Err(Error::CcidProtocol {
        what: "card kept answering 61xx/6Cxx beyond the bound",
    })
}

/// A short English description of a status word, for logs and errors.
pub fn sw_description(sw1: u8, sw2: u8) -> &'static str {
    match (sw1, sw2) {
        (0x90, 0x00) => "success",
        (0x61, _) => "more response data available",
        (0x62, 0x81) => "part of returned data may be corrupted",
        (0x62, 0x82) => "end of file or record reached before Le bytes",
        (0x62, _) => "warning, state unchanged",
        (0x63, _) => "warning, state changed (verification failed)",
        (0x64, _) => "execution error, state unchanged",
        (0x65, 0x81) => "memory failure",
        (0x67, 0x00) => "wrong length",
        (0x68, _) => "function in CLA not supported",
        (0x69, 0x81) => "command incompatible with file structure",
        (0x69, 0x82) => "security status not satisfied",
        (0x69, 0x83) => "authentication method blocked",
        (0x69, 0x85) => "conditions of use not satisfied",
        (0x69, 0x86) => "command not allowed (no current EF)",
        (0x69, _) => "command not allowed",
        (0x6A, 0x80) => "incorrect parameters in the data field",
        (0x6A, 0x81) => "function not supported",
        (0x6A, 0x82) => "file or application not found",
        (0x6A, 0x83) => "record not found",
        (0x6A, 0x86) => "incorrect P1 P2",
        (0x6A, _) => "wrong parameters",
        (0x6B, 0x00) => "wrong parameters P1 P2",
        (0x6C, _) => "wrong Le",
        (0x6D, 0x00) => "instruction not supported",
        (0x6E, 0x00) => "class not supported",
        (0x6F, _) => "no precise diagnosis",
        _ => "unknown status word",
    }
}

/// The typed error of a failure status word. File-level meanings (6A 82
/// for the application, 69 82 for PSAM) are decided by the caller, which
/// knows what it asked for.
pub fn sw_error(sw1: u8, sw2: u8) -> Error {
    Error::SsCardStatus { sw1, sw2 }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use proptest::prelude::*;

    use super::*;

    struct Fake {
        replies: VecDeque<Vec<u8>>,
        sent: Vec<Vec<u8>>,
    }

    impl CardChannel for Fake {
        fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error> {
            self.sent.push(apdu.to_vec());
            Ok(self.replies.pop_front().unwrap_or(vec![0x6F, 0x00]))
        }
    }

    fn fake(replies: Vec<Vec<u8>>) -> Fake {
        Fake {
            replies: replies.into(),
            sent: Vec::new(),
        }
    }

    #[test]
    fn encodings_match_the_spec() {
        let name = [
            0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5,
            0xCF,
        ];
        let mut expected = vec![0x00, 0xA4, 0x04, 0x00, 0x0F];
        expected.extend_from_slice(&name);
        assert_eq!(Command::select_df_name(&name).encode(), expected);
        assert_eq!(
            Command::read_record(0x07, 5, 0x0B).encode(),
            [0x00, 0xB2, 0x07, 0x2C, 0x0B]
        );
        assert_eq!(Command::read_record(0x08, 6, 0x14).encode()[3], 0x34);
        assert_eq!(Command::get_response(0x10).encode(), [0, 0xC0, 0, 0, 0x10]);
    }

    #[test]
    fn get_response_chain_is_followed_and_joined() {
        let mut card = fake(vec![
            vec![0x61, 0x03],
            vec![1, 2, 3, 0x61, 0x02],
            vec![4, 5, 0x90, 0x00],
        ]);
        let r = transmit(&mut card, &Command::select_df_name(b"x")).unwrap();
        assert_eq!(r.data, [1, 2, 3, 4, 5]);
        assert!(r.is_ok());
        assert_eq!(card.sent[1], [0x00, 0xC0, 0x00, 0x00, 0x03]);
        assert_eq!(card.sent[2], [0x00, 0xC0, 0x00, 0x00, 0x02]);
    }

    #[test]
    fn wrong_le_is_repeated_with_the_right_one() {
        let mut card = fake(vec![vec![0x6C, 0x0B], vec![7, 9, 0x90, 0x00]]);
        let r = transmit(&mut card, &Command::read_record(7, 5, 0)).unwrap();
        assert_eq!(r.data, [7, 9]);
        assert_eq!(card.sent[1], [0x00, 0xB2, 0x07, 0x2C, 0x0B]);
    }

    #[test]
    fn endless_chains_end() {
        let mut card = fake(vec![vec![0x61, 0x01]; 100]);
        assert!(transmit(&mut card, &Command::get_response(1)).is_err());
        assert_eq!(card.sent.len(), MAX_CHAINED_RESPONSES);
    }

    #[test]
    fn status_words_become_typed_errors() {
        let err = Response::parse(&[0x6A, 0x83])
            .unwrap()
            .into_ok()
            .unwrap_err();
        assert!(matches!(
            err,
            Error::SsCardStatus {
                sw1: 0x6A,
                sw2: 0x83
            }
        ));
        assert!(err.to_string().contains("record not found"));
        assert!(!err.user_message().is_empty());
        assert!(Response::parse(&[0x90]).is_err());
        assert_eq!(sw_description(0x12, 0x34), "unknown status word");
    }

    proptest! {
        #[test]
        fn any_response_bytes_parse_or_fail_cleanly(raw in proptest::collection::vec(any::<u8>(), 0..300)) {
            match Response::parse(&raw) {
                Ok(r) => prop_assert_eq!(r.data.len() + 2, raw.len()),
                Err(_) => prop_assert!(raw.len() < 2),
            }
        }

        #[test]
        fn transmit_always_ends(replies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..8), 0..40)) {
            let mut card = fake(replies);
            let _ = transmit(&mut card, &Command::read_record(1, 5, 0));
            prop_assert!(card.sent.len() <= MAX_CHAINED_RESPONSES);
        }
    }
}
