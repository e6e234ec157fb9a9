//! Voice prompts: one recording per [`Prompt`], `<dir>/<prompt id>.wav`,
//! played through the system's audio with `aplay` (ALSA). A prompt whose
//! file is missing is skipped (and said once in the log); a new prompt
//! stops the one still playing, so prompts never pile up.
//! `kiosk voice-pack --out DIR` synthesizes a set with espeak-ng.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use kiosk_core::session::Prompt;

/// The voice.
#[derive(Clone)]
pub struct Voice {
    dir: Option<PathBuf>,
    player: String,
    playing: Arc<Mutex<Option<Child>>>,
    missing_said: Arc<Mutex<bool>>,
    volume: Arc<AtomicU8>,
}

impl Voice {
    /// Prompts from `dir` played with `player`; `None` is silent.
    pub fn new(dir: Option<PathBuf>, player: &str) -> Voice {
        Voice {
            dir,
            player: player.to_string(),
            playing: Arc::new(Mutex::new(None)),
            missing_said: Arc::new(Mutex::new(false)),
            volume: Arc::new(AtomicU8::new(100)),
        }
    }

    /// Sets the volume, percent of the recording (remote settings; more
    /// than 100 is taken as 100).
    pub fn set_volume(&self, percent: u8) {
        self.volume.store(percent.min(100), Ordering::Relaxed);
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
        let volume = self.volume.load(Ordering::Relaxed);
        if volume == 0 {
            return;
        }
        // At full volume the file as it is; else scaled, through stdin.
        let scaled = if volume < 100 {
            match scaled_wav(&file, volume) {
                Ok(bytes) => Some(bytes),
                Err(e) => {
                    tracing::warn!(prompt = prompt.id(), "voice prompt not scaled: {e}");
                    None
                }
            }
        } else {
            None
        };
        let mut command = Command::new(&self.player);
        command.arg("-q");
        match &scaled {
            Some(_) => command.arg("-").stdin(Stdio::piped()),
            None => command.arg(&file).stdin(Stdio::null()),
        };
        match command.stdout(Stdio::null()).stderr(Stdio::null()).spawn() {
            Ok(mut child) => {
                tracing::debug!(prompt = prompt.id(), volume, "voice prompt");
                if let (Some(bytes), Some(mut stdin)) = (scaled, child.stdin.take()) {
                    // The player reads as it plays: write from a thread of
                    // its own (a stopped player ends it with a broken pipe).
                    let _ =
                        std::thread::Builder::new()
                            .name("voice-feed".into())
                            .spawn(move || {
                                let _ = stdin.write_all(&bytes);
                            });
                }
                *playing = Some(child);
            }
            Err(e) => {
                // Said once: a kiosk without the player stays quiet.
                if let Ok(mut said) = self.missing_said.lock()
                    && !*said
                {
                    *said = true;
                    tracing::warn!(
                        "cannot play voice prompts with {} ({e}); install alsa-utils or set [ui] voice_player",
                        self.player
                    );
                }
            }
        }
    }
}

/// The WAV `file` with every sample scaled to `percent` of itself (8-bit
/// unsigned around 128, or signed integer samples), as WAV bytes.
pub fn scaled_wav(file: &Path, percent: u8) -> Result<Vec<u8>, hound::Error> {
    let mut reader = hound::WavReader::open(file)?;
    let spec = reader.spec();
    let factor = f64::from(percent.min(100)) / 100.0;
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut writer = hound::WavWriter::new(&mut out, spec)?;
        if spec.sample_format == hound::SampleFormat::Float {
            for s in reader.samples::<f32>() {
                writer.write_sample((f64::from(s?) * factor) as f32)?;
            }
        } else {
            // hound gives 8-bit samples as signed (-128..127) already.
            for s in reader.samples::<i32>() {
                writer.write_sample((f64::from(s?) * factor).round() as i32)?;
            }
        }
        writer.finalize()?;
    }
    Ok(out.into_inner())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn voice_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/voice")
    }

    #[test]
    fn every_prompt_has_a_recording() {
        for prompt in Prompt::ALL {
            let file = voice_dir().join(format!("{}.wav", prompt.id()));
            let bytes = std::fs::read(&file)
                .unwrap_or_else(|e| panic!("{}: {e} (run kiosk voice-pack)", file.display()));
            assert_eq!(&bytes[..4], b"RIFF", "{}", file.display());
            assert_eq!(&bytes[8..12], b"WAVE", "{}", file.display());
            assert!(bytes.len() > 4096, "{} is too short", file.display());
        }
    }

    #[test]
    fn the_volume_scales_every_sample() {
        let file = voice_dir().join(format!("{}.wav", Prompt::Rate.id()));
        let full: Vec<i32> = hound::WavReader::open(&file)
            .unwrap()
            .samples::<i32>()
            .map(|s| s.unwrap())
            .collect();
        let half = scaled_wav(&file, 50).unwrap();
        let half: Vec<i32> = hound::WavReader::new(std::io::Cursor::new(half))
            .unwrap()
            .samples::<i32>()
            .map(|s| s.unwrap())
            .collect();
        assert_eq!(full.len(), half.len());
        let loud = full.iter().map(|s| s.abs()).max().unwrap();
        let quiet = half.iter().map(|s| s.abs()).max().unwrap();
        assert!(loud > 10, "a recording with sound");
        assert!((quiet - loud / 2).abs() <= 1, "{loud} → {quiet}");
    }

    #[test]
    fn a_prompt_runs_the_player_and_a_new_one_replaces_it() {
        // `true` stands in for aplay: it exits at once with success.
        let voice = Voice::new(Some(voice_dir()), "true");
        voice.say(Prompt::TakeCard);
        voice.say(Prompt::PresentCredential);
        let playing = voice.playing.lock().unwrap();
        assert!(playing.is_some(), "the last prompt's player is held");
        drop(playing);
        // Off: nothing is started.
        let off = Voice::off();
        off.say(Prompt::TakeCard);
        assert!(off.playing.lock().unwrap().is_none());
        assert!(!off.enabled());
    }
}
