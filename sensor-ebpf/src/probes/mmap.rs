//! mmap (`sensor_common::mmap`), read at exit alone: when the rules only
//! want PROT_EXEC mappings, the rest are dropped before any other work.

use aya_ebpf::programs::TracePointContext;
use sensor_common::{
    event::EventKind,
    mmap::{flags, program, MmapEvent, MAP_ANONYMOUS, PROT_EXEC},
    process::InodeInfo,
    syscalls,
};

use crate::{
    emit,
    entry::entry,
    filter,
    kernel::fd_file,
    maps::{global, scratch, Scratch},
    path, process, syscall,
};

pub const SYS_MMAP: u32 = syscalls::x86_64("mmap");
const ARG_PROT: usize = 2;

#[inline(always)]
pub fn try_exit(ctx: &TracePointContext) -> Result<(), i32> {
    let pending = syscall::exit_only(ctx, SYS_MMAP)?;
    if pending.args[ARG_PROT] & PROT_EXEC == 0 && global!(CONFIG.mmap_all) == 0 {
        return Err(0);
    }
    let s: &mut Scratch<MmapEvent> = scratch()?;
    let task = process::current_task();
    process::fill(&mut s.event.process, task)?;
    s.event.syscall = syscall::info(pending);
    if !filter::keep(&s.event.process, &s.event.syscall, SYS_MMAP) {
        return Err(0);
    }
    s.event.inode = InodeInfo::default();
    s.event.flags = 0;
    s.event.path_len = 0;

    let (map_flags, fd) = (pending.args[3], pending.args[4]);
    if map_flags & MAP_ANONYMOUS == 0 && (fd as i32) >= 0 {
        if let Ok(file) = fd_file(task, fd as i32 as u64) {
            let mut inode = InodeInfo::default();
            path::set_position(s, 0);
            let walked = path::file(s, file, process::root(task)?, &mut inode)?;
            let e = &mut s.event;
            e.inode = inode;
            e.path_len = walked.len as u32;
            e.flags = flags::HAS_FILE
                | if walked.truncated {
                    flags::PATH_TRUNCATED
                } else {
                    0
                }
                | if walked.deleted { flags::DELETED } else { 0 };
        }
    }
    let len = s.event.path_len as usize;
    emit::output(s, EventKind::Mmap, pending.ts_boot_ns, len)
}

entry!(tracepoint program::sys_exit_mmap, EventKind::Mmap, |ctx| try_exit(&ctx));
