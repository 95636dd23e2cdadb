//! `cargo xtask image`: the sensor's container image, built with podman
//! from deploy/Containerfile on a base made here (no registry is reached).
//!
//! The base is a tarball of the files the binary loads (its `ldd` list) and
//! the CA bundle; the layers are built with `--timestamp 0`, so the same
//! binary gives the same image id, and a rebuild with nothing changed is a
//! cache hit.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::build::build;
use crate::cmd::{self, output};

/// The image's name; the manifests name it `sensor` with this tag
/// (deploy/base/kustomization.yaml, `images:`).
pub fn image_name() -> String {
    format!("localhost/sensor:{}", env!("CARGO_PKG_VERSION"))
}

/// podman's global flags that work on this kind of machine (GUIDE §5):
/// crun refuses the hybrid cgroup layout, runc with cgroupfs works.
pub const PODMAN_GLOBAL: &[&str] = &["--runtime", "runc", "--cgroup-manager", "cgroupfs"];

/// Files from the build host put into the image besides the shared
/// libraries: the CA bundle for the TLS and HTTPS destinations.
const EXTRA_FILES: &[&str] = &["/etc/ssl/certs/ca-certificates.crt"];

/// Minimal account files, so the image runs standalone; the manifests mount
/// the node's own over them.
const PASSWD: &str = "root:x:0:0:root:/:/usr/sbin/nologin\n";
const GROUP: &str = "root:x:0:\n";

/// Build the sensor, then its image; returns the image's name.
pub fn image() -> Result<String> {
    let (sensor, _) = build()?;
    package(&sensor)
}

/// The image of the already built `sensor`; returns the image's name.
pub fn package(sensor: &Path) -> Result<String> {
    let context = cmd::target_dir().join("image");
    let rootfs = context.join("rootfs");
    if rootfs.exists() {
        fs::remove_dir_all(&rootfs).with_context(|| format!("removing {}", rootfs.display()))?;
    }
    for file in shared_libraries(sensor)?
        .iter()
        .map(PathBuf::as_path)
        .chain(EXTRA_FILES.iter().map(Path::new))
    {
        copy_into(&rootfs, file)?;
    }
    write_into(&rootfs, "etc/passwd", PASSWD)?;
    write_into(&rootfs, "etc/group", GROUP)?;
    // A fixed order, owner and time: the same files give the same tarball.
    cmd::run(
        Command::new("tar")
            .args(["--sort=name", "--mtime=@0", "--owner=0", "--group=0"])
            .arg("--numeric-owner")
            .arg("-cf")
            .arg(context.join("rootfs.tar"))
            .arg("-C")
            .arg(&rootfs)
            .arg("."),
        "GNU tar is needed to make the image's base",
    )?;
    fs::copy(sensor, context.join("sensor"))
        .with_context(|| format!("copying {} into the image context", sensor.display()))?;

    let name = image_name();
    let containerfile = cmd::workspace_root().join("deploy").join("Containerfile");
    cmd::run(
        Command::new("podman")
            .args(PODMAN_GLOBAL)
            .args(["build", "--pull=never", "--timestamp", "0"])
            .arg("--file")
            .arg(&containerfile)
            .args(["--tag", &name])
            .arg(&context),
        "podman must be installed (`cargo xtask setup`) and run as root",
    )?;
    eprintln!("image: {name}");
    Ok(name)
}

/// The files `ldd` says `binary` loads (the loader included), by absolute path.
fn shared_libraries(binary: &Path) -> Result<Vec<PathBuf>> {
    let Some(listing) = output(Command::new("ldd").arg(binary)) else {
        bail!("`ldd {}` failed: is it a dynamically linked executable, and is ldd (libc-bin) installed?", binary.display());
    };
    // `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)`, or the loader's
    // `/lib64/ld-linux-x86-64.so.2 (0x…)`; the vDSO has no file.
    let libraries: Vec<PathBuf> = listing
        .lines()
        .filter_map(|line| {
            let path = line.rsplit("=> ").next()?.split_whitespace().next()?;
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect();
    if listing.contains("not found") || libraries.is_empty() {
        bail!(
            "`ldd {}` lists missing or no libraries:\n{listing}",
            binary.display()
        );
    }
    Ok(libraries)
}

/// Copy host file `file` to the same path under `root`, following symlinks
/// (the image gets the library itself, under the name the loader asks for).
fn copy_into(root: &Path, file: &Path) -> Result<()> {
    let target = root.join(file.strip_prefix("/").unwrap_or(file));
    if let Some(dir) = target.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::copy(file, &target).with_context(|| {
        format!(
            "copying {} into the image's base: install the package that provides it",
            file.display()
        )
    })?;
    Ok(())
}

fn write_into(root: &Path, relative: &str, text: &str) -> Result<()> {
    let target = root.join(relative);
    if let Some(dir) = target.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::write(&target, text).with_context(|| format!("writing {}", target.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_libraries_of_a_dynamic_binary_are_listed_by_path() {
        let libraries = shared_libraries(Path::new("/bin/sh")).unwrap();
        assert!(
            libraries.iter().any(|l| l.ends_with("libc.so.6")),
            "{libraries:?}"
        );
        assert!(libraries.iter().all(|l| l.is_absolute() && l.is_file()));
    }
}
