//! Login records (`sensor_common::login`).

use anyhow::Result;
use sensor_common::login::LoginEvent;

use super::{read_struct, Call};

pub struct Login {
    /// The write to loginuid; the process as it is after it (`auid` and
    /// `ses` are the new values).
    pub call: Call,
    pub old_auid: u32,
    pub old_ses: u32,
}

impl Login {
    /// The kernel took the new loginuid.
    pub fn success(&self) -> bool {
        self.call.syscall.ret >= 0
    }
}

pub fn decode(raw: &[u8]) -> Result<Login> {
    let e: LoginEvent = read_struct(raw)?;
    Ok(Login {
        call: Call {
            process: e.process,
            syscall: e.syscall,
            returned: true,
        },
        old_auid: e.old_auid,
        old_ses: e.old_ses,
    })
}
