//! Rendered records as the sinks pass them on: the queue holds them, the
//! spool writes and reads them back, the transports send them.

use std::sync::Arc;

use bytes::Bytes;

/// Rendered records handed to the sinks together.
#[derive(Clone)]
pub struct Batch {
    /// The records end to end, each complete lines.
    pub data: Bytes,
    /// Where each record ends in `data`.
    ends: Arc<[u32]>,
    /// What each record settles in the ledger: 1, or for a LOST record
    /// the number of records it reports.
    pub weight: u64,
}

impl Batch {
    pub fn new(data: Bytes, ends: Arc<[u32]>) -> Self {
        Self {
            data,
            ends,
            weight: 1,
        }
    }

    /// A LOST record reporting `total` lost records.
    pub fn report(line: Bytes, total: u64) -> Self {
        let end = line.len() as u32;
        Self {
            data: line,
            ends: Arc::new([end]),
            weight: total,
        }
    }

    pub fn records(&self) -> u64 {
        self.ends.len() as u64
    }

    /// What delivering or spooling it settles in the ledger.
    pub fn settles(&self) -> u64 {
        self.records() * self.weight
    }

    /// The first records that fit in `bytes`, and the rest.
    pub(super) fn split(self, bytes: usize) -> (Option<Batch>, Option<Batch>) {
        let n = self.ends.partition_point(|&end| end as usize <= bytes);
        if n == self.ends.len() {
            return (Some(self), None);
        }
        if n == 0 {
            return (None, Some(self));
        }
        let cut = self.ends[n - 1];
        let head = Batch {
            data: self.data.slice(..cut as usize),
            ends: self.ends[..n].into(),
            weight: self.weight,
        };
        let tail = Batch {
            data: self.data.slice(cut as usize..),
            ends: self.ends[n..].iter().map(|end| end - cut).collect(),
            weight: self.weight,
        };
        (Some(head), Some(tail))
    }

    /// Each record's bytes.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(start, end)| &self.data[start as usize..end as usize])
    }
}
