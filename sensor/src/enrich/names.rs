//! User and group names for the interpreted AUID/UID/GID… fields, from the
//! host's /etc/passwd and /etc/group (re-read when they change).

use std::{
    collections::HashMap,
    fs,
    path::Path,
    time::{Duration, Instant, SystemTime},
};

/// How often the files are looked at again: an edit to /etc/passwd shows
/// within a second, and events do not each pay for two stat(2) calls.
const RECHECK: Duration = Duration::from_secs(1);

const PASSWD: &str = "/etc/passwd";
const GROUP: &str = "/etc/group";

#[derive(Default)]
pub struct Names {
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
    /// Each user's group names, as `getgrouplist` gives them: the primary
    /// group (from /etc/passwd), then the others listing the user; `#GID`
    /// for a group without a name. Resolved once per load: every event's
    /// SYSCALL record names its uid's.
    user_groups: HashMap<u32, Vec<String>>,
    loaded_at: Option<(SystemTime, SystemTime)>,
    checked_at: Option<Instant>,
}

fn mtime(path: &str) -> SystemTime {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// The `name:passwd:id:…` lines both files have, split.
fn entries(path: &Path) -> Vec<Vec<String>> {
    let text = fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|line| line.split(':').map(str::to_owned).collect::<Vec<_>>())
        .filter(|fields| fields.len() >= 4 && fields[2].parse::<u32>().is_ok())
        .collect()
}

fn by_id(entries: &[Vec<String>]) -> HashMap<u32, String> {
    entries
        .iter()
        .map(|f| (f[2].parse().unwrap_or_default(), f[0].clone()))
        .collect()
}

/// Each user's groups: the primary group (passwd's fourth field), then
/// every group whose member list names the user, in /etc/group's order.
fn user_groups(passwd: &[Vec<String>], group: &[Vec<String>]) -> HashMap<u32, Vec<u32>> {
    passwd
        .iter()
        .filter_map(|u| {
            let uid = u[2].parse().ok()?;
            let primary: u32 = u[3].parse().ok()?;
            let mut gids = vec![primary];
            for g in group {
                let gid = g[2].parse().unwrap_or(primary);
                let members = g.get(3).map_or("", String::as_str);
                if gid != primary && members.split(',').any(|m| m == u[0]) {
                    gids.push(gid);
                }
            }
            Some((uid, gids))
        })
        .collect()
}

impl Names {
    pub fn load() -> Self {
        let mut names = Self::default();
        names.refresh_if_changed();
        names
    }

    pub fn refresh_if_changed(&mut self) {
        if self.checked_at.is_some_and(|at| at.elapsed() < RECHECK) {
            return;
        }
        self.checked_at = Some(Instant::now());
        let stamp = (mtime(PASSWD), mtime(GROUP));
        if self.loaded_at != Some(stamp) {
            let passwd = entries(Path::new(PASSWD));
            let group = entries(Path::new(GROUP));
            self.users = by_id(&passwd);
            self.groups = by_id(&group);
            self.user_groups = user_groups(&passwd, &group)
                .into_iter()
                .map(|(uid, gids)| {
                    let names = gids
                        .iter()
                        .map(|gid| {
                            self.groups
                                .get(gid)
                                .cloned()
                                .unwrap_or_else(|| format!("#{gid}"))
                        })
                        .collect();
                    (uid, names)
                })
                .collect();
            self.loaded_at = Some(stamp);
        }
    }

    /// laurel's `UID_GROUPS`: the names of `uid`'s groups (`#GID` for one
    /// without a name); None for a uid /etc/passwd does not have.
    pub fn uid_groups(&self, uid: u32) -> Option<&[String]> {
        self.user_groups.get(&uid).map(Vec::as_slice)
    }

    /// As auditd's `ausearch -i`: the name, `unset` for -1, else the number.
    pub fn user(&self, uid: u32) -> String {
        interpret(&self.users, uid)
    }

    pub fn group(&self, gid: u32) -> String {
        interpret(&self.groups, gid)
    }
}

fn interpret(names: &HashMap<u32, String>, id: u32) -> String {
    if id == u32::MAX {
        return "unset".to_owned();
    }
    names
        .get(&id)
        .cloned()
        .unwrap_or_else(|| format!("unknown({id})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_named_and_unset_is_unset() {
        let names = Names::load();
        assert_eq!(names.user(0), "root");
        assert_eq!(names.group(0), "root");
        assert_eq!(names.user(u32::MAX), "unset");
        assert_eq!(names.user(4_000_000), "unknown(4000000)");
        assert_eq!(names.uid_groups(0).unwrap()[0], "root");
        assert_eq!(names.uid_groups(4_000_000), None);
    }

    #[test]
    fn a_users_groups_are_the_primary_then_those_listing_it() {
        let split = |text: &str| -> Vec<Vec<String>> {
            text.lines()
                .map(|l| l.split(':').map(str::to_owned).collect())
                .collect()
        };
        let passwd = split("alice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:100::/:/bin/sh");
        let group = split("users:x:100:alice\nalice:x:1000:\nwheel:x:10:bob,alice\nadm:x:4:bob");
        let groups = user_groups(&passwd, &group);
        assert_eq!(groups[&1000], [1000, 100, 10]);
        assert_eq!(groups[&1001], [100, 10, 4]);
    }
}
