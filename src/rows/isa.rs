//! Which compiled copy of the row scorer runs ([`RowIsa`], `emulate --isa`): the paths, the CPU
//! features each needs, detected at run time, and the error for a path the CPU lacks.

/// A row scorer path the running CPU lacks a feature for.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the {isa} row scorer needs the CPU feature {feature}, which this CPU lacks")]
pub struct IsaError {
    /// The path asked for ([`RowIsa::name`]).
    pub isa: &'static str,
    /// The first feature missing.
    pub feature: &'static str,
}

/// Which compiled copy of the row scorer runs: the choice of `emulate --isa`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum RowIsa {
    /// The best the CPU has: AVX-512 VBMI, else AVX2, else portable.
    #[default]
    Auto,
    /// AVX-512 F, BW and VBMI (`vpermb`, 64 positions a step).
    #[cfg_attr(feature = "clap", value(name = "avx512"))]
    #[serde(rename = "avx512")]
    Avx512Vbmi,
    /// AVX2 (`vpshufb`, 32 positions a step).
    Avx2,
    /// Plain Rust, any CPU.
    Portable,
}

impl RowIsa {
    /// Every explicit path, best first.
    pub const PATHS: [RowIsa; 3] = [RowIsa::Avx512Vbmi, RowIsa::Avx2, RowIsa::Portable];

    /// The name `--isa` gives this choice.
    pub fn name(self) -> &'static str {
        match self {
            RowIsa::Auto => "auto",
            RowIsa::Avx512Vbmi => "avx512",
            RowIsa::Avx2 => "avx2",
            RowIsa::Portable => "portable",
        }
    }

    /// The first CPU feature this path needs that the running CPU lacks, if any.
    pub fn missing_feature(self) -> Option<&'static str> {
        self.resolve_on(&cpu_has).err()
    }

    /// `Ok` when the running CPU has this path, else the typed error naming what it lacks.
    pub fn check(self) -> Result<(), IsaError> {
        self.resolve().map(|_| ())
    }

    /// The explicit paths the running CPU has, best first.
    pub fn available() -> Vec<RowIsa> {
        RowIsa::PATHS
            .into_iter()
            .filter(|i| i.missing_feature().is_none())
            .collect()
    }

    /// The compiled copy this choice runs on the running CPU, or the error naming the first
    /// feature it lacks.
    pub(super) fn resolve(self) -> Result<Isa, IsaError> {
        self.resolve_on(&cpu_has).map_err(|feature| IsaError {
            isa: self.name(),
            feature,
        })
    }

    /// The compiled copy this choice runs on a CPU with the features `has` admits (tests pass
    /// CPUs other than the running one), or the first feature it lacks.
    fn resolve_on(self, has: &dyn Fn(&str) -> bool) -> Result<Isa, &'static str> {
        let need: &[&'static str] = match self {
            RowIsa::Auto => {
                let best = [RowIsa::Avx512Vbmi, RowIsa::Avx2]
                    .into_iter()
                    .find_map(|i| i.resolve_on(has).ok());
                return Ok(best.unwrap_or(Isa::Portable));
            }
            RowIsa::Portable => return Ok(Isa::Portable),
            RowIsa::Avx512Vbmi => &["avx512f", "avx512bw", "avx512vbmi"],
            RowIsa::Avx2 => &["avx2"],
        };
        if let Some(&lacking) = need.iter().find(|f| !has(f)) {
            return Err(lacking);
        }
        #[cfg(target_arch = "x86_64")]
        return Ok(match self {
            RowIsa::Avx2 => Isa::Avx2,
            _ => Isa::Avx512Vbmi,
        });
        #[cfg(not(target_arch = "x86_64"))]
        Err(need[0])
    }
}

/// Whether the running CPU has the x86 feature `name` (never, on other architectures).
fn cpu_has(name: &str) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        match name {
            "avx512f" => is_x86_feature_detected!("avx512f"),
            "avx512bw" => is_x86_feature_detected!("avx512bw"),
            "avx512vbmi" => is_x86_feature_detected!("avx512vbmi"),
            "avx2" => is_x86_feature_detected!("avx2"),
            _ => false,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = name;
        false
    }
}

/// Which compiled copy of the packed scorer runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Isa {
    #[cfg(target_arch = "x86_64")]
    Avx512Vbmi,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    Portable,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_the_cpu_lacks_is_named_and_auto_takes_the_best_it_has() {
        let only_avx2 = |f: &str| f == "avx2";
        let bare = |_: &str| false;
        assert_eq!(
            RowIsa::Avx512Vbmi.resolve_on(&only_avx2),
            Err("avx512f"),
            "the first feature missing"
        );
        let no_vbmi = |f: &str| f != "avx512vbmi";
        assert_eq!(RowIsa::Avx512Vbmi.resolve_on(&no_vbmi), Err("avx512vbmi"));
        assert_eq!(RowIsa::Avx2.resolve_on(&bare), Err("avx2"));
        assert_eq!(RowIsa::Auto.resolve_on(&bare), Ok(Isa::Portable));
        assert_eq!(RowIsa::Portable.resolve_on(&bare), Ok(Isa::Portable));
        #[cfg(target_arch = "x86_64")]
        {
            assert_eq!(RowIsa::Auto.resolve_on(&only_avx2), Ok(Isa::Avx2));
            assert_eq!(RowIsa::Auto.resolve_on(&no_vbmi), Ok(Isa::Avx2));
            assert_eq!(RowIsa::Auto.resolve_on(&|_| true), Ok(Isa::Avx512Vbmi));
        }
        let e = IsaError {
            isa: "avx2",
            feature: "avx2",
        };
        assert_eq!(
            e.to_string(),
            "the avx2 row scorer needs the CPU feature avx2, which this CPU lacks"
        );
    }
}
