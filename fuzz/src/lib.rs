//! What every fuzz target does with its input: load it as a machine in one format (parse and
//! validate, as `arsim` does with a MACHINE argument), and, when it loads, run it a little,
//! write it in every format, and draw its state graph. Any panic is a bug.

use arsim::machine::convert::write_machine;
use arsim::machine::load::from_bytes;
use arsim::machine::MachineFormat;

/// Loads `data` as a machine in `format` and exercises whatever loads.
pub fn exercise(format: MachineFormat, data: &[u8]) {
    let _ = MachineFormat::detect(data);
    for index in [0, 1] {
        let Ok(m) = from_bytes(data, format, "fuzz", "fuzz", index) else {
            continue;
        };
        let _ = arsim::interpreter::run(&m, &[], 1_000);
        for to in [
            MachineFormat::Ron,
            MachineFormat::Standard,
            MachineFormat::Seed,
            MachineFormat::Morphett,
            MachineFormat::Yaml,
        ] {
            if let Ok(bytes) = write_machine(&m, to) {
                // What arsim writes it must read back.
                if let Err(e) = from_bytes(&bytes, to, "back", "back", 0) {
                    panic!("{to:?} output does not load back: {e}");
                }
            }
        }
        let _ = arsim::graph::to_dot(&m);
    }
    if format == MachineFormat::Standard {
        if let Ok(text) = std::str::from_utf8(data) {
            let _ = arsim::machine::load_machine_as(text, Some(MachineFormat::Standard));
        }
    }
}
