//! A `pcscd` for the PC/SC tests and the card-read benchmark (included
//! with `#[path]` by both).

#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use kiosk_drivers::sscard::pcsc::list_readers;

/// The `pcscd` the PC/SC tests use: the test's own (started with a vpcd
/// reader pair on free ports, stopped after), or — when the machine
/// already runs one (Debian starts pcscd by socket activation) — that one,
/// with the vpcd readers Debian's vsmartcard-vpcd configures (ports
/// 0x8C7B and 0x8C7C).
pub struct Pcscd {
    child: Option<Child>,
    dir: tempfile::TempDir,
    pub card_port: u16,
    pub psam_port: u16,
}

/// pcscd has one socket per machine: PC/SC tests take turns.
static PCSCD_TURN: Mutex<()> = Mutex::new(());

const VPCD_DRIVER: &str = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";
/// vsmartcard-vpcd's port in /etc/reader.conf.d/vpcd.
const DEBIAN_VPCD_PORT: u16 = 0x8C7B;

impl Pcscd {
    /// Starts (or joins) a pcscd; the guard is the turn of this caller.
    pub fn start() -> (Pcscd, MutexGuard<'static, ()>) {
        let turn = PCSCD_TURN.lock().unwrap_or_else(PoisonError::into_inner);
        assert!(
            std::path::Path::new(VPCD_DRIVER).exists(),
            "{VPCD_DRIVER} missing: install the Debian packages pcscd and vsmartcard-vpcd \
             (.ci/run does)"
        );
        let dir = tempfile::tempdir().unwrap();
        if std::os::unix::net::UnixStream::connect("/run/pcscd/pcscd.comm").is_ok() {
            let readers = list_readers().unwrap_or_default();
            assert!(
                readers.iter().any(|r| r.starts_with("Virtual PCD")),
                "the running pcscd has no vpcd reader (it lists {readers:?}): restart it so it \
                 loads /etc/reader.conf.d/vpcd (systemctl restart pcscd)"
            );
            let pcscd = Pcscd {
                child: None,
                dir,
                card_port: DEBIAN_VPCD_PORT,
                psam_port: DEBIAN_VPCD_PORT + 1,
            };
            return (pcscd, turn);
        }
        let _ = std::fs::remove_file("/run/pcscd/pcscd.comm");
        let _ = std::fs::remove_file("/run/pcscd/pcscd.pid");
        let card_port = free_port_pair();
        let psam_port = card_port + 1;
        let conf = dir.path().join("reader.conf.d");
        std::fs::create_dir(&conf).unwrap();
        // vpcd: DEVICENAME /dev/null:<port> listens for virtual cards on
        // that port (and the next one for the second reader).
        std::fs::write(
            conf.join("vpcd"),
            format!(
                "FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME /dev/null:0x{card_port:04X}\n\
                 LIBPATH {VPCD_DRIVER}\nCHANNELID 0x{card_port:04X}\n"
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("pcscd.log")).unwrap();
        // stdbuf: pcscd's log lines reach the file as they are written.
        let child = Command::new("stdbuf")
            .args(["-oL", "pcscd", "--foreground", "--debug", "--config"])
            .arg(&conf)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("pcscd not installed (Debian package pcscd)");
        let pcscd = Pcscd {
            child: Some(child),
            dir,
            card_port,
            psam_port,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(readers) = list_readers()
                && readers.len() >= 2
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "pcscd did not list the vpcd readers; its log:\n{}",
                pcscd.log()
            );
            std::thread::park_timeout(Duration::from_millis(50));
        }
        (pcscd, turn)
    }

    /// pcscd's log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pcscd.log"))
            .unwrap_or_else(|_| "(the machine's pcscd: see journalctl -u pcscd)".into())
    }
}

impl Drop for Pcscd {
    fn drop(&mut self) {
        let Some(child) = self.child.as_mut() else {
            return;
        };
        // SIGTERM: pcscd removes its socket and pid file.
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::park_timeout(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// A free port whose successor is free too (vpcd's two readers).
fn free_port_pair() -> u16 {
    for _ in 0..50 {
        let a = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
        let port = a.local_addr().unwrap().port();
        if port < u16::MAX && std::net::TcpListener::bind(("0.0.0.0", port + 1)).is_ok() {
            return port;
        }
    }
    panic!("no free port pair");
}
