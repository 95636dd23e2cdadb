//! Audit netlink messages (`sensor_common::usermsg`): the sent buffer
//! split into its netlink messages, keeping those the kernel would log,
//! with the text as the kernel would log it. Nothing in a message sets
//! the sender's identity: that is the kernel record's `process`.

use anyhow::Result;
use bytes::Bytes;
use sensor_common::usermsg::{flags, UserMsgEvent};

use super::{read_struct, Call, Trailer};

/// `AUDIT_USER`, the user message ranges, and `AUDIT_USER_TTY`, whose
/// text the kernel writes as an untrusted `data=` string.
pub const AUDIT_USER: u16 = 1005;
pub const AUDIT_USER_TTY: u16 = 1124;
const USER_RANGES: [std::ops::RangeInclusive<u16>; 2] = [1100..=1199, 2100..=2999];
/// `AUDIT_MESSAGE_TEXT_MAX`: the kernel logs no more of a message.
pub const TEXT_MAX: usize = 8560;
const NLMSG_HDRLEN: usize = 16;
/// `NLM_F_REQUEST`: the kernel's netlink_rcv_skb only hands requests on.
const NLM_F_REQUEST: u16 = 1;
const AF_NETLINK: u16 = 16;

pub struct UserMsg {
    /// The sender and its sendto(2) or sendmsg(2).
    pub call: Call,
    /// What the kernel would log of the send, in order.
    pub messages: Vec<Message>,
    /// A rule records the sending call: its own event (the generic
    /// programs') holds its SYSCALL and PROCTITLE, keyed, and the
    /// messages' event does not, as the kernel logs a user message under
    /// a serial of its own (set by the filter).
    pub call_recorded_apart: bool,
}

pub struct Message {
    pub kind: u16,
    /// The text: up to its first NUL, without the payload's last byte
    /// (which the kernel overwrites with a NUL), at most `TEXT_MAX`.
    pub text: Bytes,
}

pub fn is_user_type(kind: u16) -> bool {
    kind == AUDIT_USER || USER_RANGES.iter().any(|r| r.contains(&kind))
}

pub fn decode(raw: Bytes) -> Result<UserMsg> {
    let e: UserMsgEvent = read_struct(&raw)?;
    let data = Trailer::after::<UserMsgEvent>(raw).take(e.data_len, "audit message")?;
    let call = Call {
        process: e.process,
        syscall: e.syscall,
        returned: true,
    };
    let messages = if accepted(&e) {
        messages(&data)
    } else {
        Vec::new()
    };
    Ok(UserMsg {
        call,
        messages,
        call_recorded_apart: false,
    })
}

/// Whether the kernel takes user messages from this send at all
/// (`audit_netlink_ok`): CAP_AUDIT_WRITE in the initial user namespace,
/// sent to the kernel (port 0, no multicast group), not to a process.
fn accepted(e: &UserMsgEvent) -> bool {
    let needed = flags::CAP_AUDIT_WRITE | flags::INIT_USER_NS;
    if e.flags & needed != needed {
        return false;
    }
    if e.flags & flags::HAS_DEST != 0 {
        let d = &e.dest;
        let family = u16::from_le_bytes([d[0], d[1]]);
        let port = u32::from_le_bytes([d[4], d[5], d[6], d[7]]);
        let groups = u32::from_le_bytes([d[8], d[9], d[10], d[11]]);
        if family != AF_NETLINK || port != 0 || groups != 0 {
            return false;
        }
    }
    true
}

/// The netlink messages of `data` the kernel would log, as
/// `netlink_rcv_skb` walks them: it stops at a header that does not fit,
/// skips what is not a request, and `audit_receive_msg` logs user
/// messages with at least two bytes of payload.
pub fn messages(data: &Bytes) -> Vec<Message> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + NLMSG_HDRLEN <= data.len() {
        let h = &data[at..at + NLMSG_HDRLEN];
        let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
        let kind = u16::from_le_bytes([h[4], h[5]]);
        let nl_flags = u16::from_le_bytes([h[6], h[7]]);
        if len < NLMSG_HDRLEN || len > data.len() - at {
            break;
        }
        let payload = data.slice(at + NLMSG_HDRLEN..at + len);
        if nl_flags & NLM_F_REQUEST != 0 && is_user_type(kind) && payload.len() >= 2 {
            out.push(Message {
                kind,
                text: text(kind, payload),
            });
        }
        // Aligned, and past the end when the last one is not (as the
        // kernel's netlink_rcv_skb pulls at most what is left).
        at += (len + 3) & !3;
    }
    out
}

fn text(kind: u16, payload: Bytes) -> Bytes {
    let body = if kind == AUDIT_USER_TTY {
        // Written whole, as an untrusted string, less a final NUL.
        match payload.last() {
            Some(0) => payload.slice(..payload.len() - 1),
            _ => payload,
        }
    } else {
        let body = payload.slice(..payload.len() - 1);
        let end = body.iter().position(|&b| b == 0).unwrap_or(body.len());
        body.slice(..end.min(TEXT_MAX))
    };
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nlmsg(kind: u16, flags: u16, payload: &[u8]) -> Vec<u8> {
        let len = (NLMSG_HDRLEN + payload.len()) as u32;
        let mut m = len.to_le_bytes().to_vec();
        m.extend(kind.to_le_bytes());
        m.extend(flags.to_le_bytes());
        m.extend([0; 8]);
        m.extend(payload);
        while !m.len().is_multiple_of(4) {
            m.push(0);
        }
        m
    }

    #[test]
    fn libaudit_messages_are_read_as_the_kernel_reads_them() {
        let mut buf = nlmsg(1100, 5, b"op=PAM:authentication acct=\"root\" res=failed\0");
        buf.extend(nlmsg(1101, 5, b"op=x\0hidden\0"));
        // Not a request, a control type, too short: the kernel logs none.
        buf.extend(nlmsg(1102, 0, b"op=ignored\0"));
        buf.extend(nlmsg(1001, 5, b"xxxx"));
        buf.extend(nlmsg(1103, 5, b"x"));
        // A header whose length overruns the buffer ends the walk.
        let mut bad = nlmsg(1104, 5, b"op=cut\0");
        bad[0] = 200;
        buf.extend(bad);
        let got = messages(&Bytes::from(buf));
        let got: Vec<(u16, &[u8])> = got.iter().map(|m| (m.kind, &m.text[..])).collect();
        assert_eq!(
            got,
            [
                (1100, &b"op=PAM:authentication acct=\"root\" res=failed"[..]),
                (1101, b"op=x"),
            ]
        );
    }

    #[test]
    fn the_last_byte_is_dropped_even_without_a_nul_and_text_is_capped() {
        let got = messages(&Bytes::from(nlmsg(1123, 1, b"op=abc")));
        assert_eq!(&got[0].text[..], b"op=ab");
        let long = vec![b'a'; TEXT_MAX + 100];
        let got = messages(&Bytes::from(nlmsg(1123, 1, &long)));
        assert_eq!(got[0].text.len(), TEXT_MAX);
        // An unaligned message alone (no padding sent after it).
        let mut unaligned = nlmsg(1105, 5, b"op=last\0x");
        unaligned.truncate(16 + 9);
        assert_eq!(&messages(&Bytes::from(unaligned))[0].text[..], b"op=last");
        let tty = messages(&Bytes::from(nlmsg(AUDIT_USER_TTY, 1, b"ls\n\0")));
        assert_eq!(&tty[0].text[..], b"ls\n");
    }

    #[test]
    fn any_bytes_decode_without_a_panic() {
        // Buffers of every length up to 80 from a fixed generator, their
        // headers' lengths all over the place.
        let mut x: u32 = 12345;
        for len in 0..80 {
            for _ in 0..50 {
                let buf: Vec<u8> = (0..len)
                    .map(|_| {
                        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                        (x >> 16) as u8 % 24
                    })
                    .collect();
                let _ = messages(&Bytes::from(buf));
            }
        }
    }
}
