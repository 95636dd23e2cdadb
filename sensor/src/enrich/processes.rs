//! What is known of each live process: seeded from /proc at start (so the
//! parents of the first events are known) and updated by exec events.

use std::collections::HashMap;

use crate::decode::exec::Exec;

/// Bound on remembered processes: exits are not tracked yet, so old pids
/// are dropped wholesale when the table fills.
const CAPACITY: usize = 1 << 16;

pub struct ProcessEntry {
    pub comm: Vec<u8>,
    pub exe: Vec<u8>,
    pub ppid: u32,
}

#[derive(Default)]
pub struct Processes {
    by_pid: HashMap<u32, ProcessEntry>,
}

impl Processes {
    pub fn snapshot() -> Self {
        let mut table = Self::default();
        let Ok(all) = procfs::process::all_processes() else {
            log::warn!("cannot list /proc: parents of early events will lack exe and comm");
            return table;
        };
        for process in all.flatten() {
            let Ok(stat) = process.stat() else { continue };
            let exe = process
                .exe()
                .map(|p| p.into_os_string().into_encoded_bytes())
                .unwrap_or_default();
            table.by_pid.insert(
                stat.pid as u32,
                ProcessEntry {
                    comm: stat.comm.into_bytes(),
                    exe,
                    ppid: stat.ppid as u32,
                },
            );
        }
        table
    }

    pub fn exec(&mut self, exec: &Exec) {
        if self.by_pid.len() >= CAPACITY {
            self.by_pid.clear();
        }
        let p = &exec.process;
        self.by_pid.insert(
            p.pid,
            ProcessEntry {
                comm: crate::decode::c_str(&p.comm).to_vec(),
                exe: exec.exe.clone(),
                ppid: p.ppid,
            },
        );
    }

    pub fn get(&self, pid: u32) -> Option<&ProcessEntry> {
        self.by_pid.get(&pid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snapshot_knows_this_process_and_its_parent() {
        let table = Processes::snapshot();
        let me = table.get(std::process::id()).expect("this test process");
        let exe = std::env::current_exe()
            .unwrap()
            .into_os_string()
            .into_encoded_bytes();
        assert_eq!(me.exe, exe);
        assert_eq!(me.ppid, std::os::unix::process::parent_id());
        assert!(table.get(me.ppid).is_some());
    }
}
