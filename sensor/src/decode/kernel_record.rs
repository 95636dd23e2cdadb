//! The kernel's own audit records (`kernel_feed`): what LSMs, seccomp,
//! the core dump path and the audit subsystem itself log without any
//! rule. Each arrives as the kernel formats it, `audit(SECS.MSEC:SERIAL):
//! BODY`; the process fields are taken from the body (the kernel wrote
//! them) and completed from the process table by the pipeline.

use bytes::Bytes;
use sensor_common::process::ProcessInfo;

/// The record types written from the kernel's records, and their names.
pub fn type_name(kind: u16) -> Option<&'static str> {
    Some(match kind {
        1305 => "CONFIG_CHANGE",
        1326 => "SECCOMP",
        1328 => "FEATURE_CHANGE",
        1400 => "AVC",
        1401 => "SELINUX_ERR",
        1402 => "AVC_PATH",
        1403 => "MAC_POLICY_LOAD",
        1404 => "MAC_STATUS",
        1405 => "MAC_CONFIG_CHANGE",
        1500 => "AA",
        1501 => "APPARMOR_AUDIT",
        1502 => "APPARMOR_ALLOWED",
        1503 => "APPARMOR_DENIED",
        1504 => "APPARMOR_HINT",
        1505 => "APPARMOR_STATUS",
        1506 => "APPARMOR_ERROR",
        1507 => "APPARMOR_KILL",
        1700 => "ANOM_PROMISCUOUS",
        1701 => "ANOM_ABEND",
        1702 => "ANOM_LINK",
        1703 => "ANOM_CREAT",
        1800 => "INTEGRITY_DATA",
        1801 => "INTEGRITY_METADATA",
        1802 => "INTEGRITY_STATUS",
        1803 => "INTEGRITY_HASH",
        1804 => "INTEGRITY_PCR",
        1805 => "INTEGRITY_RULE",
        1806 => "INTEGRITY_EVM_XATTR",
        1807 => "INTEGRITY_POLICY_RULE",
        _ => return None,
    })
}

pub struct KernelRecord {
    /// The subject as the body names it (pid, uid, gid, auid, ses, comm;
    /// 0 or unset where it names none), its cgroup from the process table.
    pub process: ProcessInfo,
    pub kind: u16,
    /// The kernel's own ID of the record (`SECS.MSEC:SERIAL`), which joins
    /// it to an auditd log on the same node.
    pub kernel_id: String,
    pub body: Bytes,
}

/// A record of a kind in `type_name`, or None.
pub fn decode(kind: u16, payload: Bytes) -> Option<KernelRecord> {
    type_name(kind)?;
    let text = payload.strip_suffix(&[0]).unwrap_or(&payload);
    let rest = text.strip_prefix(b"audit(")?;
    let close = rest.windows(3).position(|w| w == b"): ")?;
    let kernel_id = String::from_utf8_lossy(&rest[..close]).into_owned();
    let body = payload.slice_ref(&rest[close + 3..]);
    // SAFETY-free: every field is a plain integer or byte array.
    let mut process: ProcessInfo = unsafe { std::mem::zeroed() };
    process.auid = u32::MAX;
    process.ses = u32::MAX;
    for (key, value) in fields(&body) {
        let number = || std::str::from_utf8(value).ok()?.parse::<u32>().ok();
        match key {
            b"pid" => process.pid = number().unwrap_or(0),
            b"uid" => process.uid = number().unwrap_or(0),
            b"gid" => process.gid = number().unwrap_or(0),
            b"auid" => process.auid = number().unwrap_or(u32::MAX),
            b"ses" => process.ses = number().unwrap_or(u32::MAX),
            b"comm" => {
                let comm = value
                    .strip_prefix(b"\"")
                    .and_then(|v| v.strip_suffix(b"\""));
                if let Some(comm) = comm {
                    let n = comm.len().min(process.comm.len() - 1);
                    process.comm[..n].copy_from_slice(&comm[..n]);
                }
            }
            _ => {}
        }
    }
    process.tid = process.pid;
    Some(KernelRecord {
        process,
        kind,
        kernel_id,
        body,
    })
}

/// `key=value` pairs of a body, a double-quoted value whole.
pub fn fields(body: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        rest = &rest[rest.iter().take_while(|&&b| b == b' ').count()..];
        let Some(eq) = rest.iter().position(|&b| b == b'=' || b == b' ') else {
            break;
        };
        if rest[eq] != b'=' {
            rest = &rest[eq..];
            continue;
        }
        let key = &rest[..eq];
        let after = &rest[eq + 1..];
        let end = if after.first() == Some(&b'"') {
            after[1..]
                .iter()
                .position(|&b| b == b'"')
                .map_or(after.len(), |e| e + 2)
        } else {
            after.iter().position(|&b| b == b' ').unwrap_or(after.len())
        };
        out.push((key, &after[..end]));
        rest = &after[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seccomp_record_names_its_process() {
        let raw = Bytes::from_static(
            b"audit(1796094712.786:150852): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=18399 comm=\"python3\" exe=\"/usr/bin/python3.11\" sig=9 arch=c000003e syscall=39 compat=0 ip=0x7f4d34cf34e7 code=0x0",
        );
        let r = decode(1326, raw).unwrap();
        assert_eq!(r.kernel_id, "1796094712.786:150852");
        assert_eq!(r.process.pid, 18399);
        assert_eq!(r.process.auid, u32::MAX);
        assert_eq!(crate::decode::c_str(&r.process.comm), b"python3");
        assert!(r.body.starts_with(b"auid="));
        // Types the sensor writes from its own hooks, or no record at all.
        assert!(decode(1300, Bytes::from_static(b"audit(1.000:1): x=1")).is_none());
        assert!(decode(1100, Bytes::from_static(b"audit(1.000:1): x=1")).is_none());
        assert!(decode(1326, Bytes::from_static(b"garbage")).is_none());
        assert_eq!(
            fields(b"apparmor=\"DENIED\" info=\"a b\" pid=3"),
            [
                (&b"apparmor"[..], &b"\"DENIED\""[..]),
                (b"info", b"\"a b\""),
                (b"pid", b"3")
            ]
        );
    }
}
