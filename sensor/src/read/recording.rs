//! `--record-raw FILE`: every record the reader takes out of the ring
//! buffer, kept for `sensor replay` (`cargo xtask bench` measures the
//! userspace pipeline alone with it).
//!
//! The file is each record as the kernel wrote it, preceded by its length
//! (u32, little-endian). It is a benchmarking aid, not an archive format.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::{Path, PathBuf},
};

use anyhow::{ensure, Context, Result};
use bytes::Bytes;

/// Appends raw records to a file.
pub struct Recorder {
    path: PathBuf,
    out: BufWriter<File>,
}

impl Recorder {
    pub fn create(path: &Path) -> Result<Self> {
        let file = File::create(path)
            .with_context(|| format!("creating {} for --record-raw", path.display()))?;
        Ok(Self {
            path: path.to_owned(),
            out: BufWriter::with_capacity(1 << 20, file),
        })
    }

    pub fn record(&mut self, raw: &[u8]) -> Result<()> {
        self.out
            .write_all(&(raw.len() as u32).to_le_bytes())
            .and_then(|()| self.out.write_all(raw))
            .with_context(|| format!("writing to {} (--record-raw)", self.path.display()))
    }

    pub fn flush(&mut self) -> Result<()> {
        self.out
            .flush()
            .with_context(|| format!("writing to {} (--record-raw)", self.path.display()))
    }
}

/// The records of a `--record-raw` file, each a slice of one buffer.
pub fn read_recording(path: &Path) -> Result<Vec<Bytes>> {
    let mut data = Bytes::from(
        std::fs::read(path).with_context(|| format!("reading the recording {}", path.display()))?,
    );
    let mut records = Vec::new();
    while !data.is_empty() {
        ensure!(
            data.len() >= 4,
            "{}: cut inside a record's length after {} records; was it written by --record-raw?",
            path.display(),
            records.len()
        );
        let len = u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize;
        ensure!(
            data.len() - 4 >= len,
            "{}: record {} claims {len} bytes, only {} are left; was it written by --record-raw?",
            path.display(),
            records.len(),
            data.len() - 4
        );
        let _ = data.split_to(4);
        records.push(data.split_to(len));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recordings_read_back_as_written_and_cut_files_are_errors() {
        let dir = std::env::temp_dir().join(format!("sensor-recording-{}", std::process::id()));
        let mut rec = Recorder::create(&dir).unwrap();
        rec.record(b"first").unwrap();
        rec.record(b"").unwrap();
        rec.record(b"third record").unwrap();
        rec.flush().unwrap();
        let records = read_recording(&dir).unwrap();
        assert_eq!(records, [&b"first"[..], b"", b"third record"]);

        let whole = std::fs::read(&dir).unwrap();
        std::fs::write(&dir, &whole[..whole.len() - 1]).unwrap();
        let err = read_recording(&dir).unwrap_err().to_string();
        assert!(err.contains("record 2 claims 12 bytes"), "{err}");
        std::fs::remove_file(&dir).unwrap();
    }
}
