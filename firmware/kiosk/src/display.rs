//! Which display the kiosk draws on: `[ui] backend` (or `SLINT_BACKEND`,
//! which wins):
//!
//! - `auto` (default): a window (winit, X11 or Wayland) when `DISPLAY` or
//!   `WAYLAND_DISPLAY` is set, else headless (screens reachable through the
//!   automation API);
//! - `linuxkms`: the panel itself, no compositor: DRM/KMS on
//!   `/dev/dri/card*` with the software renderer, touch and keys from
//!   libinput (Slint's `backend-linuxkms-noseat`, cargo feature
//!   `linuxkms`). `[ui] rotation` (0, 90, 180, 270) turns the picture for a
//!   panel mounted sideways (Slint reads `SLINT_KMS_ROTATION`; the kiosk
//!   re-executes itself once with it set, see [`rotation_exec`]);
//! - `winit`: a window, and an error without a display server;
//! - `headless`: never a display (also `--headless`).
//!
//! A kiosk without `/dev/dri` asked for linuxkms stops at start with a
//! message saying what to do, rather than showing nothing.

use std::path::Path;

use crate::config::Config;
use crate::error::Error;

/// The display backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Window if a display server is there, else headless.
    Auto,
    /// A window on X11 / Wayland.
    Winit,
    /// The panel through DRM/KMS and libinput.
    LinuxKms,
    /// No display.
    Headless,
}

impl Backend {
    /// Parses a `[ui] backend` or `SLINT_BACKEND` value (`linuxkms-software`
    /// and the like name a renderer too: the software renderer is used
    /// anyway).
    pub fn parse(text: &str) -> Option<Backend> {
        let name = text.trim().split('-').next().unwrap_or_default();
        match name {
            "auto" | "" => Some(Backend::Auto),
            "winit" => Some(Backend::Winit),
            "linuxkms" => Some(Backend::LinuxKms),
            "headless" => Some(Backend::Headless),
            _ => None,
        }
    }

    /// The backend asked for: `SLINT_BACKEND`, else the configuration.
    pub fn chosen(config: &Config) -> Result<Backend, Error> {
        let (text, from) = match std::env::var("SLINT_BACKEND") {
            Ok(v) if !v.trim().is_empty() => (v, "SLINT_BACKEND"),
            _ => (config.ui.backend.clone(), "[ui] backend"),
        };
        Backend::parse(&text).ok_or_else(|| Error::Config {
            file: from.into(),
            reason: format!("display backend {text:?}: use auto, winit, linuxkms or headless"),
        })
    }
}

/// What the display check found.
#[derive(Debug, PartialEq, Eq)]
pub enum Selected {
    /// Install the headless platform.
    Headless,
    /// Select Slint's backend of this name with the software renderer.
    Slint(&'static str),
}

/// Decides the display from the backend, `--headless`, whether a display
/// server is there and the DRM directory (`/dev/dri` on a kiosk).
pub fn decide(
    backend: Backend,
    headless_flag: bool,
    has_display_server: bool,
    dri: &Path,
) -> Result<Selected, Error> {
    if headless_flag {
        return Ok(Selected::Headless);
    }
    match backend {
        Backend::Headless => Ok(Selected::Headless),
        Backend::Auto if has_display_server => Ok(Selected::Slint("winit")),
        Backend::Auto => Ok(Selected::Headless),
        Backend::Winit if has_display_server => Ok(Selected::Slint("winit")),
        Backend::Winit => Err(Error::Display(
            "winit needs a display server (DISPLAY or WAYLAND_DISPLAY is not set): \
             start X11/Wayland (e.g. the cage kiosk compositor), or set [ui] backend = \"linuxkms\""
                .into(),
        )),
        Backend::LinuxKms => {
            if !cfg!(feature = "linuxkms") {
                return Err(Error::Display(
                    "this build has no linuxkms backend (cargo feature `linuxkms`)".into(),
                ));
            }
            let has_card = std::fs::read_dir(dri).is_ok_and(|entries| {
                entries
                    .flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with("card"))
            });
            if has_card {
                Ok(Selected::Slint("linuxkms"))
            } else {
                Err(Error::Display(format!(
                    "linuxkms: no DRM/KMS device in {} (no GPU driver loaded, or the device is not \
                     passed in): check `ls -l /dev/dri` and the kernel's DRM driver (modprobe), that \
                     the service may use it (group video, DeviceAllow=char-drm), or set [ui] backend \
                     = \"winit\" under a compositor such as cage",
                    dri.display()
                )))
            }
        }
    }
}

/// Installs the chosen display platform; returns what it printed.
pub fn install(
    config: &Config,
    headless_flag: bool,
    size: slint::PhysicalSize,
) -> Result<String, Error> {
    let has_display_server =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let selected = decide(
        Backend::chosen(config)?,
        headless_flag,
        has_display_server,
        Path::new("/dev/dri"),
    )?;
    match selected {
        Selected::Headless => {
            kiosk_ui::headless::install(size).map_err(kiosk_ui::Error::from)?;
            Ok("headless (software renderer, screenshots via the automation API)".into())
        }
        Selected::Slint(name) => {
            slint::BackendSelector::new()
                .backend_name(name.into())
                .renderer_name("software".into())
                .select()
                .map_err(|e| Error::Display(format!("{name}: {e}")))?;
            Ok(match name {
                "linuxkms" => format!(
                    "panel (linuxkms, DRM/KMS + libinput, software renderer, rotation {}°)",
                    config.ui.rotation
                ),
                _ => "window (winit, software renderer)".into(),
            })
        }
    }
}

/// The environment variable Slint's linuxkms backend reads for rotation.
pub const ROTATION_ENV: &str = "SLINT_KMS_ROTATION";

/// When linuxkms is chosen with a rotation that `SLINT_KMS_ROTATION` does
/// not already carry, the command to re-execute the kiosk with it set
/// (the environment is only set for a new program: changing this
/// process's own is unsafe once threads may run). `None`: nothing to do.
pub fn rotation_exec(config: &Config) -> Option<std::process::Command> {
    let backend = Backend::chosen(config).ok()?;
    let rotation = config.ui.rotation;
    if backend != Backend::LinuxKms || rotation == 0 {
        return None;
    }
    let wanted = rotation.to_string();
    if std::env::var(ROTATION_ENV).ok().as_deref() == Some(wanted.as_str()) {
        return None;
    }
    let exe = std::env::current_exe().ok()?;
    let mut command = std::process::Command::new(exe);
    command
        .args(std::env::args_os().skip(1))
        .env(ROTATION_ENV, wanted);
    Some(command)
}

/// Checks `[ui] rotation`.
pub fn check_rotation(config: &Config) -> Result<(), Error> {
    match config.ui.rotation {
        0 | 90 | 180 | 270 => Ok(()),
        other => Err(Error::Config {
            file: "[ui] rotation".into(),
            reason: format!("{other}: use 0, 90, 180 or 270"),
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn backend_names_parse_with_or_without_a_renderer() {
        assert_eq!(Backend::parse("linuxkms"), Some(Backend::LinuxKms));
        assert_eq!(Backend::parse("linuxkms-software"), Some(Backend::LinuxKms));
        assert_eq!(Backend::parse("winit"), Some(Backend::Winit));
        assert_eq!(Backend::parse("auto"), Some(Backend::Auto));
        assert_eq!(Backend::parse("qt"), None);
    }

    #[test]
    fn auto_is_a_window_with_a_display_server_else_headless() {
        let dri = Path::new("/nonexistent");
        assert_eq!(
            decide(Backend::Auto, false, true, dri).unwrap(),
            Selected::Slint("winit")
        );
        assert_eq!(
            decide(Backend::Auto, false, false, dri).unwrap(),
            Selected::Headless
        );
        assert_eq!(
            decide(Backend::LinuxKms, true, false, dri).unwrap(),
            Selected::Headless
        );
        assert!(decide(Backend::Winit, false, false, dri).is_err());
    }

    #[test]
    fn linuxkms_needs_a_drm_card_and_says_what_to_do_without_one() {
        let dir = tempfile::tempdir().unwrap();
        let err = decide(Backend::LinuxKms, false, false, dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("no DRM/KMS device"), "{text}");
        assert!(text.contains("ls -l /dev/dri"), "{text}");
        std::fs::write(dir.path().join("card0"), b"").unwrap();
        let selected = decide(Backend::LinuxKms, false, false, dir.path());
        if cfg!(feature = "linuxkms") {
            assert_eq!(selected.unwrap(), Selected::Slint("linuxkms"));
        } else {
            assert!(selected.is_err());
        }
    }

    #[test]
    fn rotation_is_one_of_four_and_re_executes_only_for_linuxkms() {
        let mut config = Config::default();
        config.ui.rotation = 45;
        assert!(check_rotation(&config).is_err());
        config.ui.rotation = 90;
        assert!(check_rotation(&config).is_ok());
        // winit ignores it: no re-exec.
        config.ui.backend = "winit".into();
        if std::env::var_os("SLINT_BACKEND").is_none() {
            assert!(rotation_exec(&config).is_none());
            config.ui.backend = "linuxkms".into();
            let command = rotation_exec(&config).unwrap();
            let env: Vec<_> = command.get_envs().collect();
            assert!(
                env.iter()
                    .any(|(k, v)| *k == ROTATION_ENV && v.is_some_and(|v| v == "90"))
            );
        }
    }
}
