//! Settings userspace writes into the programs before load.

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SensorConfig {
    /// The sensor's own tgid: its events are dropped in the kernel.
    pub self_tgid: u32,
    /// Most argv bytes kept per exec (at most `exec::ARGV_CAP_MAX`).
    pub argv_cap: u32,
    /// Non-zero: the programs log their errors through aya-log (`--ebpf-log`).
    pub diagnostics: u32,
    pub _pad: u32,
}

impl SensorConfig {
    pub const fn zeroed() -> Self {
        Self {
            self_tgid: 0,
            argv_cap: 0,
            diagnostics: 0,
            _pad: 0,
        }
    }
}

#[cfg(feature = "user")]
unsafe impl aya::Pod for SensorConfig {}
