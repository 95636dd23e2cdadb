//! fork and exit records (`sensor_common::lifecycle`).

use anyhow::Result;
use sensor_common::{
    lifecycle::{ExitEvent, ForkEvent},
    process::ProcessInfo,
};

use super::read_struct;

pub struct Fork {
    pub parent: ProcessInfo,
    pub child_pid: u32,
}

pub struct Exit {
    pub process: ProcessInfo,
    pub exit_code: u32,
}

impl Exit {
    /// The exit status, when the process exited rather than being killed.
    pub fn status(&self) -> Option<u32> {
        (self.exit_code & 0x7f == 0).then_some((self.exit_code >> 8) & 0xff)
    }

    /// The signal that killed the process.
    pub fn signal(&self) -> Option<u32> {
        let signal = self.exit_code & 0x7f;
        (signal != 0).then_some(signal)
    }
}

pub fn decode_fork(raw: &[u8]) -> Result<Fork> {
    let e: ForkEvent = read_struct(raw)?;
    Ok(Fork {
        parent: e.parent,
        child_pid: e.child_pid,
    })
}

pub fn decode_exit(raw: &[u8]) -> Result<Exit> {
    let e: ExitEvent = read_struct(raw)?;
    Ok(Exit {
        process: e.process,
        exit_code: e.exit_code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exit(code: u32) -> Exit {
        Exit {
            process: unsafe { std::mem::zeroed() },
            exit_code: code,
        }
    }

    #[test]
    fn exit_codes_read_as_wait_status() {
        assert_eq!(exit(42 << 8).status(), Some(42));
        assert_eq!(exit(42 << 8).signal(), None);
        assert_eq!(exit(9).signal(), Some(9));
        assert_eq!(exit(9).status(), None);
        assert_eq!(exit(0x80 | 11).signal(), Some(11)); // core dumped
    }
}
