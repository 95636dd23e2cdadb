//! Embeds the eBPF object built by `cargo xtask build-ebpf`, so the sensor
//! ships as one self-contained binary.
use std::{env, path::PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=SENSOR_EBPF_OBJECT");
    let object = env::var_os("SENSOR_EBPF_OBJECT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
            manifest.join("../target/bpfel-unknown-none/release/sensor")
        });
    if !object.is_file() {
        panic!(
            "the eBPF object {} does not exist: build it with `cargo xtask build-ebpf`, \
             or build everything with `cargo xtask build`",
            object.display()
        );
    }
    println!("cargo:rerun-if-changed={}", object.display());
    println!(
        "cargo:rustc-env=SENSOR_EBPF_OBJECT={}",
        object.canonicalize().unwrap().display()
    );
}
