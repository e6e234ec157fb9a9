//! Simulated ID card reader (GA 467 SAM) on a pseudo-terminal.
//!
//! [`IdReaderSim::spawn`] opens a pty, sets it raw and answers the reader
//! protocol in a background thread with whatever card is in the shared
//! [`CardSlot`]. A driver opens [`IdReaderSimHandle::path`] (or the symlink)
//! as if it were the reader's serial port. [`SimFaults`] injects line noise,
//! fragmented or corrupted replies and silence.
//!
//! The framing here is written from the protocol notes, not borrowed from
//! `kiosk-drivers`, so a test that runs the driver against this simulator
//! checks both against the protocol.
//!
//! Photos are never real: cards built without one carry
//! [`placeholder_photo`], which is deliberately not a WLT image.

mod card;
pub mod protocol;
mod server;

use std::io::BufRead;
use std::path::PathBuf;

pub use card::{
    APPENDED_ADDRESS_MAX, CardExtras, CardFields, CardFile, Foreigner2023Fields, ForeignerFields,
    PHOTO_LEN, PermitFields, ResidentFields, SimCard, TEXT_LEN, placeholder_photo,
};
pub use server::{CardSlot, IdReaderSim, IdReaderSimHandle, SimFaults};

use crate::Error;

/// Run the simulated ID card reader on a pseudo-terminal (arguments of
/// `kiosk-sim idcard`).
#[derive(Debug, Clone, clap::Args)]
pub struct IdcardArgs {
    /// Card file (JSON: fields with "kind": resident | permit | foreigner, or
    /// "text_hex" [+ "photo_hex"]). Without it a fictional demo card is used.
    #[arg(long, value_name = "FILE")]
    pub card: Option<PathBuf>,

    /// Create a symlink here pointing at the pty (e.g. /tmp/idcard-reader).
    #[arg(long, value_name = "PATH")]
    pub link: Option<PathBuf>,
}

/// Runs the simulator until killed (Ctrl-C / SIGTERM) or until `quit` is
/// typed. Commands on standard input: `remove` takes the card away, `place`
/// puts it back, `unplug` pulls the reader's cable (the port disappears),
/// `replug` plugs it back in (a new pty behind the same `--link`), `quit`
/// stops. When standard input is closed the simulator keeps serving.
pub fn cli(args: IdcardArgs) -> Result<(), Error> {
    let card = match &args.card {
        Some(path) => SimCard::load(path)?,
        None => SimCard::demo(),
    };
    let slot = CardSlot::with_card(card.clone());
    let mut sim = IdReaderSim::spawn(slot.clone(), args.link.as_deref())?;
    let commands = "`remove`, `place`, `unplug`, `replug` or `quit`";
    println!("ID card reader simulator on {}", sim.path().display());
    if let Some(link) = sim.link() {
        println!("symlink {} -> {}", link.display(), sim.path().display());
    }
    println!("card placed; type {commands}");

    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        match line?.trim() {
            "remove" => {
                slot.remove();
                println!("card removed");
            }
            "place" => {
                slot.place(card.clone());
                println!("card placed");
            }
            "unplug" => {
                sim.unplug();
                println!("reader unplugged");
            }
            "replug" => {
                sim.replug()?;
                println!("reader plugged in on {}", sim.path().display());
            }
            "quit" => {
                sim.stop();
                return Ok(());
            }
            "" => {}
            other => println!("unknown command {other:?}; use {commands}"),
        }
    }
    // Standard input closed (e.g. started in the background): serve until
    // the process is killed. The symlink of a killed process stays behind
    // and is replaced at the next start.
    loop {
        std::thread::park();
    }
}
