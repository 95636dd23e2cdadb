//! auditctl's rule syntax → [`RuleFile`].
//!
//! A line is parsed whole before it is judged, so a syntax error is reported
//! even on a line that is also unsupported (`-w /etc -p xyz` is an error
//! whether or not unsupported rules are skipped).

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};

use sensor_common::syscalls::{self, Arch};

use super::tables::ERRNOS;
use super::{
    Action, Field, FieldName, Op, PathValue, Rule, RuleFile, Syscalls, Value, AUDIT_ARCH_I386,
    AUDIT_ARCH_X86_64,
};

/// auditctl's limit on the joined key (`AUDIT_MAX_KEY_LEN`).
const MAX_KEY_LEN: usize = 256;
/// Syscall numbers a kernel rule's bitmask can hold (`AUDIT_BITMASK_SIZE * 32`).
const MAX_SYSCALL: u32 = 2048;
/// How auditctl joins several keys of one rule (`AUDIT_KEY_SEPARATOR`).
const KEY_SEPARATOR: &str = "\x01";

/// Reads a rule file, or a directory as augenrules reads /etc/audit/rules.d:
/// its `*.rules` files (not hidden ones) in `ls -v` order, as one rule list
/// (an `-A` in a later file goes before the rules of earlier files).
///
/// Errors name the file and line. Unsupported rules are errors unless
/// `skip_unsupported`, which turns each into a [`RuleFile::warnings`] entry.
/// User and group names are resolved through /etc/passwd and /etc/group.
pub fn load(path: &Path, skip_unsupported: bool) -> Result<RuleFile> {
    let names = Names::system();
    let files = if path.is_dir() {
        rule_files(path)?
    } else {
        vec![path.to_path_buf()]
    };
    let mut builder = Builder::new(skip_unsupported);
    for file in files {
        let label = file.display().to_string();
        let bytes = fs::read(&file).map_err(|e| anyhow!("{label}: {e}"))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            anyhow!(
                "{label}:{line}: not UTF-8 text (byte {at}): audit rules are text in auditctl \
                 syntax; is this the right file?"
            )
        })?;
        builder.file(&label, &text, &names)?;
    }
    Ok(builder.finish())
}

/// One file's text, `label` naming it in messages.
pub(super) fn parse_text(
    label: &str,
    text: &str,
    names: &Names,
    skip_unsupported: bool,
) -> Result<RuleFile> {
    let mut builder = Builder::new(skip_unsupported);
    builder.file(label, text, names)?;
    Ok(builder.finish())
}

fn rule_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = fs::read_dir(dir).map_err(|e| anyhow!("{}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| anyhow!("{}: {e}", dir.display()))?.path();
        let name = path.file_name().unwrap_or_default().as_bytes();
        if name.ends_with(b".rules") && !name.starts_with(b".") && path.is_file() {
            files.push(path);
        }
    }
    files.sort_by(|a, b| {
        let name = |p: &PathBuf| p.file_name().unwrap_or_default().as_bytes().to_vec();
        version_cmp(&name(a), &name(b))
    });
    Ok(files)
}

/// `ls -v` order (augenrules lists rules.d with `ls -1v`): runs of digits
/// compare as numbers, so `9-x.rules` comes before `10-x.rules`.
fn version_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let (si, sj) = (i, j);
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let trim =
                |s: &[u8]| -> Vec<u8> { s.iter().copied().skip_while(|&c| c == b'0').collect() };
            let (x, y) = (trim(&a[si..i]), trim(&b[sj..j]));
            let ord = x.len().cmp(&y.len()).then_with(|| x.cmp(&y));
            if ord != Ordering::Equal {
                return ord;
            }
        } else if a[i] != b[j] {
            return a[i].cmp(&b[j]);
        } else {
            i += 1;
            j += 1;
        }
    }
    (a.len() - i).cmp(&(b.len() - j)).then_with(|| a.cmp(b))
}

/// User and group names → ids, for `-F uid=alice`, `-F gid=staff`.
#[derive(Debug, Default)]
pub(super) struct Names {
    users: HashMap<String, u32>,
    groups: HashMap<String, u32>,
}

impl Names {
    fn system() -> Self {
        let read = |path| fs::read_to_string(path).unwrap_or_default();
        Self::from_text(&read("/etc/passwd"), &read("/etc/group"))
    }

    /// `name:password:id:…` lines, as both /etc/passwd and /etc/group have.
    pub(super) fn from_text(passwd: &str, group: &str) -> Self {
        let table = |text: &str| {
            text.lines()
                .filter_map(|line| {
                    let mut parts = line.split(':');
                    let name = parts.next()?;
                    let id = parts.nth(1)?.parse().ok()?;
                    Some((name.to_string(), id))
                })
                .collect()
        };
        Names {
            users: table(passwd),
            groups: table(group),
        }
    }
}

/// Accumulates rules over files: `-A` rules go before everything earlier.
struct Builder {
    skip_unsupported: bool,
    /// In the order they appeared; each goes before the previous ones.
    prepended: Vec<Rule>,
    appended: Vec<Rule>,
    warnings: Vec<String>,
    notes: Vec<String>,
}

impl Builder {
    fn new(skip_unsupported: bool) -> Self {
        Builder {
            skip_unsupported,
            prepended: Vec::new(),
            appended: Vec::new(),
            warnings: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn file(&mut self, label: &str, text: &str, names: &Names) -> Result<()> {
        for (index, line) in text.lines().enumerate() {
            let at = format!("{label}:{}", index + 1);
            let parsed = match parse_line(line, names) {
                Ok(parsed) => parsed,
                Err(LineError::Syntax(what)) => bail!("{at}: {what}"),
                Err(LineError::Unsupported(why) | LineError::Absent(why))
                    if self.skip_unsupported =>
                {
                    self.warnings.push(format!("{at}: rule skipped: {why}"));
                    continue;
                }
                Err(LineError::Absent(what)) => bail!("{at}: {what}"),
                Err(LineError::Unsupported(why)) => bail!(
                    "{at}: unsupported: {why} (--skip-unsupported-rules skips such rules, \
                     with a warning each)"
                ),
            };
            self.notes
                .extend(parsed.notes.into_iter().map(|note| format!("{at}: {note}")));
            if let Some((mut rule, prepend)) = parsed.rule {
                rule.origin = at;
                if prepend {
                    self.prepended.push(rule);
                } else {
                    self.appended.push(rule);
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> RuleFile {
        let mut rules: Vec<Rule> = self.prepended.into_iter().rev().collect();
        rules.extend(self.appended);
        let mut file = RuleFile {
            rules,
            warnings: self.warnings,
            notes: self.notes,
        };
        file.refresh_identities();
        file
    }
}

#[derive(Debug)]
enum LineError {
    /// Not valid auditctl (or rejected by the kernel): always an error.
    Syntax(String),
    /// Valid, but the sensor cannot honour it.
    Unsupported(String),
    /// Valid, but naming a user or group this node does not have: an error
    /// as auditctl's, skipped as an unsupported rule is where asked (a rule
    /// set written for other nodes: 22-ignore-chrony.rules' uid=chrony).
    Absent(String),
}

fn syntax(what: impl Into<String>) -> LineError {
    LineError::Syntax(what.into())
}

#[derive(Default)]
struct Parsed {
    /// The rule and whether it is prepended (`-A`).
    rule: Option<(Rule, bool)>,
    notes: Vec<String>,
}

/// What a line is about: a rule (`-a`, `-A`, `-d`) or a watch (`-w`, `-W`).
enum Head<'a> {
    Rule {
        list: &'a str,
        action: Action,
        prepend: bool,
        delete: bool,
    },
    /// The option (`-w`, `-W`) and the path.
    Watch(&'static str, &'a str),
}

fn parse_line(line: &str, names: &Names) -> Result<Parsed, LineError> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(Parsed::default());
    }
    let mut rule = LineRule::new();
    let mut notes = Vec::new();
    for (opt, arg) in options(line)? {
        match opt {
            "-a" | "-A" | "-d" | "-w" | "-W" => rule.head(opt, arg)?,
            "-S" => rule.syscalls(arg)?,
            "-F" => rule.field(arg, names)?,
            "-C" => rule.comparison(arg)?,
            "-k" => rule.key(arg),
            "-p" => rule.perms(arg)?,
            _ => notes.push(control(opt, arg)?),
        }
    }
    Ok(Parsed {
        rule: rule.finish()?,
        notes,
    })
}

/// What a line's rule options say, gathered option by option and judged
/// whole by [`LineRule::finish`].
struct LineRule<'a> {
    head: Option<Head<'a>>,
    syscalls: BTreeSet<u32>,
    all_syscalls: bool,
    any_syscall_option: bool,
    fields: Vec<Field>,
    keys: Vec<&'a str>,
    perms: Option<&'a str>,
    /// Any of -S, -F, -C, -k, -p: they need a head.
    rule_options: bool,
    /// auditctl resolves syscall names in the table of the arch given so far
    /// on the line (x86_64 without one), so `-F arch=b32` goes before -S.
    names_arch: Arch,
    /// Every reason the line cannot be honoured, reported together.
    unsupported: Vec<String>,
}

impl<'a> LineRule<'a> {
    fn new() -> Self {
        LineRule {
            head: None,
            syscalls: BTreeSet::new(),
            all_syscalls: false,
            any_syscall_option: false,
            fields: Vec::new(),
            keys: Vec::new(),
            perms: None,
            rule_options: false,
            names_arch: Arch::X86_64,
            unsupported: Vec::new(),
        }
    }

    /// `-a`, `-A`, `-d` (a rule) or `-w`, `-W` (a watch).
    fn head(&mut self, opt: &'static str, arg: &'a str) -> Result<(), LineError> {
        if self.head.is_some() {
            return Err(syntax(format!(
                "{opt}: only one of -a, -A, -d, -w, -W per line"
            )));
        }
        self.head = Some(match opt {
            "-w" | "-W" => {
                if !arg.starts_with('/') {
                    return Err(syntax(format!("{opt} {arg}: the path must be absolute")));
                }
                Head::Watch(opt, arg)
            }
            _ => {
                let (list, action) = list_action(arg)?;
                Head::Rule {
                    list,
                    action,
                    prepend: opt == "-A",
                    delete: opt == "-d",
                }
            }
        });
        Ok(())
    }

    /// `-S name,...`.
    fn syscalls(&mut self, arg: &str) -> Result<(), LineError> {
        self.rule_options = true;
        self.any_syscall_option = true;
        for name in arg.split(',') {
            match syscall(name, self.names_arch)? {
                Some(nr) => {
                    self.syscalls.insert(nr);
                }
                None => self.all_syscalls = true,
            }
        }
        Ok(())
    }

    /// `-F name op value`.
    fn field(&mut self, arg: &'a str, names: &Names) -> Result<(), LineError> {
        self.rule_options = true;
        match field(arg, names)? {
            FieldItem::Field(f) => {
                if f.name == FieldName::Arch && self.any_syscall_option {
                    // It picks the table -S names are looked up in.
                    return Err(syntax("arch must be before -S (as auditctl requires)"));
                }
                if let (FieldName::Arch, Value::Num(AUDIT_ARCH_I386), Op::Eq) =
                    (f.name, &f.value, f.op)
                {
                    self.names_arch = Arch::I386;
                }
                self.fields.push(f)
            }
            FieldItem::Key(key) => self.keys.push(key),
            FieldItem::Unsupported(why) => self.unsupported.push(why),
        }
        Ok(())
    }

    /// `-C left op right`.
    fn comparison(&mut self, arg: &str) -> Result<(), LineError> {
        self.rule_options = true;
        match comparison(arg)? {
            Ok(f) => self.fields.push(f),
            Err(why) => self.unsupported.push(why),
        }
        Ok(())
    }

    /// `-k key`.
    fn key(&mut self, arg: &'a str) {
        self.rule_options = true;
        self.keys.push(arg);
    }

    /// `-p perms`.
    fn perms(&mut self, arg: &'a str) -> Result<(), LineError> {
        self.rule_options = true;
        if arg.is_empty() || !arg.chars().all(|c| "rwxa".contains(c)) {
            return Err(syntax(format!("-p {arg}: permissions are r, w, x, a")));
        }
        self.perms = Some(arg);
        Ok(())
    }

    /// The rule and whether it is prepended (`-A`); None for a line of
    /// control options only.
    fn finish(mut self) -> Result<Option<(Rule, bool)>, LineError> {
        let Some(head) = self.head.take() else {
            if self.rule_options {
                return Err(syntax("-S, -F, -C, -k and -p need -a, -A or -w"));
            }
            return Ok(None);
        };
        let key = self.joined_key()?;
        let (list, action, prepend, delete) = match head {
            Head::Watch(opt, path) => return Err(self.watch(opt, path)),
            Head::Rule {
                list,
                action,
                prepend,
                delete,
            } => (list, action, prepend, delete),
        };
        let mut unsupported = self.unsupported;
        if delete {
            unsupported.insert(0, "rule deletion (-d) is not supported".to_string());
        } else if list != "exit" {
            unsupported.insert(
                0,
                format!("the {list} list is not supported (only exit rules are)"),
            );
        }
        if let Some(perms) = self.perms {
            unsupported.push(format!(
                "-p {perms}: file permission filters need file events, which are not traced"
            ));
        }
        if !unsupported.is_empty() {
            return Err(LineError::Unsupported(unsupported.join("; ")));
        }
        // auditctl gives an exit rule without -S every syscall.
        let syscalls = if self.all_syscalls || !self.any_syscall_option {
            Syscalls::All
        } else {
            Syscalls::Only(self.syscalls)
        };
        Ok(Some((
            Rule {
                action,
                syscalls,
                fields: self.fields,
                key,
                origin: String::new(),
            },
            prepend,
        )))
    }

    /// Why a watch line is refused: valid or not, the sensor cannot honour
    /// it.
    fn watch(self, opt: &str, path: &str) -> LineError {
        if self.any_syscall_option || !self.fields.is_empty() {
            return syntax("a watch (-w) takes only -p and -k");
        }
        let mut unsupported = self.unsupported;
        unsupported.insert(
            0,
            format!("file watch {opt} {path}: the sensor does not trace file events"),
        );
        LineError::Unsupported(unsupported.join("; "))
    }

    /// The keys (`-k`, `-F key=`) joined as auditctl joins them.
    fn joined_key(&self) -> Result<Option<String>, LineError> {
        if self.keys.iter().any(|k| k.is_empty()) {
            return Err(syntax("empty key"));
        }
        let key = (!self.keys.is_empty()).then(|| self.keys.join(KEY_SEPARATOR));
        if key.as_ref().is_some_and(|k| k.len() > MAX_KEY_LEN) {
            return Err(syntax(format!("key longer than {MAX_KEY_LEN} bytes")));
        }
        Ok(key)
    }
}

/// auditctl's options, and whether each takes an argument.
const OPTIONS: &[(&str, bool)] = &[
    ("-a", true),
    ("-A", true),
    ("-d", true),
    ("-S", true),
    ("-F", true),
    ("-C", true),
    ("-k", true),
    ("-w", true),
    ("-W", true),
    ("-p", true),
    ("-b", true),
    ("-f", true),
    ("-e", true),
    ("-r", true),
    ("-q", true),
    ("--backlog_wait_time", true),
    ("-D", false),
    ("-i", false),
    ("-c", false),
    ("-s", false),
    ("-l", false),
    ("-t", false),
    ("--loginuid-immutable", false),
    ("--reset-lost", false),
];

/// Splits a line into (option, argument) as auditctl's getopt does: the
/// argument follows as the next word or stuck to a short option (`-kname`),
/// or after `=` for a long one. Options without one get "".
fn options(line: &str) -> Result<Vec<(&'static str, &str)>, LineError> {
    let mut words = line.split_whitespace();
    let mut out = Vec::new();
    while let Some(word) = words.next() {
        let (name, stuck) = if word.starts_with("--") {
            match word.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (word, None),
            }
        } else if word.starts_with('-') && word.len() >= 2 && word.is_char_boundary(2) {
            let (name, rest) = word.split_at(2);
            (name, (!rest.is_empty()).then_some(rest))
        } else {
            return Err(syntax(format!("unexpected {word:?}: expected an option")));
        };
        let Some(&(opt, takes_arg)) = OPTIONS.iter().find(|(o, _)| *o == name) else {
            return Err(syntax(format!("unknown option {word}")));
        };
        let arg = match (takes_arg, stuck) {
            (true, Some(arg)) => arg,
            (true, None) => words
                .next()
                .ok_or_else(|| syntax(format!("{opt} needs an argument")))?,
            (false, None) => "",
            (false, Some(_)) => return Err(syntax(format!("unknown option {word}"))),
        };
        out.push((opt, arg));
    }
    Ok(out)
}

/// A control option: configures the kernel's audit, not rules.
fn control(opt: &str, arg: &str) -> Result<String, LineError> {
    let (what, numeric) = match opt {
        "-D" => ("delete all rules; the sensor starts with none", false),
        "-b" => (
            "kernel backlog limit; the sensor's is --ring-buffer-size",
            true,
        ),
        "-f" => ("kernel failure mode", true),
        "-e" => ("enable or lock kernel auditing", true),
        "-r" => ("kernel rate limit", true),
        "--backlog_wait_time" => ("kernel backlog wait time", true),
        "--loginuid-immutable" => ("kernel loginuid setting", false),
        "-i" | "-c" => ("ignore errors; the sensor stops at errors", false),
        "--reset-lost" => ("reset the kernel's lost counter", false),
        "-q" => ("kernel watch on a mount", false),
        "-s" | "-l" | "-t" => ("kernel audit status, rule list or trim", false),
        _ => return Err(syntax(format!("unknown option {opt}"))),
    };
    if numeric && parse_num(arg).is_none() {
        return Err(syntax(format!("{opt} takes a number, not {arg:?}")));
    }
    let arg = if arg.is_empty() {
        String::new()
    } else {
        format!(" {arg}")
    };
    Ok(format!(
        "{opt}{arg} ({what}) does not apply to the sensor; ignored"
    ))
}

/// `-a action,list` or `-a list,action`.
fn list_action(arg: &str) -> Result<(&str, Action), LineError> {
    const LISTS: [&str; 7] = [
        "exit",
        "task",
        "user",
        "exclude",
        "filesystem",
        "io_uring",
        "entry",
    ];
    let action = |s: &str| match s {
        "always" => Some(Action::Always),
        "never" => Some(Action::Never),
        _ => None,
    };
    let (a, b) = arg
        .split_once(',')
        .ok_or_else(|| syntax(format!("-a {arg}: expected action,list (e.g. always,exit)")))?;
    let (list, action) = match (action(a), action(b)) {
        (Some(action), None) => (b, action),
        (None, Some(action)) => (a, action),
        _ => {
            return Err(syntax(format!(
                "-a {arg}: expected one action (always, never) and one list"
            )))
        }
    };
    if !LISTS.contains(&list) {
        return Err(syntax(format!("-a {arg}: unknown list {list}")));
    }
    Ok((list, action))
}

/// A `-S` item: a name (in the table of `arch`), a number, or `all` (None).
fn syscall(name: &str, arch: Arch) -> Result<Option<u32>, LineError> {
    if name == "all" {
        return Ok(None);
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        return match parse_num(name) {
            Some(nr) if nr < MAX_SYSCALL => Ok(Some(nr)),
            _ => Err(syntax(format!("bad syscall number {name}"))),
        };
    }
    let found = syscalls::by_name(name)
        .or_else(|| syscalls::by_name(alias(name)))
        .ok_or_else(|| syntax(format!("unknown syscall {name:?}")))?;
    found.number(arch).map(Some).ok_or_else(|| {
        let (this, other, hint) = match arch {
            Arch::X86_64 => ("x86_64", "i386", "-F arch=b32 before -S"),
            Arch::I386 => ("i386", "x86_64", "-F arch=b64 before -S"),
        };
        syntax(format!(
            "syscall {name} is not an {this} syscall (it is an {other} one: put {hint})"
        ))
    })
}

/// Names auditctl knows a syscall by that differ from the kernel headers'.
fn alias(name: &str) -> &str {
    match name {
        "pread" => "pread64",
        "pwrite" => "pwrite64",
        other => other,
    }
}

/// `-C left op right`: two fields of the event compared (the kernel's
/// `AUDIT_COMPARE_*`): the id families and the object's owner.
fn comparison(arg: &str) -> Result<Result<Field, String>, LineError> {
    use FieldName::*;
    let (left, op, right) = split_field(arg)?;
    let kind = |name: &str| match name {
        "uid" => Ok(Ok(Uid)),
        "euid" => Ok(Ok(Euid)),
        "suid" => Ok(Ok(Suid)),
        "fsuid" => Ok(Ok(Fsuid)),
        "gid" => Ok(Ok(Gid)),
        "egid" => Ok(Ok(Egid)),
        "sgid" => Ok(Ok(Sgid)),
        "fsgid" => Ok(Ok(Fsgid)),
        "auid" | "loginuid" => Ok(Ok(Auid)),
        "obj_uid" | "obj_gid" => Ok(Err(format!(
            "-C {arg}: the object's owner (obj_uid, obj_gid) is not collected"
        ))),
        _ => Err(syntax(format!(
            "-C {arg}: {name} cannot be compared (the ids uid, euid, suid, fsuid, gid, egid, \
             sgid, fsgid, auid and obj_uid, obj_gid can)"
        ))),
    };
    if !matches!(op, Op::Eq | Op::Ne) {
        return Err(syntax(format!("-C {arg}: comparisons take = or !=")));
    }
    let (l, r) = match (kind(left)?, kind(right)?) {
        (Ok(l), Ok(r)) => (l, r),
        (Err(why), _) | (_, Err(why)) => return Ok(Err(why)),
    };
    let is_gid = |f: FieldName| matches!(f, Gid | Egid | Sgid | Fsgid);
    if is_gid(l) != is_gid(r) {
        return Err(syntax(format!(
            "-C {arg}: a user id is compared with a user id, a group id with a group id"
        )));
    }
    Ok(Ok(Field {
        name: l,
        op,
        value: Value::Field(r),
    }))
}

enum FieldItem<'a> {
    Field(Field),
    Key(&'a str),
    Unsupported(String),
}

/// Fields auditctl knows that the sensor cannot evaluate: LSM labels, file
/// attributes, other lists' fields.
const UNSUPPORTED_FIELDS: &[&str] = &[
    "subj_user",
    "subj_role",
    "subj_type",
    "subj_sen",
    "subj_clr",
    "obj_user",
    "obj_role",
    "obj_type",
    "obj_lev_low",
    "obj_lev_high",
    "obj_uid",
    "obj_gid",
    "devmajor",
    "devminor",
    "inode",
    "perm",
    "filetype",
    "msgtype",
    "pers",
    "saddr_fam",
    "fstype",
    "loginuid_set",
    "field_compare",
];

/// `name op value` → the operator's position and kind.
fn split_field(arg: &str) -> Result<(&str, Op, &str), LineError> {
    const OPS: [(&str, Op); 8] = [
        ("!=", Op::Ne),
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("&=", Op::BitTest),
        ("=", Op::Eq),
        ("<", Op::Lt),
        (">", Op::Gt),
        ("&", Op::BitAnd),
    ];
    let bad = || {
        syntax(format!(
            "{arg}: expected name, operator, value (e.g. uid=0)"
        ))
    };
    let at = arg.find(['=', '!', '<', '>', '&']).ok_or_else(bad)?;
    let (name, rest) = arg.split_at(at);
    let &(symbol, op) = OPS
        .iter()
        .find(|(s, _)| rest.starts_with(s))
        .ok_or_else(bad)?;
    let value = &rest[symbol.len()..];
    if name.is_empty() || value.is_empty() {
        return Err(bad());
    }
    Ok((name, op, value))
}

fn field<'a>(arg: &'a str, names: &Names) -> Result<FieldItem<'a>, LineError> {
    use FieldName::*;
    let (name, op, value) = split_field(arg)?;
    let kind = match name {
        "arch" => Arch,
        "pid" => Pid,
        "ppid" => Ppid,
        "uid" => Uid,
        "euid" => Euid,
        "suid" => Suid,
        "fsuid" => Fsuid,
        "gid" => Gid,
        "egid" => Egid,
        "sgid" => Sgid,
        "fsgid" => Fsgid,
        "auid" | "loginuid" => Auid,
        "ses" | "sessionid" => Ses,
        "success" => Success,
        "exit" => Exit,
        "a0" => Arg(0),
        "a1" => Arg(1),
        "a2" => Arg(2),
        "a3" => Arg(3),
        "exe" => Exe,
        "path" => Path,
        "dir" => Dir,
        "key" if op == Op::Eq => return Ok(FieldItem::Key(value)),
        "key" => return Err(syntax("key only takes =")),
        _ if UNSUPPORTED_FIELDS.contains(&name) => {
            return Ok(FieldItem::Unsupported(format!(
                "field {name} is not supported (the sensor does not collect it)"
            )))
        }
        _ => return Err(syntax(format!("unknown field {name:?}"))),
    };
    // The operators the kernel accepts for each field (audit_field_valid).
    match kind {
        Arg(_) => {}
        Arch | Exe | Path | Dir if !matches!(op, Op::Eq | Op::Ne) => {
            return Err(syntax(format!("{name} only takes = or !=")))
        }
        _ if matches!(op, Op::BitAnd | Op::BitTest) => {
            return Err(syntax(format!(
                "{name} does not take & or &= (the kernel allows them on a0-a3 only)"
            )))
        }
        _ => {}
    }
    let value = match kind {
        Arch => match arch(value)? {
            Ok(v) => Value::Num(v),
            Err(why) => return Ok(FieldItem::Unsupported(why)),
        },
        Uid | Euid | Suid | Fsuid | Auid => Value::Num(id(value, &names.users, "user")?),
        Gid | Egid | Sgid | Fsgid => Value::Num(id(value, &names.groups, "group")?),
        Ses if value == "unset" => Value::Num(u32::MAX),
        Pid | Ppid | Ses | Arg(_) => Value::Num(number(value)?),
        Success => Value::Num(match value {
            "yes" => 1,
            "no" => 0,
            v => number(v)?,
        }),
        Exit => Value::Num(errno(value)?),
        Exe | Path | Dir => Value::Path(PathValue {
            name: path(name, value, kind == Dir)?,
            identity: None,
        }),
    };
    if value == Value::Num(u32::MAX) {
        match kind {
            // The kernel turns auid=-1 into loginuid_set, which takes = and != only.
            Auid if !matches!(op, Op::Eq | Op::Ne) => {
                return Err(syntax(format!("{name} unset (-1) only takes = or !=")))
            }
            Uid | Euid | Suid | Fsuid | Gid | Egid | Sgid | Fsgid => {
                return Err(syntax(format!(
                    "{name}: -1 is not a valid id (the kernel rejects it; only auid can be unset)"
                )))
            }
            _ => {}
        }
    }
    Ok(FieldItem::Field(Field {
        name: kind,
        op,
        value,
    }))
}

/// The x86_64 or i386 arch, or why another is unsupported.
fn arch(value: &str) -> Result<Result<u32, String>, LineError> {
    const OTHER_MACHINES: [&str; 12] = [
        "aarch64",
        "arm",
        "armeb",
        "armv7l",
        "ppc",
        "ppc64",
        "ppc64le",
        "s390",
        "s390x",
        "riscv64",
        "loongarch64",
        "mips",
    ];
    let bare_hex = value.to_ascii_lowercase();
    let bare_hex = bare_hex.trim_start_matches("0x");
    let numeric = parse_num(value).or_else(|| u32::from_str_radix(bare_hex, 16).ok());
    let x86_64 = Ok(Ok(AUDIT_ARCH_X86_64));
    let b32 = Ok(Ok(AUDIT_ARCH_I386));
    let other = Ok(Err(format!(
        "arch={value}: the sensor runs on x86_64, whose syscalls are b64 and b32"
    )));
    match value {
        "b64" | "x86_64" => x86_64,
        "b32" | "i386" | "i486" | "i586" | "i686" => b32,
        _ if OTHER_MACHINES.contains(&value) => other,
        _ => match numeric {
            Some(AUDIT_ARCH_X86_64) => x86_64,
            Some(AUDIT_ARCH_I386) => b32,
            Some(_) => other,
            None => Err(syntax(format!("unknown arch {value:?}"))),
        },
    }
}

/// A uid or gid: a number (`-1` is u32::MAX), `unset`, or a name.
fn id(value: &str, table: &HashMap<String, u32>, what: &str) -> Result<u32, LineError> {
    if value == "unset" {
        return Ok(u32::MAX);
    }
    if value.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
        return number(value);
    }
    table
        .get(value)
        .copied()
        .ok_or_else(|| LineError::Absent(format!("unknown {what} {value:?}")))
}

/// `exit`: a number or an errno name, `-EACCES` (negative, as the kernel
/// returns it) or `EACCES`.
fn errno(value: &str) -> Result<u32, LineError> {
    if let Some(n) = parse_num(value) {
        return Ok(n);
    }
    let (negative, name) = match value.strip_prefix('-') {
        Some(name) => (true, name),
        None => (false, value),
    };
    let name = match name {
        "EWOULDBLOCK" => "EAGAIN",
        "EDEADLOCK" => "EDEADLK",
        other => other,
    };
    let n = ERRNOS
        .iter()
        .find(|(e, _)| *e == name)
        .map(|&(_, n)| n)
        .ok_or_else(|| syntax(format!("exit={value}: not a number nor an errno name")))?;
    Ok(if negative { n.wrapping_neg() } else { n })
}

fn path(name: &str, value: &str, dir: bool) -> Result<Vec<u8>, LineError> {
    if !value.starts_with('/') {
        return Err(syntax(format!("{name}={value}: the path must be absolute")));
    }
    if dir {
        // "/usr/bin/" and "/usr/bin" are the same directory; "/" stays.
        let trimmed = value.trim_end_matches('/');
        return Ok(if trimmed.is_empty() { "/" } else { trimmed }
            .as_bytes()
            .to_vec());
    }
    if value.ends_with('/') {
        return Err(syntax(format!(
            "{name}={value}: a file path cannot end with / (use dir= for a directory)"
        )));
    }
    Ok(value.as_bytes().to_vec())
}

fn number(value: &str) -> Result<u32, LineError> {
    parse_num(value).ok_or_else(|| {
        syntax(format!(
            "{value:?} is not a 32-bit number (the kernel's rule values are 32-bit)"
        ))
    })
}

/// A 32-bit value as auditctl reads numbers (`strtoul(v, NULL, 0)`): `0x`
/// hex, leading-`0` octal, else decimal; a leading `-` gives the two's
/// complement (`-1` is 4294967295), as `strtol` stored in a `__u32`.
pub(super) fn parse_num(value: &str) -> Option<u32> {
    let (negative, digits) = match value.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, value),
    };
    let (radix, digits) = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, hex)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    // from_str_radix would accept a sign; auditctl's numbers have none here.
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let n = u64::from_str_radix(digits, radix).ok()?;
    if negative {
        (n <= 1 << 31).then(|| (n as u32).wrapping_neg())
    } else {
        u32::try_from(n).ok()
    }
}
