//! A sink's disk spool: what its queue could not hold, kept in order until
//! the destination takes it, across restarts.
//!
//! A directory of segment files named by a 20-digit number, read lowest
//! first, appended to highest last. Each holds frames: a 24-byte header
//! (magic `SPL1`, a CRC-32 of the rest, the payload's length, its weight in
//! the ledger, a sequence number) and one record (a JSON line, or an auditd
//! event's lines). Sequence numbers run on from frame to frame and segment
//! to segment; the sink's [`Ledger`] keeps the next one and the cursor
//! (frames numbered below it were delivered), so a restart resumes where
//! delivery stopped, and knows exactly which frames are missing.
//!
//! A frame cut short (a write stopped by a full disk, a crash) or damaged
//! fails its length or CRC check: it is skipped and counted as lost, never
//! joined to the next. A failed write is cut back to the last whole frame,
//! so later frames never follow a torn one. At start, every segment is
//! checked; the frames missing between the cursor and the next number, and
//! what the previous run still owed (it did not stop cleanly), are the
//! records lost, which the sink reports in-band. A spool of plain lines (as
//! written before frames) is converted at start: its complete lines are
//! kept, a cut last line is counted as lost.
//!
//! The directory is made at start and locked (flock on its `lock` file)
//! while a sensor uses it, so two sensors given the same directory never
//! mix their spools or ledgers. Its files are made as [`super::fs`] makes
//! them: 0600 in a 0700 directory, never through a link.

use std::{
    collections::VecDeque,
    fs::File,
    io::Write,
    os::unix::fs::FileExt,
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::{Context, Result};
use bytes::{Bytes, BytesMut};

use super::{
    batch::Batch,
    fs::{self, Mode},
    ledger::{Ledger, State},
};

/// A segment is closed and a new one started past this size.
const SEGMENT_BYTES: u64 = 8 << 20;
/// First segment number and first sequence number: leaves room below for
/// [`Spool::prepend`].
const FIRST: u64 = 1 << 40;
const MAGIC: [u8; 4] = *b"SPL1";
const HEADER: usize = 24;

/// Appends one frame holding `payload`.
fn frame(out: &mut Vec<u8>, seq: u64, weight: u64, payload: &[u8]) {
    let mut head = [0u8; HEADER];
    head[..4].copy_from_slice(&MAGIC);
    head[8..12].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    head[12..16].copy_from_slice(&(weight.min(u32::MAX as u64) as u32).to_le_bytes());
    head[16..24].copy_from_slice(&seq.to_le_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(&head[8..]);
    crc.update(payload);
    head[4..8].copy_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(&head);
    out.extend_from_slice(payload);
}

/// A whole, intact frame found in a buffer.
#[derive(Clone, Copy, Debug)]
struct Frame {
    seq: u64,
    weight: u64,
    /// Where the frame (header included) starts and ends in the buffer.
    start: usize,
    end: usize,
}

impl Frame {
    fn payload<'a>(&self, data: &'a [u8]) -> &'a [u8] {
        &data[self.start + HEADER..self.end]
    }
}

/// The frame at `at`: Ok(None) if `data` ends inside it (read more), Err
/// if it is not a frame (damaged, or cut and followed by something else).
fn frame_at(data: &[u8], at: usize) -> Result<Option<Frame>, ()> {
    let rest = &data[at..];
    if rest.len() < HEADER {
        return if MAGIC.starts_with(&rest[..rest.len().min(4)]) {
            Ok(None)
        } else {
            Err(())
        };
    }
    let word = |i: usize| u32::from_le_bytes(rest[i..i + 4].try_into().expect("4 bytes"));
    if rest[..4] != MAGIC {
        return Err(());
    }
    let len = word(8) as usize;
    if rest.len() < HEADER + len {
        return Ok(None);
    }
    let mut crc = crc32fast::Hasher::new();
    crc.update(&rest[8..HEADER + len]);
    if crc.finalize() != word(4) {
        return Err(());
    }
    Ok(Some(Frame {
        seq: u64::from_le_bytes(rest[16..24].try_into().expect("8 bytes")),
        weight: word(12) as u64,
        start: at,
        end: at + HEADER + len,
    }))
}

/// Every intact frame of a segment, and whether it ends in something that
/// is not one (a torn or damaged tail).
fn parse(data: &[u8]) -> (Vec<Frame>, bool) {
    let (mut frames, mut at, mut torn_tail) = (Vec::new(), 0, false);
    while at < data.len() {
        match frame_at(data, at) {
            Ok(Some(f)) => {
                at = f.end;
                frames.push(f);
                torn_tail = false;
            }
            Ok(None) => {
                torn_tail = true;
                break;
            }
            Err(()) => {
                // Damage: the next intact frame is found by its magic.
                torn_tail = true;
                match memchr::memmem::find_iter(&data[at + 1..], &MAGIC)
                    .map(|i| at + 1 + i)
                    .find(|&i| matches!(frame_at(data, i), Ok(Some(_))))
                {
                    Some(next) => at = next,
                    None => break,
                }
            }
        }
    }
    (frames, torn_tail)
}

/// A plain-lines segment (before frames) as frames numbered from `seq`:
/// its complete lines after `skip` bytes, and whether a cut line was left.
fn convert(data: &[u8], skip: usize, seq: u64) -> (Vec<u8>, u64, bool) {
    let body = &data[skip.min(data.len())..];
    let whole = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut out = Vec::with_capacity(whole + whole / 16);
    let mut n = 0;
    for line in body[..whole].split_inclusive(|&b| b == b'\n') {
        frame(&mut out, seq + n, 1, line);
        n += 1;
    }
    (out, n, whole < body.len())
}

struct Segment {
    num: u64,
    /// Bytes in it (the frames this process knows of).
    len: u64,
    /// Sequence number of its first frame.
    first: u64,
}

/// The oldest undelivered records, read by [`Spool::peek`].
pub struct Peeked {
    /// Their lines, end to end.
    pub data: Bytes,
    pub records: u64,
    /// Framed bytes they take in their segment.
    framed: u64,
    /// The sequence number after the last.
    next: u64,
}

pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    segments: VecDeque<Segment>,
    /// Delivered bytes of the first segment.
    read_off: u64,
    /// The last segment, open for appending.
    writer: Option<File>,
    /// Held while this process owns the directory.
    _lock: Option<File>,
    /// Why nothing can be spooled (another sensor holds the directory).
    unavailable: Option<String>,
    ledger: Arc<Ledger>,
    /// Undelivered framed bytes and records.
    pub bytes: u64,
    pub records: u64,
    /// Records found lost: at start (what the previous run owed, frames
    /// missing or damaged) and since (frames found damaged when read).
    /// The queue takes and reports them.
    pub found_lost: u64,
}

impl Spool {
    /// Makes and locks `dir`, takes up what an earlier run left there,
    /// counts what it lost, and starts a new ledger.
    pub fn open(dir: PathBuf, max_bytes: u64) -> Result<Self> {
        fs::create_dir_all(&dir, Mode::PRIVATE)
            .with_context(|| format!("creating the spool directory {}", dir.display()))?;
        let Some(lock) = fs::lock(&dir)? else {
            // Another sensor's records: not ours to send.
            let why = format!(
                "the spool {} is in use by another sensor: give each its own --spool-dir",
                dir.display()
            );
            log::warn!(
                "{why}; its records are left alone, and this sensor spools nothing there \
                 (nor knows after a crash what it lost)"
            );
            return Ok(Self::empty(dir, max_bytes, Some(why)));
        };
        let previous = Ledger::read(&dir).unwrap_or_else(|e| {
            log::warn!("{e:#}; what the previous run did not deliver is unknown");
            None
        });
        let mut spool = Self::empty(dir, max_bytes, None);
        spool._lock = Some(lock);
        let (next, found) = spool.take_up(previous)?;
        let owed = previous.map_or(0, |p| p.owed);
        spool.found_lost = owed.saturating_sub(found.beyond) + found.missing;
        let cursor = spool.segments.front().map_or(next, |s| s.first);
        spool.ledger = Arc::new(Ledger::create(
            &spool.dir,
            State {
                owed: spool.found_lost,
                spool_next: next,
                spool_cursor: cursor,
            },
        )?);
        Ok(spool)
    }

    fn empty(dir: PathBuf, max_bytes: u64, unavailable: Option<String>) -> Self {
        Self {
            dir,
            max_bytes,
            segments: VecDeque::new(),
            read_off: 0,
            writer: None,
            _lock: None,
            unavailable,
            ledger: Arc::new(Ledger::in_memory(State {
                owed: 0,
                spool_next: FIRST,
                spool_cursor: FIRST,
            })),
            bytes: 0,
            records: 0,
            found_lost: 0,
        }
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    fn path(&self, num: u64) -> PathBuf {
        self.dir.join(format!("{num:020}.seg"))
    }

    /// The segments' numbers, lowest first (and rewrites that never got
    /// renamed into place removed).
    fn segment_numbers(&self) -> Result<Vec<u64>> {
        let mut nums: Vec<u64> = Vec::new();
        for entry in std::fs::read_dir(&self.dir)
            .with_context(|| format!("reading the spool {}", self.dir.display()))?
        {
            let name = entry?.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(num) = name.strip_suffix(".seg").and_then(|n| n.parse().ok()) {
                nums.push(num);
            } else if name.ends_with(".tmp") {
                fs::remove(&self.dir.join(name))?;
            }
        }
        nums.sort_unstable();
        Ok(nums)
    }

    /// A segment of plain lines rewritten as frames numbered from `seq`
    /// (the first segment resumes at the old `cursor` file's offset);
    /// returns the frames and whether a cut last line was dropped.
    fn convert_plain(
        &self,
        path: &Path,
        data: &[u8],
        first: bool,
        seq: u64,
    ) -> Result<(Vec<u8>, bool)> {
        let legacy_cursor = self.dir.join("cursor");
        let skip = match fs::read(&legacy_cursor)? {
            Some(c) if first => String::from_utf8_lossy(&c).trim().parse().unwrap_or(0),
            _ => 0,
        };
        let (framed, n, cut) = convert(data, skip, seq);
        fs::replace(path, &framed, Mode::PRIVATE)?;
        fs::remove(&legacy_cursor)?;
        log::info!(
            "spool {}: {} converted to frames ({n} records{})",
            self.dir.display(),
            path.display(),
            if cut {
                ", a cut last line counted as lost"
            } else {
                ""
            }
        );
        Ok((framed, cut))
    }

    /// Reads every segment: keeps the undelivered intact frames (rewriting
    /// a segment that holds anything else), converts plain lines, and
    /// returns the next sequence number and what is missing.
    fn take_up(&mut self, previous: Option<State>) -> Result<(u64, Missing)> {
        let cursor = previous.map(|p| p.spool_cursor);
        let mut missing = Missing::default();
        // The sequence number the next intact frame should have.
        let mut expected = cursor;
        let mut torn_tail = false;
        for (i, num) in self.segment_numbers()?.into_iter().enumerate() {
            let path = self.path(num);
            let mut data = fs::read(&path)?.unwrap_or_default();
            if !data.is_empty() && !data.starts_with(&MAGIC) {
                let from = *expected.get_or_insert(FIRST);
                let (framed, cut) = self.convert_plain(&path, &data, i == 0, from)?;
                missing.missing += u64::from(cut);
                data = framed;
            }
            let (frames, torn) = parse(&data);
            torn_tail = torn;
            let mut keep = Vec::with_capacity(frames.len());
            for f in &frames {
                if cursor.is_some_and(|c| f.seq < c) || expected.is_some_and(|e| f.seq < e) {
                    continue; // delivered, or out of order (never written so)
                }
                if let Some(e) = expected {
                    missing.missing += f.seq - e;
                }
                expected = Some(f.seq + 1);
                if previous.is_some_and(|p| f.seq >= p.spool_next) {
                    // Written, but the previous run died before it counted
                    // them: they are not among what it owed.
                    missing.beyond += f.weight;
                }
                keep.push(*f);
            }
            self.keep_frames(num, &data, &frames, &keep)?;
        }
        fs::remove(&self.dir.join("cursor"))?;
        match (previous, expected) {
            (Some(p), Some(e)) if e < p.spool_next => missing.missing += p.spool_next - e,
            (None, Some(_)) if torn_tail => missing.missing += 1,
            _ => {}
        }
        let next = expected
            .max(previous.map(|p| p.spool_next))
            .unwrap_or(FIRST);
        Ok((next, missing))
    }

    /// Segment `num` (`data`, whose intact frames are `frames`) holds
    /// `keep` from now on: rewritten if that is not all it holds, removed
    /// if nothing.
    fn keep_frames(
        &mut self,
        num: u64,
        data: &[u8],
        frames: &[Frame],
        keep: &[Frame],
    ) -> Result<()> {
        let path = self.path(num);
        let Some(first) = keep.first() else {
            return fs::remove(&path);
        };
        let mut len = data.len() as u64;
        let intact = frames.iter().map(|f| f.end - f.start).sum::<usize>() == data.len();
        if !intact || keep.len() != frames.len() {
            let mut clean = Vec::with_capacity(data.len());
            for f in keep {
                clean.extend_from_slice(&data[f.start..f.end]);
            }
            fs::replace(&path, &clean, Mode::PRIVATE)?;
            len = clean.len() as u64;
        }
        self.records += keep.len() as u64;
        self.bytes += len;
        self.segments.push_back(Segment {
            num,
            len,
            first: first.seq,
        });
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    /// Appends `batch` at the end and settles it in the ledger. Returns
    /// false, keeping nothing, when it does not fit in the spool's size,
    /// unless `always` (LOST records, which must not be lost for lack of
    /// room themselves). A failed write keeps nothing either.
    pub fn append(&mut self, batch: &Batch, always: bool) -> Result<bool> {
        if let Some(why) = &self.unavailable {
            anyhow::bail!("{why}");
        }
        let next = self.ledger.spool_next();
        let mut framed = Vec::with_capacity(batch.data.len() + batch.records() as usize * HEADER);
        for (i, record) in batch.iter().enumerate() {
            frame(&mut framed, next + i as u64, batch.weight, record);
        }
        if !always && self.bytes + framed.len() as u64 > self.max_bytes {
            return Ok(false);
        }
        let last_full = self.segments.back().is_none_or(|s| s.len >= SEGMENT_BYTES);
        if self.writer.is_none() || last_full {
            let num = self.segments.back().map_or(FIRST, |s| s.num + 1);
            self.writer = Some(fs::append(&self.path(num), Mode::PRIVATE)?);
            self.segments.push_back(Segment {
                num,
                len: 0,
                first: next,
            });
        }
        let writer = self.writer.as_mut().expect("opened above");
        let seg = self.segments.back_mut().expect("pushed above");
        if let Err(e) = writer.write_all(&framed) {
            // Nothing after a torn frame: cut it off. If even that fails,
            // this segment takes no more, this run reads it only up to
            // here, and its numbers are not reused (a restart would send
            // the whole frames that made it, though counted as dropped).
            if writer.set_len(seg.len).is_err() {
                self.writer = None;
                self.ledger.set_spool_next(next + batch.records());
            }
            return Err(e).with_context(|| format!("writing to the spool {}", self.dir.display()));
        }
        seg.len += framed.len() as u64;
        self.bytes += framed.len() as u64;
        self.records += batch.records();
        self.ledger.set_spool_next(next + batch.records());
        self.ledger.settle(batch.settles());
        Ok(true)
    }

    /// Puts a queue's batches, older than everything spooled, before it
    /// (at shutdown), and settles them. Never refused for size.
    pub fn prepend(&mut self, batches: &[Batch]) -> Result<()> {
        self.drop_delivered_segments()?;
        if self.segments.is_empty() {
            for b in batches {
                self.append(b, true)?;
            }
            return Ok(());
        }
        if self.read_off > 0 {
            // The partly delivered segment starts at its cursor now.
            let path = self.path(self.segments[0].num);
            let first = self.segments.front_mut().expect("checked");
            let mut rest = vec![0; (first.len - self.read_off) as usize];
            fs::open_read(&path)?
                .read_exact_at(&mut rest, self.read_off)
                .with_context(|| format!("reading {}", path.display()))?;
            fs::replace(&path, &rest, Mode::PRIVATE)?;
            first.len = rest.len() as u64;
            first.first = self.ledger.spool_cursor();
            self.read_off = 0;
            if self.segments.len() == 1 {
                self.writer = None;
            }
        }
        let records: u64 = batches.iter().map(Batch::records).sum();
        if records == 0 {
            return Ok(());
        }
        let first_seq = self.ledger.spool_cursor() - records;
        let mut framed = Vec::new();
        let mut seq = first_seq;
        for b in batches {
            for record in b.iter() {
                frame(&mut framed, seq, b.weight, record);
                seq += 1;
            }
        }
        let num = self.segments[0].num - 1;
        fs::replace(&self.path(num), &framed, Mode::PRIVATE)?;
        self.segments.push_front(Segment {
            num,
            len: framed.len() as u64,
            first: first_seq,
        });
        self.bytes += framed.len() as u64;
        self.records += records;
        self.ledger.set_spool_cursor(first_seq);
        self.ledger
            .settle(batches.iter().map(Batch::settles).sum::<u64>());
        Ok(())
    }

    /// At a clean stop: a spool that holds nothing and owes nothing leaves
    /// no files behind (a sink renamed or removed leaves no directory).
    pub fn tidy(&mut self) -> Result<()> {
        self.drop_delivered_segments()?;
        if self.unavailable.is_some() || !self.segments.is_empty() || self.ledger.owed() > 0 {
            return Ok(());
        }
        fs::remove(&self.dir.join("ledger"))?;
        fs::remove(&self.dir.join("lock"))?;
        fs::remove_dir_if_empty(&self.dir);
        Ok(())
    }

    /// Removes the segments at the front that were delivered whole.
    fn drop_delivered_segments(&mut self) -> Result<()> {
        while self
            .segments
            .front()
            .is_some_and(|s| self.read_off >= s.len)
        {
            let s = self.segments.pop_front().expect("checked");
            self.read_off = 0;
            if self.segments.is_empty() {
                self.writer = None;
            }
            fs::remove(&self.path(s.num))?;
        }
        Ok(())
    }

    /// The oldest undelivered records, about `max` bytes of them (at least
    /// one). Frames found damaged on the way are skipped and added to
    /// `found_lost`.
    pub fn peek(&mut self, max: usize) -> Result<Option<Peeked>> {
        loop {
            self.drop_delivered_segments()?;
            let Some(seg) = self.segments.front() else {
                return Ok(None);
            };
            let path = self.path(seg.num);
            let file = fs::open_read(&path)?;
            let left = seg.len - self.read_off;
            let mut buf = vec![0; left.min((max.max(1) + HEADER) as u64) as usize];
            file.read_exact_at(&mut buf, self.read_off)
                .with_context(|| format!("reading {}", path.display()))?;
            let first = match frame_at(&buf, 0) {
                Ok(Some(f)) => Some(f),
                Ok(None) if buf.len() >= HEADER => {
                    // One record longer than `max`: read it whole.
                    let len = u32::from_le_bytes(buf[8..12].try_into().expect("4 bytes"));
                    let whole = HEADER + len as usize;
                    if whole as u64 <= left {
                        buf.resize(whole, 0);
                        file.read_exact_at(&mut buf, self.read_off)
                            .with_context(|| format!("reading {}", path.display()))?;
                    }
                    frame_at(&buf, 0).ok().flatten()
                }
                _ => None,
            };
            if let Some(f) = first {
                return Ok(Some(self.collect(buf, f)));
            }
            self.skip_damaged_segment(&path);
        }
    }

    /// The intact frames at the start of `buf` (the first is `first`).
    fn collect(&self, buf: Vec<u8>, first: Frame) -> Peeked {
        let mut data = BytesMut::with_capacity(buf.len());
        let (mut at, mut records, mut next) = (0, 0, first.seq);
        while let Ok(Some(f)) = frame_at(&buf, at) {
            data.extend_from_slice(f.payload(&buf));
            records += 1;
            next = f.seq + 1;
            at = f.end;
        }
        Peeked {
            data: data.freeze(),
            records,
            framed: at as u64,
            next,
        }
    }

    /// The first segment holds something that is not a frame where the
    /// next one should start (it was damaged while in use): the rest of it
    /// is skipped, and the records it held counted by their numbers.
    fn skip_damaged_segment(&mut self, path: &Path) {
        let seg = self.segments.front().expect("the caller read it");
        let left = seg.len - self.read_off;
        let resume = self
            .segments
            .get(1)
            .map_or(self.ledger.spool_next(), |s| s.first);
        let missing = resume.saturating_sub(self.ledger.spool_cursor());
        log::error!(
            "spool {}: {} is damaged after byte {}: {missing} records skipped",
            self.dir.display(),
            path.display(),
            self.read_off
        );
        self.found_lost += missing;
        self.bytes -= left;
        self.records = self.records.saturating_sub(missing);
        self.read_off = seg.len;
        self.ledger.set_spool_cursor(resume);
    }

    /// `p`, the result of the last [`peek`](Self::peek), was delivered.
    pub fn commit(&mut self, p: &Peeked) -> Result<()> {
        self.read_off += p.framed;
        self.bytes -= p.framed;
        self.records = self.records.saturating_sub(p.records);
        // Before the segment goes: a kill in between leaves frames below
        // the cursor, which the next start drops, never a gap.
        self.ledger.set_spool_cursor(p.next);
        self.drop_delivered_segments()
    }
}

/// What a spool's numbers say is missing.
#[derive(Default)]
struct Missing {
    /// Frames neither intact nor delivered.
    missing: u64,
    /// The weight of frames written after the ledger's last number: the
    /// previous run died before counting them settled.
    beyond: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("sensor-spool-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn batch(lines: &[&str]) -> Batch {
        let ends = lines
            .iter()
            .scan(0, |end, l| {
                *end += l.len() as u32;
                Some(*end)
            })
            .collect();
        Batch::new(lines.concat().into_bytes().into(), ends)
    }

    fn drain(s: &mut Spool, max: usize) -> Vec<u8> {
        let mut all = Vec::new();
        while let Some(p) = s.peek(max).unwrap() {
            all.extend_from_slice(&p.data);
            s.commit(&p).unwrap();
        }
        all
    }

    fn segment_files(d: &Path) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "seg"))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn records_come_back_in_order_across_a_reopen_and_a_prepend() {
        let d = dir("order");
        let mut s = Spool::open(d.clone(), 1 << 20).unwrap();
        s.append(&batch(&["1\n", "2\n"]), false).unwrap();
        s.append(&batch(&["3\n"]), false).unwrap();
        let first = s.peek(2).unwrap().unwrap();
        assert_eq!(&first.data[..], b"1\n");
        s.commit(&first).unwrap();
        drop(s);
        let mut s = Spool::open(d.clone(), 1 << 20).unwrap();
        assert_eq!((s.records, s.found_lost), (2, 0));
        s.prepend(&[batch(&["0\n"])]).unwrap();
        assert_eq!(drain(&mut s, 100), b"0\n2\n3\n");
        assert!(s.is_empty());
        assert!(segment_files(&d).is_empty());
        drop(s);
        let mut s = Spool::open(d.clone(), 1 << 20).unwrap();
        assert_eq!((s.records, s.found_lost), (0, 0));
        s.tidy().unwrap();
        assert!(!d.exists(), "an empty spool leaves nothing behind");
    }

    #[test]
    fn a_spool_in_use_is_left_alone() {
        let d = dir("locked");
        let mut s = Spool::open(d.clone(), 1 << 20).unwrap();
        s.append(&batch(&["1\n"]), false).unwrap();
        let mut other = Spool::open(d.clone(), 1 << 20).unwrap();
        assert_eq!(other.records, 0);
        let e = other.append(&batch(&["2\n"]), false).err().unwrap();
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
        let mut s = Spool::open(d.clone(), 2 * HEADER as u64 + 4).unwrap();
        assert!(s.append(&batch(&["ab\n"]), false).unwrap());
        assert!(!s.append(&batch(&["cd\n", "ef\n"]), false).unwrap());
        assert!(s.append(&batch(&["LOST\n"]), true).unwrap());
        assert_eq!(s.records, 2);
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn a_torn_frame_is_skipped_and_counted_never_joined() {
        let d = dir("torn");
        let mut s = Spool::open(d.clone(), 1 << 20).unwrap();
        s.append(&batch(&["one\n", "two\n"]), false).unwrap();
        s.append(&batch(&["three\n"]), false).unwrap();
        drop(s);
        // Cut inside "three", as a write stopped by a crash leaves it.
        let seg = &segment_files(&d)[0];
        let len = fs::metadata(seg).unwrap().len();
        File::options()
            .write(true)
            .open(seg)
            .unwrap()
            .set_len(len - 3)
            .unwrap();
        let mut s = Spool::open(d.clone(), 1 << 20).unwrap();
        assert_eq!((s.records, s.found_lost), (2, 1));
        s.append(&batch(&["four\n"]), false).unwrap();
        assert_eq!(drain(&mut s, 1 << 20), b"one\ntwo\nfour\n");
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn damage_in_the_middle_is_counted_by_the_numbers() {
        let d = dir("damage");
        let mut s = Spool::open(d.clone(), 1 << 20).unwrap();
        s.append(&batch(&["a\n", "bb\n", "c\n", "d\n"]), false)
            .unwrap();
        drop(s);
        let seg = &segment_files(&d)[0];
        let mut data = fs::read(seg).unwrap();
        // A flipped byte in "bb", and "c"'s header overwritten.
        let second = HEADER + 2;
        data[second + HEADER] ^= 0xff;
        data[second + HEADER + 3..second + HEADER + 3 + 4].copy_from_slice(b"junk");
        fs::write(seg, &data).unwrap();
        let mut s = Spool::open(d.clone(), 1 << 20).unwrap();
        assert_eq!((s.records, s.found_lost), (2, 2));
        assert_eq!(drain(&mut s, 1 << 20), b"a\nd\n");
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn what_a_killed_run_owed_is_found_at_the_next_start() {
        let d = dir("owed");
        let s = Spool::open(d.clone(), 1 << 20).unwrap();
        s.ledger().owe(5);
        // Two records written, the process killed before it counted them.
        let mut framed = Vec::new();
        frame(&mut framed, s.ledger().spool_next(), 1, b"x\n");
        frame(&mut framed, s.ledger().spool_next() + 1, 1, b"y\n");
        fs::write(d.join(format!("{:020}.seg", FIRST)), &framed).unwrap();
        std::mem::forget(s);
        fs::remove_file(d.join("lock")).unwrap();
        let mut s = Spool::open(d.clone(), 1 << 20).unwrap();
        assert_eq!((s.records, s.found_lost), (2, 3));
        assert_eq!(s.ledger().owed(), 3, "owed until reported");
        assert_eq!(drain(&mut s, 1 << 20), b"x\ny\n");
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn a_spool_of_plain_lines_is_converted() {
        let d = dir("legacy");
        fs::create_dir_all(&d).unwrap();
        fs::write(
            d.join(format!("{:020}.seg", FIRST)),
            b"old1\nold2\nold3\nold4-cu",
        )
        .unwrap();
        fs::write(d.join(format!("{:020}.seg", FIRST + 1)), b"old5\n").unwrap();
        fs::write(d.join("cursor"), b"5").unwrap();
        let mut s = Spool::open(d.clone(), 1 << 20).unwrap();
        assert_eq!((s.records, s.found_lost), (3, 1));
        assert!(!d.join("cursor").exists());
        assert_eq!(drain(&mut s, 7), b"old2\nold3\nold5\n");
        fs::remove_dir_all(d).unwrap();
    }
}
