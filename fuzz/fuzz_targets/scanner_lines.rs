//! Scanner lines: arbitrary bytes in arbitrary chunks through the line
//! decoder, the debouncer and the e-voucher token rule. Lines stay within
//! the maximum, never contain a terminator, and accepted tokens have the
//! configured prefix.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kiosk_drivers::fuzzing::scanner_lines(data));
