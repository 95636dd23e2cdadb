//! File descriptors: the limit raised at start-up to what the sensor may
//! need, and running out of them named as such wherever it happens, so
//! that a log says "EMFILE" rather than blaming what merely failed first
//! (a spool, a file sink, the metrics server).

use std::{
    io,
    sync::atomic::{AtomicU64, Ordering::Relaxed},
    time::{SystemTime, UNIX_EPOCH},
};

/// The open-file limit the daemon asks for. It holds about a hundred
/// descriptors for its programs, maps and links, a few per sink, and at
/// most [`crate::metrics::server::MAX_CONNECTIONS`] for metrics clients;
/// the margin is for sinks added on SIGHUP and for transient files
/// (/proc reads, cgroup handles, TLS files).
pub const WANTED: u64 = 65536;

/// Raises RLIMIT_NOFILE's soft limit to [`WANTED`], and the hard limit too
/// when it is lower and the process may (CAP_SYS_RESOURCE). Returns the
/// limit in force.
pub fn raise_limit() -> io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a valid pointer to an rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if limit.rlim_cur >= WANTED {
        return Ok(limit.rlim_cur);
    }
    let set = |cur: u64, max: u64| {
        let wanted = libc::rlimit {
            rlim_cur: cur,
            rlim_max: max,
        };
        // SAFETY: a valid pointer to an rlimit.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) == 0 }
    };
    if limit.rlim_max < WANTED && set(WANTED, WANTED) {
        return Ok(WANTED);
    }
    let cur = WANTED.min(limit.rlim_max);
    if set(cur, limit.rlim_max) {
        Ok(cur)
    } else {
        Err(io::Error::last_os_error())
    }
}

/// What running out of descriptors means, for an error that says so
/// (EMFILE, ENFILE); None for any other error.
pub fn exhausted(e: &io::Error) -> Option<&'static str> {
    match e.raw_os_error()? {
        libc::EMFILE => {
            Some("EMFILE: the sensor has as many files open as its limit (RLIMIT_NOFILE) allows")
        }
        libc::ENFILE => {
            Some("ENFILE: the system's table of open files is full (sysctl fs.file-max)")
        }
        _ => None,
    }
}

/// `e` with [`exhausted`]'s explanation when it is one.
pub fn explain(e: io::Error) -> anyhow::Error {
    match exhausted(&e) {
        Some(why) => anyhow::Error::new(e).context(why),
        None => e.into(),
    }
}

/// For a stage that goes on without what it could not open (a cgroup, a
/// /proc entry): says so when the cause is running out of descriptors, at
/// most every 10 s, so the missing attribution has a reason in the log.
pub fn warn_if_exhausted(what: &str, e: &io::Error) {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let Some(why) = exhausted(e) else {
        return;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let last = LAST.load(Relaxed);
    if now >= last + 10 && LAST.compare_exchange(last, now, Relaxed, Relaxed).is_ok() {
        log::warn!("{what}: {why}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_out_of_descriptors_is_named() {
        let e = explain(io::Error::from_raw_os_error(libc::EMFILE));
        assert!(format!("{e:#}").starts_with("EMFILE: "), "{e:#}");
        let e = explain(io::Error::from_raw_os_error(libc::ENFILE));
        assert!(format!("{e:#}").contains("ENFILE"), "{e:#}");
        let e = explain(io::Error::from_raw_os_error(libc::EACCES));
        assert!(!format!("{e:#}").contains("EMFILE"), "{e:#}");
    }
}
