//! What a tracepoint cannot read of a file the kernel named in an exec,
//! read from the file itself: its file capabilities (the
//! `security.capability` extended attribute) and, for an ELF executable,
//! the interpreter it names (PT_INTERP, the name the kernel opened it by).
//!
//! Only from the very file the kernel recorded: it is looked up in the
//! process's root (`/proc/PID/root`, the parent's, else the sensor's own),
//! and kept only if its device, inode and change time are those the kernel
//! recorded at the exec. Every change to a file's data, owner, mode or
//! extended attributes moves its change time, which nobody can set back, so
//! what is read is what the file was when it ran; a file that moved, changed
//! or is gone is reported as not known, never guessed. Results are cached by
//! that identity (an executable runs again and again, often after its
//! process is gone).

use std::{
    collections::HashMap,
    ffi::CString,
    fs::File,
    io::Read,
    os::{
        fd::{AsRawFd, FromRawFd, OwnedFd},
        unix::fs::FileExt,
    },
};

use sensor_common::process::InodeInfo;

/// Bound on cached files.
const CACHE_MAX: usize = 4096;

/// A file's capabilities as the kernel's `get_vfs_caps_from_disk` gives
/// them (all zero when the file has none, or none valid here).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileCaps {
    /// A valid attribute was found (the kernel's `has_fcap`, but for the
    /// mount's `nosuid`).
    pub present: bool,
    pub permitted: u64,
    pub inheritable: u64,
    pub effective: bool,
    /// `VFS_CAP_REVISION_*` >> 24.
    pub version: u32,
    /// The uid (in the initial user namespace) the attribute is for.
    pub rootid: u32,
}

/// What was read of one file.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub caps: FileCaps,
    /// PT_INTERP, for an ELF executable that names one.
    pub elf_interp: Option<Vec<u8>>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Identity {
    dev: u32,
    ino: u64,
    ctime_sec: i64,
    ctime_nsec: u32,
}

impl From<&InodeInfo> for Identity {
    fn from(i: &InodeInfo) -> Self {
        Self {
            dev: i.dev,
            ino: i.ino,
            ctime_sec: i.ctime_sec,
            ctime_nsec: i.ctime_nsec,
        }
    }
}

/// Where to look for a file and how to read its capabilities.
pub struct Lookup<'a> {
    /// The processes whose root the path is relative to, in order of
    /// preference (the exec'ing process, its parent).
    pub pids: [u32; 2],
    /// The path, absolute in that root (or relative to `cwd`).
    pub path: &'a [u8],
    pub cwd: &'a [u8],
    /// The kernel uid that is root in the process's user namespace: a
    /// version 3 attribute is valid only for it (or for 0).
    pub root_uid: u32,
    /// Links to the very file, tried first: `/proc/PID/exe` of an
    /// executable, `/proc/PID/fd/N` of a file exec'd by descriptor (exact
    /// while the process lives or holds it, even for a deleted file or a
    /// memfd).
    pub links: &'a [String],
}

pub struct Files {
    cache: HashMap<Identity, Facts>,
    /// Bits of the kernel's capability sets (`/proc/sys/kernel/cap_last_cap`).
    valid_caps: u64,
    /// Files read, and files not found as the kernel recorded them.
    pub read: u64,
    pub unknown: u64,
}

impl Default for Files {
    fn default() -> Self {
        Self {
            cache: HashMap::new(),
            valid_caps: valid_caps(),
            read: 0,
            unknown: 0,
        }
    }
}

/// Every capability bit the kernel has (`CAP_VALID_MASK`).
pub fn valid_caps() -> u64 {
    let last: u32 = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(40);
    if last >= 63 {
        u64::MAX
    } else {
        (1u64 << (last + 1)) - 1
    }
}

impl Files {
    /// What the file the kernel recorded as `inode` holds, if it is still
    /// that file. `elf`: read its PT_INTERP too.
    pub fn facts(&mut self, at: &Lookup, inode: &InodeInfo, elf: bool) -> Option<Facts> {
        let id = Identity::from(inode);
        if let Some(facts) = self.cache.get(&id) {
            return Some(facts.clone());
        }
        let Some(file) = open_verified(at, &id) else {
            self.unknown += 1;
            return None;
        };
        self.read += 1;
        let facts = Facts {
            caps: read_caps(&file, at.root_uid, self.valid_caps),
            elf_interp: if elf { elf_interp(&file) } else { None },
        };
        if self.cache.len() >= CACHE_MAX {
            self.cache.clear();
        }
        self.cache.insert(id, facts.clone());
        Some(facts)
    }
}

/// The file at `at.path` in one of the roots, opened for reading, if it is
/// the one `id` names.
fn open_verified(at: &Lookup, id: &Identity) -> Option<File> {
    for link in at.links {
        if let Ok(file) = File::open(link) {
            if is(&file, id) {
                return Some(file);
            }
        }
    }
    let mut path = Vec::new();
    if !at.path.starts_with(b"/") {
        path.extend_from_slice(at.cwd);
        path.push(b'/');
    }
    path.extend_from_slice(at.path);
    let path = CString::new(path).ok()?;
    let roots = at
        .pids
        .iter()
        .filter(|&&pid| pid != 0)
        .map(|pid| format!("/proc/{pid}/root"))
        .chain(["/".to_owned()]);
    for root in roots {
        let Some(fd) = open_in_root(&root, &path) else {
            continue;
        };
        if is(&fd, id) {
            // An O_PATH descriptor reads nothing: open the same inode
            // through it (never the path again, which may have changed).
            let file = std::fs::File::open(format!("/proc/self/fd/{}", fd.as_raw_fd())).ok()?;
            return is(&file, id).then_some(file);
        }
    }
    None
}

/// `path` resolved inside `root` as the process would resolve it
/// (absolute symbolic links stay in the root: RESOLVE_IN_ROOT), opened
/// O_PATH: opening a device or a FIFO for reading could have effects or
/// block, an O_PATH descriptor cannot.
fn open_in_root(root: &str, path: &CString) -> Option<OwnedFd> {
    let root = File::open(root).ok()?;
    #[repr(C)]
    struct OpenHow {
        flags: u64,
        mode: u64,
        resolve: u64,
    }
    const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
    const RESOLVE_IN_ROOT: u64 = 0x10;
    let how = OpenHow {
        flags: (libc::O_PATH | libc::O_CLOEXEC) as u64,
        mode: 0,
        resolve: RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    // SAFETY: valid pointers for the call's duration; the result is a new fd or -1.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            root.as_raw_fd(),
            path.as_ptr(),
            &how as *const OpenHow,
            std::mem::size_of::<OpenHow>(),
        )
    };
    // SAFETY: a new descriptor this function owns.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Whether `fd` is a regular file with the identity the kernel recorded.
fn is(fd: &impl AsRawFd, id: &Identity) -> bool {
    // SAFETY: statx fills the zeroed struct; the empty path with
    // AT_EMPTY_PATH means the descriptor itself.
    let mut st: libc::statx = unsafe { std::mem::zeroed() };
    let rc = unsafe {
        libc::statx(
            fd.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            libc::STATX_TYPE | libc::STATX_INO | libc::STATX_CTIME,
            &mut st,
        )
    };
    let dev = st.stx_dev_major << 20 | st.stx_dev_minor;
    log::trace!(
        "file {}:{}:{}.{} (recorded {}:{}:{}.{})",
        dev,
        st.stx_ino,
        st.stx_ctime.tv_sec,
        st.stx_ctime.tv_nsec,
        id.dev,
        id.ino,
        id.ctime_sec,
        id.ctime_nsec
    );
    rc == 0
        && u32::from(st.stx_mode) & libc::S_IFMT == libc::S_IFREG
        && dev == id.dev
        && st.stx_ino == id.ino
        && st.stx_ctime.tv_sec == id.ctime_sec
        && st.stx_ctime.tv_nsec == id.ctime_nsec
}

const XATTR_CAPS: &std::ffi::CStr = c"security.capability";
const VFS_CAP_REVISION_MASK: u32 = 0xff00_0000;
const VFS_CAP_REVISION_1: u32 = 0x0100_0000;
const VFS_CAP_REVISION_2: u32 = 0x0200_0000;
const VFS_CAP_REVISION_3: u32 = 0x0300_0000;
const VFS_CAP_FLAGS_EFFECTIVE: u32 = 0x01;

fn read_caps(file: &File, root_uid: u32, valid: u64) -> FileCaps {
    let mut buf = [0u8; 32];
    // SAFETY: buf is writable for its length.
    let n = unsafe {
        libc::fgetxattr(
            file.as_raw_fd(),
            XATTR_CAPS.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if n < 0 {
        return FileCaps::default();
    }
    parse_caps(&buf[..n as usize], root_uid, valid)
}

/// `security.capability` (`struct vfs_ns_cap_data`, little-endian) as
/// `get_vfs_caps_from_disk` takes it: zeros when its size does not match
/// its revision, or when a revision 3 attribute is for a uid that is not
/// root here.
fn parse_caps(x: &[u8], root_uid: u32, valid: u64) -> FileCaps {
    let le = |at: usize| u32::from_le_bytes(x[at..at + 4].try_into().unwrap_or_default());
    if x.len() < 4 {
        return FileCaps::default();
    }
    let magic = le(0);
    let (words, rootid) = match (magic & VFS_CAP_REVISION_MASK, x.len()) {
        (VFS_CAP_REVISION_1, 12) => (1, 0),
        (VFS_CAP_REVISION_2, 20) => (2, 0),
        (VFS_CAP_REVISION_3, 24) => (2, le(20)),
        _ => return FileCaps::default(),
    };
    if rootid != 0 && rootid != root_uid {
        return FileCaps::default();
    }
    let word = |i: usize, which: usize| u64::from(le(4 + 8 * i + 4 * which)) << (32 * i);
    let set = |which| (0..words).map(|i| word(i, which)).fold(0, |a, w| a | w) & valid;
    FileCaps {
        present: true,
        permitted: set(0),
        inheritable: set(1),
        effective: magic & VFS_CAP_FLAGS_EFFECTIVE != 0,
        version: (magic & VFS_CAP_REVISION_MASK) >> 24,
        rootid,
    }
}

/// PT_INTERP of a 64-bit little-endian ELF file: the name the kernel
/// opened its interpreter by (up to the first NUL).
fn elf_interp(file: &File) -> Option<Vec<u8>> {
    let mut header = [0u8; 64];
    (&*file).read_exact(&mut header).ok()?;
    if &header[..4] != b"\x7fELF" || header[4] != 2 || header[5] != 1 {
        return None;
    }
    let u16_at = |b: &[u8], at: usize| u16::from_le_bytes([b[at], b[at + 1]]) as usize;
    let u64_at = |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
    let (phoff, phentsize, phnum) = (
        u64_at(&header, 32),
        u16_at(&header, 54),
        u16_at(&header, 56),
    );
    if !(56..=256).contains(&phentsize) || phnum > 256 {
        return None;
    }
    let mut phdrs = vec![0u8; phentsize * phnum];
    file.read_exact_at(&mut phdrs, phoff).ok()?;
    const PT_INTERP: u32 = 3;
    let interp = phdrs
        .chunks_exact(phentsize)
        .find(|ph| u32::from_le_bytes(ph[..4].try_into().unwrap()) == PT_INTERP)?;
    let (offset, size) = (u64_at(interp, 8), u64_at(interp, 32) as usize);
    if size == 0 || size > 4096 {
        return None;
    }
    let mut name = vec![0u8; size];
    file.read_exact_at(&mut name, offset).ok()?;
    let end = name.iter().position(|&b| b == 0)?;
    name.truncate(end);
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps_bytes(magic: u32, perm: [u32; 2], inh: [u32; 2], rootid: Option<u32>) -> Vec<u8> {
        let mut x = magic.to_le_bytes().to_vec();
        for i in 0..2 {
            x.extend(perm[i].to_le_bytes());
            x.extend(inh[i].to_le_bytes());
        }
        if let Some(r) = rootid {
            x.extend(r.to_le_bytes());
        }
        x
    }

    #[test]
    fn capability_attributes_parse_as_the_kernel_takes_them() {
        let all = (1u64 << 41) - 1;
        let v2 = caps_bytes(VFS_CAP_REVISION_2 | 1, [1 << 13, 1], [0, 0], None);
        let c = parse_caps(&v2, 0, all);
        assert_eq!(
            c,
            FileCaps {
                present: true,
                permitted: (1 << 13) | (1 << 32),
                inheritable: 0,
                effective: true,
                version: 2,
                rootid: 0
            }
        );
        // Bits the kernel does not have are dropped.
        assert_eq!(parse_caps(&v2, 0, (1 << 20) - 1).permitted, 1 << 13);
        // Revision 3: valid for root here, or for uid 0.
        let v3 = caps_bytes(VFS_CAP_REVISION_3, [4, 0], [2, 0], Some(100_000));
        assert_eq!(parse_caps(&v3, 100_000, all).rootid, 100_000);
        assert_eq!(parse_caps(&v3, 0, all), FileCaps::default());
        // A size that does not match the revision.
        assert_eq!(parse_caps(&v2[..16], 0, all), FileCaps::default());
        assert_eq!(parse_caps(&[1, 2], 0, all), FileCaps::default());
    }

    #[test]
    fn this_test_binary_names_its_elf_interpreter() {
        let exe = std::fs::File::open("/proc/self/exe").unwrap();
        let interp = elf_interp(&exe).expect("a dynamically linked test binary");
        assert!(
            interp.starts_with(b"/") && interp.ends_with(b".so.2"),
            "{interp:?}"
        );
    }

    #[test]
    fn a_file_is_read_only_while_it_is_the_one_the_kernel_recorded() {
        let dir = std::env::temp_dir().join(format!("sensor-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("prog");
        std::fs::copy("/proc/self/exe", &path).unwrap();
        let inode = |p: &std::path::Path| {
            use std::os::unix::fs::MetadataExt;
            let m = std::fs::metadata(p).unwrap();
            let dev = m.dev();
            InodeInfo {
                ino: m.ino(),
                dev: (libc::major(dev) << 20) | libc::minor(dev),
                ctime_sec: m.ctime(),
                ctime_nsec: m.ctime_nsec() as u32,
                ..Default::default()
            }
        };
        let recorded = inode(&path);
        let path_bytes = path.as_os_str().as_encoded_bytes().to_vec();
        let at = Lookup {
            pids: [std::process::id(), 0],
            path: &path_bytes,
            cwd: b"/",
            root_uid: 0,
            links: &[],
        };
        let mut files = Files::default();
        let facts = files.facts(&at, &recorded, true).expect("the same file");
        assert!(facts.elf_interp.is_some());
        assert!(!facts.caps.present);
        // Changed since (its ctime moved): not read, and a cache hit
        // needs the recorded identity too.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&path, b"changed").unwrap();
        let mut other = Files::default();
        assert!(other.facts(&at, &recorded, true).is_none());
        assert_eq!(other.unknown, 1);
        assert!(files.facts(&at, &inode(&path), true).is_some());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
