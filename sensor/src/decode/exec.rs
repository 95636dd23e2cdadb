//! Exec records (layout in `sensor_common::exec`).

use anyhow::Result;
use bytes::Bytes;
use sensor_common::{
    exec::{flags, ExecCreds, ExecEvent},
    process::InodeInfo,
};

use super::{c_str, join_path, read_struct, Call, Trailer};

pub struct Exec {
    pub call: Call,
    pub success: bool,
    /// Only for the process table: no rule asked for the call (never
    /// written; its syscall fields are empty).
    pub tree_only: bool,
    /// The program as named by the caller.
    pub filename: Bytes,
    /// A `#!` script ran: its interpreter, as the `#!` line names it.
    pub interp: Option<Bytes>,
    pub exe: Vec<u8>,
    pub exe_inode: Option<InodeInfo>,
    /// The script's own file (with `interp`), when the kernel showed it.
    pub script_inode: Option<InodeInfo>,
    pub elf_interp: ElfInterp,
    /// The credentials before and after (a successful exec's).
    pub creds: Option<ExecCreds>,
    pub cwd: Vec<u8>,
    /// The new image's argv (the caller's own for a failed exec).
    pub argv: Vec<Bytes>,
    /// Set when argv was longer than the cap.
    pub argv_truncated: Option<Truncated>,
    /// The variables of `ENV_NAMES` in the new image's environment, in
    /// its order.
    pub env: Vec<(Bytes, Bytes)>,
    /// Set when the environment was longer than the kernel keeps.
    pub env_truncated: Option<Truncated>,
}

/// The ELF interpreter (ld.so) of a dynamically linked executable.
pub enum ElfInterp {
    /// A statically linked executable (or the kernel cannot say).
    None,
    /// There is one, but the kernel did not find its file.
    Missed,
    Found(InodeInfo),
}

pub struct Truncated {
    pub kept: u32,
    pub total: u32,
}

/// The environment variables an exec record names: laurel's default
/// `enrich.execve-env`, the dynamic loader's, which make a program load
/// other code than its own.
pub const ENV_NAMES: [&[u8]; 2] = [b"LD_PRELOAD", b"LD_LIBRARY_PATH"];

pub fn decode(raw: Bytes) -> Result<Exec> {
    let e: ExecEvent = read_struct(&raw)?;
    let mut data = Trailer::after::<ExecEvent>(raw);
    let filename = data.take(e.filename_len, "exec filename")?;
    let interp = data.take(e.interp_len, "exec interpreter")?;
    let exe = data.take(e.exe_len, "exec exe")?;
    let cwd = data.take(e.cwd_len, "exec cwd")?;
    let argv = data.take(e.argv_len, "exec argv")?;
    let env = data.take(e.env_len, "exec environment")?;

    let has = |flag| e.flags & flag != 0;
    let filename = filename.slice_ref(c_str(&filename));
    let truncated = |flag, kept, total| has(flag).then_some(Truncated { kept, total });
    Ok(Exec {
        filename: as_passed(&e, filename),
        interp: has(flags::SCRIPT).then(|| interp.slice_ref(c_str(&interp))),
        call: Call::new(e.process, e.syscall),
        success: has(flags::SUCCESS),
        tree_only: has(flags::TREE_ONLY),
        exe: join_path(&exe, has(flags::EXE_DELETED), has(flags::EXE_TRUNCATED)),
        exe_inode: has(flags::HAS_INODE).then_some(e.exe_inode),
        script_inode: has(flags::HAS_SCRIPT_INODE).then_some(e.script_inode),
        elf_interp: if has(flags::HAS_ELF_INTERP) {
            ElfInterp::Found(e.elf_interp_inode)
        } else if has(flags::ELF_INTERP_MISSED) {
            ElfInterp::Missed
        } else {
            ElfInterp::None
        },
        creds: has(flags::OLD_CREDS).then_some(e.creds),
        cwd: join_path(&cwd, has(flags::CWD_DELETED), has(flags::CWD_TRUNCATED)),
        argv: split_argv(&argv),
        argv_truncated: truncated(flags::ARGV_TRUNCATED, e.argv_len, e.argv_total),
        env: find_env(&env),
        env_truncated: truncated(flags::ENV_TRUNCATED, e.env_len, e.env_total),
    })
}

const SYS_EXECVEAT: u32 = sensor_common::syscalls::x86_64("execveat");

/// The name the caller passed, as auditd's PATH record has it. For a
/// successful exec the record holds `bprm->filename`, which for execveat
/// with a directory fd is `/dev/fd/N/NAME`, or `/dev/fd/N` with
/// AT_EMPTY_PATH (fexecve): the kernel's own spelling, from which the name
/// as passed comes back exactly.
fn as_passed(e: &ExecEvent, filename: Bytes) -> Bytes {
    let dirfd = e.syscall.args[0] as i32;
    if e.syscall.nr != SYS_EXECVEAT || dirfd < 0 || e.flags & flags::SUCCESS == 0 {
        return filename;
    }
    let prefix = format!("/dev/fd/{dirfd}");
    match filename.strip_prefix(prefix.as_bytes()) {
        Some(b"") => Bytes::new(),
        Some(rest) if rest.starts_with(b"/") => filename.slice_ref(&rest[1..]),
        _ => filename,
    }
}

/// argv is NUL-separated, each argument NUL-terminated (the last one may be
/// cut short by the cap).
pub fn split_argv(argv: &Bytes) -> Vec<Bytes> {
    let body = argv.strip_suffix(&[0]).unwrap_or(argv);
    if body.is_empty() {
        return Vec::new();
    }
    body.split(|&b| b == 0).map(|a| argv.slice_ref(a)).collect()
}

/// The `ENV_NAMES` variables of an environment block (`NAME=VALUE\0`…),
/// as laurel finds them: every occurrence, in order; a variable cut short
/// by the cap (no NUL after it) is not taken.
fn find_env(block: &Bytes) -> Vec<(Bytes, Bytes)> {
    let mut found = Vec::new();
    let mut rest = &block[..];
    while let Some(end) = rest.iter().position(|&b| b == 0) {
        let var = &rest[..end];
        rest = &rest[end + 1..];
        let Some(eq) = var.iter().position(|&b| b == b'=') else {
            continue;
        };
        let (name, value) = (&var[..eq], &var[eq + 1..]);
        if ENV_NAMES.contains(&name) {
            found.push((block.slice_ref(name), block.slice_ref(value)));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_keeps_empty_arguments_and_a_cut_last_one() {
        let argv = Bytes::from_static(b"a\0\0b c\0");
        let parts: Vec<_> = split_argv(&argv);
        assert_eq!(parts, vec![&b"a"[..], b"", b"b c"]);
        let cut = Bytes::from_static(b"ls\0-l");
        assert_eq!(split_argv(&cut), vec![&b"ls"[..], b"-l"]);
        assert!(split_argv(&Bytes::new()).is_empty());
    }

    #[test]
    fn the_loader_variables_are_found_in_order_and_a_cut_one_is_not() {
        let env = Bytes::from_static(
            b"HOME=/root\0LD_PRELOAD=/tmp/a.so\0LD_PRELOADX=no\0LD_LIBRARY_PATH=\0\
              LD_PRELOAD=/tmp/b.so\0PATH=/bin\0LD_PRELOAD=/cut",
        );
        let found = find_env(&env);
        let found: Vec<(&[u8], &[u8])> = found.iter().map(|(n, v)| (&n[..], &v[..])).collect();
        assert_eq!(
            found,
            [
                (&b"LD_PRELOAD"[..], &b"/tmp/a.so"[..]),
                (b"LD_LIBRARY_PATH", b""),
                (b"LD_PRELOAD", b"/tmp/b.so"),
            ]
        );
        assert!(find_env(&Bytes::from_static(b"NOEQUALS\0")).is_empty());
    }
}
