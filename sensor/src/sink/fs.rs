//! Every file and directory the sinks create or open goes through here
//! (output files, spool segments, the spool's lock and ledger, their
//! temporary copies), because they hold argv and terminal data, and a
//! ledger a planted file could falsify:
//!
//! - files are created 0600 and the directories the sensor makes 0700,
//!   exactly, whatever the umask (0640 and 0750 with [`Mode::GROUP_READ`],
//!   a file sink's `group_read`, for a log shipper in the file's group);
//!   a file that already exists loses any permission beyond those;
//! - a file is opened relative to its directory's descriptor with
//!   `O_NOFOLLOW`: a symbolic link planted where a file goes is refused,
//!   never written through, and neither are FIFOs, devices or a file with
//!   other hard links;
//! - nothing is truncated: the lock is opened as it is, and the sensor's
//!   own files are replaced whole (a new file renamed over the old one,
//!   which replaces a link rather than following it);
//! - running out of descriptors (EMFILE, ENFILE) is named as such.

use std::{
    ffi::CString,
    fs::File,
    io::{self, Read, Write},
    os::{
        fd::{AsRawFd, FromRawFd, OwnedFd},
        unix::ffi::OsStrExt,
    },
    path::Path,
};

use anyhow::{bail, Context, Result};

/// Permission bits of what the sensor creates.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Mode {
    pub file: u32,
    pub dir: u32,
}

impl Mode {
    /// The default: the owner (the sensor's user) alone.
    pub const PRIVATE: Mode = Mode {
        file: 0o600,
        dir: 0o700,
    };
    /// `group_read`: the file's group may read it too.
    pub const GROUP_READ: Mode = Mode {
        file: 0o640,
        dir: 0o750,
    };
}

/// Makes `dir` and its missing parents, each with `mode.dir`; directories
/// that exist are left as they are.
pub fn create_dir_all(dir: &Path, mode: Mode) -> Result<()> {
    match mkdir(dir, mode.dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            if dir.is_dir() {
                Ok(())
            } else {
                bail!("{} exists and is not a directory", dir.display())
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let parent = dir
                .parent()
                .with_context(|| format!("creating {}: no parent", dir.display()))?;
            create_dir_all(parent, mode)?;
            mkdir(dir, mode.dir).map_err(|e| failed("creating the directory", dir, e))
        }
        Err(e) => Err(failed("creating the directory", dir, e)),
    }
}

/// mkdir with exactly `mode` (the umask only narrows what mkdir gives).
fn mkdir(dir: &Path, mode: u32) -> io::Result<()> {
    let c = c_path(dir)?;
    // SAFETY: a NUL-terminated path.
    if unsafe { libc::mkdir(c.as_ptr(), mode) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // The directory just made, not whatever might replace it meanwhile.
    // SAFETY: a NUL-terminated path; the fd is checked.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd was just opened and is owned here.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: a valid fd.
    if unsafe { libc::fchmod(fd.as_raw_fd(), mode) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Opens `path` for appending, creating it with `mode.file`.
pub fn append(path: &Path, mode: Mode) -> Result<File> {
    open(path, libc::O_WRONLY | libc::O_APPEND, Some(mode.file))
        .map_err(|e| failed("opening", path, e))
}

/// Takes `dir`'s lock (its `lock` file, made if missing, never truncated)
/// for as long as the returned file is open; None when another process
/// holds it.
pub fn lock(dir: &Path) -> Result<Option<File>> {
    let path = dir.join("lock");
    let file = open(&path, libc::O_RDWR, Some(Mode::PRIVATE.file))
        .map_err(|e| failed("opening", &path, e))?;
    // SAFETY: a valid fd; flock has no memory effects.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(Some(file));
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        return Ok(None);
    }
    Err(failed("locking", &path, e))
}

/// Opens `path` for reading.
pub fn open_read(path: &Path) -> Result<File> {
    open(path, libc::O_RDONLY, None).map_err(|e| failed("opening", path, e))
}

/// The whole content of `path`; None if there is no such file.
pub fn read(path: &Path) -> Result<Option<Vec<u8>>> {
    let mut file = match open(path, libc::O_RDONLY, None) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(failed("opening", path, e)),
    };
    let mut data = Vec::new();
    file.read_to_end(&mut data)
        .map_err(|e| failed("reading", path, e))?;
    Ok(Some(data))
}

/// Puts `data` at `path` whole or not at all (a crash leaves the old
/// content or the new): written to a new file beside it (`PATH.tmp`, made
/// with `mode.file`), then renamed over it. Returns the file, open for
/// reading and writing.
pub fn replace(path: &Path, data: &[u8], mode: Mode) -> Result<File> {
    let tmp = path.with_extension("tmp");
    // Whatever a crash left there goes: the file is made new, never
    // truncated through a link.
    remove(&tmp)?;
    let mut file =
        open(&tmp, libc::O_RDWR, Some(mode.file)).map_err(|e| failed("creating", &tmp, e))?;
    file.write_all(data)
        .map_err(|e| failed("writing", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| failed("renaming into place", &tmp, e))?;
    Ok(file)
}

/// Removes the file `path` (a link itself, never its target), if there.
pub fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(failed("removing", path, e)),
        _ => Ok(()),
    }
}

/// Removes `dir` if it is empty (another process may have put something
/// there meanwhile: then it stays).
pub fn remove_dir_if_empty(dir: &Path) {
    let _ = std::fs::remove_dir(dir);
}

/// `openat` of `path`'s last component from its directory's descriptor,
/// with `O_NOFOLLOW`; `create`: the mode of a new file (made exact: the
/// umask does not narrow it), and the permissions an existing one keeps
/// at most. Only regular files with one link are accepted.
fn open(path: &Path, flags: libc::c_int, create: Option<u32>) -> io::Result<File> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let c_dir = c_path(dir)?;
    // SAFETY: a NUL-terminated path; the fd is checked.
    let dir_fd = unsafe {
        libc::open(
            c_dir.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if dir_fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: dir_fd was just opened and is owned here.
    let dir_fd = unsafe { OwnedFd::from_raw_fd(dir_fd) };
    let c_name = CString::new(name.as_bytes())?;
    // O_NONBLOCK: a FIFO planted there must not block the open; it has no
    // effect on regular files.
    let flags = flags | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK;
    let openat = |flags: libc::c_int, mode: u32| {
        // SAFETY: a valid directory fd and a NUL-terminated name.
        let fd = unsafe { libc::openat(dir_fd.as_raw_fd(), c_name.as_ptr(), flags, mode) };
        if fd < 0 {
            Err(io::Error::last_os_error())
        } else {
            // SAFETY: fd was just opened and is owned by the File.
            Ok(unsafe { File::from_raw_fd(fd) })
        }
    };
    let (file, created) = match create {
        None => (openat(flags, 0)?, false),
        Some(mode) => match openat(flags | libc::O_CREAT | libc::O_EXCL, mode) {
            Ok(file) => (file, true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                (openat(flags & !libc::O_EXCL, 0)?, false)
            }
            Err(e) => return Err(e),
        },
    };
    let meta = file.metadata()?;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    if !meta.file_type().is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    if meta.nlink() > 1 {
        return Err(io::Error::other(format!(
            "it has {} hard links: the sensor only writes files of its own",
            meta.nlink()
        )));
    }
    if let Some(mode) = create {
        let now = meta.permissions().mode() & 0o7777;
        let wanted = if created { mode } else { now & mode };
        if now != wanted {
            file.set_permissions(std::fs::Permissions::from_mode(wanted))?;
        }
    }
    Ok(file)
}

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(io::Error::from)
}

/// An error that names the path, says what a symbolic link there means,
/// and names running out of descriptors.
fn failed(what: &str, path: &Path, e: io::Error) -> anyhow::Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        return anyhow::anyhow!(
            "{what} {}: it is a symbolic link, which the sensor does not follow where it \
             writes: remove it, or name the real path",
            path.display()
        );
    }
    if e.kind() == io::ErrorKind::PermissionDenied {
        // SAFETY: plain syscall.
        let uid = unsafe { libc::geteuid() };
        return anyhow::Error::new(e).context(format!(
            "{what} {}: the sensor writes as uid {uid} without CAP_DAC_OVERRIDE: the \
             directory must be its own, or writable by it",
            path.display()
        ));
    }
    crate::fds::explain(e).context(format!("{what} {}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{symlink, PermissionsExt};

    use super::*;

    fn dir(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("sensor-fs-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn modes_are_exact_and_links_are_refused() {
        let d = dir("modes");
        create_dir_all(&d.join("a/b"), Mode::PRIVATE).unwrap();
        assert_eq!((mode(&d.join("a")), mode(&d.join("a/b"))), (0o700, 0o700));
        let f = d.join("a/b/out");
        append(&f, Mode::GROUP_READ)
            .unwrap()
            .write_all(b"x\n")
            .unwrap();
        assert_eq!(mode(&f), 0o640);
        // An existing file keeps no more than the mode allows.
        append(&f, Mode::PRIVATE).unwrap();
        assert_eq!(mode(&f), 0o600);

        let target = d.join("target");
        std::fs::write(&target, "keep").unwrap();
        let link = d.join("link");
        symlink(&target, &link).unwrap();
        let locked = d.join("locked");
        std::fs::create_dir(&locked).unwrap();
        symlink(&target, locked.join("lock")).unwrap();
        for e in [
            append(&link, Mode::PRIVATE).err().unwrap(),
            lock(&locked).err().unwrap(),
            read(&link).err().unwrap(),
        ] {
            assert!(format!("{e:#}").contains("is a symbolic link"), "{e:#}");
        }
        // Replacing a link replaces the link, not what it names.
        replace(&link, b"new", Mode::PRIVATE).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        assert_eq!(
            (read(&link).unwrap().unwrap(), mode(&link)),
            (b"new".to_vec(), 0o600)
        );
        assert_eq!(read(&d.join("absent")).unwrap(), None);

        // One lock holder at a time; the lock file is never truncated.
        std::fs::write(d.join("lock"), "held").unwrap();
        let held = lock(&d).unwrap().expect("free");
        assert!(lock(&d).unwrap().is_none(), "held by another open file");
        drop(held);
        assert_eq!(std::fs::read_to_string(d.join("lock")).unwrap(), "held");

        let hard = d.join("hard");
        std::fs::hard_link(&target, &hard).unwrap();
        let e = append(&hard, Mode::PRIVATE).err().unwrap();
        assert!(format!("{e:#}").contains("2 hard links"), "{e:#}");

        std::fs::remove_dir_all(d).unwrap();
    }
}
