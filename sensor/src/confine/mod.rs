//! Least privilege at run time. At start-up the daemon keeps only the
//! capabilities loading needs ([`caps::LOAD`]); once its programs are
//! attached, only those the rest of the run needs ([`caps::RUN`]), on every
//! thread, with no_new_privs and a seccomp filter ([`seccomp`]) allowing
//! only the system calls it makes from then on.

pub mod caps;
pub mod seccomp;

use anyhow::{Context, Result};

/// Before anything is read, loaded or started.
pub fn at_start() -> Result<()> {
    let kept = caps::restrict(caps::LOAD).context("dropping capabilities at start-up")?;
    log::debug!("capabilities for start-up: {}", caps::names(kept));
    Ok(())
}

/// Once the programs are attached, before `ready`.
pub fn after_attach() -> Result<()> {
    let kept = caps::restrict(caps::RUN).context("dropping capabilities after attaching")?;
    // SAFETY: plain prctl; no_new_privs is one-way.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return Err(std::io::Error::last_os_error()).context("setting no_new_privs");
    }
    seccomp::install()?;
    log::info!(
        "confined: capabilities {}, no_new_privs, seccomp filter",
        caps::names(kept)
    );
    Ok(())
}
