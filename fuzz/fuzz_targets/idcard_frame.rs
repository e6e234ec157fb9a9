//! GA 467 response frames: the streaming decoder fed arbitrary bytes in
//! arbitrary chunks never panics, never loops, and every frame it yields
//! re-encodes to bytes it was given.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kiosk_drivers::fuzzing::idcard_frame(data));
