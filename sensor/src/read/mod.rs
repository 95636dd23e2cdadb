//! Stage 2, read: records out of the ring buffer, and the per-CPU sequence
//! numbers that make loss exact.

pub mod recording;

use std::collections::HashMap;

use anyhow::{Context, Result};
use aya::{
    maps::{MapData, RingBuf},
    Ebpf,
};
use bytes::Bytes;
use sensor_common::{event::EventHeader, maps::EVENTS};
use tokio::io::{unix::AsyncFd, Interest};

use crate::sink::Intake;
use recording::Recorder;

/// Records worth a pipeline pass of their own, without waiting for more.
const FULL_BATCH: usize = 256;
/// How long a small batch waits for more: the delay this adds to a record
/// is at most this, against the second a LOST report may take.
const GATHER: std::time::Duration = std::time::Duration::from_millis(5);

pub struct Reader {
    ring: AsyncFd<RingBuf<MapData>>,
    /// `--record-raw`: a copy of every record, for `sensor replay`.
    recorder: Option<Recorder>,
}

impl Reader {
    pub fn new(ebpf: &mut Ebpf, recorder: Option<Recorder>) -> Result<Self> {
        let map = ebpf
            .take_map(EVENTS)
            .context("the EVENTS ring buffer is missing")?;
        let ring = RingBuf::try_from(map).context("EVENTS is not a ring buffer")?;
        // SAFETY: the RingBuf owns the map's fd and keeps it open for as long
        // as the AsyncFd holds it.
        let ring = unsafe { AsyncFd::register_with_interest(ring, Interest::READABLE) }
            .map_err(std::io::Error::from)
            .context("polling the ring buffer")?;
        Ok(Self { ring, recorder })
    }

    /// Waits for records, then copies out every one available. When only a
    /// few were there, waits a moment for more, so that each pass through
    /// the pipeline (and each write) carries a batch: at an exec storm's
    /// rate, a wake-up and a write per record cost the sensor far more than
    /// the records themselves (profiling: 100 µs of CPU per exec event, most
    /// of it in futex and epoll). Records stay in `out` if the caller stops
    /// waiting, so nothing read is lost; each is counted in `intake` before
    /// it leaves the ring, so none is lost unreported.
    pub async fn read(&mut self, out: &mut Vec<Bytes>, intake: &Intake) -> Result<()> {
        // Left by a read the caller stopped waiting for: theirs first, as
        // the ring may not signal again until new records come.
        if !out.is_empty() {
            return Ok(());
        }
        let mut guard = self.ring.readable_mut().await?;
        let first = out.len();
        drain(guard.get_inner_mut(), out, intake);
        guard.clear_ready();
        self.record(&out[first..])?;
        if out.len() - first < FULL_BATCH {
            tokio::time::sleep(GATHER).await;
            let more = out.len();
            drain(self.ring.get_mut(), out, intake);
            self.record(&out[more..])?;
        }
        Ok(())
    }

    /// Copies out what is there without waiting (at shutdown).
    pub fn drain(&mut self, out: &mut Vec<Bytes>, intake: &Intake) -> Result<()> {
        let first = out.len();
        drain(self.ring.get_mut(), out, intake);
        self.record(&out[first..])?;
        self.recorder.as_mut().map_or(Ok(()), Recorder::flush)
    }

    fn record(&mut self, records: &[Bytes]) -> Result<()> {
        let Some(recorder) = &mut self.recorder else {
            return Ok(());
        };
        records.iter().try_for_each(|r| recorder.record(r))
    }
}

fn drain(ring: &mut RingBuf<MapData>, out: &mut Vec<Bytes>, intake: &Intake) {
    while let Some(item) = ring.next() {
        // One copy out of the ring; every later stage slices this buffer.
        out.push(Bytes::copy_from_slice(&item));
        // Counted before `item` drops, which frees its place in the ring.
        intake.take(1);
    }
}

/// Counts records the kernel sequenced but the reader never got.
///
/// Sequence numbers are per CPU and start at 0 when the programs are
/// loaded, so records dropped before the first one a CPU delivers count too.
/// Records of one CPU can arrive slightly out
/// of order (a preemptible syscall tracepoint may be overtaken between taking
/// its number and writing), so a number below the next expected one is a late
/// arrival and takes back one loss.
#[derive(Default)]
pub struct SeqTracker {
    next: HashMap<u32, u64>,
    lost: u64,
}

impl SeqTracker {
    /// Notes a record; returns how many records were found missing before it.
    pub fn observe(&mut self, header: &EventHeader) -> u64 {
        let next = self.next.entry(header.cpu).or_insert(0);
        if header.seq >= *next {
            let gap = header.seq - *next;
            *next = header.seq + 1;
            self.lost += gap;
            gap
        } else {
            self.lost = self.lost.saturating_sub(1);
            0
        }
    }

    /// At shutdown: records dropped after the last one each CPU delivered
    /// leave no gap to see, so close each CPU's count against the kernel's
    /// final sequence number (`sequenced[cpu]` = numbers taken on that CPU).
    pub fn finish(&mut self, sequenced: &[u64]) {
        for (cpu, &taken) in sequenced.iter().enumerate() {
            let next = self.next.get(&(cpu as u32)).copied().unwrap_or(0);
            self.lost += taken.saturating_sub(next);
        }
    }

    pub fn lost(&self) -> u64 {
        self.lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cpu: u32, seq: u64) -> EventHeader {
        EventHeader {
            cpu,
            seq,
            ..Default::default()
        }
    }

    #[test]
    fn gaps_are_counted_per_cpu_and_late_arrivals_taken_back() {
        let mut t = SeqTracker::default();
        assert_eq!(t.observe(&header(0, 0)), 0);
        assert_eq!(t.observe(&header(1, 3)), 3);
        assert_eq!(t.observe(&header(0, 3)), 2);
        assert_eq!(t.observe(&header(1, 4)), 0);
        assert_eq!(t.lost(), 5);
        assert_eq!(t.observe(&header(0, 2)), 0);
        assert_eq!(t.lost(), 4);
        // CPU 0 took numbers 0..6 (two lost at the tail), CPU 1 0..5, CPU 2 none.
        t.finish(&[6, 5, 0]);
        assert_eq!(t.lost(), 6);
    }
}
