//! The kernel's own records (`decode::kernel_record`): in the auditd
//! format as the kernel wrote them (under the sensor's event ID; the
//! kernel's own is `kernel_id` in JSON), in JSON as laurel lays out such
//! records: a list under the type's name, numbers as numbers, quoted
//! strings unquoted, `?` as null, and `KERNEL_ID`.

use super::{auditd::Records, json::Obj, usermsg::one_line};
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
    let p = &x.process;
    if x.body.windows(5).any(|w| w == b"auid=") {
        r.str("AUID", e.names.user(p.auid).as_bytes());
    }
    if x.body.starts_with(b"uid=") || x.body.windows(5).any(|w| w == b" uid=") {
        r.str("UID", e.names.user(p.uid).as_bytes());
    }
    r.str("KERNEL_ID", x.kernel_id.as_bytes());
    r.end();
    list.end();
}
