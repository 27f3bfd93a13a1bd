//! Reading and writing the genesis files the ledger parses (`shelley-genesis.json`,
//! `alonzo-genesis.json`, `conway-genesis.json`): the file I/O the pure ledger leaves to its
//! caller.

use std::path::{Path, PathBuf};

use slotforge_ledger::genesis::{
    AlonzoGenesis, ConwayGenesis, Genesis, GenesisError, ShelleyGenesis, ALONZO_FILE, CONWAY_FILE, SHELLEY_FILE,
};

/// Why a genesis file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum GenesisFileError {
    /// The file could not be read or written.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        error: std::io::Error,
    },
    /// The file was read but its contents are not a usable genesis.
    #[error("{}: {error}", path.display())]
    Genesis {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        error: GenesisError,
    },
}

fn read(path: &Path) -> Result<Vec<u8>, GenesisFileError> {
    std::fs::read(path).map_err(|error| GenesisFileError::Io {
        path: path.to_path_buf(),
        error,
    })
}

/// Reads `shelley-genesis.json` and, if given, `alonzo-genesis.json` and `conway-genesis.json`
/// (else their defaults).
pub fn load(shelley: &Path, alonzo: Option<&Path>, conway: Option<&Path>) -> Result<Genesis, GenesisFileError> {
    let s = read(shelley)?;
    let a = alonzo.map(read).transpose()?;
    let g = Genesis::from_json(&s, a.as_deref()).map_err(|error| GenesisFileError::Genesis {
        // Name the file the error is about.
        path: match (&error, alonzo) {
            (GenesisError::Json { file, .. }, Some(a)) if *file == ALONZO_FILE => a.to_path_buf(),
            _ => shelley.to_path_buf(),
        },
        error,
    })?;
    let Some(conway) = conway else { return Ok(g) };
    let c = ConwayGenesis::from_json(&read(conway)?).map_err(|error| GenesisFileError::Genesis {
        path: conway.to_path_buf(),
        error,
    })?;
    Ok(g.with_conway(c))
}

/// Writes the three files into `dir` under their usual names; returns the Shelley file's hash
/// (the chain's initial nonce).
pub fn write(
    shelley: &ShelleyGenesis,
    alonzo: &AlonzoGenesis,
    conway: &ConwayGenesis,
    dir: &Path,
) -> Result<[u8; 32], GenesisFileError> {
    let (s, a) = Genesis::to_json(shelley, alonzo).map_err(|error| GenesisFileError::Genesis {
        path: dir.join(SHELLEY_FILE),
        error,
    })?;
    let c = conway.to_json().map_err(|error| GenesisFileError::Genesis {
        path: dir.join(CONWAY_FILE),
        error,
    })?;
    for (name, bytes) in [(SHELLEY_FILE, &s), (ALONZO_FILE, &a), (CONWAY_FILE, &c)] {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|error| GenesisFileError::Io { path, error })?;
    }
    Ok(slotforge_praos::nonce::blake2b256(&[&s]))
}
