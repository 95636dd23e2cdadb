//! SOCKADDR records: the raw address as auditd writes it (hex) and its
//! interpretation (laurel's SADDR).

use std::{
    fmt::Write,
    net::{Ipv4Addr, Ipv6Addr},
};

use super::json::Obj;

/// auditd's `saddr`: the raw bytes in upper-case hex.
pub fn hex(raw: &[u8]) -> String {
    let mut s = String::with_capacity(raw.len() * 2);
    for b in raw {
        let _ = write!(s, "{b:02X}");
    }
    s
}

/// Writes the interpreted address as the object `SADDR`.
pub fn interpret(obj: &mut Obj, raw: &[u8]) {
    let mut saddr = obj.object("SADDR");
    let family = raw.get(..2).map(|f| u16::from_le_bytes([f[0], f[1]]));
    let port = || raw.get(2..4).map(|p| u16::from_be_bytes([p[0], p[1]]));
    match family {
        Some(1) => {
            saddr.str("saddr_fam", b"local");
            let path = &raw[2..];
            match path.first() {
                // An abstract socket: a leading NUL, shown as `@`.
                Some(0) if path.len() > 1 => {
                    let mut name = b"@".to_vec();
                    name.extend_from_slice(&path[1..]);
                    saddr.str("path", &name);
                }
                _ => saddr.str("path", crate::decode::c_str(path)),
            }
        }
        Some(2) if raw.len() >= 8 => {
            saddr.str("saddr_fam", b"inet");
            let addr = Ipv4Addr::new(raw[4], raw[5], raw[6], raw[7]);
            saddr.str("addr", addr.to_string().as_bytes());
            saddr.num("port", port().unwrap_or(0));
        }
        Some(10) if raw.len() >= 24 => {
            saddr.str("saddr_fam", b"inet6");
            let octets: [u8; 16] = raw[8..24].try_into().unwrap_or_default();
            saddr.str("addr", Ipv6Addr::from(octets).to_string().as_bytes());
            saddr.num("port", port().unwrap_or(0));
        }
        Some(16) if raw.len() >= 12 => {
            saddr.str("saddr_fam", b"netlink");
            saddr.num(
                "nlnk-pid",
                u32::from_le_bytes(raw[4..8].try_into().unwrap_or_default()),
            );
            saddr.num(
                "nlnk-grp",
                u32::from_le_bytes(raw[8..12].try_into().unwrap_or_default()),
            );
        }
        Some(other) => saddr.num("saddr_fam", other),
        None => saddr.str("saddr_fam", b"unknown"),
    }
    saddr.end();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interpreted(raw: &[u8]) -> serde_json::Value {
        let mut out = String::new();
        let mut obj = Obj::open(&mut out);
        interpret(&mut obj, raw);
        obj.end();
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["SADDR"].clone()
    }

    #[test]
    fn inet_inet6_and_unix_addresses_are_interpreted() {
        let inet = [2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(hex(&inet[..4]), "02001F90");
        let v = interpreted(&inet);
        assert_eq!(v["saddr_fam"], "inet");
        assert_eq!(v["addr"], "127.0.0.1");
        assert_eq!(v["port"], 8080);

        let mut inet6 = [0u8; 28];
        inet6[0] = 10;
        inet6[2..4].copy_from_slice(&443u16.to_be_bytes());
        inet6[23] = 1;
        let v = interpreted(&inet6);
        assert_eq!(v["saddr_fam"], "inet6");
        assert_eq!(v["addr"], "::1");
        assert_eq!(v["port"], 443);

        let v = interpreted(b"\x01\x00/run/x.sock\0junk");
        assert_eq!(v["saddr_fam"], "local");
        assert_eq!(v["path"], "/run/x.sock");
        let v = interpreted(b"\x01\x00\0abstract");
        assert_eq!(v["path"], "@abstract");

        assert_eq!(interpreted(b"\x2a\x00rest")["saddr_fam"], 42);
        assert_eq!(interpreted(b"\x02")["saddr_fam"], "unknown");
    }
}
