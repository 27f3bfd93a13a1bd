//! The KES key store on real files.

use slotforge_crypto::kes::KesSecretKey;
use slotforge_enclave::kes_store::{KesKeyStore, KesStoreError};

fn key() -> KesSecretKey {
    KesSecretKey::from_seed(&mut [3u8; 32])
}

#[test]
fn save_load_and_evolve() {
    let dir = tempfile::tempdir().unwrap();
    let store = KesKeyStore::open(dir.path().join("kes.key")).unwrap();
    let mut k = key();
    store.save(&k).unwrap();
    let loaded = store.load().unwrap();
    assert_eq!(loaded.period(), 0);
    assert_eq!(loaded.public_key(), k.public_key());
    k.evolve_to(7).unwrap();
    store.save(&k).unwrap();
    let loaded = store.load().unwrap();
    assert_eq!(loaded.period(), 7);
    assert_eq!(&loaded.to_bytes()[..], &k.to_bytes()[..]);
    // No temporary file is left behind, and the key file is private.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["kes.key".to_string()]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(store.path()).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

#[cfg(unix)]
#[test]
fn the_previous_key_bytes_are_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let store = KesKeyStore::open(dir.path().join("kes.key")).unwrap();
    let mut k = key();
    store.save(&k).unwrap();
    // A second name for the old file's inode shows what remains of it after the next save.
    let old = dir.path().join("old-inode");
    std::fs::hard_link(store.path(), &old).unwrap();
    k.evolve().unwrap();
    store.save(&k).unwrap();
    let remains = std::fs::read(&old).unwrap();
    assert!(
        !remains.is_empty() && remains.iter().all(|b| *b == 0),
        "old key bytes erased"
    );
    assert_eq!(store.load().unwrap().period(), 1);
}

#[test]
fn damaged_foreign_or_exposed_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = KesKeyStore::open(dir.path().join("kes.key")).unwrap();
    assert!(matches!(store.load(), Err(KesStoreError::Io { .. })));
    store.save(&key()).unwrap();
    let mut bytes = std::fs::read(store.path()).unwrap();
    let good = bytes.clone();
    bytes[100] ^= 1;
    std::fs::write(store.path(), &bytes).unwrap();
    let err = store.load().err().unwrap();
    assert!(err.to_string().contains("checksum"), "{err}");
    std::fs::write(store.path(), &good[..good.len() - 1]).unwrap();
    assert!(matches!(store.load(), Err(KesStoreError::Format { .. })));
    let mut foreign = good.clone();
    foreign[0] = b'X';
    std::fs::write(store.path(), &foreign).unwrap();
    assert!(store.load().err().unwrap().to_string().contains("magic"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(store.path(), &good).unwrap();
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = store.load().err().unwrap();
        assert!(matches!(err, KesStoreError::Permissions { mode: 0o644, .. }), "{err}");
        assert!(err.to_string().contains("chmod 600"));
    }
}

#[test]
fn a_store_keeps_writing_into_its_own_directory_after_the_directory_is_replaced() {
    // What `keys import --replace` does to a running enclave's leader directory: the old
    // directory moves away and a new one with another key takes its name.
    let root = tempfile::tempdir().unwrap();
    let (live, old) = (root.path().join("pool"), root.path().join(".pool.old"));
    std::fs::create_dir(&live).unwrap();
    let running = KesKeyStore::open(live.join("kes.key")).unwrap();
    let mut k = key();
    running.save(&k).unwrap();
    std::fs::rename(&live, &old).unwrap();
    std::fs::create_dir(&live).unwrap();
    let new_key = KesSecretKey::from_seed(&mut [9u8; 32]);
    KesKeyStore::open(live.join("kes.key")).unwrap().save(&new_key).unwrap();
    // The running enclave evolves its old key: it lands beside the old key, not over the new.
    k.evolve_to(3).unwrap();
    running.save(&k).unwrap();
    let fresh = KesKeyStore::open(live.join("kes.key")).unwrap().load().unwrap();
    assert_eq!(fresh.public_key(), new_key.public_key());
    assert_eq!(fresh.period(), 0);
    let moved = KesKeyStore::open(old.join("kes.key")).unwrap().load().unwrap();
    assert_eq!((moved.public_key(), moved.period()), (k.public_key(), 3));
}
