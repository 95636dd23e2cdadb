//! Counting what a tracer wrote: events, and records it says it lost.

/// Events and lost records in `text`: the sensor's JSON (one event a line,
/// `LOST` records, a list as laurel lists record types, with a `total`), or auditd's text format (the sensor's
/// or auditd's own: an event is a run of lines with one `msg=audit(ID)`,
/// the sensor's loss records are `UNKNOWN[2099]` with `total=`).
pub fn count(text: &[u8], json: bool) -> (u64, u64) {
    let (mut events, mut lost) = (0, 0);
    let mut last_id: &[u8] = b"";
    for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if json {
            if contains(line, b"\"LOST\":[{") {
                lost += number_after(line, b"\"total\":");
            } else {
                events += 1;
            }
            continue;
        }
        if contains(line, b"type=UNKNOWN[2099]") {
            lost += number_after(line, b"total=");
            continue;
        }
        let id = find(line, b"msg=audit(")
            .map(|i| {
                let rest = &line[i..];
                &rest[..rest.iter().position(|&b| b == b')').unwrap_or(rest.len())]
            })
            .unwrap_or(b"");
        if id != last_id {
            events += 1;
            last_id = id;
        }
    }
    (events, lost)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    find(hay, needle).is_some()
}

fn number_after(line: &[u8], key: &[u8]) -> u64 {
    let Some(i) = find(line, key) else { return 0 };
    line[i + key.len()..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0, |n, &b| n * 10 + (b - b'0') as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_and_losses_are_counted_in_both_formats() {
        let json = b"{\"ID\":\"1.0:1\",\"SYSCALL\":{}}\n{\"ID\":\"1.0:2\",\"LOST\":[{\"total\":7,\"ring_buffer\":{\"exec\":7}}]}\n{\"ID\":\"1.0:3\"}\n";
        assert_eq!(count(json, true), (2, 7));
        let text =
            b"node=a type=SYSCALL msg=audit(1.0:1): x\nnode=a type=PATH msg=audit(1.0:1): y\n\
            node=a type=UNKNOWN[2099] msg=audit(1.0:2): total=12 ring_buffer_exec=12\n\
            type=SYSCALL msg=audit(1.0:3): z\ntype=EOE msg=audit(1.0:3):\n";
        assert_eq!(count(text, false), (2, 12));
    }
}
