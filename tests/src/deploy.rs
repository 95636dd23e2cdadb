//! The Kubernetes manifests in deploy/, rendered the way a user applies
//! them (`kubectl kustomize`) and read as JSON, so tests check and run
//! exactly what a cluster would get.

use std::{
    io::Write,
    path::PathBuf,
    process::{Command, Stdio},
};

use anyhow::{bail, ensure, Context, Result};
use serde_json::Value;

/// deploy/ in the workspace.
pub fn deploy_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy"))
}

/// Every kustomization a user can apply: the base and each overlay, as
/// paths relative to deploy/.
pub fn kustomizations() -> Result<Vec<String>> {
    let mut all = vec!["base".to_owned()];
    let overlays = deploy_dir().join("overlays");
    let mut names: Vec<String> = std::fs::read_dir(&overlays)
        .with_context(|| format!("reading {}", overlays.display()))?
        .map(|entry| Ok(entry?.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_>>()?;
    names.sort();
    all.extend(names.into_iter().map(|n| format!("overlays/{n}")));
    Ok(all)
}

/// The venv where `cargo xtask setup` installs kubernetes-validate (with
/// PyYAML): $SENSOR_TOOLS_VENV, set by `cargo xtask test`.
pub fn tools_venv() -> PathBuf {
    std::env::var_os("SENSOR_TOOLS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/tools/venv"))
        })
}

/// `kubectl kustomize deploy/<kustomization>`: the YAML a cluster gets.
pub fn render_yaml(kustomization: &str) -> Result<String> {
    let dir = deploy_dir().join(kustomization);
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(&dir)
        .output()
        .context("running kubectl (`cargo xtask setup` installs it)")?;
    ensure!(
        out.status.success(),
        "kubectl kustomize {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?)
}

/// The rendered objects of `kustomization`, as JSON.
pub fn render(kustomization: &str) -> Result<Vec<Value>> {
    yaml_documents(&render_yaml(kustomization)?)
}

/// Multi-document YAML to JSON, through the venv's PyYAML (the validator's
/// own YAML reader).
pub fn yaml_documents(yaml: &str) -> Result<Vec<Value>> {
    let python = tools_venv().join("bin").join("python");
    let mut child = Command::new(&python)
        .args([
            "-c",
            "import json, sys, yaml; \
             json.dump([d for d in yaml.safe_load_all(sys.stdin) if d], sys.stdout)",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| {
            format!(
                "running {} (`cargo xtask setup` makes the venv)",
                python.display()
            )
        })?;
    child.stdin.take().unwrap().write_all(yaml.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "reading YAML failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// The one object of `kind` among `objects`.
pub fn object<'a>(objects: &'a [Value], kind: &str) -> Result<&'a Value> {
    let mut found = objects.iter().filter(|o| o["kind"] == kind);
    let first = found.next().with_context(|| format!("no {kind}"))?;
    ensure!(found.next().is_none(), "more than one {kind}");
    Ok(first)
}
