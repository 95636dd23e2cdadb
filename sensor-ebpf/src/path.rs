//! `d_path` for tracepoints: bpf_d_path is only for fentry/LSM programs,
//! which this kernel refuses, so walk dentries and mounts by hand.

use sensor_common::{
    exec::{NAME_CAP, PATH_CAP, PATH_DEPTH, PRE_ARGV_CAP},
    process::InodeInfo,
};

use crate::{
    kernel::{off, read, read_str},
    maps::Scratch,
};

/// In: where to start writing. Out: what was written. (One struct because
/// a BPF function takes at most five arguments.)
#[derive(Default)]
pub struct Walked {
    pub start: u64,
    /// Bytes written: the components, leaf first, each NUL-terminated.
    pub len: u64,
    pub truncated: u32,
    /// The leaf is unhashed (unlinked file, memfd): d_path's " (deleted)".
    pub deleted: u32,
}

/// Writes the components of the `struct path` at `path` into the scratch
/// data from `walked.start`, leaf first, stopping at the task's root `root` (a
/// `struct path` too) as d_path does, so a containerised process sees paths
/// in its own mount namespace. Writes at most `PATH_CAP` bytes.
/// (The result is an out-parameter: a `Result<Walked, _>` return makes BTF
/// the kernel refuses.)
pub fn walk<T>(s: &mut Scratch<T>, path: u64, root: u64, walked: &mut Walked) -> Result<(), i32> {
    let start = walked.start as usize;
    let limit = start + PATH_CAP;
    let root_dentry: u64 = read(root, off!(path_dentry))?;
    let root_mnt: u64 = read(root, off!(path_mnt))?;
    let mut dentry: u64 = read(path, off!(path_dentry))?;
    let mut vfsmnt: u64 = read(path, off!(path_mnt))?;
    let mut mount = vfsmnt - off!(mount_mnt);

    let leaf_mnt_root: u64 = read(vfsmnt, off!(vfsmount_mnt_root))?;
    let leaf_hash: u64 = read(dentry, off!(dentry_d_hash_pprev))?;
    walked.deleted = (leaf_hash == 0 && dentry != leaf_mnt_root) as u32;

    let cursor = core::ptr::addr_of_mut!(s.cursor);
    let data = s.data.as_mut_ptr();
    unsafe { cursor.write_volatile(start as u64) };
    for _ in 0..PATH_DEPTH {
        if dentry == root_dentry && vfsmnt == root_mnt {
            break;
        }
        let mnt_root: u64 = read(vfsmnt, off!(vfsmount_mnt_root))?;
        let parent: u64 = read(dentry, off!(dentry_d_parent))?;
        if dentry == mnt_root {
            let mnt_parent: u64 = read(mount, off!(mount_mnt_parent))?;
            if mnt_parent == mount {
                break; // the global root
            }
            // Cross to the mount point in the parent mount.
            dentry = read(mount, off!(mount_mnt_mountpoint))?;
            mount = mnt_parent;
            vfsmnt = mount + off!(mount_mnt);
            continue;
        }
        let pos = unsafe { cursor.read_volatile() } as usize;
        // The absolute bound is for the verifier: it proves the write stays
        // inside the scratch buffer.
        if pos > limit - NAME_CAP || pos > PRE_ARGV_CAP - NAME_CAP {
            walked.truncated = 1;
            break;
        }
        let name: u64 = read(dentry, off!(dentry_d_name) + off!(qstr_name))?;
        let n = read_str(unsafe { data.add(pos) }, NAME_CAP as u32, name)?;
        unsafe { cursor.write_volatile((pos + n) as u64) };
        if parent == dentry {
            break; // a pseudo file (memfd, pipe) names itself: "/memfd:x"
        }
        dentry = parent;
    }
    walked.len = unsafe { cursor.read_volatile() } - start as u64;
    Ok(())
}

/// Walks the path of `struct file *file` into the scratch from
/// `walked.start`, and reads its inode.
pub fn file<T>(
    s: &mut Scratch<T>,
    file: u64,
    root: u64,
    walked: &mut Walked,
    inode: &mut InodeInfo,
) -> Result<(), i32> {
    walk(s, file + off!(file_f_path), root, walked)?;
    let i: u64 = read(file, off!(file_f_inode))?;
    inode.ino = read(i, off!(inode_i_ino))?;
    inode.mode = read::<u16>(i, off!(inode_i_mode))? as u32;
    inode.uid = read(i, off!(inode_i_uid))?;
    inode.gid = read(i, off!(inode_i_gid))?;
    let sb: u64 = read(i, off!(inode_i_sb))?;
    inode.dev = read(sb, off!(super_block_s_dev))?;
    Ok(())
}
