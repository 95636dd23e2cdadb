//! Reading kernel memory at BTF-resolved offsets.

use aya_ebpf::helpers::{bpf_probe_read_kernel, generated::bpf_probe_read_kernel_str};

/// The byte offset of a kernel struct field, as resolved from BTF at start-up.
macro_rules! off {
    ($field:ident) => {
        $crate::maps::global!(OFFSETS.$field) as u64
    };
}
pub(crate) use off;

/// Reads a `T` at `base + offset` of kernel memory.
#[inline(always)]
pub fn read<T>(base: u64, offset: u64) -> Result<T, i32> {
    if base == 0 {
        return Err(-14); // EFAULT: a NULL pointer in a chain is not worth a helper call
    }
    unsafe { bpf_probe_read_kernel((base + offset) as *const T) }
}

/// Reads the `T` fields at `offsets` of the struct at `base`. A helper call
/// costs far more than the bytes it copies, so when the fields lie within
/// `W` slots of one another (their order comes from BTF and may be
/// randomized) they are one read of that block; otherwise one read each.
#[inline(always)]
pub fn read_fields<T: Copy + Default, const N: usize, const W: usize>(
    base: u64,
    offsets: [u64; N],
) -> Result<[T; N], i32> {
    let size = core::mem::size_of::<T>() as u64;
    let mut low = offsets[0];
    for o in offsets {
        low = low.min(o);
    }
    let block: [T; W] = read(base, low)?;
    let mut fields = [T::default(); N];
    for (field, offset) in fields.iter_mut().zip(offsets) {
        let delta = offset - low;
        let slot = if delta.is_multiple_of(size) {
            block.get((delta / size) as usize).copied()
        } else {
            None
        };
        *field = match slot {
            Some(value) => value,
            None => read(base, offset)?,
        };
    }
    Ok(fields)
}

/// Copies a NUL-terminated kernel string of at most `size` bytes to `dst`;
/// returns the bytes written, NUL included.
#[inline(always)]
pub fn read_str(dst: *mut u8, size: u32, src: u64) -> Result<usize, i32> {
    let n = unsafe { bpf_probe_read_kernel_str(dst.cast(), size, src as *const _) };
    if n < 0 {
        Err(n as i32)
    } else {
        Ok(n as usize)
    }
}

/// The `struct file *` behind descriptor `fd` of `task`, if any.
#[inline(always)]
pub fn fd_file(task: u64, fd: u64) -> Result<u64, i32> {
    let files: u64 = read(task, off!(task_struct_files))?;
    let fdt: u64 = read(files, off!(files_struct_fdt))?;
    let max_fds: u32 = read(fdt, off!(fdtable_max_fds))?;
    if fd >= max_fds as u64 {
        return Err(-9); // EBADF
    }
    let fds: u64 = read(fdt, off!(fdtable_fd))?;
    let file: u64 = read(fds, fd * 8)?;
    if file == 0 {
        return Err(-9);
    }
    Ok(file)
}
