//! Exec records (layout in `sensor_common::exec`).

use anyhow::Result;
use bytes::Bytes;
use sensor_common::{
    exec::{flags, ExecEvent},
    process::InodeInfo,
};

use super::{c_str, join_path, read_struct, Call, Trailer};

pub struct Exec {
    pub call: Call,
    pub success: bool,
    /// The program as named by the caller.
    pub filename: Bytes,
    pub exe: Vec<u8>,
    pub exe_inode: Option<InodeInfo>,
    pub cwd: Vec<u8>,
    /// The new image's argv (the caller's own for a failed exec).
    pub argv: Vec<Bytes>,
    /// Set when argv was longer than the cap.
    pub argv_truncated: Option<Truncated>,
}

pub struct Truncated {
    pub kept: u32,
    pub total: u32,
}

pub fn decode(raw: Bytes) -> Result<Exec> {
    let e: ExecEvent = read_struct(&raw)?;
    let mut data = Trailer::after::<ExecEvent>(raw);
    let filename = data.take(e.filename_len, "exec filename")?;
    let exe = data.take(e.exe_len, "exec exe")?;
    let cwd = data.take(e.cwd_len, "exec cwd")?;
    let argv = data.take(e.argv_len, "exec argv")?;

    let filename = filename.slice_ref(c_str(&filename));
    Ok(Exec {
        filename: as_passed(&e, filename),
        call: Call::new(e.process, e.syscall),
        success: e.flags & flags::SUCCESS != 0,
        exe: join_path(
            &exe,
            e.flags & flags::EXE_DELETED != 0,
            e.flags & flags::EXE_TRUNCATED != 0,
        ),
        exe_inode: (e.flags & flags::HAS_INODE != 0).then_some(e.exe_inode),
        cwd: join_path(
            &cwd,
            e.flags & flags::CWD_DELETED != 0,
            e.flags & flags::CWD_TRUNCATED != 0,
        ),
        argv: split_argv(&argv),
        argv_truncated: (e.flags & flags::ARGV_TRUNCATED != 0).then_some(Truncated {
            kept: e.argv_len,
            total: e.argv_total,
        }),
    })
}

const SYS_EXECVEAT: u32 = 322;

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
}
