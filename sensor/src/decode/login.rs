//! Login records (`sensor_common::login`).

use anyhow::Result;
use sensor_common::{login::LoginEvent, process::ProcessInfo};

use super::read_struct;

pub struct Login {
    /// After the change: `auid` and `ses` are the new values.
    pub process: ProcessInfo,
    pub old_auid: u32,
    pub old_ses: u32,
    pub success: bool,
}

pub fn decode(raw: &[u8]) -> Result<Login> {
    let e: LoginEvent = read_struct(raw)?;
    Ok(Login {
        process: e.process,
        old_auid: e.old_auid,
        old_ses: e.old_ses,
        success: e.ret >= 0,
    })
}
