//! Remote configuration (KS33 settings, JSON) through the kiosk's
//! validation: what is accepted is in range, and its canonical form
//! validates again to the same settings and hash.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kiosk::fuzzing::remote_config(data));
