//! aya attaches tracepoints through tracefs, which a fresh host or a
//! DaemonSet container often lacks: mount it when we may, else say how.

use std::{ffi::CString, path::Path};

use anyhow::{bail, Result};

pub const TRACEFS: &str = "/sys/kernel/tracing";
const DEBUGFS_TRACING: &str = "/sys/kernel/debug/tracing";

#[derive(Clone)]
pub enum Tracefs {
    Mounted(&'static str),
    MountedNow(&'static str),
}

impl Tracefs {
    fn dir(&self) -> &'static str {
        match self {
            Tracefs::Mounted(p) | Tracefs::MountedNow(p) => p,
        }
    }

    /// Whether the kernel has tracepoint `event` (`syscalls/sys_enter_open`).
    pub fn has_event(&self, event: &str) -> bool {
        Path::new(self.dir()).join("events").join(event).is_dir()
    }

    /// How many arguments `syscalls:sys_enter_NAME` declares: the fields
    /// after `__syscall_nr`.
    pub fn syscall_arity(&self, name: &str) -> Option<u32> {
        let format = std::fs::read_to_string(
            Path::new(self.dir())
                .join("events/syscalls")
                .join(format!("sys_enter_{name}"))
                .join("format"),
        )
        .ok()?;
        Some(arity(&format))
    }

    /// The offset of `field` in tracepoint `event`'s record (`sched/sched_process_exit`),
    /// from its format file; `None` where this kernel's tracepoint lacks it.
    pub fn field_offset(&self, event: &str, field: &str) -> Option<u32> {
        let format = std::fs::read_to_string(
            Path::new(self.dir())
                .join("events")
                .join(event)
                .join("format"),
        )
        .ok()?;
        parse_offset(&format, field)
    }
}

/// The fields of a `sys_enter_*` format after `__syscall_nr`.
fn arity(format: &str) -> u32 {
    format
        .lines()
        .filter(|l| l.trim().starts_with("field:"))
        .skip_while(|l| !l.contains("__syscall_nr"))
        .skip(1)
        .count() as u32
}

/// `field:bool group_dead; offset:32; size:1;…` (tab-separated) → 32.
fn parse_offset(format: &str, field: &str) -> Option<u32> {
    format.lines().find_map(|line| {
        let mut parts = line.trim().split(';');
        let decl = parts.next()?.strip_prefix("field:")?;
        if decl.rsplit(' ').next()? != field {
            return None;
        }
        parts.next()?.trim().strip_prefix("offset:")?.parse().ok()
    })
}

impl std::fmt::Display for Tracefs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tracefs::Mounted(p) => write!(f, "mounted at {p}"),
            Tracefs::MountedNow(p) => write!(f, "was not mounted; the sensor mounted it at {p}"),
        }
    }
}

pub fn ensure_mounted() -> Result<Tracefs> {
    for dir in [TRACEFS, DEBUGFS_TRACING] {
        if Path::new(dir).join("events").is_dir() {
            return Ok(Tracefs::Mounted(dir));
        }
    }
    let (source, target, fstype) = (c"tracefs", CString::new(TRACEFS)?, c"tracefs");
    // SAFETY: all arguments are valid NUL-terminated strings; no data.
    let rc = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        let err = std::io::Error::last_os_error();
        bail!(
            "tracefs is not mounted and mounting it at {TRACEFS} failed ({err}): \
             run `mount -t tracefs tracefs {TRACEFS}` as root, or in a container \
             mount the host's {TRACEFS} into the sensor's container"
        );
    }
    Ok(Tracefs::MountedNow(TRACEFS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_offsets_come_from_the_format_file() {
        let format = "name: sched_process_exit\nformat:\n\
            \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
            \tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;\n\
            \tfield:bool group_dead;\toffset:32;\tsize:1;\tsigned:0;\n";
        assert_eq!(parse_offset(format, "group_dead"), Some(32));
        assert_eq!(parse_offset(format, "common_type"), Some(0));
        assert_eq!(parse_offset(format, "comm"), None); // an array: "comm[16]"
        assert_eq!(parse_offset(format, "missing"), None);
    }

    #[test]
    fn a_syscalls_arguments_follow_its_number() {
        let format = "name: sys_enter_openat\nformat:\n\
            \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
            \tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n\
            \tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;\n\
            \tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;\n\
            \tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;\n\
            \tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;\n";
        assert_eq!(arity(format), 4);
        let tracefs = ensure_mounted().unwrap();
        assert_eq!(tracefs.syscall_arity("getpid"), Some(0));
        assert_eq!(tracefs.syscall_arity("openat"), Some(4));
    }
}
