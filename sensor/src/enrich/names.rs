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
    loaded_at: Option<(SystemTime, SystemTime)>,
    checked_at: Option<Instant>,
}

fn mtime(path: &str) -> SystemTime {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// name:passwd:id:… lines, as both files have them.
fn parse(path: &Path) -> HashMap<u32, String> {
    let text = fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let id = fields.nth(1)?.parse().ok()?;
            Some((id, name.to_owned()))
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
            self.users = parse(Path::new(PASSWD));
            self.groups = parse(Path::new(GROUP));
            self.loaded_at = Some(stamp);
        }
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
    }
}
