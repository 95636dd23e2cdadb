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
    /// Non-zero: record every mmap, not only PROT_EXEC ones.
    pub mmap_all: u32,
    /// Most data bytes per TTY record (at most `tty::TTY_DATA_CAP`).
    pub tty_cap: u32,
    /// Offset of `group_dead` in the `sched_process_exit` record, 0 where
    /// the kernel's tracepoint lacks it (before 6.x: then the leader's exit
    /// stands for the process's).
    pub exit_group_dead_offset: u32,
    /// Non-zero: cgroups may be excluded (`scope::CgroupKey` map), so
    /// each event's cgroup is looked up there.
    pub scope_exclusions: u32,
}

impl SensorConfig {
    pub const fn zeroed() -> Self {
        Self {
            self_tgid: 0,
            argv_cap: 0,
            diagnostics: 0,
            mmap_all: 0,
            tty_cap: 0,
            exit_group_dead_offset: 0,
            scope_exclusions: 0,
        }
    }
}

#[cfg(feature = "user")]
unsafe impl aya::Pod for SensorConfig {}
