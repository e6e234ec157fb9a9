//! E-voucher codes: a scanned line through the token rule (itself
//! configured from the input) and the scanner; accepted tokens have the
//! shape the rule promises and never show in Debug output.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kiosk_drivers::fuzzing::evoucher(data));
