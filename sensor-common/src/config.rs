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
    /// How the VMA the ELF interpreter is mapped in is found
    /// (`vma_lookup::*`).
    pub vma_lookup: u32,
    /// The address of the kernel's `____fput` (from /proc/kallsyms), which
    /// marks a file waiting for its last reference to go; 0 when hidden
    /// (then a script's own inode is not recorded).
    pub fput_fn: u64,
}

/// `SensorConfig::vma_lookup`
pub mod vma_lookup {
    /// The kernel has neither: no ELF interpreter PATH item.
    pub const NONE: u32 = 0;
    /// `mm->mmap` and `vm_next` (up to 6.0).
    pub const LIST: u32 = 1;
    /// `mm->mm_mt` (6.1 on).
    pub const MAPLE: u32 = 2;
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
            vma_lookup: 0,
            fput_fn: 0,
        }
    }
}

#[cfg(feature = "user")]
unsafe impl aya::Pod for SensorConfig {}
