//! Audit netlink messages (`decode::usermsg`) in both formats: each
//! message as the record the kernel writes for it
//! (`audit_log_common_recv_msg`: `pid= uid= auid= ses=`, then `msg='…'`,
//! or `data=` for USER_TTY), then the sending call's SYSCALL and
//! PROCTITLE records, which the kernel writes beside them when a syscall
//! rule records sendto and which carry what the kernel knows of the
//! sender (its exe, comm, all of its ids).
//!
//! The message text is the sender's: only the fields before it come from
//! the kernel. In the auditd format it is written as the kernel writes it,
//! except control bytes, which would end the line (and so forge the start
//! of a record): they are written `%XX`.

use std::fmt::Write;

use super::{
    auditd::{self, Records},
    encode::percent,
    json,
    obj::Obj,
};
use crate::{
    decode::usermsg::{Message, UserMsg, AUDIT_USER_TTY},
    enrich::Enriched,
};

/// The record type's name, as auditd writes it.
pub fn type_name(kind: u16) -> String {
    let name = match kind {
        1005 => "USER",
        1100 => "USER_AUTH",
        1101 => "USER_ACCT",
        1102 => "USER_MGMT",
        1103 => "CRED_ACQ",
        1104 => "CRED_DISP",
        1105 => "USER_START",
        1106 => "USER_END",
        1107 => "USER_AVC",
        1108 => "USER_CHAUTHTOK",
        1109 => "USER_ERR",
        1110 => "CRED_REFR",
        1111 => "USYS_CONFIG",
        1112 => "USER_LOGIN",
        1113 => "USER_LOGOUT",
        1114 => "ADD_USER",
        1115 => "DEL_USER",
        1116 => "ADD_GROUP",
        1117 => "DEL_GROUP",
        1118 => "DAC_CHECK",
        1119 => "CHGRP_ID",
        1120 => "TEST",
        1121 => "TRUSTED_APP",
        1122 => "USER_SELINUX_ERR",
        1123 => "USER_CMD",
        1124 => "USER_TTY",
        1125 => "CHUSER_ID",
        1126 => "GRP_AUTH",
        1127 => "SYSTEM_BOOT",
        1128 => "SYSTEM_SHUTDOWN",
        1129 => "SYSTEM_RUNLEVEL",
        1130 => "SERVICE_START",
        1131 => "SERVICE_STOP",
        1132 => "GRP_MGMT",
        1133 => "GRP_CHAUTHTOK",
        1134 => "MAC_CHECK",
        1135 => "ACCT_LOCK",
        1136 => "ACCT_UNLOCK",
        1137 => "USER_DEVICE",
        1138 => "SOFTWARE_UPDATE",
        2100 => "ANOM_LOGIN_FAILURES",
        2101 => "ANOM_LOGIN_TIME",
        2102 => "ANOM_LOGIN_SESSIONS",
        2103 => "ANOM_LOGIN_ACCT",
        2104 => "ANOM_LOGIN_LOCATION",
        2105 => "ANOM_MAX_DAC",
        2106 => "ANOM_MAX_MAC",
        2107 => "ANOM_AMTU_FAIL",
        2108 => "ANOM_RBAC_FAIL",
        2109 => "ANOM_RBAC_INTEGRITY_FAIL",
        2110 => "ANOM_CRYPTO_FAIL",
        2111 => "ANOM_ACCESS_FS",
        2112 => "ANOM_EXEC",
        2113 => "ANOM_MK_EXEC",
        2114 => "ANOM_ADD_ACCT",
        2115 => "ANOM_DEL_ACCT",
        2116 => "ANOM_MOD_ACCT",
        2117 => "ANOM_ROOT_TRANS",
        2118 => "ANOM_LOGIN_SERVICE",
        2300 => "USER_ROLE_CHANGE",
        2301 => "ROLE_ASSIGN",
        2302 => "ROLE_REMOVE",
        2309 => "FS_RELABEL",
        2310 => "USER_MAC_POLICY_LOAD",
        2312 => "USER_MAC_CONFIG_CHANGE",
        2313 => "USER_MAC_STATUS",
        2402 => "CRYPTO_LOGIN",
        2403 => "CRYPTO_LOGOUT",
        2404 => "CRYPTO_KEY_USER",
        2407 => "CRYPTO_SESSION",
        2500 => "VIRT_CONTROL",
        2501 => "VIRT_RESOURCE",
        2502 => "VIRT_MACHINE_ID",
        _ => return format!("UNKNOWN[{kind}]"),
    };
    name.to_owned()
}

/// The auditd format: one record per message, then SYSCALL and PROCTITLE.
pub fn auditd(r: &mut Records, e: &Enriched, x: &UserMsg) {
    let p = &x.call.process;
    for m in &x.messages {
        r.record(&type_name(m.kind), |o| {
            let _ = write!(
                o,
                "pid={} uid={} auid={} ses={}",
                p.pid, p.uid, p.auid, p.ses
            );
            if m.kind == AUDIT_USER_TTY {
                o.push_str(" data=");
                auditd::untrusted(o, &m.text);
            } else {
                o.push_str(" msg='");
                one_line(o, &m.text);
                o.push('\'');
            }
        });
    }
    if !x.call_recorded_apart {
        auditd::syscall(r, e, &x.call, 0, None, e.key);
        auditd::subject_proctitle(r, e);
    }
}

/// Text as it is but for control and non-ASCII bytes, `%XX`: they would
/// end the line (and so could start a forged record) or not be UTF-8.
pub fn one_line(o: &mut String, raw: &[u8]) {
    for &b in raw {
        if (0x20..0x7f).contains(&b) {
            o.push(b as char);
        } else {
            percent(o, b);
        }
    }
}

/// laurel's layout (0.8.2, checked against it): each record an object
/// under its type's name (`"USER_AUTH":{…}`), the text split into a `msg`
/// map as laurel splits it (`"msg":{"op":"PAM:authentication",…}`), or
/// kept as a string when it is not `key=value` pairs. A type sent more
/// than once in one call (which libaudit never does) is a list of them.
pub fn json(top: &mut Obj, e: &Enriched, x: &UserMsg) {
    let mut done = vec![false; x.messages.len()];
    for i in 0..x.messages.len() {
        if done[i] {
            continue;
        }
        let kind = x.messages[i].kind;
        let same: Vec<usize> = (i..x.messages.len())
            .filter(|&j| x.messages[j].kind == kind)
            .collect();
        let name = type_name(kind);
        if let [only] = same[..] {
            let mut r = top.object(&name);
            record(&mut r, e, x, &x.messages[only]);
            r.end();
        } else {
            let mut list = top.list(&name);
            for &j in &same {
                let mut r = list.object();
                record(&mut r, e, x, &x.messages[j]);
                r.end();
            }
            list.end();
        }
        for j in same {
            done[j] = true;
        }
    }
    if !x.call_recorded_apart {
        json::syscall_of(top, e, &x.call);
        json::subject_proctitle(top, e);
    }
}

fn record(r: &mut Obj, e: &Enriched, x: &UserMsg, m: &Message) {
    let p = &x.call.process;
    r.num("pid", p.pid);
    r.num("uid", p.uid);
    r.num("auid", p.auid);
    r.num("ses", p.ses);
    message(r, m);
    r.str("UID", e.names.user(p.uid).as_bytes());
    r.str("AUID", e.names.user(p.auid).as_bytes());
}

fn message(r: &mut Obj, m: &Message) {
    if m.kind == AUDIT_USER_TTY {
        r.str("data", &m.text);
        return;
    }
    match split(&m.text) {
        Some(fields) => {
            let mut map = r.object("msg");
            for (key, value) in fields {
                match value {
                    Value::Str(v) => map.entry(key, &v),
                    Value::Null => map.null_entry(key),
                }
            }
            map.end();
        }
        None => r.str("msg", &m.text),
    }
}

enum Value {
    Str(Vec<u8>),
    Null,
}

/// The text as laurel's parser splits a `msg='…'` string
/// (`parse_kv_sq_as_map`): `key=value` pairs separated by spaces, a value
/// being a double-quoted string, a run of hex digit pairs (decoded), `?`
/// or `(null)` (null), or words up to the next ` key=`. None when the text
/// is not such pairs (laurel then keeps it a string).
fn split(text: &[u8]) -> Option<Vec<(&[u8], Value)>> {
    let mut fields = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let key_len = key_len(rest)?;
        let key = &rest[..key_len];
        rest = rest[key_len..].strip_prefix(b"=")?;
        let (value, after) = value(rest);
        fields.push((key, value));
        rest = after;
        if rest.is_empty() {
            break;
        }
        let spaces = rest.iter().take_while(|&&b| b == b' ').count();
        if spaces == 0 {
            return None;
        }
        rest = &rest[spaces..];
    }
    Some(fields)
}

/// `[A-Za-z][A-Za-z0-9_-]*` at the start of `s`.
fn key_len(s: &[u8]) -> Option<usize> {
    if !s.first()?.is_ascii_alphabetic() {
        return None;
    }
    Some(
        s.iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            .count(),
    )
}

fn is_sep(b: Option<&u8>) -> bool {
    matches!(b, None | Some(b' '))
}

fn value(s: &[u8]) -> (Value, &[u8]) {
    // A double-quoted string of the kernel's safe characters.
    if let Some(inner) = s.strip_prefix(b"\"") {
        if let Some(end) = inner
            .iter()
            .position(|&b| !(b == b'!' || (b'#'..=b'~').contains(&b)))
        {
            if inner[end] == b'"' {
                return (Value::Str(inner[..end].to_vec()), &inner[end + 1..]);
            }
        }
    }
    // Hex digit pairs up to a separator.
    let hex = s.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if hex >= 2 && hex % 2 == 0 && is_sep(s.get(hex)) {
        let bytes = s[..hex]
            .chunks(2)
            .map(|pair| {
                u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("00"), 16).unwrap_or(0)
            })
            .collect();
        return (Value::Str(bytes), &s[hex..]);
    }
    for null in [&b"?"[..], b"(null)"] {
        if s.starts_with(null) && is_sep(s.get(null.len())) {
            return (Value::Null, &s[null.len()..]);
        }
    }
    // Words, up to a space that starts another `key=`.
    let mut end = 0;
    loop {
        end += s[end..].iter().take_while(|&&b| b != b' ').count();
        if end >= s.len() {
            break;
        }
        let next = &s[end..];
        let spaces = next.iter().take_while(|&&b| b == b' ').count();
        let after = &next[spaces..];
        if key_len(after).is_some_and(|k| after.get(k) == Some(&b'=')) {
            break;
        }
        end += spaces;
    }
    (Value::Str(s[..end].to_vec()), &s[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(text: &str) -> String {
        let mut out = String::new();
        let m = Message {
            kind: 1100,
            text: bytes::Bytes::copy_from_slice(text.as_bytes()),
        };
        let mut o = Obj::open(&mut out);
        message(&mut o, &m);
        o.end();
        out
    }

    #[test]
    fn messages_split_as_laurel_splits_them() {
        assert_eq!(
            show("op=PAM:authentication grantors=? acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=127.0.0.1 addr=127.0.0.1 terminal=ssh res=failed"),
            r#"{"msg":{"op":"PAM:authentication","grantors":null,"acct":"root","exe":"/usr/sbin/sshd","hostname":"127.0.0.1","addr":"127.0.0.1","terminal":"ssh","res":"failed"}}"#
        );
        // Words with spaces, hex-encoded values (sudo's cmd).
        assert_eq!(
            show("op=adding group acct=\"g1\" res=success"),
            r#"{"msg":{"op":"adding group","acct":"g1","res":"success"}}"#
        );
        assert_eq!(
            show("cwd=\"/root\" cmd=6C73202D6C terminal=pts/0 res=success"),
            r#"{"msg":{"cwd":"/root","cmd":"ls -l","terminal":"pts/0","res":"success"}}"#
        );
        // Not pairs: kept as a string.
        assert_eq!(show("free text"), r#"{"msg":"free text"}"#);
    }
}
