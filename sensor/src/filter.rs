//! Stage 5, filter: which events become records, and with which key.
//!
//! Syscall events go through the audit rules (auditctl syntax, evaluated as
//! the kernel's exit filter does: first match wins, `never` excludes, no
//! match is not recorded). Fork and exit always feed the process table
//! (enrich) but are written only with `--process-events`. TTY data is
//! bounded per session and second (`--tty-rate`): what is over the budget is
//! cut, and the record says how much it carried, so truncation is counted,
//! never silent. Then the [`scope`]: which hosts and workloads are audited
//! at all, decided once the event's container is known.

pub mod scope;

use std::collections::HashMap;

use crate::{
    decode::{Call, Decoded, Event},
    enrich::ProcessEntry,
    rules::{Arch, Identity, Object, RuleFile, RuleInput},
};

pub struct Filter {
    pub rules: RuleFile,
    process_events: bool,
    tty_rate: u32,
    /// Per session (or terminal, for processes without one): the second
    /// being counted and the bytes written in it.
    tty_budget: HashMap<u64, (u64, u32)>,
    pub tty_bytes_cut: u64,
    pub scope: scope::Scope,
    /// When the rules' file identities were last looked up.
    identities_at: std::time::Instant,
}

/// How often the rules' paths are looked up again (a binary replaced by an
/// upgrade is matched by its new inode within this).
const IDENTITIES_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Whether to write an event, and the key of the rule that chose it.
pub enum Verdict<'a> {
    Drop,
    Keep(Option<&'a str>),
}

impl Filter {
    pub fn new(rules: RuleFile, process_events: bool, tty_rate: u32, scope: scope::Scope) -> Self {
        Self {
            rules,
            process_events,
            tty_rate,
            tty_budget: HashMap::new(),
            tty_bytes_cut: 0,
            scope,
            identities_at: std::time::Instant::now(),
        }
    }

    /// SIGHUP's settings, from the next event on.
    pub fn reconfigure(&mut self, process_events: bool, tty_rate: u32) {
        self.process_events = process_events;
        self.tty_rate = tty_rate;
    }

    /// Called about once a second: refreshes what has to be looked up
    /// again from time to time.
    pub fn tick(&mut self) {
        if self.identities_at.elapsed() >= IDENTITIES_EVERY {
            self.rules.refresh_identities();
            self.identities_at = std::time::Instant::now();
        }
    }

    /// Decides on `decoded` (whose process is `subject` in the process
    /// table); may cut its TTY data to the budget.
    pub fn verdict<'a>(
        &'a mut self,
        decoded: &mut Decoded,
        subject: Option<&ProcessEntry>,
    ) -> Verdict<'a> {
        let second = decoded.header.ts_boot_ns / 1_000_000_000;
        let subject_exe = subject.map_or(Object::default(), |s| Object {
            name: &s.exe,
            identity: s.exe_identity,
        });
        let by_rules = |rules: &'a RuleFile, call: &Call, exe: Object, paths: &[Object]| {
            rules
                .evaluate(&rule_input(call, Arch::X86_64, exe, paths))
                .map_or(Verdict::Drop, Verdict::Keep)
        };
        match &mut decoded.event {
            // Only for the process table: no rule wanted the call.
            Event::Exec(x) if x.tree_only => Verdict::Drop,
            Event::Exec(x) => {
                let exe = Object {
                    name: &x.exe,
                    identity: x.exe_inode.as_ref().map(Identity::of_inode),
                };
                // The name as passed: a script's own file, or the exe's
                // for a binary.
                let named = Object {
                    name: &x.filename,
                    identity: x
                        .script_inode
                        .or(x.exe_inode)
                        .as_ref()
                        .map(Identity::of_inode),
                };
                by_rules(&self.rules, &x.call, exe, &[named])
            }
            Event::Socket(call) => by_rules(&self.rules, call, subject_exe, &[]),
            Event::Setsockopt(x) => by_rules(&self.rules, &x.call, subject_exe, &[]),
            Event::Sockaddr(x) => by_rules(&self.rules, &x.call, subject_exe, &[]),
            Event::Mmap(x) => {
                let file = x.file.as_ref().map(|f| Object {
                    name: &f.path,
                    identity: Some(Identity::of_inode(&f.inode)),
                });
                by_rules(&self.rules, &x.call, subject_exe, file.as_slice())
            }
            Event::Syscall(x) => {
                // Each name by the inode it led to (before the call, for
                // one it removed), where the lookup reached it.
                let objects: Vec<Object> = x
                    .paths
                    .iter()
                    .map(|p| Object {
                        name: &p.name,
                        identity: p.after.inode().or(p.before.inode()).map(Identity::of_inode),
                    })
                    .collect();
                self.rules
                    .evaluate(&rule_input(&x.call, x.arch, subject_exe, &objects))
                    .map_or(Verdict::Drop, Verdict::Keep)
            }
            Event::Fork(_) | Event::Exit(_) if self.process_events => Verdict::Keep(None),
            Event::Fork(_) | Event::Exit(_) => Verdict::Drop,
            Event::Login(_) => Verdict::Keep(None),
            // Only the enrich stage's: where a cgroup is.
            Event::Cgroup(_) => Verdict::Drop,
            // What the kernel would log whatever the rules (as auditd's
            // user messages are not syscall rules either). A rule that
            // records the sending call has it written once, in its own
            // event (the generic programs'), not again with the messages.
            Event::UserMsg(m) if m.messages.is_empty() => Verdict::Drop,
            Event::UserMsg(m) => {
                m.call_recorded_apart = matches!(
                    by_rules(&self.rules, &m.call, subject_exe, &[]),
                    Verdict::Keep(_)
                );
                Verdict::Keep(None)
            }
            Event::Kernel(_) => Verdict::Keep(None),
            // A session's start record, when the candidate started one.
            Event::SessionCandidate(c) => match subject.and_then(|s| s.session.as_deref()) {
                Some(s)
                    if s.root_pid == c.process.pid && s.started_ns == decoded.header.ts_boot_ns =>
                {
                    Verdict::Keep(None)
                }
                _ => Verdict::Drop,
            },
            Event::Tty(tty) => {
                let ses = tty.call.process.ses;
                let key = if ses == u32::MAX {
                    1 << 32 | (tty.major as u64) << 20 | tty.minor as u64
                } else {
                    ses as u64
                };
                if self.tty_budget.len() > 4096 {
                    self.tty_budget.retain(|_, (s, _)| *s == second);
                }
                let (at, used) = self.tty_budget.entry(key).or_insert((second, 0));
                if *at != second {
                    (*at, *used) = (second, 0);
                }
                let left = self.tty_rate.saturating_sub(*used) as usize;
                if tty.data.len() > left {
                    self.tty_bytes_cut += (tty.data.len() - left) as u64;
                    tty.data.truncate(left);
                }
                *used += tty.data.len() as u32;
                Verdict::Keep(None)
            }
        }
    }
}

fn rule_input<'a>(
    call: &Call,
    arch: Arch,
    exe: Object<'a>,
    paths: &'a [Object<'a>],
) -> RuleInput<'a> {
    let (p, s) = (&call.process, &call.syscall);
    RuleInput {
        arch,
        syscall: s.nr,
        success: s.ret >= 0,
        exit: s.ret,
        returned: call.returned,
        args: [s.args[0], s.args[1], s.args[2], s.args[3]],
        pid: p.pid,
        ppid: p.ppid,
        uid: p.uid,
        euid: p.euid,
        suid: p.suid,
        fsuid: p.fsuid,
        gid: p.gid,
        egid: p.egid,
        sgid: p.sgid,
        fsgid: p.fsgid,
        auid: p.auid,
        ses: p.ses,
        exe,
        paths,
    }
}
