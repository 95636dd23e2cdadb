//! Copies into map memory of a variable length, or to a variable position.
//!
//! The verifiers of 5.10 to 6.8 forget the bounds of a value that the
//! compiler spills to the stack and loads back, and the compiler drops a
//! bound it can prove redundant, so a length checked early may reach the
//! helper unbounded. These copies bound the position and the length by
//! masking (`POS` and `LEN`, each a power of two less one) right before
//! the helper call, after `black_box` has made the compiler forget what it
//! knew of them: nothing is left between the mask and the call to spill.
//!
//! They are inlined, like everything else: a program that makes a
//! bpf-to-bpf call before a tail call saw that tail call fail now and then
//! under load (on 6.18: 53 of 700 concurrent execs lost), so the programs
//! that continue in others (`sensor_common::tail`) make no such calls.

use aya_ebpf::helpers::generated::{
    bpf_probe_read_kernel, bpf_probe_read_kernel_str, bpf_probe_read_user, bpf_probe_read_user_str,
};

use core::hint::black_box;

use crate::maps::EVENTS;

/// What a copy reads from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum From {
    User,
    UserStr,
    Kernel,
    KernelStr,
}

/// Copies `len` bytes (a string: at most `len`, NUL included) from `src` to
/// `base + pos`. Returns the helper's result: bytes copied for a string,
/// 0 for a plain copy, or a negative errno.
#[inline(always)]
pub fn to<const POS: u64, const LEN: u64>(
    from: From,
    base: *mut u8,
    pos: u64,
    len: u64,
    src: u64,
) -> i64 {
    // black_box: the compiler must not drop a mask it can prove redundant
    // from the callers; the verifier cannot.
    let dst = unsafe { base.add((black_box(pos) & POS) as usize) }.cast();
    let len = (black_box(len) & LEN) as u32;
    let src = src as *const _;
    unsafe {
        match from {
            From::User => bpf_probe_read_user(dst, len, src),
            From::UserStr => bpf_probe_read_user_str(dst, len, src),
            From::Kernel => bpf_probe_read_kernel(dst, len, src),
            From::KernelStr => bpf_probe_read_kernel_str(dst, len, src),
        }
    }
}

/// Writes `len` bytes (bounded by `LEN`) at `record` to the ring buffer;
/// false when it had no room.
#[inline(always)]
pub fn to_ring<const LEN: u64>(record: *const u8, len: u64) -> bool {
    let record = unsafe { core::slice::from_raw_parts(record, (black_box(len) & LEN) as usize) };
    EVENTS.output::<[u8]>(record, 0).is_ok()
}
