//! Stage 6, render: enriched events into output lines.

pub mod auditd;
pub mod encode;
#[cfg(test)]
mod fixtures;
pub mod json;
pub mod kernel_record;
pub mod names;
pub mod obj;
pub mod session;
pub mod sockaddr;
pub mod usermsg;

use crate::enrich::{cgroup::Runtime, runtime::ContainerMeta};

/// `tty` as auditd writes it: the name, or `(none)`.
pub fn tty(raw: &[u8]) -> &[u8] {
    let name = crate::decode::c_str(raw);
    if name.is_empty() {
        b"(none)"
    } else {
        name
    }
}

/// `dev` as auditd writes it: `major:minor` in hex, from the kernel's dev_t.
pub fn dev(dev: u32) -> String {
    format!("{:02x}:{:02x}", dev >> 20, dev & 0xf_ffff)
}

/// A capability set as `audit_log_cap` writes it: `0` when empty, else
/// 16 hex digits.
pub fn caps(set: u64) -> String {
    if set == 0 {
        "0".to_owned()
    } else {
        format!("{set:016x}")
    }
}

/// The runtime the cgroup path names, else the one that answered for it.
pub fn runtime_name(runtime: Runtime, meta: Option<&ContainerMeta>) -> &str {
    match (runtime, meta) {
        (Runtime::Unknown, Some(m)) if !m.runtime.is_empty() => &m.runtime,
        _ => runtime.name(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn capability_sets_are_written_as_the_kernel_writes_them() {
        assert_eq!(super::caps(0), "0");
        assert_eq!(super::caps(0x1_ffff_ffff), "00000001ffffffff");
    }
}
