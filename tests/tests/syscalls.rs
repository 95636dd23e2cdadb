//! Any syscall a rule names, against the real auditd: the families
//! workload (tests/src/bin/families.rs) makes each family's calls,
//! succeeding and failing, 64-bit and 32-bit (`int 0x80`), under a rule
//! file naming every family (tests/rules/families.rules); auditd and the
//! sensor record side by side and every field of every record is compared
//! (`sensor_tests::conformance`).

use std::{collections::BTreeSet, path::Path, process::Command};

use sensor_tests::{
    audit_log::Event,
    conformance::{assert_agrees, call_name, run_both, Allowed, Run},
    marker, temp_dir,
};

/// The workload's calls that name paths (PATH items, CWD).
const PATH_CALLS: &[&str] = &[
    "open",
    "openat",
    "openat2",
    "creat",
    "truncate",
    "unlink",
    "unlinkat",
    "rmdir",
    "rename",
    "renameat",
    "renameat2",
    "link",
    "linkat",
    "symlink",
    "symlinkat",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "chmod",
    "fchmodat",
    "chown",
    "lchown",
    "fchownat",
    "setxattr",
    "lsetxattr",
    "removexattr",
    "utimensat",
    "mount",
    "umount2",
    "chroot",
    "b32:open",
    "b32:creat",
    "b32:chmod",
    "b32:mkdir",
    "b32:rename",
    "b32:unlink",
];

/// Every PATH field.
const PATH_FIELDS: &str =
    "presence|item|name|nametype|inode|dev|mode|ouid|ogid|rdev|cap_fp|cap_fi|\
                           cap_fe|cap_fver|cap_frootid";

/// The calls that may create their file with O_CREAT.
const OPEN_CALLS: &[&str] = &[
    "open",
    "openat",
    "openat2",
    "creat",
    "b32:open",
    "b32:openat",
    "b32:creat",
];

/// Differences known, each with its reason: `TODO(kernel)` where the
/// kernel side is to give what the kernel's audit writes.
const ALLOWED: &[Allowed] = &[
    (
        "failed:PATH*",
        PATH_FIELDS,
        PATH_CALLS,
        "TODO(kernel): a failed call's names as far as the kernel's own lookup went: it checks \
      search permission on each directory and stops where refused (the name UNKNOWN, no PARENT, \
      no DELETE/CREATE), logs DELETE for a name it then may not remove (may_delete), none for \
      a link whose source is missing; the sensor's lookup walks the dcache without permission \
      checks and logs what it finds there",
    ),
    (
        "failed:SYSCALL",
        "items",
        PATH_CALLS,
        "TODO(kernel): the number of PATH items above",
    ),
    (
        "PATH*",
        "nametype",
        OPEN_CALLS,
        "TODO(kernel): an O_CREAT open that created its file logs it as CREATE (the kernel knows \
      from FMODE_CREATED); the sensor's entry lookup cannot tell a name that does not exist \
      from one not in the dcache and its exit does not read the file's f_mode: NORMAL",
    ),
    (
        "PATH*",
        PATH_FIELDS,
        &["openat2"],
        "TODO(kernel): openat2's flags are in struct open_how, which the kernel side does not \
      copy: every openat2 is taken as one that may create (PARENT and the file) where the \
      kernel logs the file alone (no O_CREAT; or, from 6.12, a file already in the dcache)",
    ),
    (
        "SYSCALL",
        "items",
        &["openat2"],
        "TODO(kernel): the number of PATH items above",
    ),
    (
        "PATH*",
        "cap_fp|cap_fi|cap_fe|cap_fver|cap_frootid",
        &["umount2"],
        "TODO(kernel): where the kernel cannot read a file's capabilities (the mount point being \
      unmounted) it writes `cap_fe=? cap_fver=? cap_fp=? cap_fi=?` and no cap_frootid; the \
      sensor writes zeros",
    ),
    (
        "PATH*",
        "rdev",
        &["mknod", "mknodat"],
        "TODO(kernel): a device node's rdev (the lookup does not read i_rdev): 00:00",
    ),
    (
        "PATH",
        "nametype|inode|dev|mode|ouid|ogid|rdev",
        &["readlink", "b32:readlink"],
        "TODO(kernel): /proc/self/exe (read by i386 glibc at start): the lookup does not follow \
      /proc's magic links (self), so the item is UNKNOWN without inode fields",
    ),
    (
        "CWD",
        "cwd",
        &["chdir", "b32:chdir"],
        "TODO(kernel): the kernel's CWD is the cwd when the call took its first name \
      (audit_getname), for chdir the one it leaves; the sensor walks the cwd at exit",
    ),
    (
        "events",
        "count",
        &["b32:execve"],
        "TODO(kernel): an i386 execve is entered at raw_syscalls, not at the 64-bit execve's \
      tracepoints; an exec of a 64-bit image clears TS_COMPAT (and sets orig_ax to 59), so \
      its exit is not seen as a 32-bit call either, and a 32-bit exec would be written as a \
      plain call without EXECVE and PATH records",
    ),
    (
        "OPENAT2",
        "presence",
        &["openat2"],
        "TODO(kernel): the OPENAT2 record (oflag, mode, resolve) is struct open_how, which the \
      kernel side does not copy at entry",
    ),
    (
        "events",
        "count",
        &["init_module", "finit_module"],
        "TODO(kernel): without module support (CONFIG_MODULES=n, as here) these calls have no \
      syscalls: tracepoints, so nothing is attached; auditd records their ENOSYS",
    ),
    (
        "ANOM_LINK",
        "presence",
        &["link"],
        "the kernel's ANOM_LINK record when protected_hardlinks refuses a link is a decision \
      inside the kernel that no tracepoint shows",
    ),
];

/// `workload DIR` in a fresh directory DIR (a name with a space, to
/// exercise the hex encoding of names), recorded under the rules of
/// `template` (WORKLOAD standing for the workload's path).
fn run_in_dir(template: &str, workload: &Path) -> Run {
    let rules = std::env::temp_dir().join(marker("syscalls.rules"));
    std::fs::write(
        &rules,
        template.replace("WORKLOAD", workload.to_str().unwrap()),
    )
    .unwrap();
    let dir = temp_dir("syscalls").join("work dir");
    std::fs::create_dir(&dir).unwrap();
    let run = run_both(
        &rules,
        || {
            // Without cargo's LD_LIBRARY_PATH: the loader's probes in
            // target/release/deps (hundreds of entries) would be looked up
            // through a directory too large for the kernel side's lookup
            // (see `a_name_in_a_large_directory_is_recorded`), which is no
            // family's matter.
            let child = Command::new(workload)
                .arg(&dir)
                .env_remove("LD_LIBRARY_PATH")
                .spawn()
                .unwrap();
            let pid = child.id();
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "the workload failed: {out:?}");
            pid
        },
        |_| None,
    );
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    std::fs::remove_file(rules).unwrap();
    run
}

/// How `ausearch -i` interprets the SYSCALL records of `key` in `log`: the
/// fields from arch to a3 (`arch=i386 syscall=open success=yes exit=4
/// a0=0x40111000 a1=O_RDONLY…`), sorted. Only the records the rule wrote
/// (not auditctl's sendto, in the event of the CONFIG_CHANGE that names
/// the key), and not those of calls whose events ALLOWED excuses.
fn interpreted(log: &str, key: &str) -> Vec<String> {
    let excused = |call: &str| {
        ALLOWED
            .iter()
            .any(|(r, f, calls, _)| *r == "events" && *f == "count" && calls.contains(&call))
    };
    let file = std::env::temp_dir().join(marker("interpreted.log"));
    std::fs::write(&file, log).unwrap();
    let out = Command::new("ausearch")
        .args(["-i", "-k", key, "-if"])
        .arg(&file)
        .output()
        .unwrap();
    std::fs::remove_file(file).unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut calls: Vec<String> = text
        .lines()
        .filter(|l| l.contains("type=SYSCALL") && l.contains(&format!(" key={key}")))
        .filter_map(|l| {
            let from = l.find(" arch=")?;
            let to = l.find(" items=")?;
            Some(l[from + 1..to].to_owned())
        })
        .filter(|c| {
            let mut words = c.split(' ');
            let arch = words.next().unwrap_or("");
            let name = words.next().unwrap_or("").trim_start_matches("syscall=");
            let name = name.split('(').next().unwrap_or(name);
            !excused(&match arch {
                "arch=i386" => format!("b32:{name}"),
                _ => name.to_owned(),
            })
        })
        .collect();
    calls.sort();
    calls
}

/// `key/call/result` of every event: the result is `ok` or the errno name.
fn outcomes(run: &Run) -> BTreeSet<String> {
    run.theirs
        .values()
        .flatten()
        .map(|e: &Event| {
            let result = match e.syscall("success") {
                Some("yes") => "ok".to_owned(),
                _ => errno_name(e.syscall("exit").unwrap_or("")),
            };
            format!(
                "{}/{}/{result}",
                e.syscall("key").unwrap_or("-"),
                call_name(e)
            )
        })
        .collect()
}

fn errno_name(exit: &str) -> String {
    match exit {
        "-1" => "EPERM",
        "-2" => "ENOENT",
        "-13" => "EACCES",
        other => other,
    }
    .to_owned()
}

#[test]
fn every_family_agrees_with_auditd_field_by_field() {
    let run = run_in_dir(
        include_str!("../rules/families.rules"),
        Path::new(env!("CARGO_BIN_EXE_families")),
    );
    let seen = outcomes(&run);
    // Every family recorded, succeeding and failing, so that no rule
    // passes by recording nothing: the path families with ENOENT too.
    let has = |family: &str, results: &[&str]| {
        seen.iter().any(|s| {
            s.starts_with(&format!("{family}/"))
                && results.iter().any(|r| s.ends_with(&format!("/{r}")))
        })
    };
    for family in [
        "open", "truncate", "delete", "rename", "link", "create", "chmod", "chown", "xattr",
        "utime", "mount", "chroot", "signal", "capset", "time", "b32",
    ] {
        assert!(has(family, &["ok"]), "no success for {family}: {seen:#?}");
        assert!(
            has(family, &["EACCES", "EPERM"]),
            "no EACCES/EPERM for {family}: {seen:#?}"
        );
    }
    // A pipe's failures: bad flags (EINVAL), a socketpair of inet sockets
    // (EOPNOTSUPP).
    assert!(has("fd_pair", &["ok"]) && has("fd_pair", &["-22"]) && has("fd_pair", &["-95"]));
    for family in [
        "open", "truncate", "delete", "rename", "link", "create", "chmod", "chown", "xattr",
        "utime", "mount", "chroot", "b32",
    ] {
        assert!(
            has(family, &["ENOENT"]),
            "no ENOENT for {family}: {seen:#?}"
        );
    }
    // The workload's exit_group, which never returns: written as the task
    // exits, without success and exit (compared field by field below).
    assert!(
        seen.iter().any(|s| s.starts_with("exit/exit_group/")),
        "{seen:#?}"
    );
    // Without module support (this kernel) both calls fail with ENOSYS.
    assert!(has("module", &["ok", "EPERM", "-38"]), "{seen:#?}");
    assert_agrees(&run, ALLOWED);

    // The 32-bit records, interpreted by ausearch as auditd's are: the i386
    // arch, the i386 table's names, their arguments' meanings.
    let ours = interpreted(&run.text, "b32");
    assert!(
        ours.iter()
            .any(|c| c.starts_with("arch=i386 syscall=socketcall(socket) ")),
        "{ours:#?}"
    );
    assert!(
        ours.iter()
            .any(|c| c.starts_with("arch=i386 syscall=open success=yes")),
        "{ours:#?}"
    );
    assert_eq!(ours, interpreted(&run.log, "b32"));
}

/// The i386 workload (tests/src/i386/families32.c), built into `dir` with
/// `gcc -m32 -static` (gcc-multilib, which `cargo xtask setup` installs).
fn i386_workload(dir: &Path) -> std::path::PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/i386/families32.c");
    let binary = dir.join("families32");
    let out = Command::new("gcc")
        .args(["-m32", "-static", "-O1", "-o"])
        .arg(&binary)
        .arg(&source)
        .output()
        .expect("running gcc");
    assert!(
        out.status.success(),
        "gcc -m32 cannot build {} (`cargo xtask setup` installs gcc-multilib): {}",
        source.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    binary
}

#[test]
fn an_i386_binary_agrees_with_auditd() {
    let build = temp_dir("i386");
    let workload = i386_workload(&build);
    let run = run_in_dir(include_str!("../rules/i386.rules"), &workload);
    let seen = outcomes(&run);
    println!("{seen:#?}");
    assert_agrees(&run, ALLOWED);
    assert_eq!(
        interpreted(&run.text, "i386"),
        interpreted(&run.log, "i386")
    );
    std::fs::remove_dir_all(build).unwrap();
}

/// `run_both` under the one rule `rule`, written to a file in `dir` for
/// the time of the run.
fn run_rules(
    rule: &str,
    dir: &Path,
    workload: impl FnOnce() -> u32,
    find: impl Fn(&[Event]) -> Option<u32>,
) -> Run {
    let rules = dir.join(marker("rule"));
    std::fs::write(&rules, format!("{rule}\n")).unwrap();
    let run = run_both(&rules, workload, find);
    std::fs::remove_file(rules).unwrap();
    run
}

/// For `run_both`: the process named by `field` (pid, ppid) of the first
/// event auditd recorded under `key`.
fn first_of(key: &'static str, field: &'static str) -> impl Fn(&[Event]) -> Option<u32> {
    move |events| {
        events
            .iter()
            .find(|e| e.syscall("key") == Some(key))
            .and_then(|e| e.syscall(field)?.parse().ok())
    }
}

/// `-F exe=` on a rule naming a few calls, not `-S all`: each process is
/// matched by the image it runs now (the busybox a shell exec'd, not the
/// shell it was forked from), through a name with a symlinked directory
/// (/bin) as the kernel resolves it.
#[test]
fn exe_selects_the_calls_of_the_image_run() {
    let dir = temp_dir("exe-filter");
    let file = dir.join("f");
    std::fs::write(&file, "").unwrap();
    let run = run_rules(
        "-a always,exit -F arch=b64 -S fchmodat,chmod -F exe=/bin/busybox -k bb",
        &dir,
        || {
            let script = format!(
                "busybox chmod 600 '{0}'; chmod 640 '{0}'; busybox chmod 644 '{0}'",
                file.display()
            );
            let out = Command::new("/bin/sh")
                .args(["-c", &script])
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
            0
        },
        // The shell: busybox runs in its children.
        first_of("bb", "ppid"),
    );
    std::fs::remove_dir_all(dir).unwrap();
    // Both busybox chmods, not /usr/bin/chmod's.
    let ours: Vec<&Event> = run.ours.values().flatten().collect();
    assert_eq!(ours.len(), 2, "{}", run.text);
    assert!(ours
        .iter()
        .all(|e| e.syscall("exe") == Some("/usr/bin/busybox")));
    assert_agrees(&run, ALLOWED);
}

/// `busybox rm -f entry-0 missing` in a directory of `entries` files, each
/// in the dcache as a busy directory's are (`entry-0`, made first, is the
/// last of its parent's children the lookup scans), under a rule keyed
/// `key`.
fn rm_in_large_dir(entries: usize, key: &'static str) -> Run {
    let dir = temp_dir(key);
    for i in 0..entries {
        std::fs::write(dir.join(format!("entry-{i}")), "").unwrap();
    }
    for entry in std::fs::read_dir(&dir).unwrap() {
        std::fs::metadata(entry.unwrap().path()).unwrap();
    }
    let run = run_rules(
        &format!(
            "-a always,exit -F arch=b64 -S openat,unlink,unlinkat -F exe=/usr/bin/busybox -k {key}"
        ),
        &std::env::temp_dir(),
        || {
            let status = Command::new("/usr/bin/busybox")
                .args(["rm", "-f", "entry-0", "missing"])
                .current_dir(&dir)
                .status()
                .unwrap();
            assert!(status.success());
            0
        },
        first_of(key, "pid"),
    );
    std::fs::remove_dir_all(dir).unwrap();
    assert!(!run.theirs.is_empty());
    run
}

/// A name looked up through a directory with thousands of entries: within
/// the kernel side's reach (30 runs of its program, 128 cached children
/// each), recorded as auditd records it.
#[test]
fn a_name_in_a_large_directory_is_recorded() {
    let run = rm_in_large_dir(3000, "large");
    assert_agrees(&run, ALLOWED);
}

/// Past the lookup's reach the event is still written, whole but for
/// what the lookup could not find: that item has its name and what the
/// call did to it (DELETE: the unlink succeeded) but no inode, and nothing
/// is counted lost.
#[test]
fn a_name_past_the_lookups_reach_is_written_without_its_inode() {
    let run = rm_in_large_dir(6000, "larger");
    let removed = run
        .ours
        .values()
        .flatten()
        .find(|e| {
            e.syscall("key") == Some("larger")
                && call_name(e).starts_with("unlink")
                && e.syscall("success") == Some("yes")
        })
        .unwrap_or_else(|| panic!("no unlink of entry-0: {}", run.text));
    let item = removed
        .records("PATH")
        .find(|p| p.get("name") == Some("entry-0"))
        .unwrap_or_else(|| panic!("no PATH item for entry-0: {}", run.text));
    assert_eq!(item.get("nametype"), Some("DELETE"), "{}", run.text);
    assert_eq!(item.get("inode"), None, "{}", run.text);
    assert!(!run.text.contains("kernel_syscall"), "{}", run.text);
}

/// The kernel side decides at a call's entry whether any rule can record
/// it, before the call has an outcome or has changed anything: a call
/// that changes the ids a rule selects on (setresuid from root to nobody
/// under `uid=65534`) and a rule on failures alone (whose calls' names
/// are then looked up at exit) must still be recorded as auditd records
/// them, and a process a rule's auid leaves out not at all, until its
/// loginuid is set.
#[test]
fn rules_are_decided_on_what_the_call_leaves() {
    let dir = temp_dir("entry-filter");
    let script = format!(
        "set -e; cd '{}'; touch kept removed; \
         setpriv --reuid=65534 --regid=65534 --clear-groups true; \
         busybox chmod 600 kept; \
         echo 4242 > /proc/self/loginuid; \
         busybox chmod 644 kept; \
         ! busybox unlink missing; \
         busybox unlink removed",
        dir.display()
    );
    let run = run_rules(
        "-a always,exit -F arch=b64 -S setresuid,setresgid -F uid=65534 -k dropped\n\
         -a always,exit -F arch=b64 -S chmod,fchmodat -F auid=4242 -k byauid\n\
         -a always,exit -F arch=b64 -S unlink,unlinkat -F success=0 -k failed",
        &dir,
        || {
            let child = Command::new("/bin/sh")
                .args(["-c", &script])
                .spawn()
                .unwrap();
            let pid = child.id();
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{out:?}");
            pid
        },
        |_| None,
    );
    std::fs::remove_dir_all(dir).unwrap();
    let keys = |events: &std::collections::BTreeMap<_, Vec<Event>>| {
        let mut keys: Vec<String> = events
            .values()
            .flatten()
            .filter_map(|e| Some((e.syscall("key")?, e)))
            // The loginuid's write, whose SYSCALL record goes with LOGIN.
            .filter(|(key, _)| *key != "(null)")
            .map(|(key, e)| format!("{key}/{}", call_name(e)))
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(
        keys(&run.theirs),
        [
            "byauid/chmod",
            "dropped/setresgid",
            "dropped/setresuid",
            "failed/unlink"
        ],
        "{}",
        run.log
    );
    assert_eq!(keys(&run.ours), keys(&run.theirs), "{}", run.text);
    assert_agrees(&run, ALLOWED);
}
