//! Event IDs: auditd's `seconds.milliseconds:serial`.
//!
//! The kernel stamps records with the boot clock (monotonic, counts suspend);
//! the wall-clock time is that plus the boot time, taken once at start.

pub struct Clock {
    boot_realtime_ns: i128,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventId {
    pub secs: u64,
    pub millis: u32,
    pub serial: u64,
}

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:03}:{}", self.secs, self.millis, self.serial)
    }
}

fn now_ns(clock: libc::clockid_t) -> i128 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid out-pointer; both clocks exist on every Linux.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as i128 * 1_000_000_000 + ts.tv_nsec as i128
}

/// Hands out event IDs: wall-clock time and a serial that counts the
/// records written.
pub struct Ids {
    clock: Clock,
    serial: u64,
}

impl Ids {
    pub fn new() -> Self {
        Self {
            clock: Clock::new(),
            serial: 0,
        }
    }

    /// The next ID, for a record the kernel stamped `ts_boot_ns`.
    pub fn next(&mut self, ts_boot_ns: u64) -> EventId {
        self.serial += 1;
        self.clock.id(ts_boot_ns, self.serial)
    }

    /// The next ID for a record the sensor makes itself, stamped now.
    pub fn next_now(&mut self) -> EventId {
        self.next(boot_ns())
    }
}

/// `CLOCK_BOOTTIME` now, the clock the kernel stamps records with.
pub fn boot_ns() -> u64 {
    now_ns(libc::CLOCK_BOOTTIME) as u64
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock {
    pub fn new() -> Self {
        Self {
            boot_realtime_ns: now_ns(libc::CLOCK_REALTIME) - now_ns(libc::CLOCK_BOOTTIME),
        }
    }

    /// Milliseconds since the epoch at `ts_boot_ns`.
    pub fn millis(&self, ts_boot_ns: u64) -> u64 {
        ((self.boot_realtime_ns + ts_boot_ns as i128).max(0) / 1_000_000) as u64
    }

    pub fn id(&self, ts_boot_ns: u64, serial: u64) -> EventId {
        let ns = (self.boot_realtime_ns + ts_boot_ns as i128).max(0) as u128;
        EventId {
            secs: (ns / 1_000_000_000) as u64,
            millis: ((ns / 1_000_000) % 1000) as u32,
            serial,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_like_auditd_and_track_the_wall_clock() {
        let id = EventId {
            secs: 1700000000,
            millis: 20,
            serial: 101,
        };
        assert_eq!(id.to_string(), "1700000000.020:101");
        let clock = Clock::new();
        let now = clock.id(now_ns(libc::CLOCK_BOOTTIME) as u64, 1);
        let wall = (now_ns(libc::CLOCK_REALTIME) / 1_000_000_000) as u64;
        assert!(now.secs.abs_diff(wall) <= 1);
    }
}
