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
    rules::{RuleFile, RuleInput},
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
}

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
        let subject_exe = subject.map_or(&[][..], |s| &s.exe[..]);
        let by_rules = |rules: &'a RuleFile, call: &Call, exe: &[u8], paths: &[&[u8]]| {
            rules
                .evaluate(&rule_input(call, exe, paths))
                .map_or(Verdict::Drop, Verdict::Keep)
        };
        match &mut decoded.event {
            // Only for the process table: no rule wanted the call.
            Event::Exec(x) if x.tree_only => Verdict::Drop,
            Event::Exec(x) => by_rules(&self.rules, &x.call, &x.exe, &[&x.filename]),
            Event::Socket(call) => by_rules(&self.rules, call, subject_exe, &[]),
            Event::Setsockopt(x) => by_rules(&self.rules, &x.call, subject_exe, &[]),
            Event::Sockaddr(x) => by_rules(&self.rules, &x.call, subject_exe, &[]),
            Event::Mmap(x) => {
                let path = x.file.as_ref().map(|f| &f.path[..]);
                by_rules(&self.rules, &x.call, subject_exe, path.as_slice())
            }
            Event::Fork(_) | Event::Exit(_) if self.process_events => Verdict::Keep(None),
            Event::Fork(_) | Event::Exit(_) => Verdict::Drop,
            Event::Login(_) => Verdict::Keep(None),
            // Only the enrich stage's: where a cgroup is.
            Event::Cgroup(_) => Verdict::Drop,
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

fn rule_input<'a>(call: &Call, exe: &'a [u8], paths: &'a [&'a [u8]]) -> RuleInput<'a> {
    let (p, s) = (&call.process, &call.syscall);
    RuleInput {
        syscall: s.nr,
        success: s.ret >= 0,
        exit: s.ret,
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
