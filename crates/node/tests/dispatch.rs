//! The hand-over to the x86-64-v4 build, with real processes: a copy of the real binary and
//! a stand-in v4 build beside it that reports how it was called.

#![cfg(all(unix, target_arch = "x86_64"))]

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("slotforge");
    std::fs::copy(env!("CARGO_BIN_EXE_slotforge"), &exe).unwrap();
    std::fs::create_dir(dir.path().join("x86-64-v4")).unwrap();
    let stand_in = dir.path().join("x86-64-v4/slotforge");
    std::fs::write(
        &stand_in,
        "#!/bin/sh\necho \"v4 build: $*\"\necho \"dispatched=$SLOTFORGE_DISPATCHED\"\nexit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&stand_in, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, exe)
}

/// Held for the whole of each test. Tests run on parallel threads of one process: if one
/// forks while another still has a handle open on the file it is writing, the child holds that
/// handle until its exec and executing the file fails with ETXTBSY ("Text file busy").
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A CPU with these is an x86-64-v4 CPU in practice (the binary checks the full list).
fn avx512_cpu() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("bmi2")
}

#[test]
fn hands_over_on_avx512_cpus_with_arguments_and_exit_code() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (_dir, exe) = setup();
    let out = Command::new(&exe)
        .args(["header", "inspect", "some file"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if avx512_cpu() {
        assert_eq!(stdout, "v4 build: header inspect some file\ndispatched=1\n");
        assert_eq!(out.status.code(), Some(3), "the v4 build's exit code is the process's");
    } else {
        assert!(!stdout.contains("v4 build"), "{stdout}");
    }
}

#[test]
fn runs_itself_when_disabled_or_without_a_sibling() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (dir, exe) = setup();
    let out = Command::new(&exe)
        .env("SLOTFORGE_NO_DISPATCH", "1")
        .args(["header", "inspect", "/nonexistent"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("v4 build"));
    assert_eq!(out.status.code(), Some(2), "the portable build's own answer");
    std::fs::remove_file(dir.path().join("x86-64-v4/slotforge")).unwrap();
    let out = Command::new(&exe)
        .args(["header", "inspect", "/nonexistent"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
