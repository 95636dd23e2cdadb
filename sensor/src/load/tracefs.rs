//! aya attaches tracepoints through tracefs, which a fresh host or a
//! DaemonSet container often lacks: mount it when we may, else say how.

use std::{ffi::CString, path::Path};

use anyhow::{bail, Result};

pub const TRACEFS: &str = "/sys/kernel/tracing";
const DEBUGFS_TRACING: &str = "/sys/kernel/debug/tracing";

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
}
