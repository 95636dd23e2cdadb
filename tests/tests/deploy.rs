//! deploy/: every kustomization renders (`kubectl kustomize`) and passes
//! kubernetes-validate's strict check against the Kubernetes schemas,
//! offline; and the properties every variant must keep hold in each.

use std::process::Command;

use sensor_tests::deploy::{kustomizations, object, render, render_yaml, tools_venv};
use serde_json::Value;

/// The oldest Kubernetes the manifests support (the least-privilege
/// overlay's securityContext.appArmorProfile is 1.30's), and the newest the
/// validator knows (its default).
const VERSIONS: &[Option<&str>] = &[Some("1.30.0"), None];

/// kubernetes-validate --strict over `yaml`; its report, and whether it passed.
fn validate(yaml: &str, version: Option<&str>) -> (bool, String) {
    let dir = sensor_tests::podman::Scratch::new("validate").unwrap();
    let file = dir.path().join("rendered.yaml");
    std::fs::write(&file, yaml).unwrap();
    let mut cmd = Command::new(tools_venv().join("bin").join("kubernetes-validate"));
    cmd.args(["--strict", "--quiet"]);
    if let Some(v) = version {
        cmd.args(["--kubernetes-version", v]);
    }
    let out = cmd
        .arg(&file)
        .output()
        .expect("kubernetes-validate (`cargo xtask setup` installs it)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), report)
}

#[test]
fn every_kustomization_passes_strict_schema_validation() {
    let all = kustomizations().unwrap();
    assert!(all.len() >= 3, "base and two overlays: {all:?}");
    for kustomization in &all {
        let yaml = render_yaml(kustomization).unwrap();
        for version in VERSIONS {
            let (passed, report) = validate(&yaml, *version);
            assert!(passed, "{kustomization} against {version:?}:\n{report}");
        }
    }
}

#[test]
fn the_validator_rejects_an_unknown_field() {
    // Strict mode is what catches a misspelt key, which the API server
    // would otherwise drop (or reject) only at apply time.
    let yaml = render_yaml("base")
        .unwrap()
        .replace("hostPID: true", "hostPID: true\n      hostPid: true");
    let (passed, report) = validate(&yaml, None);
    assert!(!passed, "a misspelt field passed:\n{report}");
    assert!(report.contains("hostPid"), "{report}");
}

fn daemonset_pod(objects: &[Value]) -> &Value {
    &object(objects, "DaemonSet").unwrap()["spec"]["template"]["spec"]
}

#[test]
fn every_variant_runs_on_every_node_with_the_host_view() {
    for kustomization in kustomizations().unwrap() {
        let objects = render(&kustomization).unwrap();
        let daemonset = object(&objects, "DaemonSet").unwrap();
        let strategy = &daemonset["spec"]["updateStrategy"];
        assert_eq!(strategy["type"], "RollingUpdate", "{kustomization}");
        // Never two sensors on a node (double records), one node at a time.
        assert_eq!(strategy["rollingUpdate"]["maxSurge"], 0, "{kustomization}");
        assert_eq!(
            strategy["rollingUpdate"]["maxUnavailable"], 1,
            "{kustomization}"
        );
        let pod = daemonset_pod(&objects);
        assert_eq!(pod["hostPID"], true, "{kustomization}");
        assert_eq!(
            pod["priorityClassName"], "system-node-critical",
            "{kustomization}"
        );
        assert!(
            pod["tolerations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["operator"] == "Exists" && t.get("key").is_none()),
            "{kustomization}: tolerate every taint"
        );
        let container = &pod["containers"][0];
        assert_eq!(
            container["env"][0]["valueFrom"]["fieldRef"]["fieldPath"],
            "spec.nodeName"
        );
        // Metrics on the pod's address only, which the probes use.
        let pod_ip = container["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "POD_IP")
            .unwrap_or_else(|| panic!("{kustomization}: no POD_IP"));
        assert_eq!(
            pod_ip["valueFrom"]["fieldRef"]["fieldPath"], "status.podIP",
            "{kustomization}"
        );
        let args = container["args"].to_string();
        assert!(
            args.contains("--metrics-addr=[$(POD_IP)]:9090") && !args.contains("0.0.0.0"),
            "{kustomization}: {args}"
        );
        for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
            assert_eq!(container[probe]["httpGet"]["path"], path, "{kustomization}");
        }
        assert!(
            container["resources"]["limits"]["memory"].is_string(),
            "{kustomization}"
        );
        // Every host mount is read-only but the spool and the node's log
        // directory.
        for mount in container["volumeMounts"].as_array().unwrap() {
            let path = mount["mountPath"].as_str().unwrap();
            if !["/var/lib/sensor", "/var/log/sensor"].contains(&path) {
                assert_eq!(mount["readOnly"], true, "{kustomization}: {path}");
            }
        }
    }
}

#[test]
fn the_configmap_rules_are_the_built_in_rules() {
    let objects = render("base").unwrap();
    let map = object(&objects, "ConfigMap").unwrap();
    let built_in = include_str!("../../rules/default.rules");
    assert_eq!(
        map["data"]["audit.rules"], built_in,
        "deploy/base/audit.rules must stay a copy of rules/default.rules"
    );
    let args = daemonset_pod(&objects)["containers"][0]["args"].to_string();
    assert!(args.contains("--rules=/etc/sensor/audit.rules"), "{args}");
    assert!(args.contains("--config=/etc/sensor/config.yaml"), "{args}");
}

#[test]
fn the_node_file_overlay_writes_where_the_node_directory_is_mounted() {
    let objects = render("overlays/node-file").unwrap();
    let config = object(&objects, "ConfigMap").unwrap()["data"]["config.yaml"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        config.contains("file:///var/log/sensor/audit.log"),
        "{config}"
    );
    assert!(!config.contains("- stdout"), "{config}");
    let pod = daemonset_pod(&objects);
    let mount = pod["containers"][0]["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mountPath"] == "/var/log/sensor")
        .expect("the node's log directory is mounted");
    let volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == mount["name"])
        .unwrap();
    assert_eq!(volume["hostPath"]["path"], "/var/log/sensor");
}
