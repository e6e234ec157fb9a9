//! Encryption at rest of personal data in the store (outbox payloads and
//! print documents): ChaCha20-Poly1305 with a fresh random 96-bit nonce per
//! record and the record's identity as associated data, so a sealed value
//! cannot be moved to another record unnoticed. The key lives in
//! configuration or a key file, never in the database.

use std::fmt;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

use crate::error::Error;
use crate::platform::Random;

/// Length of a nonce in bytes.
pub const NONCE_LEN: usize = 12;

/// The 256-bit key that seals personal data in the store.
#[derive(Clone)]
pub struct StoreKey([u8; 32]);

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreKey(..)")
    }
}

impl StoreKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> StoreKey {
        StoreKey(bytes)
    }

    /// A key from 64 hexadecimal digits (surrounding white space ignored),
    /// as written in a config file or a key file.
    pub fn from_hex(text: &str) -> Result<StoreKey, Error> {
        let bytes = hex::decode(text.trim()).map_err(|_| Error::Key("not hexadecimal".into()))?;
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::Key("must be 32 bytes (64 hex digits)".into()))?;
        Ok(StoreKey(array))
    }

    /// Reads a key file (64 hex digits).
    pub fn from_file(path: &Path) -> Result<StoreKey, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Key(format!("{}: {e}", path.display())))?;
        StoreKey::from_hex(&text).map_err(|e| match e {
            Error::Key(reason) => Error::Key(format!("{}: {reason}", path.display())),
            other => other,
        })
    }

    /// Reads the key file, or creates it (mode 0600) with a new random key
    /// when it does not exist yet: first start of a kiosk.
    ///
    /// The key appears whole or not at all, whatever kills the process or
    /// cuts the power: it is written and fsynced under a temporary name,
    /// then linked to its name (which fails if another process made it
    /// meanwhile) and the folder fsynced. A temporary file a crash left
    /// behind is replaced.
    pub fn load_or_create(path: &Path, random: &dyn Random) -> Result<StoreKey, Error> {
        if path.exists() {
            return StoreKey::from_file(path);
        }
        let failed = |e: std::io::Error| Error::Key(format!("{}: {e}", path.display()));
        let mut bytes = [0u8; 32];
        random.fill(&mut bytes);
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".new");
        let temporary = std::path::PathBuf::from(temporary);
        match std::fs::remove_file(&temporary) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(failed(e)),
            _ => {}
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temporary).map_err(failed)?;
        use std::io::Write;
        file.write_all(hex::encode(bytes).as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(failed)?;
        drop(file);
        let linked = std::fs::hard_link(&temporary, path);
        let _ = std::fs::remove_file(&temporary);
        match linked {
            Ok(()) => {}
            // Another process made it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return StoreKey::from_file(path);
            }
            Err(e) => return Err(failed(e)),
        }
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::File::open(folder)
                .and_then(|f| f.sync_all())
                .map_err(failed)?;
        }
        Ok(StoreKey(bytes))
    }

    /// A keyed hash (HMAC-SHA256, under a key derived from this one for
    /// this purpose only) of a person number: finds a person's records
    /// without storing the number in clear.
    pub fn subject_tag(&self, person_number: &str) -> Vec<u8> {
        type HmacSha256 = hmac::Hmac<sha2::Sha256>;
        use hmac::{KeyInit, Mac};
        let derive = |key: &[u8], data: &[u8]| -> Vec<u8> {
            match HmacSha256::new_from_slice(key) {
                Ok(mut mac) => {
                    mac.update(data);
                    mac.finalize().into_bytes().to_vec()
                }
                // HMAC takes keys of any length; this branch is unreachable.
                Err(_) => Vec::new(),
            }
        };
        let subkey = derive(&self.0, b"kiosk-store/outbox-subject/v1");
        derive(&subkey, person_number.as_bytes())
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.0))
    }

    /// Seals `plaintext` bound to `aad` with a new nonce from `random`.
    /// Returns the nonce and the ciphertext (with its tag).
    pub fn seal(
        &self,
        aad: &[u8],
        plaintext: &[u8],
        random: &dyn Random,
    ) -> Result<([u8; NONCE_LEN], Vec<u8>), Error> {
        let mut nonce = [0u8; NONCE_LEN];
        random.fill(&mut nonce);
        let sealed = self
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| Error::Key("encryption failed".into()))?;
        Ok((nonce, sealed))
    }

    /// Opens a sealed value. `record` names the record in the error.
    pub fn open(
        &self,
        aad: &[u8],
        nonce: &[u8],
        sealed: &[u8],
        record: i64,
    ) -> Result<Vec<u8>, Error> {
        if nonce.len() != NONCE_LEN {
            return Err(Error::Decrypt(record));
        }
        self.cipher()
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
            .map_err(|_| Error::Decrypt(record))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::platform::SeededRandom;

    #[test]
    fn seal_open_round_trip_and_tamper_detection() {
        let key = StoreKey::from_bytes([7; 32]);
        let rng = SeededRandom::new(1);
        let (nonce, sealed) = key.seal(b"msg-1", "张三 220102".as_bytes(), &rng).unwrap();
        assert!(!sealed.windows(6).any(|w| w == "张三".as_bytes()));
        assert_eq!(
            key.open(b"msg-1", &nonce, &sealed, 1).unwrap(),
            "张三 220102".as_bytes()
        );
        assert!(matches!(
            key.open(b"msg-2", &nonce, &sealed, 1),
            Err(Error::Decrypt(1))
        ));
        let other = StoreKey::from_bytes([8; 32]);
        assert!(other.open(b"msg-1", &nonce, &sealed, 1).is_err());
        let (nonce2, _) = key.seal(b"msg-1", b"x", &rng).unwrap();
        assert_ne!(nonce, nonce2);
    }

    #[test]
    fn keys_from_hex_and_files() {
        assert!(StoreKey::from_hex("zz").is_err());
        assert!(StoreKey::from_hex("00ff").is_err());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.key");
        let created = StoreKey::load_or_create(&path, &SeededRandom::new(3)).unwrap();
        let loaded = StoreKey::from_file(&path).unwrap();
        assert_eq!(created.0, loaded.0);
        assert_eq!(format!("{loaded:?}"), "StoreKey(..)");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    /// A crash while the key was being written leaves at most a partial
    /// temporary file, never a partial key file: the next start makes the
    /// key afresh. (Seen while building the crash campaign: before, a kill
    /// between creating the key file and writing it left an empty key
    /// file that kept the kiosk from ever starting again.)
    #[test]
    fn a_key_half_written_by_a_crash_is_made_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.key");
        std::fs::write(dir.path().join("outbox.key.new"), "0a1b").unwrap();
        let created = StoreKey::load_or_create(&path, &SeededRandom::new(4)).unwrap();
        assert_eq!(StoreKey::from_file(&path).unwrap().0, created.0);
        assert!(!dir.path().join("outbox.key.new").exists());
        // A second start reads the same key.
        let again = StoreKey::load_or_create(&path, &SeededRandom::new(5)).unwrap();
        assert_eq!(again.0, created.0);
    }
}
