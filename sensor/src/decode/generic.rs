//! Any other syscall's records (`sensor_common::generic`).

use anyhow::{ensure, Result};
use bytes::Bytes;
use sensor_common::{
    generic::{family, flags, GenericEvent, PATHS_MAX},
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
    /// What the call opened (the file behind the descriptor it returned).
    pub inode: Option<InodeInfo>,
    pub extra: Option<Extra>,
}

pub struct PathName {
    pub name: Bytes,
    pub arg: PathArg,
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
    /// socketcall's call and its arguments.
    Socketcall(u32, [u32; 6]),
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
        if let (Some(arg), false, false) = (args.get(i), name.is_empty(), cut) {
            paths.push(PathName {
                name: name.slice_ref(c_str(&name)),
                arg: *arg,
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
                Some(Extra::Socketcall(e.syscall.args[0] as u32, args))
            }
            _ => None,
        })
        .flatten();
    ensure!(
        e.family <= family::SOCKETCALL,
        "unknown syscall family {}",
        e.family
    );
    Ok(Syscall {
        call: Call {
            process: e.process,
            syscall: e.syscall,
        },
        arch,
        paths,
        cwd,
        inode: (e.flags & flags::HAS_INODE != 0).then_some(e.inode),
        extra,
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
/// looked up: the name's parent directory first where the call creates or
/// removes a name.
pub struct PathItem<'a> {
    pub name: std::borrow::Cow<'a, [u8]>,
    pub nametype: &'static str,
    pub inode: Option<&'a InodeInfo>,
}

/// `O_CREAT`: an open that may create the file.
const O_CREAT: u64 = 0o100;

impl Syscall {
    /// The PATH items of the call, in the kernel's order: parents, then
    /// the objects, in argument order. A failed call's names are UNKNOWN:
    /// the kernel's lookup of them did not finish. Only an opened file's
    /// inode is known (`inode`).
    pub fn path_items(&self) -> Vec<PathItem<'_>> {
        use sensor_common::syscalls::PathKind::*;
        let mut parents = Vec::new();
        let mut objects = Vec::new();
        let success = self.call.syscall.ret >= 0;
        for (i, p) in self.paths.iter().enumerate() {
            let inode = self.inode.as_ref().filter(|_| i == 0);
            let item = |nametype| PathItem {
                name: std::borrow::Cow::Borrowed(&p.name[..]),
                nametype,
                inode,
            };
            if !success || p.arg.kind == Literal {
                objects.push(item("UNKNOWN"));
                continue;
            }
            let creates = match p.arg.kind {
                Open => self.open_flags(p.arg).is_some_and(|f| f & O_CREAT != 0),
                Create | RenameTo => true,
                _ => false,
            };
            let nametype = match p.arg.kind {
                Delete | RenameFrom => "DELETE",
                _ if creates => "CREATE",
                _ => "NORMAL",
            };
            if nametype != "NORMAL" {
                parents.push(PathItem {
                    name: parent_name(&p.name, self.cwd.as_deref()),
                    nametype: "PARENT",
                    inode: None,
                });
            }
            objects.push(item(nametype));
        }
        parents.extend(objects);
        parents
    }

    /// The flags of an open (`open`'s a1, `openat`'s a2): the argument
    /// after the path, where the call has one.
    fn open_flags(&self, arg: PathArg) -> Option<u64> {
        let name = syscalls::by_number(self.arch, self.call.syscall.nr)?.name;
        (name != "openat2").then(|| self.call.syscall.args[arg.arg as usize + 1])
    }
}

/// The name of a path's directory as the kernel's PATH record gives a
/// PARENT item: the name up to its last `/` (kept), or, for a name without
/// one, the cwd.
fn parent_name<'a>(name: &'a [u8], cwd: Option<&'a [u8]>) -> std::borrow::Cow<'a, [u8]> {
    match name.iter().rposition(|&b| b == b'/') {
        Some(at) => std::borrow::Cow::Borrowed(&name[..=at]),
        None => std::borrow::Cow::Borrowed(cwd.unwrap_or(b"(null)")),
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
    }
}
