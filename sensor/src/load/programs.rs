//! Every program the sensor has, with its attach point and what it serves.

use std::collections::BTreeSet;

use sensor_common::{
    cgroup, exec, lifecycle, maps, mmap, net, session,
    syscalls::{self, Arch},
    tail, tty, usermsg,
};

use crate::rules::SyscallId;

pub enum Attach {
    /// `category:NAME`, the program's own name.
    Tracepoint(&'static str),
    /// A second program on one tracepoint: category and the tracepoint's
    /// name, which is not the program's.
    TracepointAs(&'static str, &'static str),
    /// The raw tracepoint of this name, for programs that need the
    /// tracepoint's task pointers, or see every syscall.
    RawTracepoint(&'static str),
    /// `syscalls:PREFIX_NAME` (`sys_enter`, `sys_exit`) of every 64-bit
    /// syscall the rules name that no other program records.
    EachSyscall(&'static str),
    /// Never attached: a program the others of its type continue in, put
    /// in this slot of that type's program array (`sensor_common::tail`).
    Tail(Tails, u32),
}

/// The program arrays, one per program type.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tails {
    /// `TAILS`: tracepoint programs.
    Tracepoint,
    /// `RAW_TAILS`: raw tracepoint programs.
    Raw,
}

impl Tails {
    pub fn map(self) -> &'static str {
        match self {
            Tails::Tracepoint => maps::TAILS,
            Tails::Raw => maps::RAW_TAILS,
        }
    }
}

/// When a program is attached.
pub enum Serves {
    /// Whatever the rules say (terminals, logins, the process tree).
    Always,
    /// When a rule can record one of these x86_64 syscalls.
    Syscalls(&'static [u32]),
    /// For the 64-bit syscalls no `Syscalls` program records.
    Generic,
    /// When a rule can record a 32-bit (i386) syscall.
    I386,
}

pub struct Program {
    /// Its name in the eBPF object: a `program` constant of its family in
    /// `sensor_common`, which the program's entry point is named after.
    pub name: &'static str,
    pub attach: Attach,
    pub serves: Serves,
}

impl Program {
    /// Where it attaches, as `sensor check` reports it.
    pub fn point(&self) -> String {
        match self.attach {
            Attach::Tracepoint(category) => format!("tracepoint {category}:{}", self.name),
            Attach::TracepointAs(category, point) => format!("tracepoint {category}:{point}"),
            Attach::RawTracepoint(point) => format!("raw tracepoint {point}"),
            Attach::EachSyscall(prefix) => {
                format!("tracepoints syscalls:{prefix}_* of the syscalls the rules name")
            }
            Attach::Tail(tails, slot) => format!("slot {slot} of {}", tails.map()),
        }
    }

    /// Whether it is a raw tracepoint program (else a tracepoint program).
    pub fn is_raw(&self) -> bool {
        matches!(
            self.attach,
            Attach::RawTracepoint(_) | Attach::Tail(Tails::Raw, _)
        )
    }

    /// Whether it continues other programs rather than being attached.
    pub fn is_continuation(&self) -> bool {
        matches!(self.attach, Attach::Tail(..))
    }

    /// Whether the rules (which can record `syscalls`) need it attached.
    pub fn needed(&self, syscalls: &BTreeSet<SyscallId>) -> bool {
        if self.is_continuation() {
            return false;
        }
        match self.serves {
            Serves::Always => true,
            Serves::Syscalls(served) => served
                .iter()
                .any(|nr| syscalls.contains(&SyscallId::x86_64(*nr))),
            Serves::Generic => !generic(syscalls).is_empty(),
            Serves::I386 => syscalls.iter().any(|id| id.arch == Arch::I386),
        }
    }
}

/// The 64-bit syscalls of `syscalls` that no program of their own
/// records: the generic programs' (`Attach::EachSyscall`).
pub fn generic(syscalls: &BTreeSet<SyscallId>) -> Vec<SyscallId> {
    syscalls
        .iter()
        .filter(|id| id.arch == Arch::X86_64)
        .filter(|id| {
            !PROGRAMS.iter().any(|p| match p.serves {
                Serves::Syscalls(served) => served.contains(&id.nr),
                _ => false,
            })
        })
        .copied()
        .collect()
}

const fn syscall(name: &'static str, served: &'static [u32]) -> Program {
    Program {
        name,
        attach: Attach::Tracepoint("syscalls"),
        serves: Serves::Syscalls(served),
    }
}

const fn sched(name: &'static str, serves: Serves) -> Program {
    Program {
        name,
        attach: Attach::Tracepoint("sched"),
        serves,
    }
}

const fn raw(name: &'static str, point: &'static str, serves: Serves) -> Program {
    Program {
        name,
        attach: Attach::RawTracepoint(point),
        serves,
    }
}

const fn always(name: &'static str) -> Program {
    Program {
        name,
        attach: Attach::Tracepoint("syscalls"),
        serves: Serves::Always,
    }
}

const EXECVE: &[u32] = &[syscalls::x86_64("execve")];
const EXECVEAT: &[u32] = &[syscalls::x86_64("execveat")];
const SOCKET: &[u32] = &[syscalls::x86_64("socket")];
const SETSOCKOPT: &[u32] = &[syscalls::x86_64("setsockopt")];
const CONNECT: &[u32] = &[syscalls::x86_64("connect")];
const ACCEPT: &[u32] = &[syscalls::x86_64("accept")];
const ACCEPT4: &[u32] = &[syscalls::x86_64("accept4")];
const BIND: &[u32] = &[syscalls::x86_64("bind")];
const MMAP: &[u32] = &[syscalls::x86_64("mmap")];

pub const PROGRAMS: &[Program] = &[
    syscall(exec::program::sys_enter_execve, EXECVE),
    syscall(exec::program::sys_enter_execveat, EXECVEAT),
    syscall(exec::program::sys_exit_execve, EXECVE),
    syscall(exec::program::sys_exit_execveat, EXECVEAT),
    // Before the exec program on the same tracepoint: programs run in the
    // order they were attached, so a session's root is known before its
    // exec's record is read (it carries the session too).
    Program {
        name: session::program::session_exec,
        attach: Attach::TracepointAs("sched", "sched_process_exec"),
        serves: Serves::Always,
    },
    // Every exec, whatever the rules: the process table (exe, comm and
    // PROCTITLE of every record) learns of it here. A raw tracepoint, for
    // the exec's linux_binprm.
    raw(
        exec::program::sched_process_exec,
        "sched_process_exec",
        Serves::Always,
    ),
    syscall(net::program::sys_exit_socket, SOCKET),
    syscall(net::program::sys_exit_setsockopt, SETSOCKOPT),
    syscall(net::program::sys_enter_connect, CONNECT),
    syscall(net::program::sys_exit_connect, CONNECT),
    syscall(net::program::sys_enter_accept, ACCEPT),
    syscall(net::program::sys_exit_accept, ACCEPT),
    syscall(net::program::sys_enter_accept4, ACCEPT4),
    syscall(net::program::sys_exit_accept4, ACCEPT4),
    syscall(net::program::sys_exit_bind, BIND),
    syscall(mmap::program::sys_exit_mmap, MMAP),
    // Audit netlink messages: always, as auditd records user messages
    // whatever its syscall rules. A rule naming sendto or sendmsg also
    // attaches the generic programs there, for the calls' own records.
    always(usermsg::program::sys_exit_sendto),
    always(usermsg::program::sys_exit_sendmsg),
    always(tty::program::sys_enter_write),
    always(tty::program::sys_exit_write),
    always(tty::program::sys_enter_read),
    always(tty::program::sys_exit_read),
    raw(
        lifecycle::program::sched_process_fork,
        "sched_process_fork",
        Serves::Always,
    ),
    sched(lifecycle::program::sched_process_exit, Serves::Always),
    raw(
        cgroup::program::cgroup_mkdir,
        "cgroup_mkdir",
        Serves::Always,
    ),
    Program {
        name: sensor_common::generic::program::sys_enter_generic,
        attach: Attach::EachSyscall("sys_enter"),
        serves: Serves::Generic,
    },
    Program {
        name: sensor_common::generic::program::sys_exit_generic,
        attach: Attach::EachSyscall("sys_exit"),
        serves: Serves::Generic,
    },
    raw(
        sensor_common::generic::program::compat_enter,
        "sys_enter",
        Serves::I386,
    ),
    raw(
        sensor_common::generic::program::compat_exit,
        "sys_exit",
        Serves::I386,
    ),
    continuation(Tails::Tracepoint, tail::WALK),
    continuation(Tails::Tracepoint, tail::EXEC_FINISH),
    continuation(Tails::Tracepoint, tail::RESOLVE),
    continuation(Tails::Tracepoint, tail::SYSCALL_FINISH),
    continuation(Tails::Tracepoint, tail::SYSCALL_ENTER),
    continuation(Tails::Raw, tail::WALK),
    continuation(Tails::Raw, tail::EXEC_FINISH),
    continuation(Tails::Raw, tail::RESOLVE),
    continuation(Tails::Raw, tail::SYSCALL_FINISH),
    continuation(Tails::Raw, tail::SYSCALL_ENTER),
    continuation(Tails::Raw, tail::EXEC_FILES),
];

const fn continuation(tails: Tails, slot: u32) -> Program {
    let name = match tails {
        Tails::Tracepoint => tail::PROGRAMS[slot as usize],
        Tails::Raw => tail::RAW_PROGRAMS[slot as usize],
    };
    Program {
        name,
        attach: Attach::Tail(tails, slot),
        serves: Serves::Always,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use aya_obj::{Object, ProgramSection};
    use sensor_common::{config::SensorConfig, offsets::KernelOffsets};

    use super::{super::bytes_of, *};

    /// The programs the loader looks up are the object's, each of the type
    /// the loader loads it as, and the object has none the table leaves out.
    #[test]
    #[cfg_attr(
        not(ebpf_object),
        ignore = "the eBPF object is not built: cargo xtask build"
    )]
    fn the_table_lists_exactly_the_objects_programs() {
        let object = Object::parse(super::super::object().unwrap()).unwrap();
        let in_object: BTreeMap<&str, bool> = object
            .programs
            .iter()
            .map(|(name, p)| match p.section {
                ProgramSection::TracePoint => (name.as_str(), false),
                ProgramSection::RawTracePoint => (name.as_str(), true),
                ref other => {
                    panic!("program {name} is of a type the loader never loads: {other:?}")
                }
            })
            .collect();
        let in_table: BTreeMap<&str, bool> =
            PROGRAMS.iter().map(|p| (p.name, p.is_raw())).collect();
        assert_eq!(in_table.len(), PROGRAMS.len(), "a program is listed twice");
        let unlisted: Vec<_> = in_object
            .keys()
            .filter(|n| !in_table.contains_key(*n))
            .collect();
        let absent: Vec<_> = in_table
            .keys()
            .filter(|n| !in_object.contains_key(*n))
            .collect();
        assert!(
            unlisted.is_empty() && absent.is_empty(),
            "in the object, not in the table: {unlisted:?}; in the table, not in the object: {absent:?}"
        );
        assert_eq!(in_table, in_object, "true: a raw tracepoint program");
    }

    /// Every map and global the loader finds by name is in the object, the
    /// globals of the size the loader writes.
    #[test]
    #[cfg_attr(
        not(ebpf_object),
        ignore = "the eBPF object is not built: cargo xtask build"
    )]
    fn the_object_has_the_maps_and_globals_the_loader_names() {
        let mut object = Object::parse(super::super::object().unwrap()).unwrap();
        for name in maps::MAPS {
            assert!(
                object.maps.contains_key(*name),
                "no map {name} in the object"
            );
        }
        let config = SensorConfig::zeroed();
        let offsets = KernelOffsets::zeroed();
        let globals = HashMap::from([
            (maps::CONFIG, (bytes_of(&config), true)),
            (maps::OFFSETS, (bytes_of(&offsets), true)),
        ]);
        object.patch_map_data(globals).unwrap();
    }

    #[test]
    fn generic_programs_take_what_no_family_program_records() {
        let ids: BTreeSet<SyscallId> = [59, 2, 263].into_iter().map(SyscallId::x86_64).collect();
        assert_eq!(
            generic(&ids),
            [SyscallId::x86_64(2), SyscallId::x86_64(263)]
        );
        let compat = SyscallId {
            arch: Arch::I386,
            nr: 11,
        };
        let ids: BTreeSet<SyscallId> = [compat].into();
        assert!(generic(&ids).is_empty());
        let needed: Vec<&str> = PROGRAMS
            .iter()
            .filter(|p| p.needed(&ids) && !matches!(p.serves, Serves::Always))
            .map(|p| p.name)
            .collect();
        assert_eq!(
            needed,
            [
                sensor_common::generic::program::compat_enter,
                sensor_common::generic::program::compat_exit
            ]
        );
    }
}
