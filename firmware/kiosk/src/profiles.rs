//! Region profiles pushed by the centre (issue 5): the `region_profiles`
//! reference dataset holds, per region id, `{"version": n, "text": "<TOML>"}`.
//! At start the kiosk uses the pushed profile of its region instead of its
//! own (built-in or `region_file`) when it parses and its `version` is
//! higher; a broken one is ignored with a warning and the kiosk's own
//! profile stays. A profile pulled while running is used from the next
//! start: the screens and rules never change under a citizen.

use serde_json::Value;

use kiosk_core::region::RegionProfile;
use kiosk_sync::Store;
use kiosk_sync::store::{Dataset, ReferenceItem};

/// What became of the pushed profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// None pushed for this region.
    None,
    /// Used: its version.
    Used(u32),
    /// Not newer than the kiosk's own: its version.
    NotNewer(u32),
    /// Broken: why (file name, line, field; no personal data in a profile).
    Broken(String),
}

/// Picks the profile to run with from the kiosk's own `current` and the
/// pushed item for its region, if any.
pub fn choose(current: RegionProfile, pushed: Option<&ReferenceItem>) -> (RegionProfile, Pushed) {
    let Some(item) = pushed else {
        return (current, Pushed::None);
    };
    let name = format!("region_profiles/{}", item.key);
    let text = serde_json::from_str::<Value>(&item.payload)
        .ok()
        .and_then(|v| v.get("text").and_then(Value::as_str).map(str::to_string));
    let Some(text) = text else {
        return (
            current,
            Pushed::Broken(format!("{name}: no \"text\" in the pushed item")),
        );
    };
    match RegionProfile::parse(&name, &text) {
        Err(e) => (current, Pushed::Broken(e.to_string())),
        Ok(profile) if profile.id() != current.id() => (
            current,
            Pushed::Broken(format!(
                "{name}: the profile is for region {:?}",
                profile.id()
            )),
        ),
        Ok(profile) if profile.supersedes(&current) => {
            let version = profile.version();
            (profile, Pushed::Used(version))
        }
        Ok(profile) => (current, Pushed::NotNewer(profile.version())),
    }
}

/// The profile to run with: `current`, or the newer one the centre pushed
/// for its region (logged either way; a store failure keeps `current`).
pub fn with_pushed(store: &Store, current: RegionProfile) -> (RegionProfile, Pushed) {
    let items = match store.reference_items(Dataset::RegionProfiles, None) {
        Ok(items) => items,
        Err(e) => {
            tracing::warn!("pushed region profiles cannot be read: {e}");
            return (current, Pushed::None);
        }
    };
    let own = current.version();
    let item = items.iter().find(|i| i.key == current.id());
    let (profile, outcome) = choose(current, item);
    match &outcome {
        Pushed::None => {}
        Pushed::Used(v) => tracing::info!(
            region = profile.id(),
            version = v,
            replaces = own,
            "using the region profile pushed by the centre"
        ),
        Pushed::NotNewer(v) => tracing::info!(
            region = profile.id(),
            version = v,
            own,
            "pushed region profile is not newer; keeping the kiosk's own"
        ),
        Pushed::Broken(reason) => tracing::warn!(
            region = profile.id(),
            "pushed region profile ignored, keeping version {own}: {reason}"
        ),
    }
    (profile, outcome)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const JILIN: &str = include_str!("../../../data/regions/jilin.toml");

    fn with_version(text: &str, version: u32) -> String {
        text.replacen("\nversion = 1\n", &format!("\nversion = {version}\n"), 1)
    }

    fn item(text: &str) -> ReferenceItem {
        ReferenceItem {
            key: "jilin".into(),
            area: String::new(),
            payload: serde_json::json!({ "version": 2, "text": text }).to_string(),
        }
    }

    fn builtin() -> RegionProfile {
        RegionProfile::parse("jilin.toml", JILIN).unwrap()
    }

    #[test]
    fn a_newer_pushed_profile_is_used() {
        assert_eq!(builtin().version(), 1);
        let pushed = item(&with_version(JILIN, 2));
        let (profile, outcome) = choose(builtin(), Some(&pushed));
        assert_eq!(outcome, Pushed::Used(2));
        assert_eq!(profile.version(), 2);
    }

    #[test]
    fn an_older_or_equal_pushed_profile_is_not_used() {
        let pushed = item(JILIN);
        let (profile, outcome) = choose(builtin(), Some(&pushed));
        assert_eq!(outcome, Pushed::NotNewer(1));
        assert_eq!(profile.version(), 1);
    }

    #[test]
    fn a_broken_pushed_profile_is_ignored() {
        let broken = with_version(JILIN, 3).replacen("[region]", "[regio]", 1);
        let (profile, outcome) = choose(builtin(), Some(&item(&broken)));
        assert!(matches!(outcome, Pushed::Broken(_)), "{outcome:?}");
        assert_eq!(profile.version(), 1);
        let not_json = ReferenceItem {
            payload: "{}".into(),
            ..item("")
        };
        assert!(matches!(
            choose(builtin(), Some(&not_json)).1,
            Pushed::Broken(_)
        ));
    }

    #[test]
    fn a_profile_of_another_region_is_ignored() {
        let yunnan = include_str!("../../../data/regions/yunnan.toml");
        let (profile, outcome) = choose(builtin(), Some(&item(&with_version(yunnan, 9))));
        assert!(matches!(outcome, Pushed::Broken(_)), "{outcome:?}");
        assert_eq!(profile.id(), "jilin");
    }
}
