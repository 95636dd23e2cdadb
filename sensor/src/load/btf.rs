//! Kernel struct offsets from the running kernel's BTF: Rust eBPF has no CO-RE
//! relocations, so the programs get every offset they use from here.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use btf_rs::{Btf, BtfType, Type};
use sensor_common::offsets::KernelOffsets;

pub const DEFAULT_BTF: &str = "/sys/kernel/btf/vmlinux";

pub fn open(path: &Path) -> Result<Btf> {
    Btf::from_file(path)
        .map_err(|e| anyhow!("{e}"))
        .with_context(|| {
            format!(
                "cannot read kernel BTF from {}: the sensor resolves kernel struct offsets from BTF. \
                 Kernels built with CONFIG_DEBUG_INFO_BTF=y provide {DEFAULT_BTF} (every kernel of \
                 Debian 11+, Ubuntu 20.10+, RHEL 8.2+, COS, AL2023 and Bottlerocket does). \
                 Otherwise point --btf at a BTF file made for this exact kernel release (`uname -r`): \
                 extract one from the distribution's debug-symbol package (Debian's \
                 linux-image-RELEASE-dbg, Ubuntu's linux-image-RELEASE-dbgsym) with \
                 `pahole --btf_encode_detached FILE vmlinux`, or take it from a BTF archive per \
                 kernel release such as BTFHub (github.com/aquasecurity/btfhub-archive)",
                path.display()
            )
        })
}

/// The cgroup controllers whose hierarchy places a task, in order of
/// preference: container runtimes always create memory (else pids, cpu)
/// cgroups for their containers.
const CONTROLLERS: [&str; 3] = ["memory", "pids", "cpu"];

/// The controller the programs read a task's cgroup from, and its index in
/// `css_set.subsys` (its value in the kernel's `enum cgroup_subsys_id`).
pub fn controller(btf: &Btf) -> Result<(&'static str, u32)> {
    let r = Resolver { btf };
    CONTROLLERS
        .into_iter()
        .find_map(|c| {
            Some((
                c,
                r.enum_value("cgroup_subsys_id", &format!("{c}_cgrp_id"))?,
            ))
        })
        .context("the kernel has none of the memory, pids and cpu cgroup controllers")
}

/// Resolves every offset the programs use; fails naming the first missing field.
pub fn resolve(btf: &Btf) -> Result<KernelOffsets> {
    let r = Resolver { btf };
    let (_, controller) = controller(btf)?;
    let (children, sibling, circular) = dentry_children(&r)?;
    Ok(KernelOffsets {
        task_struct_cgroups: r.offset("task_struct", "cgroups")?,
        task_struct_nsproxy: r.offset("task_struct", "nsproxy")?,
        css_set_subsys_ctl: r.offset("css_set", "subsys")? + 8 * controller,
        cgroup_subsys_state_cgroup: r.offset("cgroup_subsys_state", "cgroup")?,
        cgroup_kn: r.offset("cgroup", "kn")?,
        kernfs_node_id: r.offset("kernfs_node", "id")?,
        cgroup_root: r.offset("cgroup", "root")?,
        cgroup_root_hierarchy_id: r.offset("cgroup_root", "hierarchy_id")?,
        nsproxy_mnt_ns: r.offset("nsproxy", "mnt_ns")?,
        nsproxy_pid_ns_for_children: r.offset("nsproxy", "pid_ns_for_children")?,
        mnt_namespace_inum: r.offset("mnt_namespace", "ns.inum")?,
        pid_namespace_inum: r.offset("pid_namespace", "ns.inum")?,
        task_struct_pid: r.offset("task_struct", "pid")?,
        task_struct_tgid: r.offset("task_struct", "tgid")?,
        task_struct_real_parent: r.offset("task_struct", "real_parent")?,
        task_struct_cred: r.offset("task_struct", "cred")?,
        task_struct_loginuid: r
            .offset("task_struct", "loginuid")
            .context("the kernel lacks CONFIG_AUDIT (task_struct.loginuid): auid cannot be read")?,
        task_struct_sessionid: r.offset("task_struct", "sessionid")?,
        task_struct_signal: r.offset("task_struct", "signal")?,
        task_struct_mm: r.offset("task_struct", "mm")?,
        task_struct_fs: r.offset("task_struct", "fs")?,
        task_struct_stack: r.offset("task_struct", "stack")?,
        task_struct_files: r.offset("task_struct", "files")?,
        task_struct_exit_code: r.offset("task_struct", "exit_code")?,
        files_struct_fdt: r.offset("files_struct", "fdt")?,
        fdtable_fd: r.offset("fdtable", "fd")?,
        fdtable_max_fds: r.offset("fdtable", "max_fds")?,
        file_private_data: r.offset("file", "private_data")?,
        tty_file_private_tty: r.offset("tty_file_private", "tty")?,
        tty_struct_termios_c_lflag: r.offset("tty_struct", "termios.c_lflag")?,
        cred_uid: r.offset("cred", "uid")?,
        cred_gid: r.offset("cred", "gid")?,
        cred_suid: r.offset("cred", "suid")?,
        cred_sgid: r.offset("cred", "sgid")?,
        cred_euid: r.offset("cred", "euid")?,
        cred_egid: r.offset("cred", "egid")?,
        cred_fsuid: r.offset("cred", "fsuid")?,
        cred_fsgid: r.offset("cred", "fsgid")?,
        signal_struct_tty: r.offset("signal_struct", "tty")?,
        tty_struct_name: r.offset("tty_struct", "name")?,
        mm_struct_exe_file: r.offset("mm_struct", "exe_file")?,
        mm_struct_arg_start: r.offset("mm_struct", "arg_start")?,
        mm_struct_arg_end: r.offset("mm_struct", "arg_end")?,
        fs_struct_root: r.offset("fs_struct", "root")?,
        fs_struct_pwd: r.offset("fs_struct", "pwd")?,
        path_mnt: r.offset("path", "mnt")?,
        path_dentry: r.offset("path", "dentry")?,
        file_f_path: r.offset("file", "f_path")?,
        file_f_inode: r.offset("file", "f_inode")?,
        dentry_d_parent: r.offset("dentry", "d_parent")?,
        dentry_d_name: r.offset("dentry", "d_name")?,
        dentry_d_hash_pprev: r.offset("dentry", "d_hash.pprev")?,
        qstr_name: r.offset("qstr", "name")?,
        qstr_len: r.offset("qstr", "len")?,
        vfsmount_mnt_root: r.offset("vfsmount", "mnt_root")?,
        mount_mnt: r.offset("mount", "mnt")?,
        mount_mnt_parent: r.offset("mount", "mnt_parent")?,
        mount_mnt_mountpoint: r.offset("mount", "mnt_mountpoint")?,
        inode_i_ino: r.offset("inode", "i_ino")?,
        inode_i_mode: r.offset("inode", "i_mode")?,
        inode_i_uid: r.offset("inode", "i_uid")?,
        inode_i_gid: r.offset("inode", "i_gid")?,
        inode_i_sb: r.offset("inode", "i_sb")?,
        inode_i_rdev: r.offset("inode", "i_rdev")?,
        super_block_s_dev: r.offset("super_block", "s_dev")?,
        super_block_s_magic: r.offset("super_block", "s_magic")?,
        pt_regs_di: r.offset("pt_regs", "di")?,
        pt_regs_si: r.offset("pt_regs", "si")?,
        pt_regs_dx: r.offset("pt_regs", "dx")?,
        pt_regs_r10: r.offset("pt_regs", "r10")?,
        pt_regs_r8: r.offset("pt_regs", "r8")?,
        pt_regs_r9: r.offset("pt_regs", "r9")?,
        pt_regs_orig_ax: r.offset("pt_regs", "orig_ax")?,
        pt_regs_ax: r.offset("pt_regs", "ax")?,
        pt_regs_size: r.size("pt_regs")?,
        pt_regs_bx: r.offset("pt_regs", "bx")?,
        pt_regs_cx: r.offset("pt_regs", "cx")?,
        pt_regs_bp: r.offset("pt_regs", "bp")?,
        task_struct_thread_info_status: r.offset("task_struct", "thread_info.status")?,
        cred_cap_inheritable: r.offset("cred", "cap_inheritable")?,
        cred_cap_permitted: r.offset("cred", "cap_permitted")?,
        cred_cap_effective: r.offset("cred", "cap_effective")?,
        cred_cap_ambient: r.offset("cred", "cap_ambient")?,
        dentry_d_inode: r.offset("dentry", "d_inode")?,
        dentry_d_flags: r.offset("dentry", "d_flags")?,
        dentry_children: children,
        dentry_sibling: sibling,
        dentry_children_circular: circular as u32,
        dcache_mounted: r
            .enum_value("dentry_flags", "DCACHE_MOUNTED")
            .unwrap_or(DCACHE_MOUNTED_DEFINE),
        mount_mnt_mounts: r.offset("mount", "mnt_mounts")?,
        mount_mnt_child: r.offset("mount", "mnt_child")?,
        inode_i_link: r.offset("inode", "i_link")?,
    })
}

/// `DCACHE_MOUNTED` while it was a `#define`, invisible to BTF; later
/// kernels list it in `enum dentry_flags`.
const DCACHE_MOUNTED_DEFINE: u32 = 0x0001_0000;

/// A dentry's children and sibling link, and whether they form a circular
/// list (`list_head`, to 6.7) or an `hlist` (from 6.8).
fn dentry_children(r: &Resolver) -> Result<(u32, u32, bool)> {
    match (
        r.offset("dentry", "d_children"),
        r.offset("dentry", "d_sib"),
    ) {
        (Ok(children), Ok(sibling)) => Ok((children, sibling, false)),
        _ => Ok((
            r.offset("dentry", "d_subdirs")?,
            r.offset("dentry", "d_child")?,
            true,
        )),
    }
}

struct Resolver<'a> {
    btf: &'a Btf,
}

impl Resolver<'_> {
    fn named_struct(&self, name: &str) -> Result<btf_rs::Struct> {
        let types = self
            .btf
            .resolve_types_by_name(name)
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("struct {name} is not in the kernel's BTF"))?;
        types
            .into_iter()
            .find_map(|t| match t {
                Type::Struct(s) => Some(s),
                _ => None,
            })
            .ok_or_else(|| anyhow!("struct {name} is not in the kernel's BTF"))
    }

    /// The value of enumerator `name` of `enum enum_name`.
    fn enum_value(&self, enum_name: &str, name: &str) -> Option<u32> {
        let types = self.btf.resolve_types_by_name(enum_name).ok()?;
        types.into_iter().find_map(|t| match t {
            Type::Enum(e) => e
                .members
                .iter()
                .find(|m| self.btf.resolve_name(*m).is_ok_and(|n| n == name))
                .map(|m| m.val()),
            _ => None,
        })
    }

    fn size(&self, name: &str) -> Result<u32> {
        Ok(self.named_struct(name)?.size() as u32)
    }

    /// Byte offset of a dotted field path (`d_hash.pprev`) in `struct name`,
    /// looking through anonymous structs and unions as C does.
    fn offset(&self, name: &str, field_path: &str) -> Result<u32> {
        let mut current = self.named_struct(name)?;
        let mut total = 0;
        let mut fields = field_path.split('.').peekable();
        while let Some(field) = fields.next() {
            let (offset, member_type) = self
                .find(&current, field)?
                .ok_or_else(|| anyhow!("the kernel's struct {name} has no field {field_path}"))?;
            total += offset;
            if fields.peek().is_some() {
                current = self.as_struct(member_type).with_context(|| {
                    format!("{name}.{field} is not a struct in the kernel's BTF")
                })?;
            }
        }
        Ok(total)
    }

    fn find(&self, s: &btf_rs::Struct, field: &str) -> Result<Option<(u32, Type)>> {
        for member in &s.members {
            let name = self.btf.resolve_name(member).unwrap_or_default();
            let member_type = self
                .btf
                .resolve_chained_type(member)
                .map_err(|e| anyhow!("{e}"))?;
            let offset = member.bit_offset() / 8;
            if name == field {
                return Ok(Some((offset, member_type)));
            }
            if name.is_empty() {
                if let Ok(inner) = self.as_struct(member_type) {
                    if let Some((inner_offset, t)) = self.find(&inner, field)? {
                        return Ok(Some((offset + inner_offset, t)));
                    }
                }
            }
        }
        Ok(None)
    }

    /// Follows typedefs and qualifiers down to a struct or union.
    fn as_struct(&self, mut t: Type) -> Result<btf_rs::Struct> {
        loop {
            t = match t {
                Type::Struct(s) | Type::Union(s) => return Ok(s),
                Type::Typedef(ref inner) => self.chained(inner)?,
                Type::Const(ref inner) | Type::Volatile(ref inner) | Type::Restrict(ref inner) => {
                    self.chained(inner)?
                }
                other => bail!("a {} is not a struct", other.name()),
            }
        }
    }

    fn chained(&self, t: &dyn BtfType) -> Result<Type> {
        self.btf.resolve_chained_type(t).map_err(|e| anyhow!("{e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_every_offset_from_the_running_kernel() {
        let btf = open(Path::new(DEFAULT_BTF)).unwrap();
        let offsets = resolve(&btf).unwrap();
        // Two fields whose relative order the kernel has kept forever.
        assert!(offsets.task_struct_tgid > offsets.task_struct_pid);
        assert_eq!(offsets.path_mnt, 0);
        assert_eq!(offsets.path_dentry, 8);
        assert!(offsets.pt_regs_size >= 21 * 8);
    }

    #[test]
    fn a_file_that_is_not_btf_is_refused_with_advice() {
        let Err(err) = open(Path::new("/etc/hostname")) else {
            panic!("/etc/hostname was read as BTF");
        };
        let advice = format!("{err:#}");
        assert!(advice.contains("CONFIG_DEBUG_INFO_BTF"), "{advice}");
        assert!(advice.contains("--btf"), "{advice}");
        assert!(
            advice.contains("dbgsym") && advice.contains("btfhub"),
            "{advice}"
        );
    }
}
