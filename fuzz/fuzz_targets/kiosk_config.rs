//! kiosk.toml: the configuration text through `Config::parse`, the
//! production checks and the parsers of single settings. A parsed
//! configuration written out again parses to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kiosk::fuzzing::config(data));
