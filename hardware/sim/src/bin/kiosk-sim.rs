//! `kiosk-sim`: run a device simulator on its own, for technicians and demos.

fn main() {}
