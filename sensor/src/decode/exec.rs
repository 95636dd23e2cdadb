//! Exec records (layout in `sensor_common::exec`).

use anyhow::{ensure, Result};
use bytes::Bytes;
use sensor_common::{
    exec::{flags, ExecEvent},
    process::{InodeInfo, ProcessInfo, SyscallInfo},
};

use super::{c_str, read_struct};

pub struct Exec {
    pub process: ProcessInfo,
    pub syscall: SyscallInfo,
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
    let mut data = raw.slice(std::mem::size_of::<ExecEvent>()..);
    let mut take = |len: u32, what: &str| -> Result<Bytes> {
        ensure!(
            len as usize <= data.len(),
            "exec record: {what} of {len} bytes overruns the record"
        );
        Ok(data.split_to(len as usize))
    };
    let filename = take(e.filename_len, "filename")?;
    let exe = take(e.exe_len, "exe")?;
    let cwd = take(e.cwd_len, "cwd")?;
    let argv = take(e.argv_len, "argv")?;

    Ok(Exec {
        process: e.process,
        syscall: e.syscall,
        success: e.flags & flags::SUCCESS != 0,
        filename: filename.slice_ref(c_str(&filename)),
        exe: join_path(&exe, e.flags & flags::EXE_DELETED != 0),
        exe_inode: (e.flags & flags::HAS_INODE != 0).then_some(e.exe_inode),
        cwd: join_path(&cwd, e.flags & flags::CWD_DELETED != 0),
        argv: split_argv(&argv),
        argv_truncated: (e.flags & flags::ARGV_TRUNCATED != 0).then_some(Truncated {
            kept: e.argv_len,
            total: e.argv_total,
        }),
    })
}

/// Path components arrive leaf first, each NUL-terminated.
fn join_path(components: &[u8], deleted: bool) -> Vec<u8> {
    let mut path = Vec::with_capacity(components.len() + 1);
    for c in components
        .split(|&b| b == 0)
        .rev()
        .filter(|c| !c.is_empty())
    {
        path.push(b'/');
        path.extend_from_slice(c);
    }
    if path.is_empty() {
        path.push(b'/');
    }
    if deleted {
        path.extend_from_slice(b" (deleted)");
    }
    path
}

/// argv is NUL-separated, each argument NUL-terminated (the last one may be
/// cut short by the cap).
fn split_argv(argv: &Bytes) -> Vec<Bytes> {
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
    fn paths_are_rebuilt_from_leaf_first_components() {
        assert_eq!(join_path(b"curl\0bin\0usr\0", false), b"/usr/bin/curl");
        assert_eq!(join_path(b"", false), b"/");
        assert_eq!(join_path(b"memfd:x\0", true), b"/memfd:x (deleted)");
    }

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
