//! Printer status (DLE EOT 1..4): reply bytes through PrinterStatus::decode
//! (round trip through encode), then the link's status read and a whole
//! job over a printer answering with the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kiosk_drivers::fuzzing::printer_status(data));
