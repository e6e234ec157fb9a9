//! The 256-byte ID card text block (all three card kinds) and the photo:
//! arbitrary bytes decode or fail with a typed error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kiosk_drivers::fuzzing::idcard_text(data));
