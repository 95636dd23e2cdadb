//! Loss accounting: nothing is lost silently.
//!
//! The kernel counts, per CPU and event kind, the records the ring buffer
//! had no room for (`DROPS`) and the events a program failed to assemble
//! (`ERRORS`); the pipeline counts records it could not decode. Every second
//! (and at shutdown) what is new goes out in-band as a LOST record, with
//! the records each sink had to drop (stage `sink`, by sink name). The
//! per-CPU sequence numbers (`read::SeqTracker`) are the independent check:
//! at the end, records received plus ring-buffer drops equal records the
//! kernel sequenced.

use anyhow::{Context, Result};
use aya::{
    maps::{MapData, PerCpuArray},
    Ebpf,
};
use sensor_common::{
    event::{EventKind, KINDS, KIND_SLOTS},
    maps,
};

use std::borrow::Cow;

/// Counts by kind: an event kind's name, or a sink's.
type Counts = Vec<(Cow<'static, str>, u64)>;

/// What was lost since the last report, by stage and kind.
#[derive(Default)]
pub struct Lost {
    ring_buffer: Counts,
    kernel: Counts,
    decode: Counts,
    sink: Counts,
}

impl Lost {
    /// Adds records sink `name` dropped (its spool was full).
    pub fn add_sink(&mut self, name: String, n: u64) {
        self.sink.push((name.into(), n));
    }

    /// Adds the times the kernel's records overflowed the sensor's socket
    /// (`kernel_feed`): at least one record lost each.
    pub fn add_kernel_records(&mut self, overflows: u64) {
        self.kernel
            .push((EventKind::KernelRecord.name().into(), overflows));
    }

    /// Records read but not decodable, among these.
    pub fn undecodable(&self) -> u64 {
        self.decode.iter().map(|(_, n)| n).sum()
    }

    pub fn total(&self) -> u64 {
        self.stages()
            .flat_map(|(_, c)| c.iter().map(|(_, n)| n))
            .sum()
    }

    /// The stages with any loss: `ring_buffer`, `kernel`, `decode`, `sink`.
    pub fn stages(&self) -> impl Iterator<Item = (&'static str, &Counts)> {
        [
            ("ring_buffer", &self.ring_buffer),
            ("kernel", &self.kernel),
            ("decode", &self.decode),
            ("sink", &self.sink),
        ]
        .into_iter()
        .filter(|(_, c)| !c.is_empty())
    }
}

/// Running totals, for the final report and metrics.
#[derive(Default, Clone, Copy)]
pub struct Totals {
    pub ring_buffer: u64,
    pub kernel: u64,
    pub decode: u64,
    pub sink: u64,
}

/// The kernel programs' counter maps.
struct KernelCounters {
    drops: PerCpuArray<MapData, u64>,
    errors: PerCpuArray<MapData, u64>,
    seq: PerCpuArray<MapData, u64>,
}

pub struct LossMonitor {
    /// None when replaying recorded records (`sensor replay`): no kernel.
    kernel: Option<KernelCounters>,
    reported_drops: [u64; KIND_SLOTS as usize],
    reported_errors: [u64; KIND_SLOTS as usize],
    /// Undecodable records by kind name, not yet reported.
    decode: Counts,
    pub totals: Totals,
}

fn per_cpu(ebpf: &mut Ebpf, name: &str) -> Result<PerCpuArray<MapData, u64>> {
    let map = ebpf
        .take_map(name)
        .with_context(|| format!("the {name} map is missing"))?;
    PerCpuArray::try_from(map).with_context(|| format!("{name} is not a per-CPU array"))
}

fn sum(map: &PerCpuArray<MapData, u64>, index: u32) -> u64 {
    map.get(&index, 0).map(|v| v.iter().sum()).unwrap_or(0)
}

impl LossMonitor {
    /// Takes the counter maps, so they outlive the programs at shutdown.
    pub fn new(ebpf: &mut Ebpf) -> Result<Self> {
        Ok(Self {
            kernel: Some(KernelCounters {
                drops: per_cpu(ebpf, maps::DROPS)?,
                errors: per_cpu(ebpf, maps::ERRORS)?,
                seq: per_cpu(ebpf, maps::SEQ)?,
            }),
            ..Self::without_kernel()
        })
    }

    /// For records replayed from a file: only decode losses are counted.
    pub fn without_kernel() -> Self {
        Self {
            kernel: None,
            reported_drops: [0; KIND_SLOTS as usize],
            reported_errors: [0; KIND_SLOTS as usize],
            decode: Vec::new(),
            totals: Totals::default(),
        }
    }

    /// A record that could not be decoded (its kind, if the header said).
    pub fn undecodable(&mut self, kind: Option<EventKind>) {
        let name = kind.map_or("unknown", EventKind::name);
        match self.decode.iter_mut().find(|(n, _)| *n == name) {
            Some((_, count)) => *count += 1,
            None => self.decode.push((name.into(), 1)),
        }
        self.totals.decode += 1;
    }

    /// What was lost since the last call, if anything (`lost` may already
    /// hold other stages' counts).
    pub fn poll(&mut self, mut lost: Lost) -> Option<Lost> {
        lost.decode = std::mem::take(&mut self.decode);
        self.totals.sink += lost.sink.iter().map(|(_, n)| n).sum::<u64>();
        if let Some(k) = &self.kernel {
            for kind in KINDS {
                let slot = kind as usize;
                let drops = sum(&k.drops, slot as u32);
                if drops > self.reported_drops[slot] {
                    let new = drops - self.reported_drops[slot];
                    lost.ring_buffer.push((kind.name().into(), new));
                    self.totals.ring_buffer += new;
                    self.reported_drops[slot] = drops;
                }
                let errors = sum(&k.errors, slot as u32);
                if errors > self.reported_errors[slot] {
                    let new = errors - self.reported_errors[slot];
                    lost.kernel.push((kind.name().into(), new));
                    self.totals.kernel += new;
                    self.reported_errors[slot] = errors;
                }
            }
        }
        (lost.total() > 0).then_some(lost)
    }

    /// Records the kernel has sequenced (written or dropped) so far, per CPU.
    pub fn sequenced(&self) -> Vec<u64> {
        self.kernel
            .as_ref()
            .and_then(|k| k.seq.get(&0, 0).ok())
            .map(|v| v.iter().copied().collect())
            .unwrap_or_default()
    }
}
