//! Staff of the console: accounts with Argon2id password hashes, sessions
//! held by a random token whose SHA-256 alone is stored, a CSRF token per
//! session required on every form, and the audit log of what staff did.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::service::Central;

/// How long a login lasts.
pub const SESSION_HOURS: i64 = 8;
/// The session cookie's name.
pub const COOKIE: &str = "console_session";

/// What a staff member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything, every hall.
    Admin,
    /// Their own hall only: read, acknowledge alerts, maintenance on/off.
    Hall,
}

impl Role {
    /// From its stored name.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "hall" => Some(Role::Hall),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Hall => "hall",
        }
    }
}

/// A logged-in staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Their hall (`hall` role).
    pub hall: String,
    /// The session's CSRF token (in every form).
    pub csrf: String,
}

impl Staff {
    /// Whether this staff member may see the kiosks of `hall`.
    pub fn sees(&self, hall: &str) -> bool {
        self.role == Role::Admin || self.hall == hall
    }
}

fn db(e: rusqlite::Error) -> Error {
    Error::Database(e.to_string())
}

fn random_hex(bytes: usize) -> Result<String, Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| Error::Console(format!("no randomness: {e}")))?;
    Ok(hex::encode(buf))
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// An Argon2id PHC string of `password` (for `--staff-file`).
pub fn hash_password(password: &str) -> Result<String, Error> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| Error::Console(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Console(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Console(e.to_string()))
}

impl Central {
    /// Adds (or replaces) a staff account with `password`.
    pub fn add_staff(
        &self,
        name: &str,
        password: &str,
        role: Role,
        hall: &str,
    ) -> Result<(), Error> {
        let hash = hash_password(password)?;
        self.add_staff_hashed(name, &hash, role, hall)
    }

    /// Adds (or replaces) a staff account with an Argon2 PHC hash.
    pub fn add_staff_hashed(
        &self,
        name: &str,
        password_hash: &str,
        role: Role,
        hall: &str,
    ) -> Result<(), Error> {
        PasswordHash::new(password_hash)
            .map_err(|e| Error::Console(format!("staff {name}: not a password hash: {e}")))?;
        self.conn()
            .execute(
                "INSERT INTO staff (name, password_hash, role, hall) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash,
                     role = excluded.role, hall = excluded.hall",
                params![name, password_hash, role.name(), hall],
            )
            .map_err(db)?;
        Ok(())
    }

    /// Checks a login; on success a new session: its token (for the
    /// cookie) and the staff member. `None` for a wrong name or password.
    pub fn console_login(
        &self,
        name: &str,
        password: &str,
    ) -> Result<Option<(String, Staff)>, Error> {
        let row = self
            .conn()
            .query_row(
                "SELECT password_hash, role, hall FROM staff WHERE name = ?1",
                [name],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                },
            )
            .optional()
            .map_err(db)?;
        let Some((hash, role, hall)) = row else {
            // The same work for an unknown name as for a wrong password.
            let _ = hash_password(password);
            return Ok(None);
        };
        let parsed = PasswordHash::new(&hash).map_err(|e| Error::Console(e.to_string()))?;
        if Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_err()
        {
            return Ok(None);
        }
        let Some(role) = Role::parse(&role) else {
            return Ok(None);
        };
        let token = random_hex(32)?;
        let csrf = random_hex(16)?;
        let expires = (self.now() + chrono::Duration::hours(SESSION_HOURS))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string();
        self.conn()
            .execute(
                "INSERT INTO staff_session (token_hash, name, csrf, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![digest(&token), name, csrf, expires],
            )
            .map_err(db)?;
        self.console_audit(name, "login", "")?;
        Ok(Some((
            token,
            Staff {
                name: name.to_string(),
                role,
                hall,
                csrf,
            },
        )))
    }

    /// The staff member of a session token, if it is valid and current.
    pub fn console_session(&self, token: &str) -> Result<Option<Staff>, Error> {
        let now = self.now_text();
        self.conn()
            .query_row(
                "SELECT s.name, st.role, st.hall, s.csrf FROM staff_session s
                 JOIN staff st ON st.name = s.name
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2",
                params![digest(token), now],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                },
            )
            .optional()
            .map_err(db)
            .map(|row| {
                row.and_then(|(name, role, hall, csrf)| {
                    Role::parse(&role).map(|role| Staff {
                        name,
                        role,
                        hall,
                        csrf,
                    })
                })
            })
    }

    /// Ends a session.
    pub fn console_logout(&self, token: &str, name: &str) -> Result<(), Error> {
        self.conn()
            .execute(
                "DELETE FROM staff_session WHERE token_hash = ?1",
                [digest(token)],
            )
            .map_err(db)?;
        self.console_audit(name, "logout", "")
    }

    /// Records what `staff` did.
    pub fn console_audit(&self, staff: &str, action: &str, detail: &str) -> Result<(), Error> {
        self.conn()
            .execute(
                "INSERT INTO console_audit (at, staff, action, detail) VALUES (?1, ?2, ?3, ?4)",
                params![self.now_text(), staff, action, detail],
            )
            .map_err(db)?;
        Ok(())
    }

    /// The audit log, newest first: (at, staff, action, detail).
    pub fn console_audit_log(
        &self,
        limit: usize,
    ) -> Result<Vec<(String, String, String, String)>, Error> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT at, staff, action, detail FROM console_audit ORDER BY id DESC LIMIT ?1",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .map_err(db)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db)
    }
}
