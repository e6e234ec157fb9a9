//! What the screen says about the kiosk itself (ui/screens/status.slint):
//! the demo badge in simulation mode and the parts out of service on the
//! home screen. Set once at start, on the UI thread.

use slint::{ModelRc, SharedString, VecModel};

use kiosk_ui::KioskWindow;

/// Shows the demo badge when `demo`, and `notices` on the home screen.
pub fn apply(window: &KioskWindow, demo: bool, notices: &[String]) {
    window.set_demo(demo);
    let notices: Vec<SharedString> = notices.iter().map(SharedString::from).collect();
    window.set_service_notices(ModelRc::new(VecModel::from(notices)));
}
