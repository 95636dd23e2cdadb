//! Container attribution from the kernel's cgroup ids: processes placed in
//! cgroups shaped as container runtimes make them are attributed to their
//! container (and pod); host processes are marked host.

use std::{fs, path::PathBuf, time::Duration};

use sensor_tests::{marker, CArgv, Sensor};
use serde_json::Value;

/// Where the sensor resolves cgroups on this host: the memory controller's
/// v1 hierarchy when mounted (hybrid, v1), else the v2 one.
fn hierarchy() -> PathBuf {
    let info = fs::read_to_string("/proc/self/mountinfo").unwrap();
    let mounts: Vec<(&str, &str, &str)> = info
        .lines()
        .filter_map(|l| {
            let (left, right) = l.split_once(" - ")?;
            let point = left.split(' ').nth(4)?;
            let mut r = right.split(' ');
            Some((r.next()?, point, r.nth(1).unwrap_or("")))
        })
        .collect();
    let v1 = mounts
        .iter()
        .find(|(fs, _, o)| *fs == "cgroup" && o.split(',').any(|c| c == "memory"));
    let v2 = mounts.iter().find(|(fs, _, _)| *fs == "cgroup2");
    PathBuf::from(v1.or(v2).expect("a cgroup hierarchy").1)
}

/// A 64-hex-digit container id made from the test's pid and a tag.
fn container_id(tag: u8) -> String {
    format!("{:08x}{:02x}{}", std::process::id(), tag, "c".repeat(54))
}

/// Runs /bin/true with `tag` as its argument in a new cgroup at `path`
/// (relative to the hierarchy); returns the child's pid.
fn exec_in_cgroup(path: &str, tag: &str) -> u32 {
    let dir = hierarchy().join(path.trim_start_matches('/'));
    fs::create_dir_all(&dir).unwrap();
    let argv = CArgv::new(&[b"/bin/true", tag.as_bytes()]);
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let (read_end, write_end) = (fds[0], fds[1]);
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // Wait until the parent has moved us, then exec.
        let mut byte = 0u8;
        unsafe {
            libc::read(read_end, (&mut byte as *mut u8).cast(), 1);
            libc::execv(c"/bin/true".as_ptr(), argv.ptrs.as_ptr());
            libc::_exit(127);
        }
    }
    fs::write(dir.join("cgroup.procs"), pid.to_string()).unwrap();
    unsafe {
        libc::write(write_end, b"x".as_ptr().cast(), 1);
        libc::waitpid(pid, std::ptr::null_mut(), 0);
        libc::close(read_end);
        libc::close(write_end);
    }
    pid as u32
}

fn remove(path: &str) {
    let mut dir = hierarchy().join(path.trim_start_matches('/'));
    // The cgroup and the parents the test made, deepest first.
    for _ in 0..path.trim_matches('/').split('/').count() {
        std::thread::sleep(Duration::from_millis(50));
        let _ = fs::remove_dir(&dir);
        dir.pop();
    }
}

fn exec_of(events: &[Value], pid: u32) -> Value {
    events
        .iter()
        .find(|e| e["SYSCALL"]["pid"] == pid && e["SYSCALL"]["syscall"] == 59)
        .cloned()
        .unwrap_or_else(|| panic!("no exec of {pid}"))
}

#[test]
fn processes_in_container_cgroups_are_attributed_and_host_ones_marked() {
    let sensor = Sensor::start(&[]).unwrap();
    let (ctr, pod_ctr) = (container_id(1), container_id(2));
    let pod = format!("{:08x}-1c2b-4b5e-9f0e-2a3b4c5d6e7f", std::process::id());
    let ctr_path = format!("/k8s.io/{ctr}");
    let pod_path = format!("/kubepods/besteffort/pod{pod}/{pod_ctr}");
    let in_ctr = exec_in_cgroup(&ctr_path, &marker("ctr"));
    let in_pod = exec_in_cgroup(&pod_path, &marker("pod"));
    let host = {
        let mut child = std::process::Command::new("/bin/true")
            .arg(marker("host"))
            .spawn()
            .unwrap();
        child.wait().unwrap();
        child.id()
    };
    sensor
        .wait_for("the host exec", |e| e["SYSCALL"]["pid"] == host)
        .unwrap();
    let events = sensor.stop().unwrap();
    remove(&ctr_path);
    remove(&pod_path);

    let e = exec_of(&events, in_ctr);
    assert_eq!(e["CONTAINER"]["ID"], ctr.as_str());
    assert_eq!(e["CONTAINER"]["RUNTIME"], "containerd");
    assert_eq!(e["CONTAINER"]["CGROUP"], ctr_path.as_str());
    assert!(e.get("HOST").is_none() && e.get("K8S").is_none());

    let e = exec_of(&events, in_pod);
    assert_eq!(e["CONTAINER"]["ID"], pod_ctr.as_str());
    assert_eq!(e["K8S"]["POD_UID"], pod.as_str());

    let e = exec_of(&events, host);
    assert!(e.get("CONTAINER").is_none(), "{e:#}");
    assert!(e["HOST"]["CGROUP"].is_string(), "{e:#}");
}

/// The cgroup is made, used and removed while the sensor is stopped: when
/// it reads the exec, the cgroup can no longer be opened by its id, and
/// only the kernel's record of the mkdir says where it was.
#[test]
fn a_cgroup_removed_before_its_events_are_read_still_attributes_them() {
    let sensor = Sensor::start(&[]).unwrap();
    let ctr = container_id(3);
    let pod = format!("{:08x}-2d3c-4b5e-9f0e-2a3b4c5d6e7f", std::process::id());
    let path = format!("/kubepods/burstable/pod{pod}/{ctr}");
    unsafe { libc::kill(sensor.pid() as i32, libc::SIGSTOP) };
    let pid = exec_in_cgroup(&path, &marker("gone"));
    remove(&path);
    let gone = !hierarchy().join(path.trim_start_matches('/')).exists();
    unsafe { libc::kill(sensor.pid() as i32, libc::SIGCONT) };
    assert!(gone, "the test could not remove {path}");
    let e = sensor
        .wait_for("the exec", |e| {
            e["SYSCALL"]["pid"] == pid && e["SYSCALL"]["syscall"] == 59
        })
        .unwrap();
    assert_eq!(e["CONTAINER"]["ID"], ctr.as_str(), "{e:#}");
    assert_eq!(e["CONTAINER"]["CGROUP"], path.as_str(), "{e:#}");
    assert_eq!(e["K8S"]["POD_UID"], pod.as_str(), "{e:#}");
}
