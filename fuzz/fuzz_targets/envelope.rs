//! The central service's answers: an answer body through the size limit,
//! the JSON envelope, the reference check, the infcode rules and the typed
//! outputs of every transaction with their mapping to the domain.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kiosk_sync::fuzzing::envelope(data));
