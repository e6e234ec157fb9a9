//! Loads the region profiles under `data/regions/`.

use std::path::PathBuf;

use kiosk_core::region::RegionProfile;

fn regions_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/regions")
}

fn load(name: &str) -> RegionProfile {
    let path = regions_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match RegionProfile::parse(name, &text) {
        Ok(profile) => profile,
        Err(err) => panic!("{err}"),
    }
}

#[test]
fn jilin_loads() {
    let p = load("jilin.toml");
    assert_eq!(p.id(), "jilin");
}

#[test]
fn linkou_loads() {
    let p = load("linkou.toml");
    assert_eq!(p.id(), "linkou");
}

#[test]
fn yunnan_loads() {
    let p = load("yunnan.toml");
    assert_eq!(p.id(), "yunnan");
}
