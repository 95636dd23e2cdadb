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
    /// The capability sets of `struct cred` (CAPSET).
    pub cred_cap_inheritable: u32,
    pub cred_cap_permitted: u32,
    pub cred_cap_effective: u32,
    pub cred_cap_ambient: u32,

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
}

impl KernelOffsets {
    pub const fn zeroed() -> Self {
        // SAFETY-free: every field is a plain integer.
        unsafe { core::mem::zeroed() }
    }
}

#[cfg(feature = "user")]
unsafe impl aya::Pod for KernelOffsets {}
