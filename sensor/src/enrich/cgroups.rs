//! From a task's cgroup ids (kernel) to its cgroup path and what the path
//! says (`cgroup::parse`).
//!
//! A cgroup's id is its kernfs node id, which is also its file handle, so
//! `open_by_handle_at` on the hierarchy's mount opens it directly: no walk
//! of the tree, and exact. Which hierarchy: the controller's v1 hierarchy
//! where it exists (hybrid and v1-only hosts: runtimes place containers
//! there), else the v2 one (pure v2, most production nodes).

use std::{
    collections::HashMap,
    ffi::CString,
    fs::File,
    os::fd::{AsRawFd, FromRawFd, OwnedFd},
    path::PathBuf,
    rc::Rc,
};

use sensor_common::{
    process::ProcessInfo,
    scope::{hierarchy, CgroupKey},
};

use super::cgroup::{self, Origin};
use crate::decode::cgroup::CgroupMade;

/// `FILEID_KERNFS`: a kernfs node's handle type.
const FILEID_KERNFS: i32 = 0xfe;
/// Bound on remembered cgroups; past it the cache starts over.
const CAPACITY: usize = 1 << 14;

#[derive(Debug)]
pub struct Placement {
    /// The cgroup path, relative to the hierarchy's root.
    pub path: String,
    pub origin: Origin,
    /// How the kernel programs name the cgroup (scope exclusions).
    pub key: CgroupKey,
}

/// Which id of `ProcessInfo` names the cgroup in `mount`.
enum Hierarchy {
    /// v1: the controller's own hierarchy (`cgroup_ctl_id`).
    Controller,
    /// v2 (`cgroup_id`).
    Unified,
}

pub struct Cgroups {
    mount: Option<(File, String, Hierarchy)>,
    /// The kernel's id of that hierarchy (`cgroup_mkdir` records name it).
    hierarchy_id: Option<u32>,
    cache: HashMap<u64, Option<Rc<Placement>>>,
}

#[repr(C)]
struct KernfsHandle {
    handle_bytes: u32,
    handle_type: i32,
    id: u64,
}

/// Mount points from /proc/self/mountinfo: (fs type, mount point, super
/// options) of every cgroup mount.
fn cgroup_mounts() -> Vec<(String, String, String)> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    info.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let mount_point = left.split(' ').nth(4)?;
            let mut right = right.split(' ');
            let fstype = right.next()?;
            let options = right.nth(1).unwrap_or("");
            fstype.starts_with("cgroup").then(|| {
                (
                    fstype.to_owned(),
                    mount_point.to_owned(),
                    options.to_owned(),
                )
            })
        })
        .collect()
}

impl Cgroups {
    /// `controller`: the one the kernel programs read (`load::btf::controller`).
    pub fn new(controller: &str) -> Self {
        let mounts = cgroup_mounts();
        let v1 = mounts
            .iter()
            .find(|(fs, _, opts)| fs == "cgroup" && opts.split(',').any(|o| o == controller));
        let chosen = match v1 {
            Some((_, point, _)) => Some((point.clone(), Hierarchy::Controller)),
            None => mounts
                .iter()
                .find(|(fs, _, _)| fs == "cgroup2")
                .map(|(_, point, _)| (point.clone(), Hierarchy::Unified)),
        };
        let mount = chosen.and_then(|(point, hierarchy)| match File::open(&point) {
            Ok(file) => Some((file, point, hierarchy)),
            Err(e) => {
                log::warn!("cannot open the cgroup hierarchy at {point} ({e}): events will lack container attribution");
                None
            }
        });
        if mount.is_none() {
            log::warn!("no cgroup hierarchy is mounted: events will lack container attribution");
        }
        let hierarchy_id = mount.as_ref().and_then(|(_, _, h)| match h {
            Hierarchy::Unified => Some(0),
            Hierarchy::Controller => controller_hierarchy(controller),
        });
        Self {
            mount,
            hierarchy_id,
            cache: HashMap::new(),
        }
    }

    /// A cgroup made (`cgroup_mkdir`): its path is known from now on,
    /// even after it is removed.
    pub fn learn(&mut self, made: &CgroupMade) {
        if Some(made.hierarchy) != self.hierarchy_id {
            return;
        }
        let Some((_, _, hierarchy)) = &self.mount else {
            return;
        };
        let key = CgroupKey {
            id: made.id,
            hierarchy: match hierarchy {
                Hierarchy::Controller => hierarchy::CONTROLLER,
                Hierarchy::Unified => hierarchy::UNIFIED,
            },
        };
        let path = String::from_utf8_lossy(&made.path).into_owned();
        let placement = Placement {
            origin: cgroup::parse(&path),
            path,
            key,
        };
        self.remember(made.id, Some(Rc::new(placement)));
    }

    fn remember(&mut self, id: u64, placement: Option<Rc<Placement>>) {
        if self.cache.len() >= CAPACITY {
            self.cache.clear();
        }
        self.cache.insert(id, placement);
    }

    /// Where the process of an event runs.
    pub fn placement(&mut self, p: &ProcessInfo) -> Option<Rc<Placement>> {
        let (file, point, hierarchy) = self.mount.as_ref()?;
        let key = match hierarchy {
            Hierarchy::Controller => CgroupKey {
                id: p.cgroup_ctl_id,
                hierarchy: hierarchy::CONTROLLER,
            },
            Hierarchy::Unified => CgroupKey {
                id: p.cgroup_id,
                hierarchy: hierarchy::UNIFIED,
            },
        };
        let id = key.id;
        if let Some(known) = self.cache.get(&id) {
            return known.clone();
        }
        let placement = resolve(file, point, id).map(|path| {
            Rc::new(Placement {
                origin: cgroup::parse(&path),
                path,
                key,
            })
        });
        self.remember(id, placement.clone());
        placement
    }
}

/// The kernel's id of `controller`'s v1 hierarchy, from /proc/cgroups.
fn controller_hierarchy(controller: &str) -> Option<u32> {
    let table = std::fs::read_to_string("/proc/cgroups").ok()?;
    table.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        (fields.next()? == controller).then(|| fields.next()?.parse().ok())?
    })
}

/// The path of cgroup `id` under the hierarchy mounted at `point`.
fn resolve(mount: &File, point: &str, id: u64) -> Option<String> {
    let mut handle = KernfsHandle {
        handle_bytes: 8,
        handle_type: FILEID_KERNFS,
        id,
    };
    // SAFETY: handle is a valid file_handle of 8 bytes; the fd is owned below.
    let fd = unsafe {
        libc::open_by_handle_at(
            mount.as_raw_fd(),
            (&mut handle as *mut KernfsHandle).cast(),
            libc::O_PATH | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        // Gone (ESTALE), or not ours to open; or no descriptor left.
        crate::fds::warn_if_exhausted(
            "opening a cgroup by its id (its events lose their container)",
            &std::io::Error::last_os_error(),
        );
        return None;
    }
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let link = CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).ok()?;
    let target: PathBuf = std::fs::read_link(link.to_str().ok()?).ok()?;
    let target = target.to_str()?;
    let relative = target.strip_prefix(point)?;
    Some(if relative.is_empty() {
        "/".to_owned()
    } else {
        relative.to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_found_where_proc_says_it_is() {
        let (controller, _) = crate::load::btf::controller(
            &crate::load::btf::open(std::path::Path::new(crate::load::btf::DEFAULT_BTF)).unwrap(),
        )
        .unwrap();
        let mut cgroups = Cgroups::new(controller);
        let (_, point, hierarchy) = cgroups.mount.as_ref().expect("a cgroup hierarchy");
        // The id of a cgroup is its directory's inode number.
        let own = std::fs::read_to_string("/proc/self/cgroup").unwrap();
        let path = own
            .lines()
            .find_map(|l| {
                let (_, rest) = l.split_once(':')?;
                let (ctl, path) = rest.split_once(':')?;
                let wanted = match hierarchy {
                    Hierarchy::Controller => ctl.split(',').any(|c| c == controller),
                    Hierarchy::Unified => ctl.is_empty(),
                };
                wanted.then(|| path.to_owned())
            })
            .unwrap();
        let ino = std::os::unix::fs::MetadataExt::ino(
            &std::fs::metadata(format!("{point}{path}")).unwrap(),
        );
        let mut p: ProcessInfo = unsafe { std::mem::zeroed() };
        p.cgroup_ctl_id = ino;
        p.cgroup_id = ino;
        let placement = cgroups.placement(&p).expect("resolved");
        assert_eq!(placement.path, path);
    }
}
