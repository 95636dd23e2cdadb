//! Logins (`sensor_common::login`): a write to a procfs `loginuid` file,
//! seen by the write hook in `tty.rs`. The ids before the write are saved at
//! entry; the record is made at exit with the ids the kernel set.

use aya_ebpf::helpers::bpf_probe_read_kernel;
use sensor_common::{event::EventKind, login::LoginEvent};

use crate::{
    emit,
    kernel::{off, read},
    maps::{scratch, Pending, Scratch},
    process, syscall,
};

const PROC_SUPER_MAGIC: u64 = 0x9fa0;

#[inline(always)]
pub fn is_loginuid(file: u64) -> bool {
    let check = || -> Result<bool, i32> {
        let inode: u64 = read(file, off!(file_f_inode))?;
        let sb: u64 = read(inode, off!(inode_i_sb))?;
        if read::<u64>(sb, off!(super_block_s_magic))? != PROC_SUPER_MAGIC {
            return Ok(false);
        }
        let dentry: u64 = read(file, off!(file_f_path) + off!(path_dentry))?;
        let name: u64 = read(dentry, off!(dentry_d_name) + off!(qstr_name))?;
        let name: [u8; 9] = unsafe { bpf_probe_read_kernel(name as *const [u8; 9])? };
        Ok(&name == b"loginuid\0")
    };
    check().unwrap_or(false)
}

/// The task's loginuid (high half) and sessionid (low half).
#[inline(always)]
pub fn ids(task: u64) -> Result<u64, i32> {
    let auid: u32 = read(task, off!(task_struct_loginuid))?;
    let ses: u32 = read(task, off!(task_struct_sessionid))?;
    Ok((auid as u64) << 32 | ses as u64)
}

#[inline(always)]
pub fn record(pending: &Pending) -> Result<(), i32> {
    let s: &mut Scratch<LoginEvent> = scratch()?;
    let e = &mut s.event;
    process::fill(&mut e.process, process::current_task())?;
    e.syscall = syscall::info(pending);
    e.old_auid = (pending.saved >> 32) as u32;
    e.old_ses = pending.saved as u32;
    emit::output(s, EventKind::Login, pending.ts_boot_ns, 0)
}
