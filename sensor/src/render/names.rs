//! Interpreted names for numbers in records (the ALL-CAPS fields), as
//! `ausearch -i` gives them.

/// A syscall's name on its architecture.
pub fn syscall(arch: crate::rules::Arch, nr: u32) -> &'static str {
    sensor_common::syscalls::by_number(arch, nr).map_or("unknown", |s| s.name)
}

fn lookup(table: &[(u64, &'static str)], value: u64) -> Option<&'static str> {
    table.iter().find(|(v, _)| *v == value).map(|(_, n)| *n)
}

/// The name for `value`, else the number.
pub fn named(table: &[(u64, &'static str)], value: u64) -> String {
    lookup(table, value).map_or_else(|| value.to_string(), str::to_owned)
}

/// `A|B|0x40` from a table of single-bit flags; `none` when no bit is set.
pub fn flags(table: &[(u64, &'static str)], value: u64, none: &str) -> String {
    let mut names: Vec<String> = Vec::new();
    let mut rest = value;
    for (bit, name) in table {
        if value & bit != 0 {
            names.push((*name).to_owned());
            rest &= !bit;
        }
    }
    if rest != 0 {
        names.push(format!("0x{rest:x}"));
    }
    if names.is_empty() {
        none.to_owned()
    } else {
        names.join("|")
    }
}

pub const FAMILIES: &[(u64, &str)] = &[
    (0, "AF_UNSPEC"),
    (1, "AF_UNIX"),
    (2, "AF_INET"),
    (3, "AF_AX25"),
    (4, "AF_IPX"),
    (5, "AF_APPLETALK"),
    (9, "AF_X25"),
    (10, "AF_INET6"),
    (16, "AF_NETLINK"),
    (17, "AF_PACKET"),
    (29, "AF_CAN"),
    (31, "AF_BLUETOOTH"),
    (38, "AF_ALG"),
    (40, "AF_VSOCK"),
    (44, "AF_XDP"),
];

const SOCK_NONBLOCK: u64 = 0o4000;
const SOCK_CLOEXEC: u64 = 0o2000000;

const SOCK_TYPES: &[(u64, &str)] = &[
    (1, "SOCK_STREAM"),
    (2, "SOCK_DGRAM"),
    (3, "SOCK_RAW"),
    (4, "SOCK_RDM"),
    (5, "SOCK_SEQPACKET"),
    (6, "SOCK_DCCP"),
    (10, "SOCK_PACKET"),
];

/// socket(2)'s type: the type and its flags.
pub fn sock_type(value: u64) -> String {
    let mut name = named(SOCK_TYPES, value & 0xf);
    for (bit, flag) in [
        (SOCK_NONBLOCK, "SOCK_NONBLOCK"),
        (SOCK_CLOEXEC, "SOCK_CLOEXEC"),
    ] {
        if value & bit != 0 {
            name.push('|');
            name.push_str(flag);
        }
    }
    name
}

pub const PROTOCOLS: &[(u64, &str)] = &[
    (0, "IPPROTO_IP"),
    (1, "IPPROTO_ICMP"),
    (6, "IPPROTO_TCP"),
    (17, "IPPROTO_UDP"),
    (41, "IPPROTO_IPV6"),
    (58, "IPPROTO_ICMPV6"),
    (132, "IPPROTO_SCTP"),
    (255, "IPPROTO_RAW"),
];

/// The protocol of a socket(2): IP protocol names for inet sockets only.
pub fn protocol(family: u64, value: u64) -> String {
    match family {
        2 | 10 => named(PROTOCOLS, value),
        _ => value.to_string(),
    }
}

pub const LEVELS: &[(u64, &str)] = &[
    (0, "SOL_IP"),
    (1, "SOL_SOCKET"),
    (6, "SOL_TCP"),
    (17, "SOL_UDP"),
    (41, "SOL_IPV6"),
    (255, "SOL_RAW"),
];

const SOCKET_OPTIONS: &[(u64, &str)] = &[
    (1, "SO_DEBUG"),
    (2, "SO_REUSEADDR"),
    (3, "SO_TYPE"),
    (4, "SO_ERROR"),
    (5, "SO_DONTROUTE"),
    (6, "SO_BROADCAST"),
    (7, "SO_SNDBUF"),
    (8, "SO_RCVBUF"),
    (9, "SO_KEEPALIVE"),
    (10, "SO_OOBINLINE"),
    (13, "SO_LINGER"),
    (15, "SO_REUSEPORT"),
    (20, "SO_RCVTIMEO"),
    (21, "SO_SNDTIMEO"),
    (25, "SO_BINDTODEVICE"),
    (26, "SO_ATTACH_FILTER"),
    (36, "SO_MARK"),
    (50, "SO_ATTACH_BPF"),
];

const TCP_OPTIONS: &[(u64, &str)] = &[
    (1, "TCP_NODELAY"),
    (2, "TCP_MAXSEG"),
    (3, "TCP_CORK"),
    (4, "TCP_KEEPIDLE"),
    (5, "TCP_KEEPINTVL"),
    (6, "TCP_KEEPCNT"),
    (9, "TCP_DEFER_ACCEPT"),
    (13, "TCP_CONGESTION"),
    (23, "TCP_FASTOPEN"),
];

const IP_OPTIONS: &[(u64, &str)] = &[
    (1, "IP_TOS"),
    (2, "IP_TTL"),
    (3, "IP_HDRINCL"),
    (32, "IP_MULTICAST_IF"),
    (33, "IP_MULTICAST_TTL"),
    (35, "IP_ADD_MEMBERSHIP"),
];

const IPV6_OPTIONS: &[(u64, &str)] = &[(26, "IPV6_V6ONLY")];

/// setsockopt(2)'s option name, in its level's namespace.
pub fn sockopt(level: u64, value: u64) -> String {
    let table = match level {
        0 => IP_OPTIONS,
        1 => SOCKET_OPTIONS,
        6 => TCP_OPTIONS,
        41 => IPV6_OPTIONS,
        _ => &[],
    };
    named(table, value)
}

pub const PROT: &[(u64, &str)] = &[(1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC")];

pub const MAP: &[(u64, &str)] = &[
    (0x01, "MAP_SHARED"),
    (0x02, "MAP_PRIVATE"),
    (0x10, "MAP_FIXED"),
    (0x20, "MAP_ANONYMOUS"),
    (0x100, "MAP_GROWSDOWN"),
    (0x800, "MAP_DENYWRITE"),
    (0x1000, "MAP_EXECUTABLE"),
    (0x2000, "MAP_LOCKED"),
    (0x4000, "MAP_NORESERVE"),
    (0x8000, "MAP_POPULATE"),
    (0x20000, "MAP_STACK"),
    (0x100000, "MAP_FIXED_NOREPLACE"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_ausearch_interprets_them() {
        assert_eq!(named(FAMILIES, 10), "AF_INET6");
        assert_eq!(named(FAMILIES, 99), "99");
        assert_eq!(sock_type(1 | 0o2000000), "SOCK_STREAM|SOCK_CLOEXEC");
        assert_eq!(protocol(2, 6), "IPPROTO_TCP");
        assert_eq!(protocol(1, 0), "0");
        assert_eq!(sockopt(1, 2), "SO_REUSEADDR");
        assert_eq!(sockopt(6, 1), "TCP_NODELAY");
        assert_eq!(flags(PROT, 5, "PROT_NONE"), "PROT_READ|PROT_EXEC");
        assert_eq!(flags(PROT, 0, "PROT_NONE"), "PROT_NONE");
        assert_eq!(
            flags(MAP, 0x22 | 0x400000, "0"),
            "MAP_PRIVATE|MAP_ANONYMOUS|0x400000"
        );
    }
}
