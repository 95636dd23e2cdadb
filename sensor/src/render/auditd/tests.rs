use bytes::Bytes;

use super::*;
use crate::{enrich::processes, render::fixtures::*};

fn render_event(serial: u64, event: Event, ctx: Context) -> String {
    render_with(render, serial, event, ctx)
}

fn exec_ctx((event, facts): (Event, crate::enrich::exec::ExecFacts)) -> (Event, Context<'static>) {
    (
        event,
        Context {
            exec: Some(facts),
            ..Default::default()
        },
    )
}

fn subject_ctx(
    (event, subject): (Event, crate::enrich::ProcessEntry),
) -> (Event, Context<'static>) {
    (
        event,
        Context {
            subject: Some(subject),
            ..Default::default()
        },
    )
}

fn lost() -> Lost {
    // Lost is filled by the loss monitor only; its fields are private.
    Lost::default()
}

#[test]
fn a_successful_exec_is_the_kernels_records() {
    let (event, ctx) = exec_ctx(exec_ok());
    let out = render_event(101, event, ctx);
    let expected = concat!(
        "node=node-a type=SYSCALL msg=audit(1700000000.200:101): arch=c000003e syscall=59 success=yes exit=0 a0=55c094deb5c0 a1=55c094dea770 a2=55c094dbf1b0 a3=8 items=2 ppid=4242 pid=4243 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"cat\" exe=\"/usr/bin/cat\" key=\"exec\"\n",
        "node=node-a type=BPRM_FCAPS msg=audit(1700000000.200:101): fver=0 fp=0 fi=0 fe=0 old_pp=000001fffeffffff old_pi=0 old_pe=000001fffeffffff old_pa=0 pp=000001fffeffffff pi=0 pe=000001fffeffffff pa=0 frootid=0\n",
        "node=node-a type=EXECVE msg=audit(1700000000.200:101): argc=3 a0=\"cat\" a1=2F746D702F6D792066696C65 a2=636166E9\n",
        "node=node-a type=CWD msg=audit(1700000000.200:101): cwd=\"/root\"\n",
        "node=node-a type=PATH msg=audit(1700000000.200:101): item=0 name=\"/usr/bin/cat\" inode=401924 dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n",
        "node=node-a type=PATH msg=audit(1700000000.200:101): item=1 name=\"/lib64/ld-linux-x86-64.so.2\" inode=325843 dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n",
        "node=node-a type=PROCTITLE msg=audit(1700000000.200:101): proctitle=636174002F746D702F6D792066696C6500636166E9\n",
    );
    assert_eq!(out, expected);
}

#[test]
fn a_script_has_a_path_item_for_itself_its_interpreter_and_ld_so() {
    let (event, ctx) = exec_ctx(exec_script());
    let out = render_event(120, event, ctx);
    let paths: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("type=PATH"))
        .map(|l| l.split_once("): ").unwrap().1)
        .collect();
    assert_eq!(
        paths,
        [
            "item=0 name=\"./s.sh\" inode=10019155 dev=fd:01 mode=0100750 ouid=1000 ogid=1000 rdev=00:00 nametype=NORMAL cap_fp=0000000000002000 cap_fi=0 cap_fe=1 cap_fver=2 cap_frootid=0",
            "item=1 name=\"/bin/sh\" inode=401924 dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=? cap_fi=? cap_fe=? cap_fver=? cap_frootid=?",
            "item=2 name=(null) inode=325843 dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0",
        ]
    );
    assert!(out.contains(" items=3 "));
}

#[test]
fn a_failed_exec_has_no_execve_and_an_unknown_path() {
    let (event, ctx) = exec_ctx(exec_failed());
    let out = render_event(102, event, ctx);
    let expected = concat!(
        "node=node-a type=SYSCALL msg=audit(1700000000.200:102): arch=c000003e syscall=59 success=no exit=-2 a0=55d0c0a0 a1=55d0c0b0 a2=55d0c0c0 a3=0 items=1 ppid=4242 pid=4244 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"bash\" exe=\"/usr/bin/bash\" key=\"exec\"\n",
        "node=node-a type=CWD msg=audit(1700000000.200:102): cwd=\"/home/alice\"\n",
        "node=node-a type=PATH msg=audit(1700000000.200:102): item=0 name=\"/nonexistent\" nametype=UNKNOWN cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n",
        "node=node-a type=PROCTITLE msg=audit(1700000000.200:102): proctitle=\"bash\"\n",
    );
    assert_eq!(out, expected);
}

#[test]
fn a_generic_calls_path_item_has_rdev_and_file_capabilities() {
    let (event, ctx) = subject_ctx(open_dev_null());
    let out = render_event(121, event, ctx);
    let path = out.lines().find(|l| l.contains("type=PATH")).unwrap();
    assert_eq!(
        path.split_once("): ").unwrap().1,
        "item=0 name=\"/dev/null\" inode=4 dev=00:05 mode=020666 ouid=0 ogid=0 rdev=01:03 \
         nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0"
    );
    assert!(out.contains(" syscall=257 success=yes exit=3 "));
    assert!(out.contains(" items=1 "));
}

#[test]
fn a_connect_has_its_sockaddr_in_hex() {
    let (event, ctx) = subject_ctx(connect());
    let out = render_event(103, event, ctx);
    let expected = concat!(
        "node=node-a type=SYSCALL msg=audit(1700000000.200:103): arch=c000003e syscall=42 success=no exit=-111 a0=3 a1=7ffd5a1c2b30 a2=10 a3=0 items=0 ppid=4242 pid=4245 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"curl\" exe=\"/usr/bin/curl\" key=\"network\"\n",
        "node=node-a type=SOCKADDR msg=audit(1700000000.200:103): saddr=020000507F0000010000000000000000\n",
        "node=node-a type=PROCTITLE msg=audit(1700000000.200:103): proctitle=6375726C00687474703A2F2F3132372E302E302E312F\n",
    );
    assert_eq!(out, expected);
}

#[test]
fn an_mmap_has_mmap_then_the_mapped_file() {
    let (event, ctx) = subject_ctx(mmap_file());
    let out = render_event(104, event, ctx);
    let expected = concat!(
        "node=node-a type=SYSCALL msg=audit(1700000000.200:104): arch=c000003e syscall=9 success=yes exit=139887554592768 a0=0 a1=1000 a2=5 a3=2 items=0 ppid=4242 pid=4246 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"true\" exe=\"/usr/bin/true\" key=\"mmap_exec\"\n",
        "node=node-a type=MMAP msg=audit(1700000000.200:104): fd=3 flags=0x2\n",
        "node=node-a type=UNKNOWN[2093] msg=audit(1700000000.200:104): name=\"/usr/lib/x86_64-linux-gnu/libc.so.6\" inode=1049 dev=fd:01 mode=0100644 ouid=0 ogid=0\n",
        "node=node-a type=PROCTITLE msg=audit(1700000000.200:104): proctitle=\"true\"\n",
    );
    assert_eq!(out, expected);
}

#[test]
fn untrusted_strings_are_quoted_or_hex_as_the_kernel_decides() {
    let enc = |raw: &[u8]| {
        let mut o = String::new();
        untrusted(&mut o, raw);
        o
    };
    assert_eq!(enc(b"/usr/bin/curl"), "\"/usr/bin/curl\"");
    assert_eq!(
        enc(b"~!#$%&'()*+,-./:;<=>?@[\\]^_`{|}"),
        "\"~!#$%&'()*+,-./:;<=>?@[\\]^_`{|}\""
    );
    assert_eq!(enc(b""), "\"\"");
    assert_eq!(enc(b"a b"), "612062");
    assert_eq!(enc(b"say\"hi"), "736179226869");
    assert_eq!(enc(b"tab\t"), "74616209");
    assert_eq!(enc(b"\x7f"), "7F");
    assert_eq!(enc("é".as_bytes()), "C3A9");
    let mut o = String::new();
    untrusted_or_null(&mut o, None);
    assert_eq!(o, "(null)");
}

#[test]
fn proctitle_drops_what_ends_it_unprintable_like_the_kernel() {
    let title = |args: &[&[u8]]| {
        let mut out = String::new();
        let mut r = Records {
            out: &mut out,
            node: "",
            id: id(1),
        };
        proctitle(&mut r, &processes::proctitle(&argv(args)));
        out.strip_prefix("type=PROCTITLE msg=audit(1700000000.200:1): proctitle=")
            .unwrap()
            .trim_end_matches('\n')
            .to_owned()
    };
    assert_eq!(title(&[b"top"]), "\"top\"");
    // The trailing newline goes, the NUL between the arguments stays.
    assert_eq!(title(&[b"printf", b"x\n"]), "7072696E74660078");
    // Latin-1 letters are printable to the kernel's isprint.
    assert_eq!(title(&[b"caf\xe9"]), "636166E9");
    assert_eq!(title(&[b"x\x85"]), "\"x\"");
    assert_eq!(title(&[b"\n"]), "");
    assert_eq!(title(&[]), "");
    // Cut at 128 bytes.
    let long = vec![b'a'; 300];
    assert_eq!(title(&[&long]), format!("\"{}\"", "a".repeat(128)));
}

/// Reads EXECVE records back as ausearch does: `aN=`, or `aN_len=` and
/// the pieces `aN[i]=`, each quoted or hex.
fn parse_execve(lines: &[&str]) -> (usize, Vec<Vec<u8>>) {
    fn value(v: &str) -> Vec<u8> {
        if let Some(q) = v.strip_prefix('"') {
            q.strip_suffix('"').unwrap().as_bytes().to_vec()
        } else {
            (0..v.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&v[i..i + 2], 16).unwrap())
                .collect()
        }
    }
    let mut argc = 0;
    let mut args: Vec<Vec<u8>> = Vec::new();
    for line in lines {
        let body = line.split_once("): ").unwrap().1;
        for field in body.split(' ').filter(|f| !f.is_empty()) {
            let (name, v) = field.split_once('=').unwrap();
            if name == "argc" {
                argc = v.parse().unwrap();
                continue;
            }
            if name.ends_with("_len") {
                continue;
            }
            let n: usize = name[1..].split('[').next().unwrap().parse().unwrap();
            if args.len() <= n {
                args.resize(n + 1, Vec::new());
            }
            args[n].extend(value(v));
        }
    }
    (argc, args)
}

fn execve_lines(args: &[Vec<u8>]) -> String {
    let (Event::Exec(x), facts) = exec_ok() else {
        unreachable!()
    };
    let event = Event::Exec(Box::new(Exec {
        argv: args.iter().map(|a| Bytes::from(a.clone())).collect(),
        ..*x
    }));
    render_event(
        105,
        event,
        exec_ctx((Event::Fork(fork_event_body()), facts)).1,
    )
}

fn fork_event_body() -> crate::decode::lifecycle::Fork {
    let Event::Fork(f) = fork_event() else {
        unreachable!()
    };
    f
}

#[test]
fn a_long_argument_is_split_as_the_kernel_splits_it() {
    let long = vec![b'a'; 20_000];
    let out = execve_lines(&[b"x".to_vec(), long.clone()]);
    let lines: Vec<&str> = out.lines().filter(|l| l.contains("type=EXECVE")).collect();
    // Longer than a record's budget: hex in pieces, a1_len in hex digits.
    assert_eq!(lines.len(), 6, "{out}");
    assert!(lines[0].contains("): argc=2 a0=\"x\" a1_len=40000 a1[0]=616161"));
    assert!(lines[1].contains(":105):  a1[1]=6161"), "{}", lines[1]);
    assert!(lines.iter().all(|l| l.len() < 7700));
    assert_eq!(parse_execve(&lines), (2, vec![b"x".to_vec(), long]));

    // Quoted, but not fitting what is left of the first record.
    let (a, b) = (vec![b'a'; 4000], vec![b'b'; 5000]);
    let out = execve_lines(&[a.clone(), b.clone()]);
    let lines: Vec<&str> = out.lines().filter(|l| l.contains("type=EXECVE")).collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].contains(" a1_len=5000 a1[0]=\"bbb"));
    assert!(lines[1].contains(":105):  a1[1]=\"bbb"));
    assert_eq!(parse_execve(&lines), (2, vec![a, b]));
}

#[test]
fn any_argv_reads_back_whole_and_no_line_passes_8_kib() {
    // Sizes around the record budget and its margins, quoted and hex.
    let sizes = [
        0, 1, 95, 96, 104, 3700, 3749, 3750, 7398, 7400, 7402, 7499, 7500, 7501, 15000, 30001,
    ];
    for (i, &n) in sizes.iter().enumerate() {
        for fill in [b'q', b' '] {
            let args: Vec<Vec<u8>> = vec![
                b"prog".to_vec(),
                vec![fill; n],
                vec![b'z'; sizes[(i + 5) % sizes.len()]],
                Vec::new(),
                vec![fill; 7500 - n.min(7500)],
            ];
            let out = execve_lines(&args);
            let lines: Vec<&str> = out.lines().filter(|l| l.contains("type=EXECVE")).collect();
            assert!(out.lines().all(|l| l.len() <= 8192), "{n}");
            assert_eq!(parse_execve(&lines), (args.len(), args.clone()), "{n}");
        }
    }
    // No arguments at all.
    let out = execve_lines(&[]);
    assert!(out.contains("type=EXECVE msg=audit(1700000000.200:105): argc=0\n"));
}

#[test]
fn a_process_the_table_does_not_know_has_exe_null_and_no_proctitle() {
    let event = Event::Socket(call(4247, "nc", 41, 3, [2, 1, 6, 0, 0, 0]));
    let out = render_event(106, event, Context::default());
    assert_eq!(
        out,
        "node=node-a type=SYSCALL msg=audit(1700000000.200:106): arch=c000003e syscall=41 success=yes exit=3 a0=2 a1=1 a2=6 a3=0 items=0 ppid=4242 pid=4247 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"nc\" exe=(null) key=\"socket\"\n"
    );
}

#[test]
fn an_anonymous_mapping_has_no_mmap_record() {
    let event = Event::Mmap(Mmap {
        call: call(4246, "node", 9, 0x7f00, [0, 4096, 7, 0x22, u64::MAX, 0]),
        file: None,
    });
    let ctx = Context {
        subject: Some(entry(4246, "/usr/bin/node", &[b"node"], 0)),
        ..Default::default()
    };
    let out = render_event(107, event, ctx);
    let types: Vec<&str> = out.lines().map(|l| l.split(' ').nth(1).unwrap()).collect();
    assert_eq!(types, ["type=SYSCALL", "type=PROCTITLE"]);
    assert!(out.contains(" a2=7 a3=22 items=0 "));
}

#[test]
fn the_other_classes() {
    let (event, ctx) = subject_ctx(setsockopt_event());
    let out = render_event(108, event, ctx);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].contains("type=SYSCALL") && lines[0].contains(" syscall=54 "));
    assert_eq!(
        lines[1],
        "node=node-a type=UNKNOWN[2096] msg=audit(1700000000.200:108): level=1 optname=8 optlen=4 optval=41E20100"
    );
    assert_eq!(
        lines[2],
        "node=node-a type=PROCTITLE msg=audit(1700000000.200:108): proctitle=707974686F6E33002D630078"
    );

    assert_eq!(
        render_event(109, tty_event(true, b"ls\r"), Context::default()),
        concat!(
            "node=node-a type=TTY msg=audit(1700000000.200:109): tty pid=4249 uid=0 auid=1000 ses=3 major=136 minor=0 comm=\"bash\" data=6C730D\n",
            "node=node-a type=SYSCALL msg=audit(1700000000.200:109): arch=c000003e syscall=0 success=yes exit=3 a0=0 a1=7ffc2000 a2=400 a3=0 items=0 ppid=4242 pid=4249 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"bash\" exe=(null) key=(null)\n",
        )
    );
    let out = render_event(110, tty_event(false, b"ok\n"), Context::default());
    assert_eq!(
        out.lines().next().unwrap(),
        "node=node-a type=UNKNOWN[2095] msg=audit(1700000000.200:110): tty pid=4249 uid=0 auid=1000 ses=3 major=136 minor=0 comm=\"bash\" data=6F6B0A"
    );
    assert!(out
        .lines()
        .nth(1)
        .unwrap()
        .contains(" syscall=1 success=yes exit=3 "));
    assert_eq!(
        render_event(111, tty_event(true, b""), Context::default()),
        ""
    );
    let big = render_event(111, tty_event(true, &[b'x'; 4097]), Context::default());
    assert_eq!(big.lines().count(), 3);
    assert!(big.lines().all(|l| l.len() < 8400));

    let (event, ctx) = subject_ctx(login_event());
    assert_eq!(
        render_event(112, event, ctx),
        concat!(
            "node=node-a type=LOGIN msg=audit(1700000000.200:112): pid=4250 uid=0 old-auid=4294967295 auid=1000 tty=(none) old-ses=4294967295 ses=3 res=1\n",
            "node=node-a type=SYSCALL msg=audit(1700000000.200:112): arch=c000003e syscall=1 success=yes exit=4 a0=5 a1=7ffc1000 a2=4 a3=0 items=0 ppid=4242 pid=4250 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=3 comm=\"sshd\" exe=\"/usr/sbin/sshd\" key=(null)\n",
            "node=node-a type=PROCTITLE msg=audit(1700000000.200:112): proctitle=737368643A20616C696365\n",
        )
    );
    let bash = Context {
        subject: Some(entry(4242, "/usr/bin/bash", &[b"bash"], 0)),
        ..Default::default()
    };
    assert_eq!(
        render_event(113, fork_event(), bash),
        "node=node-a type=UNKNOWN[2097] msg=audit(1700000000.200:113): ppid=4242 pid=4251 auid=1000 uid=0 ses=3 comm=\"bash\" exe=\"/usr/bin/bash\"\n"
    );
    assert_eq!(
        render_event(114, exit_event(), Context::default()),
        "node=node-a type=UNKNOWN[2098] msg=audit(1700000000.200:114): pid=4251 ppid=4242 auid=1000 uid=0 ses=3 comm=\"bash\" exe=(null) status=42\n"
    );
    let mut out = String::new();
    render_lost(id(115), "node a", &lost(), &mut out);
    assert_eq!(
        out,
        "node=node_a type=UNKNOWN[2099] msg=audit(1700000000.200:115): total=0\n"
    );
}

#[test]
fn origin_record_of_a_pod_container_and_of_a_host_unit() {
    let (pod, container) = in_a_pod();
    let (event, mut ctx) = exec_ctx(exec_ok());
    ctx.placement = Some(&pod);
    ctx.container = Some(&container);
    let out = render_event(101, event, ctx);
    let origin = out.lines().last().unwrap();
    assert_eq!(
        origin,
        format!(
            "node=node-a type=UNKNOWN[2094] msg=audit(1700000000.200:101): origin=container \
             container_id={CONTAINER_ID} runtime=containerd container_name=\"nginx\" \
             image=\"docker.io/library/nginx:1.27\" image_id=\"sha256:{b2}\" pod=\"web-7f9c\" \
             namespace=\"shop\" pod_uid=\"{POD_UID}\" sandbox_id=\"{a1}\" \
             pod_labels=6170703D7765622C746965723D66726F6E7420656E64 \
             cgroup=\"/kubepods/besteffort/pod{POD_UID}/{CONTAINER_ID}\" cluster=\"prod-eu\"",
            b2 = "b2".repeat(32),
            a1 = "a1".repeat(32),
        )
    );
    let host = on_the_host();
    let (event, mut ctx) = subject_ctx(connect());
    ctx.placement = Some(&host);
    let out = render_event(103, event, ctx);
    assert!(
        out.ends_with(
            "type=UNKNOWN[2094] msg=audit(1700000000.200:103): origin=host unit=\"ssh.service\" \
         cgroup=\"/system.slice/ssh.service\" cluster=\"prod-eu\"\n"
        ),
        "{out}"
    );
}

fn sample() -> String {
    let mut out = String::new();
    let (pod, container) = in_a_pod();
    let (event, mut ctx) = exec_ctx(exec_ok());
    ctx.placement = Some(&pod);
    ctx.container = Some(&container);
    out += &render_event(101, event, ctx);
    let (event, ctx) = exec_ctx(exec_failed());
    out += &render_event(102, event, ctx);
    let host = on_the_host();
    let (event, mut ctx) = subject_ctx(connect());
    ctx.placement = Some(&host);
    out += &render_event(103, event, ctx);
    let (event, ctx) = subject_ctx(mmap_file());
    out += &render_event(104, event, ctx);
    out += &execve_lines(&[b"x".to_vec(), vec![b'a'; 20_000], b"two words".to_vec()]);
    let (event, ctx) = subject_ctx(setsockopt_event());
    out += &render_event(108, event, ctx);
    out += &render_event(109, tty_event(true, b"ls\r"), Context::default());
    out += &render_event(110, tty_event(false, b"ok\n"), Context::default());
    out += &render_event(111, tty_event(true, &[b'x'; 4096]), Context::default());
    let (event, ctx) = subject_ctx(login_event());
    out += &render_event(112, event, ctx);
    out += &render_event(113, fork_event(), Context::default());
    out += &render_event(114, exit_event(), Context::default());
    let (event, ctx) = exec_ctx(exec_script());
    out += &render_event(116, event, ctx);
    render_lost(id(115), NODE, &lost(), &mut out);
    out
}

/// Set SENSOR_AUDITD_SAMPLE=FILE to write the sample out.
#[test]
fn every_line_of_the_sample_is_a_whole_record() {
    let sample = sample();
    for line in sample.lines() {
        assert!(line.starts_with("node=node-a type="), "{line}");
        assert!(line.contains(" msg=audit(1700000000.200:1"), "{line}");
        assert!(line.len() <= 8400, "{}", line.len());
    }
    if let Ok(path) = std::env::var("SENSOR_AUDITD_SAMPLE") {
        std::fs::write(path, &sample).unwrap();
    }
}

/// ausearch and aureport (Debian's auditd package) read the sample:
/// `cargo test -p sensor render::auditd -- --ignored`.
#[test]
// ausearch and aureport come with auditd, which `cargo xtask setup` installs.
fn ausearch_and_aureport_read_the_sample() {
    let path = std::env::temp_dir().join(format!("sensor-auditd-{}.log", std::process::id()));
    std::fs::write(&path, sample()).unwrap();
    let run = |tool: &str, args: &[&str]| {
        let out = std::process::Command::new(tool)
            .arg("-if")
            .arg(&path)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{tool} {args:?}: {stderr}{stdout}");
        assert!(stderr.is_empty(), "{tool} {args:?}: {stderr}");
        stdout
    };
    let raw = run("ausearch", &["--format", "raw"]);
    let mut expected: Vec<&str> = sample_lines();
    let mut got: Vec<&str> = raw.lines().collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    let interpreted = run("ausearch", &["-i"]);
    assert!(interpreted.contains("syscall=execve"));
    assert!(interpreted.contains("proctitle=cat /tmp/my file"));
    assert!(interpreted.contains("a1=/tmp/my file"));
    assert!(interpreted.contains("saddr={ saddr_fam=inet laddr=127.0.0.1 lport=80 }"));
    let exec = run("ausearch", &["-k", "exec", "--format", "raw"]);
    assert!(exec.contains(":101): ") && exec.contains(":102): ") && exec.contains(":105): "));
    assert!(!exec.contains(":103): "));
    let pid = run("ausearch", &["-p", "4243", "--format", "raw"]);
    assert!(pid.contains(":101): ") && pid.contains(":105): "));
    assert!(!pid.contains(":102): "));
    let sc = run("ausearch", &["-sc", "execve", "--format", "raw"]);
    assert!(sc.contains(":101): ") && sc.contains(":102): "));
    let sc = run("ausearch", &["-sc", "setsockopt", "--format", "raw"]);
    assert_eq!(sc.lines().count(), 3);
    let fork = run("ausearch", &["-m", "UNKNOWN[2097]", "--format", "raw"]);
    assert_eq!(fork.lines().count(), 1);
    // The ORIGIN record stays part of its event.
    let origin = run("ausearch", &["-m", "UNKNOWN[2094]", "--format", "raw"]);
    assert!(origin.contains(":101): ") && origin.contains(":103): "));
    assert!(exec.contains(":101): origin=container"));
    assert!(interpreted.contains("pod=\"web-7f9c\"") || interpreted.contains("pod=web-7f9c"));
    run("ausearch", &["--format", "text"]);
    run("aureport", &[]);
    let x = run("aureport", &["-x"]);
    assert!(x.contains("/usr/bin/cat") && x.contains("/usr/bin/curl"));
    run("aureport", &["--tty"]);
    std::fs::remove_file(&path).unwrap();
}

/// The EXECVE and PROCTITLE records of every exec in a real audit.log
/// (`log_format = RAW`) come out the same from the arguments they hold:
/// `SENSOR_REAL_AUDIT_LOG=FILE cargo test -p sensor render::auditd -- --ignored`.
#[test]
#[ignore = "needs an audit.log of the real auditd in SENSOR_REAL_AUDIT_LOG"]
fn execve_and_proctitle_match_a_real_audit_log() {
    let Ok(path) = std::env::var("SENSOR_REAL_AUDIT_LOG") else {
        return;
    };
    let log = std::fs::read_to_string(path).unwrap();
    let mut events: Vec<(&str, Vec<&str>)> = Vec::new();
    for line in log.lines() {
        let Some(at) = line.find("msg=audit(") else {
            continue;
        };
        let id = &line[at..line[at..].find(')').unwrap() + at];
        // Records of events on other CPUs may come in between.
        match events.iter_mut().rev().find(|(other, _)| *other == id) {
            Some((_, lines)) => lines.push(line),
            None => events.push((id, vec![line])),
        }
    }
    let pid_of = |line: &str| {
        let at = line.find(" pid=").unwrap() + 5;
        line[at..].split(' ').next().unwrap().to_owned()
    };
    let (mut checked, mut proctitles) = (0, 0);
    let mut first_of_pid = std::collections::HashSet::new();
    for (_, lines) in &events {
        let Some(syscall) = lines.iter().find(|l| l.contains("type=SYSCALL ")) else {
            continue;
        };
        let seen_before = !first_of_pid.insert(pid_of(syscall));
        let execve: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| l.contains("type=EXECVE "))
            .collect();
        if execve.is_empty() {
            continue;
        }
        let (argc, args) = parse_execve(&execve);
        assert_eq!(argc, args.len());
        let args: Vec<Bytes> = args.into_iter().map(Bytes::from).collect();
        let bodies: Vec<String> = execve
            .iter()
            .map(|l| l.split_once("): ").unwrap().1.to_owned())
            .collect();
        assert_eq!(execve_records(&args), bodies);
        checked += 1;
        // The kernel keeps a task's PROCTITLE from its first logged
        // event: an exec that is not the first shows the old one.
        if seen_before {
            continue;
        }
        let real = lines
            .iter()
            .find(|l| l.contains("type=PROCTITLE "))
            .unwrap();
        let mut out = String::new();
        let mut r = Records {
            out: &mut out,
            node: "",
            id: id(1),
        };
        proctitle(&mut r, &processes::proctitle(&args));
        assert_eq!(
            out.split_once("): ").unwrap().1.trim_end(),
            real.split_once("): ").unwrap().1
        );
        proctitles += 1;
    }
    assert!(checked > 0);
    eprintln!("{checked} EXECVE and {proctitles} PROCTITLE records match");
}

fn sample_lines() -> Vec<&'static str> {
    Box::leak(sample().into_boxed_str()).lines().collect()
}
