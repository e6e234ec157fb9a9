//! CCID replies: the message parser, the slot-change parser, and the whole
//! reader (power on, XfrBlock, slot status) over a pipe that answers with
//! fuzzer-chosen transfers: typed errors only, and every command ends.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kiosk_drivers::fuzzing::ccid(data));
