//! An exec's records as the kernel writes them, from what the exec
//! programs recorded and what `files` reads: a PATH item for each file the
//! kernel opened (a `#!` script, the executable, the ELF interpreter) with
//! its file capabilities, BPRM_FCAPS when the kernel would write one, and
//! laurel's SCRIPT.

use sensor_common::process::InodeInfo;

use super::{
    caps::{bprm_fcaps, BprmFcaps},
    files::{FileCaps, Files, Lookup},
};
use crate::decode::exec::{ElfInterp, Exec};

const SYS_EXECVEAT: u32 = sensor_common::syscalls::x86_64("execveat");

/// One PATH record.
pub struct PathItem {
    /// The name the kernel looked the file up by; None when not known
    /// (written `(null)`, as the kernel writes a missing name).
    pub name: Option<Vec<u8>>,
    /// None: no inode (a failed exec's name, `nametype=UNKNOWN`).
    pub inode: Option<InodeInfo>,
    /// None: the file could not be read as the kernel recorded it.
    pub caps: Option<FileCaps>,
}

pub struct ExecFacts {
    /// The PATH items, in the kernel's order.
    pub paths: Vec<PathItem>,
    pub bprm_fcaps: Option<BprmFcaps>,
    /// laurel's SCRIPT: a script's path, absolute (from the cwd), with `.`
    /// and `..` resolved but not symbolic links.
    pub script: Option<Vec<u8>>,
}

/// The facts of `x`; `full`: every capability of the kernel.
pub fn facts(x: &Exec, files: &mut Files, full: u64) -> ExecFacts {
    if !x.success {
        // The kernel's lookup of the name failed: no inode, no capabilities.
        return ExecFacts {
            paths: vec![PathItem {
                name: Some(x.filename.to_vec()),
                inode: None,
                caps: Some(FileCaps::default()),
            }],
            bprm_fcaps: None,
            script: None,
        };
    }
    let p = &x.call.process;
    let root_uid = x.creds.map_or(u32::MAX, |c| c.root_uid);
    let lookup = |path| Lookup {
        pids: [p.pid, p.ppid],
        path,
        cwd: &x.cwd,
        root_uid,
        links: &[],
    };
    // The executable: the process's own link to it; for an execveat of a
    // descriptor (fexecve, a memfd), the descriptor, which the caller
    // (or its parent, who made it) still holds.
    let mut links = vec![format!("/proc/{}/exe", p.pid)];
    let sc = &x.call.syscall;
    if sc.nr == SYS_EXECVEAT && x.filename.is_empty() {
        let fd = sc.args[0] as i32;
        links.extend([p.pid, p.ppid].map(|pid| format!("/proc/{pid}/fd/{fd}")));
    }
    let exe = x.exe_inode.as_ref().and_then(|inode| {
        let at = Lookup {
            links: &links,
            ..lookup(&x.exe)
        };
        files.facts(&at, inode, true)
    });
    let mut paths = Vec::new();
    let exe_name = match &x.interp {
        Some(interp) => {
            let caps = x
                .script_inode
                .as_ref()
                .and_then(|inode| files.facts(&lookup(&x.filename), inode, false))
                .map(|f| f.caps);
            paths.push(PathItem {
                name: Some(x.filename.to_vec()),
                inode: x.script_inode,
                caps,
            });
            interp.to_vec()
        }
        None => x.filename.to_vec(),
    };
    paths.push(PathItem {
        name: Some(exe_name),
        inode: x.exe_inode,
        caps: exe.as_ref().map(|f| f.caps),
    });
    let elf_name = exe.as_ref().and_then(|f| f.elf_interp.clone());
    match &x.elf_interp {
        ElfInterp::None => {}
        ElfInterp::Missed => paths.push(PathItem {
            name: elf_name,
            inode: None,
            caps: None,
        }),
        ElfInterp::Found(inode) => {
            let caps = elf_name
                .as_deref()
                .and_then(|name| files.facts(&lookup(name), inode, false))
                .map(|f| f.caps);
            paths.push(PathItem {
                name: elf_name,
                inode: Some(*inode),
                caps,
            });
        }
    }
    let exe_caps = exe.as_ref().map(|f| &f.caps);
    ExecFacts {
        paths,
        bprm_fcaps: x
            .creds
            .as_ref()
            .and_then(|c| bprm_fcaps(c, p.uid, p.euid, exe_caps, full)),
        script: x.interp.as_ref().map(|_| script_path(&x.cwd, &x.filename)),
    }
}

/// `name` made absolute from `cwd`, `.` and `..` resolved textually (as
/// laurel does: symbolic links stay).
fn script_path(cwd: &[u8], name: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    let start: &[u8] = if name.starts_with(b"/") { b"" } else { cwd };
    for part in start
        .split(|&b| b == b'/')
        .chain(name.split(|&b| b == b'/'))
    {
        match part {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    let mut path = Vec::new();
    for part in parts {
        path.push(b'/');
        path.extend_from_slice(part);
    }
    if path.is_empty() {
        path.push(b'/');
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scripts_path_is_made_absolute_as_laurel_makes_it() {
        assert_eq!(script_path(b"/tmp/lx", b"./s.sh"), b"/tmp/lx/s.sh");
        assert_eq!(script_path(b"/tmp/lx", b"../x/./s.sh"), b"/tmp/x/s.sh");
        assert_eq!(script_path(b"/tmp", b"/opt/s.sh"), b"/opt/s.sh");
        assert_eq!(script_path(b"/", b"s.sh"), b"/s.sh");
        assert_eq!(script_path(b"/", b".."), b"/");
    }
}
