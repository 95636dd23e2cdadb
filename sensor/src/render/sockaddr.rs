//! SOCKADDR records as laurel (`translate.universal`) writes them: the
//! address interpreted (`SADDR`) when laurel can read it, else the raw
//! bytes (`saddr`, percent-encoded like every string).
//!
//! laurel reads an address only when it is at least as long as its
//! family's `struct sockaddr_*` (so a unix address passed with the length
//! of its path is not read, one passed as a whole `struct sockaddr_un` is),
//! and only for the families below.

use std::{
    fmt::Write,
    net::{Ipv4Addr, Ipv6Addr},
};

use super::obj::Obj;

/// Upper-case hex, as auditd writes raw bytes (the setsockopt value).
pub fn hex(raw: &[u8]) -> String {
    let mut s = String::with_capacity(raw.len() * 2);
    for b in raw {
        let _ = write!(s, "{b:02X}");
    }
    s
}

const AF_UNIX: u16 = 1;
const AF_INET: u16 = 2;
const AF_AX25: u16 = 3;
const AF_IPX: u16 = 4;
const AF_ATMPVC: u16 = 8;
const AF_X25: u16 = 9;
const AF_INET6: u16 = 10;
const AF_NETLINK: u16 = 16;
const AF_VSOCK: u16 = 40;

/// Writes the SOCKADDR item's fields for the raw address `raw`.
pub fn render(item: &mut Obj, raw: &[u8]) {
    if !interpret(item, raw) {
        item.str("saddr", raw);
    }
}

/// Writes `SADDR` if laurel reads this address; false if it does not.
fn interpret(item: &mut Obj, raw: &[u8]) -> bool {
    let Some(family) = raw.get(..2).map(|f| u16::from_ne_bytes([f[0], f[1]])) else {
        return false;
    };
    // The size of the family's struct sockaddr_*.
    let size = match family {
        AF_UNIX => 110,
        AF_INET | AF_AX25 | AF_IPX | AF_VSOCK => 16,
        AF_ATMPVC | AF_NETLINK => 12,
        AF_X25 => 18,
        AF_INET6 => 28,
        _ => return false,
    };
    if raw.len() < size {
        return false;
    }
    let u16_be = |at: usize| u16::from_be_bytes([raw[at], raw[at + 1]]);
    let u32_be = |at: usize| u32::from_be_bytes(raw[at..at + 4].try_into().unwrap_or_default());
    let u32_ne = |at: usize| u32::from_ne_bytes(raw[at..at + 4].try_into().unwrap_or_default());
    let i16_ne = |at: usize| i16::from_ne_bytes([raw[at], raw[at + 1]]);
    let mut s = item.object("SADDR");
    match family {
        AF_UNIX => {
            s.str("saddr_fam", b"local");
            // sun_path: an abstract name after its leading NUL, up to the
            // first NUL either way.
            let path = &raw[2..110];
            let path = &path[(path[0] == 0) as usize..];
            s.str("path", crate::decode::c_str(path));
        }
        AF_INET => {
            s.str("saddr_fam", b"inet");
            let addr = Ipv4Addr::new(raw[4], raw[5], raw[6], raw[7]);
            s.str("addr", addr.to_string().as_bytes());
            s.num("port", u16_be(2));
        }
        AF_AX25 => {
            s.str("saddr_fam", b"ax25");
            s.str("call", &raw[2..9]);
        }
        AF_ATMPVC => {
            s.str("saddr_fam", b"atmpvc");
            s.num("itf", i16_ne(4));
            s.num("vpi", i16_ne(6));
            s.num("vci", u32_ne(8) as i32);
        }
        AF_X25 => {
            s.str("saddr_fam", b"x25");
            s.str("addr", &raw[2..18]);
        }
        AF_IPX => {
            s.str("saddr_fam", b"ipx");
            s.hex("network", u32_be(4).into());
            s.str(
                "node",
                raw[8..14]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
                    .as_bytes(),
            );
            s.num("port", u16_be(2));
            s.num("type", raw[14]);
        }
        AF_INET6 => {
            s.str("saddr_fam", b"inet6");
            let octets: [u8; 16] = raw[8..24].try_into().unwrap_or_default();
            s.str("addr", Ipv6Addr::from(octets).to_string().as_bytes());
            s.num("port", u16_be(2));
            s.num("flowinfo", u32_be(4));
            s.num("scope_id", u32_ne(24));
        }
        AF_NETLINK => {
            s.str("saddr_fam", b"netlink");
            s.num("pid", u32_ne(4));
            s.hex("groups", u32_ne(8).into());
        }
        _ => {
            s.str("saddr_fam", b"vsock");
            s.num("cid", u32_ne(8));
            s.num("port", u32_ne(4));
        }
    }
    s.end();
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(raw: &[u8]) -> serde_json::Value {
        let mut out = String::new();
        let mut obj = Obj::open(&mut out);
        render(&mut obj, raw);
        obj.end();
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    }

    #[test]
    fn inet_and_inet6_are_interpreted_with_laurels_fields() {
        let inet = [2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(hex(&inet[..4]), "02001F90");
        let v = item(&inet);
        assert_eq!(
            v,
            serde_json::json!({"SADDR":{"saddr_fam":"inet","addr":"127.0.0.1","port":8080}})
        );

        let mut inet6 = [0u8; 28];
        inet6[0] = 10;
        inet6[2..4].copy_from_slice(&443u16.to_be_bytes());
        inet6[4..8].copy_from_slice(&5u32.to_be_bytes());
        inet6[23] = 1;
        inet6[24] = 2;
        assert_eq!(
            item(&inet6),
            serde_json::json!({"SADDR":{"saddr_fam":"inet6","addr":"::1","port":443,"flowinfo":5,"scope_id":2}})
        );
    }

    #[test]
    fn a_unix_address_is_read_only_as_a_whole_struct() {
        // Passed with the length of the path (and its NUL): laurel keeps it raw.
        assert_eq!(
            item(b"\x01\x00/run/x.sock\0"),
            serde_json::json!({"saddr":"%01%00/run/x.sock%00"})
        );
        let mut whole = [0u8; 110];
        whole[0] = 1;
        whole[2..13].copy_from_slice(b"/run/x.sock");
        assert_eq!(
            item(&whole),
            serde_json::json!({"SADDR":{"saddr_fam":"local","path":"/run/x.sock"}})
        );
        // Abstract: the name without its leading NUL nor its NUL padding.
        let mut abs = [0u8; 110];
        abs[0] = 1;
        abs[3..11].copy_from_slice(b"abstract");
        assert_eq!(
            item(&abs),
            serde_json::json!({"SADDR":{"saddr_fam":"local","path":"abstract"}})
        );
    }

    #[test]
    fn netlink_vsock_and_unknown_families() {
        let nl = [16, 0, 0, 0, 0x39, 0x05, 0, 0, 1, 0, 0, 0];
        assert_eq!(
            item(&nl),
            serde_json::json!({"SADDR":{"saddr_fam":"netlink","pid":1337,"groups":"0x1"}})
        );
        let mut vm = [0u8; 16];
        vm[0] = 40;
        vm[4] = 80;
        vm[8] = 3;
        assert_eq!(
            item(&vm),
            serde_json::json!({"SADDR":{"saddr_fam":"vsock","cid":3,"port":80}})
        );
        // AF_PACKET: not one laurel reads.
        assert_eq!(
            item(b"\x11\x00\x08\x00"),
            serde_json::json!({"saddr":"%11%00%08%00"})
        );
        assert_eq!(item(b"\x02"), serde_json::json!({"saddr":"%02"}));
    }
}
