//! Every file and directory a sink's spool makes goes through here (the
//! segments, the ledger, the lock, their temporary copies), so how they are
//! created (modes, symlinks) is decided in one place.

use std::{
    fs::{self, File, OpenOptions},
    io::Write,
    os::fd::AsRawFd,
    path::Path,
};

use anyhow::{bail, Context, Result};

/// The spool directory, made if missing.
pub fn create_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir)
        .with_context(|| format!("creating the spool directory {}", dir.display()))
}

/// A file to append to, made if missing.
pub fn append(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))
}

/// Reads a whole file; None if it does not exist.
pub fn read(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(data) => Ok(Some(data)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

pub fn open_read(path: &Path) -> Result<File> {
    File::open(path).with_context(|| format!("opening {}", path.display()))
}

/// Puts `data` at `path` whole or not at all: written beside it, then
/// renamed over it. Returns the file, open for reading and writing.
pub fn replace(path: &Path, data: &[u8]) -> Result<File> {
    let tmp = path.with_extension("tmp");
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    file.write_all(data)
        .with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("renaming {} into place", tmp.display()))?;
    Ok(file)
}

pub fn remove(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Removes `dir` if it is empty (another process may have put something
/// there meanwhile: then it stays).
pub fn remove_dir_if_empty(dir: &Path) {
    let _ = fs::remove_dir(dir);
}

/// Takes `dir`'s lock for as long as the returned file is open, or fails
/// when another process holds it. The lock file is never truncated: it
/// holds nothing, and truncating through a planted link would harm.
pub fn lock(dir: &Path) -> Result<File> {
    let path = dir.join("lock");
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    // SAFETY: a valid fd; flock has no memory effects.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        bail!(
            "the spool {} is in use by another sensor: give each its own --spool-dir",
            dir.display()
        );
    }
    Ok(file)
}
