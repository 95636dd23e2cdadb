//! Any other syscall's records (`sensor_common::generic`).

use std::borrow::Cow;

use anyhow::{ensure, Result};
use bytes::Bytes;
use sensor_common::{
    generic::{family, flags, outcome, GenericEvent, PATHS_MAX},
    process::InodeInfo,
    syscalls::{self, Arch, Family, PathArg},
};

use super::{c_str, join_path, read_struct, Call, Trailer};

pub struct Syscall {
    pub call: Call,
    pub arch: Arch,
    /// The path arguments, as passed, with what the call does to each.
    pub paths: Vec<PathName>,
    /// The cwd, for a call that names paths.
    pub cwd: Option<Vec<u8>>,
    /// The file of a call on a descriptor (`Family::Fd`).
    pub file: Option<InodeInfo>,
    pub extra: Option<Extra>,
}

impl Syscall {
    /// A call of `arch` with no paths, cwd, file or family values yet.
    pub fn new(call: Call, arch: Arch) -> Self {
        Syscall {
            call,
            arch,
            paths: Vec::new(),
            cwd: None,
            file: None,
            extra: None,
        }
    }
}

pub struct PathName {
    pub name: Bytes,
    pub arg: PathArg,
    /// The directory of the name's last component, when it was reached.
    pub parent: Option<InodeInfo>,
    /// What the name led to after the call, and before it (looked up for
    /// a call that creates, removes or replaces it).
    pub after: Lookup,
    pub before: Lookup,
}

/// What a lookup of a name in the dcache found.
#[derive(Clone, Copy, Debug)]
pub enum Lookup {
    Found(InodeInfo),
    /// Nothing by that name.
    Absent,
    /// Not looked up, or the lookup stopped short (`outcome::INCOMPLETE`).
    Unknown,
}

impl Lookup {
    fn from(bits: u32, found: u32, absent: u32, inode: InodeInfo) -> Self {
        if bits & found != 0 {
            Lookup::Found(inode)
        } else if bits & absent != 0 {
            Lookup::Absent
        } else {
            Lookup::Unknown
        }
    }

    pub fn inode(&self) -> Option<&InodeInfo> {
        match self {
            Lookup::Found(inode) => Some(inode),
            _ => None,
        }
    }
}

/// The family's values.
pub enum Extra {
    /// The descriptors a pipe or socketpair made.
    FdPair(i32, i32),
    /// The process signalled or traced.
    Target(i32),
    /// The capability sets as capset left them: inheritable, permitted,
    /// effective, ambient.
    Caps([u64; 4]),
    /// socketcall's call and its arguments, and the descriptors its
    /// socketpair made.
    Socketcall(u32, [u32; 6], Option<(i32, i32)>),
}

pub fn decode(raw: Bytes) -> Result<Syscall> {
    let e: GenericEvent = read_struct(&raw)?;
    let arch = match e.arch {
        sensor_common::generic::ARCH_X86_64 => Arch::X86_64,
        sensor_common::generic::ARCH_I386 => Arch::I386,
        other => anyhow::bail!("unknown arch {other:#x}"),
    };
    let syscall = syscalls::by_number(arch, e.syscall.nr);
    let args: &[PathArg] = match syscall.map(|s| s.family) {
        Some(Family::Path(args)) => args,
        _ => &[],
    };
    let mut data = Trailer::after::<GenericEvent>(raw);
    let mut paths = Vec::new();
    for i in 0..PATHS_MAX {
        let name = data.take(e.path_len[i], "path argument")?;
        // A name of PATH_MAX bytes or more is one the kernel refused
        // (ENAMETOOLONG) before its audit saw it: no PATH item.
        let cut = e.flags & (flags::PATH_CUT << i) != 0;
        // An empty name (AT_EMPTY_PATH: the descriptor itself) is no name
        // to the kernel's audit.
        let empty = c_str(&name).is_empty();
        if let (Some(arg), false, false) = (args.get(i), empty, cut) {
            let o = e.outcome[i];
            paths.push(PathName {
                name: name.slice_ref(c_str(&name)),
                arg: *arg,
                parent: (o & outcome::PARENT != 0).then_some(e.parent[i]),
                after: Lookup::from(o, outcome::OBJECT, outcome::ABSENT, e.object[i]),
                before: Lookup::from(o, outcome::BEFORE, outcome::BEFORE_ABSENT, e.before[i]),
            });
        }
    }
    let cwd = (e.flags & flags::HAS_CWD != 0)
        .then(|| -> Result<Vec<u8>> {
            let components = data.take(e.cwd_len, "cwd")?;
            Ok(join_path(
                &components,
                e.flags & flags::CWD_DELETED != 0,
                e.flags & flags::CWD_TRUNCATED != 0,
            ))
        })
        .transpose()?;
    let extra = (e.flags & flags::HAS_EXTRA != 0)
        .then(|| match e.family {
            family::FD_PAIR => Some(Extra::FdPair(e.extra[0] as i32, e.extra[1] as i32)),
            family::KILL => Some(Extra::Target(e.extra[0] as i32)),
            family::CAPSET => Some(Extra::Caps([
                e.extra[0], e.extra[1], e.extra[2], e.extra[3],
            ])),
            family::SOCKETCALL => {
                let args = e.extra.map(|a| a as u32);
                let pair = (e.flags & flags::HAS_FD_PAIR != 0)
                    .then_some((e.extra[4] as i32, e.extra[5] as i32));
                Some(Extra::Socketcall(e.syscall.args[0] as u32, args, pair))
            }
            _ => None,
        })
        .flatten();
    let file =
        (e.family == family::FD && e.outcome[0] & outcome::OBJECT != 0).then_some(e.object[0]);
    ensure!(
        e.family <= family::LAST,
        "unknown syscall family {}",
        e.family
    );
    Ok(Syscall {
        paths,
        cwd,
        file,
        extra,
        ..Syscall::new(
            Call {
                returned: e.flags & flags::UNRETURNED == 0,
                ..Call::new(e.process, e.syscall)
            },
            arch,
        )
    })
}

/// How many of socketcall's arguments a call uses (`nargs` in
/// net/socket.c), as its SOCKETCALL record lists them.
pub fn socketcall_nargs(call: u32) -> u32 {
    const NARGS: [u32; 21] = [
        0, 3, 3, 3, 2, 3, 3, 3, 4, 4, 4, 6, 6, 2, 5, 5, 3, 3, 4, 5, 4,
    ];
    NARGS.get(call as usize).copied().unwrap_or(0)
}

/// A PATH record's subject, as the kernel's audit writes one per name it
/// looked up: the name as passed (a PARENT item: up to its last slash, or
/// the cwd), what it is to the call, and the inode the lookup reached.
pub struct PathItem<'a> {
    /// None for a descriptor's file: `name=(null)`.
    pub name: Option<Cow<'a, [u8]>>,
    pub nametype: &'static str,
    pub inode: Option<&'a InodeInfo>,
}

/// `O_CREAT`: an open that may create the file.
const O_CREAT: u64 = 0o100;

/// The running kernel's version (major, minor), set once from its release
/// (`set_kernel_release`); where unset, the newest behaviour.
static KERNEL: std::sync::OnceLock<(u32, u32)> = std::sync::OnceLock::new();

/// Records the running kernel's release (`uname -r`) for `path_items`.
pub fn set_kernel_release(release: &str) {
    let mut parts = release
        .split(['.', '-'])
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let version = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    let _ = KERNEL.set(version);
}

fn kernel_at_least(version: (u32, u32)) -> bool {
    KERNEL.get().is_none_or(|&k| k >= version)
}

/// Whether the kernel takes a two-name call's names last first: from 5.15
/// its link, symlink and rename calls pass both `getname()`s as arguments
/// of one call, which gcc evaluates right to left, and the kernel's audit
/// lists names in the order they were taken.
fn last_name_first() -> bool {
    kernel_at_least((5, 15))
}

/// Whether an O_CREAT open (without O_EXCL) of a file already in the
/// dcache logs the file alone: from 6.12 the kernel first tries the lookup
/// an open without O_CREAT makes ("fs: try an opportunistic lookup for
/// O_CREAT opens too") and, when it finds the file, never reaches the
/// create side that logs the PARENT item.
fn open_creat_looks_up_first() -> bool {
    kernel_at_least((6, 12))
}

/// `O_EXCL`: an O_CREAT open that must create.
const O_EXCL: u64 = 0o200;
/// The name to create exists.
const EEXIST: i64 = 17;

impl Syscall {
    /// The PATH items of the call, in the kernel's order: the items each
    /// name's lookup made, in the order the names were taken, then the
    /// objects created or removed (`audit_inode_child`), in the order the
    /// call reached them.
    pub fn path_items(&self) -> Vec<PathItem<'_>> {
        use sensor_common::syscalls::PathKind::*;
        let success = self.call.syscall.ret >= 0;
        fn item<'a>(
            p: &'a PathName,
            nametype: &'static str,
            inode: Option<&'a InodeInfo>,
        ) -> PathItem<'a> {
            PathItem {
                name: Some(Cow::Borrowed(&p.name[..])),
                nametype,
                inode,
            }
        }
        let mut names = Vec::new();
        let mut children = Vec::new();
        for p in &self.paths {
            // As the lookup saw it, before the call changed it (its
            // entry's lookup), else as the call left it.
            let seen = p.before.inode().or(p.after.inode());
            match p.arg.kind {
                Literal => names.push(item(p, "UNKNOWN", None)),
                Normal => names.push(match seen {
                    Some(inode) => item(p, "NORMAL", Some(inode)),
                    None => item(p, "UNKNOWN", None),
                }),
                Open if self.open_flags(p.arg).is_some_and(|f| f & O_CREAT == 0) => {
                    names.push(match p.after.inode() {
                        Some(inode) => item(p, "NORMAL", Some(inode)),
                        None => item(p, "UNKNOWN", None),
                    })
                }
                // A file in the dcache, found by the lookup that comes
                // first (the entry's lookup found it there).
                Open if open_creat_looks_up_first()
                    && matches!(p.before, Lookup::Found(_))
                    && self.open_flags(p.arg).is_some_and(|f| f & O_EXCL == 0) =>
                {
                    names.push(item(p, "NORMAL", seen))
                }
                // May create: the parent, then what it made or opened.
                Open => match &p.parent {
                    None => names.push(item(p, "UNKNOWN", None)),
                    Some(parent) => {
                        names.push(self.parent_item(p, parent));
                        match (p.after.inode(), &p.before) {
                            (Some(inode), Lookup::Absent) if success => {
                                children.push(item(p, "CREATE", Some(inode)))
                            }
                            (_, Lookup::Found(inode)) => names.push(item(p, "NORMAL", Some(inode))),
                            (Some(inode), _) => names.push(item(p, "NORMAL", Some(inode))),
                            (None, _) => {}
                        }
                    }
                },
                // creat() of a file already in the dcache, as an O_CREAT
                // open's (the only successful create of a name that was
                // there).
                Create
                    if success
                        && open_creat_looks_up_first()
                        && matches!(p.before, Lookup::Found(_)) =>
                {
                    names.push(item(p, "NORMAL", p.before.inode()))
                }
                Create | RenameTo | Delete | RenameFrom => {
                    let Some(parent) = &p.parent else {
                        names.push(item(p, "UNKNOWN", None));
                        continue;
                    };
                    names.push(self.parent_item(p, parent));
                    if matches!(p.arg.kind, Delete | RenameFrom | RenameTo) {
                        // What the call removed or replaced, as it was.
                        match p.before {
                            Lookup::Found(ref inode) => {
                                children.push(item(p, "DELETE", Some(inode)))
                            }
                            Lookup::Unknown if success && p.arg.kind != RenameTo => {
                                children.push(item(p, "DELETE", None))
                            }
                            _ => {}
                        }
                    }
                    match (p.arg.kind, &p.before) {
                        // creat() of a file that was there opens it.
                        (Create, Lookup::Found(inode)) if success => {
                            names.push(item(p, "NORMAL", Some(inode)))
                        }
                        // Logged where the call checks it may create
                        // (may_create), which a name found to exist never
                        // reaches (EEXIST from the lookup); a rename's
                        // target once the rename is done (fsnotify_move).
                        (Create, _) if self.call.syscall.ret != -EEXIST => {
                            children.push(item(p, "CREATE", p.after.inode()))
                        }
                        (RenameTo, _) if success => {
                            children.push(item(p, "CREATE", p.after.inode()))
                        }
                        _ => {}
                    }
                }
            }
        }
        if self.paths.len() == 2 && last_name_first() {
            names.reverse();
        }
        names.extend(children);
        names.extend(self.file.as_ref().map(|inode| PathItem {
            name: None,
            nametype: "NORMAL",
            inode: Some(inode),
        }));
        names
    }

    fn parent_item<'a>(&'a self, p: &'a PathName, parent: &'a InodeInfo) -> PathItem<'a> {
        PathItem {
            name: Some(parent_name(&p.name, self.cwd.as_deref())),
            nametype: "PARENT",
            inode: Some(parent),
        }
    }

    /// The flags of an open (`open`'s a1, `openat`'s a2): the argument
    /// after the path; `creat`'s are O_CREAT's.
    fn open_flags(&self, arg: PathArg) -> Option<u64> {
        let name = syscalls::by_number(self.arch, self.call.syscall.nr)?.name;
        match name {
            "openat2" => None,
            "creat" => Some(O_CREAT),
            _ => Some(self.call.syscall.args[arg.arg as usize + 1]),
        }
    }
}

/// The name of a path's directory as the kernel's PATH record gives a
/// PARENT item (`parent_len`): the name up to the slash before its last
/// component (kept), or, for a name without one, the cwd.
fn parent_name<'a>(name: &'a [u8], cwd: Option<&'a [u8]>) -> Cow<'a, [u8]> {
    let end = name.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
    match name[..end].iter().rposition(|&b| b == b'/') {
        Some(at) => Cow::Borrowed(&name[..=at]),
        None => Cow::Borrowed(cwd.unwrap_or(b"(null)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parent_is_the_name_up_to_its_last_slash_or_the_cwd() {
        assert_eq!(&*parent_name(b"/tmp/x", Some(b"/root")), b"/tmp/");
        assert_eq!(&*parent_name(b"a/b", Some(b"/root")), b"a/");
        assert_eq!(&*parent_name(b"x", Some(b"/root")), b"/root");
        assert_eq!(&*parent_name(b"/a/b/", Some(b"/root")), b"/a/");
    }
}
