//! The BPRM_FCAPS record: when the kernel writes one for an exec, and what
//! it holds (`cap_bprm_creds_from_file` and `audit_log_bprm_fcaps`, the
//! same from 5.10 to 6.18).

use sensor_common::exec::{caps, ExecCreds};

use super::files::FileCaps;

/// MNT_NOSUID: file capabilities do not apply on such a mount.
const MNT_NOSUID: u32 = 0x01;
/// SECBIT_NOROOT: uid 0 gets no capabilities of its own.
const SECBIT_NOROOT: u32 = 1 << 0;

/// The record's fields.
#[derive(Debug, PartialEq, Eq)]
pub struct BprmFcaps {
    /// The executable's file capabilities; None when the file could not be
    /// read as it was (`files`).
    pub file: Option<FileCaps>,
    /// permitted, inheritable, effective, ambient (`exec::caps` order).
    pub old: [u64; 4],
    pub new: [u64; 4],
}

/// Whether the exec raised capabilities in a way the kernel audits
/// (`nonroot_raised_pE`), and the record if so. `uid`, `euid`: the new
/// credentials'; `file`: the executable's capabilities, if known;
/// `full`: every capability of the kernel (CAP_FULL_SET).
pub fn bprm_fcaps(
    creds: &ExecCreds,
    uid: u32,
    euid: u32,
    file: Option<&FileCaps>,
    full: u64,
) -> Option<BprmFcaps> {
    let (old, new) = (&creds.old_caps, &creds.new_caps);
    // A user namespace whose root is not known: the initial one's.
    let root = if creds.root_uid == u32::MAX {
        0
    } else {
        creds.root_uid
    };
    let root_privileged = creds.securebits & SECBIT_NOROOT == 0;
    let is_eff = euid == root;
    let is_real = uid == root;
    let is_suid = !is_real && is_eff;
    let is_setuid = euid != creds.old_uid;
    let grew = |a: usize, b: usize| new[a] & !new[b] != 0;
    let full_effective = new[caps::EFFECTIVE] & full == full;
    let gained = |set: usize| new[set] & !old[set] != 0;
    let has_fcap = match file {
        Some(f) => f.present && creds.exe_mnt_flags & MNT_NOSUID == 0,
        // Not read: without file capabilities a non-root exec's permitted
        // set is what its ambient set keeps, a subset of the old one; so a
        // gain there came from the file.
        None => !is_eff && !is_real && gained(caps::PERMITTED),
    };
    let raised = (grew(caps::EFFECTIVE, caps::AMBIENT)
        && !(full_effective && (is_eff || is_real) && root_privileged))
        || (root_privileged && is_suid && !full_effective)
        || (!is_setuid && ((has_fcap && gained(caps::PERMITTED)) || gained(caps::AMBIENT)));
    raised.then(|| BprmFcaps {
        file: file.copied(),
        old: *old,
        new: *new,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: u64 = (1 << 41) - 1;

    fn creds(old: [u64; 4], new: [u64; 4], old_uid: u32) -> ExecCreds {
        ExecCreds {
            old_caps: old,
            new_caps: new,
            old_uid,
            securebits: 0,
            root_uid: 0,
            exe_mnt_flags: 0,
        }
    }

    #[test]
    fn root_with_every_capability_is_not_audited() {
        let c = creds([FULL, 0, FULL, 0], [FULL, 0, FULL, 0], 0);
        assert_eq!(bprm_fcaps(&c, 0, 0, Some(&FileCaps::default()), FULL), None);
    }

    #[test]
    fn root_short_of_a_capability_is_audited_as_the_kernel_does() {
        // A bounding set without CAP_SYS_RESOURCE (this project's VMs).
        let bset = FULL & !(1 << 24);
        let c = creds([bset, 0, bset, 0], [bset, 0, bset, 0], 0);
        let r = bprm_fcaps(&c, 0, 0, Some(&FileCaps::default()), FULL).unwrap();
        assert_eq!(r.new[caps::PERMITTED], bset);
        assert_eq!(r.file, Some(FileCaps::default()));
    }

    #[test]
    fn a_user_running_a_file_with_capabilities_is_audited() {
        let net_raw = 1 << 13;
        let file = FileCaps {
            present: true,
            permitted: net_raw,
            effective: true,
            version: 2,
            ..Default::default()
        };
        let c = creds([0; 4], [net_raw, 0, net_raw, 0], 1000);
        let r = bprm_fcaps(&c, 1000, 1000, Some(&file), FULL).unwrap();
        assert_eq!(r.file.unwrap().permitted, net_raw);
        // Unread, the gain still says the file had them.
        assert!(bprm_fcaps(&c, 1000, 1000, None, FULL).is_some());
        // On a nosuid mount they do not apply: nothing raised, no record.
        let mut nosuid = creds([0; 4], [0; 4], 1000);
        nosuid.exe_mnt_flags = MNT_NOSUID;
        assert_eq!(bprm_fcaps(&nosuid, 1000, 1000, Some(&file), FULL), None);
    }

    #[test]
    fn a_user_running_a_plain_file_is_not_audited() {
        let c = creds([0; 4], [0; 4], 1000);
        assert_eq!(bprm_fcaps(&c, 1000, 1000, None, FULL), None);
    }
}
