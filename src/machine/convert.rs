//! Writing a [`Machine`] in any of the formats [`load`](super::load) reads: the inverse of
//! loading, used by `arsim convert`. A format that cannot express the machine says why.

use super::load::MachineFormat;
use super::morphett::{self, MorphettExportError};
use super::ron_format;
use super::seed::{self, SeedError};
use super::standard::{self, StandardError};
use super::yaml::{self, YamlExportError};
use super::Machine;

/// Why a machine cannot be written in a format.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// The standard text format cannot hold it.
    #[error(transparent)]
    Standard(#[from] StandardError),
    /// Morphett's format cannot hold it.
    #[error(transparent)]
    Morphett(#[from] MorphettExportError),
    /// The seed format cannot hold it.
    #[error(transparent)]
    Seed(#[from] SeedError),
    /// turingmachine.io's format cannot hold it (an input that starts the head off its first
    /// cell).
    #[error(transparent)]
    Yaml(#[from] YamlExportError),
}

/// The machine in `format`: text ending in a newline, or the seed format's bytes.
///
/// ```
/// use arsim::machine::{convert::write_machine, load_machine, MachineFormat};
/// let bb2 = load_machine("1RB1LB_1LA1RZ").unwrap();
/// let text = write_machine(&bb2, MachineFormat::Standard).unwrap();
/// assert_eq!(text, b"1RB1LB_1LA1RZ\n");
/// ```
pub fn write_machine(m: &Machine, format: MachineFormat) -> Result<Vec<u8>, ConvertError> {
    Ok(match format {
        MachineFormat::Ron => ron_format::to_ron(&m.to_spec()).into_bytes(),
        MachineFormat::Standard => (standard::to_standard(m)? + "\n").into_bytes(),
        MachineFormat::Seed => seed::to_seed(m)?,
        MachineFormat::Morphett => morphett::to_morphett(m)?.into_bytes(),
        MachineFormat::Yaml => yaml::to_yaml(m)?.into_bytes(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::load::from_bytes;

    #[test]
    fn every_format_reads_back_bb5_as_written() {
        let bb5 = crate::machine::load_machine("1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA").unwrap();
        for format in [
            MachineFormat::Ron,
            MachineFormat::Standard,
            MachineFormat::Morphett,
            MachineFormat::Yaml,
        ] {
            let bytes = write_machine(&bb5, format).unwrap();
            let back = from_bytes(&bytes, format, "t", "t", 0).unwrap();
            assert_eq!(
                standard::to_standard(&back).unwrap(),
                "1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA",
                "{format:?}"
            );
            assert_eq!(MachineFormat::detect(&bytes), format, "{format:?}");
        }
        // The seed format writes the halt as goto n + 1, as bbchallenge's own files do.
        let seed = write_machine(&bb5, MachineFormat::Seed).unwrap();
        assert_eq!(&seed[24..27], &[1, 0, 6]);
        let back = from_bytes(&seed, MachineFormat::Seed, "t", "t", 0).unwrap();
        assert_eq!(
            standard::to_standard(&back).unwrap(),
            "1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA"
        );
        // A stay that goes on is no rule the seed format has; one that writes 1 and halts is
        // bbchallenge's `---`, Σ counted as bbchallenge counts it.
        let stay = crate::machine::load_machine("1RB1LC_1RC1RB_1RD0LE_1LA1LD_1SA0LA").unwrap();
        assert!(matches!(
            write_machine(&stay, MachineFormat::Seed),
            Err(ConvertError::Seed(SeedError::Inexpressible(_)))
        ));
        let halt = crate::machine::load_machine("1RB1LC_1RC1RB_1RD0LE_1LA1LD_1SZ0LA").unwrap();
        assert_eq!(
            standard::to_standard(&halt).unwrap(),
            "1RB1LC_1RC1RB_1RD0LE_1LA1LD_---0LA"
        );
    }
}
