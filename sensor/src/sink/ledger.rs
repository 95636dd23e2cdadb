//! A sink's ledger: how many records it owes, in a small file of its spool
//! directory mapped into memory, so that what a process killed outright
//! (SIGKILL, the OOM killer, a panic) owed is known at the next start and
//! reported there, in-band, as lost.
//!
//! A record read from the ring buffer is owed to every sink until it is
//! settled for that sink: filtered out, delivered from the memory queue, or
//! written to the disk spool (which a restart sends). A LOST record is owed
//! as the number of records it reports, so a report that dies in a queue
//! is reported again; a record a sink drops stays owed until a LOST record
//! that counts it is settled. Two counters only grow, `owed` and `settled`,
//! each step one atomic add by whichever thread does the work, so the
//! difference is at every instant what the sink would lose if the process
//! died then; every step adds what becomes owed before it settles what that
//! replaces, so a kill between two steps can count a record twice, never
//! miss one. The spool keeps its positions here too (see `spool`).
//!
//! The mapping is the file's page cache: it survives the process, not the
//! machine losing power (nor does the spool: neither is fsync'd, as a sync
//! per batch would cost the pipeline more than the 10% it may spend).
//!
//! The file is made as [`super::fs`] makes files (0600, never through a
//! link, never a file with other hard links), so no other user can read or
//! falsify what the next start reports.

use std::{
    path::{Path, PathBuf},
    ptr::NonNull,
    sync::{
        atomic::{AtomicU64, Ordering::Relaxed},
        Arc,
    },
};

use anyhow::{bail, Context, Result};

use super::fs::{self, Mode};

const MAGIC: u64 = u64::from_le_bytes(*b"SNSLDGR1");
const SLOTS: usize = 8;
const MAGIC_SLOT: usize = 0;
const OWED: usize = 1;
const SETTLED: usize = 2;
const SPOOL_NEXT: usize = 3;
const SPOOL_CURSOR: usize = 4;

/// What a ledger says at start-up, or should say.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct State {
    /// Records owed and not settled.
    pub owed: u64,
    /// The sequence number of the next frame the spool writes.
    pub spool_next: u64,
    /// Frames numbered below this were delivered.
    pub spool_cursor: u64,
}

pub struct Ledger {
    slots: NonNull<AtomicU64>,
    /// None for a ledger in memory only.
    path: Option<PathBuf>,
}

// SAFETY: the mapping is only accessed through atomics, and lives as long
// as the Ledger.
unsafe impl Send for Ledger {}
unsafe impl Sync for Ledger {}

fn path(dir: &Path) -> PathBuf {
    dir.join("ledger")
}

impl Ledger {
    /// What the ledger in `dir` says; None if there is none (a first run,
    /// or a spool from before ledgers).
    pub fn read(dir: &Path) -> Result<Option<State>> {
        let path = path(dir);
        let Some(data) = fs::read(&path)? else {
            return Ok(None);
        };
        let slot = |i: usize| {
            data.get(i * 8..i * 8 + 8)
                .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
        };
        if data.len() != SLOTS * 8 || slot(MAGIC_SLOT) != Some(MAGIC) {
            bail!(
                "{} is not a sensor ledger ({} bytes): move it away",
                path.display(),
                data.len()
            );
        }
        let [owed, settled, spool_next, spool_cursor] =
            [OWED, SETTLED, SPOOL_NEXT, SPOOL_CURSOR].map(|i| slot(i).expect("checked"));
        Ok(Some(State {
            owed: owed.saturating_sub(settled),
            spool_next,
            spool_cursor,
        }))
    }

    /// Writes a new ledger in `dir` saying `state` (whole, or not at all),
    /// and maps it.
    pub fn create(dir: &Path, state: State) -> Result<Self> {
        let mut bytes = [0u8; SLOTS * 8];
        for (i, v) in [
            (MAGIC_SLOT, MAGIC),
            (OWED, state.owed),
            (SPOOL_NEXT, state.spool_next),
            (SPOOL_CURSOR, state.spool_cursor),
        ] {
            bytes[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        let path = path(dir);
        let file = fs::replace(&path, &bytes, Mode::PRIVATE)?;
        let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
        // SAFETY: maps the file's 64 bytes, shared, so stores reach its page
        // cache; the fd may be closed once mapped.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                SLOTS * 8,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error())
                .with_context(|| format!("mapping {}", path.display()));
        }
        Ok(Self {
            slots: NonNull::new(ptr.cast()).context("mmap returned null")?,
            path: Some(path),
        })
    }

    /// A ledger in memory only, for a sink whose spool directory another
    /// sensor holds: nothing is known after a crash.
    pub fn in_memory(state: State) -> Self {
        let slots: Box<[AtomicU64; SLOTS]> = Box::default();
        let ledger = Self {
            slots: NonNull::from(Box::leak(slots)).cast(),
            path: None,
        };
        ledger.slot(OWED).store(state.owed, Relaxed);
        ledger.set_spool_next(state.spool_next);
        ledger.set_spool_cursor(state.spool_cursor);
        ledger
    }

    fn slot(&self, i: usize) -> &AtomicU64 {
        // SAFETY: i < SLOTS, in a live mapping of SLOTS aligned u64s.
        unsafe { &*self.slots.as_ptr().add(i) }
    }

    /// `n` more records owed.
    pub fn owe(&self, n: u64) {
        self.slot(OWED).fetch_add(n, Relaxed);
    }

    /// `n` owed records settled.
    pub fn settle(&self, n: u64) {
        self.slot(SETTLED).fetch_add(n, Relaxed);
    }

    /// Owed and not settled now.
    pub fn owed(&self) -> u64 {
        let settled = self.slot(SETTLED).load(Relaxed);
        self.slot(OWED).load(Relaxed).saturating_sub(settled)
    }

    pub fn spool_next(&self) -> u64 {
        self.slot(SPOOL_NEXT).load(Relaxed)
    }

    pub fn set_spool_next(&self, seq: u64) {
        self.slot(SPOOL_NEXT).store(seq, Relaxed);
    }

    pub fn spool_cursor(&self) -> u64 {
        self.slot(SPOOL_CURSOR).load(Relaxed)
    }

    pub fn set_spool_cursor(&self, seq: u64) {
        self.slot(SPOOL_CURSOR).store(seq, Relaxed);
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        match self.path {
            // SAFETY: the mapping made in `create`, unmapped once.
            Some(_) => unsafe {
                libc::munmap(self.slots.as_ptr().cast(), SLOTS * 8);
            },
            // SAFETY: the box leaked in `in_memory`, freed once.
            None => {
                drop(unsafe { Box::from_raw(self.slots.as_ptr().cast::<[AtomicU64; SLOTS]>()) })
            }
        }
    }
}

/// Where the stages before the sinks count what they take from the ring
/// buffer and what they filter out: every sink owes a record from the
/// moment it is read, so one that dies in the pipeline (waiting for more
/// records, or for its container's metadata) is counted too.
#[derive(Default)]
pub struct Intake {
    ledgers: Vec<Arc<Ledger>>,
    /// Records read and not yet filtered out or handed to the sinks: what
    /// a sink started now (SIGHUP) owes from the start.
    in_pipeline: AtomicU64,
}

impl Intake {
    /// `n` records read.
    pub fn take(&self, n: u64) {
        self.in_pipeline.fetch_add(n, Relaxed);
        for l in &self.ledgers {
            l.owe(n);
        }
    }

    /// `n` records filtered out: no sink gets them.
    pub fn discard(&self, n: u64) {
        self.handed(n);
        for l in &self.ledgers {
            l.settle(n);
        }
    }

    /// `n` records handed to the sinks (each owes them until it settles).
    pub fn handed(&self, n: u64) {
        self.in_pipeline.fetch_sub(n, Relaxed);
    }

    /// The sinks' ledgers are now `ledgers`; one new among them owes what
    /// the pipeline holds.
    pub fn set(&mut self, ledgers: Vec<Arc<Ledger>>) {
        let held = self.in_pipeline.load(Relaxed);
        for l in &ledgers {
            if !self.ledgers.iter().any(|old| Arc::ptr_eq(old, l)) {
                l.owe(held);
            }
        }
        self.ledgers = ledgers;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("sensor-ledger-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn what_is_owed_outlives_the_mapping() {
        let d = dir("outlives");
        assert_eq!(Ledger::read(&d).unwrap(), None);
        let start = State {
            owed: 3,
            spool_next: 10,
            spool_cursor: 7,
        };
        let ledger = Ledger::create(&d, start).unwrap();
        ledger.owe(5);
        ledger.settle(2);
        ledger.set_spool_next(12);
        assert_eq!(ledger.owed(), 6);
        // As after a kill: the process's view is gone, the file says it.
        std::mem::forget(ledger);
        let seen = Ledger::read(&d).unwrap().unwrap();
        assert_eq!(
            seen,
            State {
                owed: 6,
                spool_next: 12,
                spool_cursor: 7
            }
        );
        std::fs::write(d.join("ledger"), b"junk").unwrap();
        let e = Ledger::read(&d).unwrap_err().to_string();
        assert!(e.contains("not a sensor ledger"), "{e}");
        std::fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn a_sink_started_later_owes_what_the_pipeline_holds() {
        let a = Arc::new(Ledger::in_memory(State {
            owed: 0,
            spool_next: 0,
            spool_cursor: 0,
        }));
        let mut intake = Intake::default();
        intake.set(vec![a.clone()]);
        intake.take(10);
        intake.discard(3);
        intake.handed(4);
        assert_eq!(a.owed(), 7);
        let b = Arc::new(Ledger::in_memory(State {
            owed: 0,
            spool_next: 0,
            spool_cursor: 0,
        }));
        intake.set(vec![a.clone(), b.clone()]);
        assert_eq!((a.owed(), b.owed()), (7, 3));
    }
}
