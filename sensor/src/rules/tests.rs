use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::parse::{parse_num, parse_text, Names};
use super::*;

const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n";
const GROUP: &str = "root:x:0:\nstaff:x:50:alice\n";

fn names() -> Names {
    Names::from_text(PASSWD, GROUP)
}

fn parse(text: &str) -> RuleFile {
    parse_text("t.rules", text, &names(), false).unwrap()
}

fn parse_skipping(text: &str) -> RuleFile {
    parse_text("t.rules", text, &names(), true).unwrap()
}

fn error(text: &str) -> String {
    parse_text("t.rules", text, &names(), false)
        .unwrap_err()
        .to_string()
}

/// The error even when unsupported rules are skipped: a syntax error.
fn syntax_error(text: &str) -> String {
    parse_text("t.rules", text, &names(), true)
        .unwrap_err()
        .to_string()
}

const TRUE: &[u8] = b"/usr/bin/true";

/// A successful execve of /usr/bin/true by alice, logged in, session 3.
fn exec() -> RuleInput<'static> {
    RuleInput {
        arch: Arch::X86_64,
        syscall: 59,
        success: true,
        exit: 0,
        returned: true,
        args: [0; 4],
        pid: 100,
        ppid: 1,
        uid: 1000,
        euid: 1000,
        suid: 1000,
        fsuid: 1000,
        gid: 1000,
        egid: 1000,
        sgid: 1000,
        fsgid: 1000,
        auid: 1000,
        ses: 3,
        exe: named(TRUE),
        paths: &TRUE_PATH,
    }
}

static TRUE_PATH: [Object<'static>; 1] = [named(TRUE)];

/// A file known by name only (no inode read).
const fn named(name: &[u8]) -> Object<'_> {
    Object {
        name,
        identity: None,
    }
}

/// The key the rules give `input`, None when not recorded.
fn key(rules: &RuleFile, input: &RuleInput) -> Option<Option<String>> {
    rules.evaluate(input).map(|k| k.map(str::to_string))
}

fn recorded(rules: &RuleFile, input: &RuleInput) -> bool {
    rules.evaluate(input).is_some()
}

fn record_exec(rule_fields: &str) -> RuleFile {
    parse(&format!("-a always,exit {rule_fields} -S execve"))
}

/// x86_64 syscalls by number.
fn b64(nrs: &[u32]) -> BTreeSet<SyscallId> {
    nrs.iter().map(|&nr| SyscallId::x86_64(nr)).collect()
}

/// The same numbers in both tables: what a rule without `arch` names.
fn both(nrs: &[u32]) -> BTreeSet<SyscallId> {
    let mut ids = b64(nrs);
    ids.extend(nrs.iter().map(|&nr| SyscallId {
        arch: Arch::I386,
        nr,
    }));
    ids
}

// --- operators and fields ---------------------------------------------------

fn set(input: &mut RuleInput, field: &str, v: u32) {
    match field {
        "pid" => input.pid = v,
        "ppid" => input.ppid = v,
        "uid" => input.uid = v,
        "euid" => input.euid = v,
        "suid" => input.suid = v,
        "fsuid" => input.fsuid = v,
        "gid" => input.gid = v,
        "egid" => input.egid = v,
        "sgid" => input.sgid = v,
        "fsgid" => input.fsgid = v,
        "auid" | "loginuid" => input.auid = v,
        "ses" | "sessionid" => input.ses = v,
        "exit" => input.exit = v.into(),
        "a0" => input.args[0] = v.into(),
        "a1" => input.args[1] = v.into(),
        "a2" => input.args[2] = v.into(),
        "a3" => input.args[3] = v.into(),
        _ => unreachable!("{field}"),
    }
}

const NUMERIC: [&str; 19] = [
    "pid",
    "ppid",
    "uid",
    "euid",
    "suid",
    "fsuid",
    "gid",
    "egid",
    "sgid",
    "fsgid",
    "auid",
    "loginuid",
    "ses",
    "sessionid",
    "exit",
    "a0",
    "a1",
    "a2",
    "a3",
];

type Cmp = fn(u32, u32) -> bool;
const COMPARISONS: [(&str, Cmp); 6] = [
    ("=", |a, b| a == b),
    ("!=", |a, b| a != b),
    ("<", |a, b| a < b),
    (">", |a, b| a > b),
    ("<=", |a, b| a <= b),
    (">=", |a, b| a >= b),
];

#[test]
fn every_comparison_on_every_numeric_field() {
    for field in NUMERIC {
        for (symbol, expected) in COMPARISONS {
            let rules = record_exec(&format!("-F {field}{symbol}100"));
            for event in [99, 100, 101] {
                let mut input = exec();
                set(&mut input, field, event);
                assert_eq!(
                    recorded(&rules, &input),
                    expected(event, 100),
                    "{field}{symbol}100 on {event}"
                );
            }
        }
    }
}

#[test]
fn bit_operators_on_every_argument() {
    for arg in ["a0", "a1", "a2", "a3"] {
        // &: any bit in common.
        let any = record_exec(&format!("-F {arg}&0x6"));
        // &=: all the bits.
        let all = record_exec(&format!("-F {arg}&=0x6"));
        for (event, any_expected, all_expected) in [
            (0x0, false, false),
            (0x2, true, false),
            (0x7, true, true),
            (0x9, false, false),
        ] {
            let mut input = exec();
            set(&mut input, arg, event);
            assert_eq!(recorded(&any, &input), any_expected, "{arg}&6 on {event}");
            assert_eq!(recorded(&all, &input), all_expected, "{arg}&=6 on {event}");
        }
    }
}

#[test]
fn bit_operators_are_refused_outside_arguments_as_the_kernel_does() {
    for field in ["uid", "auid", "pid", "exit", "success", "ses"] {
        for op in ["&", "&="] {
            let e = syntax_error(&format!("-a always,exit -S execve -F {field}{op}1"));
            assert!(e.contains("a0-a3 only"), "{field}{op}: {e}");
        }
    }
}

#[test]
fn arguments_compare_their_low_32_bits_like_the_kernel() {
    let rules = record_exec("-F a0=5");
    let mut input = exec();
    input.args[0] = 0x1_0000_0005;
    assert!(recorded(&rules, &input));
    let e = error("-a always,exit -S execve -F a0=0x100000000");
    assert!(e.contains("32-bit"), "{e}");
}

#[test]
fn numbers_are_read_like_strtoul() {
    assert_eq!(parse_num("0x1f"), Some(31));
    assert_eq!(parse_num("017"), Some(15));
    assert_eq!(parse_num("0"), Some(0));
    assert_eq!(parse_num("-1"), Some(u32::MAX));
    assert_eq!(parse_num("4294967295"), Some(u32::MAX));
    assert_eq!(parse_num("4294967296"), None);
    assert_eq!(parse_num("+1"), None);
    assert_eq!(parse_num("12ab"), None);
    assert_eq!(parse_num("09"), None);
}

#[test]
fn exit_takes_errno_names() {
    for rule in ["-F exit=-EACCES", "-F exit=-13", "-F exit=0xfffffff3"] {
        let rules = record_exec(rule);
        let mut input = exec();
        input.success = false;
        input.exit = -13;
        assert!(recorded(&rules, &input), "{rule}");
        input.exit = -2;
        assert!(!recorded(&rules, &input), "{rule}");
    }
    let rules = record_exec("-F exit=-EWOULDBLOCK");
    let mut input = exec();
    input.exit = -11;
    assert!(recorded(&rules, &input));
    assert!(error("-a always,exit -S execve -F exit=-ENOPE").contains("errno"));
}

#[test]
fn exit_compares_unsigned_like_the_kernel() {
    // audit_comparator takes u32: -13 is 0xfffffff3, so exit<0 never holds
    // and exit>0 holds for every failure.
    let mut input = exec();
    input.exit = -13;
    assert!(!recorded(&record_exec("-F exit<0"), &input));
    assert!(recorded(&record_exec("-F exit>0"), &input));
}

#[test]
fn success_is_yes_no_or_a_number() {
    let mut failed = exec();
    failed.success = false;
    failed.exit = -2;
    for (rule, on_success) in [
        ("success=1", true),
        ("success=yes", true),
        ("success=0", false),
        ("success=no", false),
        ("success!=1", false),
        ("success=7", true),
    ] {
        let rules = record_exec(&format!("-F {rule}"));
        assert_eq!(recorded(&rules, &exec()), on_success, "{rule}");
        assert_eq!(recorded(&rules, &failed), !on_success, "{rule}");
    }
}

/// A call that never returns (exit_group) has no return to compare: any
/// success or exit field fails, whatever its operator, as in the kernel.
#[test]
fn success_and_exit_match_no_call_that_never_returns() {
    let exit_group = RuleInput {
        returned: false,
        ..exec()
    };
    for rule in [
        "success=1",
        "success=0",
        "success!=1",
        "exit=0",
        "exit!=0",
        "exit>=0",
    ] {
        let rules = record_exec(&format!("-F {rule}"));
        assert!(!recorded(&rules, &exit_group), "{rule}");
    }
    assert!(recorded(&record_exec("-F uid=1000"), &exit_group));
}

#[test]
fn unset_auid_is_unset_minus_one_or_max() {
    let mut daemon = exec();
    daemon.auid = u32::MAX;
    for value in ["unset", "-1", "4294967295"] {
        let set = record_exec(&format!("-F auid!={value}"));
        assert!(recorded(&set, &exec()), "auid!={value}");
        assert!(!recorded(&set, &daemon), "auid!={value}");
        let unset = record_exec(&format!("-F loginuid={value}"));
        assert!(recorded(&unset, &daemon), "loginuid={value}");
    }
}

#[test]
fn unset_auid_takes_only_equality_and_other_ids_cannot_be_unset() {
    assert!(syntax_error("-a always,exit -S execve -F auid>=unset").contains("only takes = or !="));
    for field in ["uid", "euid", "gid", "fsgid"] {
        let e = syntax_error(&format!("-a always,exit -S execve -F {field}=-1"));
        assert!(e.contains("not a valid id"), "{e}");
    }
}

#[test]
fn the_cis_login_filter_keeps_users_and_drops_daemons() {
    let rules = record_exec("-F auid>=1000 -F auid!=unset -k user");
    let mut daemon = exec();
    daemon.auid = u32::MAX;
    let mut root = exec();
    root.auid = 0;
    assert_eq!(key(&rules, &exec()), Some(Some("user".into())));
    assert_eq!(key(&rules, &daemon), None);
    assert_eq!(key(&rules, &root), None);
}

#[test]
fn user_and_group_names_resolve() {
    let rules = record_exec("-F uid=alice -F euid!=root -F gid=staff");
    let mut input = exec();
    input.gid = 50;
    assert!(recorded(&rules, &input));
    input.uid = 0;
    assert!(!recorded(&rules, &input));
    assert_eq!(
        error("\n-a always,exit -S execve -F uid=mallory"),
        "t.rules:2: unknown user \"mallory\""
    );
    assert!(error("-a always,exit -S execve -F egid=nogroup").contains("unknown group"));
    // Skipped, with a warning, where unsupported rules are.
    let skipped = parse_text(
        "t.rules",
        "-a never,exit -S adjtimex -F uid=chrony\n-a always,exit -S execve",
        &names(),
        true,
    )
    .unwrap();
    assert_eq!(skipped.rules.len(), 1);
    assert_eq!(
        skipped.warnings,
        ["t.rules:1: rule skipped: unknown user \"chrony\""]
    );
}

#[test]
fn arch_b64_always_matches_and_its_negation_never() {
    for arch in ["b64", "x86_64", "0xc000003e", "c000003e", "3221225534"] {
        assert!(
            recorded(&record_exec(&format!("-F arch={arch}")), &exec()),
            "{arch}"
        );
        assert!(
            !recorded(&record_exec(&format!("-F arch!={arch}")), &exec()),
            "{arch}"
        );
    }
    assert!(syntax_error("-a always,exit -F arch>b64 -S execve").contains("only takes = or !="));
    assert!(syntax_error("-a always,exit -F arch=z80 -S execve").contains("unknown arch"));
    assert!(syntax_error("-a always,exit -S execve -F arch=b64").contains("arch must be before -S"));
}

#[test]
fn arch_b32_names_resolve_in_the_i386_table() {
    let i386 = |nr| SyscallId {
        arch: Arch::I386,
        nr,
    };
    for arch in ["b32", "i386", "0x40000003"] {
        let rules = parse(&format!(
            "-a always,exit -F arch={arch} -S execve,stime -k t"
        ));
        assert_eq!(rules.syscalls(), [i386(11), i386(25)].into(), "{arch}");
    }
    // A 32-bit execve (11 there) is recorded; a 64-bit call numbered 11
    // (munmap) is not.
    let rules = parse("-a always,exit -F arch=b32 -S execve -k exec32");
    let mut call = RuleInput {
        arch: Arch::I386,
        syscall: 11,
        ..exec()
    };
    assert_eq!(key(&rules, &call), Some(Some("exec32".into())));
    call.arch = Arch::X86_64;
    assert_eq!(key(&rules, &call), None);
    // A name only the other table has is an error, as in auditctl.
    let e = syntax_error("-a always,exit -F arch=b64 -S stime");
    assert!(
        e.contains("stime is not an x86_64 syscall") && e.contains("-F arch=b32"),
        "{e}"
    );
    assert!(syntax_error("-a always,exit -F arch=b32 -S kexec_file_load").contains("not an i386"));
    assert!(error("-a always,exit -F arch=aarch64 -S execve").contains("x86_64"));
}

#[test]
fn exe_is_the_exact_image() {
    let rules = record_exec("-F exe=/usr/bin/true");
    assert!(recorded(&rules, &exec()));
    let mut input = exec();
    input.exe = named(b"/usr/bin/true2");
    assert!(!recorded(&rules, &input));
    assert!(recorded(&record_exec("-F exe!=/usr/bin/true"), &input));
}

#[test]
fn exe_and_path_match_the_file_not_its_name() {
    let real = Identity::of(std::path::Path::new("/usr/bin/true")).expect("/usr/bin/true");
    let other = Identity {
        ino: real.ino + 1,
        ..real
    };
    let rules = record_exec("-F exe=/usr/bin/true");
    let path = record_exec("-F path=/usr/bin/true");
    let mut input = exec();
    // Another file bind-mounted at the name: not the rule's file.
    input.exe = Object {
        name: TRUE,
        identity: Some(other),
    };
    assert!(!recorded(&rules, &input));
    assert!(recorded(&record_exec("-F exe!=/usr/bin/true"), &input));
    assert!(!recorded(
        &path,
        &RuleInput {
            paths: &[],
            ..input
        }
    ));
    // The file itself, whatever it is called here (a chroot, a mount).
    input.exe = Object {
        name: b"/jail/true",
        identity: Some(real),
    };
    assert!(recorded(&rules, &input));
    assert!(recorded(
        &path,
        &RuleInput {
            paths: &[],
            ..input
        }
    ));
    // A name the walk cut never counts as a whole one.
    input.exe = named(b".../bin/true");
    assert!(!recorded(&rules, &input));
    assert!(!recorded(
        &record_exec("-F dir=/usr/bin"),
        &RuleInput {
            paths: &[],
            ..input
        }
    ));
}

#[test]
fn path_matches_a_path_name_or_the_exe() {
    let script = [named(b"/opt/run.sh")];
    let mut input = exec();
    input.exe = named(b"/usr/bin/bash");
    input.paths = &script;
    assert!(recorded(&record_exec("-F path=/opt/run.sh"), &input));
    assert!(recorded(&record_exec("-F path=/usr/bin/bash"), &input));
    assert!(!recorded(&record_exec("-F path=/opt"), &input));
    assert!(!recorded(&record_exec("-F path!=/opt/run.sh"), &input));
    assert!(syntax_error("-a always,exit -S execve -F path=/opt/").contains("dir="));
    assert!(syntax_error("-a always,exit -S execve -F path=run.sh").contains("absolute"));
}

#[test]
fn dir_matches_inside_the_directory_only() {
    for dir in ["/usr/bin", "/usr/bin/", "/usr", "/"] {
        assert!(
            recorded(&record_exec(&format!("-F dir={dir}")), &exec()),
            "{dir}"
        );
    }
    for dir in ["/usr/bi", "/usr/bin/true/x", "/opt"] {
        assert!(
            !recorded(&record_exec(&format!("-F dir={dir}")), &exec()),
            "{dir}"
        );
    }
    assert!(!recorded(&record_exec("-F dir!=/usr"), &exec()));
    // The directory itself is inside.
    let mut input = exec();
    input.exe = named(b"/usr/bin");
    input.paths = &[];
    assert!(recorded(&record_exec("-F dir=/usr/bin"), &input));
}

// --- rule order and keys ----------------------------------------------------

#[test]
fn first_match_wins() {
    let rules = parse(
        "-a always,exit -S execve -F uid=0 -k root\n\
         -a always,exit -S execve -k first\n\
         -a always,exit -S execve -k second\n",
    );
    assert_eq!(key(&rules, &exec()), Some(Some("first".into())));
    let mut root = exec();
    root.uid = 0;
    assert_eq!(key(&rules, &root), Some(Some("root".into())));
}

#[test]
fn never_excludes_what_it_matches() {
    let rules = parse(
        "-a never,exit -S execve -F exe=/usr/bin/true\n\
         -a always,exit -S execve -k exec\n",
    );
    assert_eq!(key(&rules, &exec()), None);
    let mut other = exec();
    other.exe = named(b"/usr/bin/false");
    assert_eq!(key(&rules, &other), Some(Some("exec".into())));
}

#[test]
fn no_matching_rule_records_nothing() {
    let rules = parse("-a always,exit -S connect -k network\n-a always,exit -S execve -F uid=0");
    assert_eq!(key(&rules, &exec()), None);
    assert_eq!(key(&parse(""), &exec()), None);
}

#[test]
fn a_rule_without_key_records_without_key() {
    assert_eq!(key(&record_exec(""), &exec()), Some(None));
}

#[test]
fn prepended_rules_go_before_all_earlier_ones() {
    let rules = parse(
        "-a always,exit -S execve -k appended\n\
         -A always,exit -S execve -k prepended_first\n\
         -A always,exit -S execve -k prepended_last\n",
    );
    let keys: Vec<_> = rules
        .rules
        .iter()
        .map(|r| r.key.as_deref().unwrap())
        .collect();
    assert_eq!(keys, ["prepended_last", "prepended_first", "appended"]);
    assert_eq!(rules.rules[0].origin, "t.rules:3");
    assert_eq!(key(&rules, &exec()), Some(Some("prepended_last".into())));
}

#[test]
fn a_prepended_never_overrides_earlier_always() {
    let rules = parse("-a always,exit -S execve -k exec\n-A never,exit -S execve -F pid=100");
    assert_eq!(key(&rules, &exec()), None);
}

#[test]
fn keys_come_from_k_and_f_key_and_join_like_auditctl() {
    assert_eq!(
        key(&record_exec("-k exec"), &exec()),
        Some(Some("exec".into()))
    );
    assert_eq!(
        key(&record_exec("-F key=exec"), &exec()),
        Some(Some("exec".into()))
    );
    assert_eq!(
        key(&record_exec("-kexec"), &exec()),
        Some(Some("exec".into()))
    );
    assert_eq!(
        key(&record_exec("-k one -F key=two"), &exec()),
        Some(Some("one\x01two".into()))
    );
    assert!(
        syntax_error(&format!("-a always,exit -S execve -k {}", "k".repeat(257)))
            .contains("longer than 256")
    );
    assert!(syntax_error("-a always,exit -S execve -F key!=x").contains("only takes ="));
}

#[test]
fn list_and_action_in_either_order() {
    for head in ["-a always,exit", "-a exit,always"] {
        let rules = parse(&format!("{head} -S execve"));
        assert_eq!(rules.rules[0].action, Action::Always);
    }
    assert_eq!(
        parse("-a exit,never -S execve").rules[0].action,
        Action::Never
    );
    assert!(syntax_error("-a always").contains("action,list"));
    assert!(syntax_error("-a always,never").contains("one action"));
    assert!(syntax_error("-a always,sometimes").contains("unknown list"));
}

#[test]
fn other_lists_are_unsupported() {
    for list in ["task", "user", "exclude", "filesystem", "io_uring"] {
        let e = error(&format!("-a always,{list}"));
        let why = format!("the {list} list is not supported (only exit rules are)");
        assert!(
            e.starts_with(&format!("t.rules:1: unsupported: {why} (")),
            "{e}"
        );
    }
}

// --- syscalls ---------------------------------------------------------------

#[test]
fn syscalls_by_name_number_list_and_repeated() {
    let rules = parse("-a always,exit -S execve,59 -S 42 -S accept4 -S bind,socket");
    let expected: BTreeSet<u32> = [59, 42, 288, 49, 41].into();
    assert_eq!(rules.rules[0].syscalls, Syscalls::Only(expected));
    assert_eq!(
        parse("-a always,exit -Sexecve").rules[0].syscalls,
        Syscalls::Only([59].into())
    );
}

#[test]
fn any_syscall_is_recorded() {
    let rules = parse("-a always,exit -F arch=b64 -S execve,open,unlinkat -k files");
    assert_eq!(rules.syscalls(), b64(&[59, 2, 263]));
    let unlinkat = RuleInput {
        syscall: 263,
        ..exec()
    };
    assert_eq!(key(&rules, &unlinkat), Some(Some("files".into())));
}

#[test]
fn an_unknown_syscall_is_a_syntax_error() {
    assert_eq!(
        syntax_error("-a always,exit -S exceve"),
        "t.rules:1: unknown syscall \"exceve\""
    );
    assert!(syntax_error("-a always,exit -S 4096").contains("bad syscall number"));
    assert!(syntax_error("-a always,exit -S execve,").contains("unknown syscall"));
}

#[test]
fn all_syscalls_with_always_records_every_one() {
    for rule in [
        "-a always,exit -F arch=b64 -S all -F uid=0",
        "-a always,exit -F arch=b64 -F uid=0",
    ] {
        let ids = parse(rule).syscalls();
        assert!(
            ids.len() > 350 && ids.iter().all(|id| id.arch == Arch::X86_64),
            "{rule}"
        );
    }
}

#[test]
fn field_comparisons_compare_two_ids_of_the_event() {
    let rules = record_exec("-C uid!=euid -F auid!=unset -k setuid");
    let mut input = exec();
    assert!(!recorded(&rules, &input), "uid == euid");
    input.euid = 0;
    assert!(recorded(&rules, &input));
    let rules = record_exec("-C auid=uid");
    assert!(recorded(&rules, &exec()));
    input.uid = 0;
    assert!(!recorded(&rules, &input));
    assert!(syntax_error("-a always,exit -S execve -C uid<euid").contains("= or !="));
    assert!(syntax_error("-a always,exit -S execve -C uid=gid").contains("group id"));
    assert!(syntax_error("-a always,exit -S execve -C pid=uid").contains("cannot be compared"));
    assert!(error("-a always,exit -S execve -C obj_uid!=uid").contains("obj_uid"));
}

#[test]
fn all_syscalls_with_never_applies_to_the_traced_ones() {
    let rules = parse("-a never,exit -S all -F pid=100\n-a always,exit -S execve,connect -k k");
    assert_eq!(rules.rules[0].syscalls, Syscalls::All);
    assert_eq!(key(&rules, &exec()), None);
    let mut connect = exec();
    connect.syscall = 42;
    assert_eq!(key(&rules, &connect), None);
    connect.pid = 101;
    assert_eq!(key(&rules, &connect), Some(Some("k".into())));
}

#[test]
fn a_never_rule_may_name_untraced_syscalls() {
    let rules = parse("-a never,exit -S open,execve -F uid=1000\n-a always,exit -S execve");
    assert_eq!(key(&rules, &exec()), None);
}

#[test]
fn attached_programs_follow_the_always_rules() {
    let rules = parse(
        "-a always,exit -F arch=b64 -S execve -F uid=0\n-a always,exit -F arch=b64 -S connect,bind",
    );
    assert_eq!(rules.syscalls(), b64(&[59, 42, 49]));
    // Without arch, the numbers name syscalls of both tables, as the
    // kernel matches them (auditctl warns about it).
    assert_eq!(parse("-a always,exit -S execve").syscalls(), both(&[59]));
    // An unconditional never rule first hides a syscall; a conditional one
    // does not.
    let rules = parse(
        "-a never,exit -F arch=b64 -S connect\n\
         -a never,exit -F arch=b64 -S bind -F uid=0\n\
         -a always,exit -F arch=b64 -S connect,bind",
    );
    assert_eq!(rules.syscalls(), b64(&[49]));
    // arch!=b64: the 32-bit table's number only.
    assert_eq!(
        parse("-a always,exit -F arch!=b64 -S execve").syscalls(),
        [SyscallId {
            arch: Arch::I386,
            nr: 59
        }]
        .into()
    );
}

#[test]
fn every_exec_is_traced_for_the_process_table_when_anything_is_recorded() {
    // A chmod rule alone: the execs are traced (not recorded), so that a
    // process's exe and PROCTITLE follow its exec.
    let rules = parse("-a always,exit -F arch=b64 -S chmod -F exe=/usr/bin/chmod");
    assert_eq!(rules.syscalls(), b64(&[90]));
    assert_eq!(rules.traced(), b64(&[59, 90, 322]));
    // A 32-bit rule too: the 32-bit processes it records were started by
    // 64-bit execs.
    let rules = parse("-a always,exit -F arch=b32 -S chmod");
    assert!(rules.traced().is_superset(&b64(&[59, 322])));
    // Nothing recorded, nothing traced.
    assert!(parse("-a never,exit -S all").traced().is_empty());
}

#[test]
fn mmap_exec_only_when_every_mmap_rule_asks_for_prot_exec() {
    for rule in ["a2&0x4", "a2&=4", "a2&=0x5", "a2=7"] {
        let rules = parse(&format!("-a always,exit -S mmap -F {rule}"));
        assert!(rules.mmap_needs_only_exec(), "{rule}");
    }
    for rule in ["a2&5", "a2!=4", "a1&4", "uid=0"] {
        let rules = parse(&format!("-a always,exit -S mmap -F {rule}"));
        assert!(!rules.mmap_needs_only_exec(), "{rule}");
    }
    // A later rule reached by non-executable mmaps.
    let rules = parse("-a always,exit -S mmap -F a2&4 -k x\n-a always,exit -S mmap,execve -k all");
    assert!(!rules.mmap_needs_only_exec());
    // Unless an unconditional never rule stops them first.
    let rules =
        parse("-a always,exit -S mmap -F a2&4 -k x\n-a never,exit -S mmap\n-a always,exit -S mmap");
    assert!(rules.mmap_needs_only_exec());
}

// --- unsupported constructs and control lines -------------------------------

#[test]
fn watches_comparisons_and_lsm_fields_are_unsupported() {
    for (line, why) in [
        (
            "-w /etc/passwd -p wa -k identity",
            "file watch -w /etc/passwd",
        ),
        ("-W /etc/passwd", "file watch -W /etc/passwd"),
        (
            "-a always,exit -S execve -C obj_uid!=uid",
            "the object's owner",
        ),
        (
            "-a always,exit -S execve -F subj_type=unconfined_t",
            "field subj_type",
        ),
        ("-a always,exit -S execve -F perm=x", "field perm"),
        ("-a always,exit -S execve -p x", "-p x"),
        ("-d always,exit -S execve", "rule deletion"),
    ] {
        let e = error(line);
        assert!(e.starts_with("t.rules:1: unsupported: "), "{e}");
        assert!(e.contains(why), "{line}: {e}");
    }
}

#[test]
fn skipping_turns_unsupported_rules_into_warnings() {
    let rules = parse_skipping(
        "-w /etc/shadow -p wa -k identity\n\
         -a always,exit -S execve -k exec\n\
         -a always,exit -F arch=b32 -S execve -F perm=x -k exec32\n",
    );
    assert_eq!(rules.rules.len(), 1);
    assert_eq!(rules.rules[0].origin, "t.rules:2");
    assert_eq!(
        rules.warnings,
        [
            "t.rules:1: rule skipped: file watch -w /etc/shadow: the sensor does not trace file events",
            "t.rules:3: rule skipped: field perm is not supported (the sensor does not collect it)",
        ]
    );
}

#[test]
fn syntax_errors_stay_errors_when_skipping() {
    for (line, what) in [
        ("-w /etc/shadow -p rwz", "-p rwz"),
        ("-a always,exit -S execve -F nosuchfield=1", "unknown field"),
        (
            "-a always,exit -S execve -F uid",
            "expected name, operator, value",
        ),
        (
            "-a always,exit -S execve -F uid=",
            "expected name, operator, value",
        ),
        ("-a always,exit -S execve -F uid=12x", "not a 32-bit number"),
        (
            "-a always,exit -S execve -F subj_type=x -F pid=oops",
            "not a 32-bit number",
        ),
        ("-S execve -k exec", "need -a"),
        ("-a always,exit -S execve -a always,exit", "only one of"),
        ("-a always,exit -S", "needs an argument"),
        ("-a always,exit -S execve # trailing", "expected an option"),
        ("-x", "unknown option"),
        ("-w etc/passwd", "absolute"),
        ("-b lots", "takes a number"),
    ] {
        let e = syntax_error(line);
        assert!(e.starts_with("t.rules:1: "), "{e}");
        assert!(e.contains(what), "{line}: {e}");
    }
}

#[test]
fn control_lines_are_noted_not_errors() {
    let rules = parse(
        "-D\n-b 8192\n-f 1\n--backlog_wait_time 60000\n-r 0\n--loginuid-immutable\n\
         -i\n-c\n--reset-lost\n-s\n-l\n-e 2\n",
    );
    assert!(rules.rules.is_empty());
    assert_eq!(rules.notes.len(), 12);
    assert_eq!(
        rules.notes[1],
        "t.rules:2: -b 8192 (kernel backlog limit; the sensor's is --ring-buffer-size) \
         does not apply to the sensor; ignored"
    );
    assert!(rules.notes[11].starts_with("t.rules:12: -e 2 "));
}

#[test]
fn comments_and_blank_lines_are_ignored() {
    let rules = parse("# a comment\n\n   \n  # indented\n-a always,exit -S execve\n");
    assert_eq!(rules.rules.len(), 1);
    assert_eq!(rules.rules[0].origin, "t.rules:5");
}

/// An excerpt in the shape of the CIS Debian benchmark's audit rules, with a
/// local execve rule added.
const CIS: &str = "\
## CIS Debian Linux 12 Benchmark, 6.2.3: auditd rules (excerpt)
-D
-b 8192
-f 1
-w /etc/sudoers -p wa -k scope
-w /etc/sudoers.d -p wa -k scope
-a always,exit -F arch=b64 -C euid!=uid -F auid!=unset -S execve -k user_emulation
-a always,exit -F arch=b32 -C euid!=uid -F auid!=unset -S execve -k user_emulation
-a always,exit -F arch=b64 -S adjtimex,settimeofday,clock_settime -k time-change
-w /etc/localtime -p wa -k time-change
-a always,exit -F arch=b64 -S open,truncate,ftruncate,creat,openat -F exit=-EACCES -F auid>=1000 -F auid!=unset -k access
-a always,exit -F path=/usr/bin/chcon -F perm=x -F auid>=1000 -F auid!=unset -k perm_chng
-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -F auid>=1000 -F auid!=unset -k kernel_modules
## Local: every command run by a logged-in user.
-a always,exit -F arch=b64 -S execve,execveat -F auid>=1000 -F auid!=unset -k exec_user
-e 2
";

#[test]
fn a_cis_excerpt_loads_when_skipping_with_a_warning_per_rule() {
    let rules = parse_text("cis.rules", CIS, &names(), true).unwrap();
    let origins: Vec<&str> = rules.rules.iter().map(|r| r.origin.as_str()).collect();
    assert_eq!(
        origins,
        [
            "cis.rules:7",
            "cis.rules:8",
            "cis.rules:9",
            "cis.rules:11",
            "cis.rules:13",
            "cis.rules:15"
        ]
    );
    assert_eq!(rules.notes.len(), 4, "{:?}", rules.notes);
    let lines: Vec<&str> = rules
        .warnings
        .iter()
        .map(|w| w.split(": rule skipped: ").next().unwrap())
        .collect();
    assert_eq!(
        lines,
        ["cis.rules:5", "cis.rules:6", "cis.rules:10", "cis.rules:12"]
    );
    let w = &rules.warnings;
    assert!(w[0].ends_with("file watch -w /etc/sudoers: the sensor does not trace file events"));
    assert!(w[3].contains("field perm"), "{}", w[3]);

    let mut user = exec();
    assert_eq!(key(&rules, &user), Some(Some("exec_user".into())));
    user.auid = u32::MAX;
    assert_eq!(key(&rules, &user), None);
    // setuid: euid != uid, for a logged-in user.
    user.auid = 1000;
    user.euid = 0;
    assert_eq!(key(&rules, &user), Some(Some("user_emulation".into())));
}

#[test]
fn a_cis_excerpt_is_an_error_at_its_first_unsupported_line() {
    let e = parse_text("cis.rules", CIS, &names(), false)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("cis.rules:5: unsupported: file watch -w /etc/sudoers"),
        "{e}"
    );
}

// --- files, directories, shipped rules --------------------------------------

/// A fresh directory under the system's temporary one.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sensor-rules-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_directory_is_read_like_rules_d() {
    let dir = scratch("rules-d");
    fs::write(
        dir.join("10-base.rules"),
        "-D\n-a always,exit -S execve -k ten\n",
    )
    .unwrap();
    fs::write(
        dir.join("9-early.rules"),
        "-a always,exit -S execve -k nine\n",
    )
    .unwrap();
    fs::write(
        dir.join("99-last.rules"),
        "-A never,exit -S execve -F uid=0\n",
    )
    .unwrap();
    fs::write(dir.join("50-off.rules.bak"), "garbage\n").unwrap();
    fs::write(dir.join(".hidden.rules"), "garbage\n").unwrap();
    fs::write(dir.join("README"), "garbage\n").unwrap();
    fs::create_dir(dir.join("20-dir.rules")).unwrap();

    let rules = load(&dir, false).unwrap();
    let origins: Vec<&str> = rules.rules.iter().map(|r| r.origin.as_str()).collect();
    let at = |file: &str, line| format!("{}:{line}", dir.join(file).display());
    assert_eq!(
        origins,
        [
            at("99-last.rules", 1),
            at("9-early.rules", 1),
            at("10-base.rules", 2)
        ]
    );
    assert_eq!(rules.notes.len(), 1);
    assert!(rules.notes[0].starts_with(&at("10-base.rules", 1)));
    assert_eq!(key(&rules, &exec()), Some(Some("nine".into())));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_name_the_file_in_a_directory() {
    let dir = scratch("rules-d-error");
    fs::write(dir.join("10-ok.rules"), "-a always,exit -S execve\n").unwrap();
    fs::write(dir.join("20-bad.rules"), "# fine\n-a always,exit -S nope\n").unwrap();
    let e = load(&dir, true).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}:2: unknown syscall \"nope\"",
            dir.join("20-bad.rules").display()
        )
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let e = load(Path::new("/nonexistent/x.rules"), false)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("/nonexistent/x.rules: "), "{e}");
}

#[test]
fn load_resolves_names_from_the_system() {
    let dir = scratch("names");
    let file = dir.join("root.rules");
    fs::write(&file, "-a always,exit -S execve -F uid=root -F gid=root").unwrap();
    let rules = load(&file, false).unwrap();
    let mut root = exec();
    (root.uid, root.gid) = (0, 0);
    assert!(recorded(&rules, &root));
    fs::remove_dir_all(&dir).unwrap();
}

fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../rules")
        .join(name)
}

#[test]
fn the_builtin_default_records_every_class_with_its_key() {
    let rules = builtin_default();
    assert!(rules.warnings.is_empty() && rules.notes.is_empty());
    assert_eq!(
        rules.syscalls(),
        b64(&[59, 322, 41, 54, 42, 43, 288, 49, 9])
    );
    assert!(rules.mmap_needs_only_exec());
    for (syscall, expected) in [
        (59, "exec"),
        (322, "exec"),
        (41, "socket"),
        (54, "socket"),
        (42, "network"),
        (43, "network"),
        (288, "network"),
        (49, "network"),
    ] {
        let input = RuleInput { syscall, ..exec() };
        assert_eq!(
            key(&rules, &input),
            Some(Some(expected.into())),
            "{syscall}"
        );
    }
    let mut mmap = RuleInput {
        syscall: 9,
        ..exec()
    };
    mmap.args[2] = 0x1; // PROT_READ
    assert_eq!(key(&rules, &mmap), None);
    mmap.args[2] = 0x5; // PROT_READ | PROT_EXEC
    assert_eq!(key(&rules, &mmap), Some(Some("mmap_exec".into())));
    // The file on disk is the embedded one.
    let on_disk = load(&shipped("default.rules"), false).unwrap();
    let without_origin = |rules: &RuleFile| -> Vec<Rule> {
        let blank = |r: &Rule| Rule {
            origin: String::new(),
            ..r.clone()
        };
        rules.rules.iter().map(blank).collect()
    };
    assert_eq!(without_origin(&on_disk), without_origin(&rules));
}

#[test]
fn the_aks_rules_record_execve_only() {
    let rules = load(&shipped("aks-execve.rules"), false).unwrap();
    assert!(rules.warnings.is_empty());
    assert_eq!(rules.syscalls(), b64(&[59]));
    assert_eq!(key(&rules, &exec()), Some(Some("procmon".into())));
}
