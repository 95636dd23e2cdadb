//! `file:///path`: appends lines to a file, rotates it by size
//! (`max_size`, keeping `keep` old files as `PATH.1` … `PATH.N`), and
//! reopens it on SIGUSR1 so logrotate can move it away. The file is
//! opened as [`super::fs`] opens files: 0600 (0640 with `group_read`),
//! never through a symbolic link.

use std::{
    fs::{self, File},
    io::Write,
    path::PathBuf,
};

use anyhow::{Context, Result};

use super::{fs::Mode, SinkOptions};

pub struct FileSink {
    path: PathBuf,
    mode: Mode,
    /// 0: never rotate.
    max_size: u64,
    keep: u32,
    file: Option<File>,
    size: u64,
}

impl FileSink {
    pub fn new(path: PathBuf, o: &SinkOptions) -> Result<Self> {
        let dir = path.parent().unwrap_or(&path);
        if !dir.is_dir() {
            anyhow::bail!(
                "the directory of {} does not exist: create it, or choose another path",
                path.display()
            );
        }
        let mut sink = Self {
            path,
            mode: if o.group_read == Some(true) {
                Mode::GROUP_READ
            } else {
                Mode::PRIVATE
            },
            max_size: o.max_size.map_or(0, |s| s.0),
            keep: o.keep.unwrap_or(5),
            file: None,
            size: 0,
        };
        // Now, so that a file the sensor cannot write stops start-up.
        sink.open()?;
        Ok(sink)
    }

    fn open(&mut self) -> Result<&mut File> {
        if self.file.is_none() {
            let f = super::fs::append(&self.path, self.mode)?;
            self.size = f.metadata()?.len();
            self.file = Some(f);
        }
        Ok(self.file.as_mut().expect("opened above"))
    }

    pub fn reopen(&mut self) {
        self.file = None;
    }

    pub fn write(&mut self, lines: &[u8]) -> Result<()> {
        if self.max_size > 0 && self.size > 0 && self.size + lines.len() as u64 > self.max_size {
            self.rotate()?;
        }
        self.open()?
            .write_all(lines)
            .with_context(|| format!("writing to {}", self.path.display()))?;
        self.size += lines.len() as u64;
        Ok(())
    }

    fn rotated(&self, n: u32) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(format!(".{n}"));
        p.into()
    }

    /// PATH.N-1 → PATH.N … PATH → PATH.1; the oldest beyond `keep` goes.
    fn rotate(&mut self) -> Result<()> {
        self.file = None;
        self.size = 0;
        if self.keep == 0 {
            return fs::remove_file(&self.path)
                .with_context(|| format!("rotating {}", self.path.display()));
        }
        for n in (1..self.keep).rev() {
            let from = self.rotated(n);
            if from.exists() {
                fs::rename(&from, self.rotated(n + 1))
                    .with_context(|| format!("rotating {}", from.display()))?;
            }
        }
        fs::rename(&self.path, self.rotated(1))
            .with_context(|| format!("rotating {}", self.path.display()))
    }
}
