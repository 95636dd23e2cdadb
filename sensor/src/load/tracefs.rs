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
