//! Reading audit.log text (auditd's, or the sensor's `--format auditd`)
//! into events: records grouped by serial, fields decoded as ausearch does
//! (quoted strings as they are, unquoted hex of untrusted strings decoded).

use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct Record {
    pub kind: String,
    pub fields: Vec<(String, String)>,
}

impl Record {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Event {
    pub id: String,
    pub records: Vec<Record>,
}

impl Event {
    pub fn record(&self, kind: &str) -> Option<&Record> {
        self.records.iter().find(|r| r.kind == kind)
    }

    pub fn records<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Record> {
        self.records.iter().filter(move |r| r.kind == kind)
    }

    /// A SYSCALL field.
    pub fn syscall(&self, field: &str) -> Option<&str> {
        self.record("SYSCALL")?.get(field)
    }
}

/// Fields whose values the kernel writes as untrusted strings: quoted, or
/// hex when they hold spaces, quotes or control bytes.
fn untrusted(kind: &str, field: &str) -> bool {
    matches!(
        field,
        "comm" | "exe" | "cwd" | "name" | "key" | "proctitle" | "data"
    ) || (kind == "EXECVE"
        && field.starts_with('a')
        && field[1..].chars().all(|c| c.is_ascii_digit()))
}

fn unhex(s: &str) -> Option<String> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let bytes: Vec<u8> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect();
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn fields(kind: &str, mut rest: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim().to_owned();
        let after = &rest[eq + 1..];
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            (
                quoted[..end].to_owned(),
                quoted.get(end + 1..).unwrap_or(""),
            )
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            let raw = &after[..end];
            let value = if untrusted(kind, &key) && raw != "(null)" && raw != "(none)" {
                unhex(raw).unwrap_or_else(|| raw.to_owned())
            } else {
                raw.to_owned()
            };
            (value, &after[end..])
        };
        out.push((key, value));
        rest = next;
    }
    out
}

/// A record line's type, event ID (`SECS.MSEC:SERIAL`) and the text of its
/// fields, without the enriched part (after `\x1d`) if any; None for a
/// line that is not a record.
pub fn split_line(line: &str) -> Option<(&str, &str, &str)> {
    let line = line.split('\x1d').next()?;
    let line = &line[line.find("type=")? + 5..];
    let (kind, rest) = line.split_once(' ')?;
    let rest = rest.strip_prefix("msg=audit(")?;
    let (id, body) = rest.split_once("): ").or_else(|| rest.split_once(")"))?;
    Some((kind, id, body))
}

/// Parses a log; events in order of their first record.
pub fn parse(text: &str) -> Vec<Event> {
    let mut order = Vec::new();
    let mut events: BTreeMap<String, Event> = BTreeMap::new();
    for line in text.lines() {
        let Some((kind, id, body)) = split_line(line) else {
            continue;
        };
        let event = events.entry(id.to_owned()).or_insert_with(|| {
            order.push(id.to_owned());
            Event {
                id: id.to_owned(),
                records: Vec::new(),
            }
        });
        event.records.push(Record {
            kind: kind.to_owned(),
            fields: fields(kind, body),
        });
    }
    order
        .into_iter()
        .filter_map(|id| events.remove(&id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_group_by_serial_and_hex_strings_decode() {
        let log = "type=SYSCALL msg=audit(1.002:7): arch=c000003e syscall=59 comm=\"ls\" exe=2F746D702F6120622F6C73 key=(null)\n\
                   type=EXECVE msg=audit(1.002:7): argc=2 a0=\"ls\" a1=6120622063\n\
                   node=x type=CWD msg=audit(1.002:7): cwd=\"/root\"\n\
                   type=SYSCALL msg=audit(1.003:8): syscall=41 exit=3\n";
        let events = parse(log);
        assert_eq!(events.len(), 2);
        let e = &events[0];
        assert_eq!(e.syscall("syscall"), Some("59"));
        assert_eq!(e.syscall("exe"), Some("/tmp/a b/ls"));
        assert_eq!(e.syscall("key"), Some("(null)"));
        assert_eq!(e.record("EXECVE").unwrap().get("a1"), Some("a b c"));
        assert_eq!(e.record("CWD").unwrap().get("cwd"), Some("/root"));
        assert_eq!(events[1].syscall("exit"), Some("3"));
    }
}
