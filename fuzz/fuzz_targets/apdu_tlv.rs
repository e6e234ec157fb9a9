//! APDU responses and SSSE records: the response splitter, the TLV parser,
//! the field decoders, and a whole card read over a channel whose answers
//! are fuzzer-chosen (61xx / 6Cxx chains included): typed errors only.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kiosk_drivers::fuzzing::apdu_tlv(data));
