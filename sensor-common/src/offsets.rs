//! Kernel struct field offsets, resolved from the running kernel's BTF at
//! start-up (`sensor::load::btf`) and passed to the programs as a global.
//!
//! Each field is the byte offset of `<struct>.<field>`, named `struct_field`.

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct KernelOffsets {
    pub task_struct_pid: u32,
    pub task_struct_tgid: u32,
    pub task_struct_real_parent: u32,
    pub task_struct_cred: u32,
    pub task_struct_loginuid: u32,
    pub task_struct_sessionid: u32,
    pub task_struct_signal: u32,
    pub task_struct_mm: u32,
    pub task_struct_fs: u32,
    pub task_struct_stack: u32,
    pub task_struct_files: u32,
    pub task_struct_cgroups: u32,
    pub task_struct_nsproxy: u32,
    /// `css_set.subsys[controller]`: the controller's css of the task's set.
    pub css_set_subsys_ctl: u32,
    pub cgroup_subsys_state_cgroup: u32,
    pub cgroup_kn: u32,
    pub kernfs_node_id: u32,
    pub cgroup_root: u32,
    pub cgroup_root_hierarchy_id: u32,
    pub nsproxy_mnt_ns: u32,
    pub nsproxy_pid_ns_for_children: u32,
    /// `mnt_namespace.ns.inum`
    pub mnt_namespace_inum: u32,
    /// `pid_namespace.ns.inum`
    pub pid_namespace_inum: u32,
    pub task_struct_exit_code: u32,

    pub files_struct_fdt: u32,
    pub fdtable_fd: u32,
    pub fdtable_max_fds: u32,
    pub file_private_data: u32,
    pub tty_file_private_tty: u32,
    /// `tty_struct.termios.c_lflag`
    pub tty_struct_termios_c_lflag: u32,

    pub cred_uid: u32,
    pub cred_gid: u32,
    pub cred_suid: u32,
    pub cred_sgid: u32,
    pub cred_euid: u32,
    pub cred_egid: u32,
    pub cred_fsuid: u32,
    pub cred_fsgid: u32,

    pub signal_struct_tty: u32,
    pub tty_struct_name: u32,

    pub mm_struct_exe_file: u32,
    pub mm_struct_arg_start: u32,
    pub mm_struct_arg_end: u32,
    pub mm_struct_env_start: u32,
    pub mm_struct_env_end: u32,
    /// `mm_struct.saved_auxv`: the new image's auxiliary vector, whose
    /// AT_BASE is where the ELF interpreter was loaded.
    pub mm_struct_saved_auxv: u32,
    /// The VMAs, for the one the ELF interpreter is mapped in: a list up
    /// to 6.0 (`mm_struct.mmap`, `vm_area_struct.vm_next`), a maple tree
    /// from 6.1 (`mm_struct.mm_mt`). `SensorConfig::vma_lookup` says which.
    pub mm_struct_mmap: u32,
    pub vm_area_struct_vm_next: u32,
    pub mm_struct_mm_mt: u32,
    pub maple_tree_ma_root: u32,
    pub maple_range_64_pivot: u32,
    pub maple_range_64_slot: u32,
    pub maple_arange_64_pivot: u32,
    pub maple_arange_64_slot: u32,
    /// `maple_range_64.meta`, `maple_arange_64.meta`: a node's last slot.
    pub maple_range_64_meta: u32,
    pub maple_arange_64_meta: u32,
    pub vm_area_struct_vm_start: u32,
    pub vm_area_struct_vm_end: u32,
    pub vm_area_struct_vm_file: u32,

    /// `linux_binprm.filename` (the name as passed) and `.interp` (the
    /// name of what really ran: a script's interpreter).
    pub linux_binprm_filename: u32,
    pub linux_binprm_interp: u32,
    /// A task's pending `task_work`s (`struct callback_head` list): the
    /// files an exec closed sit there until it returns to user space,
    /// a `#!` script's among them.
    pub task_struct_task_works: u32,
    pub callback_head_func: u32,
    /// `file.f_task_work` (`f_rcuhead` before 6.7, `f_u.fu_rcuhead` before
    /// 5.19), the callback_head
    /// of a file waiting for its last `fput`.
    pub file_f_task_work: u32,
    pub file_f_flags: u32,
    pub vfsmount_mnt_flags: u32,

    /// Capability sets (CAPSET, BPRM_FCAPS), securebits and user namespace
    /// of a `struct cred`.
    pub cred_cap_inheritable: u32,
    pub cred_cap_permitted: u32,
    pub cred_cap_effective: u32,
    pub cred_cap_ambient: u32,
    pub cred_securebits: u32,
    pub cred_user_ns: u32,
    pub user_namespace_level: u32,
    /// `user_namespace.uid_map.nr_extents` and `.extent[0]`.
    pub user_namespace_uid_map_nr_extents: u32,
    pub user_namespace_uid_map_extent: u32,

    pub fs_struct_root: u32,
    pub fs_struct_pwd: u32,
    pub path_mnt: u32,
    pub path_dentry: u32,

    pub file_f_path: u32,
    pub file_f_inode: u32,

    pub dentry_d_parent: u32,
    pub dentry_d_name: u32,
    /// `dentry.d_hash.pprev`: NULL when the dentry is unhashed (deleted).
    pub dentry_d_hash_pprev: u32,
    pub qstr_name: u32,
    pub qstr_len: u32,

    pub vfsmount_mnt_root: u32,
    pub mount_mnt: u32,
    pub mount_mnt_parent: u32,
    pub mount_mnt_mountpoint: u32,

    pub inode_i_ino: u32,
    pub inode_i_mode: u32,
    pub inode_i_uid: u32,
    pub inode_i_gid: u32,
    pub inode_i_sb: u32,
    pub inode_i_rdev: u32,
    /// `inode.i_ctime` (before 6.6), `__i_ctime` (6.6–6.10) or
    /// `i_ctime_sec`/`i_ctime_nsec` (6.11 on): seconds, and nanoseconds
    /// (read as 32 bits: the low half of a `long` on little-endian).
    pub inode_i_ctime_sec: u32,
    pub inode_i_ctime_nsec: u32,
    pub super_block_s_dev: u32,
    pub super_block_s_magic: u32,

    /// Offsets in `struct pt_regs` of the saved syscall arguments.
    pub pt_regs_di: u32,
    pub pt_regs_si: u32,
    pub pt_regs_dx: u32,
    pub pt_regs_r10: u32,
    pub pt_regs_r8: u32,
    pub pt_regs_r9: u32,
    pub pt_regs_orig_ax: u32,
    /// The return value, once the syscall has run: how an exit program
    /// recognises the saved registers without an entry program.
    pub pt_regs_ax: u32,
    pub pt_regs_size: u32,
    /// A 32-bit call's arguments are in ebx, ecx, edx, esi, edi, ebp.
    pub pt_regs_bx: u32,
    pub pt_regs_cx: u32,
    pub pt_regs_bp: u32,
    /// `task_struct.thread_info.status`: TS_COMPAT marks a 32-bit call.
    pub task_struct_thread_info_status: u32,

    /// The dcache, as `resolve` looks names up in it.
    pub dentry_d_inode: u32,
    pub dentry_d_flags: u32,
    /// A dentry's children and its link among its parent's: `d_subdirs`
    /// and `d_child` (a circular `list_head`, to 6.7), `d_children` and
    /// `d_sib` (an `hlist`, from 6.8).
    pub dentry_children: u32,
    pub dentry_sibling: u32,
    /// 1: those are a circular list (it ends back at the head); 0: an
    /// hlist (it ends at NULL).
    pub dentry_children_circular: u32,
    /// `DCACHE_MOUNTED` in `d_flags`: something is mounted on the dentry.
    pub dcache_mounted: u32,
    /// A mount's children and its link among its parent's.
    pub mount_mnt_mounts: u32,
    pub mount_mnt_child: u32,
    /// A symbolic link's target when the inode holds it (fast symlinks).
    pub inode_i_link: u32,

    /// Audit netlink messages (`usermsg`): the sending socket and the
    /// sender's user namespace (its capabilities: `cred_cap_effective`).
    pub socket_sk: u32,
    /// `sock.__sk_common.skc_family`
    pub sock_family: u32,
    pub sock_sk_protocol: u32,

    /// Runtime sessions (`session`): the pid in the task's own pid
    /// namespace (the new image's environment: `mm_struct_env_*`).
    pub task_struct_thread_pid: u32,
    pub pid_level: u32,
    pub pid_numbers: u32,
    /// `sizeof(struct upid)`; `upid.nr` is at offset 0.
    pub upid_size: u32,
    pub upid_nr: u32,
}

impl KernelOffsets {
    pub const fn zeroed() -> Self {
        // SAFETY-free: every field is a plain integer.
        unsafe { core::mem::zeroed() }
    }
}

#[cfg(feature = "user")]
unsafe impl aya::Pod for KernelOffsets {}
