//! What `/healthz` and `/readyz` report: the event loop's heartbeat, and
//! whether the programs are attached and the sinks constructed.

use std::{
    sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed},
    time::{SystemTime, UNIX_EPOCH},
};

/// Seconds without a heartbeat after which the loop counts as stuck. The
/// loop beats at least once a second (the loss report's tick).
pub const STUCK_AFTER_SECS: u64 = 10;

/// Unix seconds of the loop's last turn; 0 while starting.
static HEARTBEAT: AtomicU64 = AtomicU64::new(0);
static READY: AtomicBool = AtomicBool::new(false);

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Called by the event loop on every turn.
pub fn beat() {
    HEARTBEAT.store(now(), Relaxed);
}

pub fn set_ready(ready: bool) {
    READY.store(ready, Relaxed);
}

pub fn ready() -> bool {
    READY.load(Relaxed)
}

/// Ok while the loop turns (or has not started yet); otherwise how long
/// it has been stuck.
pub fn alive() -> Result<(), u64> {
    let last = HEARTBEAT.load(Relaxed);
    let since = now().saturating_sub(last);
    if last == 0 || since < STUCK_AFTER_SECS {
        Ok(())
    } else {
        Err(since)
    }
}
