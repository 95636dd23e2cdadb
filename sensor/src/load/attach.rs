//! Attaching the loaded programs, kept to what the rules need: a syscall
//! no rule can record costs nothing. The generic programs go to the
//! tracepoints of each syscall the rules name that no other program
//! records, and `SPECS` tells them what each such syscall carries.

use std::collections::{hash_map::Entry, BTreeSet, HashMap};

use anyhow::{Context, Result};
use aya::{
    maps::Array,
    programs::{
        raw_trace_point::RawTracePointLinkId, trace_point::TracePointLinkId, RawTracePoint,
        TracePoint,
    },
    Ebpf,
};
use sensor_common::{
    generic::{family, path_kind, PathSpec, SyscallSpec, NO_ARG, PATHS_MAX},
    maps,
    rules::{field, SLOTS},
    syscalls::{self, Family, Follow, PathKind, Syscall, NO_ARG as NO_TABLE_ARG},
};

use super::{
    programs::{generic, Attach, Program, PROGRAMS},
    tracefs::Tracefs,
    typed,
};
use crate::rules::SyscallId;

pub enum Link {
    Tracepoint(TracePointLinkId),
    Raw(RawTracePointLinkId),
    /// A continuation (`Attach::Tail`) is in the program array, not attached.
    Continuation,
}

/// The programs attached now, by program and tracepoint.
pub struct Attachments {
    links: HashMap<(&'static str, String), Link>,
    tracefs: Tracefs,
    /// Syscalls already reported as having no tracepoint here.
    missing: BTreeSet<String>,
}

impl Attachments {
    pub fn new(tracefs: Tracefs) -> Self {
        Self {
            links: HashMap::new(),
            tracefs,
            missing: BTreeSet::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.links.len()
    }

    /// Detaches every program. The maps stay, so that a program still
    /// running meanwhile continues in its tail calls (the program arrays
    /// are emptied when their maps go).
    pub fn detach_all(&mut self, ebpf: &mut Ebpf) -> Result<()> {
        for ((name, _), link) in self.links.drain() {
            let program = PROGRAMS
                .iter()
                .find(|p| p.name == name)
                .expect("attached programs are listed");
            detach(ebpf, program, link)?;
        }
        Ok(())
    }

    /// Attaches what `syscalls` need and detaches what they no longer do,
    /// and tells the generic programs what each syscall carries.
    pub fn sync(&mut self, ebpf: &mut Ebpf, syscalls: &BTreeSet<SyscallId>) -> Result<()> {
        write_specs(ebpf, syscalls, &self.tracefs)?;
        let each = self.each_syscall(syscalls);
        for program in PROGRAMS {
            let points: Vec<String> = match program.attach {
                Attach::Tail(..) => continue,
                Attach::EachSyscall(prefix) if program.needed(syscalls) => {
                    each.iter().map(|name| format!("{prefix}_{name}")).collect()
                }
                Attach::Tracepoint(_) if program.needed(syscalls) => vec![program.name.into()],
                Attach::TracepointAs(_, point) if program.needed(syscalls) => vec![point.into()],
                Attach::RawTracepoint(point) if program.needed(syscalls) => vec![point.into()],
                _ => Vec::new(),
            };
            let attached: Vec<(&'static str, String)> = self
                .links
                .keys()
                .filter(|(name, _)| *name == program.name)
                .cloned()
                .collect();
            for key in attached {
                if !points.contains(&key.1) {
                    let link = self.links.remove(&key).expect("listed above");
                    detach(ebpf, program, link)?;
                }
            }
            for point in points {
                if let Entry::Vacant(slot) = self.links.entry((program.name, point)) {
                    let link = attach_to(ebpf, program, &slot.key().1)?;
                    slot.insert(link);
                }
            }
        }
        Ok(())
    }

    /// The tracepoint names of the generic syscalls, without those this
    /// kernel has none for (not built in, or newer than it), each said once.
    fn each_syscall(&mut self, syscalls: &BTreeSet<SyscallId>) -> Vec<&'static str> {
        let mut names = Vec::new();
        for id in generic(syscalls) {
            let Some(syscall) = syscalls::by_number(id.arch, id.nr) else {
                continue;
            };
            let point = syscall.tracepoint();
            if self
                .tracefs
                .has_event(&format!("syscalls/sys_enter_{point}"))
            {
                names.push(point);
            } else if self.missing.insert(syscall.name.into()) {
                log::warn!(
                    "syscall {} has no tracepoint in this kernel (not built in, or newer than \
                     the kernel): a call to it cannot be recorded",
                    syscall.name
                );
            }
        }
        names
    }
}

/// Attaches one loaded program at `point` (a tracepoint's name).
pub fn attach_to(ebpf: &mut Ebpf, program: &Program, point: &str) -> Result<Link> {
    let attached = match program.attach {
        Attach::Tracepoint(category) | Attach::TracepointAs(category, _) => {
            typed::<TracePoint>(ebpf, program)?
                .attach(category, point)
                .map(Link::Tracepoint)
        }
        Attach::EachSyscall(_) => typed::<TracePoint>(ebpf, program)?
            .attach("syscalls", point)
            .map(Link::Tracepoint),
        Attach::RawTracepoint(_) => typed::<RawTracePoint>(ebpf, program)?
            .attach(point)
            .map(Link::Raw),
        Attach::Tail(..) => return Ok(Link::Continuation),
    };
    attached.with_context(|| format!("attaching {} to {point}", program.name))
}

/// Attaches one loaded program at its own point (`sensor check`); the
/// generic ones, which have none of their own, are left loaded.
pub fn attach(ebpf: &mut Ebpf, program: &Program) -> Result<Option<Link>> {
    let point = match program.attach {
        Attach::Tracepoint(_) => program.name,
        Attach::TracepointAs(_, point) => point,
        Attach::RawTracepoint(point) => point,
        Attach::EachSyscall(_) | Attach::Tail(..) => return Ok(None),
    };
    attach_to(ebpf, program, point).map(Some)
}

fn detach(ebpf: &mut Ebpf, program: &Program, link: Link) -> Result<()> {
    match link {
        Link::Tracepoint(id) => typed::<TracePoint>(ebpf, program)?.detach(id),
        Link::Raw(id) => typed::<RawTracePoint>(ebpf, program)?.detach(id),
        Link::Continuation => return Ok(()),
    }
    .with_context(|| format!("detaching {}", program.name))
}

/// Writes `SPECS`: for each syscall the rules name, what the generic
/// programs read of it; zero (not audited) for the others.
fn write_specs(ebpf: &mut Ebpf, syscalls: &BTreeSet<SyscallId>, tracefs: &Tracefs) -> Result<()> {
    let mut specs: Array<_, SyscallSpec> = Array::try_from(
        ebpf.map_mut(maps::SPECS)
            .context("the SPECS map is missing")?,
    )?;
    let mut wanted = vec![SyscallSpec::default(); SLOTS as usize];
    for id in syscalls {
        if let Some(syscall) = syscalls::by_number(id.arch, id.nr) {
            let arity = tracefs.syscall_arity(syscall.tracepoint()).unwrap_or(6);
            wanted[id.slot() as usize] = SyscallSpec {
                entry_unknown: entry_unknown(syscall, arity),
                ..spec(syscall.family, arity)
            };
        }
    }
    for (slot, spec) in wanted.iter().enumerate() {
        specs.set(slot as u32, spec, 0)?;
    }
    Ok(())
}

/// The rule fields the entry of a call of `syscall`, whose tracepoint
/// carries `arity` arguments, cannot know (`SyscallSpec::entry_unknown`).
fn entry_unknown(syscall: &Syscall, arity: u32) -> u32 {
    let bit = |id: u32| 1 << id;
    let mut unknown = bit(field::EXIT);
    for n in arity.min(field::ARGS)..field::ARGS {
        unknown |= bit(field::A0 + n);
    }
    if syscall.changes_ids() {
        unknown |= field::CREDENTIALS
            .into_iter()
            .map(bit)
            .fold(0, |a, b| a | b);
    }
    unknown
}

/// A path's `Follow` as the programs test it.
fn follow(follow: Follow) -> PathSpec {
    let flag = |arg: u8, bits: u32, follows: bool| PathSpec {
        flag_arg: arg as u32,
        flag_bits: bits,
        flag_follows: follows as u32,
        follow: !follows as u32,
        ..PathSpec::default()
    };
    match follow {
        Follow::Never => PathSpec {
            flag_arg: NO_ARG,
            ..PathSpec::default()
        },
        Follow::Always => PathSpec {
            follow: 1,
            flag_arg: NO_ARG,
            ..PathSpec::default()
        },
        Follow::UnlessFlag { arg, bits } => flag(arg, bits, false),
        Follow::IfFlag { arg, bits } => flag(arg, bits, true),
    }
}

/// What the generic programs read of a syscall of `family`.
fn spec(syscall_family: Family, arity: u32) -> SyscallSpec {
    let mut spec = SyscallSpec {
        audited: 1,
        arity,
        family: family::PLAIN,
        extra_arg: NO_ARG,
        npaths: 0,
        paths: [PathSpec::default(); PATHS_MAX],
        entry_unknown: 0,
    };
    match syscall_family {
        Family::Path(args) => {
            spec.family = family::PATH;
            for (to, from) in spec.paths.iter_mut().zip(args) {
                *to = PathSpec {
                    arg: from.arg as u32,
                    dirfd: if from.dirfd == NO_TABLE_ARG {
                        NO_ARG
                    } else {
                        from.dirfd as u32
                    },
                    kind: match from.kind {
                        PathKind::Normal => path_kind::NORMAL,
                        PathKind::Create => path_kind::CREATE,
                        PathKind::Delete => path_kind::DELETE,
                        PathKind::Open => path_kind::OPEN,
                        PathKind::RenameFrom => path_kind::RENAME_FROM,
                        PathKind::RenameTo => path_kind::RENAME_TO,
                        PathKind::Literal => path_kind::LITERAL,
                    },
                    ..follow(from.follow)
                };
            }
            spec.npaths = args.len().min(PATHS_MAX) as u32;
        }
        Family::Kill(arg) => {
            spec.family = family::KILL;
            spec.extra_arg = arg as u32;
        }
        Family::FdPair(arg) => {
            spec.family = family::FD_PAIR;
            spec.extra_arg = arg as u32;
        }
        Family::Module => spec.family = family::MODULE,
        Family::Capset => spec.family = family::CAPSET,
        Family::Time => spec.family = family::TIME,
        Family::Socketcall => {
            spec.family = family::SOCKETCALL;
            spec.extra_arg = 1;
        }
        Family::Fd(arg) => {
            spec.family = family::FD;
            spec.extra_arg = arg as u32;
        }
        // Recorded by programs of their own.
        Family::Plain
        | Family::Exec
        | Family::Socket
        | Family::Setsockopt
        | Family::Sockaddr
        | Family::Mmap => {}
    }
    spec
}
