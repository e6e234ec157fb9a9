//! The cards' command processing, shared by the simulated CCID reader and
//! the virtual card for `pcscd` (vpcd): the social security application
//! of a user card ([`CardApplet`]) and the PSAM ([`PsamApplet`]).
//!
//! Terminal authentication (written from the protocol notes in
//! `docs/psam.md`, independently of `kiosk-drivers`):
//! - the card's keys are its issuer's master keys diversified with its
//!   identification code: `key = SM4(master, card_sn)`;
//! - INTERNAL AUTHENTICATE `00 88 00 kid 08 R`: the card answers
//!   `SM4(key[kid], R ‖ 00…)` (16 bytes, through `61 10`);
//! - GET CHALLENGE `00 84 00 00 08`: 8 bytes the next EXTERNAL
//!   AUTHENTICATE `00 82 00 kid 10 E` must encrypt; right: the protected
//!   records open until power-off, wrong: `63 Cx` (x tries left), none
//!   left: `69 83`;
//! - the PSAM holds the master keys: `80 1A 45 kid 10 card_sn` derives the
//!   card's key, `80 FA 00 00 08 D` encrypts `D ‖ 00…` with it.
//!
//! The keys are test keys, known to everyone: nothing here is a secret.

use sm4::Sm4;
use sm4::cipher::generic_array::GenericArray;
use sm4::cipher::{BlockEncrypt, KeyInit};

use super::card::SsCardImage;

/// "sx1.sh.社会保障" in GBK: the DF name of the social security application
/// (the simulated PSAM's application answers to the same name).
pub const SSSE_DF_NAME: [u8; 15] = [
    0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF,
];

/// Key identifier of the internal-authentication key.
pub const INTERNAL_KEY: u8 = 0x01;
/// Key identifier of the external-authentication key.
pub const EXTERNAL_KEY: u8 = 0x02;
/// Wrong external authentications before the key blocks.
pub const EXTERNAL_TRIES: u8 = 3;

/// An issuer's master keys (what a PSAM holds).
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKeys {
    /// Master of the cards' internal-authentication keys.
    pub internal: [u8; 16],
    /// Master of the cards' external-authentication keys.
    pub external: [u8; 16],
}

impl std::fmt::Debug for MasterKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKeys(..)")
    }
}

impl MasterKeys {
    /// The simulator's test keys: every simulated card is issued under
    /// them and the simulated PSAM holds them.
    pub const TEST: MasterKeys = MasterKeys {
        internal: *b"KIOSK-TEST-INT-1",
        external: *b"KIOSK-TEST-EXT-2",
    };

    /// Other test keys: a PSAM (or a forged card) of another issuer.
    pub const OTHER: MasterKeys = MasterKeys {
        internal: *b"OTHER-ISSUER-INT",
        external: *b"OTHER-ISSUER-EXT",
    };

    /// The master key with identifier `kid`.
    fn by_id(&self, kid: u8) -> Option<&[u8; 16]> {
        match kid {
            INTERNAL_KEY => Some(&self.internal),
            EXTERNAL_KEY => Some(&self.external),
            _ => None,
        }
    }
}

/// A card's own keys.
#[derive(Clone, PartialEq, Eq)]
pub struct CardKeys {
    /// Internal-authentication key.
    pub internal: [u8; 16],
    /// External-authentication key.
    pub external: [u8; 16],
}

impl std::fmt::Debug for CardKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardKeys(..)")
    }
}

impl CardKeys {
    /// The keys an issuer with `master` gives the card `card_sn`.
    pub fn issue(master: &MasterKeys, card_sn: &[u8]) -> CardKeys {
        let div = diversification_input(card_sn);
        CardKeys {
            internal: encrypt(&master.internal, &div),
            external: encrypt(&master.external, &div),
        }
    }
}

/// The card identification code as a 16-byte block (padded with `00`).
pub fn diversification_input(card_sn: &[u8]) -> [u8; 16] {
    let mut div = [0u8; 16];
    for (d, s) in div.iter_mut().zip(card_sn) {
        *d = *s;
    }
    div
}

/// SM4 of one block.
fn encrypt(key: &[u8; 16], block: &[u8; 16]) -> [u8; 16] {
    let cipher = Sm4::new(GenericArray::from_slice(key));
    let mut b = GenericArray::clone_from_slice(block);
    cipher.encrypt_block(&mut b);
    let mut out = [0u8; 16];
    out.copy_from_slice(&b);
    out
}

/// `data` (at most 16 bytes) padded with `00` to one block.
fn block(data: &[u8]) -> Option<[u8; 16]> {
    if data.len() > 16 {
        return None;
    }
    let mut b = [0u8; 16];
    b[..data.len()].copy_from_slice(data);
    Some(b)
}

fn with_sw(data: &[u8], sw1: u8, sw2: u8) -> Vec<u8> {
    let mut v = data.to_vec();
    v.push(sw1);
    v.push(sw2);
    v
}

/// A deterministic challenge source: SM4 of a counter under a fixed key
/// (a simulator's randomness must be reproducible).
#[derive(Debug, Default, Clone)]
struct Challenges(u64);

impl Challenges {
    fn next(&mut self, salt: u8) -> [u8; 8] {
        self.0 += 1;
        let mut input = [salt; 16];
        input[..8].copy_from_slice(&self.0.to_be_bytes());
        let out = encrypt(b"SIMULATED-RANDOM", &input);
        let mut c = [0u8; 8];
        c.copy_from_slice(&out[..8]);
        c
    }
}

/// `data` answered the T=0 way: `61 xx`, then GET RESPONSE.
fn via_get_response(pending: &mut Vec<u8>, data: Vec<u8>) -> Vec<u8> {
    let n = u8::try_from(data.len()).unwrap_or(0);
    *pending = data;
    vec![0x61, n]
}

/// GET RESPONSE against `pending`: `6C xx` with the wrong Le.
fn get_response(pending: &mut Vec<u8>, body: &[u8]) -> Vec<u8> {
    if pending.is_empty() {
        return vec![0x69, 0x85];
    }
    let le = body.first().copied().unwrap_or(0);
    let n = pending.len();
    if usize::from(le) != n {
        return vec![0x6C, u8::try_from(n).unwrap_or(0)];
    }
    let data = std::mem::take(pending);
    with_sw(&data, 0x90, 0x00)
}

/// The user card's application state, from power-on to power-off.
#[derive(Debug, Default, Clone)]
pub struct CardApplet {
    selected: bool,
    pending: Vec<u8>,
    challenge: Option<[u8; 8]>,
    unlocked: bool,
    /// External-authentication failures (kept across power cycles, as a
    /// card's try counter is).
    failures: u8,
    random: Challenges,
}

impl CardApplet {
    /// A card just powered on (the try counter is kept).
    pub fn reset(&mut self) {
        self.selected = false;
        self.pending.clear();
        self.challenge = None;
        self.unlocked = false;
    }

    /// The card's answer to one command APDU (a T=0 card: SELECT answers
    /// `61 xx`, READ RECORD with a wrong Le answers `6C xx`).
    pub fn process(&mut self, card: &SsCardImage, apdu: &[u8]) -> Vec<u8> {
        let [cla, ins, p1, p2, body @ ..] = apdu else {
            return vec![0x67, 0x00];
        };
        if *cla != 0x00 {
            return vec![0x6E, 0x00];
        }
        match ins {
            0xA4 => {
                let [lc, name @ ..] = body else {
                    return vec![0x67, 0x00];
                };
                if usize::from(*lc) != name.len() || (*p1, *p2) != (0x04, 0x00) {
                    return vec![0x6A, 0x86];
                }
                if name != SSSE_DF_NAME || !card.has_application {
                    self.selected = false;
                    return vec![0x6A, 0x82];
                }
                self.selected = true;
                let mut fci = vec![0x6F, 17, 0x84, 15];
                fci.extend_from_slice(&SSSE_DF_NAME);
                via_get_response(&mut self.pending, fci)
            }
            0xC0 => get_response(&mut self.pending, body),
            0xB2 => {
                if !self.selected {
                    return vec![0x69, 0x86];
                }
                if p2 & 0x07 != 0x04 {
                    return vec![0x6A, 0x86];
                }
                let sfi = p2 >> 3;
                if !matches!(sfi, 5 | 6) {
                    return vec![0x6A, 0x82];
                }
                let Some(record) = card.record(sfi, *p1) else {
                    return vec![0x6A, 0x83];
                };
                if card.psam_protected.contains(p1) && !self.unlocked {
                    return vec![0x69, 0x82];
                }
                let le = body.first().copied().unwrap_or(0);
                if usize::from(le) != record.len() {
                    return vec![0x6C, u8::try_from(record.len()).unwrap_or(0)];
                }
                with_sw(record, 0x90, 0x00)
            }
            // INTERNAL AUTHENTICATE: 00 88 00 kid Lc R [Le].
            0x88 => {
                let Some(keys) = &card.keys else {
                    return vec![0x6D, 0x00];
                };
                if !self.selected {
                    return vec![0x69, 0x85];
                }
                let [lc, rest @ ..] = body else {
                    return vec![0x67, 0x00];
                };
                let Some(data) = rest.get(..usize::from(*lc)) else {
                    return vec![0x67, 0x00];
                };
                let key = match *p2 {
                    INTERNAL_KEY => &keys.internal,
                    _ => return vec![0x6A, 0x88],
                };
                let Some(input) = block(data) else {
                    return vec![0x67, 0x00];
                };
                via_get_response(&mut self.pending, encrypt(key, &input).to_vec())
            }
            // GET CHALLENGE: 00 84 00 00 08.
            0x84 => {
                if card.keys.is_none() {
                    return vec![0x6D, 0x00];
                }
                if body.first() != Some(&8) {
                    return vec![0x67, 0x00];
                }
                let challenge = self.random.next(0xCA);
                self.challenge = Some(challenge);
                with_sw(&challenge, 0x90, 0x00)
            }
            // EXTERNAL AUTHENTICATE: 00 82 00 kid 10 E.
            0x82 => {
                let Some(keys) = &card.keys else {
                    return vec![0x6D, 0x00];
                };
                if self.failures >= EXTERNAL_TRIES {
                    return vec![0x69, 0x83];
                }
                let Some(challenge) = self.challenge.take() else {
                    return vec![0x69, 0x85];
                };
                if *p2 != EXTERNAL_KEY {
                    return vec![0x6A, 0x88];
                }
                let [16, cryptogram @ ..] = body else {
                    return vec![0x67, 0x00];
                };
                let Some(input) = block(&challenge) else {
                    return vec![0x67, 0x00];
                };
                if encrypt(&keys.external, &input)[..] == cryptogram[..] {
                    self.failures = 0;
                    self.unlocked = true;
                    vec![0x90, 0x00]
                } else {
                    self.failures += 1;
                    match EXTERNAL_TRIES - self.failures {
                        0 => vec![0x69, 0x83],
                        left => vec![0x63, 0xC0 | left],
                    }
                }
            }
            _ => vec![0x6D, 0x00],
        }
    }
}

/// The ATR of the simulated PSAM.
pub const PSAM_ATR: [u8; 11] = [
    0x3B, 0x68, 0x00, 0x00, 0x00, 0x73, 0xC8, 0x40, 0x12, 0x00, 0x90,
];

/// A simulated PSAM: holds an issuer's master keys.
#[derive(Debug, Clone)]
pub struct PsamApplet {
    master: MasterKeys,
    selected: bool,
    session_key: Option<[u8; 16]>,
    pending: Vec<u8>,
    random: Challenges,
}

impl PsamApplet {
    /// A PSAM holding `master`.
    pub fn new(master: MasterKeys) -> PsamApplet {
        PsamApplet {
            master,
            selected: false,
            session_key: None,
            pending: Vec::new(),
            random: Challenges::default(),
        }
    }

    /// Powered on again.
    pub fn reset(&mut self) {
        self.selected = false;
        self.session_key = None;
        self.pending.clear();
    }

    /// The PSAM's answer to one command APDU.
    pub fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        let [cla, ins, p1, p2, body @ ..] = apdu else {
            return vec![0x67, 0x00];
        };
        match (cla, ins) {
            (0x00, 0xA4) => {
                let [lc, name @ ..] = body else {
                    return vec![0x67, 0x00];
                };
                if usize::from(*lc) != name.len() || (*p1, *p2) != (0x04, 0x00) {
                    return vec![0x6A, 0x86];
                }
                self.selected = name == SSSE_DF_NAME;
                if self.selected {
                    vec![0x90, 0x00]
                } else {
                    vec![0x6A, 0x82]
                }
            }
            (0x00, 0xC0) => get_response(&mut self.pending, body),
            (0x00, 0x84) => {
                if body.first() != Some(&8) {
                    return vec![0x67, 0x00];
                }
                with_sw(&self.random.next(0x5A), 0x90, 0x00)
            }
            // Key diversification: 80 1A 45 kid 10 card_sn.
            (0x80, 0x1A) => {
                if !self.selected {
                    return vec![0x69, 0x85];
                }
                let [16, div @ ..] = body else {
                    return vec![0x67, 0x00];
                };
                let (0x45, Some(master)) = (*p1, self.master.by_id(*p2)) else {
                    return vec![0x6A, 0x88];
                };
                let Some(div) = block(div) else {
                    return vec![0x67, 0x00];
                };
                self.session_key = Some(encrypt(master, &div));
                vec![0x90, 0x00]
            }
            // Cipher data: 80 FA 00 00 Lc D [Le].
            (0x80, 0xFA) => {
                let Some(key) = self.session_key else {
                    return vec![0x69, 0x85];
                };
                let [lc, rest @ ..] = body else {
                    return vec![0x67, 0x00];
                };
                let Some(input) = rest.get(..usize::from(*lc)).and_then(block) else {
                    return vec![0x67, 0x00];
                };
                via_get_response(&mut self.pending, encrypt(&key, &input).to_vec())
            }
            (0x00 | 0x80, _) => vec![0x6D, 0x00],
            _ => vec![0x6E, 0x00],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm4_standard_vector() {
        // GB/T 32907-2016 Appendix A, example 1.
        let key: [u8; 16] = [
            0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54,
            0x32, 0x10,
        ];
        let out = encrypt(&key, &key);
        assert_eq!(
            out,
            [
                0x68, 0x1E, 0xDF, 0x34, 0xD2, 0x06, 0x96, 0x5E, 0x86, 0xB3, 0xE9, 0x4F, 0x53, 0x6E,
                0x42, 0x46
            ]
        );
    }

    #[test]
    fn psam_and_card_agree_only_under_the_same_master() {
        let mut card = SsCardImage::demo();
        let sn = b"220100D156000005";
        card.keys = Some(CardKeys::issue(&MasterKeys::TEST, sn));
        let mut applet = CardApplet::default();
        let mut psam = PsamApplet::new(MasterKeys::TEST);
        let mut select = vec![0x00, 0xA4, 0x04, 0x00, 15];
        select.extend_from_slice(&SSSE_DF_NAME);
        assert_eq!(applet.process(&card, &select), [0x61, 19]);
        assert_eq!(psam.process(&select), [0x90, 0x00]);
        let challenge = applet.process(&card, &[0x00, 0x84, 0x00, 0x00, 0x08]);
        assert_eq!(challenge.len(), 10);
        let mut derive = vec![0x80, 0x1A, 0x45, EXTERNAL_KEY, 16];
        derive.extend_from_slice(sn);
        assert_eq!(psam.process(&derive), [0x90, 0x00]);
        let mut cipher = vec![0x80, 0xFA, 0x00, 0x00, 0x08];
        cipher.extend_from_slice(&challenge[..8]);
        assert_eq!(psam.process(&cipher), [0x61, 16]);
        let cryptogram = psam.process(&[0x00, 0xC0, 0x00, 0x00, 16]);
        let mut external = vec![0x00, 0x82, 0x00, EXTERNAL_KEY, 16];
        external.extend_from_slice(&cryptogram[..16]);
        assert_eq!(applet.process(&card, &external), [0x90, 0x00]);
        // Another issuer's PSAM: refused, and the tries run out.
        let mut other = PsamApplet::new(MasterKeys::OTHER);
        other.process(&select);
        for left in [2u8, 1] {
            let challenge = applet.process(&card, &[0x00, 0x84, 0x00, 0x00, 0x08]);
            other.process(&derive);
            let mut cipher = vec![0x80, 0xFA, 0x00, 0x00, 0x08];
            cipher.extend_from_slice(&challenge[..8]);
            other.process(&cipher);
            let cryptogram = other.process(&[0x00, 0xC0, 0x00, 0x00, 16]);
            let mut external = vec![0x00, 0x82, 0x00, EXTERNAL_KEY, 16];
            external.extend_from_slice(&cryptogram[..16]);
            assert_eq!(applet.process(&card, &external), [0x63, 0xC0 | left]);
        }
    }
}
