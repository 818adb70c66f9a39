//! Fuzz target: arbitrary bytes through the standard loader (parse, validate), then a short run,
//! conversions and the state graph of whatever loads. Nothing may panic.
#![no_main]

use arsim::machine::MachineFormat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    arsim_fuzz::exercise(MachineFormat::Standard, data);
});
