//! Voice prompts: one recording per [`Prompt`], `<dir>/<prompt id>.wav`,
//! played through the system's audio with `aplay` (ALSA). A prompt whose
//! file is missing is skipped (and said once in the log); a new prompt
//! stops the one still playing, so prompts never pile up.
//! `kiosk voice-pack --out DIR` synthesizes a set with espeak-ng.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use kiosk_core::session::Prompt;

/// The voice.
#[derive(Clone)]
pub struct Voice {
    dir: Option<PathBuf>,
    player: String,
    playing: Arc<Mutex<Option<Child>>>,
    missing_said: Arc<Mutex<bool>>,
}

impl Voice {
    /// Prompts from `dir` played with `player`; `None` is silent.
    pub fn new(dir: Option<PathBuf>, player: &str) -> Voice {
        Voice {
            dir,
            player: player.to_string(),
            playing: Arc::new(Mutex::new(None)),
            missing_said: Arc::new(Mutex::new(false)),
        }
    }

    /// A silent voice (prompts switched off).
    pub fn off() -> Voice {
        Voice::new(None, "aplay")
    }

    /// Whether prompts are on.
    pub fn enabled(&self) -> bool {
        self.dir.is_some()
    }

    /// Plays `prompt` without waiting for it.
    pub fn say(&self, prompt: Prompt) {
        let Some(dir) = &self.dir else {
            return;
        };
        let file = dir.join(format!("{}.wav", prompt.id()));
        if !file.is_file() {
            if let Ok(mut said) = self.missing_said.lock()
                && !*said
            {
                *said = true;
                tracing::warn!(
                    "voice prompt {} has no recording in {} (run `kiosk voice-pack`)",
                    prompt.id(),
                    dir.display()
                );
            }
            return;
        }
        let Ok(mut playing) = self.playing.lock() else {
            return;
        };
        if let Some(mut child) = playing.take() {
            // The previous prompt is stale: stop it and reap it.
            let _ = child.kill();
            let _ = child.wait();
        }
        match Command::new(&self.player)
            .arg("-q")
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => {
                tracing::debug!(prompt = prompt.id(), "voice prompt");
                *playing = Some(child);
            }
            Err(e) => tracing::warn!("cannot play voice prompt with {}: {e}", self.player),
        }
    }
}

/// Synthesizes every prompt into `out` with espeak-ng (Mandarin voice).
pub fn synthesize(out: &std::path::Path, engine: &str) -> Result<usize, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    for prompt in Prompt::ALL {
        let file = out.join(format!("{}.wav", prompt.id()));
        let status = Command::new(engine)
            .args(["-v", "cmn", "-s", "140", "-w"])
            .arg(&file)
            .arg(prompt.text())
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("{engine}: {e} (install espeak-ng)"))?;
        if !status.success() {
            return Err(format!("{engine} failed for {}", prompt.id()));
        }
    }
    Ok(Prompt::ALL.len())
}
