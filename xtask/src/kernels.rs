//! The VM kernel matrix: which kernels, fetching them from the
//! distributions' own archives, and each one's last result.
//!
//! Each kernel is a distribution's kernel package, resolved from its
//! metapackage with apt in a private state under `target/vm/apt/NAME`
//! (the machine's own apt configuration is never touched), checked
//! against the archive's signing key (Debian's keyring from the machine;
//! Ubuntu's from Debian's `ubuntu-keyring` package, itself fetched through
//! Debian's signed archive), and cached by package version: only the
//! kernel image (`vmlinuz`) is kept, in
//! `target/vm/kernels/NAME/PACKAGE_VERSION/vmlinuz`, with the name of the
//! current one in `target/vm/kernels/NAME/current`. The test
//! `tests/tests/kernels.rs` boots them.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use anyhow::{bail, ensure, Context, Result};

use crate::cmd;

const DEBIAN: &str = "http://deb.debian.org/debian";
const DEBIAN_SECURITY: &str = "http://deb.debian.org/debian-security";
const UBUNTU: &str = "http://archive.ubuntu.com/ubuntu";
const DEBIAN_KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Archive {
    Debian,
    Ubuntu,
}

/// A kernel of the matrix.
pub struct Spec {
    /// Its name in the matrix (and in `cargo xtask test --kernel NAME`).
    pub name: &'static str,
    /// What nodes run it.
    pub stands_for: &'static str,
    archive: Archive,
    /// Archive URL and suite of each apt source.
    sources: &'static [(&'static str, &'static str)],
    /// The metapackage that names the current kernel.
    meta: &'static str,
}

pub const MATRIX: &[Spec] = &[
    Spec {
        name: "debian-11",
        stands_for: "5.10: Debian 11, older self-managed nodes",
        archive: Archive::Debian,
        sources: &[(DEBIAN, "bullseye"), (DEBIAN_SECURITY, "bullseye-security")],
        meta: "linux-image-amd64",
    },
    Spec {
        name: "ubuntu-22.04",
        stands_for: "5.15: AKS Ubuntu 22.04",
        archive: Archive::Ubuntu,
        sources: &[(UBUNTU, "jammy-updates"), (UBUNTU, "jammy-security")],
        meta: "linux-image-generic",
    },
    Spec {
        name: "debian-12",
        stands_for: "6.1: Debian 12, EKS AL2023 on older Kubernetes",
        archive: Archive::Debian,
        sources: &[(DEBIAN, "bookworm"), (DEBIAN_SECURITY, "bookworm-security")],
        meta: "linux-image-amd64",
    },
    Spec {
        name: "ubuntu-24.04",
        stands_for: "6.8: AKS Ubuntu 24.04",
        archive: Archive::Ubuntu,
        sources: &[(UBUNTU, "noble-updates"), (UBUNTU, "noble-security")],
        meta: "linux-image-generic",
    },
    Spec {
        name: "debian-13",
        stands_for: "6.12: Debian 13, GKE COS 125, EKS AL2023, Bottlerocket",
        archive: Archive::Debian,
        sources: &[(DEBIAN, "trixie"), (DEBIAN_SECURITY, "trixie-security")],
        meta: "linux-image-amd64",
    },
    Spec {
        name: "ubuntu-24.04-hwe",
        stands_for: "Ubuntu 24.04's newest HWE kernel",
        archive: Archive::Ubuntu,
        sources: &[(UBUNTU, "noble-updates"), (UBUNTU, "noble-security")],
        meta: "linux-image-generic-hwe-24.04",
    },
    Spec {
        name: "debian-sid",
        stands_for: "the newest Debian kernel",
        archive: Archive::Debian,
        sources: &[(DEBIAN, "sid")],
        meta: "linux-image-amd64",
    },
];

pub fn vm_dir() -> PathBuf {
    cmd::target_dir().join("vm")
}

/// The specs named in `only` (comma-separated), or all.
pub fn selected(only: Option<&str>) -> Result<Vec<&'static Spec>> {
    let Some(only) = only else {
        return Ok(MATRIX.iter().collect());
    };
    only.split(',')
        .map(|name| {
            let name = name.trim();
            MATRIX.iter().find(|s| s.name == name).with_context(|| {
                let names: Vec<_> = MATRIX.iter().map(|s| s.name).collect();
                format!(
                    "no kernel {name} in the matrix; it has {}",
                    names.join(", ")
                )
            })
        })
        .collect()
}

/// Makes sure each selected kernel is cached at its archive's current
/// version. Offline, a kernel fetched before is kept, with a warning.
pub fn fetch(only: Option<&str>) -> Result<()> {
    for spec in selected(only)? {
        match fetch_one(spec) {
            Ok(package) => eprintln!("kernels: {} is {package}", spec.name),
            Err(e) => match current(spec.name) {
                Some(package) => eprintln!(
                    "kernels: WARNING: {}: {e:#}; using {package}, fetched before",
                    spec.name
                ),
                None => return Err(e.context(format!("fetching kernel {}", spec.name))),
            },
        }
    }
    Ok(())
}

fn current(name: &str) -> Option<String> {
    let dir = vm_dir().join("kernels").join(name);
    let package = fs::read_to_string(dir.join("current")).ok()?;
    let package = package.trim().to_string();
    dir.join(&package)
        .join("vmlinuz")
        .is_file()
        .then_some(package)
}

fn fetch_one(spec: &Spec) -> Result<String> {
    let keyring = match spec.archive {
        Archive::Debian => PathBuf::from(DEBIAN_KEYRING),
        Archive::Ubuntu => ubuntu_keyring()?,
    };
    let apt = Apt::new(spec.name, spec.sources, &keyring)?;
    apt.update()?;
    let dir = vm_dir().join("kernels").join(spec.name);
    let package = apt.image(spec.meta, &dir, 0)?;
    fs::write(dir.join("current"), &package)?;
    Ok(package)
}

/// Ubuntu's archive key, from Debian's `ubuntu-keyring` package, which
/// Debian's signed archive vouches for.
fn ubuntu_keyring() -> Result<PathBuf> {
    let keyring = vm_dir().join("keyrings/ubuntu-archive-keyring.gpg");
    if keyring.is_file() {
        return Ok(keyring);
    }
    let apt = Apt::new(
        "debian-keyrings",
        &[(DEBIAN, "sid")],
        Path::new(DEBIAN_KEYRING),
    )?;
    apt.update()?;
    let deb = apt.download("ubuntu-keyring")?;
    fs::create_dir_all(keyring.parent().unwrap())?;
    extract(
        &deb,
        "./usr/share/keyrings/ubuntu-archive-keyring.gpg",
        &keyring,
    )?;
    Ok(keyring)
}

/// apt with a state, cache and source list of its own.
struct Apt {
    root: PathBuf,
    options: Vec<String>,
}

impl Apt {
    fn new(name: &str, sources: &[(&str, &str)], keyring: &Path) -> Result<Self> {
        let root = vm_dir().join("apt").join(name);
        for dir in ["state/lists/partial", "cache/archives/partial", "debs"] {
            fs::create_dir_all(root.join(dir))?;
        }
        let list: String = sources
            .iter()
            .map(|(uri, suite)| {
                format!("deb [signed-by={}] {uri} {suite} main\n", keyring.display())
            })
            .collect();
        fs::write(root.join("sources.list"), list)?;
        let options = [
            format!("Dir::State={}", root.join("state").display()),
            format!("Dir::Cache={}", root.join("cache").display()),
            format!(
                "Dir::Etc::SourceList={}",
                root.join("sources.list").display()
            ),
            "Dir::Etc::SourceParts=/dev/null".into(),
            "Dir::Etc::Preferences=/dev/null".into(),
            "Dir::Etc::PreferencesParts=/dev/null".into(),
            "Dir::State::status=/dev/null".into(),
            "APT::Architecture=amd64".into(),
            "APT::Architectures=amd64".into(),
            "APT::Sandbox::User=root".into(),
            "Debug::NoLocking=1".into(),
        ]
        .into_iter()
        .flat_map(|o| ["-o".to_string(), o])
        .collect();
        Ok(Self { root, options })
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(&self.options);
        cmd
    }

    /// The archive's indexes, their signatures checked.
    fn update(&self) -> Result<()> {
        let out = self
            .command("apt-get")
            .args(["-q", "update"])
            .output()
            .context("running apt-get")?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        ensure!(
            out.status.success() && !text.contains("W: GPG error") && !text.contains("NO_PUBKEY"),
            "apt-get update failed or could not check the archive's signature:\n{text}"
        );
        Ok(())
    }

    fn candidate(&self, package: &str) -> Result<String> {
        let out = self
            .command("apt-cache")
            .args(["policy", package])
            .output()?;
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.trim().strip_prefix("Candidate: "))
            .filter(|v| *v != "(none)")
            .map(str::to_string)
            .with_context(|| format!("no candidate for {package} in the archive"))
    }

    /// What the candidate of `package` depends on, by name.
    fn depends(&self, package: &str) -> Result<Vec<String>> {
        let out = self
            .command("apt-cache")
            .args(["depends", package])
            .output()?;
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().strip_prefix("Depends: "))
            .map(|d| d.trim_matches(|c| c == '<' || c == '>').to_string())
            .collect())
    }

    /// Downloads `package`'s candidate into `debs/`.
    fn download(&self, package: &str) -> Result<PathBuf> {
        let debs = self.root.join("debs");
        let status = self
            .command("apt-get")
            .args(["-q", "download", package])
            .current_dir(&debs)
            .stdout(Stdio::null())
            .status()
            .context("running apt-get download")?;
        ensure!(status.success(), "apt-get download {package} failed");
        let prefix = format!("{package}_");
        let mut found = fs::read_dir(&debs)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
            })
            .collect::<Vec<_>>();
        found.sort();
        found
            .pop()
            .with_context(|| format!("{package} was not downloaded"))
    }

    /// Follows `package` down its kernel dependencies to the package that
    /// holds the image, caching it in `dir/PACKAGE_VERSION/vmlinuz`.
    /// Returns `PACKAGE_VERSION`.
    fn image(&self, package: &str, dir: &Path, depth: u32) -> Result<String> {
        ensure!(depth < 4, "no kernel image below {package}");
        let version = self.candidate(package)?;
        let cached = format!("{package}_{version}");
        if dir.join(&cached).join("vmlinuz").is_file() {
            return Ok(cached);
        }
        let deb = self.download(package)?;
        if let Some(member) = vmlinuz_in(&deb)? {
            let out = dir.join(&cached).join("vmlinuz");
            fs::create_dir_all(out.parent().unwrap())?;
            extract(&deb, &member, &out)?;
            // Only the image is kept.
            let _ = fs::remove_file(&deb);
            return Ok(cached);
        }
        let _ = fs::remove_file(&deb);
        for dependency in self.depends(package)? {
            let kernel = ["linux-image-", "linux-binary-"]
                .iter()
                .any(|p| dependency.starts_with(p));
            if kernel && !dependency.contains("-dbg") {
                if let Ok(found) = self.image(&dependency, dir, depth + 1) {
                    return Ok(found);
                }
            }
        }
        bail!("neither {package} nor its kernel dependencies hold a kernel image")
    }
}

/// The path of the kernel image in a kernel package, if it has one
/// (`./boot/vmlinuz-*`, or `./usr/lib/modules/*/vmlinuz` since Debian 14).
fn vmlinuz_in(deb: &Path) -> Result<Option<String>> {
    let out = Command::new("dpkg-deb")
        .arg("--fsys-tarfile")
        .arg(deb)
        .output()?;
    ensure!(
        out.status.success(),
        "dpkg-deb could not read {}",
        deb.display()
    );
    let mut list = Command::new("tar")
        .arg("-t")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut stdin = list.stdin.take().unwrap();
    let tarball = out.stdout;
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &tarball));
    let names = list.wait_with_output()?;
    let _ = writer.join();
    Ok(String::from_utf8_lossy(&names.stdout)
        .lines()
        .find(|n| {
            let file = n.rsplit('/').next().unwrap_or("");
            file == "vmlinuz" || file.starts_with("vmlinuz-")
        })
        .map(str::to_string))
}

/// Extracts one member of a package's data to `out`.
fn extract(deb: &Path, member: &str, out: &Path) -> Result<()> {
    let script = "dpkg-deb --fsys-tarfile \"$1\" | tar -xO \"$2\" > \"$3\"";
    let status = Command::new("sh")
        .args(["-c", script, "extract"])
        .arg(deb)
        .arg(member)
        .arg(out)
        .status()?;
    ensure!(
        status.success() && fs::metadata(out)?.len() > 0,
        "could not extract {member} from {}",
        deb.display()
    );
    Ok(())
}

/// `cargo xtask kernels`: the matrix, and each kernel's last result.
pub fn list(markdown: bool) -> Result<()> {
    let results = vm_dir().join("results");
    let read = |name: &str| -> Option<serde_json::Value> {
        serde_json::from_str(&fs::read_to_string(results.join(format!("{name}.json"))).ok()?).ok()
    };
    let names: Vec<&str> = MATRIX.iter().map(|s| s.name).chain(["host"]).collect();
    if markdown {
        return markdown_table(&names, read);
    }
    println!(
        "{:<18} {:<28} {:<8} {:<10} {:>7} {:>8}  stands for",
        "kernel", "release", "result", "ran", "ready s", "guest s"
    );
    for name in names {
        let stands_for = MATRIX
            .iter()
            .find(|s| s.name == name)
            .map_or("the machine's own kernel", |s| s.stands_for);
        let r = read(name).unwrap_or_default();
        let release = r["release"].as_str().unwrap_or("-");
        let status = r["status"].as_str().unwrap_or("never run");
        let when = r["when"].as_u64().map_or("-".into(), days_ago);
        let secs = |k: &str| r[k].as_f64().map_or("-".into(), |s| format!("{s:.1}"));
        println!(
            "{name:<18} {release:<28} {status:<8} {when:<10} {:>7} {:>8}  {stands_for}",
            secs("ready_secs"),
            secs("guest_secs")
        );
        if let Some(problems) = r["problems"].as_array().filter(|p| !p.is_empty()) {
            for p in problems {
                let first = p.as_str().unwrap_or_default().lines().next().unwrap_or("");
                println!("    {first}");
            }
        }
    }
    Ok(())
}

fn days_ago(when: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    match now.saturating_sub(when) / 3600 {
        0 => "this hour".into(),
        h if h < 48 => format!("{h} h ago"),
        h => format!("{} d ago", h / 24),
    }
}

/// The README's kernel × event class table, from the last results.
fn markdown_table(names: &[&str], read: impl Fn(&str) -> Option<serde_json::Value>) -> Result<()> {
    let runs: Vec<(&str, serde_json::Value)> =
        names.iter().filter_map(|n| Some((*n, read(n)?))).collect();
    ensure!(!runs.is_empty(), "no results yet: run `cargo xtask test`");
    let result_of = |r: &serde_json::Value, class: &str| -> Option<String> {
        r["classes"]
            .as_array()?
            .iter()
            .find(|c| c["class"] == class)
            .and_then(|c| c["result"].as_str().map(String::from))
    };
    let classes: Vec<String> = runs[0].1["classes"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|c| c["class"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    print!("| kernel | release |");
    for c in &classes {
        print!(" {c} |");
    }
    println!(" largest program (instructions processed) | load to ready | degraded |");
    print!("| --- | --- |");
    for _ in &classes {
        print!(" --- |");
    }
    println!(" --- | --- | --- |");
    for (name, r) in runs {
        print!("| {name} | {} |", r["release"].as_str().unwrap_or("-"));
        for c in &classes {
            let ok = result_of(&r, c).is_some_and(|v| v == "ok");
            print!(" {} |", if ok { "ok" } else { "FAIL" });
        }
        let largest = r["programs"]
            .as_object()
            .and_then(|p| {
                p.iter()
                    .filter_map(|(n, f)| Some((f["processed"].as_u64()?, n)))
                    .max()
            })
            .map_or("-".into(), |(n, name)| format!("{name}: {n}"));
        let degraded: Vec<&str> = r["degraded"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter_map(|f| f.as_str()?.split_whitespace().nth(1))
                    .collect()
            })
            .unwrap_or_default();
        println!(
            " {largest} | {:.1} s | {} |",
            r["ready_secs"].as_f64().unwrap_or(0.0),
            if degraded.is_empty() {
                "-".into()
            } else {
                degraded.join(", ")
            }
        );
    }
    Ok(())
}
