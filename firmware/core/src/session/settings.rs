//! The settings staff change remotely (issue 18, KS33), as the session
//! applies them without a restart: the idle timeout, maintenance mode
//! (终端维护中: the session ends, credentials and taps are ignored until it
//! is lifted), the journeys switched off on this kiosk (their entry taps
//! explain and go nowhere), and the hall's notice on the home screen.
//! The kiosk validates them first (firmware/kiosk/src/remoteconfig.rs).

use std::time::Duration;

use super::journey::Journey;
use super::{Action, Command, Event, Prompt, Screen, Session};
use crate::tr;

/// What the session is told to apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// A session with no touch for this long ends (`None`: the file's).
    pub idle_after: Option<Duration>,
    /// Maintenance mode.
    pub maintenance: bool,
    /// Journeys switched off.
    pub disabled: Vec<Journey>,
    /// The hall's notice on the home screen (empty: none).
    pub notice: String,
    /// Every citizen starts in elderly mode (presentation: the kiosk's
    /// controller applies it when a session ends).
    pub elderly_default: bool,
    /// Voice prompt volume, percent of the recording (`None`: as recorded;
    /// the kiosk's controller applies it).
    pub voice_volume: Option<u8>,
}

impl Session {
    /// Applies `settings` (from [`Event::Settings`]).
    pub(super) fn apply_settings(&mut self, settings: Settings) -> Vec<Command> {
        let idle = settings.idle_after.unwrap_or(self.file_idle_after);
        self.config.idle_after = idle;
        self.config.countdown = self.file_countdown.min(idle);
        let entering = settings.maintenance && !self.settings.maintenance;
        self.settings = settings;
        if entering && self.screen != Screen::Home {
            // Whoever was here is done: the card reminder is not shown,
            // the screen says why.
            self.go_home();
        }
        Vec::new()
    }

    /// The timings in effect.
    pub fn config(&self) -> super::SessionConfig {
        self.config
    }

    /// Whether maintenance mode is on.
    pub fn maintenance(&self) -> bool {
        self.settings.maintenance
    }

    /// The hall's notice for the home screen.
    pub fn hall_notice(&self) -> &str {
        &self.settings.notice
    }

    /// Whether `journey` is switched off on this kiosk.
    pub fn journey_disabled(&self, journey: Journey) -> bool {
        self.settings.disabled.contains(&journey)
    }

    /// An event maintenance mode ignores: a credential, or a tap (devices
    /// idle, nothing can be started).
    pub(super) fn ignored_in_maintenance(&self, event: &Event) -> bool {
        self.settings.maintenance
            && matches!(
                event,
                Event::CredentialPresented(_) | Event::Action(_) | Event::Touched
            )
    }

    /// The entry tap of a switched-off journey: explained, goes nowhere.
    pub(super) fn refuse_disabled(&mut self, action: &Action) -> Option<Vec<Command>> {
        let journey = Journey::entered_by(action)?;
        if !self.journey_disabled(journey) {
            return None;
        }
        self.note = tr!("本机暂不提供此项服务，请到人工窗口办理。").into();
        Some(vec![Command::Say(Prompt::Refused)])
    }
}
