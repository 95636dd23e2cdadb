//! Audit netlink messages (`sensor_common::usermsg`): sendto(2) and
//! sendmsg(2) on a `NETLINK_AUDIT` socket, read at the call's exit alone
//! (the registers still hold the arguments, and the kernel has taken the
//! message: it handles an audit netlink message inside the sender's call).
//! Every other send costs the fd's file and inode mode.

use aya_ebpf::{helpers::bpf_probe_read_user, programs::TracePointContext};
use sensor_common::{
    event::EventKind,
    syscalls,
    usermsg::{flags, program, UserMsgEvent, DATA_CAP, DATA_MASK, SOCKADDR_NL_LEN},
};

use crate::{
    copy::{self, From},
    emit,
    entry::entry,
    filter,
    kernel::{fd_file, off, read},
    maps::{scratch, Scratch},
    process, syscall,
};

pub const SYS_SENDTO: u32 = syscalls::x86_64("sendto");
pub const SYS_SENDMSG: u32 = syscalls::x86_64("sendmsg");

const S_IFMT: u16 = 0o170000;
const S_IFSOCK: u16 = 0o140000;
const AF_NETLINK: u16 = 16;
const NETLINK_AUDIT: u16 = 9;
const CAP_AUDIT_WRITE: u64 = 29;

/// Whether `file` is a socket of the audit netlink family.
#[inline(always)]
fn is_audit_netlink(file: u64) -> Result<bool, i32> {
    let inode: u64 = read(file, off!(file_f_inode))?;
    let mode: u16 = read(inode, off!(inode_i_mode))?;
    if mode & S_IFMT != S_IFSOCK {
        return Ok(false);
    }
    let socket: u64 = read(file, off!(file_private_data))?;
    let sk: u64 = read(socket, off!(socket_sk))?;
    let family: u16 = read(sk, off!(sock_family))?;
    if family != AF_NETLINK {
        return Ok(false);
    }
    let protocol: u16 = read(sk, off!(sock_sk_protocol))?;
    Ok(protocol == NETLINK_AUDIT)
}

/// What the kernel checks of the sender before it takes a user message
/// (`audit_netlink_ok`): CAP_AUDIT_WRITE, in the initial user namespace.
#[inline(always)]
fn sender_flags(task: u64) -> Result<u32, i32> {
    let cred: u64 = read(task, off!(task_struct_cred))?;
    let caps: u64 = read(cred, off!(cred_cap_effective))?;
    let user_ns: u64 = read(cred, off!(cred_user_ns))?;
    let level: u32 = read(user_ns, off!(user_namespace_level))?;
    let mut f = 0;
    if caps >> CAP_AUDIT_WRITE & 1 != 0 {
        f |= flags::CAP_AUDIT_WRITE;
    }
    if level == 0 {
        f |= flags::INIT_USER_NS;
    }
    Ok(f)
}

#[inline(always)]
pub fn try_exit_sendto(ctx: &TracePointContext) -> Result<(), i32> {
    send(ctx, SYS_SENDTO)
}

#[inline(always)]
pub fn try_exit_sendmsg(ctx: &TracePointContext) -> Result<(), i32> {
    send(ctx, SYS_SENDMSG)
}

#[inline(always)]
fn send(ctx: &TracePointContext, nr: u32) -> Result<(), i32> {
    let pending = syscall::exit_only(ctx, nr)?;
    if pending.ret <= 0 {
        return Err(0); // nothing reached the kernel
    }
    let task = process::current_task();
    let file = fd_file(task, pending.args[0]).map_err(|_| 0)?;
    if !is_audit_netlink(file)? {
        return Err(0);
    }
    // Where the message and its destination are: sendto(fd, buf, len,
    // flags, addr, addrlen); sendmsg(fd, msghdr, flags), of whose iovecs
    // the first is read (libaudit sends one).
    let (buf, addr, addr_len) = if nr == SYS_SENDTO {
        (pending.args[1], pending.args[4], pending.args[5])
    } else {
        let msghdr = pending.args[1];
        let name: u64 = unsafe { bpf_probe_read_user(msghdr as *const u64)? };
        let name_len: u32 = unsafe { bpf_probe_read_user((msghdr + 8) as *const u32)? };
        let iov: u64 = unsafe { bpf_probe_read_user((msghdr + 16) as *const u64)? };
        let base: u64 = unsafe { bpf_probe_read_user(iov as *const u64)? };
        (base, name, name_len as u64)
    };
    let s: &mut Scratch<UserMsgEvent> = scratch()?;
    let e = &mut s.event;
    process::fill(&mut e.process, task)?;
    if !filter::in_scope(&e.process) {
        return Err(0);
    }
    e.syscall = syscall::info(pending);
    e.flags = sender_flags(task)?;
    e.dest = [0; SOCKADDR_NL_LEN];
    if addr != 0 && addr_len >= SOCKADDR_NL_LEN as u64 {
        e.dest = unsafe { bpf_probe_read_user(addr as *const [u8; SOCKADDR_NL_LEN])? };
        e.flags |= flags::HAS_DEST;
    }
    let total = pending.ret as u64;
    let len = if total < DATA_CAP as u64 {
        total
    } else {
        DATA_CAP as u64
    };
    let read = copy::to::<0, DATA_MASK>(From::User, s.data.as_mut_ptr(), 0, len, buf);
    let len = if read == 0 { len } else { 0 };
    let e = &mut s.event;
    e.data_len = len as u32;
    e.data_total = total as u32;
    e._pad = 0;
    emit::output(s, EventKind::UserMsg, pending.ts_boot_ns, len as usize)
}

entry!(tracepoint program::sys_exit_sendto, EventKind::UserMsg, |ctx| {
    try_exit_sendto(&ctx)
});
entry!(tracepoint program::sys_exit_sendmsg, EventKind::UserMsg, |ctx| {
    try_exit_sendmsg(&ctx)
});
