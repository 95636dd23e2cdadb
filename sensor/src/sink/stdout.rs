//! Events on stdout, one line each (logs go to stderr).

use anyhow::{Context, Result};
use tokio::io::{AsyncWriteExt, Stdout};

pub struct StdoutSink {
    out: Stdout,
}

impl StdoutSink {
    pub fn new() -> Self {
        Self {
            out: tokio::io::stdout(),
        }
    }

    /// Writes complete lines and flushes them.
    pub async fn write(&mut self, lines: &[u8]) -> Result<()> {
        self.out
            .write_all(lines)
            .await
            .context("writing to stdout")?;
        self.out.flush().await.context("flushing stdout")
    }
}
