//! Terminal authentication with the reader's PSAM (PSAM 卡, the secure
//! access module in the reader's second slot): the card proves it is
//! genuine (internal authentication, checked by the PSAM) and the terminal
//! proves it may read the protected records (external authentication,
//! computed by the PSAM). The kiosk never holds a key: it carries APDUs
//! between the two cards. The sequence, with every APDU, is in
//! `docs/psam.md`.
//!
//! - [`Psam`]: what the sequence needs of a PSAM;
//! - [`ApduPsam`]: a PSAM card on any [`CardSlot`] (slot 1 of the CCID
//!   reader, or the PSAM reader of `pcscd`), driven by the APDUs below;
//! - [`authenticate`]: the sequence itself.
//!
//! The PSAM instructions (`80 1A` key diversification, `80 FA` cipher
//! data) follow the PSAM command set of the public PBOC/JR/T 0025 family
//! that social-security PSAMs share; key identifiers and the
//! diversification level are province settings (the real keys' details are
//! confidential), so they are parameters here with the simulator's values
//! as defaults.

use super::CardSlot;
use super::apdu::{CardChannel, Command, sw_error, transmit};
use crate::Error;

/// Length of the challenges (GET CHALLENGE, `Le` = 8).
pub const CHALLENGE_LEN: u8 = 8;
/// Length of a cryptogram (one SM4 block).
pub const CRYPTOGRAM_LEN: u8 = 16;

/// Key identifiers and application name of a province's PSAM scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PsamScheme {
    /// DF name of the PSAM's social-security application.
    pub df_name: Vec<u8>,
    /// Key identifier of the card's internal-authentication key (P2 of
    /// INTERNAL AUTHENTICATE, and of the PSAM's `80 1A`).
    pub internal_key: u8,
    /// Key identifier of the card's external-authentication key.
    pub external_key: u8,
}

impl Default for PsamScheme {
    /// The simulator's scheme: the SSSE DF name, keys 01 and 02.
    fn default() -> PsamScheme {
        PsamScheme {
            df_name: super::ssse::SSSE_DF_NAME.to_vec(),
            internal_key: 0x01,
            external_key: 0x02,
        }
    }
}

/// A PSAM, as terminal authentication uses it.
pub trait Psam {
    /// The key identifiers this PSAM's scheme uses.
    fn scheme(&self) -> &PsamScheme;

    /// Selects the PSAM's application (powering the PSAM first if needed).
    fn select_application(&mut self) -> Result<(), Error>;

    /// A random challenge from the PSAM, sent to the card for its internal
    /// authentication.
    fn challenge(&mut self) -> Result<Vec<u8>, Error>;

    /// Whether `answer` is the card's correct internal authentication of
    /// `challenge` under the key the PSAM derives from `card_sn`.
    fn verify_internal(
        &mut self,
        card_sn: &[u8],
        challenge: &[u8],
        answer: &[u8],
    ) -> Result<bool, Error>;

    /// The external-authentication cryptogram of the card's
    /// `card_challenge`, under the key the PSAM derives from `card_sn`.
    fn external_cryptogram(
        &mut self,
        card_sn: &[u8],
        card_challenge: &[u8],
    ) -> Result<Vec<u8>, Error>;
}

/// Runs terminal authentication between the card on `card` (application
/// selected) and `psam`: internal authentication (the card is genuine),
/// then external authentication (the terminal may read). `card_sn` is the
/// card identification code (卡识别码) read from EF05, the key
/// diversification input.
pub fn authenticate(
    card: &mut dyn CardChannel,
    psam: &mut dyn Psam,
    card_sn: &[u8],
) -> Result<(), Error> {
    psam.select_application()?;
    let scheme = psam.scheme().clone();
    let div = diversification_input(card_sn);

    // 1. Internal authentication: the card encrypts the PSAM's challenge.
    let challenge = psam.challenge()?;
    let response = transmit(
        card,
        &Command {
            cla: 0x00,
            ins: 0x88,
            p1: 0x00,
            p2: scheme.internal_key,
            data: challenge.clone(),
            le: Some(CRYPTOGRAM_LEN),
        },
    )?;
    let answer = card_ok(response.sw1, response.sw2, response.data)?;
    if !psam.verify_internal(&div, &challenge, &answer)? {
        return Err(Error::SsCardAuthFailed {
            what: "internal authentication: the card's answer is not the PSAM's",
        });
    }

    // 2. External authentication: the PSAM encrypts the card's challenge.
    let response = transmit(card, &Command::get_challenge(CHALLENGE_LEN))?;
    let card_challenge = card_ok(response.sw1, response.sw2, response.data)?;
    let cryptogram = psam.external_cryptogram(&div, &card_challenge)?;
    let response = transmit(
        card,
        &Command {
            cla: 0x00,
            ins: 0x82,
            p1: 0x00,
            p2: scheme.external_key,
            data: cryptogram,
            le: None,
        },
    )?;
    match (response.sw1, response.sw2) {
        (0x90, 0x00) => Ok(()),
        (0x63, sw2) if sw2 & 0xF0 == 0xC0 => Err(Error::SsCardAuthFailed {
            what: "external authentication refused by the card (wrong PSAM key)",
        }),
        (0x69, 0x83) => Err(Error::SsCardAuthFailed {
            what: "the card's external-authentication key is blocked",
        }),
        (sw1, sw2) => Err(sw_error(sw1, sw2)),
    }
}

/// The card's answer with `90 00`, else the status as an error (`69 85`
/// and the like: the card does not support the step).
fn card_ok(sw1: u8, sw2: u8, data: Vec<u8>) -> Result<Vec<u8>, Error> {
    match (sw1, sw2) {
        (0x90, 0x00) => Ok(data),
        (0x6D, 0x00) | (0x6A, 0x81) | (0x69, 0x85) => Err(Error::SsCardAuthFailed {
            what: "the card does not support terminal authentication",
        }),
        (sw1, sw2) => Err(sw_error(sw1, sw2)),
    }
}

/// The 16-byte diversification input from the card identification code
/// (16 bytes on an SSSE card; shorter codes are padded with `00`, longer
/// ones cut).
pub fn diversification_input(card_sn: &[u8]) -> Vec<u8> {
    let mut div = card_sn.iter().copied().take(16).collect::<Vec<u8>>();
    div.resize(16, 0x00);
    div
}

/// A PSAM card in a [`CardSlot`], driven by APDUs.
pub struct ApduPsam<S: CardSlot> {
    slot: S,
    scheme: PsamScheme,
    powered: bool,
}

impl<S: CardSlot> ApduPsam<S> {
    /// The PSAM in `slot`, with `scheme`.
    pub fn new(slot: S, scheme: PsamScheme) -> ApduPsam<S> {
        ApduPsam {
            slot,
            scheme,
            powered: false,
        }
    }

    /// Powers the PSAM if it is not yet: a missing PSAM is
    /// [`Error::PsamUnavailable`].
    fn ensure_powered(&mut self) -> Result<(), Error> {
        if self.powered {
            return Ok(());
        }
        match self.slot.power_on() {
            Ok(_) => {
                self.powered = true;
                Ok(())
            }
            Err(Error::SsCardAbsent) => Err(Error::PsamUnavailable {
                what: "no PSAM in its slot".into(),
            }),
            Err(e) => Err(Error::PsamUnavailable {
                what: format!("PSAM slot: {e}"),
            }),
        }
    }

    /// Sends `command`, gives the data of a `90 00` answer; anything else
    /// is the PSAM's fault.
    fn run(&mut self, command: &Command, step: &'static str) -> Result<Vec<u8>, Error> {
        let response = match transmit(&mut self.slot, command) {
            Ok(r) => r,
            Err(e) => {
                // Pulled or reset: power it again next time.
                self.powered = false;
                return Err(Error::PsamUnavailable {
                    what: format!("{step}: {e}"),
                });
            }
        };
        if (response.sw1, response.sw2) != (0x90, 0x00) {
            return Err(Error::PsamStatus {
                step,
                sw1: response.sw1,
                sw2: response.sw2,
            });
        }
        Ok(response.data)
    }

    /// `80 1A` then `80 FA`: the cryptogram of `data` under the key `key`
    /// diversified with `div`.
    fn cipher(&mut self, key: u8, div: &[u8], data: &[u8]) -> Result<Vec<u8>, Error> {
        self.run(
            &Command {
                cla: 0x80,
                ins: 0x1A,
                p1: 0x45,
                p2: key,
                data: div.to_vec(),
                le: None,
            },
            "diversify key (80 1A)",
        )?;
        let out = self.run(
            &Command {
                cla: 0x80,
                ins: 0xFA,
                p1: 0x00,
                p2: 0x00,
                data: data.to_vec(),
                le: Some(CRYPTOGRAM_LEN),
            },
            "cipher data (80 FA)",
        )?;
        if out.len() != usize::from(CRYPTOGRAM_LEN) {
            return Err(Error::PsamStatus {
                step: "cipher data (80 FA): wrong length",
                sw1: 0x90,
                sw2: 0x00,
            });
        }
        Ok(out)
    }

    /// The slot back.
    pub fn into_inner(self) -> S {
        self.slot
    }
}

impl<S: CardSlot> Psam for ApduPsam<S> {
    fn scheme(&self) -> &PsamScheme {
        &self.scheme
    }

    fn select_application(&mut self) -> Result<(), Error> {
        self.ensure_powered()?;
        let name = self.scheme.df_name.clone();
        self.run(&Command::select_df_name(&name), "select PSAM application")
            .map(|_| ())
    }

    fn challenge(&mut self) -> Result<Vec<u8>, Error> {
        self.run(
            &Command::get_challenge(CHALLENGE_LEN),
            "get challenge (00 84)",
        )
    }

    fn verify_internal(
        &mut self,
        card_sn: &[u8],
        challenge: &[u8],
        answer: &[u8],
    ) -> Result<bool, Error> {
        let key = self.scheme.internal_key;
        let expected = self.cipher(key, card_sn, challenge)?;
        Ok(expected == answer)
    }

    fn external_cryptogram(
        &mut self,
        card_sn: &[u8],
        card_challenge: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let key = self.scheme.external_key;
        self.cipher(key, card_sn, card_challenge)
    }
}

impl<S: CardSlot> std::fmt::Debug for ApduPsam<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApduPsam")
            .field("powered", &self.powered)
            .finish_non_exhaustive()
    }
}
