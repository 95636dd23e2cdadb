//! A sink's disk spool: what its queue could not hold, kept in order until
//! the destination takes it, across restarts.
//!
//! A directory of segment files named by a 20-digit sequence number, read
//! lowest first, appended to highest last, each holding complete lines. A
//! `cursor` file keeps how far into the lowest segment delivery got, so a
//! restart resumes there instead of sending again. The directory is made on
//! first use only, and locked (flock on its `lock` file) while a sensor uses
//! it, so two sensors given the same directory never mix their spools.

use std::{
    collections::VecDeque,
    fs::{self, File},
    io::Write,
    os::{fd::AsRawFd, unix::fs::FileExt},
    path::PathBuf,
};

use anyhow::{Context, Result};
use bytes::Bytes;

use super::{
    fs::{self as files, Mode},
    queue::lines,
};

/// A segment is closed and a new one started past this size.
const SEGMENT_BYTES: u64 = 8 << 20;
/// First sequence number: leaves room below for [`Spool::prepend`].
const FIRST_SEQ: u64 = 1 << 40;

struct Segment {
    seq: u64,
    len: u64,
}

pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    segments: VecDeque<Segment>,
    /// Delivered bytes of the first segment.
    cursor: u64,
    /// The last segment, open for appending.
    writer: Option<File>,
    /// Held while this process owns the directory.
    lock: Option<File>,
    /// Undelivered bytes and records (lines).
    pub bytes: u64,
    pub records: u64,
}

impl Spool {
    /// Takes up what an earlier run left in `dir`.
    pub fn open(dir: PathBuf, max_bytes: u64) -> Result<Self> {
        let mut spool = Self {
            dir,
            max_bytes,
            segments: VecDeque::new(),
            cursor: 0,
            writer: None,
            lock: None,
            bytes: 0,
            records: 0,
        };
        let entries = match fs::read_dir(&spool.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(spool),
            Err(e) => {
                return Err(e).with_context(|| format!("reading the spool {}", spool.dir.display()))
            }
        };
        let mut seqs: Vec<u64> = entries
            .filter_map(|e| {
                e.ok()?
                    .file_name()
                    .to_str()?
                    .strip_suffix(".seg")?
                    .parse()
                    .ok()
            })
            .collect();
        seqs.sort_unstable();
        if seqs.is_empty() {
            return Ok(spool);
        }
        if let Err(e) = spool.lock() {
            // Another sensor's records: not ours to send.
            log::warn!("{e:#}; its records are left alone");
            return Ok(spool);
        }
        for seq in seqs {
            let data = files::read(&spool.path(seq))?;
            // A segment cut short by a crash ends in part of a line: drop it.
            let len = data.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) as u64;
            spool.records += lines(&data);
            spool.bytes += len;
            spool.segments.push_back(Segment { seq, len });
        }
        if let Ok(c) = files::read(&spool.dir.join("cursor")) {
            let c = String::from_utf8_lossy(&c);
            if let (Ok(cursor), Some(first)) = (c.trim().parse::<u64>(), spool.segments.front()) {
                if cursor <= first.len {
                    let data = files::read(&spool.path(first.seq))?;
                    spool.records -= lines(&data[..cursor as usize]);
                    spool.bytes -= cursor;
                    spool.cursor = cursor;
                }
            }
        }
        Ok(spool)
    }

    fn path(&self, seq: u64) -> PathBuf {
        self.dir.join(format!("{seq:020}.seg"))
    }

    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    /// Appends complete lines at the end. Returns false, keeping nothing,
    /// when they do not fit in the spool's size, unless `always` (LOST
    /// records, which must not be lost for lack of room themselves).
    pub fn append(&mut self, data: &[u8], always: bool) -> Result<bool> {
        if !always && self.bytes + data.len() as u64 > self.max_bytes {
            return Ok(false);
        }
        let last_full = self.segments.back().is_none_or(|s| s.len >= SEGMENT_BYTES);
        if self.writer.is_none() || last_full {
            let seq = self.segments.back().map_or(FIRST_SEQ, |s| s.seq + 1);
            self.writer = Some(self.create(seq)?);
            self.segments.push_back(Segment { seq, len: 0 });
        }
        let writer = self.writer.as_mut().expect("opened above");
        writer
            .write_all(data)
            .with_context(|| format!("writing to the spool {}", self.dir.display()))?;
        self.segments.back_mut().expect("pushed above").len += data.len() as u64;
        self.bytes += data.len() as u64;
        self.records += lines(data);
        Ok(true)
    }

    /// Puts complete lines before everything spooled (a queue's records,
    /// older than the spool's, saved at shutdown). Never refused.
    pub fn prepend(&mut self, data: &[u8]) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        let Some(first) = self.segments.front() else {
            return self.append(data, true).map(drop);
        };
        let seq = first.seq - 1;
        if self.cursor > 0 {
            // The partly delivered segment starts after its cursor now.
            self.rewrite_first_without_delivered()?;
        }
        self.create(seq)?
            .write_all(data)
            .with_context(|| format!("writing to the spool {}", self.dir.display()))?;
        self.segments.push_front(Segment {
            seq,
            len: data.len() as u64,
        });
        self.bytes += data.len() as u64;
        self.records += lines(data);
        Ok(())
    }

    fn rewrite_first_without_delivered(&mut self) -> Result<()> {
        let first = self.segments.front_mut().expect("caller checked");
        let path = self.dir.join(format!("{:020}.seg", first.seq));
        let data = files::read(&path)?;
        let rest = &data[self.cursor as usize..first.len as usize];
        let tmp = path.with_extension("tmp");
        files::write(&tmp, rest, Mode::PRIVATE)?;
        fs::rename(&tmp, &path)?;
        first.len = rest.len() as u64;
        self.cursor = 0;
        if self.segments.len() == 1 {
            self.writer = None;
        }
        self.save_cursor()
    }

    /// Makes the directory this process's, or fails naming who has it.
    fn lock(&mut self) -> Result<()> {
        if self.lock.is_some() {
            return Ok(());
        }
        files::create_dir_all(&self.dir, Mode::PRIVATE)
            .with_context(|| format!("creating the spool directory {}", self.dir.display()))?;
        let file = files::lock_file(&self.dir.join("lock"))?;
        // SAFETY: a valid fd; flock has no memory effects.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            anyhow::bail!(
                "the spool {} is in use by another sensor: give each its own --spool-dir",
                self.dir.display()
            );
        }
        self.lock = Some(file);
        Ok(())
    }

    fn create(&mut self, seq: u64) -> Result<File> {
        self.lock()?;
        files::append(&self.path(seq), Mode::PRIVATE)
    }

    /// The oldest undelivered lines, at most `max` bytes (at least one line).
    pub fn peek(&self, max: usize) -> Result<Option<Bytes>> {
        let Some(first) = self.segments.iter().find(|s| s.len > 0) else {
            return Ok(None);
        };
        let start = if first.seq == self.segments[0].seq {
            self.cursor
        } else {
            0
        };
        let want = (first.len - start).min(max.max(1) as u64) as usize;
        let path = self.path(first.seq);
        let file = files::open_read(&path)?;
        let mut buf = vec![0; want];
        file.read_exact_at(&mut buf, start)
            .with_context(|| format!("reading {}", path.display()))?;
        match buf.iter().rposition(|&b| b == b'\n') {
            Some(end) => buf.truncate(end + 1),
            None => {
                // One line longer than `max`: take it whole.
                let mut line = Vec::new();
                let mut off = start;
                let mut chunk = [0u8; 64 << 10];
                loop {
                    let n = file.read_at(&mut chunk, off)?;
                    if n == 0 {
                        break;
                    }
                    if let Some(end) = chunk[..n].iter().position(|&b| b == b'\n') {
                        line.extend_from_slice(&chunk[..=end]);
                        break;
                    }
                    line.extend_from_slice(&chunk[..n]);
                    off += n as u64;
                }
                buf = line;
            }
        }
        Ok(Some(Bytes::from(buf)))
    }

    /// `data`, the result of the last [`peek`](Self::peek), was delivered.
    pub fn commit(&mut self, data: &[u8]) -> Result<()> {
        while self.segments.front().is_some_and(|s| s.len == 0) && self.segments.len() > 1 {
            let s = self.segments.pop_front().expect("checked");
            let _ = fs::remove_file(self.path(s.seq));
        }
        self.cursor += data.len() as u64;
        self.bytes -= data.len() as u64;
        self.records -= lines(data);
        let first = self.segments.front().expect("data came from it");
        if self.cursor >= first.len {
            let seq = first.seq;
            self.segments.pop_front();
            if self.segments.is_empty() {
                self.writer = None;
            }
            fs::remove_file(self.path(seq))
                .with_context(|| format!("removing the delivered {}", self.path(seq).display()))?;
            self.cursor = 0;
        }
        self.save_cursor()
    }

    fn save_cursor(&self) -> Result<()> {
        let path = self.dir.join("cursor");
        if self.cursor == 0 {
            return match fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            };
        }
        files::write(&path, self.cursor.to_string().as_bytes(), Mode::PRIVATE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("sensor-spool-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn lines_come_back_in_order_across_a_reopen_and_a_prepend() {
        let d = dir("order");
        let mut s = Spool::open(d.clone(), 1 << 20).unwrap();
        s.append(b"1\n2\n", false).unwrap();
        s.append(b"3\n", false).unwrap();
        let first = s.peek(2).unwrap().unwrap();
        assert_eq!(&first[..], b"1\n");
        s.commit(&first).unwrap();
        drop(s);
        let mut s = Spool::open(d.clone(), 1 << 20).unwrap();
        assert_eq!((s.records, s.bytes), (2, 4));
        s.prepend(b"0\n").unwrap();
        let mut all = Vec::new();
        while let Some(b) = s.peek(100).unwrap() {
            all.extend_from_slice(&b);
            s.commit(&b).unwrap();
        }
        assert_eq!(all, b"0\n2\n3\n");
        assert!(s.is_empty());
        assert!(fs::read_dir(&d)
            .unwrap()
            .all(|e| e.unwrap().file_name() == "lock"));
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn a_spool_in_use_is_left_alone() {
        let d = dir("locked");
        let mut s = Spool::open(d.clone(), 1 << 20).unwrap();
        s.append(b"1\n", false).unwrap();
        let mut other = Spool::open(d.clone(), 1 << 20).unwrap();
        assert_eq!(other.records, 0);
        let e = other.append(b"2\n", false).err().unwrap();
        assert!(
            format!("{e:#}").contains("in use by another sensor"),
            "{e:#}"
        );
        drop((s, other));
        assert_eq!(Spool::open(d.clone(), 1 << 20).unwrap().records, 1);
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn a_full_spool_refuses_all_but_lost_records() {
        let d = dir("full");
        let mut s = Spool::open(d.clone(), 4).unwrap();
        assert!(s.append(b"ab\n", false).unwrap());
        assert!(!s.append(b"cd\n", false).unwrap());
        assert!(s.append(b"LOST\n", true).unwrap());
        assert_eq!(s.records, 2);
        fs::remove_dir_all(d).unwrap();
    }
}
