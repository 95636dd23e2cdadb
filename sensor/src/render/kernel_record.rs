//! The kernel's own records (`decode::kernel_record`): in the auditd
//! format as the kernel wrote them (under the sensor's event ID; the
//! kernel's own is `KERNEL_ID` in JSON), in JSON as laurel (0.8.2, checked
//! against it) lays out such records: a list under the type's name,
//! numbers as numbers, quoted strings unquoted, `?` as null, `arch` as
//! `0x…`, every `…uid`/`…gid` named; and `KERNEL_ID`.

use super::{auditd::Records, obj::Obj, usermsg::one_line};
use crate::{
    decode::kernel_record::{fields, type_name, KernelRecord},
    enrich::Enriched,
};

fn name(x: &KernelRecord) -> &'static str {
    type_name(x.kind).unwrap_or("UNKNOWN")
}

pub fn auditd(r: &mut Records, x: &KernelRecord) {
    r.record(name(x), |o| one_line(o, &x.body));
}

pub fn json(top: &mut Obj, e: &Enriched, x: &KernelRecord) {
    let mut list = top.list(name(x));
    let mut r = list.object();
    for (key, value) in fields(&x.body) {
        let quoted = value
            .strip_prefix(b"\"")
            .and_then(|v| v.strip_suffix(b"\""));
        let is_number = !value.is_empty()
            && value.len() < 20
            && value
                .iter()
                .enumerate()
                .all(|(i, b)| b.is_ascii_digit() || (i == 0 && *b == b'-'))
            && value != b"-";
        match (quoted, value) {
            (Some(s), _) => r.entry(key, s),
            (None, b"?" | b"(null)") => r.null_entry(key),
            (None, v) if is_number => r.raw_entry(key, v),
            (None, v) if key == b"arch" => r.entry(key, &[b"0x", v].concat()),
            (None, v) => r.entry(key, v),
        }
    }
    // laurel's translations: every numeric `…uid` and `…gid` field named.
    for (key, value) in fields(&x.body) {
        let Some(id) = std::str::from_utf8(value)
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
        else {
            continue;
        };
        let name = if key.ends_with(b"uid") {
            e.names.user(id)
        } else if key.ends_with(b"gid") {
            e.names.group(id)
        } else {
            continue;
        };
        r.entry(&key.to_ascii_uppercase(), name.as_bytes());
    }
    r.str("KERNEL_ID", x.kernel_id.as_bytes());
    r.end();
    list.end();
}
