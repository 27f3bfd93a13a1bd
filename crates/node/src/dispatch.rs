//! Run-time dispatch to a CPU-specific build, as glibc-hwcaps does for libraries: the
//! portable `slotforge` re-executes `x86-64-v4/slotforge` installed beside it when the CPU has
//! the x86-64-v4 feature level (AVX-512). The v4 build is the same program compiled for that
//! level; curve25519-dalek still picks its IFMA or AVX2 backend at run time inside it.
//! `scripts/build-release.sh` builds both. Without the sibling, or with
//! `SLOTFORGE_NO_DISPATCH` set, the portable build runs everything itself.

use std::path::{Path, PathBuf};

/// The directory beside the executable that holds the x86-64-v4 build.
pub const LEVEL_DIR: &str = "x86-64-v4";
/// Set to disable the hand-over.
const ENV_DISABLE: &str = "SLOTFORGE_NO_DISPATCH";
/// Set on the re-executed process, so it never hands over again.
const ENV_DISPATCHED: &str = "SLOTFORGE_DISPATCHED";

/// Whether this binary was itself compiled for x86-64-v4.
pub fn is_level_build() -> bool {
    cfg!(target_feature = "avx512f")
}

/// Whether the CPU (and OS) support the x86-64-v4 feature level.
pub fn cpu_supports_level() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        has!("avx512f")
            && has!("avx512bw")
            && has!("avx512cd")
            && has!("avx512dq")
            && has!("avx512vl")
            && has!("avx2")
            && has!("bmi1")
            && has!("bmi2")
            && has!("fma")
            && has!("lzcnt")
            && has!("movbe")
            && has!("f16c")
            && has!("popcnt")
            && has!("sse4.2")
            && has!("cmpxchg16b")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// The build to hand over to, if one applies.
pub fn sibling_build(exe: &Path, cpu_ok: bool, disabled: bool) -> Option<PathBuf> {
    if disabled || !cpu_ok || is_level_build() {
        return None;
    }
    let candidate = exe.parent()?.join(LEVEL_DIR).join(exe.file_name()?);
    candidate.is_file().then_some(candidate)
}

/// Replaces this process with the x86-64-v4 build when it applies; returns if it does not
/// (or if the hand-over fails, in which case the portable build carries on).
pub fn maybe_reexec() {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let disabled = std::env::var_os(ENV_DISABLE).is_some() || std::env::var_os(ENV_DISPATCHED).is_some();
        let Ok(exe) = std::env::current_exe() else { return };
        if let Some(target) = sibling_build(&exe, cpu_supports_level(), disabled) {
            let err = std::process::Command::new(&target)
                .args(std::env::args_os().skip(1))
                .env(ENV_DISPATCHED, "1")
                .exec();
            tracing::debug!(
                "could not hand over to {}: {err}; running the portable build",
                target.display()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_over_only_when_everything_applies() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("slotforge");
        std::fs::write(&exe, b"").unwrap();
        assert_eq!(sibling_build(&exe, true, false), None, "no sibling build installed");
        std::fs::create_dir(dir.path().join(LEVEL_DIR)).unwrap();
        let sibling = dir.path().join(LEVEL_DIR).join("slotforge");
        std::fs::write(&sibling, b"").unwrap();
        if is_level_build() {
            assert_eq!(sibling_build(&exe, true, false), None, "a v4 build never hands over");
            return;
        }
        assert_eq!(sibling_build(&exe, true, false), Some(sibling));
        assert_eq!(sibling_build(&exe, false, false), None, "CPU without AVX-512");
        assert_eq!(sibling_build(&exe, true, true), None, "disabled");
    }
}
